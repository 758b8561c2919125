/**
 * The partner registry (partners.json of a trust directory, docs/interface.md, section 2): parsed,
 * validated against schemas/partners.schema.json plus the cross-field rules a JSON Schema cannot say,
 * then deep-frozen. Any problem is one config_invalid error naming the file and the JSON Pointer
 * (RFC 6901) of the field, so the operator can fix it without reading code.
 */
import { readFileSync } from 'node:fs';
import Ajv2020Module from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { GatewayError } from '../domain/errors.js';
import { GATEWAY_ID, GATEWAY_RECEIVES, GATEWAY_SENDS } from '../domain/gateway-partner.js';
import type { Partner } from '../domain/partner.js';
import { RECIPIENT_TYPE_FIELDS } from '../domain/routing.js';

export interface Registry {
  /** Every partner by id, in the order of the file. */
  readonly partners: ReadonlyMap<string, Partner>;
  get(id: string): Partner | undefined;
}

interface RegistryDocument {
  version: 1;
  partners: Partner[];
}

const SCHEMA_URL = new URL('../../schemas/partners.schema.json', import.meta.url);
const FIX = 'Fix the registry and start again.';

// ajv and ajv-formats are CommonJS modules whose `exports.default` is the export itself; under NodeNext
// the default import is `module.exports`, so `.default` is the class (or plugin) in every loader.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

let compiled: ValidateFunction<RegistryDocument> | undefined;

function validator(): ValidateFunction<RegistryDocument> {
  if (compiled === undefined) {
    // discriminator: true lets ajv pick the eligibility branch by `kind`, so an error names the field
    // of that branch instead of "must match exactly one schema in oneOf".
    const ajv = new Ajv2020({ strict: true, allErrors: false, discriminator: true });
    addFormats(ajv);
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as object;
    compiled = ajv.compile<RegistryDocument>(schema);
  }
  return compiled;
}

function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Turns ajv's first error into a pointer at the offending field and a sentence about it. */
function describe(error: ErrorObject): { pointer: string; message: string } {
  const at = error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { pointer: `${at}/${escapePointerToken(String(params.missingProperty))}`, message: 'is missing' };
    case 'additionalProperties':
      return {
        pointer: `${at}/${escapePointerToken(String(params.additionalProperty))}`,
        message: 'is not a known field; check its spelling',
      };
    case 'enum':
      return { pointer: at, message: `must be one of ${(params.allowedValues as unknown[]).join(', ')}` };
    case 'const':
      return { pointer: at, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'discriminator': {
      const kinds = 'age-between, recognised-disability-with-consent, residence-grounds-in';
      return params.error === 'mapping'
        ? { pointer: `${at}/kind`, message: `must be one of ${kinds}` }
        : { pointer: `${at}/kind`, message: `must be a string, one of ${kinds}` };
    }
    case 'uniqueItems':
      return { pointer: at, message: `lists the same value twice (items ${params.j} and ${params.i})` };
    default:
      return { pointer: at === '' ? '/' : at, message: error.message ?? 'is invalid' };
  }
}

