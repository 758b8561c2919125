/**
 * The OpenAPI 3.1 document of the HTTP API, built from the operations table (http-operations.ts), the
 * message schemas of schemas/ (embedded as they are, with their `$id`, so that their relative `$ref`s
 * resolve inside the document: OpenAPI 3.1 section 4.8.24 takes JSON Schema 2020-12 as it is) and the
 * problem catalogue (src/domain/errors.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROBLEM_CATALOGUE, type ProblemCode } from '../domain/errors.js';
import { HTTP_OPERATIONS, type HttpOperation } from './http-operations.js';
import { RESPONSE_SCHEMAS } from './response-schemas.js';

export type OpenApiDocument = Record<string, unknown> & {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: Record<string, Record<string, unknown>>;
};

/** The cookie of a console session (OpenID Connect sign-in); `__Host-` binds it to the gateway's origin (RFC 6265bis section 4.1.3.2). */
export const CONSOLE_SESSION_COOKIE = '__Host-passerelle-console';

const SCHEMA_FILE = /^([a-z][a-z0-9-]*)\.v([1-9][0-9]{0,2})\.schema\.json$/;

/** Every code an authenticated route can answer whatever it does (src/http/app.ts, /v1 middleware and error handler). */
const COMMON_PROBLEMS: Record<HttpOperation['access'], ProblemCode[]> = {
  public: ['internal'],
  partner: ['unauthenticated', 'rate_limited', 'internal'],
};

export interface OpenApiOptions {
  /** The schemas/ folder (src/schema/validator.ts, defaultSchemasDir). */
  schemasDir: string;
  /** The gateway's version; package.json's beside schemas/ by default. */
  version?: string;
  /** The operations to describe; the app's table by default. */
  operations?: readonly HttpOperation[];
}

/** The schemas of schemas/ that validate message documents or hold their shared definitions, by component name. */
export function messageSchemas(schemasDir: string): Record<string, Record<string, unknown>> {
  const found: Record<string, Record<string, unknown>> = {};
  for (const file of fs.readdirSync(schemasDir).sort()) {
    const match = SCHEMA_FILE.exec(file);
    if (!match) continue;
    found[`${match[1]}.v${match[2]}`] = JSON.parse(fs.readFileSync(path.join(schemasDir, file), 'utf8')) as Record<string, unknown>;
  }
  return found;
}

/** The version of package.json beside schemas/. */
export function projectVersion(schemasDir: string): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(schemasDir, '..', 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
}

/** The codes an operation can answer, each with its status from the catalogue. */
export function problemsOf(operation: HttpOperation): ProblemCode[] {
  const codes = new Set<ProblemCode>([...operation.problems, ...COMMON_PROBLEMS[operation.access]]);
  return [...codes];
}

function problemResponse(codes: ProblemCode[]): Record<string, unknown> {
  const status = PROBLEM_CATALOGUE[codes[0]!].status;
  const headers: Record<string, unknown> = { 'X-Request-Id': { $ref: '#/components/headers/RequestId' } };
  if (codes.includes('rate_limited') || codes.includes('unavailable')) headers['Retry-After'] = { $ref: '#/components/headers/RetryAfter' };
  return {
    description: codes.map((code) => `\`${code}\`: ${PROBLEM_CATALOGUE[code].title}.`).join(' '),
    headers,
    content: {
      'application/problem+json': {
        schema: { allOf: [{ $ref: '#/components/schemas/Problem' }], properties: { status: { const: status }, code: { enum: codes } } },
      },
    },
  };
}

function operationObject(operation: HttpOperation): Record<string, unknown> {
  const responses: Record<string, Record<string, unknown>> = {};
  for (const [status, answer] of Object.entries(operation.answers)) {
    responses[status] = {
      description: answer.description,
      headers: { 'X-Request-Id': { $ref: '#/components/headers/RequestId' } },
      ...(answer.content ? { content: answer.content } : {}),
    };
  }
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of problemsOf(operation)) {
    const status = PROBLEM_CATALOGUE[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const problem = problemResponse(codes);
    const existing = responses[String(status)];
    // One status may be both an answer and a problem (503 of a status page): both media types.
    responses[String(status)] = existing
      ? { ...existing, description: `${existing['description'] as string} Or a problem: ${problem['description'] as string}`, content: { ...(existing['content'] as object), ...(problem['content'] as object) } }
      : problem;
  }
  const security =
    operation.access === 'public'
      ? []
      : // The console's session reads the /v1 API only; /metrics is scraped with the operator's certificate.
        operation.method === 'get' && operation.path.startsWith('/v1/')
        ? [{ mutualTLS: [] }, { consoleSession: [] }]
        : [{ mutualTLS: [] }];
  return {
    operationId: operation.operationId,
    tags: [operation.tag],
    summary: operation.summary,
    description: operation.allowed ? `${operation.description}\n\nAllowed: ${operation.allowed}` : operation.description,
    security,
    ...(operation.parameters ? { parameters: operation.parameters } : {}),
    ...(operation.requestBody ? { requestBody: operation.requestBody } : {}),
    responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b))),
  };
}

