/**
 * `passerelle access-report`: the person's access report (RGPD art. 15), on the gateway host with its
 * store, secrets and trust directory, written as rapport-acces.html, rapport-acces.pdf and
 * rapport-acces.json (mode 0600: they hold the person's reference). What it prints holds counts and
 * the checkpoint, never the person. `passerelle access-report verify` checks the JSON annex anywhere,
 * with the gateway's public key only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gatherAccessReport, lookupKeysOf } from '../app/access-report.js';
import type { Settings } from '../config/settings.js';
import { readPublicKeys, type PublicKey } from '../crypto/keys.js';
import { INLINE_CRYPTO } from '../crypto/service.js';
import { GatewayError } from '../domain/errors.js';
import { createLogger } from '../log/logger.js';
import { accessReportHtml } from '../report/access-report-html.js';
import { accessReportPdf } from '../report/access-report-pdf.js';
import { verifyExport } from '../audit/verify.js';
import { checkAccessReport, missingLines } from '../report/access-report-verify.js';
import { openStore } from '../store/open.js';
import { LAYOUT, loadTrustStore } from '../trust/trust-store.js';
import { EXIT } from './exit-codes.js';

export const REPORT_FILES = { html: 'rapport-acces.html', pdf: 'rapport-acces.pdf', json: 'rapport-acces.json' } as const;

/** Written whole or not at all, readable by the operator only: the files name the person. */
function writePrivate(file: string, data: string | Buffer): void {
  const temporary = `${file}.partial`;
  fs.rmSync(temporary, { force: true });
  fs.writeFileSync(temporary, data, { mode: 0o600 });
  fs.renameSync(temporary, file);
}

export async function runAccessReport(opts: { settings: Settings; beneficiaryRef: string; out: string; json?: boolean; print?: (line: string) => void }): Promise<number> {
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const { settings } = opts;
  const trust = await loadTrustStore({ dir: settings.certsDir });
  const store = await openStore(settings);
  let gathered;
  try {
    gathered = await gatherAccessReport(
      {
        store,
        lookups: lookupKeysOf(settings.dataDir),
        registry: trust.registry,
        signingKey: () => trust.gateway.privateKey,
        crypto: INLINE_CRYPTO,
        now: () => new Date(),
        logger: createLogger({ level: 'warn', stream: process.stderr }),
      },
      opts.beneficiaryRef,
    );
  } finally {
    await store.close();
  }
  const { report, signedCheckpoint } = gathered;
  fs.mkdirSync(opts.out, { recursive: true, mode: 0o700 });
  const files = Object.fromEntries(Object.entries(REPORT_FILES).map(([kind, name]) => [kind, path.join(opts.out, name)])) as Record<keyof typeof REPORT_FILES, string>;
  writePrivate(files.json, `${JSON.stringify(report, null, 2)}\n`);
  writePrivate(files.html, accessReportHtml(report));
  writePrivate(files.pdf, await accessReportPdf(report));

  const disclosures = report.lines.filter((l) => l.section === 'disclosure').length;
  const lookups = report.lines.filter((l) => l.section === 'lookup').length;
  const checkpoint = report.checkpoint === null ? null : { treeSize: report.checkpoint.treeSize, rootHash: report.checkpoint.rootHash, timestamp: report.checkpoint.timestamp };
  if (opts.json) {
    print(JSON.stringify({ out: opts.out, files: Object.values(REPORT_FILES), held: report.held, disclosures, lookups, checkpoint, signedCheckpoint, uncovered: report.uncovered }, null, 2));
    return EXIT.ok;
  }
  print(`passerelle: access report written to ${opts.out}: ${Object.values(REPORT_FILES).join(', ')}.`);
  print('These files hold the person\'s reference (mode 0600): hand them to the person only, as docs/operator.md says; delete your copy once handed over.');
  if (!report.held) {
    print('The gateway holds nothing about this reference (never seen, or erased: earlier entries cannot be linked to it); the report says so.');
    return EXIT.ok;
  }
  print(`${disclosures} disclosure line${disclosures === 1 ? '' : 's'}, ${lookups} lookup${lookups === 1 ? '' : 's'}; every line's proof is against the checkpoint of ${checkpoint?.treeSize ?? 0} entries${checkpoint ? ` signed ${checkpoint.timestamp}${signedCheckpoint ? ' (signed now: the newest lines were after the latest checkpoint)' : ''}` : ''}.`);
  if (report.uncovered.length > 0) print(`Log entries ${report.uncovered.join(', ')} are not covered by a checkpoint yet (none could be signed): produce the report again once the gateway has signed one.`);
  print(`Check it with: passerelle access-report verify ${files.json}`);
  return EXIT.ok;
}

