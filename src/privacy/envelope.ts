/**
 * Envelope encryption of dossiers at rest (audit-log research notes, sections 5 and 6.4): each
 * beneficiary's documents are encrypted with AES-256-GCM (NIST SP 800-38D) under a data key of their
 * own, and each data key is stored wrapped with AES-256 key wrap (RFC 3394) under the gateway's
 * key-encryption key, which lives in `secrets/dossier.kek`, apart from the store. Deleting a person's
 * wrapped data key makes every copy of their documents unreadable: crypto-shredding.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { GatewayError } from '../domain/errors.js';
import { loadOrCreateSecret } from './secret-file.js';
import { secretId } from './secret-ring.js';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** RFC 3394 section 2.2.3.1, the default initial value. */
const KEY_WRAP_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

export function loadKeyEncryptionKey(dataDir: string): Buffer {
  return loadOrCreateSecret({ dataDir, fileName: 'dossier.kek', what: 'the dossier key-encryption key' });
}

/** The label of a key-encryption key's id (src/privacy/secret-ring.ts), stored next to what it wrapped. */
export const KEK_LABEL = 'dossier kek';

/** A short public name of a key-encryption key, stored next to what it wrapped, to detect a wrong key file. */
export function keyEncryptionKeyId(kek: Uint8Array): string {
  return secretId(KEK_LABEL, kek);
}

export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function wrapDataKey(kek: Uint8Array, dataKey: Uint8Array): Buffer {
  const cipher = createCipheriv('id-aes256-wrap', kek, KEY_WRAP_IV);
  return Buffer.concat([cipher.update(dataKey), cipher.final()]);
}

/** Throws GatewayError('internal') when the wrapped key was not wrapped by this key-encryption key (RFC 3394 integrity check). */
export function unwrapDataKey(kek: Uint8Array, wrapped: Uint8Array): Buffer {
  try {
    const decipher = createDecipheriv('id-aes256-wrap', kek, KEY_WRAP_IV);
    return Buffer.concat([decipher.update(wrapped), decipher.final()]);
  } catch (err) {
    throw new GatewayError('internal', 'A dossier data key does not unwrap with the key-encryption key of PASSERELLE_DATA_DIR/secrets/dossier.kek: the key file is not the one that wrapped it.', { cause: err });
  }
}

/**
 * nonce || ciphertext || tag. `context` is authenticated (GCM additional data) so that a stored
 * ciphertext cannot be moved to another row or another person.
 */
export function sealWithDataKey(dataKey: Uint8Array, plaintext: Uint8Array, context: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** Throws GatewayError('internal') when the data key or the context is not the one it was sealed with. */
export function openWithDataKey(dataKey: Uint8Array, sealed: Uint8Array, context: string): Buffer {
  const bytes = Buffer.from(sealed);
  if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new GatewayError('internal', 'A stored dossier document is truncated.');
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, bytes.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch (err) {
    throw new GatewayError('internal', 'A stored dossier document does not decrypt with its data key (altered, or sealed for another row).', { cause: err });
  }
}
