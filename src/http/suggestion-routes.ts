/**
 * POST /v1/orientation/suggestions: for an OFII adviser preparing an orientation, the agencies that
 * may take it and why (src/domain/suggestions.ts).
 *
 * The request carries a person's data in clear JSON, so it comes only over the mutual-TLS channel of
 * /v1, only from a partner that sends orientations (src/http/authorization.ts), and it is held in
 * memory for the answer only: never stored, never logged (the request line logs the path and the
 * status), never audited. The body must match the orientation schema, as it will when sent; errors
 * name fields, never values.
 */
import { parseStrictJson } from '../domain/strict-json.js';
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GatewayError } from '../domain/errors.js';
import { suggestRecipients } from '../domain/suggestions.js';
import type { DocumentValidator } from '../schema/validator.js';
import type { Partner } from '../domain/partner.js';
import { callerOf, permit } from './authorization.js';
import { readBoundedBody } from './body.js';

export interface SuggestionRouterDependencies {
  validator: DocumentValidator;
  /** Every registered partner, in registry order. */
  partners: () => Iterable<Partner>;
  maxBodyBytes: number;
  now: () => Date;
}

export const SUGGESTIONS_PATH = '/orientation/suggestions';
const TYPE = 'orientation';
/** A syntactically valid reference for the synthetic header; the request names no person. */
const NO_BENEFICIARY = '0000000000';

function parseRequest(bytes: Buffer): { body: unknown; sentAt: unknown } {
  let value: unknown;
  try {
    // Same strict reader as signed documents: duplicate names, prototype keys, deep nesting refused.
    value = parseStrictJson(bytes, { subject: 'The request body', then: 'send it again' });
  } catch (err) {
    const reason = err instanceof GatewayError ? ` (${err.message})` : '';
    throw new GatewayError('bad_request', `The request body is not strict UTF-8 JSON${reason}. Send {"body": <orientation body>} and, optionally, "sentAt".`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, 'body')) {
    throw new GatewayError('bad_request', 'The request body must be a JSON object {"body": <orientation body>} with, optionally, "sentAt".');
  }
  const extra = Object.keys(value).filter((key) => key !== 'body' && key !== 'sentAt');
  if (extra.length > 0) {
    throw new GatewayError('bad_request', 'The request holds fields other than "body" and "sentAt"; send only those two.');
  }
  const { body, sentAt } = value as { body: unknown; sentAt?: unknown };
  return { body, sentAt };
}

function rfc3339Seconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function createSuggestionRouter(deps: SuggestionRouterDependencies): express.Router {
  const router = express.Router();

  router.post(SUGGESTIONS_PATH, permit('suggestions.ask'), async (req: Request, res: Response, next: NextFunction) => {
    try {
      const partner = callerOf(res);
      if (!req.is('application/json')) {
        throw new GatewayError('unsupported_media_type', 'Send the request as application/json: {"body": <orientation body>, "sentAt": <optional RFC 3339 time>}.');
      }
      const { body, sentAt } = parseRequest(await readBoundedBody(req, deps.maxBodyBytes));
      // The schema checks a whole document: wrap the body in a header of our own, so that only the
      // body and sentAt can be at fault.
      const document = {
        header: { messageId: randomUUID(), type: TYPE, version: 1, sender: partner.id, recipient: partner.id, sentAt: sentAt ?? rfc3339Seconds(deps.now()), beneficiaryRef: NO_BENEFICIARY },
        body,
      };
      try {
        deps.validator.validate(document);
      } catch (err) {
        if (!(err instanceof GatewayError) || err.code !== 'schema_invalid') throw err;
        const errors = (err.errors ?? []).map((e) => ({ ...e, pointer: e.pointer.replace(/^\/header\/sentAt/, '/sentAt') }));
        throw new GatewayError('schema_invalid', `The orientation body does not match schemas/${TYPE}.v1.schema.json: correct the fields listed in errors and ask again.`, { errors });
      }
      res.json({
        sentAt: document.header.sentAt,
        suggestions: suggestRecipients({ header: { type: TYPE, sentAt: document.header.sentAt as string }, body }, deps.partners()),
      });
    } catch (err) {
      next(err);
    }
  });

  router.all(SUGGESTIONS_PATH, (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Allow', 'POST');
    next(new GatewayError('method_not_allowed', 'Use POST on this path.'));
  });

  return router;
}
