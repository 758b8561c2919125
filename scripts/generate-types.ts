/**
 * Writes src/schema/generated/<type>.v<version>.ts and index.ts from the message schemas, with
 * json-schema-to-typescript. Run it with `npm run generate:types` after changing a schema;
 * test/schema/generated-types.test.ts fails while the committed files differ from what this produces,
 * so types are never written by hand and never drift from the schemas.
 *
 * The schemas are written for partners: French titles, shared definitions in header.v1.schema.json,
 * conditions (if/then, dependentSchemas) that TypeScript cannot express. Before generation each schema
 * is turned into a plain tree: $refs inlined, conditions dropped, and titles replaced by English type
 * names (<Root><Property>) so that the generated names are stable and never collide across files. The
 * French title stays in the JSDoc comment, above the description.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { defaultSchemasDir, listDocumentSchemas } from '../src/schema/validator.js';

export interface GenerateTypesOptions {
  /** Absolute path of the schemas folder. */
  schemasDir: string;
  /** Folder that receives the generated files (created if missing). */
  outDir: string;
}

export interface GeneratedFile {
  fileName: string;
  contents: string;
}

type Schema = Record<string, unknown>;

/** Keywords that constrain values without changing the TypeScript shape, or that TypeScript cannot express. */
const DROPPED_KEYWORDS = ['$schema', '$id', '$defs', '$comment', 'if', 'then', 'else', 'dependentSchemas', 'dependentRequired', 'allOf'];

const STYLE = { singleQuote: true, printWidth: 120, trailingComma: 'all', bracketSpacing: true } as const;

function banner(source: string): string {
  return [
    '/**',
    ` * Generated — do not edit. Produced by scripts/generate-types.ts from ${source}.`,
    ' * Change the schema, then run `npm run generate:types`.',
    ' */',
  ].join('\n');
}

function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/** OrientationV1, StatusUpdateV1, ... */
export function typeNameOf(type: string, version: number): string {
  return `${pascalCase(type)}V${version}`;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readJson(file: string): Schema {
  return JSON.parse(readFileSync(file, 'utf8')) as Schema;
}

/** Follows an RFC 6901 pointer (the fragment of a $ref) inside a schema. */
function resolvePointer(root: Schema, pointer: string, ref: string): Schema {
  let node: unknown = root;
  for (const token of pointer.split('/').slice(1)) {
    const key = decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isSchema(node) ? node[key] : undefined;
  }
  if (!isSchema(node)) throw new Error(`Cannot resolve $ref ${ref}`);
  return node;
}

/** Inlines every $ref (local, or to another file of the schemas folder); siblings of a $ref win. */
function inlineRefs(node: unknown, fileName: string, schemasDir: string, files: Map<string, Schema>): unknown {
  if (Array.isArray(node)) return node.map((item) => inlineRefs(item, fileName, schemasDir, files));
  if (!isSchema(node)) return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key !== '$ref') out[key] = inlineRefs(value, fileName, schemasDir, files);
  }
  const ref = node.$ref;
  if (typeof ref !== 'string') return out;
  const [target = '', fragment = ''] = ref.split('#');
  const targetFile = target === '' ? fileName : target;
  let root = files.get(targetFile);
  if (root === undefined) {
    root = readJson(path.join(schemasDir, targetFile));
    files.set(targetFile, root);
  }
  const resolved = inlineRefs(resolvePointer(root, fragment, ref), targetFile, schemasDir, files) as Schema;
  return { ...resolved, ...out };
}

function withFrenchTitle(schema: Schema): Schema {
  const { title, description, ...rest } = schema;
  const text = [title, description].filter((part): part is string => typeof part === 'string').join('\n\n');
  return text === '' ? rest : { ...rest, description: text };
}

/**
 * Drops what TypeScript cannot express and names every object type <root><Property> (array items:
 * <root><Property>Item); other types stay inline.
 */
function shape(schema: Schema, name: string | undefined, rootName: string, names: Set<string>): Schema {
  const out: Schema = withFrenchTitle(schema);
  for (const keyword of DROPPED_KEYWORDS) delete out[keyword];
  if (name !== undefined && out.type === 'object') {
    if (names.has(name)) throw new Error(`Two object types would both be named ${name}: rename a property`);
    names.add(name);
    out.title = name;
  }
  if (isSchema(out.properties)) {
    const properties: Schema = {};
    for (const [key, value] of Object.entries(out.properties)) {
      properties[key] = shape(value as Schema, `${rootName}${pascalCase(key)}`, rootName, names);
    }
    out.properties = properties;
  }
  if (isSchema(out.items)) {
    out.items = shape(out.items, name === undefined ? undefined : `${name}Item`, rootName, names);
  }
  return out;
}

/** A schema file of the folder with every $ref replaced by its target (conditions kept). */
export function inlineSchema(schemasDir: string, fileName: string): Record<string, unknown> {
  return inlineRefs(readJson(path.join(schemasDir, fileName)), fileName, schemasDir, new Map()) as Schema;
}

async function renderFile(schemasDir: string, fileName: string, typeName: string): Promise<string> {
  const inlined = inlineSchema(schemasDir, fileName);
  const shaped = shape(inlined, undefined, typeName, new Set([typeName]));
  shaped.title = typeName;
  return compile(shaped as JSONSchema, typeName, {
    bannerComment: banner(`schemas/${fileName}`),
    additionalProperties: false,
    declareExternallyReferenced: true,
    format: true,
    maxItems: -1,
    strictIndexSignatures: true,
    style: STYLE,
    unknownAny: true,
    unreachableDefinitions: false,
  });
}

/** The generated files, in memory: one per document schema, and index.ts. */
export async function renderTypes(schemasDir: string): Promise<GeneratedFile[]> {
  const schemas = listDocumentSchemas(schemasDir);
  const files: GeneratedFile[] = [];
  const roots: Array<{ module: string; typeName: string }> = [];
  for (const { type, version, fileName } of schemas) {
    const typeName = typeNameOf(type, version);
    const module = `${type}.v${version}`;
    files.push({ fileName: `${module}.ts`, contents: await renderFile(schemasDir, fileName, typeName) });
    roots.push({ module, typeName });
  }
  const index = [
    banner('every schemas/<type>.v<version>.schema.json'),
    '',
    ...roots.map(({ module, typeName }) => `import type { ${typeName} } from './${module}.js';`),
    '',
    ...roots.map(({ module }) => `export type * from './${module}.js';`),
    '',
    '/** Any document that a schema of this version of the project describes. */',
    `export type KnownDocument = ${roots.map(({ typeName }) => typeName).join(' | ')};`,
    '',
  ].join('\n');
  files.push({ fileName: 'index.ts', contents: index });
  return files;
}

export async function generateTypes(options: GenerateTypesOptions): Promise<GeneratedFile[]> {
  const files = await renderTypes(options.schemasDir);
  mkdirSync(options.outDir, { recursive: true });
  for (const file of files) writeFileSync(path.join(options.outDir, file.fileName), file.contents);
  return files;
}

/** <project root>/src/schema/generated */
export function defaultGeneratedDir(): string {
  return path.join(path.dirname(defaultSchemasDir()), 'src', 'schema', 'generated');
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (invokedDirectly) {
  const outDir = defaultGeneratedDir();
  const files = await generateTypes({ schemasDir: defaultSchemasDir(), outDir });
  for (const file of files) console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, file.fileName))}`);
}
