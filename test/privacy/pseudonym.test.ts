import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { GatewayError } from '../../src/domain/errors.js';
import { createLookupKey, createPseudonymiser, loadPseudonymSecret, newSubject } from '../../src/privacy/pseudonym.js';
import type { GatewayStore } from '../../src/store/gateway-store.js';
import { openSqliteStore } from '../../src/store/open.js';

describe('privacy/pseudonym', () => {
  let dir: string;
  let store: GatewayStore;
  const secret = randomBytes(32);

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-pseudonym-'));
    store = await openSqliteStore({ dataDir: dir });
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keys the lookup with the gateway secret: same reference, same lookup; another secret, another lookup', () => {
    const lookup = createLookupKey(secret);
    expect(lookup('7503123456')).to.equal(lookup('7503123456')).and.match(/^[0-9a-f]{64}$/);
    expect(lookup('7503123457')).to.not.equal(lookup('7503123456'));
    expect(createLookupKey(randomBytes(32))('7503123456')).to.not.equal(lookup('7503123456'));
    expect(() => createLookupKey(randomBytes(16))).to.throw(GatewayError).with.property('code', 'internal');
  });

  it('gives each subject a pseudonym under its own random key, stable for as long as the subject exists', async () => {
    const a = newSubject('7503123456', new Date());
    const b = newSubject('7503123456', new Date());
    expect(a.pseudonym).to.match(/^[0-9a-f]{64}$/);
    expect(a.pseudonymKey).to.have.length(32);
    expect(a.pseudonym, 'two subjects of one reference (before and after an erasure) are not linkable').to.not.equal(b.pseudonym);

    const pseudonymise = createPseudonymiser({ lookup: createLookupKey(secret), subjects: store, now: () => new Date() });
    const first = await pseudonymise('7503123456');
    expect(await pseudonymise('7503123456')).to.equal(first);
    expect(await pseudonymise('7503123499')).to.not.equal(first);
    expect(first).to.not.equal(createLookupKey(secret)('7503123456'));
  });

  it('keeps the subject written first when two callers create the same new person at once', async () => {
    const lookup = createLookupKey(secret)('7503000001');
    let first: Promise<string> | undefined;
    const second = store.pseudonymFor(lookup, () => {
      // Another caller gets there while this one is creating the subject: its row wins.
      first = store.pseudonymFor(lookup, () => newSubject('7503000001', new Date()));
      return newSubject('7503000001', new Date());
    });
    const written = await second;
    expect(await first).to.match(/^[0-9a-f]{64}$/);
    expect(written).to.equal(await first);
  });

  it('keeps the secret in secrets/pseudonym.key, mode 0600, created once', () => {
    const first = loadPseudonymSecret(dir);
    const file = path.join(dir, 'secrets', 'pseudonym.key');
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    expect(fs.statSync(path.join(dir, 'secrets')).mode & 0o777).to.equal(0o700);
    expect(loadPseudonymSecret(dir).equals(first)).to.equal(true);
    expect(first).to.have.length(32);
  });
});
