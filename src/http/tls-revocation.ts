/**
 * Applying a new certificate revocation list to a running TLS server, without a restart.
 *
 * New handshakes: the server's secure context is replaced (tls.Server#setSecureContext) by one built
 * with the new CRL, which OpenSSL checks for every client certificate. The new context also has new
 * session ticket keys, so a revoked client cannot resume a session negotiated before.
 *
 * Open connections: a handshake is verified once, so a kept-alive connection of a certificate revoked
 * since would go on being trusted. Every connection whose client certificate the new list names is
 * cut when the list is applied.
 */
import type https from 'node:https';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type { Logger } from '../log/logger.js';
import { CRL_FILE, normaliseSerial, watchRevocationList, type RevocationList, type RevocationWatch } from '../trust/crl.js';

export interface RevocationControl {
  /** Applies `list` (undefined: no revocation checks) and returns how many open connections were cut. */
  apply(list: RevocationList | undefined): number;
}

export function controlRevocations(server: https.Server, base: SecureContextOptions): RevocationControl {
  const open = new Set<TLSSocket>();
  server.on('secureConnection', (socket: TLSSocket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return {
    apply(list) {
      server.setSecureContext({ ...base, ...(list === undefined ? {} : { crl: list.pem }) });
      if (list === undefined) return 0;
      let cut = 0;
      for (const socket of open) {
        const serial = socket.getPeerCertificate()?.serialNumber;
        if (serial && list.revokedSerials.has(normaliseSerial(serial))) {
          socket.destroy();
          cut++;
        }
      }
      return cut;
    },
  };
}

/** Warns when OpenSSL will treat the list as expired: from then on it refuses every client certificate. */
function warnIfStale(list: RevocationList | undefined, logger: Logger, now: Date): void {
  if (list?.nextUpdate && list.nextUpdate < now) {
    logger.error('certificate revocation list expired', { component: 'tls', reason: `${CRL_FILE} passed its nextUpdate (${list.nextUpdate.toISOString()}); every client certificate is refused until it is renewed (openssl ca -gencrl)` });
  }
}

/**
 * Keeps the server's revocation list in step with the trust directory's crl.pem: on every change of
 * the file, and on reload() (SIGHUP). A file that does not parse leaves the previous list in force.
 */
export function followRevocations(opts: {
  dir: string;
  caPem: string;
  initial: RevocationList | undefined;
  server: { setRevocations(list: RevocationList | undefined): number };
  logger: Logger;
}): RevocationWatch {
  warnIfStale(opts.initial, opts.logger, new Date());
  return watchRevocationList({
    dir: opts.dir,
    caPem: opts.caPem,
    initial: opts.initial,
    onChange: (list) => {
      const cut = opts.server.setRevocations(list);
      opts.logger.warn('certificate revocation list applied', {
        component: 'tls',
        reason: list === undefined ? `${CRL_FILE} removed: no revocation checks` : `${list.revokedSerials.size} certificates revoked; ${cut} open connections cut`,
      });
      warnIfStale(list, opts.logger, new Date());
    },
    onError: (error) => opts.logger.error('certificate revocation list not applied', { component: 'tls', code: error.code, reason: error.message }),
  });
}
