/**
 * Every operation of the HTTP API, one entry each: the one place a new route is described. The
 * OpenAPI document (openapi.ts) is built from this table; test/api-description/openapi-routes.test.ts
 * compares it with the routes the express app really has, both ways.
 *
 * An entry lists its successful answers and the problem codes its handler can answer; the codes every
 * authenticated route can answer (`unauthenticated`, `rate_limited`, `internal`) are added by the
 * builder, so an entry names only its own.
 */
import type { ProblemCode } from '../domain/errors.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call: `public` needs no certificate (the TLS server asks for one without requiring it);
 * `partner` needs the client certificate of a registered partner (mutual TLS), and for a GET the
 * console's session cookie stands for it (console sign-in with OpenID Connect).
 */
export type Access = 'public' | 'partner';

export interface SuccessAnswer {
  description: string;
  /** Media type to a schema (a `$ref` to components, or an inline JSON Schema). */
  content?: Record<string, Record<string, unknown>>;
}

export interface HttpOperation {
  method: HttpMethod;
  /** OpenAPI path template: `{name}` for a path parameter. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description: string;
  access: Access;
  /** Who is allowed, in words (the capability of src/http/authorization.ts). */
  allowed?: string;
  parameters?: Array<Record<string, unknown>>;
  requestBody?: Record<string, unknown>;
  /** Successful answers by status. */
  answers: Record<string, SuccessAnswer>;
  /** Problem codes this route's handler can answer, besides the common ones of its access. */
  problems: ProblemCode[];
}

const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });

const treeIndex = (name: string, description: string, required: boolean) => ({
  name,
  in: 'query',
  required,
  description,
  schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
});

