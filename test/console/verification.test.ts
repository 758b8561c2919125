/**
 * The auditor's in-browser checks (src/console/browser/verification.ts), run in Node on the same pure
 * code the browser bundles: a log served from memory as the gateway serves it (entries with their
 * stored leaf hashes, proofs from the stored tree), a checkpoint signed with the example gateway key,
 * and each kind of tampering turning its check red with the entry at fault named in French.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { PrivateKey } from 'openpgp';
import { signCheckpoint, type PublishedCheckpoint } from '../../src/audit/checkpoint.js';
import { entryBytes, leafHash, toEntry, type AuditEvent } from '../../src/audit/entry.js';
import { consistencyProof, hashChildren, inclusionPath, nodeSourceOf, rootOf, type NodeSource } from '../../src/audit/merkle.js';
import type { ExportedEntry } from '../../src/audit/verify.js';
import type { GatewayKey, LogSource } from '../../src/console/browser/log-source.js';
import { loadSeen, storageKey, type KeyValueStorage } from '../../src/console/browser/seen-checkpoint.js';
import { checkInclusion, checkRoot, checkSignature, verifyLog, type Verdict } from '../../src/console/browser/verification.js';
import { readPrivateKey } from '../../src/crypto/keys.js';
import { EXAMPLE_CERTS } from '../fixtures/gateway.js';

const ORIGIN = 'https://passerelle.example:8443';
const read = (relative: string) => fs.readFileSync(path.join(EXAMPLE_CERTS, relative), 'utf8');

function event(i: number): AuditEvent {
  return {
    event: (['accepted', 'queued', 'acknowledged'] as const)[i % 3]!,
    timestamp: new Date(Date.UTC(2026, 10, 27, 9, 30, i)).toISOString(),
    messageId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    sender: 'ofii-paris',
    recipient: 'mission-locale-paris',
  };
}

class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/**
 * A log as the gateway's store holds it: each entry's text and leaf hash (columns that a tamperer can
 * UPDATE), and the tree nodes stored when each was appended (which proofs are made of).
 */
class MemoryLog implements LogSource {
  texts: string[] = [];
  leaves: string[] = [];
  /** The nodes as stored at append time: unchanged by a later UPDATE of an entry. */
  appended: string[] = [];
  published!: PublishedCheckpoint;
  requests = 0;

  constructor(private readonly key: PrivateKey, private readonly keys: GatewayKey[]) {}

  append(count: number): void {
    for (let i = 0; i < count; i++) {
      const index = this.texts.length;
      const bytes = entryBytes(toEntry(index, event(index)));
      this.texts.push(bytes.toString('utf8'));
      this.leaves.push(leafHash(bytes));
      this.appended.push(leafHash(bytes));
    }
  }

  async sign(): Promise<PublishedCheckpoint> {
    const signed = await signCheckpoint({ treeSize: this.texts.length, rootHash: rootOf(this.leaves), timestamp: new Date(Date.UTC(2026, 10, 27, 10, this.texts.length)).toISOString() }, this.key);
    this.published = { ...signed, cosignatures: [] };
    return this.published;
  }

  private nodes(): NodeSource {
    const stored = nodeSourceOf(this.appended);
    return { node: async (level, index) => (level === 0 ? this.leaves[index]! : stored.node(level, index)) };
  }

  async checkpoint() {
    this.requests++;
    return this.published;
  }
  async gatewayKeys() {
    return this.keys;
  }
  async entries(start: number, end: number) {
    this.requests++;
    const until = Math.min(end, start + 1000, this.texts.length);
    const entries: ExportedEntry[] = [];
    for (let i = start; i < until; i++) entries.push({ ...(JSON.parse(this.texts[i]!) as object), leafHash: this.leaves[i]! } as ExportedEntry);
    return until < Math.min(end, this.texts.length) ? { entries, next: until } : { entries };
  }
  async inclusionProof(index: number, treeSize: number) {
    return { index, treeSize, leafHash: this.leaves[index]!, auditPath: await inclusionPath(this.nodes(), index, treeSize) };
  }
  async consistencyProof(first: number, second: number) {
    return { proof: await consistencyProof(this.nodes(), first, second) };
  }
}

const outcomes = (verdicts: Verdict[]) => verdicts.map((v) => v.outcome);

