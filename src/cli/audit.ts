/**
 * `passerelle audit ...`: the auditor's tools. Everything the gateway answers is verified here with the
 * pure code of src/audit/ before it is printed or saved, so the auditor trusts the gateway's key and
 * nothing else of the gateway's.
 * The commands and their options are declared in commands.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { verifyCheckpoint, type SignedCheckpoint } from '../audit/checkpoint.js';
import { verifyConsistency } from '../audit/merkle.js';
import { EXPORT_FORMAT, verifyEntries, verifyEntryInclusion, verifyExport, type AuditExport, type ExportSummary } from '../audit/verify.js';
import { AuditClient } from '../client/audit-client.js';
import { loadPartnerView } from '../client/partner-view.js';
import type { Settings } from '../config/settings.js';
import { readPublicKeys, type PublicKey } from '../crypto/keys.js';
import { GatewayError } from '../domain/errors.js';
import { auditScope } from '../http/authorization.js';
import { LAYOUT } from '../trust/trust-store.js';
import { loadRegistry } from '../trust/registry.js';
import { required, usageError, wholeNumber, type CommandSpec, type ParsedCommand } from './command-line.js';
import { EXIT } from './exit-codes.js';
import { progressBar } from './progress.js';
import { gatewayUrl } from './send.js';

interface AuditContext {
  settings: Settings;
  as: string;
  gateway: string | undefined;
  gatewayKeyFile: string | undefined;
  json: boolean;
  print: (line: string) => void;
}

function contextOf(settings: Settings, parsed: ParsedCommand, print?: (line: string) => void): AuditContext {
  const v = parsed.values;
  return {
    settings,
    as: typeof v['as'] === 'string' ? v['as'] : 'auditor',
    gateway: typeof v['gateway'] === 'string' ? v['gateway'] : undefined,
    gatewayKeyFile: typeof v['gateway-key'] === 'string' ? v['gateway-key'] : undefined,
    json: v['json'] === true,
    print: print ?? ((line) => process.stdout.write(`${line}\n`)),
  };
}

/** Runs `passerelle audit <sub>` once its command line is parsed (main.ts). */
export async function runAudit(opts: { settings: Settings; spec: CommandSpec; parsed: ParsedCommand; print?: (line: string) => void }): Promise<number> {
  const context = contextOf(opts.settings, opts.parsed, opts.print);
  const { spec, parsed } = opts;
  switch (spec.name) {
    case 'audit export':
      return exportLog(context, required(spec, parsed, 'out'));
    case 'audit verify': {
      const file = parsed.values['export'];
      const live = parsed.values['live'] === true;
      if (live === (typeof file === 'string')) throw usageError(spec, 'give either --export FILE (an export, offline) or --live (the gateway\'s log), not both.');
      if (typeof file === 'string') return verifyFile(context, file);
      return verifyLive(context, typeof parsed.values['state'] === 'string' ? parsed.values['state'] : defaultStateFile(context));
    }
    case 'audit checkpoint':
      return requestCheckpoint(context);
    case 'audit prove': {
      required(spec, parsed, 'index');
      return prove(context, wholeNumber(spec, parsed, 'index', { min: 0 })!);
    }
    default:
      throw usageError(spec, `unknown audit command "${spec.name}".`);
  }
}

async function gatewayKeys(context: AuditContext): Promise<PublicKey[]> {
  const file = context.gatewayKeyFile ?? path.join(context.settings.certsDir, LAYOUT.gatewayPublicKey);
  let armored: string;
  try {
    armored = fs.readFileSync(file, 'utf8');
  } catch {
    throw new GatewayError('config_invalid', `Cannot read the gateway's public key at ${file}. Pass --gateway-key FILE or set PASSERELLE_CERTS_DIR.`);
  }
  return readPublicKeys({ armored, source: file });
}

async function connect(context: AuditContext): Promise<AuditClient> {
  const view = await loadPartnerView({ dir: context.settings.certsDir, id: context.as });
  return new AuditClient({ baseUrl: gatewayUrl(context.settings, context.gateway), tls: view.tls });
}

/** A full view needs the auditor's credentials: an agency sees only the entries that name it. */
function requireAuditor(context: AuditContext): void {
  const partner = loadRegistry(path.join(context.settings.certsDir, LAYOUT.registry)).get(context.as);
  if (partner === undefined || auditScope(partner).kind !== 'every-entry') {
    throw new GatewayError('forbidden', `${context.as} is not the auditor: an agency sees only the entries that name it, so a full export or verification needs --as <the auditor's id>. Check single entries with "passerelle audit prove --index N --as ${context.as}".`);
  }
}

