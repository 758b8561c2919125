/**
 * JSON Schemas (draft 2020-12, the dialect of OpenAPI 3.1) of the JSON answers of the HTTP API. The
 * documents partners exchange are in schemas/; these are the gateway's own answers, written from the
 * types that produce them (named beside each schema) and checked against real answers by the test
 * suite's response check (test/fixtures/api-conformance.ts).
 */
import { PROBLEM_CODES } from '../domain/errors.js';

type Schema = Record<string, unknown>;

const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const SHA256_HEX = '^[0-9a-f]{64}$';
const PARTNER_ID = '^[a-z0-9][a-z0-9-]{1,62}$';
const ARMORED_SIGNATURE = '^-----BEGIN PGP SIGNATURE-----';

const dateTime: Schema = { type: 'string', format: 'date-time' };
const count: Schema = { type: 'integer', minimum: 0 };
const nullable = (schema: Schema): Schema => ({ oneOf: [{ type: 'null' }, schema] });

/** src/http/problem.ts, ProblemBody: RFC 9457 problem details with the gateway's stable code. */
const Problem: Schema = {
  type: 'object',
  description: 'RFC 9457 problem details. `code` is the stable code of the catalogue (docs: problem codes); `type` is `/problems/<code>`.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', pattern: '^/problems/[a-z_]+$' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', description: 'What went wrong and what to do, for a person.' },
    code: { type: 'string', enum: [...PROBLEM_CODES] },
    rule: { type: 'string', description: 'The business rule that failed (rule_violation only).' },
    errors: {
      type: 'array',
      description: 'The fields at fault (schema_invalid only), by RFC 6901 JSON Pointer; never their values.',
      items: {
        type: 'object',
        required: ['pointer', 'message'],
        additionalProperties: false,
        properties: { pointer: { type: 'string' }, message: { type: 'string' } },
      },
    },
    requestId: { type: 'string', description: 'The X-Request-Id of the answer, to give the operator.' },
  },
};

/** src/crypto/receipt.ts, AcceptedAnswer and ReceiptedAnswer. */
const Acceptance: Schema = {
  type: 'object',
  description:
    'The acceptance of a message. `receipt` is a detached OpenPGP signature by the gateway key over the RFC 8785 canonical JSON of this object without `receipt`; it is absent only when the gateway could not sign at that moment (send the same message again to get it).',
  required: ['messageId', 'status', 'acceptedAt', 'auditIndex', 'payloadSha256'],
  additionalProperties: false,
  properties: {
    messageId: { type: 'string', pattern: UUID_PATTERN },
    status: { const: 'accepted' },
    acceptedAt: dateTime,
    auditIndex: count,
    payloadSha256: { type: 'string', pattern: SHA256_HEX },
    receipt: { type: 'string', pattern: ARMORED_SIGNATURE },
  },
};

/** src/http/app.ts, GET /v1/messages/{messageId}. */
const MessageStatus: Schema = {
  type: 'object',
  required: ['messageId', 'type', 'sender', 'recipient', 'status', 'acceptedAt'],
  additionalProperties: false,
  properties: {
    messageId: { type: 'string', pattern: UUID_PATTERN },
    type: { type: 'string' },
    sender: { type: 'string', pattern: PARTNER_ID },
    recipient: { type: 'string', pattern: PARTNER_ID },
    status: { enum: ['accepted', 'queued', 'acknowledged', 'dead-lettered', 'expired'] },
    acceptedAt: dateTime,
    queuedAt: dateTime,
    acknowledgedAt: dateTime,
    deadLetteredAt: dateTime,
    expiredAt: dateTime,
  },
};

