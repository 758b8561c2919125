/**
 * The dossier part of the store on both engines: encryption at rest, and the checks the acceptance
 * transaction repeats (opt-out, referrer) with everything rolled back when they fail; on SQLite, the
 * migration that adds the `expired` status to a store written before it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { GatewayError } from '../../src/domain/errors.js';
import { createLookupKey, createPseudonymiser } from '../../src/privacy/pseudonym.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { DossierUpdate } from '../../src/store/dossiers.js';
import type { NewMessage } from '../../src/store/store.js';
import { disposeTempStore, ENGINES, newMessage, openTempStore, rawQuery, reopenTempStore, type TempStore } from '../fixtures/store.js';

const REF = '7503123456';
const DOCUMENT = new TextEncoder().encode('{"header":{"type":"orientation"},"body":{"identity":{"birthName":"KARIMI"}}}');

function message(beneficiary: string, overrides: Partial<NewMessage> = {}): NewMessage {
  return newMessage({ messageId: randomUUID(), recipient: 'france-travail-paris', beneficiary, acceptedAt: new Date().toISOString(), ...overrides });
}

for (const engine of ENGINES) describe(`store dossiers (${engine})`, () => {
  let temp: TempStore;
  let lookup: string;
  let beneficiary: string;
  const update = (overrides: Partial<DossierUpdate> = {}): DossierUpdate => ({ lookup, signedMessage: DOCUMENT, follow: { starts: 'france-travail-paris', takenInCharge: false }, notices: [], ...overrides });

  beforeEach(async () => {
    temp = await openTempStore('passerelle-dossiers-', engine);
    const lookupKey = createLookupKey(randomBytes(32));
    lookup = lookupKey(REF);
    beneficiary = await createPseudonymiser({ lookup: lookupKey, subjects: temp.store.dossiers, now: () => new Date() })(REF);
  });
  afterEach(() => disposeTempStore(temp));

  it('keeps the signed message encrypted at rest and gives it back byte for byte', async () => {
    const { store, dir } = temp;
    const accepted = message(beneficiary);
    await store.accept({ ...accepted, dossier: update() });
    const [document] = (await store.dossiers.readDossier(beneficiary))!;
    expect(Buffer.from(document!.signedMessage).equals(Buffer.from(DOCUMENT))).to.equal(true);
    expect(document).to.include({ messageId: accepted.messageId, type: 'orientation', sender: 'ofii-paris', recipient: 'france-travail-paris' });
    expect(await store.dossiers.followers(beneficiary)).to.deep.equal(['france-travail-paris']);

    const [{ sealed }] = (await rawQuery<{ sealed: Buffer }>(temp, 'SELECT sealed FROM dossier_documents')) as [{ sealed: Buffer }];
    const [{ wrapped }] = (await rawQuery<{ wrapped: Buffer }>(temp, 'SELECT wrapped_data_key AS wrapped FROM subjects')) as [{ wrapped: Buffer }];
    expect(sealed.includes(Buffer.from('KARIMI'))).to.equal(false);
    expect(wrapped).to.have.length(40);

    // Another key-encryption key file: the store refuses to read rather than return garbage.
    fs.writeFileSync(path.join(dir, 'secrets', 'dossier.kek'), randomBytes(32), { mode: 0o600 });
    let thrown: unknown;
    try {
      // PostgreSQL refuses the key file at open already (src/store/pg-secrets.ts), SQLite at first use.
      await reopenTempStore(temp);
      await temp.store.dossiers.readDossier(beneficiary);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(GatewayError);
    expect((thrown as GatewayError).message).to.include('dossier.kek');
  });

  it('rolls the whole acceptance back when the referrer no longer follows the person at commit time', async () => {
    const { store } = temp;
    await store.accept({ ...message(beneficiary), dossier: update() });
    const size = await store.auditSize();
    const handOver = message(beneficiary, { type: 'referral', sender: 'cap-emploi-75', recipient: 'epec-paris' });
    let thrown: unknown;
    try {
      await store.accept({ ...handOver, dossier: update({ referrer: 'cap-emploi-75', follow: { starts: 'epec-paris', stops: 'cap-emploi-75', takenInCharge: false } }) });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(GatewayError).with.property('rule', 'referrer-follows-beneficiary');
    expect(await store.findMessage(handOver.messageId)).to.equal(undefined);
    expect(await store.auditSize()).to.equal(size);
    expect(await store.outboxDepth()).to.equal(1);
    expect(await store.dossiers.readDossier(beneficiary)).to.have.length(1);
  });

  it('refuses, inside the transaction, a message about a person whose opt-out committed meanwhile', async () => {
    const { store } = temp;
    await store.accept({ ...message(beneficiary), dossier: update() });
    const request = message(beneficiary, { type: 'opt-out', recipient: 'passerelle', outboxBody: undefined });
    await store.accept({ ...request, dossier: update({ signedMessage: undefined, follow: { takenInCharge: false }, optOut: { recipients: ['france-travail-paris'] } }) });
    expect((await store.findMessage(request.messageId))!.status).to.equal('accepted');
    expect(await store.outboxDepth(), 'nothing to deliver for an opt-out').to.equal(1);
    expect(await store.dossiers.isOptedOut(lookup)).to.equal(true);
    expect(await store.dossiers.readDossier(beneficiary)).to.equal(undefined);

    let thrown: unknown;
    try {
      await store.accept({ ...message(beneficiary), dossier: update() });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(GatewayError).with.property('rule', 'beneficiary-opted-out');
  });
});

describe('store dossiers (sqlite, written before the dossiers)', () => {
  let temp: TempStore;
  beforeEach(async () => {
    temp = await openTempStore('passerelle-dossiers-', 'sqlite');
  });
  afterEach(() => disposeTempStore(temp));

  it('adds the expired status to a store written before the dossiers, keeping its messages and outbox rows', async () => {
    const { dir } = temp;
    let store = temp.store as SqliteStore;
    const old = message('c'.repeat(64));
    await store.accept(old);
    await store.close();

    // Turn the file back into what the previous version wrote: messages without `expired`, no dossier tables.
    const raw = new Database(path.join(dir, 'passerelle.sqlite'));
    raw.pragma('foreign_keys = OFF');
    raw.exec(`
      DELETE FROM schema_migrations WHERE component = 'dossiers';
      DROP TABLE subjects; DROP TABLE dossier_documents; DROP TABLE followers; DROP TABLE opt_outs;
      DROP INDEX messages_unanswered;
      CREATE TABLE messages_old AS SELECT message_id, type, version, sender, recipient, in_reply_to, beneficiary, payload_sha256, status, audit_index, accepted_at, queued_at, acknowledged_at, dead_lettered_at, receipt FROM messages;
      DROP TABLE messages;
      CREATE TABLE messages (
        message_id TEXT PRIMARY KEY, type TEXT NOT NULL, version INTEGER NOT NULL, sender TEXT NOT NULL, recipient TEXT NOT NULL,
        in_reply_to TEXT, beneficiary TEXT NOT NULL, payload_sha256 TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('accepted', 'queued', 'acknowledged', 'dead-lettered')),
        audit_index INTEGER NOT NULL, accepted_at TEXT NOT NULL, queued_at TEXT, acknowledged_at TEXT, dead_lettered_at TEXT, receipt TEXT
      ) STRICT;
      INSERT INTO messages SELECT * FROM messages_old; DROP TABLE messages_old;
      CREATE INDEX messages_beneficiary ON messages (beneficiary);
    `);
    expect(() => raw.prepare("UPDATE messages SET status = 'expired'").run()).to.throw(/CHECK constraint/);
    const seqBefore = (raw.prepare('SELECT seq FROM outbox').get() as { seq: number }).seq;
    raw.close();

    store = SqliteStore.open({ dataDir: dir });
    temp.store = store;
    const [pending] = await store.pendingOutbox(10);
    expect(pending).to.include({ messageId: old.messageId, recipient: 'france-travail-paris', type: 'orientation' });
    expect(await store.findMessage(old.messageId)).to.include({ status: 'accepted', expiredAt: undefined });
    const check = new Database(path.join(dir, 'passerelle.sqlite'), { readonly: true });
    expect((check.prepare('SELECT seq FROM outbox').get() as { seq: number }).seq).to.equal(seqBefore);
    expect(check.prepare('PRAGMA foreign_key_check').all()).to.deep.equal([]);
    check.close();
    expect(await store.dossiers.expireOrientation({ messageId: old.messageId, at: new Date().toISOString(), notice: undefined })).to.equal(true);
    expect((await store.findMessage(old.messageId))!.status).to.equal('expired');
  });
});
