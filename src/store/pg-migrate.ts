/**
 * Schema migrations of the PostgreSQL store, per component like the SQLite store's. Gateways that
 * start together would otherwise race to create the same tables: the whole run holds a session-level
 * advisory lock named after the schema, so the second waits, then finds everything applied.
 */
import type pg from 'pg';
import { pendingVersions } from './migration-plan.js';

/** Key of the advisory lock (a fixed 32-bit class id) and the schema it protects. */
const MIGRATION_LOCK_CLASS = 0x50415353; // "PASS"

export async function migrate(pool: pg.Pool, components: Readonly<Record<string, readonly string[]>>): Promise<void> {
  const client = await pool.connect();
  let broken = false;
  const lost = (): void => {
    broken = true;
  };
  client.on('error', lost);
  try {
    await client.query("SELECT pg_advisory_lock($1, hashtext(current_schema()))", [MIGRATION_LOCK_CLASS]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (component, version))');
      for (const [component, steps] of Object.entries(components)) {
        const { rows } = await client.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations WHERE component = $1', [component]);
        for (const version of pendingVersions(component, rows[0]!.v, steps)) {
          await client.query('BEGIN');
          try {
            await client.query(steps[version - 1]!);
            await client.query('INSERT INTO schema_migrations (component, version, applied_at) VALUES ($1, $2, $3)', [component, version, new Date().toISOString()]);
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK').catch(() => (broken = true));
            throw err;
          }
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, hashtext(current_schema()))', [MIGRATION_LOCK_CLASS]).catch(() => (broken = true));
    }
  } finally {
    client.off('error', lost);
    client.release(broken);
  }
}
