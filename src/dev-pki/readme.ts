/** The README.md of the example trust directory. Development PKI: the running gateway never imports this folder. */
import { GATEWAY_TLS_CN, RSA_BITS } from './certificates.js';
import type { PartnerSeed } from './example-partners.js';

export function readme(opts: { notAfter: Date; partners: readonly PartnerSeed[] }): string {
  const until = opts.notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const rows = opts.partners.map((p) => `| \`${p.id}\` | ${p.name} | ${p.role} |`).join('\n');
  return `# Example trust directory — EXAMPLE KEYS ONLY

**These keys are published in a public repository. Never use them in production**, not even for a
test with real data: anyone can read every secret key below.

This directory is a complete trust configuration (docs/interface.md, section 2) for local
development, the tests and the demo. The gateway reads it when \`PASSERELLE_CERTS_DIR\` is unset.

Every certificate and OpenPGP key here expires on **${until}**. Regenerate the directory before then.

## Regenerate

\`\`\`sh
npx passerelle pki init --dir certs.example --overwrite
\`\`\`

This replaces every key and certificate (new CA, new fingerprints) and rewrites this file; files
other than the ones listed below are kept. Without \`--overwrite\` the command refuses a non-empty
directory.

## Files

| file | what it is | read by the gateway |
|---|---|---|
| \`ca.crt\` | the partner CA (PEM, RSA ${RSA_BITS}, SHA-256): issues every client certificate and, in this example, the gateway's server certificate, so partners verify the gateway with the same file | yes |
| \`ca.key\` | the CA's private key, here **only so the example can be regenerated or extended** with new partners. A real CA key never lives in a trust directory, nor on the gateway host | no |
| \`partners.json\` | the partner registry, validated against \`schemas/partners.schema.json\`: roles, message types each partner may send and receive, eligibility and minimisation rules | yes |
| \`gateway/tls.crt\`, \`gateway/tls.key\` | the gateway's TLS server certificate (CN=${GATEWAY_TLS_CN}, SAN DNS:localhost, IP:127.0.0.1, IP:::1) and its key | yes |
| \`gateway/openpgp.asc\` | the gateway's OpenPGP public key: partners encrypt to it and verify its receipts and checkpoints | yes |
| \`gateway/openpgp.key.asc\` | the gateway's OpenPGP secret key (no passphrase) | yes |
| \`partners/<id>/tls.crt\`, \`tls.key\` | the partner's TLS client certificate (subject CN = \`<id>\`, O = its name) and key | the certificate only, if present |
| \`partners/<id>/openpgp.asc\` | the partner's OpenPGP public key (required for an agency) | yes |
| \`partners/<id>/openpgp.key.asc\` | the partner's OpenPGP secret key (no passphrase), here only so the tests and the demo can act as the partner | **never** |

Private key files are created with mode 0600; git does not keep that mode, so a fresh checkout has
them readable by all local users, which is acceptable for example keys only.

OpenPGP keys are version 4 EdDSA/ECDH keys on Curve25519 (\`curve25519Legacy\` in OpenPGP.js),
which GnuPG 2.2 and later import and use. TLS certificates are RSA ${RSA_BITS} with SHA-256
signatures and random 128-bit serial numbers.

## Partners

| id | name | role |
|---|---|---|
${rows}
`;
}