/** src/http/timeline-routes.ts, GET /v1/messages/{messageId}/timeline. */
const timelineMessage: Schema = {
  type: 'object',
  required: ['messageId', 'type', 'sender', 'recipient', 'status', 'acceptedAt', 'auditIndex'],
  additionalProperties: false,
  properties: {
    ...(MessageStatus['properties'] as Record<string, Schema>),
    auditIndex: count,
    inReplyTo: { type: 'string', pattern: UUID_PATTERN },
  },
};
const MessageTimeline: Schema = {
  type: 'object',
  required: ['message', 'steps', 'related'],
  additionalProperties: false,
  properties: {
    message: timelineMessage,
    steps: { type: 'array', items: { $ref: '#/components/schemas/AuditEntry' } },
    related: {
      type: 'array',
      items: {
        ...timelineMessage,
        required: [...(timelineMessage['required'] as string[]), 'relation'],
        properties: { ...(timelineMessage['properties'] as Record<string, Schema>), relation: { enum: ['answers', 'answered-by'] } },
      },
    },
  },
};

/** src/http/audit-routes.ts, GET /v1/audit/gateway-keys. */
const GatewayKeys: Schema = {
  type: 'object',
  required: ['keys'],
  additionalProperties: false,
  properties: {
    keys: {
      type: 'array',
      items: {
        type: 'object',
        required: ['fingerprint', 'armored'],
        additionalProperties: false,
        properties: { fingerprint: { type: 'string', pattern: '^[0-9a-f]{40,64}$' }, armored: { type: 'string', pattern: '^-----BEGIN PGP PUBLIC KEY BLOCK-----' } },
      },
    },
  },
};

const Health: Schema = {
  type: 'object',
  required: ['status'],
  additionalProperties: false,
  properties: { status: { const: 'alive' } },
};

const Readiness: Schema = {
  type: 'object',
  required: ['status'],
  additionalProperties: false,
  properties: { status: { enum: ['ready', 'not-ready'] } },
};

/** src/observability/operator-status.ts, OperatorSnapshot: GET /v1/operator/status. */
const expiry: Schema = {
  type: 'object',
  required: ['notAfter', 'daysLeft'],
  properties: { notAfter: dateTime, daysLeft: { type: 'number' } },
};
const keyExpiry: Schema = {
  type: 'object',
  required: ['fingerprint', 'expiresAt', 'revoked', 'daysLeft'],
  additionalProperties: false,
  properties: {
    fingerprint: { type: 'string', pattern: '^[0-9a-f]{40,64}$' },
    expiresAt: { ...nullable(dateTime), description: 'null: the key never expires.' },
    revoked: { type: 'boolean' },
    daysLeft: { type: ['number', 'null'] },
  },
};
const OperatorStatus: Schema = {
  type: 'object',
  required: ['status', 'store', 'broker', 'outboxDepth', 'outbox', 'relay', 'queues', 'deadLetters', 'withdrawalReceipts', 'retention', 'auditLog', 'partners', 'gateway', 'checkedAt'],
  additionalProperties: false,
  properties: {
    status: { enum: ['ready', 'not-ready'] },
    store: { enum: ['writable', 'unavailable'] },
    broker: { enum: ['connected', 'disconnected'] },
    outboxDepth: { type: ['integer', 'null'], minimum: 0, description: 'The same as outbox.depth, kept for the first clients of this answer; null when the store is unavailable.' },
    outbox: {
      description: 'null when the store is unavailable.',
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['depth', 'oldestAgeSeconds', 'held'],
          additionalProperties: false,
          properties: { depth: count, oldestAgeSeconds: { type: ['number', 'null'] }, held: count },
        },
      ],
    },
    relay: { type: 'object', required: ['lagSeconds'], additionalProperties: false, properties: { lagSeconds: { type: ['number', 'null'] } } },
    queues: {
      type: 'array',
      items: {
        type: 'object',
        required: ['partner', 'queue', 'messages', 'deadLettered'],
        additionalProperties: false,
        properties: { partner: { type: 'string' }, queue: { type: 'string' }, messages: { type: ['integer', 'null'] }, deadLettered: { type: ['integer', 'null'] } },
      },
    },
    deadLetters: { oneOf: [{ type: 'null' }, { type: 'object', required: ['total'], additionalProperties: false, properties: { total: count } }] },
    withdrawalReceipts: { oneOf: [{ type: 'null' }, { type: 'object', required: ['outstanding'], additionalProperties: false, properties: { outstanding: count } }] },
    retention: {
      type: 'object',
      required: ['lastSweepAt', 'lastSweep'],
      additionalProperties: false,
      properties: { lastSweepAt: nullable(dateTime), lastSweep: { oneOf: [{ type: 'null' }, { type: 'object', additionalProperties: { type: 'number' } }] } },
    },
    auditLog: {
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['size', 'checkpoint'],
          additionalProperties: false,
          properties: {
            size: count,
            checkpoint: {
              oneOf: [
                { type: 'null' },
                {
                  type: 'object',
                  required: ['treeSize', 'timestamp', 'ageSeconds', 'cosignatures'],
                  additionalProperties: false,
                  properties: { treeSize: count, timestamp: dateTime, ageSeconds: { type: 'number' }, cosignatures: count },
                },
              ],
            },
          },
        },
      ],
    },
    partners: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'name', 'role', 'certificate', 'openpgpKeys', 'warning'],
        additionalProperties: false,
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          role: { enum: ['agency', 'auditor', 'statistics', 'operator'] },
          certificate: {
            oneOf: [
              { type: 'null' },
              { ...expiry, required: ['notAfter', 'daysLeft', 'source'], properties: { ...(expiry['properties'] as object), source: { enum: ['presented', 'trust-directory'] } } },
            ],
          },
          openpgpKeys: { type: 'array', items: keyExpiry },
          warning: { type: 'boolean', description: 'A certificate or key expires within 30 days, or no key is usable.' },
        },
      },
    },
    gateway: {
      type: 'object',
      required: ['tlsCertificate', 'openpgpKeys'],
      additionalProperties: false,
      properties: { tlsCertificate: expiry, openpgpKeys: { type: 'array', items: keyExpiry } },
    },
    checkedAt: dateTime,
  },
};

