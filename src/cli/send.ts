/**
 * `passerelle send` and `passerelle status`: a partner posts documents and follows them, as the
 * partner's own system would (src/client), with the partner's keys from the trust directory.
 */
import fs from 'node:fs';
import type { Settings } from '../config/settings.js';
import { GatewayError } from '../domain/errors.js';
import { assertFresh } from '../domain/freshness.js';
import { completeHeader, requestGateway, sendDocument, type HttpAnswer } from '../client/gateway-client.js';
import { loadPartnerView } from '../client/partner-view.js';
import { EXIT } from './exit-codes.js';
import { progressBar } from './progress.js';

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

/** The margin kept before the gateway's age limit, so that a document renewed or not is not stale on arrival. */
const AGE_MARGIN_SECONDS = 300;

/**
 * Fills in a missing messageId and sentAt; renews both when sentAt is outside the gateway's window
 * (the gateway would refuse it as stale_message, so no accepted message can be duplicated this way).
 * Returns whether they were renewed.
 */
export function freshenHeader(document: { header?: Record<string, unknown> }, settings: Settings, now = new Date()): boolean {
  const header = document.header;
  if (header && typeof header === 'object' && typeof header['sentAt'] === 'string') {
    try {
      assertFresh(header['sentAt'], now, { maxFutureSeconds: settings.maxFutureSeconds, maxAgeSeconds: Math.max(60, settings.maxAgeSeconds - AGE_MARGIN_SECONDS) });
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      delete header['messageId'];
      delete header['sentAt'];
      completeHeader(document, now);
      return true;
    }
  }
  completeHeader(document, now);
  return false;
}

type Outcome = 'accepted' | 'replayed' | 'accepted-without-receipt' | 'refused';

interface SendResultLine {
  file: string;
  messageId: string;
  outcome: Outcome;
  renewed: boolean;
  receipt?: unknown;
  problem?: unknown;
}

function readDocument(file: string): { header?: Record<string, unknown> } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new GatewayError('malformed_message', `Cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Check the path.`);
  }
  try {
    return JSON.parse(text) as { header?: Record<string, unknown> };
  } catch (err) {
    throw new GatewayError('malformed_message', `Cannot read ${file} as JSON: ${(err as Error).message}.`);
  }
}

export async function runSend(opts: { settings: Settings; as: string; files: string[]; gateway: string | undefined; keepHeader: boolean; json: boolean }): Promise<number> {
  const baseUrl = gatewayUrl(opts.settings, opts.gateway);
  const view = await loadPartnerView({ dir: opts.settings.certsDir, id: opts.as });
  // Every file is read before the first is sent: a wrong path stops the run before anything left.
  const documents = opts.files.map((file) => ({ file, document: readDocument(file) }));
  const bulk = documents.length > 1;
  const progress = progressBar({ json: opts.json || !bulk });
  const say = (line: string) => process.stderr.write(`passerelle: ${line}\n`);
  const results: SendResultLine[] = [];
  progress.stage('sending', documents.length);
  try {
    for (const { file, document } of documents) {
      const previousSentAt = document.header?.['sentAt'];
      const renewed = opts.keepHeader ? (completeHeader(document), false) : freshenHeader(document, opts.settings);
      const messageId = String(document.header?.['messageId']);
      if (renewed) {
        say(`${file}: its sentAt ${String(previousSentAt)} is outside the gateway's window and would be refused as stale_message; sending it as a new message ${messageId} with sentAt ${String(document.header?.['sentAt'])} (--keep-header sends the file as written).`);
      }
      const result = await connectionHint(baseUrl, () =>
        sendDocument({ baseUrl, tls: view.tls, documentBytes: new TextEncoder().encode(JSON.stringify(document)), signingKey: view.privateKey, gatewayKeys: view.gatewayKeys }),
      );
      progress.increment();
      if (result.acceptedWithoutReceipt) {
        results.push({ file, messageId, outcome: 'accepted-without-receipt', renewed, receipt: result.answer.body });
        say(`message ${messageId} accepted, but the gateway could not sign a receipt now; send the same document (same message id) again later to get it. The message is delivered either way.`);
      } else if (!result.receipt) {
        results.push({ file, messageId, outcome: 'refused', renewed, problem: result.answer.body });
        say(`message ${messageId}${bulk ? ` (${file})` : ''} ${describeProblem(result.answer)}`);
      } else {
        const outcome = result.answer.status === 202 ? 'accepted' : 'replayed';
        results.push({ file, messageId, outcome, renewed, receipt: result.receipt });
        if (!bulk) say(`${outcome === 'accepted' ? 'accepted' : 'already accepted earlier'}; receipt verified with the gateway's key (audit index ${result.receipt.auditIndex})`);
      }
    }
  } finally {
    progress.stop();
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ results }, null, 2)}\n`);
  } else if (!bulk) {
    const [only] = results;
    if (only && only.outcome !== 'refused') process.stdout.write(`${JSON.stringify(only.receipt, null, 2)}\n`);
  } else {
    for (const r of results) {
      const index = (r.receipt as { auditIndex?: number } | undefined)?.auditIndex;
      process.stdout.write(`${r.file}\t${r.messageId}\t${r.outcome}${index === undefined ? '' : `\taudit index ${index}`}\n`);
    }
    const refused = results.filter((r) => r.outcome === 'refused').length;
    say(`${results.length - refused} of ${results.length} accepted, receipts verified with the gateway's key${refused ? `; ${refused} refused (above)` : ''}`);
  }
  return results.some((r) => r.outcome === 'refused') ? EXIT.failure : EXIT.ok;
}

export async function runStatus(opts: { settings: Settings; as: string; messageId: string; gateway: string | undefined }): Promise<number> {
  const baseUrl = gatewayUrl(opts.settings, opts.gateway);
  const view = await loadPartnerView({ dir: opts.settings.certsDir, id: opts.as });
  const answer = await connectionHint(baseUrl, () => requestGateway({ baseUrl, tls: view.tls, method: 'GET', path: `/v1/messages/${encodeURIComponent(opts.messageId)}` }));
  if (answer.status !== 200) {
    process.stderr.write(`passerelle: ${describeProblem(answer)}\n`);
    return EXIT.failure;
  }
  process.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
  return EXIT.ok;
}
