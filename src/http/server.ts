/**
 * The HTTPS listener with mutual TLS (interface contract, section 4). The client certificate is
 * requested but not required at the TLS layer, so that /healthz and /readyz answer without one and a
 * missing certificate on /v1 gets a problem+json 401 instead of a bare handshake failure.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { serverTlsPolicy } from '../tls/policy.js';
import type { RevocationList } from '../trust/crl.js';
import { answerClientError } from './client-error.js';
import { controlRevocations } from './tls-revocation.js';

const MAX_HEADER_BYTES = 16 * 1024;

export interface HttpsOptions {
  app: Express;
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
  const context = { cert: options.certPem, key: options.keyPem, ca: options.caPem, ...serverTlsPolicy() };
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
  const revocations = controlRevocations(server, context);
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
