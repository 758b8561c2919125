/**
 * GET /openapi.json and GET /asyncapi.json: the descriptions of the interfaces (src/api-description),
 * built once at the first request and kept (they change only with the code and the registry's
 * recipients, which a restart applies).
 *
 * Served without a client certificate, like /healthz: they describe the interface and never hold
 * data (no message, no person, no key), and an integrator reads them before it has its certificate.
 * The AsyncAPI document names the queues of the registry's receiving partners, which every partner
 * already knows from the interface contract.
 */
import express, { type Request, type Response } from 'express';
import { GatewayError } from '../domain/errors.js';

export interface ApiDescriptionDependencies {
  /** Path (e.g. /openapi.json) to the builder of the document served there. */
  documents: Record<string, () => unknown>;
}

export function createApiDescriptionRouter(deps: ApiDescriptionDependencies): express.Router {
  const router = express.Router();
  for (const [documentPath, build] of Object.entries(deps.documents)) {
    let serialized: string | undefined;
    router.get(documentPath, (_req: Request, res: Response) => {
      serialized ??= JSON.stringify(build());
      // Describes the interface only: any origin may read it (a documentation viewer on another host).
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.type('application/json').send(serialized);
    });
    router.all(documentPath, (_req: Request, res: Response) => {
      res.setHeader('Allow', 'GET');
      throw new GatewayError('method_not_allowed', 'Use GET on this path.');
    });
  }
  return router;
}
