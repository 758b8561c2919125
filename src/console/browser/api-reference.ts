/**
 * The API reference page (`/console/api`; this module is api-reference.ts since api.ts is the shared
 * client): the gateway's OpenAPI 3.1 document (`/openapi.json`) rendered with the design system's
 * accordions and tables, without a third-party viewer (Swagger UI and its kin need inline scripts
 * and styles, which the console's Content-Security-Policy refuses).
 *
 * Only what the document says is shown, as text nodes: a description from the document can never
 * become markup. The problem codes come from the gateway's own catalogue (src/domain/errors.ts), the
 * same one the API answers from.
 */
import { t, type MessageKey } from '../catalogue/index.js';
import { PROBLEM_CATALOGUE, type ProblemCode } from '../../domain/errors.js';
import { getJson } from './api.js';
import { h, replace, type Child } from './dom.js';
import { table as dsfrTable } from './dsfr.js';

/** The parts of OpenAPI 3.1 (https://spec.openapis.org/oas/v3.1.0) this page reads. */
type Json = Record<string, unknown>;
interface Document {
  openapi?: string;
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, Json>; parameters?: Record<string, Json>; responses?: Record<string, Json>; requestBodies?: Record<string, Json> };
  security?: Array<Record<string, unknown>>;
}

// OpenAPI 3.1 section 4.8.9: the fixed fields of a Path Item that are operations.
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** A local reference (`#/components/...`, RFC 6901 pointer) followed once; anything else as it is. */
function resolve(doc: Document, value: unknown): Json {
  if (!isObject(value)) return {};
  const ref = text(value['$ref']);
  if (ref === undefined || !ref.startsWith('#/')) return value;
  let target: unknown = doc;
  for (const part of ref.slice(2).split('/')) target = isObject(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return isObject(target) ? { ...target, ...value } : value;
}

function anchor(prefix: string, name: string): string {
  return `${prefix}-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** A schema by its name when it is one of the document's components, else its type in words. */
function schemaName(schema: unknown): Child {
  if (!isObject(schema)) return t('api.schema.any');
  const ref = text(schema['$ref']);
  if (ref?.startsWith('#/components/schemas/')) {
    const name = ref.slice('#/components/schemas/'.length);
    return h('a', { href: `#${anchor('schema', name)}` }, name);
  }
  for (const [combinator, separator] of [['oneOf', ' | '], ['anyOf', ' | '], ['allOf', ' & ']] as const) {
    const options = schema[combinator];
    if (Array.isArray(options)) return h('span', {}, ...options.flatMap((option, index) => [index > 0 ? separator : null, schemaName(option)]));
  }
  const type = schema['type'];
  const types = Array.isArray(type) ? type.join(' | ') : text(type);
  if (types === 'array') return h('span', {}, schemaName(schema['items']), '[]');
  const enumeration = schema['enum'];
  if (Array.isArray(enumeration)) return h('code', {}, enumeration.map((value) => JSON.stringify(value)).join(' | '));
  const format = text(schema['format']);
  return h('code', {}, `${types ?? t('api.schema.any')}${format ? ` (${format})` : ''}`);
}

// The caption names the table for assistive technologies; the heading above says it on screen.
function table(caption: string, headers: string[], rows: Child[][]): HTMLElement {
  return dsfrTable(caption, headers, rows, { rowHeader: true, modifiers: ['bordered', 'no-caption'] });
}

/** Problem codes a response names: an `x-problem-codes` list, a `code` enum in its schema, or its examples. */
function problemCodes(doc: Document, response: Json): string[] {
  const codes = new Set<string>();
  const listed = response['x-problem-codes'];
  if (Array.isArray(listed)) for (const code of listed) if (typeof code === 'string') codes.add(code);
  const content = isObject(response['content']) ? response['content'] : {};
  for (const media of Object.values(content)) {
    if (!isObject(media)) continue;
    const schema = resolve(doc, media['schema']);
    const properties = isObject(schema['properties']) ? schema['properties'] : {};
    const code = resolve(doc, properties['code']);
    if (Array.isArray(code['enum'])) for (const value of code['enum']) if (typeof value === 'string') codes.add(value);
    if (typeof code['const'] === 'string') codes.add(code['const']);
    const examples = isObject(media['examples']) ? Object.values(media['examples']) : [];
    for (const example of [...examples.map((e) => (isObject(e) ? e['value'] : undefined)), media['example']]) {
      if (isObject(example) && typeof example['code'] === 'string') codes.add(example['code']);
    }
  }
  return [...codes];
}

