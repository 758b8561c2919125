/**
 * The one transaction loop of both engines (src/store/transaction.ts): synchronous when the engine
 * answers synchronously, asynchronous otherwise, and an engine's error thrown into the business code
 * at the statement that caused it.
 */
import { expect } from 'chai';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import type { Tables } from '../../src/store/tables.js';
import { drive, row, template, type Sql, type Statement, type StatementResult, type Tx } from '../../src/store/transaction.js';

function* twoStatements(): Tx<string> {
  const first = yield { sql: 'first', parameters: [1] };
  let second: StatementResult;
  try {
    second = yield { sql: 'second', parameters: [2] };
  } catch (err) {
    return `caught ${(err as Error).message} after ${first.changes}`;
  }
  return `${first.changes}+${second.changes}`;
}

const answer = (statement: Statement): StatementResult => ({ rows: [], changes: statement.parameters[0] as number });

describe('store transactions: one loop for both engines', () => {
  it('runs synchronously on an engine that answers synchronously', () => {
    const value = drive(twoStatements(), answer);
    expect(value).to.equal('1+2');
  });

  it('runs asynchronously on an engine that answers with promises', async () => {
    const value = drive(twoStatements(), async (statement) => answer(statement));
    expect(value).to.be.instanceOf(Promise);
    expect(await value).to.equal('1+2');
  });

  it('throws an engine error into the transaction at the statement that failed, synchronously or not', async () => {
    const failSecond = (statement: Statement): StatementResult => {
      if (statement.sql === 'second') throw new Error('unique violation');
      return answer(statement);
    };
    expect(drive(twoStatements(), failSecond)).to.equal('caught unique violation after 1');
    expect(await drive(twoStatements(), async (statement) => failSecond(statement))).to.equal('caught unique violation after 1');
  });

  it('rejects with the error the transaction does not catch', async () => {
    function* uncaught(): Tx<void> {
      yield { sql: 'fails', parameters: [] };
    }
    expect(() => drive(uncaught(), () => {
      throw new Error('disk full');
    })).to.throw('disk full');
    let rejected: unknown;
    await (drive(uncaught(), async () => {
      throw new Error('connection lost');
    }) as Promise<void>).catch((err: unknown) => (rejected = err));
    expect(rejected).to.be.instanceOf(Error).with.property('message', 'connection lost');
  });
});

describe('store transactions: templates compiled once per engine', () => {
  const compileOnly = (dialect: 'sqlite' | 'postgres'): Sql =>
    new Kysely<Tables>({
      dialect: {
        createAdapter: () => (dialect === 'sqlite' ? new SqliteAdapter() : new PostgresAdapter()),
        createDriver: () => new DummyDriver(),
        createIntrospector: (db) => (dialect === 'sqlite' ? new SqliteIntrospector(db) : new PostgresIntrospector(db)),
        createQueryCompiler: () => (dialect === 'sqlite' ? new SqliteQueryCompiler() : new PostgresQueryCompiler()),
      },
    });
  let builds = 0;
  const FIND = template((sql, p: { id: string; receipt: string | undefined }) => {
    builds += 1;
    return sql.selectFrom('messages').select('message_id').where('message_id', '=', p.id).where('receipt', '=', p.receipt ?? null).where('status', '=', 'queued');
  });

  function* first(sql: Sql, id: string, receipt?: string): Tx<void> {
    yield* row(FIND(sql, { id, receipt }));
  }

  it('builds each shape once per engine and fills in the values of each call, in their places', () => {
    const sqlite = compileOnly('sqlite');
    const postgres = compileOnly('postgres');
    const seen: Statement[] = [];
    const capture = (statement: Statement): StatementResult => (seen.push(statement), { rows: [], changes: 0 });
    drive(first(sqlite, 'a', 'r1'), capture);
    drive(first(sqlite, 'b'), capture);
    drive(first(postgres, 'c', 'r3'), capture);
    expect(builds).to.equal(2);
    expect(seen.map((s) => s.parameters)).to.deep.equal([
      ['a', 'r1', 'queued'],
      ['b', null, 'queued'],
      ['c', 'r3', 'queued'],
    ]);
    expect(seen[0]!.sql).to.equal(seen[1]!.sql).and.to.include('"message_id" = ?');
    expect(seen[2]!.sql).to.include('"message_id" = $1').and.include('"status" = $3');
  });
});
