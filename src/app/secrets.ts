/**
 * Rotation of the gateway's own secrets without downtime (`passerelle secrets`), without breaking
 * earlier proofs: the audit log holds per-person pseudonyms made with each person's own key, which no
 * rotation touches, and every checkpoint and proof stays valid.
 *
 * - The dossier key-encryption key (`secrets/dossier.kek`): a new one becomes current and the previous
 *   one is retired (`secrets/retired/`); every data key it wrapped is wrapped again with the new one,
 *   in batches; the retired key is deleted once no data key needs it. A running gateway wraps new data
 *   keys with the new key from its next use (it looks at the file each time) and unwraps the others
 *   with the retired one meanwhile.
 * - The pseudonym secret (`secrets/pseudonym.key`), which keys the lookups that find a person's rows:
 *   it cannot be applied to rows by itself (the gateway keeps no reference in clear), so a person's
 *   rows move to the new secret's lookup when the gateway next sees the person; the retired secret is
 *   kept until no row needs it (`passerelle secrets status` counts them).
 * Both record the new secret's fingerprint in the store, so that a gateway started with the old file
 * refuses to start (src/store/shared-secrets.ts).
 */
import { KEK_LABEL } from '../privacy/envelope.js';
import { pseudonymSecrets } from '../privacy/pseudonym.js';
import { SecretRing } from '../privacy/secret-ring.js';
import type { SecretsPort } from '../store/port.js';

/** Data keys wrapped again per transaction: a short lock of the store each time. */
export const REWRAP_BATCH = 500;

export interface SecretsStatus {
  /** The current key-encryption key, the data keys each key wraps, the retired keys deleted now. */
  kek: { current: string; keys: Array<{ kek: string; keys: number }>; forgotten: string[] };
  /** The current pseudonym secret, the rows under each secret ('' = lookups made before lookups named their secret), the retired secrets deleted now. */
  pseudonym: { current: string; rows: Array<{ secret: string; rows: number }>; forgotten: string[] };
}

function kekRing(dataDir: string): SecretRing {
  return new SecretRing({ dataDir, fileName: 'dossier.kek', what: 'the dossier key-encryption key', label: KEK_LABEL });
}

/** What depends on each secret; retired secrets nothing depends on any more are deleted. */
export async function secretsStatus(deps: { store: SecretsPort; dataDir: string }): Promise<SecretsStatus> {
  const keks = kekRing(deps.dataDir);
  const keys = await deps.store.wrappedKeyCounts();
  const kekForgotten: string[] = [];
  for (const retired of keks.retiredSecrets()) {
    if (!keys.some((entry) => entry.kek === retired.id && entry.keys > 0)) {
      keks.forget(retired.id);
      kekForgotten.push(retired.id);
    }
  }
  const pseudonyms = pseudonymSecrets(deps.dataDir);
  const rows = await deps.store.lookupCounts();
  const pseudonymForgotten: string[] = [];
  // Lookups without a secret id may be any secret's until they move: retired secrets stay while any remain.
  const unnamed = rows.some((entry) => entry.secret === '' && entry.rows > 0);
  for (const retired of pseudonyms.retiredSecrets()) {
    if (!unnamed && !rows.some((entry) => entry.secret === retired.id && entry.rows > 0)) {
      pseudonyms.forget(retired.id);
      pseudonymForgotten.push(retired.id);
    }
  }
  return {
    kek: { current: keks.now().id, keys, forgotten: kekForgotten },
    pseudonym: { current: pseudonyms.now().id, rows, forgotten: pseudonymForgotten },
  };
}

export async function rotateKeyEncryptionKey(deps: { store: SecretsPort; dataDir: string }): Promise<{ previous: string; current: string; rewrapped: number; status: SecretsStatus }> {
  const ring = kekRing(deps.dataDir);
  const { previous, current } = ring.rotate();
  await deps.store.recordSecrets([{ file: 'secrets/dossier.kek', secret: current.key }]);
  let rewrapped = 0;
  for (let batch = await deps.store.rewrapDataKeys(REWRAP_BATCH); batch > 0; batch = await deps.store.rewrapDataKeys(REWRAP_BATCH)) rewrapped += batch;
  return { previous: previous.id, current: current.id, rewrapped, status: await secretsStatus(deps) };
}

export async function rotatePseudonymSecret(deps: { store: SecretsPort; dataDir: string }): Promise<{ previous: string; current: string; status: SecretsStatus }> {
  const { previous, current } = pseudonymSecrets(deps.dataDir).rotate();
  await deps.store.recordSecrets([{ file: 'secrets/pseudonym.key', secret: current.key }]);
  return { previous: previous.id, current: current.id, status: await secretsStatus(deps) };
}

