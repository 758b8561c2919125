/**
 * DSFR components built with dom.ts, for every page: tables (the 1.12+ markup, caption first, header
 * cells scoped), badges and alerts.
 */
import { h, type Child } from './dom.js';

export type BadgeKind = 'success' | 'warning' | 'error' | 'info' | 'new';

export function badge(text: string, kind: BadgeKind): HTMLElement {
  return h('p', { class: `fr-badge fr-badge--sm fr-badge--${kind}` }, text);
}

export function alert(kind: 'error' | 'warning' | 'info' | 'success', text: string, title?: string): HTMLElement {
  return h('div', { class: `fr-alert fr-alert--${kind}${title ? '' : ' fr-alert--sm'}`, role: kind === 'error' ? 'alert' : undefined }, title ? h('h3', { class: 'fr-alert__title' }, title) : null, h('p', {}, text));
}

export interface TableOptions {
  /** The first cell of each row heads the row (`<th scope="row">`), as in a table of named values. */
  rowHeader?: boolean;
  id?: string;
  /** DSFR modifiers of `fr-table` (`bordered`, `no-caption` when a heading above names the table); `no-scroll` unless `scroll`. */
  modifiers?: Array<'bordered' | 'no-caption'>;
  scroll?: boolean;
  /** Attributes of the `<table>` element itself. */
  attributes?: Record<string, string>;
}

/** A data table in DSFR's markup; `rows` are cells, or rows already built (with their own listeners). */
export function table(caption: string, columns: string[], rows: Child[][] | HTMLTableRowElement[], options: TableOptions = {}): HTMLElement {
  const modifiers = [...(options.modifiers ?? []), ...(options.scroll ? [] : ['no-scroll'])];
  const body = rows.map((row) =>
    row instanceof HTMLTableRowElement ? row : h('tr', {}, ...row.map((cell, i) => (i === 0 && options.rowHeader ? h('th', { scope: 'row' }, cell) : h('td', {}, cell)))),
  );
  return h(
    'div',
    { class: ['fr-table', ...modifiers.map((modifier) => `fr-table--${modifier}`)].join(' '), id: options.id },
    h(
      'div',
      { class: 'fr-table__wrapper' },
      h(
        'div',
        { class: 'fr-table__container' },
        h(
          'div',
          { class: 'fr-table__content' },
          h('table', options.attributes ?? {}, h('caption', {}, caption), h('thead', {}, h('tr', {}, ...columns.map((column) => h('th', { scope: 'col' }, column)))), h('tbody', {}, ...body)),
        ),
      ),
    ),
  );
}
