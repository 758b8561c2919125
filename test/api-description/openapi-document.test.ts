/**
 * The OpenAPI document is a valid OpenAPI 3.1 document (the official schema, vendored in
 * test/fixtures/openapi-3.1.schema.json), every JSON Schema in it compiles, and it is derived from the
 * sources it names: the message schemas of schemas/ and the problem catalogue.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { buildOpenApi } from '../../src/api-description/openapi.js';
import { PROBLEM_CATALOGUE, type ProblemCode } from '../../src/domain/errors.js';
import { defaultSchemasDir } from '../../src/schema/validator.js';
import { createApiAjv, PROJECT_ROOT_DIR } from '../fixtures/api-conformance.js';

const OAS_SCHEMA = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT_DIR, 'test/fixtures/openapi-3.1.schema.json'), 'utf8')) as Record<string, unknown>;

describe('api-description: the OpenAPI document', () => {
  const document = buildOpenApi({ schemasDir: defaultSchemasDir() });

  it('validates against the JSON Schema of OpenAPI 3.1', () => {
    const ajv = createApiAjv();
    const validate = ajv.compile(OAS_SCHEMA);
    const valid = validate(document);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).to.deep.equal([]);
    expect(valid).to.equal(true);
  });

  it('compiles every schema it holds with a JSON Schema 2020-12 validator (references resolved)', () => {
    const ajv = createApiAjv(document);
    const compiled: string[] = [];
    for (const name of Object.keys(document.components['schemas']!)) {
      ajv.getSchema(`urn:passerelle:openapi#/components/schemas/${name}`) ?? expect.fail(`components.schemas.${name} does not compile`);
      compiled.push(name);
    }
    expect(compiled).to.include.members(['Problem', 'Acceptance', 'orientation.v1', 'header.v1']);
  });

  it('embeds each message schema of schemas/ as it is on disk', () => {
    const schemas = document.components['schemas'] as Record<string, unknown>;
    const files = fs.readdirSync(defaultSchemasDir()).filter((f) => /\.v\d+\.schema\.json$/.test(f));
    expect(files.length).to.be.greaterThan(5);
    for (const file of files) {
      const name = file.replace('.schema.json', '');
      expect(schemas[name], file).to.deep.equal(JSON.parse(fs.readFileSync(path.join(defaultSchemasDir(), file), 'utf8')));
    }
  });

  it('answers problems with the status and the codes of the catalogue', () => {
    let seen = 0;
    for (const [route, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const [status, response] of Object.entries(operation['responses'] as Record<string, { content?: Record<string, { schema: { properties: { code: { enum: ProblemCode[] } } } }> }>)) {
          const problem = response.content?.['application/problem+json'];
          if (!problem) continue;
          for (const code of problem.schema.properties.code.enum) {
            expect(PROBLEM_CATALOGUE[code], `${method} ${route} ${status} ${code}`).to.not.equal(undefined);
            expect(String(PROBLEM_CATALOGUE[code].status), `${method} ${route} ${code}`).to.equal(status);
            seen += 1;
          }
        }
      }
    }
    expect(seen).to.be.greaterThan(40);
  });

  it('asks for the client certificate on /v1 and for nothing on the public paths', () => {
    for (const [route, item] of Object.entries(document.paths)) {
      for (const operation of Object.values(item)) {
        const schemes = (operation['security'] as Array<Record<string, unknown>>).flatMap((s) => Object.keys(s));
        if (route.startsWith('/v1/')) expect(schemes, route).to.include('mutualTLS');
        else expect(schemes, route).to.deep.equal([]);
      }
    }
  });
});