/** src/audit/entry.ts, AuditEntry, plus the stored leaf hash (src/http/audit-routes.ts). */
const AuditEntry: Schema = {
  type: 'object',
  description:
    'One entry of the audit log as stored, plus its RFC 9162 leaf hash. An entry that is no longer JSON (altered in the store) is shown as its index and leaf hash only, so that the auditor can name it.',
  required: ['index', 'leafHash'],
  properties: {
    index: count,
    leafHash: { type: 'string', pattern: SHA256_HEX },
    event: { type: 'string' },
    timestamp: dateTime,
    messageId: { type: 'string' },
    type: { type: 'string' },
    sender: { type: 'string' },
    recipient: { type: 'string' },
    beneficiary: { type: 'string', description: 'A keyed pseudonym of the person, never the reference itself.' },
    payloadSha256: { type: 'string' },
    code: { type: 'string' },
    count: count,
  },
};

const AuditEntries: Schema = {
  type: 'object',
  required: ['entries'],
  additionalProperties: false,
  properties: {
    entries: { type: 'array', maxItems: 1000, items: { $ref: '#/components/schemas/AuditEntry' } },
    next: { ...count, description: 'Where to start the next request when this answer is not the whole range.' },
  },
};

/** src/audit/checkpoint.ts, Cosignature. */
const Cosignature: Schema = {
  type: 'object',
  required: ['partner', 'signature', 'signedAt'],
  additionalProperties: false,
  properties: {
    partner: { type: 'string', pattern: PARTNER_ID },
    signature: { type: 'string', pattern: ARMORED_SIGNATURE },
    signedAt: dateTime,
  },
};

/** src/audit/checkpoint.ts, PublishedCheckpoint. */
const Checkpoint: Schema = {
  type: 'object',
  description: 'A signed tree head of the audit log (RFC 9162 section 2.1) with the witnesses\' cosignatures.',
  required: ['treeSize', 'rootHash', 'timestamp', 'signature', 'cosignatures'],
  additionalProperties: false,
  properties: {
    treeSize: count,
    rootHash: { type: 'string', pattern: SHA256_HEX },
    timestamp: dateTime,
    signature: { type: 'string', pattern: ARMORED_SIGNATURE },
    cosignatures: { type: 'array', items: { $ref: '#/components/schemas/Cosignature' } },
  },
};

const CosignatureAnswer: Schema = {
  type: 'object',
  required: ['treeSize', 'partner', 'signature', 'signedAt'],
  additionalProperties: false,
  properties: { treeSize: count, ...(Cosignature['properties'] as Schema) },
};

