/**
 * What a partner holds of a trust directory: its own certificate and secret key, the CA, the gateway's
 * public key and the other partners' public keys. Never the gateway's secret key: the CLI acting as a
 * partner sees exactly what a partner's own system would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readPublicKeys, type PrivateKey, type PublicKey } from '../crypto/keys.js';
import { GatewayError } from '../domain/errors.js';
import { GATEWAY_ID } from '../domain/gateway-partner.js';
import { loadPartnerCredentials } from '../trust/trust-store.js';
import type { PartnerTls } from './gateway-client.js';

export interface PartnerView {
  id: string;
  tls: PartnerTls;
  privateKey: PrivateKey;
  gatewayKeys: PublicKey[];
  /** Public keys of another partner (or of the gateway, for "passerelle"), to verify what it signed; throws if it has none. */
  senderKeys(partnerId: string): Promise<PublicKey[]>;
}

async function readKeysFile(file: string, what: string): Promise<PublicKey[]> {
  let armored: string;
  try {
    armored = fs.readFileSync(file, 'utf8');
  } catch {
    throw new GatewayError('config_invalid', `Cannot read ${what} at ${file}. Check PASSERELLE_CERTS_DIR.`);
  }
  return readPublicKeys({ armored, source: file });
}

export async function loadPartnerView(opts: { dir: string; id: string }): Promise<PartnerView> {
  const credentials = await loadPartnerCredentials({ dir: opts.dir, id: opts.id });
  const gatewayKeys = await readKeysFile(path.join(opts.dir, 'gateway', 'openpgp.asc'), "the gateway's public key");
  const cache = new Map<string, Promise<PublicKey[]>>();
  return {
    id: opts.id,
    tls: { certPem: credentials.tlsCertPem, keyPem: credentials.tlsKeyPem, caPem: credentials.caPem },
    privateKey: credentials.privateKey,
    gatewayKeys,
    senderKeys(partnerId) {
      // The gateway signs its own messages (dossier, withdrawal, expiry) with its own key.
      if (partnerId === GATEWAY_ID) return Promise.resolve(gatewayKeys);
      if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(partnerId)) return Promise.reject(new GatewayError('signature_invalid', 'The sender named by the delivery is not a partner id.'));
      let keys = cache.get(partnerId);
      if (!keys) {
        keys = readKeysFile(path.join(opts.dir, 'partners', partnerId, 'openpgp.asc'), `the public key of ${partnerId}`);
        cache.set(partnerId, keys);
      }
      return keys;
    },
  };
}
