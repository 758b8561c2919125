/**
 * The packet structures the gateway accepts, checked on the packets themselves before any signature is
 * verified: an encrypted message is public-key encrypted session key(s) and one integrity-protected
 * data packet; what it decrypts to is exactly a one-pass signed literal (RFC 9580 section 10.3:
 * one-pass signature, literal data, signature). Anything else (several literals, a second signature,
 * a signature before the document) is refused here, whatever openpgp's grammar check lets through.
 *
 * Also the packet handling that opening and sealing share: reading every packet of a list, rebuilding
 * the one-pass form, reading the literal's bytes.
 */
import {
  AEADEncryptedDataPacket,
  CompressedDataPacket,
  LiteralDataPacket,
  Message,
  OnePassSignaturePacket,
  PacketList,
  PublicKeyEncryptedSessionKeyPacket,
  SignaturePacket,
  SymEncryptedIntegrityProtectedDataPacket,
  SymEncryptedSessionKeyPacket,
  SymmetricallyEncryptedDataPacket,
} from 'openpgp';
import type { AnyPacket, KeyID } from 'openpgp';
import { GatewayError } from '../domain/errors.js';

/** Who holds the decryption key, to word refusals for the person who can fix them. */
export interface Audience {
  /** Whose key the message must be encrypted to, as the reader of the refusal calls it. */
  decryptionKey: string;
  /** What the sender must do to sign correctly. */
  signWith: string;
}

/** The gateway reading a partner's message: the refusal goes back to the partner that sent it. */
export const PARTNER_AUDIENCE: Audience = {
  decryptionKey: "the gateway's current public key",
  signWith: 'sign it once, inline (gpg --sign --encrypt), with the key registered for your organisation',
};

/** A recipient reading a delivery: the sender is out of reach, the gateway operator is not. */
export const RECIPIENT_AUDIENCE: Audience = {
  decryptionKey: 'your registered key',
  signWith: 'ask the gateway operator to check the sender key registered in the trust configuration',
};

/** The two halves of a one-pass signed literal that matter once its form was checked. */
export interface SignedParts {
  literal: LiteralDataPacket;
  signature: SignaturePacket;
}

/**
 * Checks the outer packets before any secret-key operation: public-key encrypted session key(s) and
 * one integrity-protected encrypted data packet (SEIPD, RFC 9580 section 5.13). Returns that packet.
 */
export function assertEncryptedEnvelope(message: Message<Uint8Array | string>, audience: Audience): AnyPacket {
  const packets = [...message.packets];
  if (packets.some((packet) => packet instanceof SymmetricallyEncryptedDataPacket)) {
    throw new GatewayError('malformed_message', 'The message has no integrity protection (Symmetrically Encrypted Data packet, RFC 4880 section 5.7); encrypt it with a current OpenPGP tool, without --rfc2440 or --disable-mdc.');
  }
  const encrypted = packets.filter(
    (packet) => packet instanceof SymEncryptedIntegrityProtectedDataPacket || packet instanceof AEADEncryptedDataPacket,
  );
  if (encrypted.length === 0) {
    throw new GatewayError('malformed_message', 'The message is not encrypted (signed only, a detached signature or a key); sign and encrypt it with gpg --sign --encrypt.');
  }
  if (!packets.some((packet) => packet instanceof PublicKeyEncryptedSessionKeyPacket)) {
    if (packets.some((packet) => packet instanceof SymEncryptedSessionKeyPacket)) {
      throw new GatewayError('malformed_message', `The message is encrypted with a passphrase only; encrypt it to ${audience.decryptionKey} instead.`);
    }
    throw new GatewayError('malformed_message', `The message carries no encrypted session key; encrypt it to ${audience.decryptionKey}.`);
  }
  return encrypted[0]!;
}

/**
 * The decrypted content must be exactly a one-pass signed literal (RFC 9580 section 10.3):
 * one-pass signature, literal data, signature. Anything else is refused before verification.
 */
