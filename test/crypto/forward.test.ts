/**
 * src/crypto/forward.ts through sealForRecipient: the recipient's copy of a partner's message is the
 * sender's own encrypted data packet behind one session-key packet the gateway made for the recipient,
 * and anything the gateway cannot vouch for byte by byte is re-encrypted instead. GnuPG 2.2 plays the
 * senders and the recipient.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import type { AnyPacket, PublicKey } from 'openpgp';
import { openDelivered, openFromPartner, type OpenedMessage } from '../../src/crypto/open.js';
import { sealForRecipient } from '../../src/crypto/seal.js';
import { MAX_DOCUMENT_BYTES, openpgpParties, party, sampleDocument, type OpenpgpParties, type Party } from '../fixtures/openpgp-parties.js';

/** The bytes of a packet's data as openpgp read it: bytes, or a stream of chunks. */
async function bytesOf(data: unknown): Promise<Buffer> {
  if (data instanceof Uint8Array) return Buffer.from(data);
  const reader = (data as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    chunks.push(value);
  }
}

interface Envelope {
  /** The public-key encrypted session key packets, in order. */
  sessionKeyPackets: openpgp.PublicKeyEncryptedSessionKeyPacket[];
  /** The encrypted data packet's version and ciphertext. */
  seipd: { version: number; ciphertext: Buffer };
}

async function envelopeOf(message: Uint8Array | string): Promise<Envelope> {
  const text = typeof message === 'string' ? message : Buffer.from(message).toString('latin1');
  const read = text.startsWith('-----BEGIN PGP MESSAGE-----') ? await openpgp.readMessage({ armoredMessage: text }) : await openpgp.readMessage({ binaryMessage: message as Uint8Array });
  const packets = [...read.packets] as AnyPacket[];
  const data = packets.find((p) => p instanceof openpgp.SymEncryptedIntegrityProtectedDataPacket) as unknown as { version: number; encrypted: unknown };
  expect(data, 'an encrypted data packet').to.not.equal(undefined);
  expect(packets.filter((p) => !(p instanceof openpgp.PublicKeyEncryptedSessionKeyPacket)), 'nothing but session keys and the data').to.have.length(1);
  return {
    sessionKeyPackets: packets.filter((p): p is openpgp.PublicKeyEncryptedSessionKeyPacket => p instanceof openpgp.PublicKeyEncryptedSessionKeyPacket),
    seipd: { version: data.version, ciphertext: await bytesOf(data.encrypted) },
  };
}

const keyIdOf = (packet: openpgp.PublicKeyEncryptedSessionKeyPacket) => (packet as unknown as { publicKeyID: openpgp.KeyID }).publicKeyID.toHex();

