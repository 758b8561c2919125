/**
 * Verification of the audit log from what the gateway publishes, shared by the server's tests and the
 * auditor's offline command (`passerelle audit verify`). Pure: the caller fetches or reads; this module
 * only computes. Every check throws GatewayError('audit_invalid') naming the first index at fault; none
 * returns false.
 *
 * Input is treated as hostile: an export is a file anyone may have edited, so its shape is checked
 * before any value is used.
 */
import type { PublicKey } from '../crypto/keys.js';
import { GatewayError } from '../domain/errors.js';
import { verifyCheckpoint, type Checkpoint, type PublishedCheckpoint } from './checkpoint.js';
import { entryBytes, leafHash, type AuditEntry } from './entry.js';
import { rootOf, verifyInclusion } from './merkle.js';

export const EXPORT_FORMAT = 'passerelle-audit-export/1';

/** An entry as the entries endpoint answers it: the entry's fields plus its stored leaf hash. */
export interface ExportedEntry {
  index: number;
  leafHash: string;
  [field: string]: unknown;
}

export interface AuditExport {
  format: typeof EXPORT_FORMAT;
  exportedAt: string;
  checkpoint: PublishedCheckpoint;
  entries: ExportedEntry[];
}

export interface InclusionProof {
  index: number;
  treeSize: number;
  leafHash: string;
  auditPath: string[];
}

export interface ExportSummary {
  treeSize: number;
  rootHash: string;
  timestamp: string;
  /** Number of entries of each event. */
  events: Record<string, number>;
  cosigners: string[];
}

const HASH = /^[0-9a-f]{64}$/;

