/**
 * src/crypto/session-key-wrap.ts: the session-key packet the gateway makes for a forwarded message
 * (node's X25519, SHA-2 and AES key wrap for Curve25519Legacy keys; openpgp for the others) opens with
 * the recipient's key in openpgp and in GnuPG 2.2, and the recipient's encryption key is checked again
 * once its choice is older than RESELECT_AFTER_MS.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import { enums } from 'openpgp';
import { RESELECT_AFTER_MS } from '../../src/crypto/key-selection.js';
import { packetHeader, wrapSessionKey } from '../../src/crypto/session-key-wrap.js';
import { unwrapSessionKeys } from '../../src/crypto/session-key-unwrap.js';
import { fullConfig } from '../../src/crypto/config.js';

const HARDENED_CONFIG = fullConfig({ maxDocumentBytes: 1 << 20 });
import { party, type Party } from '../fixtures/openpgp-parties.js';
import { GnupgHome } from '../fixtures/gpg.js';

/** A SEIPD v1 message made by openpgp for `key`, and its session key, to wrap again. */
async function encryptedFor(key: openpgp.PublicKey, text: string): Promise<{ seipd: Uint8Array; sessionKey: openpgp.SessionKey }> {
  const sessionKey = { data: randomBytes(32), algorithm: 'aes256' as const };
  const binary = await openpgp.encrypt({ message: await openpgp.createMessage({ text }), encryptionKeys: key, sessionKey, format: 'binary', config: { aeadProtect: false } });
  // The first packet is openpgp's session-key packet (new format, RFC 9580 section 4.2.1): what follows is the data packet.
  expect(binary[0]).to.equal(0xc1);
  const first = binary[1]!;
  const headerBytes = first < 192 ? 2 : first < 224 ? 3 : 6;
  const length = first < 192 ? first : first < 224 ? ((first - 192) << 8) + binary[2]! + 192 : Buffer.from(binary).readUInt32BE(2);
  return { seipd: binary.subarray(headerBytes + length), sessionKey };
}

async function unwrapped(packetBytes: Uint8Array, recipient: Party): Promise<{ data: Uint8Array; algorithm: string | null }> {
  const message = await openpgp.readMessage({ binaryMessage: packetBytes });
  const [key] = await openpgp.decryptSessionKeys({ message, decryptionKeys: recipient.key });
  return key!;
}

describe('crypto/session-key-wrap: a session key wrapped again for the recipient', function () {
  this.timeout(60_000);
  let recipient: Party;
  let rsaRecipient: Party;

  before(async () => {
    recipient = await party('recipient');
    rsaRecipient = await party('rsa-recipient', { type: 'rsa', rsaBits: 2048 });
  });

  // AES-192 is wrapped the same way; openpgp.js refuses it unless the key prefers it (src/crypto/forward.ts), so it is not forwarded to openpgp.js readers.
  for (const algorithm of [enums.symmetric.aes128, enums.symmetric.aes256]) {
    it(`openpgp unwraps the session key node wrapped for a Curve25519Legacy key (${enums.read(enums.symmetric, algorithm)})`, async () => {
      const sessionKey = randomBytes(algorithm === enums.symmetric.aes128 ? 16 : 32);
      const packet = await wrapSessionKey({ recipientKey: recipient.publicKey, sessionKey, algorithm, config: HARDENED_CONFIG });
      const key = await unwrapped(packet, recipient);
      expect(Buffer.from(key.data).equals(sessionKey)).to.equal(true);
      expect(key.algorithm).to.equal(enums.read(enums.symmetric, algorithm));
    });
  }

  it('makes a new ephemeral key for every packet, naming the recipient subkey openpgp would choose', async () => {
    const sessionKey = randomBytes(32);
    const first = await wrapSessionKey({ recipientKey: recipient.publicKey, sessionKey, algorithm: enums.symmetric.aes256, config: HARDENED_CONFIG });
    const second = await wrapSessionKey({ recipientKey: recipient.publicKey, sessionKey, algorithm: enums.symmetric.aes256, config: HARDENED_CONFIG });
    expect(Buffer.from(first).equals(Buffer.from(second))).to.equal(false);
    const [packet] = (await openpgp.readMessage({ binaryMessage: first })).packets as unknown as Array<{ publicKeyID: openpgp.KeyID; version: number }>;
    expect(packet!.version).to.equal(3);
    expect(packet!.publicKeyID.toHex()).to.equal((await recipient.publicKey.getEncryptionKey()).getKeyID().toHex());
  });

  it('falls back to openpgp for an RSA key, which unwraps too', async () => {
    const sessionKey = randomBytes(32);
    const packet = await wrapSessionKey({ recipientKey: rsaRecipient.publicKey, sessionKey, algorithm: enums.symmetric.aes256, config: HARDENED_CONFIG });
    expect(Buffer.from((await unwrapped(packet, rsaRecipient)).data).equals(sessionKey)).to.equal(true);
  });

  it('GnuPG 2.2 decrypts a message whose session-key packet node made', async () => {
    const { seipd, sessionKey } = await encryptedFor(recipient.publicKey, 'bonjour');
    const packet = await wrapSessionKey({ recipientKey: recipient.publicKey, sessionKey: sessionKey.data, algorithm: enums.symmetric.aes256, config: HARDENED_CONFIG });
    const gpg = await GnupgHome.create();
    try {
      await gpg.importKeys(recipient.privateArmored);
      const opened = await gpg.run(['--decrypt'], { stdin: Buffer.concat([packet, seipd]) });
      expect(opened.stdout.toString('utf8')).to.equal('bonjour');
    } finally {
      await gpg.remove();
    }
  });

  it('checks the recipient key again once its choice is older than the re-check period: an expired key is refused then', async () => {
    const expiring = await party('expiring', { type: 'ecc', curve: 'curve25519Legacy', keyExpirationTime: 3600 });
    const now = Date.now();
    const sessionKey = randomBytes(32);
    await wrapSessionKey({ recipientKey: expiring.publicKey, sessionKey, algorithm: enums.symmetric.aes256, config: HARDENED_CONFIG, now });
    // Within the period the choice is reused; past the key's expiry, a new check finds no valid key.
    const later = now + 3600_000 + RESELECT_AFTER_MS;
    let refused: unknown;
    await wrapSessionKey({ recipientKey: expiring.publicKey, sessionKey, algorithm: enums.symmetric.aes256, config: HARDENED_CONFIG, now: later }).catch((err: unknown) => (refused = err));
    expect(refused, 'an expired key is not used').to.be.instanceOf(Error);
  });

  it('ends the choice of a recipient key at its expiration, within the re-selection period', async () => {
    const soon = await party('soon', { type: 'ecc', curve: 'curve25519Legacy', keyExpirationTime: 30 });
    const now = Date.now();
    const sessionKey = randomBytes(32);
    await wrapSessionKey({ recipientKey: soon.publicKey, sessionKey, algorithm: enums.symmetric.aes256, config: HARDENED_CONFIG, now });
    let refused: unknown;
    await wrapSessionKey({ recipientKey: soon.publicKey, sessionKey, algorithm: enums.symmetric.aes256, config: HARDENED_CONFIG, now: now + 31_000 }).catch((err: unknown) => (refused = err));
    expect(31_000, 'inside the re-selection period').to.be.below(RESELECT_AFTER_MS);
    expect(refused, 'a key past its expiration is not used, though chosen less than a minute ago').to.be.instanceOf(Error);
  });

  it('writes packet lengths in one, two and five octets (RFC 9580 section 4.2.1)', () => {
    expect([...packetHeader(18, 191)]).to.deep.equal([0xd2, 191]);
    expect([...packetHeader(18, 192)]).to.deep.equal([0xd2, 192, 0]);
    expect([...packetHeader(18, 8383)]).to.deep.equal([0xd2, 223, 255]);
    expect([...packetHeader(18, 8384)]).to.deep.equal([0xd2, 0xff, 0, 0, 0x20, 0xc0]);
  });
});

