/**
 * The published example PKI (certs.example/): its CA's private key is in the public repository, so
 * anyone can issue a client certificate that a gateway trusting that CA accepts as any partner. A
 * gateway in production refuses it. It is recognised by the CA certificate's SHA-256 fingerprint, not
 * by a path: a copy of the folder, or a trust directory whose ca.crt bundles the example CA among
 * others, is refused too.
 */
import { X509Certificate } from 'node:crypto';
import { GatewayError } from '../domain/errors.js';

/**
 * certs.example/ca.crt. `passerelle pki init --dir certs.example --overwrite` makes a new CA: add its
 * fingerprint here (test/security/tls-example-pki.test.ts fails until then); keep the older ones, which
 * earlier clones of the repository publish.
 */
export const EXAMPLE_CA_FINGERPRINTS: readonly string[] = Object.freeze([
  '63:7D:0D:49:7E:2F:09:E9:C6:A0:BE:D0:18:43:D0:DC:C2:77:B1:E6:39:34:21:91:1C:E3:BE:FC:2F:D2:DB:27',
]);

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The SHA-256 fingerprints of the certificates of a PEM bundle (one or more CA certificates). */
export function fingerprintsOf(caPem: string): string[] {
  return (caPem.match(PEM_CERTIFICATE) ?? []).map((pem) => new X509Certificate(pem).fingerprint256);
}

/** Throws when the partner CA of a production gateway is (or includes) the published example CA. */
export function refuseExamplePki(opts: { environment: 'development' | 'production'; caPem: string; certsDir: string }): void {
  if (opts.environment !== 'production') return;
  const example = fingerprintsOf(opts.caPem).find((fingerprint) => EXAMPLE_CA_FINGERPRINTS.includes(fingerprint));
  if (example === undefined) return;
  throw new GatewayError(
    'config_invalid',
    `PASSERELLE_ENV=production, but ${opts.certsDir}/ca.crt (PASSERELLE_CERTS_DIR) is the published example CA (SHA-256 ${example}), whose private key anyone can read: anyone could log in as any partner. Make a trust directory with a CA of your own (deploy/README.md, "Production checklist") and set PASSERELLE_CERTS_DIR to it.`,
  );
}
