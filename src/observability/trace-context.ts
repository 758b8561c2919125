/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate` a caller
 * sends, checked before the gateway keeps or forwards them. A value that does not parse is dropped as
 * if absent (section 3.2.2.1, "the vendor MUST ... ignore the traceparent"), never refused: a trace
 * header is no part of the exchange and must not make a message fail.
 */
import type { TraceContext } from '../store/port.js';

/** Version 00 (section 3.2.2): version-traceid-parentid-flags, lower-case hex. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const INVALID_TRACE_ID = '0'.repeat(32);
const INVALID_PARENT_ID = '0'.repeat(16);
/** Section 3.3.1.1: at most 32 list members; 512 characters is what a platform must propagate (section 3.3.1.5). */
const TRACESTATE_MAX = 512;
const TRACESTATE_MEMBER = /^[a-z0-9][a-z0-9_\-*/@]{0,255}=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/** The context a request carried, or undefined when it carried none that is valid. */
export function receivedTraceContext(traceparent: unknown, tracestate: unknown): TraceContext | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const match = TRACEPARENT.exec(traceparent.trim());
  if (match === null || match[1] === INVALID_TRACE_ID || match[2] === INVALID_PARENT_ID) return undefined;
  const state = validTracestate(tracestate);
  return { traceparent: match[0], ...(state === undefined ? {} : { tracestate: state }) };
}

/** A tracestate kept only when every member is well formed (section 3.3.1.3); otherwise dropped whole. */
function validTracestate(value: unknown): string | undefined {
  const joined = Array.isArray(value) ? value.join(',') : value;
  if (typeof joined !== 'string' || joined.length === 0 || joined.length > TRACESTATE_MAX) return undefined;
  const members = joined.split(',').map((m) => m.trim()).filter((m) => m.length > 0);
  if (members.length === 0 || members.length > 32 || !members.every((m) => TRACESTATE_MEMBER.test(m))) return undefined;
  return members.join(',');
}

/** The trace id of a traceparent (its second field). */
export function traceIdOf(traceparent: string): string {
  return traceparent.split('-')[1]!;
}
