/**
 * Validates a whole message document (header and body) against schemas/<type>.v<version>.schema.json,
 * as step 5 of the acceptance order of docs/interface.md (section 3).
 *
 * Every schema is compiled once, in ajv's strict mode, when the validator is created: a schema mistake
 * stops the gateway at start, never in the middle of an exchange. Validation stops at the first error
 * (allErrors: false) so that a hostile document costs little.
 *
 * Error messages and pointers never carry a value of the document: they are sent to partners and may be
 * logged, and the document holds personal data.
 */
import type { KnownDocument } from './generated/index.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020Module from 'ajv/dist/2020.js';
import type { AnySchemaObject, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { GatewayError, type FieldError } from '../domain/errors.js';

export interface DocumentValidator {
  /** Throws GatewayError('schema_invalid') unless the document matches the schema its header names. */
  validate(document: unknown): asserts document is KnownDocument;
  /** The message types that have at least one schema, sorted. */
  knownTypes(): string[];
}

export interface ValidatorOptions {
  /** Absolute path of the schemas folder (see defaultSchemasDir()). */
  schemasDir: string;
}

/** A schema file that validates whole documents of one type and version. */
export interface DocumentSchemaFile {
  type: string;
  version: number;
  fileName: string;
  schema: AnySchemaObject;
}

export interface SchemaFile {
  fileName: string;
  schema: AnySchemaObject;
}

// ajv and ajv-formats are CommonJS modules: under Node's ESM loader the default import is the whole
// module.exports (the class, which also carries itself as `.default`); other loaders hand over `.default`.
type Ajv2020Class = typeof Ajv2020Module.default;
type AddFormats = typeof addFormatsModule.default;
const Ajv2020: Ajv2020Class =
  (Ajv2020Module as unknown as { default?: Ajv2020Class }).default ?? (Ajv2020Module as unknown as Ajv2020Class);
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

const SCHEMA_FILE_NAME = /^([a-z][a-z0-9-]*)\.v([1-9][0-9]{0,2})\.schema\.json$/;

/**
 * A property name that the document made up is echoed in a pointer only when it looks like a field name;
 * anything else (a name, a sentence) could be personal data, so the pointer then stops at the parent.
 */
const ECHOABLE_PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** `<project root>/schemas`, the project root being the nearest folder above this module with a package.json. */
export function defaultSchemasDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'schemas');
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new GatewayError(
        'config_invalid',
        'Cannot find the project root (a folder with package.json) above the schema validator: pass schemasDir explicitly.',
      );
    }
    dir = parent;
  }
}

function readSchemaFile(schemasDir: string, fileName: string): AnySchemaObject {
  try {
    return JSON.parse(readFileSync(path.join(schemasDir, fileName), 'utf8')) as AnySchemaObject;
  } catch (cause) {
    throw new GatewayError('config_invalid', `The schema file ${fileName} cannot be read as JSON: fix or restore it.`, {
      cause,
    });
  }
}

/**
 * The versioned message schemas and the files they share (<name>.v<version>.schema.json). Other schemas
 * of the folder (partners.schema.json) belong to other components and are not loaded here.
 */
export function loadSchemaFiles(schemasDir: string): SchemaFile[] {
  let fileNames: string[];
  try {
    fileNames = readdirSync(schemasDir)
      .filter((name) => SCHEMA_FILE_NAME.test(name))
      .sort();
  } catch (cause) {
    throw new GatewayError('config_invalid', 'The schemas folder cannot be read: check the path given as schemasDir.', {
      cause,
    });
  }
  return fileNames.map((fileName) => ({ fileName, schema: readSchemaFile(schemasDir, fileName) }));
}

function declaredType(schema: AnySchemaObject): unknown {
  const header = (schema.properties as Record<string, AnySchemaObject> | undefined)?.header;
  const type = (header?.properties as Record<string, AnySchemaObject> | undefined)?.type;
  return type?.const;
}

/**
 * The schema files that validate whole documents: named <type>.v<version>.schema.json and declaring that
 * type as the constant of header.type. Shared files (header.v1.schema.json) declare no type, so a
 * document can never select them.
 */
function documentSchemasOf(files: SchemaFile[]): DocumentSchemaFile[] {
  const found: DocumentSchemaFile[] = [];
  for (const { fileName, schema } of files) {
    const match = SCHEMA_FILE_NAME.exec(fileName) as RegExpExecArray;
    const type = declaredType(schema);
    if (type === undefined) continue;
    if (type !== match[1]) {
      throw new GatewayError(
        'config_invalid',
        `The schema file ${fileName} declares another message type in header.type: the file name and the constant must agree.`,
      );
    }
    found.push({ type: match[1], version: Number(match[2]), fileName, schema });
  }
  return found;
}

/** The document schemas of a schemas folder (what scripts/generate-types.ts turns into types). */
export function listDocumentSchemas(schemasDir: string): DocumentSchemaFile[] {
  return documentSchemasOf(loadSchemaFiles(schemasDir));
}

function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function childPointer(parent: string, property: unknown): string {
  return typeof property === 'string' ? `${parent}/${escapePointerToken(property)}` : parent;
}