function content(body: Json): Child[] {
  const media = isObject(body['content']) ? body['content'] : {};
  const entries = Object.entries(media);
  if (entries.length === 0) return [t('api.response.none')];
  return entries.flatMap(([type, value], index) => [index > 0 ? h('br') : null, h('code', {}, type), ' : ', schemaName(isObject(value) ? value['schema'] : undefined)]);
}

function codeLink(code: string): Child {
  return code in PROBLEM_CATALOGUE ? h('a', { href: `#${anchor('probleme', code)}` }, h('code', {}, code)) : h('code', {}, code);
}

function operation(doc: Document, path: string, method: string, item: Json, raw: Json, index: number): HTMLElement {
  const op = resolve(doc, raw);
  const id = `operation-${index}`;
  const summary = text(op['summary']);
  const parameters = [...(Array.isArray(item['parameters']) ? item['parameters'] : []), ...(Array.isArray(op['parameters']) ? op['parameters'] : [])].map((p) => resolve(doc, p));
  const inKey = (where: unknown): string => {
    const key = `api.in.${String(where)}`;
    return ['path', 'query', 'header', 'cookie'].includes(String(where)) ? t(key as MessageKey) : String(where);
  };
  const parameterRows = parameters.map((p) => [h('code', {}, String(p['name'] ?? '')), inKey(p['in']), p['required'] === true ? t('api.yes') : t('api.no'), schemaName(p['schema']), text(p['description']) ?? '']);
  const requestBody = isObject(op['requestBody']) ? resolve(doc, op['requestBody']) : undefined;
  const responses = isObject(op['responses']) ? op['responses'] : {};
  const responseRows = Object.entries(responses).map(([status, value]) => {
    const response = resolve(doc, value);
    const codes = problemCodes(doc, response);
    return [h('code', {}, status), text(response['description']) ?? '', h('span', {}, ...content(response)), codes.length === 0 ? t('api.response.none') : h('span', {}, ...codes.flatMap((code, i) => [i > 0 ? ', ' : null, codeLink(code)]))];
  });
  const security = Array.isArray(op['security']) ? op['security'] : doc.security;
  const schemes = (security ?? []).flatMap((requirement) => (isObject(requirement) ? Object.keys(requirement) : []));
  // One child: the button is a flex box, which would drop the spaces between several.
  const button = h('button', { type: 'button', class: 'fr-accordion__btn', 'aria-expanded': 'false', 'aria-controls': id }, h('span', {}, h('strong', {}, method.toUpperCase()), ' ', h('code', {}, path), summary ? ` — ${summary}` : null));
  const panel = h(
    'div',
    { class: 'fr-collapse', id },
    text(op['description']) ? h('p', {}, text(op['description'])!) : null,
    text(op['operationId']) ? h('p', { class: 'fr-text--sm' }, t('api.operation.id', { id: text(op['operationId'])! })) : null,
    op['deprecated'] === true ? h('p', { class: 'fr-badge fr-badge--warning' }, t('api.operation.deprecated')) : null,
    h('p', { class: 'fr-text--sm' }, schemes.length === 0 ? t('api.operation.security.none') : t('api.operation.security', { schemes: schemes.join(', ') })),
    h('h4', { class: 'fr-h6' }, t('api.parameters')),
    parameterRows.length === 0 ? h('p', {}, t('api.parameters.none')) : table(t('api.parameters'), [t('api.parameter.name'), t('api.parameter.in'), t('api.parameter.required'), t('api.parameter.schema'), t('api.parameter.description')], parameterRows),
    h('h4', { class: 'fr-h6' }, t('api.request')),
    requestBody === undefined ? h('p', {}, t('api.request.none')) : h('p', {}, ...content(requestBody), requestBody['required'] === true ? ` ${t('api.request.required')}` : null, text(requestBody['description']) ? ` — ${text(requestBody['description'])}` : null),
    h('h4', { class: 'fr-h6' }, t('api.responses')),
    table(t('api.responses'), [t('api.response.status'), t('api.response.description'), t('api.response.content'), t('api.response.problems')], responseRows),
  );
  button.addEventListener('click', () => {
    // The design system's script, when the shell loads it, opens and closes accordions itself.
    if ('dsfr' in window) return;
    const open = button.getAttribute('aria-expanded') !== 'true';
    button.setAttribute('aria-expanded', String(open));
    panel.classList.toggle('fr-collapse--expanded', open);
  });
  return h('section', { class: 'fr-accordion', 'data-path': path, 'data-method': method }, h('h3', { class: 'fr-accordion__title' }, button), panel);
}

