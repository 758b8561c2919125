/**
 * Gateways sharing one database must share their secrets too: a second gateway with its own
 * `secrets/pseudonym.key` would give the same person another lookup (a second dossier, an opt-out
 * that does not apply), and one with its own `secrets/dossier.kek` would write dossiers the others
 * cannot read. The first gateway records a fingerprint of each secret in the database; a gateway
 * whose files differ refuses to start, naming the file to copy.
 *
 * A fingerprint is a truncated SHA-256 of a 256-bit random secret under a label: it reveals nothing
 * usable about the secret.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { GatewayError } from '../domain/errors.js';
import { loadKeyEncryptionKey } from '../privacy/envelope.js';
import { loadPseudonymSecret } from '../privacy/pseudonym.js';

export const PG_SECRETS_MIGRATIONS: readonly string[] = [
  `CREATE TABLE secret_fingerprints (
     file        TEXT PRIMARY KEY,
     fingerprint TEXT NOT NULL,
     recorded_at TEXT NOT NULL
   );`,
];

function fingerprint(file: string, secret: Uint8Array): string {
  return createHash('sha256').update(`passerelle secret fingerprint\n${file}\n`).update(secret).digest('hex').slice(0, 32);
}

/** Records this gateway's secrets on first use of the database, and refuses secrets that differ. */
export async function assertSharedSecrets(pool: pg.Pool, dataDir: string): Promise<void> {
  const secrets: Array<[string, Buffer]> = [
    ['secrets/pseudonym.key', loadPseudonymSecret(dataDir)],
    ['secrets/dossier.kek', loadKeyEncryptionKey(dataDir)],
  ];
  for (const [file, secret] of secrets) {
    const mine = fingerprint(file, secret);
    await pool.query('INSERT INTO secret_fingerprints (file, fingerprint, recorded_at) VALUES ($1, $2, $3) ON CONFLICT (file) DO NOTHING', [file, mine, new Date().toISOString()]);
    const { rows } = await pool.query<{ fingerprint: string }>('SELECT fingerprint FROM secret_fingerprints WHERE file = $1', [file]);
    if (rows[0]!.fingerprint !== mine) {
      throw new GatewayError(
        'config_invalid',
        `PASSERELLE_DATA_DIR/${file} is not the one the other gateways on this database use. Every gateway sharing PASSERELLE_DATABASE_URL needs the same secrets: copy the secrets directory of the first gateway (mode 0600) to this one.`,
      );
    }
  }
}
