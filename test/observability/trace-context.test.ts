/**
 * The W3C Trace Context headers a caller sends (src/observability/trace-context.ts): kept when they
 * parse (https://www.w3.org/TR/trace-context/ sections 3.2 and 3.3), dropped whole when they do not,
 * never a refusal of the request.
 */
import { expect } from 'chai';
import { receivedTraceContext, traceIdOf } from '../../src/observability/trace-context.js';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('observability: received W3C trace context', () => {
  it('keeps a version-00 traceparent and a well-formed tracestate', () => {
    expect(receivedTraceContext(VALID, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')).to.deep.equal({ traceparent: VALID, tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' });
    expect(receivedTraceContext(VALID, undefined)).to.deep.equal({ traceparent: VALID });
    expect(traceIdOf(VALID)).to.equal('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('drops a traceparent that is malformed, upper-case, of another version, or with an all-zero id', () => {
    for (const bad of ['', 'garbage', VALID.toUpperCase(), `01${VALID.slice(2)}`, `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`, `${VALID}-extra`]) {
      expect(receivedTraceContext(bad, undefined), bad).to.equal(undefined);
    }
    expect(receivedTraceContext(['a', 'b'], undefined)).to.equal(undefined);
  });

  it('drops a tracestate with a malformed member or past 512 characters, keeping the traceparent', () => {
    for (const bad of ['no-equals', 'UPPER=1', `a=${'x'.repeat(600)}`, 'a=1,=2']) {
      expect(receivedTraceContext(VALID, bad), bad).to.deep.equal({ traceparent: VALID });
    }
  });
});
