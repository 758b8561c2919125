/**
 * What every /v1 request goes through once its partner is known, before its route: the certificate
 * the partner's machine presented is noted for the operator (src/observability/peer-certificates.ts),
 * and the request takes a token of the partner's rate limit (src/http/rate-limit.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Partner } from '../domain/partner.js';
import type { PeerCertificates } from '../observability/peer-certificates.js';
import { presentsCertificate } from './client-identity.js';
import type { RateLimiter } from './rate-limit.js';
import type { RequestNotes } from './request-log.js';

export interface AdmissionDependencies {
  rateLimiter: Pick<RateLimiter, 'take'>;
  observability?: { peers: Pick<PeerCertificates, 'record'> } | undefined;
}

/** @throws GatewayError 'rate_limited' when the partner's bucket is empty. */
export function admit(req: IncomingMessage, notes: RequestNotes, partner: Partner, deps: AdmissionDependencies): void {
  notes['partner'] = partner;
  const machine = presentsCertificate(req);
  if (machine) deps.observability?.peers.record(partner.id, req.socket as TLSSocket);
  // People reading through a console session have a bucket of their own, so that browsing the log
  // never throttles the partner's machines sending messages.
  deps.rateLimiter.take(machine ? partner.id : `${partner.id} (console)`);
}
