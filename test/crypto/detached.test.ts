/**
 * src/crypto/detached.ts: detached signatures (receipts, checkpoints, cosignatures) that GnuPG
 * verifies, and the refusals of verification.
 */
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { signDetached, verifyDetached } from '../../src/crypto/detached.js';
import type { GnupgHome } from '../fixtures/gpg.js';
import { validSignatures } from '../fixtures/gpg.js';
import { encoder, expectRefused, openpgpParties, type OpenpgpParties, type Party } from '../fixtures/openpgp-parties.js';

describe('crypto/detached', function () {
  this.timeout(60_000);

  let parties: OpenpgpParties;
  let sender: Party;
  let other: Party;
  let gateway: Party;
  let gpg: GnupgHome;

  before(async () => {
    parties = await openpgpParties();
    ({ sender, other, gateway, gpg } = parties);
  });

  after(async () => {
    await parties?.remove();
  });



  describe('receipts (detached signatures)', () => {
    const answer = encoder.encode('{"acceptedAt":"2026-11-27T09:30:01Z","auditIndex":41,"messageId":"8d4c2f9e-1b7a-4c3e-9f60-2a5b7d9e1c44","payloadSha256":"00","status":"accepted"}');

    it('signDetached makes a receipt that gpg --verify accepts and verifyDetached accepts', async () => {
      const receipt = await signDetached({ data: answer, signingKey: gateway.key });
      expect(receipt).to.match(/^-----BEGIN PGP SIGNATURE-----/);
      await writeFile(path.join(gpg.dir, 'answer.json'), answer);
      await writeFile(path.join(gpg.dir, 'answer.json.asc'), receipt);
      const verified = await gpg.run(['--verify', path.join(gpg.dir, 'answer.json.asc'), path.join(gpg.dir, 'answer.json')]);
      expect(validSignatures(verified.status).map((sig) => sig.primaryFingerprint)).to.deep.equal([gateway.fingerprint.toUpperCase()]);
      await verifyDetached({ data: answer, signature: receipt, verificationKeys: [gateway.publicKey] });
    });

    it('refuses a receipt over other bytes, by another key, or that is not a signature', async () => {
      const receipt = await signDetached({ data: answer, signingKey: gateway.key });
      const altered = answer.slice();
      altered[altered.length - 3] = 0x41;
      await expectRefused(verifyDetached({ data: altered, signature: receipt, verificationKeys: [gateway.publicKey] }), 'receipt_invalid', 'does not verify');
      await expectRefused(verifyDetached({ data: answer, signature: receipt, verificationKeys: [other.publicKey] }), 'receipt_invalid', 'not the gateway key');
      await expectRefused(verifyDetached({ data: answer, signature: 'not a signature', verificationKeys: [gateway.publicKey] }), 'receipt_invalid', 'not an armored');
    });

    it('refuses a SHA-1 detached signature and a detached signature by two keys', async () => {
      const sha1 = await gpg.run(['--armor', '--digest-algo', 'SHA1', '-u', sender.fingerprint, '--detach-sign'], { stdin: answer });
      await expectRefused(verifyDetached({ data: answer, signature: sha1.stdout.toString(), verificationKeys: [sender.publicKey] }), 'receipt_invalid', 'SHA1');
      const two = await gpg.run(['--armor', '-u', sender.fingerprint, '-u', other.fingerprint, '--detach-sign'], { stdin: answer });
      await expectRefused(verifyDetached({ data: answer, signature: two.stdout.toString(), verificationKeys: [sender.publicKey, other.publicKey] }), 'receipt_invalid', '2 signature packets');
      // The control: the same GnuPG detached signature with one key and SHA-256 is accepted.
      const good = await gpg.run(['--armor', '--digest-algo', 'SHA256', '-u', sender.fingerprint, '--detach-sign'], { stdin: answer });
      await verifyDetached({ data: answer, signature: good.stdout.toString(), verificationKeys: [sender.publicKey] });
    });
  });
});
