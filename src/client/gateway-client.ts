/**
 * The partner side of the exchange, used by the CLI (`send`, `demo`) and by tests acting as a partner:
 * seal a document as `gpg --sign --encrypt` would, post it over mutual TLS, and check the receipt.
 */
import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type { PrivateKey, PublicKey } from '../crypto/keys.js';
import { signAndEncrypt } from '../crypto/seal.js';
import { verifyReceipt, type ReceiptedAnswer } from '../crypto/receipt.js';

export interface PartnerTls {
  certPem: string;
  keyPem: string;
  caPem: string;
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** POSTs or GETs over mutual TLS and parses the JSON (or problem+json) answer. */
export async function requestGateway(opts: {
  baseUrl: string;
  tls: PartnerTls;
  method: 'GET' | 'POST';
  path: string;
  body?: Uint8Array | string;
  contentType?: string;
  /** More request headers, e.g. a W3C traceparent that the gateway carries to the recipient. */
  headers?: Record<string, string>;
}): Promise<HttpAnswer> {
  const url = new URL(opts.path, opts.baseUrl);
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: opts.method,
        cert: opts.tls.certPem,
        key: opts.tls.keyPem,
        ca: opts.tls.caPem,
        headers: { ...opts.headers, ...(opts.body === undefined ? {} : { 'content-type': opts.contentType ?? 'application/pgp-encrypted' }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // Not JSON: keep the text for the caller's message.
          }
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), headers: res.headers, body });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body === undefined ? undefined : opts.body);
  });
}

/** Fills header.messageId and header.sentAt when absent, as the CLI promises. */
export function completeHeader(document: { header?: Record<string, unknown> }, now: Date = new Date()): void {
  const header = document.header;
  if (!header || typeof header !== 'object') return;
  if (header['messageId'] === undefined) header['messageId'] = randomUUID();
  if (header['sentAt'] === undefined) header['sentAt'] = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface SendResult {
  answer: HttpAnswer;
  /** Set when the gateway accepted (202) or replayed (200) and answered with a receipt: the receipt verified. */
  receipt?: ReceiptedAnswer;
  /** Accepted (202 or 200) without a receipt: the gateway could not sign one then; sending the same message again gets it. */
  acceptedWithoutReceipt?: boolean;
}

export async function sendDocument(opts: {
  baseUrl: string;
  tls: PartnerTls;
  documentBytes: Uint8Array;
  signingKey: PrivateKey;
  gatewayKeys: PublicKey[];
}): Promise<SendResult> {
  const sealed = await signAndEncrypt({ document: opts.documentBytes, signingKey: opts.signingKey, encryptionKeys: opts.gatewayKeys, armor: true });
  const answer = await requestGateway({ baseUrl: opts.baseUrl, tls: opts.tls, method: 'POST', path: '/v1/messages', body: sealed, contentType: 'application/pgp-encrypted' });
  if (answer.status !== 202 && answer.status !== 200) return { answer };
  const receipt = answer.body as ReceiptedAnswer;
  if (receipt.receipt === undefined) return { answer, acceptedWithoutReceipt: true };
  await verifyReceipt(receipt, opts.gatewayKeys);
  return { answer, receipt };
}
