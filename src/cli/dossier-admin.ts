/**
 * Operator commands on the gateway host for the beneficiaries' dossiers: `passerelle erase`,
 * `passerelle lift-tombstone` and `passerelle retention run`. They open the store and the secrets of PASSERELLE_DATA_DIR and the trust
 * directory (the gateway's key signs the notices), like the gateway itself; the notices they queue
 * leave through the gateway's relay. They print what they did in counts, never a person's data.
 */
import { createDossierServices, type DossierServices } from '../app/dossier-services.js';
import type { Settings } from '../config/settings.js';
import { createValidator, defaultSchemasDir } from '../schema/validator.js';
import { openStore } from '../store/open.js';
import { loadTrustStore } from '../trust/trust-store.js';
import { EXIT } from './exit-codes.js';
import { progressBar } from './progress.js';

async function withServices<T>(settings: Settings, work: (services: DossierServices) => Promise<T>): Promise<T> {
  const trust = await loadTrustStore({ dir: settings.certsDir });
  const validator = createValidator({ schemasDir: defaultSchemasDir() });
  const store = await openStore(settings);
  try {
    return await work(createDossierServices({ settings, trust, store, validator, now: () => new Date() }));
  } finally {
    await store.close();
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export async function runErase(opts: { settings: Settings; beneficiaryRef: string; reason: string; json?: boolean; print?: (line: string) => void }): Promise<number> {
  const print = opts.print ?? ((line) => process.stdout.write(`${line}\n`));
  const report = await withServices(opts.settings, (services) => services.erase({ beneficiaryRef: opts.beneficiaryRef, reason: opts.reason }));
  if (opts.json) {
    print(JSON.stringify(report, null, 2));
    return EXIT.ok;
  }
  if (!report.erased) {
    print('passerelle: the gateway holds nothing about this reference (never seen, or already erased); nothing was erased.');
    return 0;
  }
  print(
    `passerelle: erased one person: ${plural(report.documents, 'dossier document')} destroyed (data key deleted), ` +
      `${plural(report.notices, 'withdrawal notice')} queued${report.notified.length > 0 ? ` (${report.notified.join(', ')})` : ''}, audit entry ${report.auditIndex}. ` +
      'The notices leave through the running gateway.' +
      (report.held.length > 0 ? ` ${report.held.join(', ')} ${report.held.length === 1 ? 'has' : 'have'} no usable OpenPGP key: ${report.held.length === 1 ? 'its notice waits' : 'their notices wait'}, encrypted, until a key is registered (then SIGHUP or the next retention sweep sends ${report.held.length === 1 ? 'it' : 'them'}).` : ''),
  );
  return EXIT.ok;
}

export async function runLiftTombstone(opts: { settings: Settings; beneficiaryRef: string; reason: string; json?: boolean; print?: (line: string) => void }): Promise<number> {
  const print = opts.print ?? ((line) => process.stdout.write(`${line}\n`));
  const report = await withServices(opts.settings, (services) => services.liftTombstone({ beneficiaryRef: opts.beneficiaryRef, reason: opts.reason }));
  if (opts.json) {
    print(JSON.stringify(report, null, 2));
    return EXIT.ok;
  }
  print(
    report.lifted
      ? `passerelle: lifted the tombstone of one person, audit entry ${report.auditIndex}. OFII may orient them again; the withdrawal notices already sent stand.`
      : 'passerelle: the gateway holds no tombstone for this reference (never opted out nor erased, or lifted already); nothing was changed.',
  );
  return EXIT.ok;
}

export async function runRetentionSweep(opts: { settings: Settings; json?: boolean; print?: (line: string) => void }): Promise<number> {
  const print = opts.print ?? ((line) => process.stdout.write(`${line}\n`));
  const bar = progressBar({ json: opts.json ?? false });
  const summary = await withServices(opts.settings, (services) => services.runRetention({ stage: (stage, total) => bar.stage(stage, total), step: () => bar.increment() })).finally(() => bar.stop());
  if (opts.json) {
    print(JSON.stringify(summary, null, 2));
    return EXIT.ok;
  }
  print(
    `passerelle: retention sweep: ${plural(summary.expired, 'orientation')} expired (${plural(summary.expiryNotices, 'notice')} queued), ` +
      `${plural(summary.destroyedNotTakenInCharge + summary.destroyedAfterRetention, 'dossier')} destroyed ` +
      `(${summary.destroyedNotTakenInCharge} never taken in charge, ${summary.destroyedAfterRetention} after the retention period; ${plural(summary.documentsDestroyed, 'document')}), ` +
      `${plural(summary.subjectsForgotten, 'unused subject')} forgotten, ` +
      `${plural(summary.heldNoticesReleased, 'held notice')} sent, ${plural(summary.heldNoticesWaiting, 'notice')} still waiting for a partner's key, ` +
      `${plural(summary.withdrawalReminders, 'withdrawal reminder')} sent.`,
  );
  return EXIT.ok;
}