describe('crypto/forward: the sender ciphertext, forwarded with a session key wrapped for the recipient', function () {
  this.timeout(60_000);
  let parties: OpenpgpParties;
  let sender: Party;
  let gateway: Party;
  let recipient: Party;
  let recipientSubkey: string;

  before(async () => {
    parties = await openpgpParties();
    ({ sender, gateway, recipient } = parties);
    recipientSubkey = (await recipient.publicKey.getEncryptionKey()).getKeyID().toHex();
  });
  after(async () => {
    await parties?.remove();
  });

  /** The gateway opening a message of the sender that may also be encrypted to the recipient. */
  const open = (message: Uint8Array, decryptionKey = gateway.key) =>
    openFromPartner({ message, decryptionKey, senderKeys: [sender.publicKey], knownKeys: [recipient.publicKey], maxDocumentBytes: MAX_DOCUMENT_BYTES });
  const seal = (opened: OpenedMessage, recipientKeys: PublicKey[] = [recipient.publicKey]) =>
    sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys, ...(opened.sent === undefined ? {} : { sent: opened.sent }) });

  /** GnuPG, holding the recipient's secret key, verifies the sender's signature over `document`. */
  async function recipientVerifies(delivery: string, document: Uint8Array): Promise<void> {
    const read = await parties.gnupgReads(delivery);
    expect(read.valid.map((sig) => sig.primaryFingerprint)).to.deep.equal([sender.fingerprint.toUpperCase()]);
    expect(read.content.equals(Buffer.from(document))).to.equal(true);
    const byClient = await openDelivered({ message: delivery, decryptionKey: recipient.key, senderKeys: [sender.publicKey], maxDocumentBytes: MAX_DOCUMENT_BYTES });
    expect(Buffer.from(byClient.document).equals(Buffer.from(document))).to.equal(true);
  }

  async function expectForwarded(message: Uint8Array, document: Uint8Array): Promise<string> {
    const delivery = await seal(await open(message));
    const sent = await envelopeOf(message);
    const forwarded = await envelopeOf(delivery);
    expect(forwarded.seipd.version).to.equal(1);
    expect(forwarded.seipd.ciphertext.equals(sent.seipd.ciphertext), "the sender's ciphertext, untouched").to.equal(true);
    expect(forwarded.sessionKeyPackets.map(keyIdOf)).to.deep.equal([recipientSubkey]);
    await recipientVerifies(delivery, document);
    return delivery;
  }

  async function expectReencrypted(opened: OpenedMessage, message: Uint8Array, document: Uint8Array): Promise<void> {
    const delivery = await seal(opened);
    const forwarded = await envelopeOf(delivery);
    expect(forwarded.seipd.version).to.equal(1);
    expect(forwarded.seipd.ciphertext.equals((await envelopeOf(message)).seipd.ciphertext), 're-encrypted, not forwarded').to.equal(false);
    expect(forwarded.sessionKeyPackets.map(keyIdOf)).to.deep.equal([recipientSubkey]);
    await recipientVerifies(delivery, document);
  }

  it("forwards the sender's encrypted data packet untouched behind one session-key packet for the recipient (GnuPG sender, gateway only)", async () => {
    const document = sampleDocument(40);
    await expectForwarded(await parties.gpgMessage(parties.signEncryptArgs(), document), document);
  });

  it('forwards GnuPG messages armored and binary, compressed with ZIP or ZLIB or not compressed', async () => {
    const document = sampleDocument(60);
    for (const extra of [['--armor'], ['-z', '0'], ['--compress-algo', 'zip'], ['--compress-algo', 'zlib', '--armor']]) {
      await expectForwarded(await parties.gpgMessage(parties.signEncryptArgs(...extra), document), document);
    }
  });

  it('drops every session-key packet of the sender, its own for the recipient included, and wraps the session key again', async () => {
    const document = sampleDocument(10);
    const message = await parties.gpgMessage(parties.signEncryptArgs('-r', recipient.fingerprint, '-r', sender.fingerprint), document);
    const sent = await envelopeOf(message);
    expect(sent.sessionKeyPackets).to.have.length(3);
    const delivery = await expectForwarded(message, document);
    const forwardedPacket = (await envelopeOf(delivery)).sessionKeyPackets[0]!.write();
    const sendersPacket = sent.sessionKeyPackets.find((p) => keyIdOf(p) === recipientSubkey)!.write();
    expect(Buffer.from(forwardedPacket).equals(Buffer.from(sendersPacket)), "the gateway's own packet, not the sender's").to.equal(false);
  });

  /**
   * A message as a sender's software could write it: `plaintext` encrypted in a SEIPD v1 packet with a
   * fresh session key, wrapped for the gateway, after `before` (session-key packets for other keys).
   */
  async function sealedByHand(plaintext: Uint8Array, before: (sessionKey: Uint8Array) => Promise<AnyPacket[]> = async () => []): Promise<Uint8Array> {
    const sessionKey = randomBytes(32);
    const factory = openpgp.SymEncryptedIntegrityProtectedDataPacket as unknown as { fromObject(o: { version: number }): AnyPacket };
    const data = factory.fromObject({ version: 1 }) as unknown as { packets: { write(): Uint8Array }; encrypt(algorithm: number, key: Uint8Array): Promise<void> };
    data.packets = { write: () => plaintext };
    await data.encrypt(openpgp.enums.symmetric.aes256, sessionKey);
    const wrapped = await openpgp.encryptSessionKey({ data: sessionKey, algorithm: 'aes256', encryptionKeys: gateway.publicKey, format: 'object' });
    const packets = new openpgp.PacketList<AnyPacket>();
    packets.push(...(await before(sessionKey)), ...wrapped.packets, data as unknown as AnyPacket);
    return new openpgp.Message(packets).write() as Uint8Array;
  }

  const signedBySender = async (document: Uint8Array) =>
    (await openpgp.sign({ message: await openpgp.createMessage({ binary: document }), signingKeys: sender.key, format: 'binary' })) as Uint8Array;

  it('delivers a message whose session-key packet for the recipient holds another key: the gateway wraps the key it checked', async () => {
    const document = sampleDocument(10);
    let decoy: AnyPacket[] = [];
    const message = await sealedByHand(await signedBySender(document), async () => {
      decoy = [...(await openpgp.encryptSessionKey({ data: randomBytes(32), algorithm: 'aes256', encryptionKeys: recipient.publicKey, format: 'object' })).packets];
      return decoy;
    });
    // The recipient cannot read the message the sender made for it...
    const read = await parties.gpg.run(['--trust-model', 'always', '--decrypt'], { stdin: message, allowFailure: true });
    expect(read.code).to.not.equal(0);
    // ...but reads what the gateway forwards.
    await expectForwarded(message, document);
  });

  it('re-encrypts, never forwards, a plaintext holding a packet openpgp skips (a marker packet after the signature)', async () => {
    const document = sampleDocument(10);
    const marker = new openpgp.PacketList<AnyPacket>();
    marker.push(new openpgp.MarkerPacket());
    const message = await sealedByHand(Buffer.concat([await signedBySender(document), marker.write() as Uint8Array]));
    const opened = await open(message);
    expect(opened.sent, 'SEIPD v1: a candidate for forwarding').to.not.equal(undefined);
    await expectReencrypted(opened, message, document);
  });

  it('re-encrypts a SEIPD version 2 (AEAD) message to SEIPD version 1, which GnuPG 2.2 reads', async () => {
    const aeadGateway = await party('aead-gateway', { type: 'ecc', curve: 'curve25519Legacy', config: { aeadProtect: true } });
    const document = sampleDocument(10);
    const message = (await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: document }),
      signingKeys: sender.key,
      encryptionKeys: aeadGateway.publicKey,
      format: 'binary',
      config: { aeadProtect: true },
    })) as Uint8Array;
    expect((await envelopeOf(message)).seipd.version).to.equal(2);
    const opened = await open(message, aeadGateway.key);
    expect(opened.sent).to.equal(undefined);
    await expectReencrypted(opened, message, document);
  });

  it('re-encrypts an AES-192 message for a recipient whose key does not list AES-192 (openpgp.js would refuse it), and forwards it to one that does', async () => {
    // openpgp.js, the gateway included, opens AES-192 only for a key that lists it.
    const aes192 = { type: 'ecc', curve: 'curve25519Legacy', config: { preferredSymmetricAlgorithm: openpgp.enums.symmetric.aes192 } } as const;
    const [aes192Gateway, aes192Recipient] = await Promise.all([party('aes192-gateway', aes192), party('aes192-recipient', aes192)]);
    const document = sampleDocument(10);
    const message = (await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: document }),
      signingKeys: sender.key,
      encryptionKeys: aes192Gateway.publicKey,
      sessionKey: { data: randomBytes(24), algorithm: 'aes192' },
      format: 'binary',
    })) as Uint8Array;
    expect((await recipient.publicKey.getPrimaryUser()).selfCertification.preferredSymmetricAlgorithms).to.not.include(openpgp.enums.symmetric.aes192);
    await expectReencrypted(await open(message, aes192Gateway.key), message, document);

    const delivery = await seal(await open(message, aes192Gateway.key), [aes192Recipient.publicKey]);
    expect((await envelopeOf(delivery)).seipd.ciphertext.equals((await envelopeOf(message)).seipd.ciphertext), 'forwarded').to.equal(true);
    const byClient = await openDelivered({ message: delivery, decryptionKey: aes192Recipient.key, senderKeys: [sender.publicKey], maxDocumentBytes: MAX_DOCUMENT_BYTES });
    expect(Buffer.from(byClient.document).equals(Buffer.from(document))).to.equal(true);
  });

  it('re-encrypts a BZip2-compressed message (node has no BZip2 inflater to check it), which GnuPG still reads', async () => {
    const document = sampleDocument(30);
    const message = await parties.gpgMessage(parties.signEncryptArgs('--compress-algo', 'bzip2'), document);
    await expectReencrypted(await open(message), message, document);
  });
});
