/**
 * The dossier encryption (src/privacy/envelope.ts): the key-encryption key read from
 * PASSERELLE_DATA_DIR/secrets/dossier.kek at first use, a subject's data key unwrapped or created, and
 * what the GCM tag binds a stored document to. The key file stays on the gateway host even when the
 * store is PostgreSQL: a copy of the database alone cannot decrypt a dossier.
 */
import { GatewayError } from '../domain/errors.js';
import type { DossierDocument } from './port.js';
import { KEK_LABEL, newDataKey, openWithDataKey, sealWithDataKey, unwrapDataKey, wrapDataKey } from '../privacy/envelope.js';
import { SecretRing } from '../privacy/secret-ring.js';

/** What the GCM tag binds a stored document to: its row and its person. */
export function documentContext(beneficiary: string, messageId: string): string {
  return `passerelle dossier document\n${beneficiary}\n${messageId}`;
}

/** What the GCM tag binds a held notice to: its message. */
function heldContext(messageId: string): string {
  return `passerelle held notice\n${messageId}`;
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
  /** secrets/dossier.kek and its retired predecessors (a rotation in progress: src/app/secrets.ts). */
  readonly ring: SecretRing;

  constructor(dataDir: string) {
    this.ring = new SecretRing({ dataDir, fileName: 'dossier.kek', what: 'the dossier key-encryption key', label: KEK_LABEL });
  }

  private keyEncryptionKey(): { key: Buffer; id: string } {
    try {
      return this.ring.now();
    } catch (err) {
      // Read inside an acceptance: for the partner this is the store failing, and nothing was accepted.
      throw new GatewayError('unavailable', 'The gateway cannot read its dossier key right now; nothing was accepted. Retry later.', { cause: err });
    }
  }

  /** The subject's data key; undefined when it has none yet. */
  dataKeyOf(subject: WrappedKey): Buffer | undefined {
    if (subject.wrapped_data_key === null) return undefined;
    const kek = subject.kek_id === null ? undefined : this.ring.byId(subject.kek_id);
    if (kek === undefined) {
      throw new GatewayError('internal', `A dossier data key was wrapped by a key-encryption key (id ${subject.kek_id}) that PASSERELLE_DATA_DIR/secrets holds neither as dossier.kek nor in retired/; restore the secrets that go with this store.`);
    }
    return unwrapDataKey(kek.key, subject.wrapped_data_key);
  }

  /** The same data key, wrapped by the current key-encryption key (a rotation's re-wrap). */
  rewrap(stored: WrappedKey): { wrapped_data_key: Buffer; kek_id: string } {
    const dataKey = this.dataKeyOf(stored)!;
    const kek = this.keyEncryptionKey();
    return { wrapped_data_key: wrapDataKey(kek.key, dataKey), kek_id: kek.id };
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

  /**
   * A gateway notice held until its recipient has a usable key: the signed message under a data key of
   * its own (not the person's, so that it outlives an erasure it announces), wrapped by the KEK.
   */
  sealHeld(messageId: string, signedMessage: Uint8Array): { sealed: Buffer; wrapped_key: Buffer; kek_id: string } {
    const { dataKey, stored } = this.newDataKey();
    return { sealed: sealWithDataKey(dataKey, signedMessage, heldContext(messageId)), wrapped_key: stored.wrapped_data_key, kek_id: stored.kek_id };
  }

  openHeld(row: { message_id: string; sealed: Uint8Array; wrapped_key: Buffer; kek_id: string }): Uint8Array {
    const dataKey = this.dataKeyOf({ wrapped_data_key: row.wrapped_key, kek_id: row.kek_id })!;
    return new Uint8Array(openWithDataKey(dataKey, row.sealed, heldContext(row.message_id)));
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