function invalid(detail: string, index?: number): never {
  throw new GatewayError('audit_invalid', detail, index === undefined ? {} : { index });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The leaf hash of an exported entry, recomputed from its canonical bytes (RFC 8785, RFC 9162 section 2.1.1). */
export function recomputeLeafHash(entry: Record<string, unknown>): string {
  const { leafHash: _stored, ...fields } = entry;
  return leafHash(entryBytes(fields as unknown as AuditEntry));
}

/**
 * Where position `position` of the export stops matching the log, when the entry there does not carry
 * that index. The rest of the export tells which kind of tampering explains it.
 */
function misplaced(entries: ReadonlyArray<Record<string, unknown>>, position: number, claimed: number): never {
  const claims = entries.filter((e) => e['index'] === claimed).length;
  if (claims > 1) {
    const at = Math.min(position, claimed);
    invalid(`An entry was inserted at index ${at}: ${claims} entries claim index ${claimed}.`, at);
  }
  const later = entries.findIndex((e, i) => i > position && e['index'] === position);
  if (later >= 0) invalid(`Entry ${position} was reordered: it appears at position ${later}, and position ${position} holds entry ${claimed}.`, position);
  if (claimed > position) invalid(`Entry ${position} was removed: the export goes from entry ${position - 1} to entry ${claimed}.`, position);
  invalid(`Entry ${position} was reordered: position ${position} holds entry ${claimed}.`, position);
}

/**
 * Checks every entry against the checkpoint: each sits at the position of its index, hashes to its
 * stored leaf hash, and together they hash to the checkpoint's root (RFC 9162 section 2.1.2). The
 * checkpoint's signature must have been checked by the caller. `onProgress` is told the number of
 * entries checked so far, every 1,000 entries and at the end (a progress bar).
 */
export function verifyEntries(entries: unknown, checkpoint: Checkpoint, onProgress?: (checked: number) => void): Record<string, number> {
  if (!Array.isArray(entries)) invalid('The export holds no list of entries; export it again with `passerelle audit export`.');
  const events: Record<string, number> = {};
  const covered = Math.min(entries.length, checkpoint.treeSize);
  for (let position = 0; position < entries.length; position++) {
    if (onProgress && position % 1000 === 0 && position > 0) onProgress(position);
    const entry: unknown = entries[position];
    if (!isObject(entry) || !Number.isSafeInteger(entry['index']) || typeof entry['leafHash'] !== 'string' || !HASH.test(entry['leafHash'])) {
      invalid(`Entry ${position} was modified: it is not an object with an index and a lower-case hex leaf hash.`, position);
    }
    if (entry['index'] !== position) misplaced(entries as Array<Record<string, unknown>>, position, entry['index'] as number);
    if (recomputeLeafHash(entry) !== entry['leafHash']) {
      invalid(`Entry ${position} was modified: its content no longer hashes to its leaf hash ${entry['leafHash']}.`, position);
    }
    const event = typeof entry['event'] === 'string' ? entry['event'] : '(none)';
    if (position < covered) events[event] = (events[event] ?? 0) + 1;
  }
  if (entries.length < checkpoint.treeSize) {
    invalid(`Entry ${entries.length} was removed: the checkpoint covers ${checkpoint.treeSize} entries and the export ends after ${entries.length}.`, entries.length);
  }
  if (entries.length > checkpoint.treeSize) {
    invalid(`An entry was inserted at index ${checkpoint.treeSize}: the checkpoint covers ${checkpoint.treeSize} entries and the export holds ${entries.length}. Export again: an export stops at its checkpoint.`, checkpoint.treeSize);
  }
  onProgress?.(entries.length);
  const root = rootOf((entries as ExportedEntry[]).map((e) => e.leafHash));
  if (root !== checkpoint.rootHash) {
    invalid(
      `The ${checkpoint.treeSize} entries hash to the root ${root}, but the checkpoint signs ${checkpoint.rootHash}: entries were changed together with their leaf hashes. The export alone cannot say which; check single entries with \`passerelle audit prove\`.`,
    );
  }
  return events;
}

/** Verifies an export: the checkpoint's signature by the gateway, then every entry against it. */
export async function verifyExport(data: unknown, gatewayKeys: PublicKey[], onProgress?: (checked: number, total: number) => void): Promise<ExportSummary> {
  if (!isObject(data) || data['format'] !== EXPORT_FORMAT) {
    invalid(`This is not an audit export (format ${EXPORT_FORMAT}); produce one with \`passerelle audit export\`.`);
  }
  const checkpoint = await verifyCheckpoint(data['checkpoint'], gatewayKeys);
  const total = Array.isArray(data['entries']) ? data['entries'].length : 0;
  const events = verifyEntries(data['entries'], checkpoint, onProgress ? (checked) => onProgress(checked, total) : undefined);
  const cosignatures = (data['checkpoint'] as { cosignatures?: unknown }).cosignatures;
  const cosigners = Array.isArray(cosignatures) ? cosignatures.map((c) => String((c as { partner?: unknown })?.partner)) : [];
  return { treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, timestamp: checkpoint.timestamp, events, cosigners };
}

/**
 * One entry against a checkpoint: its leaf hash recomputed from its content is the one the proof
 * starts from, and the audit path leads to the checkpoint's root (RFC 9162 section 2.1.3.2).
 */
export function verifyEntryInclusion(opts: { entry: unknown; proof: unknown; checkpoint: Checkpoint }): void {
  const { entry, proof, checkpoint } = opts;
  if (!isObject(entry) || !Number.isSafeInteger(entry['index'])) invalid('The entry has no index; use the entry exactly as the gateway returned it.');
  const index = entry['index'] as number;
  if (!isObject(proof) || proof['index'] !== index || proof['treeSize'] !== checkpoint.treeSize || typeof proof['leafHash'] !== 'string' || !Array.isArray(proof['auditPath'])) {
    invalid(`The inclusion proof is not for entry ${index} in the tree of ${checkpoint.treeSize} entries of the checkpoint.`, index);
  }
  if (recomputeLeafHash(entry) !== proof['leafHash']) {
    invalid(`Entry ${index} was modified: its content does not hash to the leaf the log proves at index ${index}.`, index);
  }
  verifyInclusion({ index, treeSize: checkpoint.treeSize, leafHash: proof['leafHash'], auditPath: proof['auditPath'] as string[], rootHash: checkpoint.rootHash });
}