function schemaBlock(doc: Document, name: string, raw: Json): HTMLElement {
  const schema = resolve(doc, raw);
  const properties = isObject(schema['properties']) ? schema['properties'] : {};
  const required = new Set(Array.isArray(schema['required']) ? schema['required'].map(String) : []);
  const rows = Object.entries(properties).map(([property, value]) => [h('code', {}, property), schemaName(value), required.has(property) ? t('api.yes') : t('api.no'), text(isObject(value) ? value['description'] : undefined) ?? '']);
  return h(
    'div',
    { class: 'reference-schema fr-mt-4w', id: anchor('schema', name), 'data-schema': name },
    h('h3', { class: 'fr-h5' }, name),
    text(schema['title']) ? h('p', {}, text(schema['title'])!) : null,
    text(schema['description']) ? h('p', {}, text(schema['description'])!) : null,
    text(schema['$id']) ? h('p', { class: 'fr-text--sm' }, t('api.schema.source', { id: text(schema['$id'])! })) : null,
    rows.length === 0 ? h('p', {}, t('api.schema.noProperties')) : table(name, [t('api.schema.property'), t('api.schema.type'), t('api.schema.required'), t('api.schema.description')], rows),
  );
}

function problems(): HTMLElement {
  const codes = (Object.keys(PROBLEM_CATALOGUE) as ProblemCode[]).filter((code) => PROBLEM_CATALOGUE[code].audience === 'partner');
  return h(
    'section',
    { class: 'fr-mt-6w', 'aria-labelledby': 'codes' },
    h('h2', { id: 'codes' }, t('api.problems')),
    h('p', {}, t('api.problems.lead')),
    h(
      'dl',
      { class: 'reference-problems' },
      ...codes.flatMap((code) => [h('dt', { id: anchor('probleme', code) }, h('code', {}, code), ` — ${PROBLEM_CATALOGUE[code].status} ${PROBLEM_CATALOGUE[code].title}`), h('dd', {}, PROBLEM_CATALOGUE[code].message)]),
    ),
  );
}

function render(root: Element, doc: Document): void {
  const paths = isObject(doc.paths) ? doc.paths : {};
  const groups = new Map<string, HTMLElement[]>();
  let count = 0;
  for (const [path, rawItem] of Object.entries(paths)) {
    if (!isObject(rawItem)) continue;
    const item = resolve(doc, rawItem);
    for (const method of METHODS) {
      const raw = item[method];
      if (!isObject(raw)) continue;
      const tags = Array.isArray(raw['tags']) ? raw['tags'].filter((tag): tag is string => typeof tag === 'string') : [];
      const group = tags[0] ?? t('api.group.other');
      groups.set(group, [...(groups.get(group) ?? []), operation(doc, path, method, item, raw, count++)]);
    }
  }
  const schemas = Object.entries(doc.components?.schemas ?? {});
  replace(
    root,
    h(
      'div',
      { class: 'reference', 'data-ready': 'true' },
      h('h1', {}, t('api.title')),
      h('p', { class: 'fr-text--lead' }, t('api.lead')),
      h('p', {}, t('api.version', { title: doc.info?.title ?? '—', version: doc.info?.version ?? '—', openapi: doc.openapi ?? '—' })),
      text(doc.info?.description) ? h('p', {}, text(doc.info?.description)!) : null,
      h('p', {}, h('a', { class: 'fr-link', href: '/openapi.json', download: 'passerelle-openapi.json' }, t('api.document'))),
      h(
        'section',
        { class: 'fr-mt-6w', 'aria-labelledby': 'routes' },
        h('h2', { id: 'routes' }, t('api.operations')),
        h('p', {}, t('api.operations.count', { count, paths: Object.keys(paths).length })),
        ...[...groups].flatMap(([group, operations]) => [h('h3', { class: 'fr-h4 fr-mt-4w' }, group), h('div', { class: 'fr-accordions-group' }, ...operations)]),
      ),
      schemas.length === 0 ? null : h('section', { class: 'fr-mt-6w', 'aria-labelledby': 'schemas' }, h('h2', { id: 'schemas' }, t('api.schemas')), h('p', {}, t('api.schemas.lead')), ...schemas.map(([name, schema]) => schemaBlock(doc, name, schema))),
      problems(),
    ),
  );
}

async function main(): Promise<void> {
  const root = document.getElementById('contenu');
  if (root === null) return;
  try {
    render(root, await getJson<Document>('/openapi.json'));
  } catch (err) {
    replace(root, h('div', { 'data-ready': 'true' }, h('h1', {}, t('api.title')), h('div', { class: 'fr-alert fr-alert--error', id: 'erreur' }, h('p', {}, t('api.failed', { reason: err instanceof Error ? err.message : String(err) })))));
  }
}

void main();
