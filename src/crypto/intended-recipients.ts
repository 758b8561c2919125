/**
 * Intended Recipient Fingerprint subpackets (RFC 9580 section 5.2.3.36): a signature made while
 * encrypting may name the primary keys it was encrypted to, and is then valid only in an encrypted
 * context where the key it was decrypted with is one of them (section 13.12, surreptitious
 * forwarding). Sequoia writes them and checks them ("Not an intended recipient"); GnuPG 2.2 and RNP
 * neither write nor check them.
 *
 * The gateway delivers the sender's signature to the recipient unchanged, so it applies the
 * recipient's strictest reading before accepting: when the signature names intended recipients, the
 * key the gateway delivers to must be among them, or a recipient running Sequoia would refuse a message
 * the gateway accepted. The gateway itself need not be named: it decrypts the message as its
 * sender's chosen relay, and the sender is bound by its client certificate and its signing key, so no
 * third party can forward a partner's message to the gateway.
 */
import type { PublicKey, SignaturePacket } from 'openpgp';
import { GatewayError } from '../domain/errors.js';

/** Subpacket type 35 (RFC 9580 section 5.2.3.36), which openpgp 6.3.2 keeps among its unknown subpackets. */
const INTENDED_RECIPIENT_FINGERPRINT = 35;

/**
 * The fingerprints (lower-case hex, without the key version octet) named by the signature's hashed
 * Intended Recipient Fingerprint subpackets. Subpackets in the unhashed area are not covered by the
 * signature, anyone may add them, and no implementation reads them: they are ignored (openpgp does not
 * even keep them among its unknown subpackets).
 */
export function intendedRecipients(signature: SignaturePacket): string[] {
  return signature.unknownSubpackets
    .filter((subpacket) => subpacket.type === INTENDED_RECIPIENT_FINGERPRINT && subpacket.body.length > 1)
    .map((subpacket) => Buffer.from(subpacket.body.subarray(1)).toString('hex'));
}

/** True when the signature names no intended recipient, or names `key`'s primary key (the one fingerprint Sequoia compares). */
export function namesRecipient(signature: SignaturePacket, key: PublicKey): boolean {
  const named = intendedRecipients(signature);
  return named.length === 0 || named.includes(key.getFingerprint().toLowerCase());
}

/**
 * Gateway side: the key the gateway will deliver the sender's message to must be among the intended
 * recipients of its signature, when it names any.
 * @throws GatewayError 'signature_invalid' with how to seal instead.
 */
export function assertDeliverableTo(signature: SignaturePacket, recipientKey: PublicKey): void {
  if (namesRecipient(signature, recipientKey)) return;
  const fingerprint = recipientKey.getFingerprint().toUpperCase();
  throw new GatewayError(
    'signature_invalid',
    'The signature names its intended recipients (Intended Recipient Fingerprint, RFC 9580 section 5.2.3.36), and the current key of ' +
      `header.recipient (${fingerprint}) is not among them: the recipient's OpenPGP software would refuse the delivered message as not meant for it. ` +
      "Encrypt to both the gateway's key and the recipient's current key (GET /v1/partners/{header.recipient}/openpgp-key), for example " +
      'sq encrypt --recipient-cert gateway.asc --recipient-cert recipient.asc --signer-key your-key.asc, or sign without intended recipients (gpg --sign --encrypt).',
  );
}

/**
 * Recipient side (CLI `consume`): the key that decrypted the delivery must be among the intended
 * recipients of the signature, when it names any, as Sequoia checks it.
 * @throws GatewayError 'signature_invalid'
 */
export function assertReceivedAs(signature: SignaturePacket, decryptionKey: PublicKey): void {
  if (namesRecipient(signature, decryptionKey)) return;
  throw new GatewayError(
    'signature_invalid',
    `The sender's signature names other intended recipients than your key ${decryptionKey.getFingerprint().toUpperCase()} (RFC 9580 section 5.2.3.36): ` +
      'the message was forwarded outside the context it was signed for. Do not use it; tell the gateway operator.',
  );
}
