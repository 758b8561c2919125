/**
 * The store contract under concurrency, on both engines: two stores on one database, as two gateway
 * processes would open it (two SQLite connections on one file, two PostgreSQL pools on one schema),
 * racing for the same log index, the same message id and the same person.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { rootOf, treeRoot } from '../../src/audit/merkle.js';
import { verifyEntries, type ExportedEntry } from '../../src/audit/verify.js';
import { GatewayError } from '../../src/domain/errors.js';
import { createLookupKey, createPseudonymiser } from '../../src/privacy/pseudonym.js';
import type { GatewayStore } from '../../src/store/gateway-store.js';
import { migrations } from '../../src/store/migrations.js';
import { openSqliteStore } from '../../src/store/open.js';
import type { GatewayNotice } from '../../src/store/port.js';
import { createSchema, dropSchema, ENGINES, newMessage, openTestPgStore, rawQuery, thrownBy, type Engine } from '../fixtures/store.js';

/** Long enough that neither store gives up while the other holds the lock. */
const PATIENT_LOCK_MS = 10_000;

for (const engine of ENGINES) {
  describe(`store contract: two gateways on one database (${engine})`, () => {
    let dir: string;
    let schema: string | undefined;
    let first: GatewayStore;
    let second: GatewayStore;
    const open = (dataDir: string) =>
      engine === 'sqlite'
        ? openSqliteStore({ dataDir, busyTimeoutMs: PATIENT_LOCK_MS })
        : openTestPgStore(dataDir, schema!, { lockTimeoutMs: PATIENT_LOCK_MS });
    const where = (): { engine: Engine; dir: string; schema?: string } => ({ engine, dir, ...(schema === undefined ? {} : { schema }) });

    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-two-'));
      schema = engine === 'postgresql' ? await createSchema() : undefined;
      // Both open at once on an empty database: the migrations must not race.
      [first, second] = await Promise.all([open(dir), open(dir)]);
    });
    afterEach(async () => {
      await first.close();
      await second.close();
      if (schema !== undefined) await dropSchema(schema);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('migrates once when both start together', async () => {
      const applied = await rawQuery<{ name: string }>(where(), 'SELECT name FROM kysely_migration ORDER BY name');
      expect(applied.map((r) => r.name)).to.deep.equal(Object.keys(migrations({ dialect: 'sqlite', schema: undefined })).sort());
    });

    it('keeps one gap-free audit log and one valid tree under concurrent writes from both', async () => {
      const perStore = 30;
      const work: Array<Promise<unknown>> = [];
      for (let i = 0; i < perStore; i++) {
        for (const store of [first, second]) {
          const id = randomUUID();
          work.push(
            store.accept(newMessage({ messageId: id })).then(async (outcome) => {
              expect(outcome.kind).to.equal('accepted');
              // The relay's part too: a confirm appends `queued` from whichever gateway published it.
              await (store === first ? second : first).markQueued(id, new Date().toISOString());
            }),
          );
          if (i % 10 === 0) work.push(store.recordEvent({ event: 'rejected', timestamp: new Date().toISOString(), sender: 'ofii-paris', code: 'schema_invalid' }));
        }
      }
      await Promise.all(work);
      const expected = perStore * 2 * 2 + 6;
      expect(await first.auditSize()).to.equal(expected);
      const indexes = await rawQuery<{ idx: number; n: number }>(where(), 'SELECT idx, COUNT(*) AS n FROM audit_log GROUP BY idx ORDER BY idx');
      expect(indexes.map((r) => Number(r.idx)), 'indexes 0..n-1, each once').to.deep.equal(Array.from({ length: expected }, (_, i) => i));
      // As an auditor checks it (src/audit/verify.ts): every entry at its index, hashing to its leaf, and
      // the leaves hashing to the root of the tree the two gateways built node by node.
      const entries = await second.readAuditEntries(0, expected, expected);
      const exported: ExportedEntry[] = entries.map((e) => ({ ...(JSON.parse(e.entry) as Record<string, unknown>), index: e.index, leafHash: e.leafHash }));
      const rootHash = await treeRoot({ node: (level, index) => first.auditNode(level, index) }, expected);
      expect(rootHash).to.equal(rootOf(entries.map((e) => e.leafHash)));
      expect(verifyEntries(exported, { treeSize: expected, rootHash, timestamp: new Date().toISOString() })).to.deep.equal({ accepted: perStore * 2, queued: perStore * 2, rejected: 6 });
      expect(await first.outboxDepth()).to.equal(0);
    });

    it('accepts a message id once when both accept it at the same moment: one accepted, one duplicate', async () => {
      for (let round = 0; round < 20; round++) {
        const message = newMessage({ messageId: randomUUID() });
        const outcomes = await Promise.all([first.accept(message), second.accept(message)]);
        expect(outcomes.map((o) => o.kind).sort(), `round ${round}`).to.deep.equal(['accepted', 'duplicate']);
        const accepted = outcomes.find((o) => o.kind === 'accepted')!;
        const duplicate = outcomes.find((o) => o.kind === 'duplicate')!;
        if (accepted.kind === 'accepted' && duplicate.kind === 'duplicate') expect(duplicate.existing.auditIndex).to.equal(accepted.auditIndex);
      }
      expect(await first.auditSize()).to.equal(20);
      expect(await first.outboxDepth()).to.equal(20);
    });

    it('creates one subject when both see a new person at once', async () => {
      const lookup = createLookupKey(randomBytes(32));
      const [a, b] = await Promise.all([
        createPseudonymiser({ lookup, subjects: first, now: () => new Date() })('7503123456'),
        createPseudonymiser({ lookup, subjects: second, now: () => new Date() })('7503123456'),
      ]);
      expect(a).to.equal(b);
      expect(Number((await rawQuery<{ n: number }>(where(), 'SELECT COUNT(*) AS n FROM subjects'))[0]!.n)).to.equal(1);
    });

    it('never lets an opt-out and an orientation racing for one person both through without a withdrawal notice', async () => {
      const lookupKey = createLookupKey(randomBytes(32));
      const body = (recipient: string) => `withdrawal for ${recipient}`;
      const withdrawal = (recipient: string): GatewayNotice => ({ messageId: randomUUID(), type: 'withdrawal', recipient, inReplyTo: undefined, payloadSha256: createHash('sha256').update(body(recipient)).digest('hex'), outboxBody: body(recipient) });
      const orientation = (beneficiary: string, lookup: string, recipient: string) => ({
        ...newMessage({ messageId: randomUUID(), recipient, beneficiary, acceptedAt: new Date().toISOString() }),
        dossier: { lookup, signedMessage: randomBytes(16), follow: { starts: recipient, takenInCharge: false }, notices: [] },
      });
      const seen = new Set<string>();
      for (let round = 0; round < 12; round++) {
        const ref = String(7_503_000_000 + round);
        const lookup = lookupKey(ref);
        const beneficiary = await createPseudonymiser({ lookup: lookupKey, subjects: first, now: () => new Date() })(ref);
        await first.accept(orientation(beneficiary, lookup, 'france-travail-paris'));
        const optOut = {
          ...newMessage({ messageId: randomUUID(), type: 'opt-out', recipient: 'passerelle', beneficiary, outboxBody: undefined, acceptedAt: new Date().toISOString() }),
          dossier: { lookup, follow: { takenInCharge: false }, optOut: true, notices: [withdrawal('france-travail-paris')], preparedFrom: { recipients: ['france-travail-paris'] } },
        };
        const [opted, oriented] = await Promise.allSettled([first.accept(optOut), second.accept(orientation(beneficiary, lookup, 'mission-locale-paris'))]);
        const optedOut = opted.status === 'fulfilled' && opted.value.kind === 'accepted';
        const orientedToo = oriented.status === 'fulfilled' && oriented.value.kind === 'accepted';
        seen.add(`${optedOut}/${orientedToo}`);
        expect(optedOut && orientedToo, `round ${round}: both went through`).to.equal(false);
        if (optedOut) expect((oriented as PromiseRejectedResult).reason).to.be.instanceOf(GatewayError).with.property('rule', 'beneficiary-opted-out');
        else expect(opted.status === 'fulfilled' && opted.value.kind, `round ${round}: the opt-out saw Mission Locale's orientation`).to.equal('stale');
      }
      // Both orders happen on a real database; the rule holds in each.
      expect([...seen].every((outcome) => outcome === 'true/false' || outcome === 'false/true')).to.equal(true);
    });

    it('refuses to open beside secrets other than those the store was written with', async () => {
      const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-other-'));
      try {
        // A copy of the SQLite store (its WAL holds the latest commits) beside other secrets.
        if (engine === 'sqlite') for (const file of fs.readdirSync(dir).filter((f) => f.startsWith('passerelle.sqlite'))) fs.cpSync(path.join(dir, file), path.join(otherDir, file));
        const reopen = () => (engine === 'sqlite' ? openSqliteStore({ dataDir: otherDir }) : openTestPgStore(otherDir, schema!));
        const thrown = await thrownBy(reopen);
        expect(thrown).to.be.instanceOf(GatewayError).with.property('code', 'config_invalid');
        expect((thrown as GatewayError).message).to.include('secrets/pseudonym.key').and.include('copy the secrets directory');
        fs.cpSync(path.join(dir, 'secrets'), path.join(otherDir, 'secrets'), { recursive: true });
        await (await reopen()).close();
      } finally {
        fs.rmSync(otherDir, { recursive: true, force: true });
      }
    });
  });
}
