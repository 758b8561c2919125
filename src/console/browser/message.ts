/**
 * The message timeline (`/console/message?id=<uuid>`): every step of one message as the audit log
 * recorded it, each with its entry's index and leaf hash and the check of its inclusion in the signed
 * log, and the messages linked to it. What a person sees is what GET /v1/messages/{id}/timeline gives
 * their organisation: its own messages (the auditor every message); another's is "not found".
 */
import type { ExportedEntry } from '../../audit/verify.js';
import { t } from '../catalogue/index.js';
import { ApiProblem, getJson } from './api.js';
import { h, replace } from './dom.js';
import { apiLogSource } from './log-source.js';
import { pageRoot } from './session.js';
import { eventLabel, labelOr, verdictAlert } from './verdict-view.js';
import { provenInclusion } from './verification.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const source = apiLogSource(getJson);

interface MessageSummary {
  messageId: string;
  type: string;
  sender: string;
  recipient: string;
  status: string;
  acceptedAt: string;
  relation?: 'answers' | 'answered-by';
}

interface Timeline {
  message: MessageSummary;
  steps: ExportedEntry[];
  related: MessageSummary[];
}

function alert(kind: 'error' | 'info', sentence: string, data: string): HTMLElement {
  return h('div', { class: `fr-alert fr-alert--${kind} fr-alert--sm fr-mb-2w`, role: kind === 'error' ? 'alert' : undefined, [data]: '' }, h('p', {}, sentence));
}

function main(): void {
  const root = pageRoot();
  const inputId = 'identifiant-message';
  const input = h('input', { class: 'fr-input', type: 'text', id: inputId, name: 'id', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'identifiant-aide' });
  const result = h('div', { 'data-timeline': '', 'aria-live': 'polite' });
  const form = h(
    'form',
    { 'data-lookup': '', novalidate: true, class: 'fr-mb-4w' },
    h(
      'div',
      { class: 'fr-input-group' },
      h('label', { class: 'fr-label', for: inputId }, t('message.form.label'), h('span', { class: 'fr-hint-text', id: 'identifiant-aide' }, t('message.form.hint'))),
      input,
    ),
    h('button', { type: 'submit', class: 'fr-btn' }, t('message.form.submit')),
  );
  replace(root, h('h1', {}, t('page.message')), h('p', { class: 'fr-text--lead' }, t('message.intro')), form, result);

  async function show(id: string): Promise<void> {
    if (!UUID.test(id)) {
      replace(result, alert('error', t('message.form.invalid'), 'data-invalid'));
      return;
    }
    result.setAttribute('aria-busy', 'true');
    try {
      const timeline = await getJson<Timeline>(`/v1/messages/${id}/timeline`);
      replace(result, ...timelineView(timeline));
    } catch (err) {
      const sentence = err instanceof ApiProblem && err.code === 'not_found' ? t('message.notFound') : err instanceof ApiProblem ? err.message : t('error.generic', { requestId: '—' });
      replace(result, alert('error', sentence, err instanceof ApiProblem && err.code === 'not_found' ? 'data-not-found' : 'data-failed'));
    } finally {
      result.removeAttribute('aria-busy');
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = input.value.trim();
    const url = new URL(window.location.href);
    url.searchParams.set('id', id);
    window.history.replaceState(null, '', url);
    void show(id);
  });

  const initial = new URL(window.location.href).searchParams.get('id');
  if (initial !== null) {
    input.value = initial;
    void show(initial);
  }
}

function summaryTable(message: MessageSummary): HTMLElement {
  const row = (label: string, value: string, field: string) => h('tr', { 'data-field': field }, h('th', { scope: 'row' }, label), h('td', {}, value));
  return h(
    'div',
    { class: 'fr-table fr-table--no-caption' },
    h(
      'table',
      { 'data-summary': '' },
      h('caption', {}, t('message.summary.title', { id: message.messageId })),
      h(
        'tbody',
        {},
        row(t('message.summary.type'), message.type, 'type'),
        row(t('message.summary.sender'), message.sender, 'sender'),
        row(t('message.summary.recipient'), message.recipient, 'recipient'),
        row(t('message.summary.status'), labelOr(`message.status.${message.status}`, message.status), 'status'),
        row(t('message.summary.acceptedAt'), message.acceptedAt, 'acceptedAt'),
      ),
    ),
  );
}

function timelineView(timeline: Timeline): HTMLElement[] {
  const checks: Array<() => Promise<void>> = [];
  const steps = timeline.steps.map((step) => {
    const verdicts = h('div', { 'data-verdicts': '', 'aria-live': 'polite' });
    const event = eventLabel(step['event']);
    const verify = h('button', { type: 'button', class: 'fr-btn fr-btn--sm fr-btn--secondary', 'data-verify-step': String(step.index) }, t('message.step.verify', { event }));
    const check = async () => {
      verify.disabled = true;
      try {
        replace(verdicts, ...(await provenInclusion(source, step)).map(verdictAlert));
        verdicts.setAttribute('data-done', '');
      } finally {
        verify.disabled = false;
      }
    };
    checks.push(check);
    verify.addEventListener('click', () => void check());
    return h(
      'li',
      { class: 'fr-mb-3w', 'data-step': String(step['event']), 'data-index': String(step.index) },
      h('h3', { class: 'fr-h6 fr-mb-1v' }, event),
      h('p', { class: 'fr-mb-1v' }, h('time', { datetime: String(step['timestamp']) }, String(step['timestamp'])), ' — ', t('message.step.index', { index: step.index })),
      h('p', { class: 'fr-text--sm fr-mb-1v' }, `${t('journal.field.leafHash')} : `, h('code', {}, step.leafHash)),
      verify,
      verdicts,
    );
  });
  const verifyAll = h('button', { type: 'button', class: 'fr-btn', 'data-verify-all': '' }, t('message.steps.verifyAll'));
  verifyAll.addEventListener('click', () => {
    void (async () => {
      verifyAll.disabled = true;
      try {
        for (const check of checks) await check();
      } finally {
        verifyAll.disabled = false;
      }
    })();
  });
  return [
    h('h2', {}, t('message.summary.title', { id: timeline.message.messageId })),
    summaryTable(timeline.message),
    h('h2', {}, t('message.steps.title')),
    steps.length === 0 ? h('p', {}, t('message.steps.none')) : h('div', {}, verifyAll, h('ol', { class: 'fr-mt-3w', 'data-steps': '' }, ...steps)),
    h('h2', {}, t('message.related.title')),
    timeline.related.length === 0
      ? h('p', {}, t('message.related.none'))
      : h(
          'ul',
          { 'data-related': '' },
          ...timeline.related.map((related) =>
            h(
              'li',
              { 'data-related-id': related.messageId },
              `${t(related.relation === 'answers' ? 'message.related.answers' : 'message.related.answered-by')} : `,
              h('a', { href: `/console/message?id=${encodeURIComponent(related.messageId)}` }, `${related.type} ${related.messageId}`),
              ` (${related.sender} → ${related.recipient}, ${labelOr(`message.status.${related.status}`, related.status)})`,
            ),
          ),
        ),
  ];
}

main();