export function buildOpenApi(options: OpenApiOptions): OpenApiDocument {
  const operations = options.operations ?? HTTP_OPERATIONS;
  const documents = messageSchemas(options.schemasDir);
  // Only the schemas that declare a message type: header.v1 holds shared definitions, and
  // beneficiary-lookup.v1 is the JSON body of POST /v1/beneficiary-lookups, not a message.
  const declaresType = (schema: Record<string, unknown>) => (schema['properties'] as { header?: { properties?: { type?: { const?: unknown } } } } | undefined)?.header?.properties?.type?.const !== undefined;
  const documentRefs = Object.entries(documents)
    .filter(([, schema]) => declaresType(schema))
    .map(([name]) => name)
    .map((name) => ({ $ref: `#/components/schemas/${name}` }));
  const decrypted = {
    description:
      'What the message is once decrypted and its signature verified (RFC 9580): a UTF-8 JSON document that must validate against the schema its header.type and header.version name. This cannot be expressed as a schema of the request body itself, which is ciphertext.',
    oneOf: documentRefs,
  };
  const paths: OpenApiDocument['paths'] = {};
  for (const operation of operations) {
    paths[operation.path] = { ...paths[operation.path], [operation.method]: operationObject(operation) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Passerelle',
      version: options.version ?? projectVersion(options.schemasDir),
      summary: 'Secure data-exchange gateway between OFII and the public employment service of Paris.',
      description:
        'Every /v1 request is made over mutual TLS with the client certificate the partner CA issued to the organisation; the certificate\'s CN names the partner. Errors are RFC 9457 problem details (application/problem+json) with a stable `code`; a /v1 path answers 405 with an Allow header for a method it does not serve. Every answer carries X-Request-Id and Cache-Control: no-store. See docs/api.md.',
      license: { name: 'EUPL-1.2', identifier: 'EUPL-1.2' },
    },
    servers: [{ url: '/', description: 'The gateway that serves this document.' }],
    tags: [...new Set(operations.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...RESPONSE_SCHEMAS, ...documents },
      requestBodies: {
        OpenPgpMessage: {
          required: true,
          description: 'One OpenPGP message (RFC 9580): the document signed with the sender\'s registered key, then encrypted to the gateway\'s key (and, when the signature names intended recipients, to the recipient\'s key too).',
          content: {
            'application/pgp-encrypted': {
              schema: { type: 'string', pattern: '^-----BEGIN PGP MESSAGE-----', description: 'ASCII-armored OpenPGP message (RFC 9580 section 6.2).' },
              'x-passerelle-decrypted-content': decrypted,
            },
            'application/octet-stream': {
              schema: { description: 'Binary OpenPGP message (the same packets, not armored).' },
              'x-passerelle-decrypted-content': decrypted,
            },
          },
        },
      },
      headers: {
        RequestId: { description: 'Identifies the request in the gateway\'s log; give it to the operator.', schema: { type: 'string', format: 'uuid' } },
        RetryAfter: { description: 'Seconds to wait before retrying (RFC 9110 section 10.2.3).', schema: { type: 'integer', minimum: 0 } },
      },
      securitySchemes: {
        mutualTLS: {
          type: 'mutualTLS',
          description: 'The client certificate issued by the partner CA to the organisation; its subject CN is the partner id of the registry.',
        },
        consoleSession: {
          type: 'apiKey',
          in: 'cookie',
          name: CONSOLE_SESSION_COOKIE,
          description: 'The session of a person signed in to the web console with OpenID Connect, mapped to a role; accepted on GET only, with the same authorisation as the role\'s certificate.',
        },
      },
    },
  };
}
