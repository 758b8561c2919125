/**
 * The auditor's page (`/console/journal`): the exchange log, filtered and paged; one entry with its
 * leaf hash and the check of its inclusion; the current checkpoint with its witnesses' cosignatures;
 * and the verification of the whole log in the browser (verification.ts). An agency opens it too and
 * sees the entries that name it (the API's `auditScope`); it cannot recompute the root, which needs
 * every entry, and is told so.
 */
import { AUDIT_EVENTS } from '../../audit/entry.js';
import type { PublishedCheckpoint } from '../../audit/checkpoint.js';
import type { ExportedEntry } from '../../audit/verify.js';
import { t } from '../catalogue/index.js';
import { ApiProblem, getJson } from './api.js';
import { h, replace } from './dom.js';
import { table as dsfrTable } from './dsfr.js';
import { apiLogSource, type GatewayKey } from './log-source.js';
import { forgetSeen } from './seen-checkpoint.js';
import { currentSession, pageRoot } from './session.js';
import { eventLabel, fieldLabel, verdictAlert } from './verdict-view.js';
import { provenInclusion, verifyLog } from './verification.js';

/** Entries per page of the table; the API answers up to 1000. */
const PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PARTNER_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
const FIELDS = ['index', 'event', 'timestamp', 'messageId', 'type', 'sender', 'recipient', 'beneficiary', 'payloadSha256', 'code', 'count'];

const source = apiLogSource(getJson);

interface Filters {
  from?: string;
  to?: string;
  event?: string;
  agency?: string;
  messageId?: string;
}

function problemSentence(err: unknown): string {
  return err instanceof ApiProblem ? err.message : t('journal.check.unreachable', { reason: err instanceof Error ? err.message : String(err) });
}

function errorAlert(sentence: string): HTMLElement {
  return h('div', { class: 'fr-alert fr-alert--error fr-alert--sm fr-mb-2w', role: 'alert' }, h('p', {}, sentence));
}

function inputGroup(id: string, label: string, hint: string | undefined, control: HTMLElement): HTMLElement {
  return h(
    'div',
    { class: 'fr-input-group fr-col-12 fr-col-md-4' },
    h('label', { class: 'fr-label', for: id }, label, hint ? h('span', { class: 'fr-hint-text' }, hint) : null),
    control,
  );
}

