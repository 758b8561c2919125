/**
 * A store and the secrets that go with it: gateways sharing one database must share their secrets
 * (a second gateway with its own `secrets/pseudonym.key` would give the same person another lookup, a
 * second dossier, an opt-out that does not apply; one with its own `secrets/dossier.kek` would write
 * dossiers the others cannot read), and a store restored beside the wrong secrets must not start. The
 * first gateway records a fingerprint of each secret in the store; a gateway whose files differ
 * refuses to start, naming the file to copy.
 *
 * A fingerprint is a truncated SHA-256 of a 256-bit random secret under a label: it reveals nothing
 * usable about the secret.
 */
import { createHash } from 'node:crypto';
import { GatewayError } from '../domain/errors.js';
import { execute, row, type Sql, type Tx } from './transaction.js';

export interface SecretFile {
  /** Path relative to PASSERELLE_DATA_DIR, as the message names it. */
  file: string;
  secret: Uint8Array;
}

function fingerprint({ file, secret }: SecretFile): string {
  return createHash('sha256').update(`passerelle secret fingerprint\n${file}\n`).update(secret).digest('hex').slice(0, 32);
}

export function* assertSharedSecrets(sql: Sql, secrets: readonly SecretFile[], at: string): Tx<void> {
  for (const secret of secrets) {
    const mine = fingerprint(secret);
    yield* execute(sql.insertInto('secret_fingerprints').values({ file: secret.file, fingerprint: mine, recorded_at: at }).onConflict((oc) => oc.column('file').doNothing()));
    const recorded = yield* row(sql.selectFrom('secret_fingerprints').select('fingerprint').where('file', '=', secret.file));
    if (recorded!.fingerprint !== mine) {
      throw new GatewayError(
        'config_invalid',
        `PASSERELLE_DATA_DIR/${secret.file} is not the one this store was written with. Every gateway sharing a store needs the same secrets: copy the secrets directory of the first gateway (mode 0600) to this one, or restore the secrets that go with this store.`,
      );
    }
  }
}

/** Replaces the recorded fingerprints (an operator's rotation of a secret: src/app/secrets.ts). */
export function* recordSecrets(sql: Sql, secrets: readonly SecretFile[], at: string): Tx<void> {
  for (const secret of secrets) yield* execute(sql.deleteFrom('secret_fingerprints').where('file', '=', secret.file));
  yield* assertSharedSecrets(sql, secrets, at);
}
