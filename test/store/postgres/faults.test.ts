/**
 * The PostgreSQL engine's faults: a connection cut in the middle of an acceptance is a 503 that wrote
 * nothing, and a server that cannot be reached stops the start with one line that names the setting.
 */
import { expect } from 'chai';
import pg from 'pg';
import { GatewayError } from '../../../src/domain/errors.js';
import type { GatewayStore } from '../../../src/store/gateway-store.js';
import type { PgEngine } from '../../../src/store/postgres/engine.js';
import { openPgStore } from '../../../src/store/open.js';
import { disposeTempStore, newMessage, openTempStore, PG_TEST_URL, pgQuery, thrownBy, type TempStore } from '../../fixtures/store.js';

describe('store (postgresql) faults', () => {
  let temp: TempStore;
  beforeEach(async () => {
    temp = await openTempStore('passerelle-store-', 'postgresql');
  });
  afterEach(() => disposeTempStore(temp));

  it('answers unavailable, and writes nothing, when its connection is cut in the middle of an acceptance', async () => {
    const { store } = temp;
    const name = `passerelle ${((store as GatewayStore).engine as PgEngine).relayId.slice(0, 8)}`;
    // The acceptance waits on the sequencer (another writer holds it) while its server process is terminated.
    const other = new pg.Client({ connectionString: PG_TEST_URL, options: `-c search_path=${temp.schema}` });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT id FROM audit_sequencer FOR UPDATE');
      const accepting = thrownBy(() => store.accept(newMessage()));
      const waiting = async () => (await pgQuery<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [name]))[0]?.pid;
      let pid: number | undefined;
      for (let tries = 0; pid === undefined && tries < 100; tries++) pid = await waiting();
      expect(pid, 'the acceptance is waiting for the sequencer').to.be.a('number');
      await pgQuery('SELECT pg_terminate_backend($1)', [pid]);
      const error = await accepting;
      expect(error).to.be.instanceOf(GatewayError);
      expect((error as GatewayError).code).to.equal('unavailable');
      expect((error as GatewayError).status).to.equal(503);
    } finally {
      await other.query('ROLLBACK');
      await other.end();
    }
    expect(await store.findMessage(newMessage().messageId)).to.equal(undefined);
    expect(await store.auditSize()).to.equal(0);
    // The pool replaces the lost connection: the retry is accepted.
    expect((await store.accept(newMessage())).kind).to.equal('accepted');
  });
});

describe('store (postgresql) opening', () => {
  it('fails in one line naming PASSERELLE_DATABASE_URL, never the password, when the server cannot be reached', async () => {
    const url = 'postgres://passerelle:s3cret-pw@127.0.0.1:1/passerelle';
    const error = await thrownBy(() => openPgStore({ url, dataDir: '/nonexistent' }));
    expect(error).to.be.instanceOf(GatewayError);
    expect((error as GatewayError).code).to.equal('store_unavailable');
    expect((error as GatewayError).message).to.include('PASSERELLE_DATABASE_URL').and.include('127.0.0.1:1').and.not.include('s3cret-pw');
    expect((error as GatewayError).message).not.to.include('\n');
  });
});