/** Maps one ajv error to an RFC 6901 pointer into the document and a message built only from the schema. */
function toFieldError(error: ErrorObject): FieldError {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { pointer: childPointer(error.instancePath, params.missingProperty), message: 'is required' };
    case 'dependentRequired':
      return {
        pointer: childPointer(error.instancePath, params.missingProperty),
        message: `is required when ${String(params.property)} is present`,
      };
    case 'additionalProperties': {
      const name = params.additionalProperty;
      const remedy = 'remove it (free text and data that the agreement does not need are refused)';
      if (typeof name === 'string' && ECHOABLE_PROPERTY_NAME.test(name)) {
        return { pointer: childPointer(error.instancePath, name), message: `is not a field of this schema: ${remedy}` };
      }
      return { pointer: error.instancePath, message: `has a field that this schema does not define: ${remedy}` };
    }
    case 'false schema':
      return {
        pointer: error.instancePath,
        message: 'is not allowed here: this block belongs to another status or event type (see the schema)',
      };
    case 'enum':
      return {
        pointer: error.instancePath,
        message: `must be one of: ${(params.allowedValues as unknown[]).map((value) => String(value)).join(', ')}`,
      };
    case 'const':
      return { pointer: error.instancePath, message: `must be ${JSON.stringify(params.allowedValue)}` };
    default:
      // ajv builds its other messages from the schema and the error params (limits, formats, patterns,
      // types, item indexes), never from the data.
      return { pointer: error.instancePath, message: error.message ?? `fails the ${error.keyword} rule` };
  }
}

export function toFieldErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  const mapped: FieldError[] = [];
  for (const error of errors ?? []) {
    // "must match then/else schema" repeats, one level up, the error that the branch already reported.
    if (error.keyword === 'if') continue;
    mapped.push(toFieldError(error));
  }
  return mapped.length > 0 ? mapped : [{ pointer: '', message: 'does not match its schema' }];
}

function invalid(detail: string, pointer: string, message: string): GatewayError {
  return new GatewayError('schema_invalid', detail, { errors: [{ pointer, message }] });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function createValidator(options: ValidatorOptions): DocumentValidator {
  const files = loadSchemaFiles(options.schemasDir);
  const ajv = new Ajv2020({ strict: true, allErrors: false, validateFormats: true });
  addFormats(ajv);

  for (const { fileName, schema } of files) {
    try {
      ajv.addSchema(schema);
    } catch (cause) {
      throw new GatewayError(
        'config_invalid',
        `The schema file ${fileName} is not a valid JSON Schema: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
  // Compile every schema now, shared ones included, so that strict mode checks them all at start.
  for (const { fileName, schema } of files) {
    if (typeof schema.$id !== 'string') {
      throw new GatewayError('config_invalid', `The schema file ${fileName} has no $id: give it the URL under which the other schemas refer to it.`);
    }
    try {
      ajv.getSchema(schema.$id);
    } catch (cause) {
      throw new GatewayError(
        'config_invalid',
        `The schema file ${fileName} does not compile in strict mode: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  const validators = new Map<string, Map<number, ValidateFunction>>();
  for (const entry of documentSchemasOf(files)) {
    const versions = validators.get(entry.type) ?? new Map<number, ValidateFunction>();
    versions.set(entry.version, ajv.getSchema(entry.schema.$id as string) as ValidateFunction);
    validators.set(entry.type, versions);
  }
  if (validators.size === 0) {
    throw new GatewayError(
      'config_invalid',
      'The schemas folder holds no message schema (<type>.v<version>.schema.json): check the path given as schemasDir.',
    );
  }
  const types = [...validators.keys()].sort();

  function validate(document: unknown): asserts document is KnownDocument {
    if (!isObject(document)) {
      throw invalid('The document must be a JSON object with a header and a body.', '', 'must be an object');
    }
    const header = document.header;
    if (!isObject(header)) {
      throw invalid(
        'The document has no header object: add the header that schemas/envelope and docs/interface.md (section 3) describe.',
        '/header',
        'is required and must be an object',
      );
    }
    const versions = typeof header.type === 'string' ? validators.get(header.type) : undefined;
    if (versions === undefined) {
      throw invalid(
        `The message type is not known: use one of ${types.join(', ')}.`,
        '/header/type',
        `must be one of: ${types.join(', ')}`,
      );
    }
    const type = header.type as string;
    const supported = [...versions.keys()].sort((a, b) => a - b);
    const check = typeof header.version === 'number' ? versions.get(header.version) : undefined;
    if (check === undefined) {
      throw invalid(
        `This version of the ${type} message is not supported: use version ${supported.join(' or ')}.`,
        '/header/version',
        `must be one of: ${supported.join(', ')}`,
      );
    }
    if (!check(document)) {
      throw new GatewayError(
        'schema_invalid',
        `The ${type} document does not match schemas/${type}.v${String(header.version)}.schema.json: correct the fields listed in errors and send the message again.`,
        { errors: toFieldErrors(check.errors) },
      );
    }
  }

  return {
    validate,
    knownTypes: () => [...types],
  };
}
