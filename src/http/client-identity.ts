/**
 * Step 1 of the acceptance checks: the client certificate, verified by the TLS layer against ca.crt,
 * names a registered partner in its subject CN (interface contract, section 2).
 */
import type { TLSSocket } from 'node:tls';
import type { Request } from 'express';
import { GatewayError } from '../domain/errors.js';
import type { Partner } from '../domain/partner.js';

export function authenticatePartner(req: Request, findPartner: (id: string) => Partner | undefined): Partner {
  const socket = req.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function') {
    throw new GatewayError('unauthenticated', 'A client certificate is required: connect over TLS with the certificate issued to your organisation.');
  }
  const certificate = socket.getPeerCertificate();
  if (!certificate || Object.keys(certificate).length === 0) {
    throw new GatewayError('unauthenticated', 'A client certificate is required: connect with the certificate issued to your organisation (curl --cert --key).');
  }
  if (!socket.authorized) {
    throw new GatewayError('unauthenticated', `The client certificate was not accepted (${socket.authorizationError ?? 'not issued by the partner CA'}). Use the certificate issued by the partner CA.`);
  }
  const cn = certificate.subject?.CN;
  const id = Array.isArray(cn) ? undefined : cn;
  const partner = id === undefined ? undefined : findPartner(id);
  if (!partner) {
    throw new GatewayError('unauthenticated', 'The client certificate does not name a registered partner. Ask the gateway operator to register your organisation.');
  }
  return partner;
}

/**
 * Whether the TLS client presented a certificate at all (valid or not). The console's session counts
 * only on a connection without one: a certificate, even a refused one, is the machine's identity.
 */
export function presentsCertificate(req: Request): boolean {
  const socket = req.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function') return false;
  const certificate = socket.getPeerCertificate();
  return Boolean(certificate) && Object.keys(certificate).length > 0;
}