async function gatewayKeys(settings: Settings, file: string | undefined): Promise<PublicKey[]> {
  const source = file ?? path.join(settings.certsDir, LAYOUT.gatewayPublicKey);
  let armored: string;
  try {
    armored = fs.readFileSync(source, 'utf8');
  } catch {
    throw new GatewayError('config_invalid', `Cannot read the gateway's public key at ${source}. Pass --gateway-key FILE (the gateway's published gateway/openpgp.asc) or set PASSERELLE_CERTS_DIR.`);
  }
  return readPublicKeys({ armored, source });
}

export async function runAccessReportVerify(opts: { settings: Settings; file: string; gatewayKeyFile: string | undefined; exportFile?: string | undefined; json?: boolean; print?: (line: string) => void }): Promise<number> {
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(opts.file, 'utf8'));
  } catch (err) {
    throw new GatewayError('audit_invalid', `Cannot read ${opts.file} as JSON (${(err as Error).message}): give the rapport-acces.json written by "passerelle access-report".`);
  }
  const keys = await gatewayKeys(opts.settings, opts.gatewayKeyFile);
  const check = await checkAccessReport(data, keys);
  const missing = opts.exportFile === undefined ? undefined : await completeness(opts.exportFile, data as { lines: Array<{ index: number; proof: { entry: string } }> }, keys);
  const failed = check.lines.filter((line) => line.failure !== undefined);
  const where = (line: { number: number; index: number | undefined }) => `line ${line.number}${line.index === undefined ? '' : ` (log entry ${line.index})`}`;
  if (check.checkpoint === null) {
    print(opts.json ? JSON.stringify({ checkpoint: null, lines: 0, failed: [], uncovered: [], verified: true }, null, 2) : 'the report lists no line (the gateway held nothing about the reference): there is nothing to prove.');
    return EXIT.ok;
  }
  const { treeSize, rootHash, timestamp } = check.checkpoint;
  if (opts.json) {
    print(JSON.stringify({ checkpoint: { treeSize, rootHash, timestamp }, lines: check.lines.length, failed: failed.map((l) => ({ line: l.number, index: l.index, failure: l.failure })), uncovered: check.uncovered, ...(missing ? { missing: missing.indexes } : {}), verified: failed.length === 0 && check.uncovered.length === 0 && (missing?.indexes.length ?? 0) === 0 }, null, 2));
  } else {
    print(`checkpoint of ${treeSize} entries, root ${rootHash}, signed ${timestamp}: signature by the gateway key verified`);
    for (const line of check.lines) {
      if (line.failure === undefined) print(`${where(line)}: ${check.uncovered.includes(line.number) ? 'its entry hashes to its leaf hash, but the checkpoint does not cover it yet: no proof' : 'holds: its entry hashes to its leaf hash, and its inclusion proof leads to the signed root'}`);
      else print(`${where(line)}: FAILS: ${line.failure}`);
    }
  }
  if (failed.length > 0) {
    throw new GatewayError('audit_invalid', `The report does not verify: ${failed.map((l) => `${where(l)}: ${l.failure}`).join('; ')}. Do not rely on it; ask the operator for a new report.`);
  }
  if (check.uncovered.length > 0) {
    throw new GatewayError('audit_invalid', `Lines ${check.uncovered.join(', ')} have no inclusion proof yet (the checkpoint does not cover them): ask the operator for a new report.`);
  }
  if (missing !== undefined && missing.indexes.length > 0) {
    throw new GatewayError('audit_invalid', `The report is incomplete: log entries ${missing.indexes.join(', ')} of the export are about the same person and are disclosures or lookups, but the report leaves them out.`);
  }
  if (!opts.json) {
    print(`${check.lines.length === 1 ? 'the one line' : `all ${check.lines.length} lines`} verified against the checkpoint of ${treeSize} entries.`);
    if (missing !== undefined) print(`complete: the export of ${missing.exported} entries (checkpoint verified) holds no other disclosure or lookup about this person.`);
  }
  return EXIT.ok;
}

/** The disclosures about the person that a verified audit export holds and the report does not list. */
async function completeness(file: string, report: { lines: Array<{ index: number; proof: { entry: string } }> }, keys: PublicKey[]): Promise<{ indexes: number[]; exported: number }> {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new GatewayError('audit_invalid', `Cannot read ${file} as JSON (${(err as Error).message}); produce it with "passerelle audit export".`);
  }
  const summary = await verifyExport(data, keys);
  if (report.lines.length === 0) throw new GatewayError('audit_invalid', 'The report lists no line, so it names no pseudonym to look for in the export: completeness cannot be checked this way.');
  return { indexes: missingLines(report, (data as { entries: Array<Record<string, unknown>> }).entries), exported: summary.treeSize };
}