function partnerHint(document: unknown, pointer: string): string {
  const match = /^\/partners\/(\d+)/.exec(pointer);
  if (match === null) return '';
  const entry = (document as { partners?: unknown[] }).partners?.[Number(match[1])];
  const id = (entry as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' && /^[a-z0-9][a-z0-9-]{1,62}$/.test(id) ? ` (partner "${id}")` : '';
}

function invalid(source: string, pointer: string, message: string, document?: unknown): GatewayError {
  const hint = document === undefined ? '' : partnerHint(document, pointer);
  return new GatewayError('config_invalid', `${source}: ${pointer}${hint} ${message}. ${FIX}`);
}

/** Rules that span several fields, so the schema cannot state them. */
function checkConsistency(document: RegistryDocument, source: string): void {
  const seen = new Map<string, number>();
  document.partners.forEach((partner, index) => {
    const base = `/partners/${index}`;
    const first = seen.get(partner.id);
    if (first !== undefined) {
      throw invalid(source, `${base}/id`, `repeats the id "${partner.id}" of /partners/${first}/id; ids must be unique`);
    }
    seen.set(partner.id, index);

    // The gateway is a party of its own (src/trust/gateway-partner.ts): its id and its messages are not a partner's.
    if (partner.id === GATEWAY_ID) {
      throw invalid(source, `${base}/id`, `is "${GATEWAY_ID}", the id the gateway itself uses as sender and recipient; choose another id`);
    }
    partner.sends.forEach((type, typeIndex) => {
      if (GATEWAY_SENDS.includes(type)) {
        throw invalid(source, `${base}/sends/${typeIndex}`, `is "${type}", a message type only the gateway sends; remove it`, document);
      }
    });
    partner.receives.forEach((type, typeIndex) => {
      if (GATEWAY_RECEIVES.includes(type)) {
        throw invalid(source, `${base}/receives/${typeIndex}`, `is "${type}", a message type addressed to the gateway itself; remove it`, document);
      }
    });

    // Section 1: the steering committee and the auditor neither send nor receive messages.
    if (partner.role !== 'agency') {
      for (const field of ['sends', 'receives'] as const) {
        if (partner[field].length > 0) {
          throw invalid(source, `${base}/${field}`, `must be empty: the ${partner.role} role exchanges no messages`, document);
        }
      }
    }

    // Step 7 checks the type an orientation names against its recipient's (src/domain/routing.ts).
    const namingType = partner.receives.find((type) => RECIPIENT_TYPE_FIELDS[type] !== undefined);
    if (namingType !== undefined && partner.organisationType === undefined) {
      throw invalid(
        source,
        `${base}/organisationType`,
        `is missing: a partner that receives ${namingType} messages needs its organisation type (one of the codes of schemas/partners.schema.json, such as FRANCE_TRAVAIL), which the gateway checks against the type the message names`,
        document,
      );
    }

    // A rule_violation names its rule, so a name must point at one rule of the recipient, whichever list holds it.
    const ruleNames = new Set<string>();
    const checkRule = (rule: { rule: string; messageTypes: string[] }, rulePointer: string) => {
      if (ruleNames.has(rule.rule)) {
        throw invalid(source, `${rulePointer}/rule`, `repeats the rule name "${rule.rule}"; rule names must be unique per partner`, document);
      }
      ruleNames.add(rule.rule);
      rule.messageTypes.forEach((type, typeIndex) => {
        if (!partner.receives.includes(type)) {
          throw invalid(
            source,
            `${rulePointer}/messageTypes/${typeIndex}`,
            `names "${type}", which this partner does not receive; add it to ${base}/receives or remove it from the rule`,
            document,
          );
        }
      });
    };
    partner.eligibility.forEach((rule, ruleIndex) => {
      const rulePointer = `${base}/eligibility/${ruleIndex}`;
      checkRule(rule, rulePointer);
      if (rule.kind === 'age-between' && rule.min > rule.max) {
        throw invalid(source, `${rulePointer}/min`, `must not be greater than max (${rule.max})`, document);
      }
    });
    partner.minimisation.forEach((rule, ruleIndex) => checkRule(rule, `${base}/minimisation/${ruleIndex}`));
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * @param json the text of partners.json
 * @param source how to name the file in an error message (usually its path)
 */
export function parseRegistry(json: string, source: string): Registry {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (err) {
    throw new GatewayError(
      'config_invalid',
      `${source} is not valid JSON (${(err as Error).message}). ${FIX}`,
      { cause: err },
    );
  }
  const validate = validator();
  if (!validate(document)) {
    const error = validate.errors?.[0];
    if (error === undefined) throw invalid(source, '/', 'does not match schemas/partners.schema.json');
    const { pointer, message } = describe(error);
    throw invalid(source, pointer, message, document);
  }
  checkConsistency(document, source);

  const partners = new Map<string, Partner>();
  for (const partner of document.partners) partners.set(partner.id, deepFreeze(partner));
  return Object.freeze({
    partners: partners as ReadonlyMap<string, Partner>,
    get: (id: string) => partners.get(id),
  });
}

export function loadRegistry(file: string): Registry {
  let json: string;
  try {
    json = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    throw new GatewayError(
      'config_invalid',
      `The partner registry ${file} ${reason}. Put a partners.json in the trust directory, or run \`passerelle pki init --dir <dir>\` to generate an example one.`,
      { cause: err },
    );
  }
  return parseRegistry(json, file);
}