function describe(summary: Pick<ExportSummary, 'treeSize' | 'rootHash' | 'timestamp'>): string {
  return `checkpoint of ${summary.treeSize} entries, root ${summary.rootHash}, signed ${summary.timestamp}: signature by the gateway key verified`;
}

function printSummary(context: AuditContext, summary: ExportSummary): void {
  context.print(describe(summary));
  const events = Object.entries(summary.events).map(([event, count]) => `${event} ${count}`).join(', ');
  context.print(`${summary.treeSize} entries verified (${events || 'none'}): each at its index, each hashing to its leaf hash, together hashing to the signed root`);
  if (summary.cosigners.length > 0) context.print(`cosigned by: ${summary.cosigners.join(', ')} (cosignatures not checked here)`);
}

async function fetchVerifiedExport(context: AuditContext, keys: PublicKey[]): Promise<{ client: AuditClient; data: AuditExport; checkpoint: SignedCheckpoint }> {
  requireAuditor(context);
  const client = await connect(context);
  const published = (await client.checkpoint()) as AuditExport['checkpoint'];
  const checkpoint = await verifyCheckpoint(published, keys);
  const bar = progressBar({ json: context.json });
  bar.stage('receiving entries', checkpoint.treeSize);
  const entries = await client.entries(0, checkpoint.treeSize, (received) => bar.update(received)).finally(() => bar.stop());
  return { client, checkpoint, data: { format: EXPORT_FORMAT, exportedAt: new Date().toISOString(), checkpoint: published, entries } };
}

async function exportLog(context: AuditContext, out: string): Promise<number> {
  const { data } = await fetchVerifiedExport(context, await gatewayKeys(context));
  const temporary = `${out}.partial`;
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(temporary, `${JSON.stringify(data)}\n`);
  fs.renameSync(temporary, out);
  if (context.json) {
    context.print(JSON.stringify({ out, entries: data.entries.length, treeSize: data.checkpoint.treeSize, rootHash: data.checkpoint.rootHash }, null, 2));
    return EXIT.ok;
  }
  context.print(`exported ${data.entries.length} entries and the checkpoint of ${data.checkpoint.treeSize} entries (signature verified) to ${out}`);
  context.print(`verify it offline with: passerelle audit verify --export ${out}`);
  return EXIT.ok;
}

/** Entries checked, on a terminal: hashing a large log takes a while. */
function verificationBar(context: AuditContext, total: number): { onProgress: (checked: number) => void; stop: () => void } {
  const bar = progressBar({ json: context.json });
  bar.stage('verifying entries', total);
  return { onProgress: (checked) => bar.update(checked), stop: () => bar.stop() };
}

async function verifyFile(context: AuditContext, file: string): Promise<number> {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new GatewayError('audit_invalid', `Cannot read ${file} as JSON (${(err as Error).message}); produce it with "passerelle audit export".`);
  }
  const entries = (data as { entries?: unknown })?.entries;
  const bar = verificationBar(context, Array.isArray(entries) ? entries.length : 0);
  const summary = await verifyExport(data, await gatewayKeys(context), (checked) => bar.onProgress(checked)).finally(() => bar.stop());
  if (context.json) context.print(JSON.stringify({ ...summary, verified: true }, null, 2));
  else printSummary(context, summary);
  return EXIT.ok;
}

function defaultStateFile(context: AuditContext): string {
  return path.join(context.settings.dataDir, 'audit', `${context.as}.last-checkpoint.json`);
}

