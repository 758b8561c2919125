import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { GatewayError } from '../../src/domain/errors.js';
import {
  keyEncryptionKeyId,
  loadKeyEncryptionKey,
  newDataKey,
  openWithDataKey,
  sealWithDataKey,
  unwrapDataKey,
  wrapDataKey,
} from '../../src/privacy/envelope.js';

describe('privacy/envelope', () => {
  const kek = randomBytes(32);
  const document = new TextEncoder().encode('{"header":{"type":"orientation"},"body":{}}');

  it('wraps a data key with AES-256 key wrap (RFC 3394) and unwraps it with the same key only', () => {
    const dataKey = newDataKey();
    const wrapped = wrapDataKey(kek, dataKey);
    expect(wrapped).to.have.length(40);
    expect(unwrapDataKey(kek, wrapped).equals(dataKey)).to.equal(true);
    expect(() => unwrapDataKey(randomBytes(32), wrapped)).to.throw(GatewayError).with.property('code', 'internal');
  });

  it('seals with AES-256-GCM: a fresh nonce each time, bound to its context, refused if altered', () => {
    const dataKey = newDataKey();
    const a = sealWithDataKey(dataKey, document, 'p1\nm1');
    const b = sealWithDataKey(dataKey, document, 'p1\nm1');
    expect(a.equals(b)).to.equal(false);
    expect(Buffer.from(openWithDataKey(dataKey, a, 'p1\nm1')).equals(Buffer.from(document))).to.equal(true);
    expect(a.includes(Buffer.from('orientation'))).to.equal(false);
    expect(() => openWithDataKey(dataKey, a, 'p1\nm2'), 'moved to another row').to.throw(GatewayError);
    expect(() => openWithDataKey(newDataKey(), a, 'p1\nm1'), 'another person').to.throw(GatewayError);
    const altered = Buffer.from(a);
    altered[20] = altered[20]! ^ 1;
    expect(() => openWithDataKey(dataKey, altered, 'p1\nm1')).to.throw(GatewayError);
  });

  it('keeps the key-encryption key in secrets/dossier.kek (0600), apart from the store, with a public id', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-kek-'));
    try {
      const key = loadKeyEncryptionKey(dir);
      expect(fs.statSync(path.join(dir, 'secrets', 'dossier.kek')).mode & 0o777).to.equal(0o600);
      expect(loadKeyEncryptionKey(dir).equals(key)).to.equal(true);
      expect(keyEncryptionKeyId(key)).to.match(/^[0-9a-f]{16}$/).and.not.equal(keyEncryptionKeyId(randomBytes(32)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