const OPERATIONS: HttpOperation[] = [
  {
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    tag: 'Operations',
    summary: 'Liveness',
    description: 'Answers as long as the process serves requests. Says nothing of the gateway\'s state.',
    access: 'public',
    answers: { '200': { description: 'The process is alive.', content: json('Health') } },
    problems: [],
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'getReadiness',
    tag: 'Operations',
    summary: 'Readiness',
    description: 'Ready means the store can take a write now. The broker may be away while the gateway is ready (messages wait in the outbox); the details are GET /v1/operator/status.',
    access: 'public',
    answers: {
      '200': { description: 'Ready.', content: json('Readiness') },
      '503': { description: 'Not ready: the store cannot take a write.', content: json('Readiness') },
    },
    problems: [],
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApi',
    tag: 'Descriptions',
    summary: 'This document',
    description: 'The OpenAPI 3.1 description of the HTTP API. It describes the interface, never data, so it is served without a certificate.',
    access: 'public',
    answers: { '200': { description: 'The OpenAPI document.', content: { 'application/json': { schema: { type: 'object', required: ['openapi'] } } } } },
    problems: [],
  },
  {
    method: 'get',
    path: '/asyncapi.json',
    operationId: 'getAsyncApi',
    tag: 'Descriptions',
    summary: 'The AsyncAPI document of the AMQP side',
    description: 'The AsyncAPI 3.0 description of the RabbitMQ side: exchanges, the queue of each receiving partner, dead-lettering, message properties and headers.',
    access: 'public',
    answers: { '200': { description: 'The AsyncAPI document.', content: { 'application/json': { schema: { type: 'object', required: ['asyncapi'] } } } } },
    problems: [],
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    tag: 'Operations',
    summary: 'Prometheus metrics',
    description:
      'The gateway\'s figures in the Prometheus text exposition format 0.0.4: requests by route template and problem code, latency per stage, crypto queue, outbox, relay lag, broker, dead letters, audit log and checkpoint age, retention sweeps, seconds to expiry of each certificate and key (docs/monitoring.md). No personal data and no message id in any label.',
    access: 'partner',
    allowed: 'The operator role (capability operator.status): Prometheus scrapes with the operator\'s client certificate.',
    answers: { '200': { description: 'The metrics.', content: { 'text/plain': { schema: { type: 'string' } } } } },
    problems: ['forbidden'],
  },
  {
    method: 'post',
    path: '/v1/messages',
    operationId: 'sendMessage',
    tag: 'Messages',
    summary: 'Send a message',
    description:
      'Submit one document: signed with the sender\'s registered OpenPGP key, then encrypted to the gateway\'s key (RFC 9580; `gpg --sign --encrypt`). The gateway decrypts it, verifies the signature, parses the content as strict UTF-8 JSON and validates it against the schema its header names (one of the message schemas under components.schemas), checks the business rules, records it in the audit log and queues it for the recipient. A message id sent again with the same signed document answers 200 with the original acceptance; with another document, 409.',
    access: 'partner',
    allowed: 'Partners whose registry entry lists message types they send (capability message.send).',
    requestBody: { $ref: '#/components/requestBodies/OpenPgpMessage' },
    answers: {
      '202': { description: 'Accepted: recorded in the audit log and queued for the recipient, with the gateway\'s signed receipt.', content: json('Acceptance') },
      '200': { description: 'The same message was accepted before: the original acceptance, with its receipt.', content: json('Acceptance') },
    },
    problems: [
      'malformed_message', 'bad_request', 'signature_invalid', 'forbidden', 'sender_mismatch', 'type_not_allowed', 'duplicate_conflict',
      'payload_too_large', 'unsupported_media_type', 'schema_invalid', 'stale_message', 'unknown_recipient', 'recipient_not_allowed',
      'rule_violation', 'outcome_unknown', 'unavailable',
    ],
  },
  {
    method: 'get',
    path: '/v1/messages/{messageId}',
    operationId: 'getMessageStatus',
    tag: 'Messages',
    summary: 'Status of a message',
    description: 'The delivery status of a message the caller sent or received. Any other message, or an id that is not a UUID, answers not_found: a refusal says no more than an unknown id.',
    access: 'partner',
    allowed: 'The sender and the recipient of the message (capability message.read).',
    parameters: [{ name: 'messageId', in: 'path', required: true, schema: { type: 'string' }, description: 'The message id (a lower-case UUID) of header.messageId.' }],
    answers: { '200': { description: 'The message\'s status and its times.', content: json('MessageStatus') } },
    problems: ['not_found', 'bad_request'],
  },
  {
    method: 'get',
    path: '/v1/messages/{messageId}/timeline',
    operationId: 'getMessageTimeline',
    tag: 'Messages',
    summary: 'Every step of a message, with its audit entry',
    description:
      'The message, each step the audit log recorded for it (accepted, queued, acknowledged, dead-lettered, referred, expired, erased...) as its audit entry with index and leaf hash, so that each step can be proven with GET /v1/audit/proofs/inclusion, and the messages linked to it. The sender and the recipient see the steps that name them and the linked messages they sent or received; anyone else gets not_found, as for an unknown id.',
    access: 'partner',
    allowed: 'The auditor (every message); the agencies, for the messages they sent or received (capability message.timeline).',
    parameters: [{ name: 'messageId', in: 'path', required: true, schema: { type: 'string' }, description: 'The message id (a lower-case UUID) of header.messageId.' }],
    answers: { '200': { description: 'The timeline.', content: json('MessageTimeline') } },
    problems: ['not_found', 'forbidden'],
  },
  {
    method: 'get',
    path: '/v1/operator/status',
    operationId: 'getOperatorStatus',
    tag: 'Operations',
    summary: 'Gateway status for operators',
    description: 'What /readyz decides and why: the store, the broker connection and the depth of the outbox.',
    access: 'partner',
    allowed: 'The operator role (capability operator.status).',
    answers: {
      '200': { description: 'Ready.', content: json('OperatorStatus') },
      '503': { description: 'Not ready: the store cannot take a write.', content: json('OperatorStatus') },
    },
    problems: ['forbidden'],
  },
  {
    method: 'get',
    path: '/v1/audit/gateway-keys',
    operationId: 'getGatewayKeys',
    tag: 'Audit log',
    summary: 'The gateway\'s public OpenPGP keys',
    description: 'The current and previous keys of the gateway (armored), which signed the checkpoints and receipts: what a verifier checks signatures against.',
    access: 'partner',
    allowed: 'The auditor and the agencies (capability audit.read).',
    answers: { '200': { description: 'The keys.', content: json('GatewayKeys') } },
    problems: ['forbidden'],
  },
  {
    method: 'get',
    path: '/v1/audit/entries',
    operationId: 'getAuditEntries',
    tag: 'Audit log',
    summary: 'Entries of the audit log',
    description: 'Entries from `start` (inclusive) to `end` (exclusive), at most 1000 per answer; `next` says where to continue. The auditor sees every entry; an agency the entries that name it.',
    access: 'partner',
    allowed: 'The auditor and the agencies (capability audit.read).',
    parameters: [
      treeIndex('start', 'First index, inclusive; 0 when absent.', false),
      treeIndex('end', 'Last index, exclusive; the current tree size when absent.', false),
      { name: 'limit', in: 'query', required: false, description: 'Entries per answer, 1 to 1000 (1000 when absent).', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
      { name: 'from', in: 'query', required: false, description: 'Entries recorded at or after this instant (RFC 3339, with its zone).', schema: { type: 'string', format: 'date-time' } },
      { name: 'to', in: 'query', required: false, description: 'Entries recorded before this instant (RFC 3339, with its zone).', schema: { type: 'string', format: 'date-time' } },
      { name: 'event', in: 'query', required: false, description: 'One or more event kinds of the log, separated by commas.', schema: { type: 'string' } },
      { name: 'agency', in: 'query', required: false, description: 'Entries naming this partner as sender or recipient. An agency\'s own id is always added: a filter narrows its view, never widens it.', schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,62}$' } },
      { name: 'messageId', in: 'query', required: false, description: 'Entries of this message.', schema: { type: 'string' } },
    ],
    answers: { '200': { description: 'A page of entries.', content: json('AuditEntries') } },
    problems: ['bad_request', 'forbidden'],
  },
  {
    method: 'get',
    path: '/v1/audit/checkpoint',
    operationId: 'getCheckpoint',
    tag: 'Audit log',
    summary: 'Latest checkpoint',
    description: 'The latest signed checkpoint (tree size, root hash, time, gateway signature) with its cosignatures; the first one is signed when none exists yet.',
    access: 'partner',
    allowed: 'The auditor and the agencies (capability audit.read).',
    answers: { '200': { description: 'The latest checkpoint.', content: json('Checkpoint') } },
    problems: ['forbidden', 'unavailable'],
  },
  {
    method: 'post',
    path: '/v1/audit/checkpoint',
    operationId: 'createCheckpoint',
    tag: 'Audit log',
    summary: 'Sign a checkpoint now',
    description: 'A checkpoint of the whole tree as it is now: the latest one when it already covers every entry (200), a new one otherwise (201).',
    access: 'partner',
    allowed: 'The auditor (capability audit.checkpoint).',
    answers: {
      '201': { description: 'A new checkpoint was signed.', content: json('Checkpoint') },
      '200': { description: 'The latest checkpoint already covers every entry.', content: json('Checkpoint') },
    },
    problems: ['forbidden', 'unavailable'],
  },
  {
    method: 'post',
    path: '/v1/audit/checkpoint/cosignatures',
    operationId: 'cosignCheckpoint',
    tag: 'Audit log',
    summary: 'Cosign a checkpoint',
    description: 'A witness\'s detached OpenPGP signature over a checkpoint the gateway signed, verified with the caller\'s registered keys. Either JSON `{treeSize, signature}`, or the armored signature alone with `?treeSize=N`.',
    access: 'partner',
    allowed: 'The auditor and the agencies (capability audit.cosign).',
    parameters: [treeIndex('treeSize', 'The checkpoint\'s tree size, when the body is the armored signature alone.', false)],
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: { $ref: '#/components/schemas/CosignatureRequest' } },
        'application/pgp-signature': { schema: { type: 'string', description: 'The armored detached signature; the tree size is the query parameter.' } },
      },
    },
    answers: {
      '201': { description: 'The cosignature was verified and recorded.', content: json('CosignatureAnswer') },
      '200': { description: 'This partner had already cosigned this checkpoint: the recorded cosignature.', content: json('CosignatureAnswer') },
    },
    problems: ['bad_request', 'forbidden', 'not_found', 'signature_invalid', 'payload_too_large', 'malformed_message', 'unavailable'],
  },
  {
    method: 'get',
    path: '/v1/audit/proofs/inclusion',
    operationId: 'getInclusionProof',
    tag: 'Audit log',
    summary: 'Inclusion proof',
    description: 'The RFC 9162 audit path of entry `index` in the tree of `treeSize` entries (any size up to the current one). An agency gets proofs of the entries that name it only.',
    access: 'partner',
    allowed: 'The auditor and the agencies (capability audit.read).',
    parameters: [treeIndex('index', 'The entry\'s index.', true), treeIndex('treeSize', 'The tree size of the checkpoint held, from 1 to the current size.', true)],
    answers: { '200': { description: 'The proof.', content: json('InclusionProof') } },
    problems: ['bad_request', 'forbidden', 'not_found'],
  },
  {
    method: 'get',
    path: '/v1/audit/proofs/consistency',
    operationId: 'getConsistencyProof',
    tag: 'Audit log',
    summary: 'Consistency proof',
    description: 'The RFC 9162 consistency proof between the trees of `first` and `second` entries: the log only grew.',
    access: 'partner',
    allowed: 'The auditor and the agencies (capability audit.read).',
    parameters: [treeIndex('first', 'The smaller tree size.', true), treeIndex('second', 'The larger tree size, up to the current size.', true)],
    answers: { '200': { description: 'The proof.', content: json('ConsistencyProof') } },
    problems: ['bad_request', 'forbidden'],
  },
  {
    method: 'post',
    path: '/v1/orientation/suggestions',
    operationId: 'suggestRecipients',
    tag: 'Orientation',
    summary: 'Agencies that may take an orientation',
    description: 'For an adviser preparing an orientation: every agency that receives orientations, whether it is eligible and why, and the fields to remove for it. The request carries a person\'s data in clear over mutual TLS; it is never stored, logged or audited.',
    access: 'partner',
    allowed: 'Partners that send orientations (capability suggestions.ask).',
    requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/SuggestionRequest' } } } },
    answers: { '200': { description: 'One suggestion per agency that receives orientations, in registry order.', content: json('Suggestions') } },
    problems: ['bad_request', 'forbidden', 'unsupported_media_type', 'payload_too_large', 'schema_invalid', 'malformed_message'],
  },
  {
    method: 'post',
    path: '/v1/beneficiary-lookups',
    operationId: 'lookUpBeneficiary',
    tag: 'Beneficiary lookups',
    summary: 'Is a person an agency supports a CIR beneficiary',
    description:
      'By the OFII reference or by identity (normalised, then keyed: never compared in clear), with the person\'s agreement. The answer is known or not, nothing else; when known, the gateway asks OFII to share the dossier (a `dossier-request` notice). Every lookup is audited (`looked-up`) and counted per agency (PASSERELLE_LOOKUPS_PER_HOUR, PASSERELLE_LOOKUPS_PER_DAY). The request body is at most 4 KiB and is never stored, logged or audited.',
    access: 'partner',
    allowed: 'The employment agencies that receive orientations (capability beneficiary.lookup).',
    requestBody: { required: true, content: { 'application/json': { schema: { $ref: 'https://passerelle.example/schemas/beneficiary-lookup.v1.schema.json' } } } },
    answers: { '200': { description: 'Known or not; the lookup id names its audit entry.', content: json('BeneficiaryLookup') } },
    problems: ['bad_request', 'forbidden', 'unsupported_media_type', 'payload_too_large', 'schema_invalid', 'person_agreement_missing', 'lookup_rate_limited', 'unavailable'],
  },
  {
    method: 'get',
    path: '/v1/beneficiary-lookups/summary',
    operationId: 'getBeneficiaryLookupSummary',
    tag: 'Beneficiary lookups',
    summary: 'Lookups per agency per day',
    description: 'Known, unknown and refused lookups per agency per UTC day over the last `days` days (today included): counts only, never a person.',
    access: 'partner',
    allowed: 'The auditor and operator roles (capability beneficiary.lookup.summary).',
    parameters: [{ name: 'days', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 366, default: 30 }, description: 'How many days, today included.' }],
    answers: { '200': { description: 'The counts, oldest day first.', content: json('BeneficiaryLookupSummary') } },
    problems: ['bad_request', 'forbidden'],
  },
  {
    method: 'get',
    path: '/v1/stats',
    operationId: 'getStatistics',
    tag: 'Statistics',
    summary: 'Steering-committee statistics',
    description: 'Disclosure-controlled figures of the exchange. JSON by default; CSV with `Accept: text/csv` or `?format=csv` (`?format=json` forces JSON). Each role has a rate of its own here, apart from the per-partner rate.',
    access: 'partner',
    allowed: 'The statistics and auditor roles (capability stats.read).',
    parameters: [{ name: 'format', in: 'query', required: false, schema: { enum: ['json', 'csv'] }, description: 'The answer\'s format, whatever Accept says.' }],
    answers: {
      '200': {
        description: 'The report.',
        content: {
          'application/json': { schema: { $ref: '#/components/schemas/StatisticsReport' } },
          'text/csv': { schema: { type: 'string', description: 'The same tables as CSV (RFC 4180), one line per cell; a suppressed cell is marked, never given a number.' } },
        },
      },
    },
    problems: ['bad_request', 'forbidden', 'unavailable'],
  },
  {
    method: 'get',
    path: '/v1/withdrawals',
    operationId: 'getWithdrawals',
    tag: 'Operations',
    summary: 'Withdrawal notices and their execution receipts',
    description: 'The withdrawal notices the gateway sent (reminders aside), oldest first, with their age, the reminders sent and the agency\'s execution receipt once it came; and the count of notices per recipient and status (EFFECTUE, REFUSE_MOTIF_LEGAL, EN_ATTENTE). No person is named: notices by id, agencies by partner id.',
    access: 'partner',
    allowed: 'The operator and auditor roles (capability withdrawals.read).',
    parameters: [
      { name: 'state', in: 'query', required: false, schema: { enum: ['outstanding', 'answered', 'all'], default: 'outstanding' }, description: 'Which notices: not yet answered (default), answered, or all.' },
      { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 }, description: 'Notices per page.' },
      { name: 'offset', in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 }, description: 'Notices to skip (the next page: offset + limit).' },
    ],
    answers: { '200': { description: 'A page of notices and the counts.', content: json('Withdrawals') } },
    problems: ['bad_request', 'forbidden'],
  },
  {
    method: 'get',
    path: '/v1/partners/{partnerId}/openpgp-key',
    operationId: 'getPartnerKey',
    tag: 'Partners',
    summary: 'A partner\'s encryption key',
    description: 'The armored OpenPGP public key the gateway seals the partner\'s messages to; `passerelle` gives the gateway\'s own current key. A sender whose software names intended recipients in its signature (RFC 9580 section 5.2.3.36) encrypts to this key as well as to the gateway\'s.',
    access: 'partner',
    allowed: 'Partners that send messages (capability partner.key.read).',
    parameters: [{ name: 'partnerId', in: 'path', required: true, schema: { type: 'string' }, description: 'A partner id of the registry, or `passerelle`.' }],
    answers: { '200': { description: 'The armored public key.', content: { 'application/pgp-keys': { schema: { type: 'string', description: 'ASCII-armored OpenPGP public key (RFC 9580 section 6.2).' } } } } },
    problems: ['not_found', 'forbidden', 'bad_request'],
  },
  ...consoleOperations(),
];

