/**
 * Validates the JSON body of an HTTP request (not a message) against one of the schemas of `schemas/`
 * that declares no message type (schemas/beneficiary-lookup.v1.schema.json), with the same strict
 * ajv settings and the same field errors as the document validator: pointers and messages built from
 * the schema, never from the body, which may hold personal data.
 */
import Ajv2020Module from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { GatewayError } from '../domain/errors.js';
import { loadSchemaFiles, toFieldErrors } from './validator.js';

type Ajv2020Class = typeof Ajv2020Module.default;
type AddFormats = typeof addFormatsModule.default;
const Ajv2020: Ajv2020Class = (Ajv2020Module as unknown as { default?: Ajv2020Class }).default ?? (Ajv2020Module as unknown as Ajv2020Class);
const addFormats: AddFormats = (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

export interface RequestBodyValidator {
  /**
   * Throws GatewayError('schema_invalid') unless `value` matches the subschema at `pointer` (a JSON
   * Pointer fragment such as `/$defs/byReference`, or '' for the whole schema).
   */
  validate(value: unknown, pointer?: string): void;
}

/** Compiles `fileName` of the schemas folder, with the shared files it refers to, in strict mode. */
export function createRequestBodyValidator(opts: { schemasDir: string; fileName: string }): RequestBodyValidator {
  const files = loadSchemaFiles(opts.schemasDir);
  const file = files.find((f) => f.fileName === opts.fileName);
  if (file === undefined || typeof file.schema.$id !== 'string') {
    throw new GatewayError('config_invalid', `The schemas folder has no ${opts.fileName} with an $id: restore it from the release.`);
  }
  const ajv = new Ajv2020({ strict: true, allErrors: false, validateFormats: true });
  addFormats(ajv);
  for (const { schema } of files) ajv.addSchema(schema);
  const id = file.schema.$id;
  const compiled = new Map<string, ValidateFunction>();
  const compile = (pointer: string): ValidateFunction => {
    let check = compiled.get(pointer);
    if (check === undefined) {
      check = ajv.getSchema(pointer === '' ? id : `${id}#${pointer}`);
      if (check === undefined) throw new GatewayError('internal', `${opts.fileName} has no subschema ${pointer}. This is a defect: report it.`);
      compiled.set(pointer, check);
    }
    return check;
  };
  compile('');
  return {
    validate(value, pointer = '') {
      const check = compile(pointer);
      if (!check(value)) {
        throw new GatewayError('schema_invalid', `The request body does not match schemas/${opts.fileName}: correct the fields listed in errors and ask again.`, { errors: toFieldErrors(check.errors) });
      }
    },
  };
}
