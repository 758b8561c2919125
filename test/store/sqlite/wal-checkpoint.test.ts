import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CHECKPOINT_AT_BYTES, SAFETY_NET_PAGES, WalCheckpointer } from '../../../src/store/sqlite/wal-checkpoint.js';

describe('SQLite WAL checkpoints off the main thread', () => {
  let dir: string;
  let file: string;
  let db: Database.Database;
  let checkpoints: WalCheckpointer;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-wal-'));
    file = path.join(dir, 'w.sqlite');
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (v BLOB) STRICT');
    checkpoints = new WalCheckpointer(db, file);
  });
  afterEach(async () => {
    await checkpoints.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('leaves the connection only a safety-net checkpoint, and copies a grown WAL into the database from its worker', async () => {
    expect(db.pragma('wal_autocheckpoint', { simple: true })).to.equal(SAFETY_NET_PAGES);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const rows = Math.ceil((1.5 * CHECKPOINT_AT_BYTES) / 8192);
    db.transaction(() => {
      for (let i = 0; i < rows; i++) insert.run(Buffer.alloc(8192, i % 256));
    })();
    // Committed to the WAL only: the database file itself holds the schema page(s).
    const before = fs.statSync(file).size;
    expect(before).to.be.below(CHECKPOINT_AT_BYTES / 4);
    const deadline = Date.now() + 10_000;
    while (fs.statSync(file).size < CHECKPOINT_AT_BYTES && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fs.statSync(file).size, 'pages copied into the database file').to.be.at.least(CHECKPOINT_AT_BYTES);
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).to.equal(rows);
  });
});