export function splitSignedLiteral(packets: AnyPacket[], audience: Audience): SignedParts {
  const literals = packets.filter((packet): packet is LiteralDataPacket => packet instanceof LiteralDataPacket);
  const signatures = packets.filter((packet): packet is SignaturePacket => packet instanceof SignaturePacket);
  const onePass = packets.filter((packet): packet is OnePassSignaturePacket => packet instanceof OnePassSignaturePacket);
  if (literals.length !== 1 || literals.length + signatures.length + onePass.length !== packets.length) {
    throw new GatewayError('malformed_message', 'The decrypted message is not a signed document (one literal data packet with its signature); send the output of gpg --sign --encrypt.');
  }
  if (signatures.length === 0) {
    throw new GatewayError('signature_invalid', `The message carries no signature; ${audience.signWith}.`);
  }
  if (signatures.length > 1) {
    throw new GatewayError('signature_invalid', `The message carries ${signatures.length} signatures; ${audience.signWith}.`);
  }
  const literalIndex = packets.indexOf(literals[0]!);
  if (onePass.length !== 1 || packets[0] !== onePass[0] || literalIndex !== 1 || packets[2] !== signatures[0]) {
    throw new GatewayError('malformed_message', 'The signature is not in one-pass form (one-pass signature, document, signature); sign and encrypt with gpg --sign --encrypt.');
  }
  const ops = onePass[0] as unknown as { issuerKeyID: KeyID; hashAlgorithm: number; signatureType: number };
  const signature = signatures[0]!;
  if (!ops.issuerKeyID.equals(signature.issuerKeyID) || ops.hashAlgorithm !== signature.hashAlgorithm || ops.signatureType !== signature.signatureType) {
    throw new GatewayError('malformed_message', 'The one-pass signature header does not match the signature that follows the document; sign and encrypt again with gpg --sign --encrypt.');
  }
  return { literal: literals[0]!, signature };
}

/**
 * The packets in one-pass order (one-pass signature, literal data, signature), the header rebuilt from
 * the signature itself: re-encrypting openpgp's decrypted message object would silently drop the
 * trailing signature, and `appendSignature` yields a form GnuPG 2.2 refuses (openpgp-notes, fact 3).
 */
export function onePassSigned(parts: SignedParts): PacketList<AnyPacket> {
  const packets = new PacketList<AnyPacket>();
  packets.push(onePassFor(parts.signature), parts.literal, parts.signature);
  return packets;
}

/**
 * All packets of a list, including those openpgp leaves in the list's internal stream after the first
 * data packet (the trailing signature packets of a one-pass signed message).
 */
export async function drainPackets(list: PacketList<AnyPacket>): Promise<AnyPacket[]> {
  const packets: AnyPacket[] = [...list];
  const stream = (list as unknown as { stream?: { getReader(): { read(): Promise<{ done: boolean; value?: AnyPacket }> } } | null }).stream;
  if (stream) {
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value !== undefined) packets.push(value);
    }
  }
  return packets;
}

/**
 * The packets of a decrypted or stored signed message, taken out of its compressed data packet when it
 * is one (RFC 9580 section 5.6): GnuPG compresses by default.
 */
export async function contentPackets(list: PacketList<AnyPacket>): Promise<AnyPacket[]> {
  const packets = await drainPackets(list);
  if (packets.length === 1 && packets[0] instanceof CompressedDataPacket) {
    return drainPackets((packets[0] as unknown as { packets: PacketList<AnyPacket> }).packets);
  }
  return packets;
}

/** The one-pass signature header announcing `signature` (RFC 9580 section 5.4), flagged as the last one. */
function onePassFor(signature: SignaturePacket): OnePassSignaturePacket {
  const factory = OnePassSignaturePacket as unknown as {
    fromSignaturePacket(signature: SignaturePacket, isLast: boolean): OnePassSignaturePacket;
  };
  return factory.fromSignaturePacket(signature, true);
}

export function literalBytes(literal: LiteralDataPacket): Uint8Array {
  const bytes = (literal as unknown as { getBytes(clone?: boolean): unknown }).getBytes(true);
  if (!(bytes instanceof Uint8Array)) {
    throw new GatewayError('internal', 'The literal data was not fully read; this is a defect of the gateway.');
  }
  return bytes;
}
