/**
 * The HTTPS listener with mutual TLS (interface contract, section 4). The client certificate is
 * requested but not required at the TLS layer, so that /healthz and /readyz answer without one and a
 * missing certificate on /v1 gets a problem+json 401 instead of a bare handshake failure.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface HttpsOptions {
  app: Express;
  host: string;
  port: number;
  certPem: string;
  keyPem: string;
  /** The partner CA: the only issuer of client certificates. */
  caPem: string;
}

export interface RunningServer {
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to timeoutMs), then closes what is left. */
  close(timeoutMs: number): Promise<void>;
}

export async function startHttpsServer(options: HttpsOptions): Promise<RunningServer> {
  const server = https.createServer(
    {
      cert: options.certPem,
      key: options.keyPem,
      ca: options.caPem,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      // Slow-loris bounds: a client must send its headers and body within these delays.
      headersTimeout: 10_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 5_000,
      maxHeaderSize: 16 * 1024,
    },
    options.app,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: (timeoutMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
