/**
 * Checks an access report's JSON annex (rapport-acces.json) with nothing of the gateway but its public
 * keys: the checkpoint's signature, then for every line its entry (canonical JSON, RFC 8785), the
 * leaf hash of those bytes (RFC 9162 section 2.1.1), the audit path to the signed root (section
 * 2.1.3.2), and that what the line says (index, time, organisation, kind of line, person) is what the
 * entry says. The file is hostile input: every value is checked before it is used. Pure.
 *
 * What the log cannot prove is said, not hidden: which documents a dossier carried comes from the
 * store's record of the dossier; the log proves the dossier's entry and its document count, and the
 * check holds the count of the lines to it.
 */
import canonicalize from 'canonicalize';
import { verifyCheckpoint, type SignedCheckpoint } from '../audit/checkpoint.js';
import { leafHash } from '../audit/entry.js';
import { verifyInclusion } from '../audit/merkle.js';
import type { PublicKey } from '../crypto/keys.js';
import { GatewayError, isGatewayError } from '../domain/errors.js';
import { ACCESS_REPORT_FORMAT, reportedIndexes } from './access-report.js';
import { EVENT_RULES, partyOf } from './disclosure-rules.js';

export interface LineCheck {
  number: number;
  index: number | undefined;
  /** Undefined when the line holds; otherwise why not, in words. */
  failure?: string;
}