const hashList: Schema = { type: 'array', items: { type: 'string', pattern: SHA256_HEX } };

/** RFC 9162 section 2.1.3. */
const InclusionProof: Schema = {
  type: 'object',
  required: ['index', 'treeSize', 'leafHash', 'auditPath'],
  additionalProperties: false,
  properties: { index: count, treeSize: count, leafHash: { type: 'string', pattern: SHA256_HEX }, auditPath: hashList },
};

/** RFC 9162 section 2.1.4. */
const ConsistencyProof: Schema = {
  type: 'object',
  required: ['first', 'second', 'proof'],
  additionalProperties: false,
  properties: { first: count, second: count, proof: hashList },
};

const HORIZON: Schema = { enum: [6, 12], description: 'Months after the orientation.' };
const EFFICACY_DIMENSION: Schema = { enum: ['period', 'recipient', 'permitFamily', 'sex', 'ageBand', 'languageLevel', 'pathway'] };
const MONTH: Schema = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}$' };

/** src/stats/efficacy.ts, EfficacySection. */
const StatisticsEfficacy: Schema = {
  type: 'object',
  description:
    'Outcomes 6 and 12 months after the orientation, one table per dimension (never two sensitive dimensions crossed), and the median days to the first interview; under the same disclosure control as the other counts (a withheld count is null with `suppressed: true`).',
  required: ['reportDate', 'observedThrough', 'situationRules', 'minimumMedianPeople', 'tables', 'rates', 'medians'],
  additionalProperties: false,
  properties: {
    reportDate: { type: 'string', format: 'date' },
    observedThrough: {
      type: 'object',
      description: 'The latest month of acceptance whose orientations are observed at each horizon.',
      required: ['sixMonths', 'twelveMonths'],
      additionalProperties: false,
      properties: { sixMonths: MONTH, twelveMonths: MONTH },
    },
    situationRules: { type: 'string' },
    minimumMedianPeople: count,
    tables: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'description', 'horizonMonths', 'rows', 'columns', 'cells'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: '^outcomes-at-(6|12)-months-by-[a-z-]+$' },
          description: { type: 'string' },
          horizonMonths: HORIZON,
          rows: EFFICACY_DIMENSION,
          columns: { const: 'situation' },
          cells: {
            type: 'array',
            items: {
              type: 'object',
              required: ['row', 'column', 'count'],
              additionalProperties: false,
              properties: {
                row: { type: 'string' },
                column: { enum: ['EMPLOI_DURABLE', 'EMPLOI_AUTRE', 'FORMATION', 'ACCOMPAGNE', 'SORTI', 'SANS_NOUVELLES', 'MOINS_DE_12_MOIS', 'TOTAL'] },
                count: { type: ['integer', 'null'], minimum: 0 },
                suppressed: { const: true },
              },
            },
          },
        },
      },
    },
    rates: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'description', 'horizonMonths', 'rows', 'cells'],
        additionalProperties: false,
        properties: {
          name: { type: 'string' },
          description: { type: 'string' },
          horizonMonths: HORIZON,
          rows: EFFICACY_DIMENSION,
          cells: {
            type: 'array',
            items: {
              type: 'object',
              required: ['row', 'rate'],
              additionalProperties: false,
              properties: { row: { type: 'string' }, rate: { type: ['number', 'null'], minimum: 0, maximum: 1 }, flag: { enum: ['denominator-under-30', 'count-suppressed'] } },
            },
          },
        },
      },
    },
    medians: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'description', 'rows', 'cells'],
        additionalProperties: false,
        properties: {
          name: { type: 'string' },
          description: { type: 'string' },
          rows: EFFICACY_DIMENSION,
          cells: {
            type: 'array',
            items: {
              type: 'object',
              required: ['row', 'medianDays'],
              additionalProperties: false,
              properties: { row: { type: 'string' }, medianDays: { type: ['number', 'null'] }, flag: { const: 'fewer-than-11-people' } },
            },
          },
        },
      },
    },
  },
};

