/**
 * GET /v1/partners/{partnerId}/openpgp-key: the OpenPGP public key the gateway seals a partner's
 * messages to (the newest of its registered keys that can encrypt now), armored, for the partners that
 * send messages. A sender whose software names intended recipients in its signature (Sequoia, RFC 9580
 * section 5.2.3.36) encrypts to this key as well as to the gateway's, so that the recipient accepts
 * the signature (src/crypto/intended-recipients.ts); `passerelle` gives the gateway's own current key.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { GatewayError } from '../domain/errors.js';
import { permit } from './authorization.js';

/** A registry id (src/trust/registry.ts): anything else is no partner, whatever the registry holds. */
const PARTNER_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

export interface PartnerKeyRouterDependencies {
  /** The armored public key messages to `partnerId` are sealed to, or undefined when it is no partner or has no key that can encrypt now. */
  publishedKey: (partnerId: string) => Promise<string | undefined>;
}

export function createPartnerKeyRouter(deps: PartnerKeyRouterDependencies): express.Router {
  const router = express.Router();

  router.get('/partners/:partnerId/openpgp-key', permit('partner.key.read'), async (req: Request, res: Response, next: NextFunction) => {
    try {
      const id = String(req.params['partnerId']);
      const armored = PARTNER_ID.test(id) ? await deps.publishedKey(id) : undefined;
      if (armored === undefined) {
        throw new GatewayError('not_found', 'No registered partner with this id has an OpenPGP key that can encrypt now. Check the id against the partner registry.');
      }
      res.type('application/pgp-keys').send(armored);
    } catch (err) {
      next(err);
    }
  });

  router.all('/partners/:partnerId/openpgp-key', (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Allow', 'GET');
    next(new GatewayError('method_not_allowed', 'Use GET on this path.'));
  });

  return router;
}
