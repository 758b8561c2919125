/**
 * GET /v1/withdrawals: the withdrawal notices the gateway sent and the agencies' execution receipts
 * (docs/interface.md, section 4), for the operator (who reminds the agencies that do not answer) and
 * the auditor (who checks that withdrawals were carried out). Agencies and the statistics role get
 * 403: what others were asked to delete is none of theirs, and the committee reads the counts in
 * /v1/stats. No answer names or pseudonymises a person: notices by id, agencies by partner id.
 */
import express, { type Request, type Response } from 'express';
import { GatewayError } from '../domain/errors.js';
import type { ReceiptState, WithdrawalNoticeRecord, WithdrawalReceiptsPort } from '../store/port.js';
import { permit } from './authorization.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Notices per page at most: the operator pages through with `offset`. */
export const WITHDRAWALS_MAX_LIMIT = 500;
const DEFAULT_LIMIT = 100;
const STATES: readonly ReceiptState[] = ['outstanding', 'answered', 'all'];

export interface WithdrawalsRouterDependencies {
  store: Pick<WithdrawalReceiptsPort, 'withdrawalNotices' | 'withdrawalNoticeCounts'>;
  now: () => Date;
}

function single(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new GatewayError('bad_request', `"${name}" must be given once.`);
  return value;
}

function integer(req: Request, name: string, fallback: number, max: number): number {
  const text = single(req, name);
  if (text === undefined) return fallback;
  if (!/^(0|[1-9][0-9]{0,8})$/.test(text) || Number(text) > max) throw new GatewayError('bad_request', `"${name}" must be a whole number from 0 to ${max}.`);
  return Number(text);
}

function answerOf(notice: WithdrawalNoticeRecord, now: Date): Record<string, unknown> {
  return {
    noticeId: notice.noticeId,
    recipient: notice.recipient,
    reason: notice.reason,
    sentAt: notice.sentAt,
    ageDays: Math.max(0, Math.floor((now.getTime() - Date.parse(notice.sentAt)) / DAY_MS)),
    reminders: notice.reminders,
    ...(notice.lastRemindedAt === undefined ? {} : { lastRemindedAt: notice.lastRemindedAt }),
    ...(notice.answeredAt === undefined
      ? {}
      : { answeredAt: notice.answeredAt, status: notice.status, executedOn: notice.executedOn, receiptId: notice.receiptId, ...(notice.legalGround === undefined ? {} : { legalGround: notice.legalGround }) }),
  };
}

export function createWithdrawalsRouter(deps: WithdrawalsRouterDependencies): express.Router {
  const router = express.Router();
  router.get('/withdrawals', permit('withdrawals.read'), async (req: Request, res: Response) => {
    const state = (single(req, 'state') ?? 'outstanding') as ReceiptState;
    if (!STATES.includes(state)) throw new GatewayError('bad_request', `"state" must be one of ${STATES.join(', ')}.`);
    const limit = integer(req, 'limit', DEFAULT_LIMIT, WITHDRAWALS_MAX_LIMIT);
    if (limit === 0) throw new GatewayError('bad_request', `"limit" must be from 1 to ${WITHDRAWALS_MAX_LIMIT}.`);
    const offset = integer(req, 'offset', 0, 1_000_000_000);
    const now = deps.now();
    const [notices, counts] = await Promise.all([deps.store.withdrawalNotices({ state, offset, limit }), deps.store.withdrawalNoticeCounts()]);
    res.json({ state, offset, limit, asOf: now.toISOString(), notices: notices.map((notice) => answerOf(notice, now)), counts });
  });
  router.all('/withdrawals', (_req: Request, res: Response) => {
    res.setHeader('Allow', 'GET');
    throw new GatewayError('method_not_allowed', 'Use GET on this path.');
  });
  return router;
}