/** src/stats/report.ts, StatisticsReport. */
const StatisticsReport: Schema = {
  type: 'object',
  description: 'Disclosure-controlled figures: a withheld count is null with `suppressed: true`, never a number.',
  required: ['generatedAt', 'disclosureControl', 'tables', 'rates', 'medians', 'efficacy'],
  additionalProperties: false,
  properties: {
    generatedAt: dateTime,
    disclosureControl: {
      type: 'object',
      required: ['suppressedCounts', 'secondarySuppression', 'minimumRateDenominator', 'minimumMedianObservations'],
      properties: {
        suppressedCounts: { type: 'object', required: ['from', 'to'], properties: { from: count, to: count } },
        secondarySuppression: { type: 'string' },
        minimumRateDenominator: count,
        minimumMedianObservations: count,
      },
    },
    tables: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'description', 'filter', 'rows', 'columns', 'cells'],
        properties: {
          name: { type: 'string' },
          description: { type: 'string' },
          filter: { type: 'object', additionalProperties: { type: 'string' } },
          rows: { type: 'string' },
          columns: { type: 'string' },
          cells: {
            type: 'array',
            items: {
              type: 'object',
              required: ['row', 'column', 'count'],
              additionalProperties: false,
              properties: { row: { type: 'string' }, column: { type: 'string' }, count: { type: ['integer', 'null'], minimum: 0 }, suppressed: { const: true } },
            },
          },
        },
      },
    },
    rates: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'description', 'rows', 'cells'],
        properties: {
          cells: {
            type: 'array',
            items: {
              type: 'object',
              required: ['row', 'rate'],
              additionalProperties: false,
              properties: { row: { type: 'string' }, rate: { type: ['number', 'null'] }, flag: { enum: ['denominator-under-30', 'count-suppressed'] } },
            },
          },
        },
      },
    },
    medians: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'description', 'rows', 'cells'],
        properties: {
          cells: {
            type: 'array',
            items: {
              type: 'object',
              required: ['row', 'medianDays'],
              additionalProperties: false,
              properties: { row: { type: 'string' }, medianDays: { type: ['number', 'null'] }, flag: { const: 'fewer-than-30-observations' } },
            },
          },
        },
      },
    },
    efficacy: StatisticsEfficacy,
  },
};

/** src/domain/suggestions.ts, Suggestion. */
const Suggestions: Schema = {
  type: 'object',
  required: ['sentAt', 'suggestions'],
  additionalProperties: false,
  properties: {
    sentAt: dateTime,
    suggestions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['partner', 'name', 'eligible', 'reasons', 'minimisation'],
        additionalProperties: false,
        properties: {
          partner: { type: 'string', pattern: PARTNER_ID },
          name: { type: 'string' },
          eligible: { type: 'boolean' },
          reasons: {
            type: 'array',
            items: { type: 'object', required: ['rule', 'holds', 'explanation'], additionalProperties: false, properties: { rule: { type: 'string' }, holds: { type: 'boolean' }, explanation: { type: 'string' } } },
          },
          minimisation: {
            type: 'array',
            items: { type: 'object', required: ['rule', 'field'], additionalProperties: false, properties: { rule: { type: 'string' }, field: { type: 'string' } } },
          },
        },
      },
    },
  },
};

/** The request of POST /v1/orientation/suggestions (src/http/suggestion-routes.ts). */
const SuggestionRequest: Schema = {
  type: 'object',
  required: ['body'],
  additionalProperties: false,
  properties: {
    body: { $ref: 'https://passerelle.example/schemas/orientation.v1.schema.json#/properties/body' },
    sentAt: { ...dateTime, description: 'The time the orientation will carry; now when absent.' },
  },
};

/** The answer of POST /v1/beneficiary-lookups (src/http/lookup-routes.ts): nothing else about the person. */
const BeneficiaryLookup: Schema = {
  type: 'object',
  required: ['lookupId', 'known'],
  additionalProperties: false,
  properties: {
    lookupId: { type: 'string', pattern: UUID_PATTERN, description: 'The messageId of the lookup\'s `looked-up` audit entry, and of the dossier request\'s body when one was sent.' },
    known: { type: 'boolean', description: 'Whether the person is known to the exchange as a CIR beneficiary (a dossier request went to OFII when true).' },
  },
};

