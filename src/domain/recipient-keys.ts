/**
 * A recipient can be sent a message only while it holds a key to encrypt it to: the one check, for
 * the messages of partners (src/app/ingest.ts) and the gateway's own notices alike.
 */
import { GatewayError } from './errors.js';

/**
 * @param keys the recipient's usable public keys (unrevoked), undefined when it has no entry in the
 *   trust directory
 * @throws GatewayError 'recipient_not_allowed' when there is none
 */
export function encryptionKeysOf<Key>(recipientId: string, keys: readonly Key[] | undefined): Key[] {
  if (keys === undefined || keys.length === 0) {
    throw new GatewayError('recipient_not_allowed', `Partner ${recipientId} has no OpenPGP key registered and cannot receive messages. Ask the gateway operator to register its current public key.`);
  }
  return [...keys];
}
