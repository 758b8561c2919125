/**
 * POST /v1/beneficiary-lookups: an SPE agency asks whether a person it supports is known to the
 * exchange as a CIR beneficiary (src/app/beneficiary-lookups.ts); GET /v1/beneficiary-lookups/summary:
 * the lookups per agency per day, for the auditor and the operator.
 *
 * The request carries a reference or an identity in clear JSON, over the mutual-TLS channel of /v1
 * only, bounded (LOOKUP_BODY_BYTES), read with the strict JSON reader of signed documents and checked
 * against schemas/beneficiary-lookup.v1.schema.json. It is held in memory for the answer only: never
 * stored, never logged (the request line logs the path, the status and the lookup id), never echoed in
 * an error. The answer is `{lookupId, known}` and nothing else: an identity lookup never says which
 * field did not match.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { BeneficiaryLookups, LookupRequest } from '../app/beneficiary-lookups.js';
import { GatewayError } from '../domain/errors.js';
import { parseStrictJson } from '../domain/strict-json.js';
import type { RequestBodyValidator } from '../schema/request-body.js';
import type { LookupsPort } from '../store/port.js';
import { callerOf, permit } from './authorization.js';
import { readBoundedBody } from './body.js';
import { wholeNumber } from './audit-filter.js';

// The paths are written out where they are registered, as the other routers do (the authorisation
// matrix reads them there).
const LOOKUPS_PATH = '/beneficiary-lookups';
const LOOKUP_SUMMARY_PATH = '/beneficiary-lookups/summary';

/** The largest lookup request: a reference or an identity (four bounded fields) and an agreement fit in well under 2 KiB. */
export const LOOKUP_BODY_BYTES = 4096;
/** The summary's period: 30 days unless asked, a year at most. */
export const SUMMARY_DEFAULT_DAYS = 30;
export const SUMMARY_MAX_DAYS = 366;

const DAY_MS = 86_400_000;

export interface LookupRouterDependencies {
  lookups: BeneficiaryLookups;
  store: Pick<LookupsPort, 'lookupSummary'>;
  /** schemas/beneficiary-lookup.v1.schema.json, compiled. */
  validator: RequestBodyValidator;
  limits: { perHour: number; perDay: number };
  now: () => Date;
}

const BRANCHES: Readonly<Record<string, string>> = { reference: '/$defs/byReference', identity: '/$defs/byIdentity' };

function readRequest(bytes: Buffer, validator: RequestBodyValidator): LookupRequest {
  let value: unknown;
  try {
    value = parseStrictJson(bytes, { subject: 'The request body', then: 'send it again' });
  } catch (err) {
    const reason = err instanceof GatewayError ? ` (${err.message})` : '';
    throw new GatewayError('bad_request', `The request body is not strict UTF-8 JSON${reason}. Send {"by": "reference" or "identity", …, "personAgreement": {…}}.`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new GatewayError('bad_request', 'The request body must be a JSON object {"by": "reference" or "identity", …, "personAgreement": {…}}.');
  }
  const fields = value as Record<string, unknown>;
  // Without the person's agreement the agency may not ask: a code of its own, before any other check.
  if (!Object.hasOwn(fields, 'personAgreement')) {
    throw new GatewayError('person_agreement_missing');
  }
  const branch = typeof fields['by'] === 'string' && Object.hasOwn(BRANCHES, fields['by']) ? BRANCHES[fields['by']]! : undefined;
  if (branch === undefined) {
    throw new GatewayError('schema_invalid', 'The request body does not match schemas/beneficiary-lookup.v1.schema.json: correct the fields listed in errors and ask again.', {
      errors: [{ pointer: '/by', message: 'must be one of: reference, identity' }],
    });
  }
  validator.validate(value, branch);
  return value as LookupRequest;
}

export function createLookupRouter(deps: LookupRouterDependencies): express.Router {
  const router = express.Router();

  router.get('/beneficiary-lookups/summary', permit('beneficiary.lookup.summary'), async (req: Request, res: Response, next: NextFunction) => {
    try {
      const days = wholeNumber(req.query['days'], 'days', SUMMARY_DEFAULT_DAYS);
      if (days < 1 || days > SUMMARY_MAX_DAYS) throw new GatewayError('bad_request', `"days" must be from 1 to ${SUMMARY_MAX_DAYS}.`);
      // Today counts as the last of the days.
      const from = new Date(deps.now().getTime() - (days - 1) * DAY_MS).toISOString().slice(0, 10);
      const summary = await deps.store.lookupSummary(from);
      res.json({ from, days, limits: deps.limits, lookups: summary });
    } catch (err) {
      next(err);
    }
  });

  router.post('/beneficiary-lookups', permit('beneficiary.lookup'), async (req: Request, res: Response, next: NextFunction) => {
    try {
      const partner = callerOf(res);
      if (!req.is('application/json')) {
        throw new GatewayError('unsupported_media_type', 'Send the lookup as application/json: {"by": "reference" or "identity", …, "personAgreement": {…}}.');
      }
      const request = readRequest(await readBoundedBody(req, LOOKUP_BODY_BYTES), deps.validator);
      const answer = await deps.lookups.lookUp(partner, request);
      res.locals['messageId'] = answer.lookupId;
      res.json(answer);
    } catch (err) {
      if (err instanceof GatewayError && err.rejection?.messageId !== undefined) res.locals['messageId'] = err.rejection.messageId;
      next(err);
    }
  });

  router.all(LOOKUP_SUMMARY_PATH, (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Allow', 'GET');
    next(new GatewayError('method_not_allowed', 'Use GET on this path.'));
  });
  router.all(LOOKUPS_PATH, (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Allow', 'POST');
    next(new GatewayError('method_not_allowed', 'Use POST on this path.'));
  });

  return router;
}
