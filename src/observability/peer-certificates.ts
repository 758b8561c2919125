/**
 * The end of validity of the client certificate each partner last presented, seen on its TLS
 * connection. In memory, per process: the certificate a partner really uses may differ from the copy
 * in the trust directory (partners/<id>/tls.crt, optional), and only the connection shows it. One read
 * per connection, not per request.
 */
import type { TLSSocket } from 'node:tls';

export interface PresentedCertificate {
  notAfter: Date;
  seenAt: Date;
}

export class PeerCertificates {
  private readonly byPartner = new Map<string, PresentedCertificate>();
  private readonly seen = new WeakSet<object>();

  /** Called with every authenticated request; reads the certificate once per socket. */
  record(partnerId: string, socket: TLSSocket, now: Date = new Date()): void {
    if (this.seen.has(socket)) return;
    this.seen.add(socket);
    const validTo = socket.getPeerCertificate?.()?.valid_to;
    if (typeof validTo !== 'string') return;
    const notAfter = new Date(validTo);
    if (Number.isNaN(notAfter.getTime())) return;
    this.byPartner.set(partnerId, { notAfter, seenAt: now });
  }

  get(partnerId: string): PresentedCertificate | undefined {
    return this.byPartner.get(partnerId);
  }
}