describe('crypto/session-key-unwrap: the session key of a message for the gateway, taken out with node', function () {
  this.timeout(60_000);
  let gateway: Party;
  let rsaGateway: Party;

  before(async () => {
    gateway = await party('gateway');
    rsaGateway = await party('rsa-gateway', { type: 'rsa', rsaBits: 2048 });
  });

  async function messageFor(key: openpgp.PublicKey, sessionKey?: openpgp.SessionKey): Promise<openpgp.Message<Uint8Array>> {
    const binary = await openpgp.encrypt({ message: await openpgp.createMessage({ text: 'bonjour' }), encryptionKeys: key, ...(sessionKey ? { sessionKey } : {}), format: 'binary', config: { aeadProtect: false } });
    return openpgp.readMessage({ binaryMessage: binary });
  }

  it('gives the session key openpgp gives, for a Curve25519Legacy gateway key', async () => {
    const sessionKey = { data: randomBytes(32), algorithm: 'aes256' as const };
    const native = await unwrapSessionKeys(await messageFor(gateway.publicKey, sessionKey), [gateway.key], HARDENED_CONFIG);
    const byOpenpgp = await openpgp.decryptSessionKeys({ message: await messageFor(gateway.publicKey, sessionKey), decryptionKeys: gateway.key, config: HARDENED_CONFIG });
    expect(native).to.deep.equal(byOpenpgp.map((key) => ({ data: new Uint8Array(key.data), algorithm: key.algorithm })));
    expect(Buffer.from(native![0]!.data).equals(sessionKey.data)).to.equal(true);
  });

  it('skips the packets for other readers (the final recipient), as openpgp does', async () => {
    const other = await party('recipient-beside');
    const sessionKey = { data: randomBytes(32), algorithm: 'aes256' as const };
    const binary = await openpgp.encrypt({ message: await openpgp.createMessage({ text: 'bonjour' }), encryptionKeys: [other.publicKey, gateway.publicKey], sessionKey, format: 'binary', config: { aeadProtect: false } });
    const native = await unwrapSessionKeys(await openpgp.readMessage({ binaryMessage: binary }), [gateway.key], HARDENED_CONFIG);
    expect(native?.map((key) => Buffer.from(key.data).toString('hex'))).to.deep.equal([sessionKey.data.toString('hex')]);
  });

  it('leaves an RSA gateway key to openpgp (undefined)', async () => {
    expect(await unwrapSessionKeys(await messageFor(rsaGateway.publicKey), [rsaGateway.key], HARDENED_CONFIG)).to.equal(undefined);
  });

  it('leaves to openpgp a packet whose wrapped key was altered, so that its errors stay those of openpgp', async () => {
    const message = await messageFor(gateway.publicKey);
    const [packet] = message.packets as unknown as Array<{ encrypted: { C: { data: Uint8Array } } }>;
    packet!.encrypted.C.data[3] ^= 0x01;
    expect(await unwrapSessionKeys(message, [gateway.key], HARDENED_CONFIG)).to.equal(undefined);
  });

  it('leaves to openpgp a packet for a key the gateway does not hold', async () => {
    const other = await party('other');
    expect(await unwrapSessionKeys(await messageFor(other.publicKey), [gateway.key], HARDENED_CONFIG)).to.equal(undefined);
  });
});
