/**
 * src/crypto/intended-recipients.ts: Intended Recipient Fingerprint subpackets (RFC 9580 section
 * 5.2.3.36) as Sequoia writes them (`sq encrypt --signer-key`), read by the gateway before it seals a
 * partner's message for its recipient, and by the project's client when it opens a delivery.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import * as openpgp from 'openpgp';
import type { AnyPacket, SignaturePacket } from 'openpgp';
import { fullConfig } from '../../src/crypto/config.js';
import { forwardSentCiphertext } from '../../src/crypto/forward.js';
import { intendedRecipients } from '../../src/crypto/intended-recipients.js';
import { openDelivered, openFromPartner } from '../../src/crypto/open.js';
import { drainPackets, splitSignedLiteral, PARTNER_AUDIENCE } from '../../src/crypto/packets.js';
import { sealForRecipient } from '../../src/crypto/seal.js';
import { expectRefused, MAX_DOCUMENT_BYTES, party, sampleDocument, type Party } from '../fixtures/openpgp-parties.js';

const run = promisify(execFile);

describe('crypto/intended-recipients: a signature names the keys it was encrypted to', function () {
  this.timeout(60_000);
  let dir: string;
  let sender: Party;
  let gateway: Party;
  let recipient: Party;
  /** The recipient's newer key, created after `recipient`: the one the gateway seals to once both are registered. */
  let recipientNext: Party;
  const file = (p: Party, secret = false) => path.join(dir, `${p.name}${secret ? '.key' : ''}.asc`);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-intended-'));
    // The recipient's first key a minute older than its next: the gateway seals to the newest.
    const aMinuteAgo = new Date(Date.now() - 60_000);
    [sender, gateway, recipient, recipientNext] = await Promise.all([
      party('sender'),
      party('gateway'),
      party('recipient', { type: 'ecc', curve: 'curve25519Legacy', date: aMinuteAgo }),
      party('recipient-next'),
    ]);
    for (const p of [sender, gateway, recipient, recipientNext]) {
      fs.writeFileSync(file(p), p.publicArmored);
      fs.writeFileSync(file(p, true), p.privateArmored);
    }
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** `sq encrypt --signer-key`: Sequoia signs and names every key it encrypts to. */
  async function sequoiaSeals(document: Uint8Array, readers: Party[]): Promise<Uint8Array> {
    const input = path.join(dir, 'document.json');
    fs.writeFileSync(input, document);
    const { stdout } = await run('sq', ['encrypt', '--binary', '--signer-key', file(sender, true), ...readers.flatMap((r) => ['--recipient-cert', file(r)]), input], { encoding: 'buffer' });
    return stdout;
  }

  const open = (message: Uint8Array) =>
    openFromPartner({ message, decryptionKey: gateway.key, senderKeys: [sender.publicKey], knownKeys: [recipient.publicKey, recipientNext.publicKey], maxDocumentBytes: MAX_DOCUMENT_BYTES });

  async function signatureOf(signedMessage: Uint8Array): Promise<SignaturePacket> {
    const read = await openpgp.readMessage({ binaryMessage: signedMessage });
    return splitSignedLiteral((await drainPackets(read.packets)) as AnyPacket[], PARTNER_AUDIENCE).signature;
  }

  it("reads the fingerprints a Sequoia signature names in its hashed area, and none in a signature that names no recipient", async () => {
    const opened = await open(await sequoiaSeals(sampleDocument(3), [gateway, recipient]));
    expect(intendedRecipients(await signatureOf(opened.signedMessage)).sort()).to.deep.equal([gateway.fingerprint, recipient.fingerprint].sort());
    const bySigned = await openpgp.sign({ message: await openpgp.createMessage({ binary: sampleDocument(3) }), signingKeys: sender.key, format: 'binary' });
    expect(intendedRecipients(await signatureOf(bySigned as Uint8Array))).to.deep.equal([]);
  });

  it('ignores an Intended Recipient subpacket in the unhashed area, which the signature does not cover', async () => {
    const signed = (await openpgp.sign({ message: await openpgp.createMessage({ binary: sampleDocument(3) }), signingKeys: sender.key, format: 'binary' })) as Uint8Array;
    const packets = (await drainPackets((await openpgp.readMessage({ binaryMessage: signed })).packets)) as AnyPacket[];
    const signature = packets[2] as SignaturePacket;
    signature.unhashedSubpackets.push({ type: 35, critical: false, body: Uint8Array.from([4, ...Buffer.from(gateway.fingerprint, 'hex')]) });
    const rewritten = new openpgp.PacketList<AnyPacket>();
    rewritten.push(...packets);
    const reread = await signatureOf(rewritten.write() as Uint8Array);
    expect(reread.unhashedSubpackets.map((subpacket) => subpacket.type)).to.include(35);
    expect(intendedRecipients(reread)).to.deep.equal([]);
  });

  it('refuses to seal for the recipient a message whose signature names the gateway alone (signature_invalid, with how to seal)', async () => {
    const document = sampleDocument(3);
    const opened = await open(await sequoiaSeals(document, [gateway]));
    const refused = await expectRefused(sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys: [recipient.publicKey], ...(opened.sent ? { sent: opened.sent } : {}) }), 'signature_invalid');
    expect(refused.message).to.contain(recipient.fingerprint.toUpperCase()).and.contain('--recipient-cert').and.contain('openpgp-key').and.contain('gpg --sign --encrypt');
  });

  it('seals a message whose signature names the gateway and the recipient, which Sequoia as the recipient then verifies', async () => {
    const document = sampleDocument(3);
    const opened = await open(await sequoiaSeals(document, [gateway, recipient]));
    const delivery = await sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys: [recipient.publicKey], ...(opened.sent ? { sent: opened.sent } : {}) });
    const deliveryFile = path.join(dir, 'delivery.asc');
    fs.writeFileSync(deliveryFile, delivery);
    const { stdout } = await run('sq', ['decrypt', '--recipient-key', file(recipient, true), '--signer-cert', file(sender), deliveryFile], { encoding: 'buffer' });
    expect(stdout.equals(Buffer.from(document))).to.equal(true);
  });

  it("refuses a signature that names the recipient's older key when the gateway seals to its newest one", async () => {
    const opened = await open(await sequoiaSeals(sampleDocument(3), [gateway, recipient]));
    await expectRefused(sealForRecipient({ signedMessage: opened.signedMessage, recipientKeys: [recipient.publicKey, recipientNext.publicKey] }), 'signature_invalid', recipientNext.fingerprint.toUpperCase());
  });

  it("the project's client refuses a delivery whose signature names other recipients than its key, as Sequoia does", async () => {
    const document = sampleDocument(3);
    const opened = await open(await sequoiaSeals(document, [gateway]));
    // What a gateway that did not check would deliver.
    const forwarded = await forwardSentCiphertext({ sent: opened.sent!, signedMessage: opened.signedMessage, recipientKey: recipient.publicKey, config: fullConfig({ maxDocumentBytes: MAX_DOCUMENT_BYTES }) });
    expect(forwarded).to.be.a('string');
    await expectRefused(openDelivered({ message: forwarded!, decryptionKey: recipient.key, senderKeys: [sender.publicKey], maxDocumentBytes: MAX_DOCUMENT_BYTES }), 'signature_invalid', 'intended recipients');
  });
});
