/**
 * The filters of GET /v1/audit/entries, read from the query string: period, event kind, agency, message
 * id, page size. Every value is checked before the store is asked, and a bad one is a `bad_request`
 * that says which parameter and what it takes; nothing the caller sends reaches a query unchecked.
 */
import { AUDIT_EVENTS } from '../audit/entry.js';
import { GatewayError } from '../domain/errors.js';

/** Entries per answer (interface contract, section 6). */
export const MAX_ENTRIES_PER_ANSWER = 1000;

/** RFC 3339 section 5.6 date-time, with a zone (Z or an offset): a time without one is ambiguous. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A registry id (src/trust/registry.ts), or the gateway's own (`passerelle`). */
const PARTNER_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
const EVENTS: ReadonlySet<string> = new Set(AUDIT_EVENTS);

export interface EntryQuery {
  start: number;
  end: number | undefined;
  limit: number;
  events?: string[];
  from?: string;
  to?: string;
  agency?: string;
  messageId?: string;
}

type Query = Record<string, unknown>;

function once(query: Query, name: string): string | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new GatewayError('bad_request', `"${name}" must be given once.`);
  return raw;
}

/** A query value that must be one whole number. */
export function wholeNumber(raw: unknown, name: string, fallback?: number): number {
  if (raw === undefined && fallback !== undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new GatewayError('bad_request', `"${name}" must be given once, as a whole number from 0 to ${Number.MAX_SAFE_INTEGER}.`);
  }
  return Number(raw);
}

/** An RFC 3339 time, as the log writes times (UTC, milliseconds), so that text order is time order. */
function instant(query: Query, name: string): string | undefined {
  const raw = once(query, name);
  if (raw === undefined) return undefined;
  const time = DATE_TIME.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new GatewayError('bad_request', `"${name}" must be an RFC 3339 date and time with its zone, such as 2026-11-27T09:00:00Z; "${raw.slice(0, 40)}" is not one.`);
  }
  return new Date(time).toISOString();
}

export function readEntryQuery(query: Query): EntryQuery {
  const start = wholeNumber(query['start'], 'start', 0);
  const end = query['end'] === undefined ? undefined : wholeNumber(query['end'], 'end');
  if (end !== undefined && start > end) throw new GatewayError('bad_request', `start (${start}) is after end (${end}); start is inclusive and end exclusive.`);
  const limit = wholeNumber(query['limit'], 'limit', MAX_ENTRIES_PER_ANSWER);
  if (limit < 1 || limit > MAX_ENTRIES_PER_ANSWER) throw new GatewayError('bad_request', `"limit" must be from 1 to ${MAX_ENTRIES_PER_ANSWER} entries per answer.`);
  const from = instant(query, 'from');
  const to = instant(query, 'to');
  if (from !== undefined && to !== undefined && from > to) throw new GatewayError('bad_request', `The period ends (to ${to}) before it starts (from ${from}); "from" is inclusive and "to" exclusive.`);
  const eventList = once(query, 'event');
  let events: string[] | undefined;
  if (eventList !== undefined) {
    events = eventList.split(',');
    const unknown = events.filter((event) => !EVENTS.has(event));
    if (unknown.length > 0 || events.length > EVENTS.size) {
      throw new GatewayError('bad_request', `"event" must be one or more of ${AUDIT_EVENTS.join(', ')}, separated by commas; "${(unknown[0] ?? eventList).slice(0, 40)}" is not an event of the log.`);
    }
  }
  const agency = once(query, 'agency');
  if (agency !== undefined && !PARTNER_ID.test(agency)) throw new GatewayError('bad_request', '"agency" must be a partner id of the registry, such as france-travail-paris.');
  const messageId = once(query, 'messageId');
  if (messageId !== undefined && !UUID.test(messageId)) throw new GatewayError('bad_request', '"messageId" must be a message id: a lower-case UUID such as 0b7e6a52-…');
  return {
    start,
    end,
    limit,
    ...(events === undefined ? {} : { events }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(agency === undefined ? {} : { agency }),
    ...(messageId === undefined ? {} : { messageId }),
  };
}
