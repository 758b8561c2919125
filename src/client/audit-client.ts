/**
 * The partner side of the audit log endpoints (docs/interface.md, section 6), over mutual TLS. It
 * fetches; it trusts nothing: every answer goes through src/audit/verify.ts or src/audit/merkle.ts
 * before the caller relies on it.
 */
import { PROBLEM_CATALOGUE, GatewayError, type ProblemCode } from '../domain/errors.js';
import type { ExportedEntry } from '../audit/verify.js';
import { requestGateway, type HttpAnswer, type PartnerTls } from './gateway-client.js';

export class AuditClient {
  private readonly baseUrl: string;
  private readonly tls: PartnerTls;

  constructor(opts: { baseUrl: string; tls: PartnerTls }) {
    this.baseUrl = opts.baseUrl;
    this.tls = opts.tls;
  }

  /** The latest signed checkpoint with its cosignatures (unverified). */
  checkpoint(): Promise<unknown> {
    return this.call('GET', '/v1/audit/checkpoint');
  }

  /** Asks for a checkpoint of the whole log as it is now (auditor only). */
  requestCheckpoint(): Promise<unknown> {
    return this.call('POST', '/v1/audit/checkpoint');
  }

  /** Every entry this partner may see with start <= index < end, page after page; `onPage` is told the count so far. */
  async entries(start: number, end: number, onPage?: (received: number) => void): Promise<ExportedEntry[]> {
    const entries: ExportedEntry[] = [];
    for (let from = start; from < end; ) {
      const page = (await this.call('GET', `/v1/audit/entries?start=${from}&end=${end}`)) as { entries?: unknown; next?: unknown };
      if (!Array.isArray(page.entries)) throw new GatewayError('audit_invalid', 'The gateway answered the entries request without a list of entries.');
      entries.push(...(page.entries as ExportedEntry[]));
      onPage?.(entries.length);
      if (page.next === undefined) break;
      if (typeof page.next !== 'number' || page.next <= from) throw new GatewayError('audit_invalid', 'The gateway answered a page of entries whose "next" does not move forward.');
      from = page.next;
    }
    return entries;
  }

  inclusionProof(index: number, treeSize: number): Promise<unknown> {
    return this.call('GET', `/v1/audit/proofs/inclusion?index=${index}&treeSize=${treeSize}`);
  }

  consistencyProof(first: number, second: number): Promise<unknown> {
    return this.call('GET', `/v1/audit/proofs/consistency?first=${first}&second=${second}`);
  }

  /** Posts this partner's detached signature over the checkpoint of `treeSize` entries. */
  cosign(treeSize: number, signature: string): Promise<unknown> {
    return this.call('POST', '/v1/audit/checkpoint/cosignatures', JSON.stringify({ treeSize, signature }));
  }

  private async call(method: 'GET' | 'POST', path: string, body?: string): Promise<unknown> {
    let answer: HttpAnswer;
    try {
      answer = await requestGateway({ baseUrl: this.baseUrl, tls: this.tls, method, path, ...(body === undefined ? {} : { body, contentType: 'application/json' }) });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new GatewayError('unavailable', `Cannot reach the gateway at ${this.baseUrl} (${code ?? (err as Error).message}). Start it with "npm start" or pass --gateway.`, { cause: err });
    }
    if (answer.status === 200 || answer.status === 201) return answer.body;
    const problem = answer.body as { code?: string; detail?: string };
    const code: ProblemCode = typeof problem?.code === 'string' && problem.code in PROBLEM_CATALOGUE ? (problem.code as ProblemCode) : 'internal';
    throw new GatewayError(code, `The gateway refused ${method} ${path.split('?')[0]} (${answer.status} ${problem?.code ?? 'unknown'}): ${problem?.detail ?? 'no detail'}`);
  }
}
