/**
 * The person's access report (RGPD art. 15), as a model: every disclosure about the person that the
 * audit log records (which organisation, which kind of document, when, under which rule), the agencies'
 * lookups that found them, and for each line the log entry with its RFC 9162 inclusion proof (section
 * 2.1.3) against one signed checkpoint. Pure: the caller reads the store and signs; the HTML and PDF
 * print this model, and its JSON is the annex that `passerelle access-report verify` checks.
 *
 * Only entries that carry the person's keyed pseudonym are read, so nothing about anyone else can
 * reach a line; the partner registry gives names, never anything else of a partner.
 */
import type { PublishedCheckpoint } from '../audit/checkpoint.js';
import { AGREEMENT, EVENT_RULES, MESSAGE_TYPES, partyOf, type Wording } from './disclosure-rules.js';

export const ACCESS_REPORT_FORMAT = 'passerelle-access-report/1';

/** An audit entry as the store keeps it: its canonical JSON (RFC 8785) and its leaf hash. */
export interface StoredEntry {
  index: number;
  entry: string;
  leafHash: string;
}

export interface Organisation {
  id: string;
  name: string;
}

export interface LineProof {
  /** The entry, canonical JSON exactly as stored: its leaf hash is SHA-256(0x00 || these bytes). */
  entry: string;
  leafHash: string;
  /** RFC 9162 section 2.1.3.1 PATH(index, D_treeSize) of the checkpoint; null when the checkpoint does not cover the entry. */
  auditPath: string[] | null;
}

export interface ReportLine {
  /** 1, 2, ...: how the report and the verify command name the line. */
  number: number;
  section: 'disclosure' | 'lookup';
  organisation: Organisation;
  /** What reached the organisation (a disclosure) or what it did (a lookup), for a person. */
  label: string;
  basis: string;
  /** A document a dossier carried: its kind and who wrote it (store record of the dossier, not in the log). */
  document?: { messageId: string; type: string; label: string; author: Organisation };
  /** RFC 3339 UTC, the entry's timestamp. */
  at: string;
  index: number;
  proof: LineProof;
}

export interface AccessReport {
  format: typeof ACCESS_REPORT_FORMAT;
  generatedAt: string;
  /** The person's reference: the report is for the person, and its files are kept mode 0600. */
  beneficiaryRef: string;
  /** False: the exchange holds nothing about the reference (never seen, or erased: then unlinkable). */
  held: boolean;
  controller: { operator: string; dataProtectionOfficer: string; organisations: string[] };
  lines: ReportLine[];
  /** The checkpoint every proof leads to, as GET /v1/audit/checkpoint publishes it; null when none could be had. */
  checkpoint: PublishedCheckpoint | null;
  /** Log indexes the checkpoint does not cover yet (their proofs come with a later checkpoint). */
  uncovered: number[];
}

export interface ReportInput {
  beneficiaryRef: string;
  generatedAt: Date;
  /** The partner's name in the registry; undefined for an id the registry no longer holds. */
  partnerName: (id: string) => string | undefined;
  controller: AccessReport['controller'];
  /** Absent when the exchange holds no subject for the reference. */
  person?: {
    /** Every entry whose beneficiary is the person's pseudonym, in index order. */
    entries: readonly StoredEntry[];
    /** The kept documents each dossier notice disclosed (store.disclosuresOf). */
    disclosures: ReadonlyArray<{ noticeId: string; documentId: string }>;
    /** Type and author of each kept document, by message id (the messages table). */
    documents: ReadonlyMap<string, { type: string; sender: string }>;
  };
  checkpoint: PublishedCheckpoint | null;
  /** Audit paths against `checkpoint`, by log index, for the indexes it covers. */
  auditPaths: ReadonlyMap<number, string[]>;
}

/** The entries of the person that become lines, in index order: what the report needs proofs for. */
export function reportedIndexes(entries: readonly StoredEntry[]): number[] {
  return entries.filter((stored) => lineRule(parseEntry(stored)) !== undefined).map((stored) => stored.index);
}

type ParsedEntry = Record<string, unknown> & { index: number; event: string };

