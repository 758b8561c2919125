/**
 * The console's only way to the gateway: the same `/v1` API as partners, over the same TLS connection
 * (the browser's client certificate) or with the session cookie of an OpenID Connect sign-in. Problem
 * details (RFC 9457) become an ApiProblem whose sentence comes from the catalogue.
 */
import { FR, t, type MessageKey } from '../catalogue/index.js';

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly requestId: string | undefined,
  ) {
    super(ApiProblem.sentence(code, requestId));
    this.name = 'ApiProblem';
  }

  static sentence(code: string, requestId: string | undefined): string {
    const key = `error.${code}`;
    if (key in FR) return t(key as MessageKey);
    return t('error.generic', { requestId: requestId ?? '—' });
  }
}

/**
 * The JSON answer of a GET. `alsoFine` lists error statuses whose body is still the resource (GET
 * /v1/operator/status answers 503 with the state when the gateway is not ready).
 */
export async function getJson<T>(path: string, options: { alsoFine?: number[] } = {}): Promise<T> {
  const response = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!response.ok && !(options.alsoFine ?? []).includes(response.status)) throw await problemOf(response);
  return (await response.json()) as T;
}

/** The problem an answer that is not 2xx carries (RFC 9457), or the generic one when it is not problem+json (a proxy's page). */
export async function problemOf(response: Response): Promise<ApiProblem> {
  let code = 'internal';
  let requestId: string | undefined;
  try {
    const problem = (await response.json()) as { code?: string; requestId?: string };
    code = problem.code ?? code;
    requestId = problem.requestId;
  } catch {
    // Not problem+json: the generic sentence, with the request id of the header.
  }
  return new ApiProblem(response.status, code, requestId ?? response.headers.get('x-request-id') ?? undefined);
}