async function verifyLive(context: AuditContext, stateFile: string): Promise<number> {
  const keys = await gatewayKeys(context);
  const { client, data, checkpoint } = await fetchVerifiedExport(context, keys);
  const bar = verificationBar(context, data.entries.length);
  let events: Record<string, number>;
  try {
    events = verifyEntries(data.entries, checkpoint, bar.onProgress);
  } finally {
    bar.stop();
  }
  const cosigners = data.checkpoint.cosignatures?.map((c) => c.partner) ?? [];
  const summary: ExportSummary = { treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, timestamp: checkpoint.timestamp, events, cosigners };
  if (!context.json) printSummary(context, summary);

  let consistency: { from: number; signed: string } | undefined;
  if (fs.existsSync(stateFile)) {
    // The checkpoint verified last time is trusted only as far as its own signature.
    const previous = await verifyCheckpoint(JSON.parse(fs.readFileSync(stateFile, 'utf8')), keys);
    const answer = (await client.consistencyProof(Math.min(previous.treeSize, checkpoint.treeSize), checkpoint.treeSize)) as { proof?: unknown };
    verifyConsistency({ first: previous.treeSize, second: checkpoint.treeSize, firstHash: previous.rootHash, secondHash: checkpoint.rootHash, proof: answer.proof as string[] });
    consistency = { from: previous.treeSize, signed: previous.timestamp };
    if (!context.json) context.print(`the log only grew since the checkpoint of ${previous.treeSize} entries verified before (signed ${previous.timestamp}): consistency proof verified`);
  } else if (!context.json) {
    context.print(`no earlier checkpoint in ${stateFile}: the next run will check that the log only grew from this one`);
  }
  const { treeSize, rootHash, timestamp, signature } = checkpoint;
  fs.mkdirSync(path.dirname(stateFile), { recursive: true });
  fs.writeFileSync(stateFile, `${JSON.stringify({ treeSize, rootHash, timestamp, signature }, null, 2)}\n`);
  if (context.json) context.print(JSON.stringify({ ...summary, verified: true, consistency: consistency ?? null, stateFile }, null, 2));
  return EXIT.ok;
}

async function requestCheckpoint(context: AuditContext): Promise<number> {
  const client = await connect(context);
  const answer = await client.requestCheckpoint();
  const checkpoint = await verifyCheckpoint(answer, await gatewayKeys(context));
  context.print(JSON.stringify(answer, null, 2));
  process.stderr.write(`passerelle: ${describe(checkpoint)}\n`);
  return EXIT.ok;
}

function isAuditor(context: AuditContext): boolean {
  const partner = loadRegistry(path.join(context.settings.certsDir, LAYOUT.registry)).get(context.as);
  return partner !== undefined && auditScope(partner).kind === 'every-entry';
}

function holds(size: number): string {
  return size === 0 ? 'the log holds no entry yet (send a message first)' : `the log holds ${size} entr${size === 1 ? 'y' : 'ies'} (0..${size - 1})`;
}

async function prove(context: AuditContext, index: number): Promise<number> {
  const client = await connect(context);
  const keys = await gatewayKeys(context);
  let checkpoint = await verifyCheckpoint(await client.checkpoint(), keys);
  if (index >= checkpoint.treeSize && isAuditor(context)) {
    // The periodic checkpoint may lag behind the log: the auditor may ask for one of the log as it is now.
    checkpoint = await verifyCheckpoint(await client.requestCheckpoint(), keys);
    process.stderr.write(`passerelle: asked the gateway for a checkpoint of the log as it is now (${checkpoint.treeSize} entries)\n`);
  }
  if (index >= checkpoint.treeSize) {
    const how = isAuditor(context)
      ? 'Choose an index in that range: the audit index of a receipt, or one listed by "passerelle audit export".'
      : `Entries written since the latest checkpoint (signed ${checkpoint.timestamp}) are covered by the next one (every PASSERELLE_CHECKPOINT_INTERVAL_SECONDS when the log grew); the auditor can ask for one now with "passerelle audit checkpoint".`;
    throw new GatewayError('not_found', `There is no entry ${index}: ${holds(checkpoint.treeSize)}, as far as the latest checkpoint covers it. ${how}`);
  }
  const [entry] = (await client.entries(index, index + 1)).filter((e) => e.index === index);
  if (!entry) throw new GatewayError('not_found', `Entry ${index} is not visible to ${context.as}: an agency sees the entries that name it. Ask as the auditor (--as auditor), or choose the audit index of one of your receipts.`);
  const proof = await client.inclusionProof(index, checkpoint.treeSize);
  verifyEntryInclusion({ entry, proof, checkpoint });
  if (context.json) {
    context.print(JSON.stringify({ entry, checkpoint: { treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, timestamp: checkpoint.timestamp }, inclusion: 'verified' }, null, 2));
    return EXIT.ok;
  }
  context.print(JSON.stringify(entry, null, 2));
  context.print(`entry ${index} is in the ${describe(checkpoint)}; inclusion proof verified (RFC 9162 section 2.1.3.2)`);
  return EXIT.ok;
}
