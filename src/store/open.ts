/**
 * The one place that chooses the store from the settings: PostgreSQL when PASSERELLE_DATABASE_URL is
 * set, the embedded SQLite file in PASSERELLE_DATA_DIR otherwise. The data directory is used either
 * way: it holds the secrets (pseudonym secret, dossier key-encryption key) that stay apart from the
 * database.
 */
import type { Settings } from '../config/settings.js';
import type { StoredFact } from '../stats/facts.js';
import type { DossierStore } from './dossiers.js';
import { PgStore } from './pg.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

/** A store with its dossier and statistics components, whichever the engine. */
export interface OpenedStore extends Store {
  readonly dossiers: DossierStore;
  readonly statistics: { facts(): StoredFact[] | Promise<StoredFact[]> };
}

export async function openStore(settings: Pick<Settings, 'dataDir' | 'databaseUrl'>): Promise<OpenedStore> {
  if (settings.databaseUrl !== undefined) return PgStore.open({ url: settings.databaseUrl, dataDir: settings.dataDir });
  return SqliteStore.open({ dataDir: settings.dataDir });
}