function parseEntry(stored: StoredEntry): ParsedEntry {
  const parsed = JSON.parse(stored.entry) as ParsedEntry;
  if (parsed.index !== stored.index) throw new TypeError(`audit entry at ${stored.index} names index ${String(parsed.index)}`);
  return parsed;
}

/** The rule that makes the entry a line, or undefined when it is not one. */
function lineRule(entry: ParsedEntry) {
  const rule = EVENT_RULES[entry.event] ?? UNKNOWN_EVENT;
  if (rule.section === 'none') return undefined;
  const party = partyOf(rule, entry);
  // A message addressed to the gateway itself (an opt-out) reached no organisation.
  if (party === undefined || party === 'passerelle') return undefined;
  if (rule.section === 'lookup' && entry['code'] !== rule.outcome) return undefined;
  return rule;
}

/** An event this version does not know yet: it is shown, never dropped, if it names an organisation. */
const UNKNOWN_EVENT = { section: 'disclosure', party: 'recipient', wording: 'by-type' } as const;

function wordingOf(type: string | undefined): Wording {
  return (type !== undefined ? MESSAGE_TYPES[type] : undefined) ?? { label: `Autre document (${type ?? 'sans type'})`, basis: "À préciser par l'exploitant de la passerelle" };
}

export function buildAccessReport(input: ReportInput): AccessReport {
  const organisation = (id: string): Organisation => ({ id, name: input.partnerName(id) ?? `Organisme « ${id} » (qui ne fait plus partie de l'échange)` });
  const lines: ReportLine[] = [];
  const checkpoint = input.checkpoint;
  const covered = (index: number) => checkpoint !== null && index < checkpoint.treeSize && input.auditPaths.has(index);
  for (const stored of input.person?.entries ?? []) {
    const entry = parseEntry(stored);
    const rule = lineRule(entry);
    if (rule === undefined) continue;
    const type = typeof entry['type'] === 'string' ? entry['type'] : undefined;
    const wording = rule.section === 'lookup' ? LOOKUP_WORDING : wordingOf(rule.wording === 'by-type' ? type : rule.wording);
    const base = {
      section: rule.section,
      organisation: organisation(partyOf(rule, entry)!),
      label: wording.label,
      basis: wording.basis,
      at: String(entry['timestamp']),
      index: stored.index,
      proof: { entry: stored.entry, leafHash: stored.leafHash, auditPath: covered(stored.index) ? [...input.auditPaths.get(stored.index)!] : null },
    };
    const carried = rule.section === 'disclosure' && 'documents' in rule ? input.person!.disclosures.filter((d) => d.noticeId === entry['messageId']) : [];
    if (carried.length === 0) {
      lines.push({ number: 0, ...base });
      continue;
    }
    for (const { documentId } of carried) {
      const known = input.person!.documents.get(documentId);
      const documentType = known?.type ?? 'inconnu';
      lines.push({
        number: 0,
        ...base,
        document: { messageId: documentId, type: documentType, label: wordingOf(known?.type).label, author: organisation(known?.sender ?? 'inconnu') },
      });
    }
  }
  lines.forEach((line, i) => (line.number = i + 1));
  const uncovered = [...new Set(lines.filter((line) => line.proof.auditPath === null).map((line) => line.index))];
  return {
    format: ACCESS_REPORT_FORMAT,
    generatedAt: input.generatedAt.toISOString(),
    beneficiaryRef: input.beneficiaryRef,
    held: input.person !== undefined,
    controller: input.controller,
    lines,
    checkpoint,
    uncovered,
  };
}

const LOOKUP_WORDING: Wording = {
  label: 'Recherche de votre dossier parmi les personnes que cet organisme accompagne (vous avez été trouvé)',
  basis: `${AGREEMENT} (mieux identifier les bénéficiaires parmi les demandeurs d'emploi)`,
};

/** A date and time for a person in Paris: "6 décembre 2026 à 00:45:16". */
export function parisTime(iso: string): string {
  return new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'medium' }).format(new Date(iso));
}

/** A short digest of a line's proof for the printed report: the first 16 hex digits of the entry's leaf hash. */
export function proofDigest(line: Pick<ReportLine, 'proof'>): string {
  return line.proof.leafHash.slice(0, 16);
}
