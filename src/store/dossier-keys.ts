/**
 * The dossier encryption (src/privacy/envelope.ts): the key-encryption key read from
 * PASSERELLE_DATA_DIR/secrets/dossier.kek at first use, a subject's data key unwrapped or created, and
 * what the GCM tag binds a stored document to. The key file stays on the gateway host even when the
 * store is PostgreSQL: a copy of the database alone cannot decrypt a dossier.
 */
import { GatewayError } from '../domain/errors.js';
import type { DossierDocument } from './port.js';
import { keyEncryptionKeyId, loadKeyEncryptionKey, newDataKey, openWithDataKey, sealWithDataKey, unwrapDataKey, wrapDataKey } from '../privacy/envelope.js';

/** What the GCM tag binds a stored document to: its row and its person. */
export function documentContext(beneficiary: string, messageId: string): string {
  return `passerelle dossier document\n${beneficiary}\n${messageId}`;
}

export interface WrappedKey {
  wrapped_data_key: Buffer | null;
  kek_id: string | null;
}

/** A row of `dossier_documents`: the signed message sealed under the subject's data key. */
export interface DocumentRow {
  message_id: string;
  type: string;
  sender: string;
  recipient: string;
  accepted_at: string;
  sealed: Buffer;
}

export class DossierKeys {
  private kek: { key: Buffer; id: string } | undefined;

  constructor(private readonly dataDir: string) {}

  private keyEncryptionKey(): { key: Buffer; id: string } {
    if (this.kek === undefined) {
      let key: Buffer;
      try {
        key = loadKeyEncryptionKey(this.dataDir);
      } catch (err) {
        // Read inside an acceptance: for the partner this is the store failing, and nothing was accepted.
        throw new GatewayError('unavailable', 'The gateway cannot read its dossier key right now; nothing was accepted. Retry later.', { cause: err });
      }
      this.kek = { key, id: keyEncryptionKeyId(key) };
    }
    return this.kek;
  }

  /** The subject's data key; undefined when it has none yet. */
  dataKeyOf(subject: WrappedKey): Buffer | undefined {
    if (subject.wrapped_data_key === null) return undefined;
    const kek = this.keyEncryptionKey();
    if (subject.kek_id !== kek.id) {
      throw new GatewayError('internal', 'A dossier data key was wrapped by another key-encryption key than PASSERELLE_DATA_DIR/secrets/dossier.kek; restore the key file that goes with this store.');
    }
    return unwrapDataKey(kek.key, subject.wrapped_data_key);
  }

  /** A new data key and what to store of it (wrapped, with the id of the key that wrapped it). */
  newDataKey(): { dataKey: Buffer; stored: { wrapped_data_key: Buffer; kek_id: string } } {
    const dataKey = newDataKey();
    const kek = this.keyEncryptionKey();
    return { dataKey, stored: { wrapped_data_key: wrapDataKey(kek.key, dataKey), kek_id: kek.id } };
  }

  seal(dataKey: Buffer, beneficiary: string, messageId: string, signedMessage: Uint8Array): Buffer {
    return sealWithDataKey(dataKey, signedMessage, documentContext(beneficiary, messageId));
  }

  open(dataKey: Buffer, beneficiary: string, messageId: string, sealed: Uint8Array): Uint8Array {
    return new Uint8Array(openWithDataKey(dataKey, sealed, documentContext(beneficiary, messageId)));
  }

  /** The stored document, decrypted (the GCM tag checks it belongs to this row and this person). */
  openDocument(dataKey: Buffer, beneficiary: string, row: DocumentRow): DossierDocument {
    return {
      messageId: row.message_id,
      type: row.type,
      sender: row.sender,
      recipient: row.recipient,
      acceptedAt: row.accepted_at,
      signedMessage: this.open(dataKey, beneficiary, row.message_id, row.sealed),
    };
  }
}
