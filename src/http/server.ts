/**
 * The HTTPS listener with mutual TLS (docs/interface.md, section 4). The client certificate is
 * requested but not required at the TLS layer, so that /healthz and /readyz answer without one and a
 * missing certificate on /v1 gets a problem+json 401 instead of a bare handshake failure.
 */
import { constants } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { serverTlsPolicy } from '../tls/policy.js';
import type { RevocationList } from '../trust/crl.js';
import { answerClientError } from './client-error.js';
import { answerPlainHttp } from './plain-http-hint.js';
import { controlRevocations } from './tls-revocation.js';

const MAX_HEADER_BYTES = 16 * 1024;

export interface HttpsOptions {
  /** The HTTP API (src/http/app.ts, createHttpApp). */
  app: RequestListener;
  host: string;
  port: number;
  certPem: string;
  keyPem: string;
  /** The partner CA: the only issuer of client certificates. */
  caPem: string;
  /** The partner CA's revocation list (trust directory crl.pem), when there is one. */
  revocations?: RevocationList | undefined;
  /** Slow-loris bounds: a client must send its headers, then its whole request, within these delays. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Sees every request and its response before express does (the test suite checks answers against the OpenAPI document). */
  onRequest?: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  /** Told the duration of each completed TLS handshake, from the TCP accept to the secure connection. */
  onHandshake?: (seconds: number) => void;
}

export interface RunningServer {
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to timeoutMs), then closes what is left. */
  close(timeoutMs: number): Promise<void>;
  /** Applies a new revocation list without a restart; returns how many open connections it cut. */
  setRevocations(list: RevocationList | undefined): number;
}

export async function startHttpsServer(options: HttpsOptions): Promise<RunningServer> {
  // The policy is part of the secure context, so a revocation list applied later (a new context) keeps it.
  // No renegotiation (TLS 1.2; TLS 1.3 has none): a connection keeps the client certificate of its
  // handshake, which the HTTP layer reads once per connection (src/http/client-identity.ts) and the
  // revocation of which cuts the connection (tls-revocation.ts).
  const context = { cert: options.certPem, key: options.keyPem, ca: options.caPem, ...serverTlsPolicy(), secureOptions: constants.SSL_OP_NO_RENEGOTIATION };
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const server = https.createServer(
    {
      ...context,
      ...(options.revocations ? { crl: options.revocations.pem } : {}),
      requestCert: true,
      rejectUnauthorized: false,
      headersTimeout,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      // Node checks both timeouts only at this interval (30 s by default), which would let a slow
      // client hold a connection up to 30 s past its deadline.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 4))),
      keepAliveTimeout: 5_000,
      maxHeaderSize: MAX_HEADER_BYTES,
    },
    options.app,
  );
  if (options.onRequest) server.prependListener('request', options.onRequest);
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => answerClientError(err, socket, MAX_HEADER_BYTES));
  answerPlainHttp(server, headersTimeout);
  const revocations = controlRevocations(server, context);
  const onHandshake = options.onHandshake;
  if (onHandshake !== undefined) {
    const accepted = new WeakMap<object, bigint>();
    server.on('connection', (socket: object) => accepted.set(socket, process.hrtime.bigint()));
    server.on('secureConnection', (tlsSocket: TLSSocket) => {
      // Node keeps the TCP socket a server TLSSocket wraps as _parent (lib/_tls_wrap.js); without it, no figure.
      const started = accepted.get((tlsSocket as TLSSocket & { _parent?: object })._parent ?? tlsSocket);
      if (started !== undefined) onHandshake(Number(process.hrtime.bigint() - started) / 1e9);
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // Once closing, a kept-alive connection ends with its current response: partners that keep sending
  // on it would otherwise hold the shutdown open until the grace period cuts requests mid-way.
  let closing = false;
  const inFlight = new Set<ServerResponse>();
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    inFlight.add(res);
    if (closing) res.setHeader('Connection', 'close');
    res.on('close', () => {
      inFlight.delete(res);
      if (closing) server.closeIdleConnections();
    });
  });
  return {
    port,
    setRevocations: (list) => revocations.apply(list),
    close: (timeoutMs) =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
        const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
