/**
 * The audit log endpoints of docs/interface.md, section 6, mounted under /v1/audit behind the
 * client-certificate authentication of /v1.
 *
 * Who sees what is decided in src/http/authorization.ts: the auditor every entry, an agency the
 * entries that name it, the statistics role nothing. Checkpoints and consistency proofs reveal no
 * entry, so every agency may fetch them and compare the checkpoints it holds with others'.
 *
 * Proofs may be asked for any tree size up to the current size (not only the latest checkpoint's),
 * so that a partner holding an older checkpoint can still check entries and growth against it.
 */
import express, { type Request, type Response } from 'express';
import type { Checkpointer } from '../app/checkpointer.js';
import { verifyCosignature, type PublishedCheckpoint } from '../audit/checkpoint.js';
import { consistencyProof, inclusionPath, type NodeSource } from '../audit/merkle.js';
import type { PublicKey } from '../crypto/keys.js';
import type { GatewayCrypto, VerifyDetachedArguments } from '../crypto/service.js';
import { GatewayError } from '../domain/errors.js';
import type { AuditLogPort } from '../store/port.js';
import type { Store } from '../store/port.js';
import { auditEntryAnswer } from './audit-answer.js';
import { readEntryQuery, wholeNumber as integer } from './audit-filter.js';
import { auditScope, callerOf, permit, unseenAuditEntry } from './authorization.js';
import { readBoundedBody } from './body.js';

export interface AuditRouterDependencies {
  store: AuditLogPort & Pick<Store, 'auditSize'>;
  checkpointer: Checkpointer;
  /** The registered OpenPGP keys of a partner, to check its cosignatures. */
  partnerKeys: (partnerId: string) => PublicKey[];
  /** Where cosignatures are verified (the gateway's worker pool). */
  crypto: GatewayCrypto;
  now: () => Date;
  /** The gateway's published OpenPGP keys (current and previous), armored, which sign its checkpoints. */
  gatewayKeys: () => Array<{ fingerprint: string; armored: string }>;
}

/** Entries per answer (docs/interface.md, section 6). */
export const MAX_ENTRIES_PER_ANSWER = 1000;
const MAX_COSIGNATURE_BYTES = 64 * 1024;

function allow(methods: string) {
  return (_req: Request, res: Response) => {
    res.setHeader('Allow', methods);
    throw new GatewayError('method_not_allowed', `Use ${methods} on this path.`);
  };
}