/** `datetime-local` values are the browser's local time; the API takes RFC 3339 with a zone. */
function toInstant(value: string): string | undefined {
  if (value === '') return undefined;
  const time = new Date(value).getTime();
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

async function main(): Promise<void> {
  const root = pageRoot();
  let everyEntry = false;
  try {
    everyEntry = (await currentSession()).partner.role === 'auditor';
  } catch (err) {
    replace(root, h('h1', {}, t('page.journal')), errorAlert(problemSentence(err)));
    return;
  }

  const checkpointView = h('div', { 'data-checkpoint': '' }, h('p', {}, t('loading')));
  const results = h('div', { 'data-results': '', 'aria-live': 'polite' });
  const progress = h('p', { class: 'fr-text--sm', 'data-progress': '', 'aria-live': 'polite' });
  const runButton = h('button', { type: 'button', class: 'fr-btn', 'data-run': '' }, t('journal.verify.run'));
  const forgetButton = h('button', { type: 'button', class: 'fr-btn fr-btn--tertiary', 'data-forget': '' }, t('journal.verify.forget'));
  const tableView = h('div', { 'data-entries': '', 'aria-live': 'polite' }, h('p', {}, t('loading')));
  const entryView = h('div', { 'data-entry': '' });

  const ids = { from: 'filtre-depuis', to: 'filtre-jusqu', event: 'filtre-evenement', agency: 'filtre-partenaire', messageId: 'filtre-message' };
  const fromInput = h('input', { class: 'fr-input', type: 'datetime-local', id: ids.from, name: 'from', step: '1' });
  const toInput = h('input', { class: 'fr-input', type: 'datetime-local', id: ids.to, name: 'to', step: '1' });
  const eventSelect = h(
    'select',
    { class: 'fr-select', id: ids.event, name: 'event' },
    h('option', { value: '' }, t('journal.filter.anyEvent')),
    ...AUDIT_EVENTS.map((event) => h('option', { value: event }, eventLabel(event))),
  );
  const agencyInput = h('input', { class: 'fr-input', type: 'text', id: ids.agency, name: 'agency', autocomplete: 'off', spellcheck: 'false' });
  const messageInput = h('input', { class: 'fr-input', type: 'text', id: ids.messageId, name: 'messageId', autocomplete: 'off', spellcheck: 'false' });
  const formErrors = h('div', { 'data-form-errors': '', 'aria-live': 'assertive' });
  const form = h(
    'form',
    { 'data-filters': '', novalidate: true },
    h(
      'fieldset',
      { class: 'fr-fieldset' },
      h('legend', { class: 'fr-fieldset__legend' }, t('journal.filter.title')),
      h(
        'div',
        { class: 'fr-grid-row fr-grid-row--gutters fr-col-12' },
        inputGroup(ids.from, t('journal.filter.from'), t('journal.filter.dateHint'), fromInput),
        inputGroup(ids.to, t('journal.filter.to'), t('journal.filter.dateHint'), toInput),
        h('div', { class: 'fr-select-group fr-col-12 fr-col-md-4' }, h('label', { class: 'fr-label', for: ids.event }, t('journal.filter.event')), eventSelect),
        inputGroup(ids.agency, t('journal.filter.agency'), t('journal.filter.agencyHint'), agencyInput),
        inputGroup(ids.messageId, t('journal.filter.messageId'), t('journal.filter.messageIdHint'), messageInput),
      ),
    ),
    formErrors,
    h(
      'ul',
      { class: 'fr-btns-group fr-btns-group--inline-md' },
      h('li', {}, h('button', { type: 'submit', class: 'fr-btn' }, t('journal.filter.submit'))),
      h('li', {}, h('button', { type: 'reset', class: 'fr-btn fr-btn--secondary' }, t('journal.filter.reset'))),
    ),
  );

  replace(
    root,
    h('h1', {}, t('page.journal')),
    h('p', { class: 'fr-text--lead' }, t('journal.intro')),
    h('section', { class: 'fr-mb-6w', 'aria-labelledby': 'titre-point' }, h('h2', { id: 'titre-point' }, t('journal.checkpoint.title')), checkpointView),
    h(
      'section',
      { class: 'fr-mb-6w', 'aria-labelledby': 'titre-verification' },
      h('h2', { id: 'titre-verification' }, t('journal.verify.title')),
      h('p', {}, t('journal.verify.intro')),
      h('ul', { class: 'fr-btns-group fr-btns-group--inline-md' }, h('li', {}, runButton), h('li', {}, forgetButton)),
      progress,
      results,
    ),
    h('section', { class: 'fr-mb-6w', 'aria-labelledby': 'titre-entrees' }, h('h2', { id: 'titre-entrees' }, t('journal.table.caption')), form, tableView),
    entryView,
  );

  // --- The checkpoint and its cosignatures ---------------------------------------------------------
  async function showCheckpoint(): Promise<void> {
    try {
      const [checkpoint, keys] = await Promise.all([source.checkpoint(), source.gatewayKeys()]);
      replace(checkpointView, ...checkpointDetails(checkpoint, keys));
    } catch (err) {
      replace(checkpointView, errorAlert(problemSentence(err)));
    }
  }

  // --- Verification --------------------------------------------------------------------------------
  runButton.addEventListener('click', () => {
    void (async () => {
      runButton.disabled = true;
      replace(results);
      try {
        const verdicts = await verifyLog({
          source,
          storage: window.localStorage,
          origin: window.location.origin,
          now: () => new Date(),
          everyEntry,
          onProgress: (done, total) => replace(progress, t('journal.verify.running', { done, total })),
        });
        replace(results, ...verdicts.map(verdictAlert));
        results.setAttribute('data-done', '');
      } finally {
        replace(progress);
        runButton.disabled = false;
      }
    })();
  });
  forgetButton.addEventListener('click', () => {
    forgetSeen(window.localStorage, window.location.origin);
    replace(results, verdictAlert({ outcome: 'info', title: t('journal.verify.forget'), sentence: t('journal.verify.forgotten') }));
  });

  // --- Browsing ------------------------------------------------------------------------------------
  let filters: Filters = {};
  /** Where each page shown so far started, for "previous". */
  let starts: number[] = [0];

  function readFilters(): Filters | undefined {
    const problems: string[] = [];
    const read: Filters = {};
    for (const [input, key, label] of [[fromInput, 'from', t('journal.filter.from')], [toInput, 'to', t('journal.filter.to')]] as const) {
      if (input.value === '') continue;
      const instant = toInstant(input.value);
      if (instant === undefined) problems.push(t('journal.filter.invalidDate', { field: label }));
      else read[key] = instant;
    }
    if (eventSelect.value !== '') read.event = eventSelect.value;
    const agency = agencyInput.value.trim();
    if (agency !== '') {
      if (!PARTNER_ID.test(agency)) problems.push(`${t('journal.filter.agency')} : ${t('journal.filter.agencyHint')}.`);
      else read.agency = agency;
    }
    const messageId = messageInput.value.trim();
    if (messageId !== '') {
      if (!UUID.test(messageId)) problems.push(`${t('journal.filter.messageId')} : ${t('message.form.invalid')}`);
      else read.messageId = messageId;
    }
    replace(formErrors, ...(problems.length === 0 ? [] : [h('div', { class: 'fr-alert fr-alert--error fr-alert--sm fr-mb-2w', role: 'alert' }, ...problems.map((p) => h('p', {}, p)))]));
    return problems.length === 0 ? read : undefined;
  }

  async function showEntries(start: number): Promise<void> {
    const query = new URLSearchParams({ start: String(start), limit: String(PAGE_SIZE) });
    for (const [name, value] of Object.entries(filters)) if (value !== undefined) query.set(name, value);
    tableView.setAttribute('aria-busy', 'true');
    try {
      const page = await getJson<{ entries: ExportedEntry[]; next?: number }>(`/v1/audit/entries?${query.toString()}`);
      replace(tableView, ...entriesTable(page.entries, start, page.next));
    } catch (err) {
      replace(tableView, errorAlert(problemSentence(err)));
    } finally {
      tableView.removeAttribute('aria-busy');
    }
  }

  function entriesTable(entries: ExportedEntry[], start: number, next: number | undefined): HTMLElement[] {
    if (entries.length === 0) return [h('p', { 'data-empty': '' }, t('journal.table.empty'))];
    const columns = ['index', 'timestamp', 'event', 'sender', 'recipient', 'messageId'];
    const rows = entries.map((entry) => {
      // The visible index is part of the button's name (WCAG 2.5.3, label in name).
      const [before, after] = t('journal.table.open', { index: '\u0000' }).split('\u0000') as [string, string];
      const open = h('button', { type: 'button', class: 'fr-btn fr-btn--sm fr-btn--tertiary', 'data-open': String(entry.index) }, before ? h('span', { class: 'fr-sr-only' }, before) : null, String(entry.index), after ? h('span', { class: 'fr-sr-only' }, after) : null);
      open.addEventListener('click', () => showEntry(entry));
      const messageId = typeof entry['messageId'] === 'string' ? entry['messageId'] : undefined;
      return h(
        'tr',
        { 'data-row-index': String(entry.index) },
        h('td', {}, open),
        h('td', {}, String(entry['timestamp'] ?? t('missing'))),
        h('td', {}, eventLabel(entry['event'])),
        h('td', {}, String(entry['sender'] ?? t('missing'))),
        h('td', {}, String(entry['recipient'] ?? t('missing'))),
        h('td', {}, messageId ? h('a', { href: `/console/message?id=${encodeURIComponent(messageId)}` }, messageId) : t('missing')),
      );
    });
    const table = dsfrTable(t('journal.table.caption'), columns.map(fieldLabel), rows, { modifiers: ['no-caption'], scroll: true, attributes: { 'data-table': '' } });
    const nav: HTMLElement[] = [];
    const button = (label: string, target: () => void, data: string) => {
      const b = h('button', { type: 'button', class: 'fr-btn fr-btn--secondary fr-btn--sm', [data]: '' }, label);
      b.addEventListener('click', target);
      return h('li', {}, b);
    };
    if (starts.length > 1) {
      nav.push(button(t('journal.page.first'), () => { starts = [0]; void showEntries(0); }, 'data-first'));
      nav.push(button(t('journal.page.previous'), () => { starts.pop(); void showEntries(starts[starts.length - 1]!); }, 'data-previous'));
    }
    if (next !== undefined) nav.push(button(t('journal.page.next'), () => { starts.push(next); void showEntries(next); }, 'data-next'));
    return [
      h('p', { class: 'fr-text--sm', 'data-count': '' }, t('journal.table.count', { count: entries.length, start })),
      table,
      ...(nav.length === 0 ? [] : [h('nav', { 'aria-label': t('journal.page.label') }, h('ul', { class: 'fr-btns-group fr-btns-group--inline-sm' }, ...nav))]),
    ];
  }

  function showEntry(entry: ExportedEntry): void {
    const verdicts = h('div', { 'data-inclusion': '', 'aria-live': 'polite' });
    const verify = h('button', { type: 'button', class: 'fr-btn', 'data-verify-entry': '' }, t('journal.entry.verify'));
    verify.addEventListener('click', () => {
      void (async () => {
        verify.disabled = true;
        try {
          replace(verdicts, ...(await provenInclusion(source, entry)).map(verdictAlert));
          verdicts.setAttribute('data-done', '');
        } finally {
          verify.disabled = false;
        }
      })();
    });
    const close = h('button', { type: 'button', class: 'fr-btn fr-btn--tertiary' }, t('journal.entry.close'));
    close.addEventListener('click', () => replace(entryView));
    const messageId = typeof entry['messageId'] === 'string' ? entry['messageId'] : undefined;
    const shown = [...FIELDS.filter((f) => entry[f] !== undefined), ...Object.keys(entry).filter((f) => !FIELDS.includes(f) && f !== 'leafHash'), 'leafHash'];
    const heading = h('h2', { id: 'titre-entree', tabindex: '-1' }, t('journal.entry.title', { index: entry.index }));
    replace(
      entryView,
      h(
        'section',
        { class: 'fr-mb-6w', 'aria-labelledby': 'titre-entree', 'data-entry-index': String(entry.index) },
        heading,
        h(
          'div',
          { class: 'fr-table fr-table--no-caption' },
          h(
            'table',
            { 'data-fields': '' },
            h('caption', {}, t('journal.entry.title', { index: entry.index })),
            h('tbody', {}, ...shown.map((field) => h('tr', { 'data-field': field }, h('th', { scope: 'row' }, fieldLabel(field)), h('td', { class: field === 'leafHash' || field === 'payloadSha256' || field === 'beneficiary' ? 'fr-text--sm' : undefined }, field === 'event' ? `${eventLabel(entry[field])} (${String(entry[field])})` : String(entry[field]))))),
          ),
        ),
        h(
          'ul',
          { class: 'fr-btns-group fr-btns-group--inline-md' },
          h('li', {}, verify),
          messageId ? h('li', {}, h('a', { class: 'fr-btn fr-btn--secondary', href: `/console/message?id=${encodeURIComponent(messageId)}` }, t('journal.entry.timeline'))) : null,
          h('li', {}, close),
        ),
        verdicts,
      ),
    );
    heading.focus();
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const read = readFilters();
    if (read === undefined) return;
    filters = read;
    starts = [0];
    void showEntries(0);
  });
  form.addEventListener('reset', () => {
    filters = {};
    starts = [0];
    replace(formErrors);
    void showEntries(0);
  });

  await Promise.all([showCheckpoint(), showEntries(0)]);
}

