import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { GatewayError } from '../../../src/domain/errors.js';
import { DEFERRED_WRITE_DELAY_MS, GroupCommit } from '../../../src/store/sqlite/group-commit.js';

/**
 * Holds every fsync until released: `started` resolves at the first one, so a test knows the commit
 * is done and its WAL sync is running, without guessing how long that takes.
 */
function holdFsync(): { started: Promise<string>; count(): number; releaseAll(): void; restore(): void } {
  const realFsync = fs.fsync;
  const held: Array<() => void> = [];
  let started!: (file: string) => void;
  const first = new Promise<string>((resolve) => (started = resolve));
  fs.fsync = ((fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
    held.push(() => realFsync(fd, callback));
    started(fs.readlinkSync(`/proc/self/fd/${fd}`));
  }) as typeof fs.fsync;
  return {
    started: first,
    count: () => held.length,
    releaseAll: () => held.splice(0).forEach((release) => release()),
    restore: () => {
      fs.fsync = realFsync;
    },
  };
}

/** Lets every callback already due run (I/O, immediates, promise jobs): what could settle now has settled. */
const turn = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

/** A WAL database with one table, as the store opens its file. */
function openWalDatabase(dir: string): Database.Database {
  const db = new Database(path.join(dir, 'g.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (v TEXT PRIMARY KEY) STRICT');
  return db;
}

describe('SQLite group commit', () => {
  let dir: string;
  let db: Database.Database;
  /** A second connection: what it reads is committed, and its data_version counts the commits of others. */
  let observer: Database.Database;
  let group: GroupCommit;

  const commits = () => (observer.pragma('data_version', { simple: true }) as number);
  const rows = () => (observer.prepare('SELECT v FROM t ORDER BY v').all() as Array<{ v: string }>).map((r) => r.v);
  const insert = (v: string) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-group-'));
    db = openWalDatabase(dir);
    observer = new Database(path.join(dir, 'g.sqlite'), { readonly: true });
    group = new GroupCommit(db);
  });
  afterEach(async () => {
    observer.close();
    await group.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('commits the writes requested together in one transaction, and each resolves once committed', async () => {
    const before = commits();
    const seen: string[][] = [];
    await Promise.all(Array.from({ length: 20 }, (_, i) => group.run(insert(`v${String(i).padStart(2, '0')}`)).then(() => seen.push(rows()))));
    expect(commits() - before, 'transactions').to.equal(1);
    // Every caller, when resolved, finds all of its batch committed (seen from another connection).
    for (const snapshot of seen) expect(snapshot).to.have.length(20);
  });

  it('fails a write alone: its batch-mates commit, its own changes are rolled back', async () => {
    const failing = () => {
      db.prepare('INSERT INTO t (v) VALUES (?)').run('half-done');
      throw new Error('refused after a first insert');
    };
    const outcomes = await Promise.allSettled([group.run(insert('a')), group.run(failing), group.run(insert('b'))]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect(((outcomes[1] as PromiseRejectedResult).reason as Error).message).to.equal('refused after a first insert');
    expect(rows()).to.deep.equal(['a', 'b']);
  });

  it('fails the whole batch, and resolves none of it, when the transaction cannot commit', async () => {
    // Another connection holds the write lock: BEGIN IMMEDIATE gives up at once (busy_timeout 0).
    const locker = new Database(path.join(dir, 'g.sqlite'));
    db.pragma('busy_timeout = 0');
    locker.exec('BEGIN IMMEDIATE');
    try {
      const outcomes = await Promise.allSettled([group.run(insert('x')), group.run(insert('y'))]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected']);
      expect(((outcomes[0] as PromiseRejectedResult).reason as { code?: string }).code).to.match(/^SQLITE_BUSY/);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    expect(rows()).to.deep.equal([]);
  });

  it('commits a write that need not be durable at once, without a sync, leaving the deferred writes to wait for the next acceptance', async () => {
    const fsync = holdFsync();
    try {
      const before = commits();
      const receipt = group.run(insert('receipt'), { deferred: true });
      expect(await group.run(insert('subject'), { durable: false }), 'answered at its commit').to.equal(1);
      expect(rows(), 'committed alone: the deferred receipt still waits').to.deep.equal(['subject']);
      expect(commits() - before).to.equal(1);
      await group.synced();
      await turn();
      expect(fsync.count(), 'no sync for it, and synced() waits for none').to.equal(0);
      const accepted = group.run(insert('message'));
      await fsync.started;
      fsync.releaseAll();
      await Promise.all([accepted, receipt]);
      expect(rows()).to.deep.equal(['message', 'receipt', 'subject']);
      expect(commits() - before, 'the receipt joined the acceptance').to.equal(2);
      expect(db.pragma('synchronous', { simple: true })).to.equal(2);
    } finally {
      fsync.restore();
    }
  });

  it('holds a deferred write for the next batch, or commits it alone after the delay', async () => {
    const before = commits();
    const deferred = group.run(insert('receipt'), { deferred: true });
    await turn();
    expect(rows(), 'not committed before the delay').to.deep.equal([]);
    await Promise.all([deferred, group.run(insert('accept'))]);
    expect(rows()).to.deep.equal(['accept', 'receipt']);
    expect(commits() - before, 'one transaction for both').to.equal(1);

    const started = Date.now();
    await group.run(insert('alone'), { deferred: true });
    expect(Date.now() - started).to.be.at.least(DEFERRED_WRITE_DELAY_MS - 2);
    expect(rows()).to.include('alone');
  });
});

describe('SQLite group commit: the WAL sync off the main thread', () => {
  let dir: string;
  let db: Database.Database;
  let group: GroupCommit;
  const realFsync = fs.fsync;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-group-'));
    db = openWalDatabase(dir);
    group = new GroupCommit(db);
  });
  afterEach(async () => {
    fs.fsync = realFsync;
    await group.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers only after the fsync of the WAL that follows the commit, and restores synchronous=FULL', async () => {
    const fsync = holdFsync();
    try {
      let resolved = false;
      const write = group.run(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('a')).then(() => (resolved = true));
      expect(await fsync.started, 'the WAL file is synced').to.equal(path.join(fs.realpathSync(dir), 'g.sqlite-wal'));
      await turn();
      expect(resolved, 'not answered before the sync completed').to.equal(false);
      fsync.releaseAll();
      await write;
      expect(resolved).to.equal(true);
      expect(db.pragma('synchronous', { simple: true })).to.equal(2);
    } finally {
      fsync.restore();
    }
  });

  it('after a failed WAL sync: the batch\'s outcome is unknown, readers are not shown its rows, and no further write is taken', async () => {
    const held: Array<() => void> = [];
    let syncing!: () => void;
    const started = new Promise<void>((resolve) => (syncing = resolve));
    fs.fsync = ((_fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
      held.push(() => callback(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })));
      syncing();
    }) as typeof fs.fsync;
    const write = group.run(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('b'));
    await started;
    const reader = group.synced();
    held.shift()!();
    const [written, read] = await Promise.allSettled([write, reader]);
    expect((written as PromiseRejectedResult).reason).to.be.instanceOf(GatewayError).with.property('code', 'outcome_unknown');
    expect((read as PromiseRejectedResult).reason).to.be.instanceOf(GatewayError).with.property('code', 'unavailable');
    // Refused before anything is written: for these, "nothing was accepted" is true.
    const later = await Promise.allSettled([group.run(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('c')), group.run(() => 1, { durable: false })]);
    for (const outcome of later) expect((outcome as PromiseRejectedResult).reason).to.be.instanceOf(GatewayError).with.property('code', 'unavailable');
    expect((later[0] as PromiseRejectedResult).reason.message).to.include('restart the gateway');
    expect(db.prepare('SELECT v FROM t ORDER BY v').all()).to.deep.equal([{ v: 'b' }]);
  });
});

describe('SQLite group commit: reads of what is committed but not yet synced', () => {
  it('synced() waits for the WAL sync of every batch committed before the call', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-group-'));
    const db = openWalDatabase(dir);
    const group = new GroupCommit(db);
    await group.synced();
    const fsync = holdFsync();
    try {
      const write = group.run(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('a'));
      await fsync.started;
      expect(fsync.count(), 'one sync running').to.equal(1);
      let synced = false;
      const waiting = group.synced().then(() => (synced = true));
      await turn();
      expect(synced, 'not before the sync').to.equal(false);
      fsync.releaseAll();
      await Promise.all([write, waiting]);
      expect(synced).to.equal(true);
    } finally {
      fsync.restore();
      await group.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite group commit: settled()', () => {
  it('commits the deferred writes waiting now before it resolves', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-group-'));
    const db = openWalDatabase(dir);
    const group = new GroupCommit(db);
    try {
      void group.run(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('receipt'), { deferred: true });
      await group.settled();
      expect(db.prepare('SELECT v FROM t').all()).to.deep.equal([{ v: 'receipt' }]);
    } finally {
      await group.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