export function createAuditRouter(deps: AuditRouterDependencies): express.Router {
  const { store, checkpointer } = deps;
  const nodes: NodeSource = { node: (level, index) => store.auditNode(level, index) };
  const router = express.Router();

  // Filters (period, event, agency, message id) narrow the caller's scope, never widen it: an agency's
  // own name is always one of the partners an entry must name.
  router.get('/entries', permit('audit.read'), async (req, res) => {
    const scope = auditScope(callerOf(res));
    const query = readEntryQuery(req.query as Record<string, unknown>);
    const treeSize = await store.auditSize();
    const until = Math.min(query.end ?? treeSize, treeSize);
    const naming = [...(scope.kind === 'entries-naming' ? [scope.partnerId] : []), ...(query.agency === undefined ? [] : [query.agency])];
    const rows = await store.findAuditEntries(
      {
        start: query.start,
        end: until,
        ...(naming.length > 0 ? { naming } : {}),
        ...(query.events === undefined ? {} : { events: query.events }),
        ...(query.from === undefined ? {} : { from: query.from }),
        ...(query.to === undefined ? {} : { to: query.to }),
        ...(query.messageId === undefined ? {} : { messageId: query.messageId }),
      },
      query.limit + 1,
    );
    const page = rows.slice(0, query.limit);
    res.json({
      entries: page.map(auditEntryAnswer),
      // Where to start the next request when this answer is not the whole range.
      ...(rows.length > query.limit ? { next: page[page.length - 1]!.index + 1 } : {}),
    });
  });

  router.get('/gateway-keys', permit('audit.read'), (_req, res) => {
    res.json({ keys: deps.gatewayKeys() });
  });

  router.get('/checkpoint', permit('audit.read'), async (_req, res) => {
    res.json(await checkpointer.latest());
  });

  router.post('/checkpoint', permit('audit.checkpoint'), async (_req, res) => {
    const { checkpoint, created } = await checkpointer.checkpoint();
    const published: PublishedCheckpoint = { ...checkpoint, cosignatures: await store.cosignatures(checkpoint.treeSize) };
    res.status(created ? 201 : 200).json(published);
  });

  router.get('/proofs/inclusion', permit('audit.read'), async (req, res) => {
    const scope = auditScope(callerOf(res));
    const index = integer(req.query['index'], 'index');
    const treeSize = await checkedTreeSize(integer(req.query['treeSize'], 'treeSize'), 'treeSize', 1);
    if (index >= treeSize) throw new GatewayError('bad_request', `index ${index} is not in a tree of ${treeSize} entries; ask with a treeSize above the index.`);
    if (scope.kind === 'entries-naming' && (await store.readAuditEntriesNaming(scope.partnerId, index, index + 1, 1)).length === 0) {
      throw unseenAuditEntry(index);
    }
    res.json({ index, treeSize, leafHash: await store.auditNode(0, index), auditPath: await inclusionPath(nodes, index, treeSize) });
  });

  router.get('/proofs/consistency', permit('audit.read'), async (req, res) => {
    const second = await checkedTreeSize(integer(req.query['second'], 'second'), 'second', 0);
    const first = integer(req.query['first'], 'first');
    if (first > second) throw new GatewayError('bad_request', `first (${first}) is larger than second (${second}); a log only grows.`);
    res.json({ first, second, proof: await consistencyProof(nodes, first, second) });
  });

  router.post('/checkpoint/cosignatures', permit('audit.cosign'), async (req, res) => {
    const text = (await readBoundedBody(req, MAX_COSIGNATURE_BYTES)).toString('utf8');
    let signature = text;
    let treeSizeRaw: unknown = req.query['treeSize'];
    if (req.is('application/json')) {
      let body: { treeSize?: unknown; signature?: unknown };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new GatewayError('bad_request', 'The body is not JSON; send {"treeSize": N, "signature": "<armored detached signature>"} or the armored signature alone with ?treeSize=N.');
      }
      signature = typeof body?.signature === 'string' ? body.signature : '';
      if (body?.treeSize !== undefined) treeSizeRaw = String(body.treeSize);
    }
    const treeSize = integer(treeSizeRaw, 'treeSize');
    const checkpoint = await store.findCheckpoint(treeSize);
    if (!checkpoint) {
      throw new GatewayError('not_found', `No checkpoint of ${treeSize} entries was signed; cosign a checkpoint that GET /v1/audit/checkpoint returned.`);
    }
    const partner = callerOf(res);
    // In the caller's lane of the crypto pool (src/crypto/fair-queue.ts), as its messages are.
    const inCallersLane = { verifyDetached: (opts: VerifyDetachedArguments) => deps.crypto.verifyDetached({ ...opts, partner: partner.id }) };
    await verifyCosignature(checkpoint, signature, deps.partnerKeys(partner.id), inCallersLane);
    const { cosignature, created } = await store.addCosignature(checkpoint, { partner: partner.id, signature, signedAt: deps.now().toISOString() });
    res.status(created ? 201 : 200).json({ treeSize, ...cosignature });
  });

  router.all('/entries', allow('GET'));
  router.all('/gateway-keys', allow('GET'));
  router.all('/checkpoint', allow('GET, POST'));
  router.all('/proofs/inclusion', allow('GET'));
  router.all('/proofs/consistency', allow('GET'));
  router.all('/checkpoint/cosignatures', allow('POST'));

  async function checkedTreeSize(value: number, name: string, min: number): Promise<number> {
    const current = await store.auditSize();
    if (value < min || value > current) {
      throw new GatewayError('bad_request', `${name} must be from ${min} to the current tree size, ${current}.`);
    }
    return value;
  }

  return router;
}
