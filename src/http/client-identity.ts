/**
 * Step 1 of the acceptance checks: the client certificate, verified by the TLS layer against ca.crt,
 * names a registered partner in its subject CN (docs/interface.md, section 2).
 *
 * What the TLS layer says of the client is read once per connection: the certificate a connection
 * presented and its verification are fixed by its handshake (the server refuses renegotiation,
 * src/http/server.ts), and a connection whose certificate is revoked since is cut (tls-revocation.ts).
 * Which partner the CN names is asked of the registry at every request, so that a partner removed
 * from it is refused on the connection it already holds.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { GatewayError } from '../domain/errors.js';
import type { Partner } from '../domain/partner.js';

/** The client of one connection, as its handshake left it. */
interface PeerIdentity {
  /** The client presented a certificate, valid or not. */
  presented: boolean;
  /** Why the connection authenticates no one, for the partner; undefined when the certificate was verified. */
  refusal: string | undefined;
  /** The subject CN, when there is exactly one. */
  cn: string | undefined;
}

const NOT_TLS: PeerIdentity = {
  presented: false,
  refusal: 'A client certificate is required: connect over TLS with the certificate issued to your organisation.',
  cn: undefined,
};

const identities = new WeakMap<object, PeerIdentity>();

function peerIdentity(req: IncomingMessage): PeerIdentity {
  const socket = req.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function') return NOT_TLS;
  let identity = identities.get(socket);
  if (identity === undefined) {
    identity = readPeer(socket);
    identities.set(socket, identity);
  }
  return identity;
}

function readPeer(socket: TLSSocket): PeerIdentity {
  const certificate = socket.getPeerCertificate();
  if (!certificate || Object.keys(certificate).length === 0) {
    return { presented: false, refusal: 'A client certificate is required: connect with the certificate issued to your organisation (curl --cert --key).', cn: undefined };
  }
  if (!socket.authorized) {
    return {
      presented: true,
      refusal: `The client certificate was not accepted (${socket.authorizationError ?? 'not issued by the partner CA'}). Use the certificate issued by the partner CA.`,
      cn: undefined,
    };
  }
  const cn = certificate.subject?.CN;
  return { presented: true, refusal: undefined, cn: Array.isArray(cn) ? undefined : cn };
}

export function authenticatePartner(req: IncomingMessage, findPartner: (id: string) => Partner | undefined): Partner {
  const { refusal, cn } = peerIdentity(req);
  if (refusal !== undefined) throw new GatewayError('unauthenticated', refusal);
  const partner = cn === undefined ? undefined : findPartner(cn);
  if (!partner) {
    throw new GatewayError('unauthenticated', 'The client certificate does not name a registered partner. Ask the gateway operator to register your organisation.');
  }
  return partner;
}

/**
 * Whether the TLS client presented a certificate at all (valid or not). The console's session counts
 * only on a connection without one: a certificate, even a refused one, is the machine's identity.
 */
export function presentsCertificate(req: IncomingMessage): boolean {
  return peerIdentity(req).presented;
}