function checkpointDetails(checkpoint: PublishedCheckpoint, keys: GatewayKey[]): HTMLElement[] {
  const row = (label: string, value: string, data: string) => h('tr', { [data]: '' }, h('th', { scope: 'row' }, label), h('td', {}, value));
  const cosignatures = Array.isArray(checkpoint.cosignatures) ? checkpoint.cosignatures : [];
  return [
    h(
      'div',
      { class: 'fr-table fr-table--no-caption' },
      h(
        'table',
        {},
        h('caption', {}, t('journal.checkpoint.title')),
        h(
          'tbody',
          {},
          row(t('journal.checkpoint.treeSize'), String(checkpoint.treeSize), 'data-tree-size'),
          row(t('journal.checkpoint.rootHash'), String(checkpoint.rootHash), 'data-root-hash'),
          row(t('journal.checkpoint.timestamp'), String(checkpoint.timestamp), 'data-timestamp'),
          row(t('journal.checkpoint.keys'), keys.map((k) => k.fingerprint).join(', '), 'data-fingerprints'),
        ),
      ),
    ),
    h('p', { class: 'fr-text--sm' }, t('journal.checkpoint.keysHint')),
    h('h3', {}, t('journal.cosignatures.title')),
    cosignatures.length === 0
      ? h('p', { 'data-cosignatures': '0' }, t('journal.cosignatures.none'))
      : h(
          'div',
          { class: 'fr-table fr-table--no-caption' },
          h(
            'table',
            { 'data-cosignatures': String(cosignatures.length) },
            h('caption', {}, t('journal.cosignatures.title')),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('journal.cosignatures.partner')), h('th', { scope: 'col' }, t('journal.cosignatures.signedAt')))),
            h('tbody', {}, ...cosignatures.map((c) => h('tr', {}, h('td', {}, String(c.partner)), h('td', {}, String(c.signedAt))))),
          ),
        ),
    h('p', { class: 'fr-text--sm' }, t('journal.cosignatures.notChecked')),
  ];
}

void main();