/**
 * The web console (src/console, docs/console.md): pages and files for people's browsers. They need no
 * capability themselves: each page fetches its data from /v1, under the same authorization as the API.
 * /console/oidc/connexion and /console/oidc/retour exist only when ProConnect is configured.
 */
function consoleOperations(): HttpOperation[] {
  const html = { 'text/html': { schema: { type: 'string' } } };
  const sessionAnswer = { 'application/json': { schema: { type: 'object', required: ['signedIn'] } } };
  const pathParameter = (name: string, description: string) => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });
  const page = (method: HttpMethod, path: string, operationId: string, summary: string, description: string, answers: HttpOperation['answers'], parameters?: Array<Record<string, unknown>>): HttpOperation => ({
    method,
    path,
    operationId,
    tag: 'Console',
    summary,
    description,
    access: 'public',
    ...(parameters ? { parameters } : {}),
    answers,
    problems: [],
  });
  return [
    page('get', '/console/', 'getConsole', "The console's entry", 'Redirects to the home page of the web console.', { '302': { description: 'To /console/accueil.' } }),
    page(
      'get',
      '/console/{slug}',
      'getConsolePage',
      'A page of the web console',
      "The DSFR page shell of one console page (accueil, journal, message, statistiques, exploitation, api); the page's script fetches its data from /v1. Without a client certificate or a console session, the sign-in page (401); an unknown page, 404.",
      { '200': { description: 'The page.', content: html }, '401': { description: 'The sign-in page.', content: html }, '404': { description: 'No such page.', content: html } },
      [pathParameter('slug', 'The page.')],
    ),
    page('get', '/console/connexion', 'getConsoleSignIn', 'Sign-in page', "How to sign in: the browser's client certificate, or ProConnect (OpenID Connect) when the gateway is configured for it.", { '200': { description: 'The page.', content: html } }),
    page('get', '/console/session', 'getConsoleSession', 'Who is signed in', 'The partner a console session or certificate acts for (id, name, role) and the pages of its role; never the person.', {
      '200': { description: 'Signed in.', content: sessionAnswer },
      '401': { description: 'Not signed in.', content: sessionAnswer },
    }),
    page('post', '/console/deconnexion', 'signOutOfConsole', 'Sign out', 'Deletes the console session cookie.', { '303': { description: 'To the sign-in page.' } }),
    page(
      'get',
      '/console/assets/{name}',
      'getConsoleAsset',
      'A script or stylesheet of the console',
      "The bundles of the console's pages, served by the gateway itself: no CDN.",
      { '200': { description: 'The file.', content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } } }, '404': { description: 'No such file.', content: html } },
      [pathParameter('name', 'The file.')],
    ),
    page(
      'get',
      '/console/dsfr/{path}',
      'getDesignSystemFile',
      'A file of the French State design system',
      "The DSFR's stylesheets, module, fonts and icons, served by the gateway itself from an allow-list of its dist folder.",
      { '200': { description: 'The file.', content: Object.fromEntries(['text/css', 'text/javascript', 'font/woff2', 'font/woff', 'image/svg+xml', 'image/png'].map((type) => [type, { schema: { type: 'string' } }])) }, '404': { description: 'Not in the allow-list.', content: html } },
      [pathParameter('path', "The file, under the DSFR's dist folder.")],
    ),
  ];
}

export const HTTP_OPERATIONS: readonly HttpOperation[] = Object.freeze(OPERATIONS);
