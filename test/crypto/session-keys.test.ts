/**
 * The session-key packets of a partner's message (src/crypto/session-keys.ts), checked on messages
 * GnuPG makes as partners make them: what a sender may add beside the gateway's key (its own copy, the
 * final recipient's registered key) opens; what no sender needs is refused before decryption.
 */
import { expect } from 'chai';
import { openFromPartner } from '../../src/crypto/open.js';
import { MAX_SESSION_KEY_PACKETS, MAX_TOP_LEVEL_PACKETS, scanPackets } from '../../src/crypto/session-keys.js';
import { expectRefused, MAX_DOCUMENT_BYTES, openpgpParties, party, type OpenpgpParties, type Party } from '../fixtures/openpgp-parties.js';

const DOCUMENT = new TextEncoder().encode('{"header":{},"body":{}}');

describe('crypto/session-keys', function () {
  this.timeout(60_000);
  let p: OpenpgpParties;
  let outsider: Party;

  before(async () => {
    p = await openpgpParties();
    outsider = await party('outsider');
    await p.gpg.importKeys(outsider.publicArmored);
  });
  after(async () => p?.remove());

  /** `gpg --sign --encrypt` by the sender to the gateway and to `also`. */
  function sealedTo(also: Party[], ...extra: string[]): Promise<Buffer> {
    return p.gpgMessage(['-u', p.sender.fingerprint, '-r', p.gateway.fingerprint, ...also.flatMap((party) => ['-r', party.fingerprint]), ...extra, '--sign', '--encrypt'], DOCUMENT);
  }

  describe('what partners send is opened', () => {
    it('encrypted to the gateway, the final recipient (a registered key) and the sender itself (gpg encrypt-to)', async () => {
      const message = await sealedTo([p.recipient], '--encrypt-to', p.sender.fingerprint);
      expect(scanPackets(message, 100)).to.deep.equal({ packets: 4, sessionKeys: 3 });
      const opened = await openFromPartner({ message, decryptionKey: p.gateway.key, senderKeys: [p.sender.publicKey], knownKeys: [p.recipient.publicKey, p.other.publicKey], maxDocumentBytes: MAX_DOCUMENT_BYTES });
      expect(opened.document).to.deep.equal(DOCUMENT);
      // The recipient's key is known only as a registered partner's: without it, its packet is refused.
      await expectRefused(p.open(message), 'malformed_message', /neither the gateway's nor a registered partner's key/);
    });

    it('armored as well as binary', async () => {
      const message = await sealedTo([], '--armor');
      expect((await p.open(message)).document).to.deep.equal(DOCUMENT);
    });
  });

  describe('refused before any decryption', () => {
    it('a session-key packet for a key that is neither the gateway\'s, the sender\'s nor a registered partner\'s', async () => {
      const message = await sealedTo([outsider]);
      const outsiderKeyIds = outsider.publicKey.getKeyIDs().map((id) => id.toHex());
      const error = await expectRefused(p.open(message), 'malformed_message', /neither the gateway's nor a registered partner's key/);
      expect(outsiderKeyIds.some((id) => error.message.includes(id))).to.equal(true);
    });

    it('an anonymous recipient (gpg --throw-keyids)', async () => {
      await expectRefused(p.open(await sealedTo([], '--throw-keyids')), 'malformed_message', /anonymous recipient/);
    });

    it(`more than ${MAX_SESSION_KEY_PACKETS} session-key packets, counted on the packet headers`, async () => {
      const readers = await Promise.all(Array.from({ length: MAX_SESSION_KEY_PACKETS }, (_, i) => party(`reader-${i}`)));
      await p.gpg.importKeys(...readers.map((reader) => reader.publicArmored));
      const message = await sealedTo(readers);
      expect(scanPackets(message, 100).sessionKeys).to.equal(MAX_SESSION_KEY_PACKETS + 1);
      await expectRefused(p.open(message, [p.sender.publicKey]), 'malformed_message', `more than ${MAX_SESSION_KEY_PACKETS} session-key packets`);
      // Armored, the packets are counted on the decoded armor too.
      await expectRefused(p.open(await sealedTo(readers, '--armor'), [p.sender.publicKey]), 'malformed_message', `more than ${MAX_SESSION_KEY_PACKETS} session-key packets`);
    });
  });

  describe('scanPackets reads packet headers only (RFC 9580 section 4.2)', () => {
    it('walks legacy headers, one-, two- and five-octet lengths and partial body lengths, and stops at the limit', () => {
      const legacyOneOctet = [0x84 | 0, 2, 0xaa, 0xbb]; // legacy tag 1 (PKESK), length type 0
      const legacyTwoOctets = [0x8c | 1, 0, 1, 0xcc]; // legacy tag 3 (SKESK), length type 1
      const twoOctet = [0xc0 | 18, 192, 8, ...new Array(200).fill(0)]; // tag 18, (192-192)*256 + 8 + 192 = 200
      const fiveOctet = [0xc0 | 21, 255, 0, 0, 0, 3, 1, 2, 3];
      const partial = [0xc0 | 18, 0xe1, 9, 9, 2, 7, 7]; // partial chunk of 2^1 bytes, then a final length of 2
      const bytes = Uint8Array.from([...legacyOneOctet, ...legacyTwoOctets, ...twoOctet, ...fiveOctet, ...partial]);
      expect(scanPackets(bytes, 100)).to.deep.equal({ packets: 5, sessionKeys: 2 });
      expect(scanPackets(bytes, 3)).to.deep.equal({ packets: 3, sessionKeys: 2 });
      // A byte that is no packet header ends the count; the full parse says what is wrong.
      expect(scanPackets(Uint8Array.from([...legacyOneOctet, 0x01, 0x02]), 100)).to.deep.equal({ packets: 1, sessionKeys: 1 });
    });

    it(`refuses more than ${MAX_TOP_LEVEL_PACKETS} packets around the encrypted data, whatever they are`, async () => {
      const message = await sealedTo([]);
      const markers = new Array(MAX_TOP_LEVEL_PACKETS).fill([0xc0 | 10, 3, 0x50, 0x47, 0x50]).flat();
      const padded = Uint8Array.from([...markers, ...message]);
      expect(scanPackets(padded, 100).packets).to.equal(MAX_TOP_LEVEL_PACKETS + 2);
      await expectRefused(p.open(padded), 'malformed_message', /OpenPGP packets around its encrypted data/);
    });
  });
});
