/**
 * How long openpgp's choice of a key (the recipient's encryption subkey, the gateway's signing key, the
 * gateway's decryption keys) is reused by the native paths (session-key-wrap.ts, fast-signature.ts,
 * session-key-unwrap.ts) before openpgp chooses again. A key object does not change once read (a new
 * trust directory or a rotation brings new key objects, hence a new choice), but its validity depends on
 * the time: a choice ends at the key's expiration, and is made again at least every minute so that
 * whatever else openpgp would judge differently now (a self-signature that expired, a clock set back
 * before the key's creation) takes effect within that minute.
 */
import type { Config, Key, Subkey } from 'openpgp';

export const RESELECT_AFTER_MS = 60_000;

/** A choice made at `checkedAt`, valid until `until` (milliseconds of the clock). */
export interface KeyChoice {
  checkedAt: number;
  until: number;
}

/** Whether a choice still holds at `now`; a clock set back before it was made ends it too. */
export function stillChosen<C extends KeyChoice>(choice: C | undefined, now: number): choice is C {
  return choice !== undefined && now >= choice.checkedAt && now < choice.until;
}

/**
 * When a choice made at `now` ends: RESELECT_AFTER_MS later, or at the expiration of the key or of the
 * chosen subkey, whichever comes first.
 */
export async function choiceEnds(key: Key, chosen: Key | Subkey, config: Config, now: number): Promise<number> {
  const ends = [await key.getExpirationTime(undefined, config)];
  if (chosen !== key) ends.push(await (chosen as Subkey).getExpirationTime(new Date(now), config));
  // null: openpgp found no valid self-signature to read it from; the choice then lasts no time at all.
  return Math.min(now + RESELECT_AFTER_MS, ...ends.map((end) => (end instanceof Date ? end.getTime() : (end ?? now))));
}