export interface ReportCheck {
  /** Null only for a report with no line (the exchange held nothing about the reference). */
  checkpoint: SignedCheckpoint | null;
  lines: LineCheck[];
  /** Lines whose entry the checkpoint does not cover (no audit path): not proven, not false. */
  uncovered: number[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(detail: string): never {
  throw new GatewayError('audit_invalid', detail);
}

function checkLine(line: Record<string, unknown>, checkpoint: SignedCheckpoint): { index: number; entry: Record<string, unknown> } {
  const index = line['index'];
  const proof = line['proof'];
  if (!Number.isSafeInteger(index) || !isObject(proof) || typeof proof['entry'] !== 'string' || typeof proof['leafHash'] !== 'string') {
    throw new Error('it has no log index, or no proof with the entry and its leaf hash');
  }
  const text = proof['entry'];
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error('its log entry is not JSON: it was altered');
  }
  if (!isObject(entry) || canonicalize(entry) !== text) throw new Error('its log entry is not in the canonical form the log stores (RFC 8785): it was altered');
  if (entry['index'] !== index) throw new Error(`its log entry is entry ${String(entry['index'])}, not ${String(index)}`);
  if (leafHash(Buffer.from(text, 'utf8')) !== proof['leafHash']) throw new Error(`its log entry does not hash to its leaf hash ${String(proof['leafHash'])}: the entry or the hash was altered`);
  if (entry['timestamp'] !== line['at']) throw new Error(`the line says ${String(line['at'])} but the log entry says ${String(entry['timestamp'])}`);
  const rule = EVENT_RULES[String(entry['event'])];
  if (rule !== undefined) {
    if (rule.section !== line['section']) throw new Error(`the line is listed as a ${String(line['section'])} but the log entry (${String(entry['event'])}) is not one`);
    const party = rule.section === 'none' ? undefined : partyOf(rule, entry);
    const organisation = isObject(line['organisation']) ? line['organisation']['id'] : undefined;
    if (party !== organisation) throw new Error(`the line names the organisation ${String(organisation)} but the log entry names ${String(party)}`);
  }
  if (proof['auditPath'] !== null) {
    if (!Array.isArray(proof['auditPath'])) throw new Error('its audit path is not a list of hashes');
    try {
      verifyInclusion({ index: index as number, treeSize: checkpoint.treeSize, leafHash: proof['leafHash'], auditPath: proof['auditPath'] as string[], rootHash: checkpoint.rootHash });
    } catch (err) {
      if (isGatewayError(err, 'audit_invalid')) throw new Error(`its inclusion proof does not lead to the signed root of the checkpoint: ${err.message}`);
      throw err;
    }
  }
  return { index: index as number, entry };
}

/**
 * Verifies the annex; throws GatewayError('audit_invalid') when the file is not an access report or
 * its checkpoint is not signed by one of `gatewayKeys`, and otherwise says, per line, whether it holds.
 */
export async function checkAccessReport(data: unknown, gatewayKeys: PublicKey[]): Promise<ReportCheck> {
  if (!isObject(data) || data['format'] !== ACCESS_REPORT_FORMAT || !Array.isArray(data['lines'])) {
    invalid(`This is not an access report annex (format ${ACCESS_REPORT_FORMAT}): use the rapport-acces.json written by "passerelle access-report".`);
  }
  if (data['checkpoint'] === null) {
    if (data['lines'].length === 0) return { checkpoint: null, lines: [], uncovered: [] };
    invalid('The report holds no signed checkpoint: none of its lines can be proven. Ask the operator for a new report.');
  }
  const checkpoint = await verifyCheckpoint(data['checkpoint'], gatewayKeys);
  const lines: LineCheck[] = [];
  const uncovered: number[] = [];
  const persons = new Set<unknown>();
  const linesPerIndex = new Map<number, { count: unknown; numbers: number[]; documents: boolean }>();
  for (const [position, line] of (data['lines'] as unknown[]).entries()) {
    const number = position + 1;
    if (!isObject(line)) {
      lines.push({ number, index: undefined, failure: 'it is not an object' });
      continue;
    }
    const index = Number.isSafeInteger(line['index']) ? (line['index'] as number) : undefined;
    try {
      if (line['number'] !== number) throw new Error(`it is numbered ${String(line['number'])} at position ${number}: lines were removed or reordered`);
      const checked = checkLine(line, checkpoint);
      persons.add(checked.entry['beneficiary']);
      const group = linesPerIndex.get(checked.index) ?? { count: checked.entry['count'], numbers: [], documents: false };
      group.numbers.push(number);
      if (line['document'] !== undefined) group.documents = true;
      linesPerIndex.set(checked.index, group);
      if ((line['proof'] as Record<string, unknown>)['auditPath'] === null) uncovered.push(number);
      lines.push({ number, index });
    } catch (err) {
      if (!(err instanceof Error) || err instanceof GatewayError) throw err;
      lines.push({ number, index, failure: err.message });
    }
  }
  // A dossier's entry counts its documents: when the report lists them, its lines are exactly that many.
  for (const [index, group] of linesPerIndex) {
    if ((group.numbers.length > 1 || group.documents) && group.count !== group.numbers.length) {
      for (const number of group.numbers) {
        const found = lines.find((l) => l.number === number)!;
        found.failure ??= `log entry ${index} records a dossier of ${String(group.count)} documents, but the report lists ${group.numbers.length} lines for it`;
      }
    }
  }
  if (persons.size > 1) {
    for (const line of lines) line.failure ??= 'the lines are not all about the same person (their log entries carry different pseudonyms): lines were added from another report';
  }
  return { checkpoint, lines, uncovered };
}

/**
 * Completeness, which the annex alone cannot show: the log entries of a verified audit export that
 * carry the person's pseudonym (read from the report's own entries) and that the rules make lines,
 * but that the report does not list. Only the auditor holds a full export; its entries must have been
 * verified against its checkpoint first (verifyExport). Indexes beyond the export are not judged.
 */
export function missingLines(report: { lines: ReadonlyArray<{ index: number; proof: { entry: string } }> }, exported: ReadonlyArray<Record<string, unknown>>): number[] {
  const persons = new Set(report.lines.map((line) => (JSON.parse(line.proof.entry) as Record<string, unknown>)['beneficiary']));
  if (persons.size !== 1) return [];
  const [person] = persons;
  const listed = new Set(report.lines.map((line) => line.index));
  const ofPerson = exported
    .filter((entry) => entry['beneficiary'] === person)
    .map((entry) => {
      const { leafHash: stored, ...fields } = entry;
      return { index: entry['index'] as number, entry: canonicalize(fields)!, leafHash: String(stored) };
    });
  return reportedIndexes(ofPerson).filter((index) => !listed.has(index));
}
