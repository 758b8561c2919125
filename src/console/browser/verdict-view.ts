/** A check's verdict as a DSFR alert (success, error or information), and the entry fields as people read them. */
import { FR, t, type MessageKey } from '../catalogue/index.js';
import { h } from './dom.js';
import type { Verdict } from './verification.js';

export function verdictAlert(verdict: Verdict): HTMLElement {
  return h(
    'div',
    { class: `fr-alert fr-alert--${verdict.outcome} fr-mb-2w`, 'data-verdict': verdict.outcome, ...(verdict.index === undefined ? {} : { 'data-index': String(verdict.index) }) },
    h('h3', { class: 'fr-alert__title' }, verdict.title),
    h('p', {}, verdict.sentence),
  );
}

/** A catalogue sentence when there is one for `key`, the raw value otherwise (an event a newer gateway knows). */
export function labelOr(key: string, raw: string): string {
  return key in FR ? t(key as MessageKey) : raw;
}

export function eventLabel(event: unknown): string {
  return labelOr(`journal.event.${String(event)}`, String(event));
}

export function fieldLabel(field: string): string {
  return labelOr(`journal.field.${field}`, field);
}
