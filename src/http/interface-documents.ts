/**
 * GET /openapi.json and GET /asyncapi.json: the descriptions of the interfaces (src/api-description),
 * built at the first request and kept (they change only with the code and the registry's recipients,
 * which a restart applies).
 *
 * Served without a client certificate, like /healthz: they describe the interface and never hold
 * data (no message, no person, no key), and an integrator reads them before it has its certificate.
 * The AsyncAPI document names the queues of the registry's receiving partners, which every partner
 * already knows from the interface contract.
 */
import type { Request, Response } from 'express';

/** Path (e.g. /openapi.json) to the builder of the JSON document served there. */
export type InterfaceDocuments = Record<string, () => unknown>;

/** The handler that answers one document, serialised once. */
export function serveDocument(build: () => unknown): (req: Request, res: Response) => void {
  let serialized: string | undefined;
  return (_req, res) => {
    serialized ??= JSON.stringify(build());
    // It describes the interface only: a documentation viewer on another origin may read it.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.type('application/json').send(serialized);
  };
}