describe('console/browser/verification: the auditor\'s checks, in plain French', () => {
  let key: PrivateKey;
  let keys: GatewayKey[];
  let log: MemoryLog;
  let storage: MemoryStorage;
  const run = (overrides: Partial<Parameters<typeof verifyLog>[0]> = {}) =>
    verifyLog({ source: log, storage, origin: ORIGIN, now: () => new Date('2026-11-27T12:00:00.000Z'), everyEntry: true, ...overrides });

  before(async () => {
    key = await readPrivateKey({ armored: read('gateway/openpgp.key.asc'), source: 'gateway key' });
    keys = [{ fingerprint: key.getFingerprint(), armored: read('gateway/openpgp.asc') }];
  });

  beforeEach(async () => {
    log = new MemoryLog(key, keys);
    storage = new MemoryStorage();
    log.append(2500);
    await log.sign();
  });

  it('is green on an honest log, over several pages, keeps the checkpoint, and shows next time that the log only grew', async () => {
    const progress: number[] = [];
    const first = await run({ onProgress: (done) => progress.push(done) });
    expect(outcomes(first), JSON.stringify(first)).to.deep.equal(['success', 'success', 'info']);
    expect(first[0]!.sentence).to.include('Le point de contrôle de 2500 entrées');
    expect(first[1]!.sentence).to.equal('La racine recalculée à partir des 2500 entrées correspond à celle du point de contrôle signé. Chaque entrée correspond aussi à son empreinte.');
    expect(progress).to.deep.equal([1000, 2000, 2500]);
    expect(loadSeen(storage, ORIGIN)?.checkpoint.treeSize).to.equal(2500);

    log.append(37);
    await log.sign();
    const second = await run();
    expect(outcomes(second)).to.deep.equal(['success', 'success', 'success']);
    expect(second[2]!.sentence).to.match(/Le point de contrôle de 2500 entrées vu le 2026-11-27T12:00:00.000Z est bien le début du point de contrôle actuel de 2537 entrées/);
    expect(loadSeen(storage, ORIGIN)?.checkpoint.treeSize).to.equal(2537);
    const entry = (await log.entries(1234, 1235)).entries[0]!;
    expect(await checkInclusion(log, entry, log.published)).to.include({ outcome: 'success' });
  });

  it('names the entry whose content was changed in the store, and its inclusion fails', async () => {
    log.texts[1789] = log.texts[1789]!.replace('"queued"', '"rejected"');
    const verdicts = await run();
    expect(outcomes(verdicts)).to.deep.equal(['success', 'error', 'info']);
    expect(verdicts[1]).to.include({ index: 1789 });
    expect(verdicts[1]!.sentence).to.match(/^L’entrée 1789 a été modifiée : son contenu ne correspond plus à son empreinte [0-9a-f]{64}\.$/);
    const entry = (await log.entries(1789, 1790)).entries[0]!;
    const inclusion = await checkInclusion(log, entry, log.published);
    expect(inclusion).to.include({ outcome: 'error', index: 1789 });
    expect(inclusion.sentence).to.match(/L’entrée 1789 a été modifiée/);
  });

  it('bounds where an entry changed together with its leaf hash is, by consistency proofs against the signed root', async () => {
    const changed = entryBytes(toEntry(613, { ...event(613), recipient: 'france-travail-paris' }));
    log.texts[613] = changed.toString('utf8');
    log.leaves[613] = leafHash(changed);
    const verdict = await checkRoot(log, log.published);
    expect(verdict.outcome).to.equal('error');
    // Proven up to the pair of 612 and 613 (their parent's hash is all the signed root says of them).
    expect(verdict.index).to.be.within(600, 613);
    expect(verdict.sentence).to.match(new RegExp(`diffère de celle du point de contrôle signé \\([0-9a-f]{64}\\) : des entrées ont été changées avec leur empreinte\\. Les entrées 0 à ${verdict.index! - 1} sont prouvées identiques`));
  });

  it('names a removed entry by its position', async () => {
    log.texts.splice(42, 1);
    log.leaves.splice(42, 1);
    const verdict = await checkRoot(log, log.published);
    expect(verdict).to.include({ outcome: 'error', index: 42 });
    expect(verdict.sentence).to.equal('Le journal n’est plus dans l’ordre : à la position 42 se trouve l’entrée d’index 43. Des entrées ont été retirées, ajoutées ou déplacées.');
  });

  it('stops at a checkpoint whose signature does not hold, and says nothing else means anything', async () => {
    log.published = { ...log.published, rootHash: 'f'.repeat(64) };
    const verdicts = await run();
    expect(outcomes(verdicts)).to.deep.equal(['error']);
    expect(verdicts[0]!.sentence).to.match(/n’est pas une signature valide d’une clé publiée de la passerelle/);
    expect(storage.items.size).to.equal(0);
  });

  it('turns the consistency red when the log was rewritten since the checkpoint kept in the browser, and keeps the old one as evidence', async () => {
    await run();
    const kept = storage.getItem(storageKey(ORIGIN));
    // The gateway rewrites history: the same first entries, one changed, and a new tree over them.
    const rewritten = new MemoryLog(key, keys);
    rewritten.append(2600);
    const changed = entryBytes(toEntry(7, { ...event(7), code: 'rewritten' }));
    rewritten.texts[7] = changed.toString('utf8');
    rewritten.leaves[7] = leafHash(changed);
    rewritten.appended[7] = leafHash(changed);
    await rewritten.sign();
    log = rewritten;
    const verdicts = await run();
    expect(outcomes(verdicts)).to.deep.equal(['success', 'success', 'error']);
    expect(verdicts[2]!.sentence).to.equal('Le point de contrôle actuel de 2600 entrées ne prolonge pas celui de 2500 entrées vu le 2026-11-27T12:00:00.000Z : le journal a été réécrit ou des entrées ont été retirées depuis.');
    expect(storage.getItem(storageKey(ORIGIN))).to.equal(kept);
  });

  it('refuses a kept checkpoint that is not signed by a published gateway key', async () => {
    await run();
    const kept = JSON.parse(storage.getItem(storageKey(ORIGIN))!) as { checkpoint: { rootHash: string } };
    kept.checkpoint.rootHash = hashChildren(kept.checkpoint.rootHash, kept.checkpoint.rootHash);
    storage.setItem(storageKey(ORIGIN), JSON.stringify(kept));
    const verdicts = await run();
    expect(outcomes(verdicts)).to.deep.equal(['success', 'success', 'error']);
    expect(verdicts[2]!.sentence).to.match(/Le point de contrôle gardé dans ce navigateur n’est pas signé/);
  });

  it('fetches nothing beyond its limit and says what to use instead; an agency is told why it cannot recompute the root', async () => {
    log.requests = 0;
    const large = await checkRoot(log, log.published, { limit: 2000 });
    expect(large.outcome).to.equal('info');
    expect(large.sentence).to.match(/Le journal compte 2500 entrées ; le navigateur n’en vérifie pas plus de 2000\. Il n’a rien téléchargé.*passerelle audit verify --live/);
    expect(log.requests).to.equal(0);
    const agency = await run({ everyEntry: false });
    expect(outcomes(agency)).to.deep.equal(['success', 'info', 'info']);
    expect(agency[1]!.sentence).to.match(/réservé à l’auditeur/);
    expect(agency[1]!.title).to.equal('Recalcul de la racine réservé à l’auditeur');
  });

  it('says an entry newer than the checkpoint is not yet provable, and a key it cannot read makes the signature red', async () => {
    log.append(3);
    const newer = (await log.entries(2501, 2502)).entries[0]!;
    const verdict = await checkInclusion(log, newer, log.published);
    expect(verdict).to.include({ outcome: 'info' });
    expect(verdict.sentence).to.equal('L’entrée 2501 est plus récente que le dernier point de contrôle (2500 entrées) : elle sera vérifiable au prochain point de contrôle.');
    const none = await checkSignature(log.published, []);
    expect(none.verdict.outcome).to.equal('error');
    expect(none.verdict.sentence).to.equal('Les clés publiées de la passerelle n’ont pas pu être lues : la passerelle ne publie aucune clé.');
    const garbled = await checkSignature(log.published, [{ fingerprint: 'abcd', armored: '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n' }]);
    expect(garbled.verdict.sentence).to.equal('Les clés publiées de la passerelle n’ont pas pu être lues : la clé abcd n’est pas une clé publique OpenPGP valide et non révoquée.');
    expect(garbled.checkpoint).to.equal(undefined);
  });
});
