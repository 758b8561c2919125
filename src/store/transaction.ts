/**
 * How the store's business code talks to a database without knowing which one: a transaction is a
 * generator that yields compiled statements and receives their results. The same generator runs
 * synchronously on better-sqlite3 (so that the embedded store's group commit keeps a whole batch in
 * one synchronous transaction) and asynchronously on PostgreSQL; `drive` is the one loop for both.
 *
 * Statements are built with Kysely's query builder and compiled for the engine's dialect (`?` or `$n`
 * placeholders, quoting), so the business code writes each query once.
 */
import type { Compilable, Kysely } from 'kysely';
import type { Tables } from './tables.js';

/** A compiled statement: SQL text in the engine's dialect and its parameters. */
export interface Statement {
  sql: string;
  parameters: readonly unknown[];
}

export interface StatementResult {
  /** Rows returned (SELECT, or RETURNING). */
  rows: readonly unknown[];
  /** Rows inserted, updated or deleted (or returned, for a statement that returns rows). */
  changes: number;
}

/** A unit of work on the store: yields statements, returns T. */
export type Tx<T> = Generator<Statement, T, StatementResult>;

/** The query builder of one engine: compiles, never executes. */
export type Sql = Kysely<Tables>;

/** A statement compiled from a template (see `template`), with the row type of its query. */
export interface Prepared<R> {
  readonly statement: Statement;
  /** Carries the row type only. */
  readonly row?: R;
}

export type Query<R> = Compilable<R> | Prepared<R>;

function statementOf(query: Query<unknown>): Statement {
  if ('statement' in query) return query.statement;
  const compiled = query.compile();
  return { sql: compiled.sql, parameters: compiled.parameters };
}

/** Stands for a named parameter while a template's query is built and compiled. */
class Slot {
  constructor(readonly name: string) {}
}

/**
 * A query of a fixed shape, built by Kysely and compiled once per engine, then run with new values, as
 * a prepared statement is: the hot path pays for neither building nor compiling. `build` receives
 * stand-ins for the parameters (`p.id`) and must use each only as a value, never branch on it.
 */
export function template<P extends object, R>(build: (sql: Sql, p: P) => Compilable<R>): (sql: Sql, values: P) => Prepared<R> {
  const shapes = new WeakMap<Sql, { sql: string; parameters: readonly unknown[] }>();
  return (sql, values) => {
    let shape = shapes.get(sql);
    if (shape === undefined) {
      const slots = new Proxy({}, { get: (_target, name) => new Slot(String(name)) }) as P;
      const compiled = build(sql, slots).compile();
      shape = { sql: compiled.sql, parameters: compiled.parameters };
      shapes.set(sql, shape);
    }
    const named = values as Record<string, unknown>;
    return { statement: { sql: shape.sql, parameters: shape.parameters.map((value) => (value instanceof Slot ? named[value.name] ?? null : value)) } };
  };
}

/** Every row the query returns. */
export function* rows<R>(query: Query<R>): Tx<R[]> {
  return (yield statementOf(query)).rows as R[];
}

/** The first row the query returns, if any. */
export function* row<R>(query: Query<R>): Tx<R | undefined> {
  return (yield statementOf(query)).rows[0] as R | undefined;
}

/** Runs an INSERT, UPDATE or DELETE; returns how many rows it changed. */
export function* execute(query: Query<unknown>): Tx<number> {
  return (yield statementOf(query)).changes;
}

/**
 * Runs `tx`, handing each statement to `exec`. With an `exec` that answers synchronously the whole
 * transaction runs synchronously and `drive` returns its value; with one that answers with promises,
 * `drive` returns a promise. An error from `exec` is thrown into the generator at the statement that
 * caused it, so the business code may catch it there (a unique violation, say).
 */
export function drive<T>(tx: Tx<T>, exec: (statement: Statement) => StatementResult | Promise<StatementResult>, start?: IteratorResult<Statement, T>): T | Promise<T> {
  let step = start ?? tx.next();
  while (!step.done) {
    let result: StatementResult | Promise<StatementResult>;
    try {
      result = exec(step.value);
    } catch (err) {
      step = tx.throw(err);
      continue;
    }
    if (result instanceof Promise) {
      return result.then(
        (answer) => drive(tx, exec, tx.next(answer)),
        (err: unknown) => drive(tx, exec, tx.throw(err)),
      );
    }
    step = tx.next(result);
  }
  return step.value;
}
