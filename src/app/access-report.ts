/**
 * Gathers the person's access report (RGPD art. 15; src/report/access-report.ts builds it): finds the
 * person by their reference WITHOUT creating anything (a lookup under the current pseudonym secret,
 * then under the retired ones), reads every audit entry that carries their pseudonym, the documents
 * their dossiers disclosed, and proves each line against one signed checkpoint: the newest one, or a
 * new one signed by the checkpointer's own code path when the newest lines are after it.
 *
 * Read-only but for that checkpoint: an access request must not change what it reports on.
 */
import type { PublishedCheckpoint, SignedCheckpoint } from '../audit/checkpoint.js';
import { inclusionPath, type NodeSource } from '../audit/merkle.js';
import type { PrivateKey } from '../crypto/keys.js';
import type { GatewayCrypto } from '../crypto/service.js';
import { GatewayError } from '../domain/errors.js';
import type { Logger } from '../log/logger.js';
import { createLookupKeys, pseudonymSecrets, type LookupKeys } from '../privacy/pseudonym.js';
import { buildAccessReport, reportedIndexes, type AccessReport, type StoredEntry } from '../report/access-report.js';
import type { Store } from '../store/port.js';
import type { Registry } from '../trust/registry.js';
import { Checkpointer } from './checkpointer.js';

const BENEFICIARY_REF = /^[0-9]{10}$/;
/** Entries read per page. */
const PAGE = 1000;

export interface AccessReportDependencies {
  store: Store;
  lookups: LookupKeys;
  registry: Registry;
  signingKey: () => PrivateKey;
  crypto: GatewayCrypto;
  now: () => Date;
  logger: Logger;
}

/** The lookups under the gateway's pseudonym secrets of `dataDir` (current and retired), as the gateway computes them. */
export function lookupKeysOf(dataDir: string): LookupKeys {
  return createLookupKeys(pseudonymSecrets(dataDir));
}

export interface GatheredReport {
  report: AccessReport;
  /** True when this request signed the checkpoint (the newest lines were after the newest one). */
  signedCheckpoint: boolean;
}

async function findPerson(deps: AccessReportDependencies, beneficiaryRef: string): Promise<string | undefined> {
  for (const lookup of [deps.lookups.current(beneficiaryRef), ...deps.lookups.previous(beneficiaryRef)]) {
    const found = await deps.store.findSubject(lookup);
    if (found !== undefined) return found;
  }
  return undefined;
}

async function entriesOf(deps: AccessReportDependencies, beneficiary: string): Promise<StoredEntry[]> {
  const entries: StoredEntry[] = [];
  for (let start = 0; ; ) {
    const page = await deps.store.findAuditEntries({ start, end: Number.MAX_SAFE_INTEGER, beneficiary }, PAGE);
    entries.push(...page);
    if (page.length < PAGE) return entries;
    start = page[page.length - 1]!.index + 1;
  }
}

/** The newest checkpoint if it covers `lastIndex`; otherwise one signed now (or the newest, when signing fails). */
async function checkpointCovering(deps: AccessReportDependencies, lastIndex: number | undefined): Promise<{ checkpoint: SignedCheckpoint | undefined; signed: boolean }> {
  const latest = await deps.store.latestCheckpoint();
  if (lastIndex === undefined || (latest !== undefined && latest.treeSize > lastIndex)) return { checkpoint: latest, signed: false };
  const checkpointer = new Checkpointer({ store: deps.store, signingKey: deps.signingKey, crypto: deps.crypto, now: deps.now, logger: deps.logger, intervalMs: 60_000 });
  try {
    const { checkpoint, created } = await checkpointer.checkpoint();
    return { checkpoint, signed: created };
  } catch (err) {
    // The report still lists every line; the lines the newest checkpoint does not cover say so.
    deps.logger.warn('access report: no checkpoint could be signed', { component: 'access-report', reason: (err as Error)?.message ?? 'unknown' });
    return { checkpoint: latest, signed: false };
  }
}

export async function gatherAccessReport(deps: AccessReportDependencies, beneficiaryRef: string): Promise<GatheredReport> {
  if (!BENEFICIARY_REF.test(beneficiaryRef)) {
    throw new GatewayError('usage_invalid', '--ref must be the 10-digit reference OFII gave the person (header.beneficiaryRef).');
  }
  const partnerName = (id: string) => deps.registry.get(id)?.name;
  const roleName = (role: string, fallback: string) => [...deps.registry.partners.values()].find((p) => p.role === role)?.name ?? fallback;
  const controller = {
    operator: roleName('operator', "l'exploitant de la passerelle"),
    dataProtectionOfficer: roleName('auditor', 'le délégué à la protection des données'),
    organisations: [...deps.registry.partners.values()].filter((p) => p.role === 'agency').map((p) => p.name),
  };
  const beneficiary = await findPerson(deps, beneficiaryRef);
  if (beneficiary === undefined) {
    const report = buildAccessReport({ beneficiaryRef, generatedAt: deps.now(), partnerName, controller, checkpoint: null, auditPaths: new Map() });
    return { report, signedCheckpoint: false };
  }
  const entries = await entriesOf(deps, beneficiary);
  const disclosures = await deps.store.disclosuresOf(beneficiary);
  const documents = new Map<string, { type: string; sender: string }>();
  for (const { documentId } of disclosures) {
    const message = await deps.store.findMessage(documentId);
    if (message !== undefined) documents.set(documentId, { type: message.type, sender: message.sender });
  }
  const indexes = reportedIndexes(entries);
  const { checkpoint, signed } = await checkpointCovering(deps, indexes.at(-1));
  let published: PublishedCheckpoint | null = null;
  const auditPaths = new Map<number, string[]>();
  if (checkpoint !== undefined) {
    published = { ...checkpoint, cosignatures: await deps.store.cosignatures(checkpoint.treeSize) };
    const nodes: NodeSource = { node: (level, index) => deps.store.auditNode(level, index) };
    for (const index of indexes) {
      if (index < checkpoint.treeSize) auditPaths.set(index, await inclusionPath(nodes, index, checkpoint.treeSize));
    }
  }
  const report = buildAccessReport({
    beneficiaryRef,
    generatedAt: deps.now(),
    partnerName,
    controller,
    person: { entries, disclosures, documents },
    checkpoint: published,
    auditPaths,
  });
  return { report, signedCheckpoint: signed };
}
