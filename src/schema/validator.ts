/**
 * Validates a whole message document (header and body) against schemas/<type>.v<version>.schema.json,
 * as step 5 of the acceptance order of the interface contract (section 3).
 *
 * Every schema is compiled once, in ajv's strict mode, when the validator is created: a schema mistake
 * stops the gateway at start, never in the middle of an exchange. Validation stops at the first error
 * (allErrors: false) so that a hostile document costs little.
 *
 * Error messages and pointers never carry a value of the document: they are sent to partners and may be
 * logged, and the document holds personal data.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020Module from 'ajv/dist/2020.js';
import type { AnySchemaObject, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { GatewayError, type FieldError } from '../domain/errors.js';

export interface DocumentValidator {
  /** Throws GatewayError('schema_invalid') unless the document matches the schema its header names. */
  validate(document: unknown): void;
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

// ajv and ajv-formats are CommonJS modules whose class sits on `.default` when a TypeScript ESM build
// imports them, but on the module itself when Node's ESM loader does: accept both.
type Ajv2020Class = typeof Ajv2020Module.default;
type AddFormats = typeof addFormatsModule.default;
const Ajv2020: Ajv2020Class =
  (Ajv2020Module as unknown as { default?: Ajv2020Class }).default ?? (Ajv2020Module as unknown as Ajv2020Class);
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

const SCHEMA_FILE_NAME = /^([a-z][a-z0-9-]*)\.v([1-9][0-9]{0,2})\.schema\.json$/;

/**
 * A property name that the document made up is echoed in a pointer only when it looks like a field name;
 * anything else (a name, a sentence) could be personal data, so the pointer stops at the parent object.
 */
const ECHOABLE_PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** `<project root>/schemas`, where the project root is the nearest folder above this module with a package.json. */
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

function declaredType(schema: AnySchemaObject): unknown {
  const header = (schema.properties as Record<string, AnySchemaObject> | undefined)?.header;
  const type = (header?.properties as Record<string, AnySchemaObject> | undefined)?.type;
  return type?.const;
}

interface SchemaFile {
  fileName: string;
  schema: AnySchemaObject;
}

function loadSchemaFiles(schemasDir: string): SchemaFile[] {
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
    try {
      if (typeof schema.$id !== 'string') throw new Error('it has no $id');
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
    const validate = ajv.getSchema(entry.schema.$id as string) as ValidateFunction;
    const versions = validators.get(entry.type) ?? new Map<number, ValidateFunction>();
    versions.set(entry.version, validate);
    validators.set(entry.type, versions);
  }
  if (validators.size === 0) {
    throw new GatewayError(
      'config_invalid',
      'The schemas folder holds no message schema (<type>.v<version>.schema.json): check the path given as schemasDir.',
    );
  }
  const types = [...validators.keys()].sort();

  function validate(document: unknown): void {
    if (!isObject(document)) {
      throw invalid('The document must be a JSON object with a header and a body.', '', 'must be an object');
    }
    const header = document.header;
    if (!isObject(header)) {
      throw invalid('The document has no header object: add one as the interface contract describes.', '/header', 'is required and must be an object');
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
