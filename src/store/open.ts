/**
 * The one place that chooses the engine from the settings: PostgreSQL when PASSERELLE_DATABASE_URL is
 * set, the embedded SQLite file in PASSERELLE_DATA_DIR otherwise. The data directory is used either
 * way: it holds the secrets (pseudonym secret, dossier key-encryption key) that stay apart from the
 * database, and the store refuses to open beside secrets it was not written with. With
 * PASSERELLE_STORE_THREAD=on the SQLite store runs on a thread of its own (store-thread.ts).
 */
import type { Settings } from '../config/settings.js';
import { loadKeyEncryptionKey } from '../privacy/envelope.js';
import { loadPseudonymSecret } from '../privacy/pseudonym.js';
import type { Engine } from './engine.js';
import { GatewayStore } from './gateway-store.js';
import type { Store } from './port.js';
import { PgEngine, type PgEngineOptions } from './postgres/engine.js';
import { assertSharedSecrets } from './shared-secrets.js';
import { SqliteEngine, type SqliteEngineOptions } from './sqlite/engine.js';
import { openStoreThread } from './store-thread.js';

async function storeOn(engine: Engine, dataDir: string): Promise<GatewayStore> {
  const store = new GatewayStore(engine, dataDir);
  try {
    const secrets = [
      { file: 'secrets/pseudonym.key', secret: loadPseudonymSecret(dataDir) },
      { file: 'secrets/dossier.kek', secret: loadKeyEncryptionKey(dataDir) },
    ];
    await engine.write(() => assertSharedSecrets(engine.sql, secrets, new Date().toISOString()), { serialised: false });
    // A file or a server that cannot be written (SQLite opens a read-only file without an error; a
    // PostgreSQL replica after a failover) fails at start, not on every request.
    await store.checkWritable();
    return store;
  } catch (err) {
    await engine.close();
    throw err;
  }
}

export async function openSqliteStore(options: SqliteEngineOptions): Promise<GatewayStore> {
  return storeOn(await SqliteEngine.open(options), options.dataDir);
}

export async function openPgStore(options: PgEngineOptions & { dataDir: string }): Promise<GatewayStore> {
  return storeOn(await PgEngine.open(options), options.dataDir);
}

export function openStore(settings: Pick<Settings, 'dataDir' | 'databaseUrl'> & Partial<Pick<Settings, 'storeThread'>>): Promise<Store> {
  if (settings.databaseUrl !== undefined) return openPgStore({ url: settings.databaseUrl, dataDir: settings.dataDir });
  if (settings.storeThread === true) return openStoreThread({ dataDir: settings.dataDir });
  return openSqliteStore({ dataDir: settings.dataDir });
}
