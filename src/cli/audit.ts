/**
 * `passerelle audit ...`: the auditor's tools. Everything the gateway answers is verified here with the
 * pure code of src/audit/ before it is printed or saved, so the auditor trusts the gateway's key and
 * nothing else of the gateway's.
 *
 *   audit export [--as P] --out FILE          full export: the latest checkpoint and every entry it covers
 *   audit verify --export FILE [--gateway-key FILE]
 *                                             offline: the checkpoint's signature, then every entry
 *   audit verify --live [--as P] [--state FILE]
 *                                             the same against the gateway, plus the consistency of the
 *                                             checkpoint verified last time (kept in the state file)
 *   audit checkpoint [--as P]                 asks for a checkpoint of the log as it is now
 *   audit prove --index N [--as P]            one entry, its inclusion proof and the latest checkpoint
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
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
import { gatewayUrl } from './send.js';

const USAGE = `usage:
  passerelle audit export [--as auditor] --out FILE
  passerelle audit verify --export FILE [--gateway-key FILE]
  passerelle audit verify --live [--as auditor] [--state FILE] [--gateway-key FILE]
  passerelle audit checkpoint [--as auditor]
  passerelle audit prove --index N [--as PARTNER]
(every command that talks to the gateway also takes --gateway URL)`;

const OPTIONS = {
  as: { type: 'string', default: 'auditor' },
  gateway: { type: 'string' },
  out: { type: 'string' },
  export: { type: 'string' },
  live: { type: 'boolean', default: false },
  state: { type: 'string' },
  'gateway-key': { type: 'string' },
  index: { type: 'string' },
} as const;

interface AuditContext {
  settings: Settings;
  as: string;
  gateway: string | undefined;
  gatewayKeyFile: string | undefined;
  print: (line: string) => void;
}

export async function runAudit(opts: { settings: Settings; args: string[]; print?: (line: string) => void }): Promise<number> {
  const [sub, ...rest] = opts.args;
  const { values } = parseArgs({ args: rest, options: OPTIONS });
  const context: AuditContext = {
    settings: opts.settings,
    as: values.as,
    gateway: values.gateway,
    gatewayKeyFile: values['gateway-key'],
    print: opts.print ?? ((line) => process.stdout.write(`${line}\n`)),
  };
  if (sub === 'export' && values.out) return exportLog(context, values.out);
  if (sub === 'verify' && values.export && !values.live) return verifyFile(context, values.export);
  if (sub === 'verify' && values.live && !values.export) return verifyLive(context, values.state ?? defaultStateFile(context));
  if (sub === 'checkpoint') return requestCheckpoint(context);
  if (sub === 'prove' && values.index !== undefined && /^\d{1,16}$/.test(values.index)) return prove(context, Number(values.index));
  throw new GatewayError('usage_invalid', USAGE);
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
  const entries = await client.entries(0, checkpoint.treeSize);
  return { client, checkpoint, data: { format: EXPORT_FORMAT, exportedAt: new Date().toISOString(), checkpoint: published, entries } };
}

async function exportLog(context: AuditContext, out: string): Promise<number> {
  const { data } = await fetchVerifiedExport(context, await gatewayKeys(context));
  const temporary = `${out}.partial`;
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(temporary, `${JSON.stringify(data)}\n`);
  fs.renameSync(temporary, out);
  context.print(`exported ${data.entries.length} entries and the checkpoint of ${data.checkpoint.treeSize} entries (signature verified) to ${out}`);
  context.print(`verify it offline with: passerelle audit verify --export ${out}`);
  return 0;
}

async function verifyFile(context: AuditContext, file: string): Promise<number> {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new GatewayError('audit_invalid', `Cannot read ${file} as JSON (${(err as Error).message}); produce it with "passerelle audit export".`);
  }
  printSummary(context, await verifyExport(data, await gatewayKeys(context)));
  return 0;
}

function defaultStateFile(context: AuditContext): string {
  return path.join(context.settings.dataDir, 'audit', `${context.as}.last-checkpoint.json`);
}

async function verifyLive(context: AuditContext, stateFile: string): Promise<number> {
  const keys = await gatewayKeys(context);
  const { client, data, checkpoint } = await fetchVerifiedExport(context, keys);
  const events = verifyEntries(data.entries, checkpoint);
  const cosigners = data.checkpoint.cosignatures?.map((c) => c.partner) ?? [];
  printSummary(context, { treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, timestamp: checkpoint.timestamp, events, cosigners });

  if (fs.existsSync(stateFile)) {
    // The checkpoint verified last time is trusted only as far as its own signature.
    const previous = await verifyCheckpoint(JSON.parse(fs.readFileSync(stateFile, 'utf8')), keys);
    const answer = (await client.consistencyProof(Math.min(previous.treeSize, checkpoint.treeSize), checkpoint.treeSize)) as { proof?: unknown };
    verifyConsistency({ first: previous.treeSize, second: checkpoint.treeSize, firstHash: previous.rootHash, secondHash: checkpoint.rootHash, proof: answer.proof as string[] });
    context.print(`the log only grew since the checkpoint of ${previous.treeSize} entries verified before (signed ${previous.timestamp}): consistency proof verified`);
  } else {
    context.print(`no earlier checkpoint in ${stateFile}: the next run will check that the log only grew from this one`);
  }
  const { treeSize, rootHash, timestamp, signature } = checkpoint;
  fs.mkdirSync(path.dirname(stateFile), { recursive: true });
  fs.writeFileSync(stateFile, `${JSON.stringify({ treeSize, rootHash, timestamp, signature }, null, 2)}\n`);
  return 0;
}

async function requestCheckpoint(context: AuditContext): Promise<number> {
  const client = await connect(context);
  const answer = await client.requestCheckpoint();
  const checkpoint = await verifyCheckpoint(answer, await gatewayKeys(context));
  context.print(JSON.stringify(answer, null, 2));
  process.stderr.write(`passerelle: ${describe(checkpoint)}\n`);
  return 0;
}

async function prove(context: AuditContext, index: number): Promise<number> {
  const client = await connect(context);
  const checkpoint = await verifyCheckpoint(await client.checkpoint(), await gatewayKeys(context));
  if (index >= checkpoint.treeSize) {
    throw new GatewayError('not_found', `Entry ${index} is not covered by the latest checkpoint (${checkpoint.treeSize} entries). Ask for a new one with "passerelle audit checkpoint" (auditor), or wait for the next periodic one.`);
  }
  const [entry] = (await client.entries(index, index + 1)).filter((e) => e.index === index);
  if (!entry) throw new GatewayError('not_found', `Entry ${index} is not visible to ${context.as}: an agency sees the entries that name it.`);
  const proof = await client.inclusionProof(index, checkpoint.treeSize);
  verifyEntryInclusion({ entry, proof, checkpoint });
  context.print(JSON.stringify(entry, null, 2));
  context.print(`entry ${index} is in the ${describe(checkpoint)}; inclusion proof verified (RFC 9162 section 2.1.3.2)`);
  return 0;
}
