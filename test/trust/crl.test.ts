import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { isGatewayError } from '../../src/domain/errors.js';
import { CRL_FILE, loadRevocationList, normaliseSerial, parseRevocationList, watchRevocationList, type RevocationList } from '../../src/trust/crl.js';
import { EXAMPLE_CERTS, eventually } from '../fixtures/gateway.js';
import { OpensslCa } from '../fixtures/openssl-ca.js';

function refusal(run: () => unknown, fragment: string): void {
  let error: unknown;
  try {
    run();
  } catch (err) {
    error = err;
  }
  expect(isGatewayError(error, 'config_invalid'), String(error)).to.equal(true);
  expect((error as Error).message).to.contain(fragment);
}

describe('trust/crl: the partner CA revocation list', function () {
  this.timeout(30_000);
  let dir: string;
  let ca: OpensslCa;
  let caPem: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-crl-'));
    fs.copyFileSync(path.join(EXAMPLE_CERTS, 'ca.crt'), path.join(dir, 'ca.crt'));
    fs.copyFileSync(path.join(EXAMPLE_CERTS, 'ca.key'), path.join(dir, 'ca.key'));
    caPem = fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8');
    ca = OpensslCa.over(path.join(dir, 'ca.crt'), path.join(dir, 'ca.key'));
  });
  afterEach(() => {
    ca.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads the revoked serial numbers and dates of an `openssl ca -gencrl` list, in the form the TLS layer reports serials', async () => {
    const revoked = await ca.issue({ subject: '/CN=ofii-paris' });
    const kept = await ca.issue({ subject: '/CN=ofii-paris' });
    await ca.revoke(revoked);
    const file = path.join(dir, CRL_FILE);
    await ca.writeCrl(file);
    const list = parseRevocationList(fs.readFileSync(file, 'utf8'), caPem, file);
    expect([...list.revokedSerials]).to.deep.equal([normaliseSerial(revoked.serial)]);
    expect(list.revokedSerials.has(normaliseSerial(new X509Certificate(revoked.certPem).serialNumber))).to.equal(true);
    expect(list.revokedSerials.has(normaliseSerial(new X509Certificate(kept.certPem).serialNumber))).to.equal(false);
    expect(Math.abs(list.thisUpdate.getTime() - Date.now())).to.be.lessThan(120_000);
    expect(list.nextUpdate!.getTime() - list.thisUpdate.getTime()).to.equal(7 * 86_400_000);
  });

  it('normalises serials: case, separators and leading zeros do not matter', () => {
    expect(normaliseSerial('00:0a:BC')).to.equal('ABC');
    expect(normaliseSerial('0abc')).to.equal('ABC');
    expect(normaliseSerial('00')).to.equal('0');
  });

  it('refuses a list signed by another CA, even one with the same name', async () => {
    const impostor = await OpensslCa.foreign('/O=Passerelle (example)/CN=Passerelle example partner CA');
    try {
      const file = path.join(dir, 'foreign.pem');
      await impostor.writeCrl(file);
      refusal(() => parseRevocationList(fs.readFileSync(file, 'utf8'), caPem, file), 'does not verify with ca.crt');
    } finally {
      impostor.remove();
    }
  });

  it('refuses a list signed with SHA-1', async () => {
    const file = path.join(dir, 'sha1.pem');
    await ca.writeCrl(file, { md: 'sha1' });
    refusal(() => parseRevocationList(fs.readFileSync(file, 'utf8'), caPem, file), 'SHA-256 or stronger');
  });

  it('refuses a file without a CRL, and a CRL block that is not DER', () => {
    refusal(() => parseRevocationList('nothing here', caPem, 'x/crl.pem'), 'holds no PEM certificate revocation list');
    refusal(() => parseRevocationList('-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n', caPem, 'x/crl.pem'), 'not a well-formed DER');
  });

  it('loads nothing when the trust directory has no crl.pem', async () => {
    expect(await loadRevocationList({ dir, caPem })).to.equal(undefined);
  });

  it('follows the file: a new list, a list that does not verify (kept out, reported), and the file removed', async () => {
    const changes: Array<RevocationList | undefined> = [];
    const errors: string[] = [];
    const watch = watchRevocationList({ dir, caPem, initial: undefined, onChange: (list) => changes.push(list), onError: (err) => errors.push(err.message), debounceMs: 20 });
    try {
      const leaf = await ca.issue({ subject: '/CN=ofii-paris' });
      await ca.revoke(leaf);
      await ca.writeCrl(path.join(dir, CRL_FILE));
      await eventually(async () => (changes.length === 1 ? true : undefined), 5_000);
      expect(changes[0]!.revokedSerials.has(normaliseSerial(leaf.serial))).to.equal(true);

      fs.writeFileSync(path.join(dir, CRL_FILE), 'broken');
      await eventually(async () => (errors.length > 0 ? true : undefined), 5_000);
      expect(changes).to.have.length(1);

      fs.rmSync(path.join(dir, CRL_FILE));
      await eventually(async () => (changes.length === 2 ? true : undefined), 5_000);
      expect(changes[1]).to.equal(undefined);

      // reload() (SIGHUP) reads the file even when no event came.
      await ca.writeCrl(path.join(dir, CRL_FILE));
      await watch.reload();
      expect(changes.length).to.be.greaterThanOrEqual(3);
    } finally {
      watch.close();
    }
  });
});