/** The answer of GET /v1/beneficiary-lookups/summary: counts, never a person. */
const BeneficiaryLookupSummary: Schema = {
  type: 'object',
  required: ['from', 'days', 'limits', 'lookups'],
  additionalProperties: false,
  properties: {
    from: { type: 'string', format: 'date', description: 'First day counted (UTC); the last is today.' },
    days: { type: 'integer', minimum: 1, maximum: 366 },
    limits: { type: 'object', required: ['perHour', 'perDay'], additionalProperties: false, properties: { perHour: count, perDay: count } },
    lookups: {
      type: 'array',
      items: {
        type: 'object',
        required: ['agency', 'day', 'known', 'unknown', 'refused'],
        additionalProperties: false,
        properties: { agency: { type: 'string', pattern: PARTNER_ID }, day: { type: 'string', format: 'date' }, known: count, unknown: count, refused: count },
      },
    },
  },
};

const CosignatureRequest: Schema = {
  type: 'object',
  required: ['treeSize', 'signature'],
  additionalProperties: false,
  properties: { treeSize: count, signature: { type: 'string', description: 'Armored detached OpenPGP signature over the checkpoint bytes.' } },
};

/** src/http/withdrawal-routes.ts: GET /v1/withdrawals. */
const Withdrawals: Schema = {
  type: 'object',
  required: ['state', 'offset', 'limit', 'asOf', 'notices', 'counts'],
  additionalProperties: false,
  properties: {
    state: { enum: ['outstanding', 'answered', 'all'] },
    offset: count,
    limit: { type: 'integer', minimum: 1, maximum: 500 },
    asOf: dateTime,
    notices: {
      type: 'array',
      maxItems: 500,
      items: {
        type: 'object',
        required: ['noticeId', 'recipient', 'reason', 'sentAt', 'ageDays', 'reminders'],
        additionalProperties: false,
        properties: {
          noticeId: { type: 'string', pattern: UUID_PATTERN },
          recipient: { type: 'string', pattern: PARTNER_ID },
          reason: { enum: ['DISPENSE', 'RETRAIT', 'EFFACEMENT', 'OPPOSITION_ART21', 'RETRAIT_ACCORD_SANTE', 'EFFACEMENT_NON_ACCOMPAGNE'] },
          sentAt: dateTime,
          ageDays: count,
          reminders: count,
          lastRemindedAt: dateTime,
          answeredAt: dateTime,
          status: { enum: ['EFFECTUE', 'REFUSE_MOTIF_LEGAL'] },
          executedOn: { type: 'string', format: 'date' },
          receiptId: { type: 'string', pattern: UUID_PATTERN },
          legalGround: { enum: ['OBLIGATION_CONSERVATION_COMPTABLE', 'OBLIGATION_CONSERVATION_SOCIALE', 'CONTENTIEUX_EN_COURS', 'MISSION_INTERET_PUBLIC', 'AUTRE_OBLIGATION_LEGALE'] },
        },
      },
    },
    counts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['recipient', 'status', 'count'],
        additionalProperties: false,
        properties: { recipient: { type: 'string', pattern: PARTNER_ID }, status: { enum: ['EFFECTUE', 'REFUSE_MOTIF_LEGAL', 'EN_ATTENTE'] }, count },
      },
    },
  },
};

/** Every schema of the answers, by the name it has under components.schemas. */
export const RESPONSE_SCHEMAS: Readonly<Record<string, Schema>> = Object.freeze({
  Problem,
  Acceptance,
  MessageStatus,
  MessageTimeline,
  GatewayKeys,
  Health,
  Readiness,
  OperatorStatus,
  AuditEntry,
  AuditEntries,
  Cosignature,
  Checkpoint,
  CosignatureAnswer,
  InclusionProof,
  ConsistencyProof,
  StatisticsReport,
  Withdrawals,
  Suggestions,
  SuggestionRequest,
  CosignatureRequest,
  BeneficiaryLookup,
  BeneficiaryLookupSummary,
});
