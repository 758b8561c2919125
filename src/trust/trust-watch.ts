/**
 * Keeps the trust store's OpenPGP keys in step with the trust directory while the gateway runs: a
 * reload on every change of a key file (file watch) and on demand (SIGHUP). A partner's key is then
 * rotated or revoked by editing partners/<id>/openpgp.asc, without a restart.
 *
 * The folders holding the key files are watched (the trust directory, gateway/ and each registered
 * partners/<id>/), not the files: an atomic replacement (write to a temporary name, then rename, which
 * is what editors and `install` do) is seen, and so is every later write to the new file. A watch on
 * the file itself, or Node's recursive watch on Linux, follows the replaced inode and misses the
 * writes after a rename. A partner folder that did not exist at start is not watched: SIGHUP applies it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GatewayError } from '../domain/errors.js';
import type { Logger } from '../log/logger.js';
import { LAYOUT, type TrustReload, type TrustStore } from './trust-store.js';

/**
 * Changes closer together than this are one change: `gpg --export > file` writes in several steps, and
 * a reload between two of them would read half a key (and keep the previous keys, but log an error).
 */
export const TRUST_RELOAD_DEBOUNCE_MS = 200;

export interface TrustWatch {
  /** Reads the keys again now (SIGHUP); resolves once applied or refused (refusals are logged, never thrown). */
  reload(): Promise<TrustReload | undefined>;
  close(): void;
}

/** The key files (and partners.json, to warn that it needs a restart) whose change triggers a reload, by folder. */
function watchedFiles(trust: TrustStore): Map<string, Set<string>> {
  const byFolder = new Map<string, Set<string>>();
  const add = (relative: string) => {
    const folder = path.join(trust.dir, path.dirname(relative));
    if (!byFolder.has(folder)) byFolder.set(folder, new Set());
    byFolder.get(folder)!.add(path.basename(relative));
  };
  add(LAYOUT.registry);
  add(LAYOUT.gatewayPublicKey);
  add(LAYOUT.gatewaySecretKey);
  for (const id of trust.registry.partners.keys()) add(LAYOUT.partnerPublicKey(id));
  return byFolder;
}

export function watchTrust(opts: { trust: TrustStore; logger: Logger; debounceMs?: number; /** After keys were reloaded (a partner may have a usable key now). */ onReloaded?: () => void }): TrustWatch {
  const { trust, logger } = opts;
  let timer: NodeJS.Timeout | undefined;

  const reload = async (): Promise<TrustReload | undefined> => {
    try {
      const outcome = await trust.reload();
      logger.info('trust keys reloaded', { component: 'trust', reason: outcome.withdrawn.length === 0 ? 'no key withdrawn' : `keys withdrawn: ${outcome.withdrawn.join(', ')}` });
      for (const warning of outcome.warnings) logger.warn('trust key warning', { component: 'trust', reason: warning });
      opts.onReloaded?.();
      return outcome;
    } catch (err) {
      const error = err instanceof GatewayError ? err : new GatewayError('config_invalid', `The OpenPGP keys of ${trust.dir} could not be reloaded (${(err as Error)?.message ?? 'unknown error'}).`, { cause: err });
      logger.error('trust keys not reloaded; the previous keys stay in force', { component: 'trust', code: error.code, reason: error.message });
      return undefined;
    }
  };

  const watchers: fs.FSWatcher[] = [];
  const unwatched = (folder: string, err: unknown) =>
    logger.error('trust directory not watched', { component: 'trust', reason: `${folder} cannot be watched for key changes (${(err as Error)?.message ?? 'error'}); send SIGHUP after changing a key file there` });
  for (const [folder, names] of watchedFiles(trust)) {
    if (!fs.existsSync(folder)) continue;
    try {
      const watcher = fs.watch(folder, { persistent: false }, (_event, filename) => {
        if (filename !== null && !names.has(filename)) return;
        clearTimeout(timer);
        timer = setTimeout(() => void reload(), opts.debounceMs ?? TRUST_RELOAD_DEBOUNCE_MS);
      });
      watcher.on('error', (err) => unwatched(folder, err));
      watchers.push(watcher);
    } catch (err) {
      unwatched(folder, err);
    }
  }
  for (const warning of trust.warnings) logger.warn('trust key warning', { component: 'trust', reason: warning });

  return {
    reload,
    close() {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
