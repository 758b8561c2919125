import fs from 'node:fs';
import type { Settings } from '../config/settings.js';
import { GatewayError } from '../domain/errors.js';
import { completeHeader, requestGateway, sendDocument, type HttpAnswer } from '../client/gateway-client.js';
import { loadPartnerView } from '../client/partner-view.js';

export function gatewayUrl(settings: Settings, override: string | undefined): string {
  if (override) return override;
  const host = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host;
  return `https://${host.includes(':') ? `[${host}]` : host}:${settings.port}`;
}

export function describeProblem(answer: HttpAnswer): string {
  const body = answer.body as { code?: string; detail?: string; errors?: Array<{ pointer: string; message: string }> } | string;
  if (typeof body === 'object' && body && body.code) {
    const fields = (body.errors ?? []).map((e) => `\n  ${e.pointer}: ${e.message}`).join('');
    return `refused (${answer.status} ${body.code}): ${body.detail ?? ''}${fields}`;
  }
  return `unexpected answer ${answer.status}`;
}

export async function connectionHint<T>(baseUrl: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') {
      throw new GatewayError('unavailable', `Cannot reach the gateway at ${baseUrl} (${code}). Start it with "npm start" or pass --gateway.`);
    }
    throw err;
  }
}

export async function runSend(opts: { settings: Settings; as: string; file: string; gateway: string | undefined }): Promise<number> {
  const baseUrl = gatewayUrl(opts.settings, opts.gateway);
  const view = await loadPartnerView({ dir: opts.settings.certsDir, id: opts.as });
  let document: { header?: Record<string, unknown> };
  try {
    document = JSON.parse(fs.readFileSync(opts.file, 'utf8')) as typeof document;
  } catch (err) {
    throw new GatewayError('malformed_message', `Cannot read ${opts.file} as JSON: ${(err as Error).message}.`);
  }
  completeHeader(document);
  const result = await connectionHint(baseUrl, () =>
    sendDocument({ baseUrl, tls: view.tls, documentBytes: new TextEncoder().encode(JSON.stringify(document)), signingKey: view.privateKey, gatewayKeys: view.gatewayKeys }),
  );
  if (result.acceptedWithoutReceipt) {
    process.stdout.write(`${JSON.stringify(result.answer.body, null, 2)}\n`);
    process.stderr.write(`passerelle: message ${String(document.header?.['messageId'])} accepted, but the gateway could not sign a receipt now; send the same document (same message id) again later to get it. The message is delivered either way.\n`);
    return 0;
  }
  if (!result.receipt) {
    process.stderr.write(`passerelle: message ${String(document.header?.['messageId'])} ${describeProblem(result.answer)}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(result.receipt, null, 2)}\n`);
  process.stderr.write(`passerelle: ${result.answer.status === 202 ? 'accepted' : 'already accepted earlier'}; receipt verified with the gateway's key (audit index ${result.receipt.auditIndex})\n`);
  return 0;
}

export async function runStatus(opts: { settings: Settings; as: string; messageId: string; gateway: string | undefined }): Promise<number> {
  const baseUrl = gatewayUrl(opts.settings, opts.gateway);
  const view = await loadPartnerView({ dir: opts.settings.certsDir, id: opts.as });
  const answer = await connectionHint(baseUrl, () => requestGateway({ baseUrl, tls: view.tls, method: 'GET', path: `/v1/messages/${encodeURIComponent(opts.messageId)}` }));
  if (answer.status !== 200) {
    process.stderr.write(`passerelle: ${describeProblem(answer)}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
  return 0;
}
