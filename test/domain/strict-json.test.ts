import { expect } from 'chai';
import fc from 'fast-check';
import { isGatewayError } from '../../src/domain/errors.js';
import { DEFAULT_MAX_JSON_DEPTH, parseStrictJson } from '../../src/domain/strict-json.js';

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

function refusal(input: Uint8Array | string, fragment: string | RegExp, maxDepth?: number): void {
  let error: unknown;
  try {
    parseStrictJson(typeof input === 'string' ? bytes(input) : input, maxDepth === undefined ? {} : { maxDepth });
  } catch (err) {
    error = err;
  }
  expect(isGatewayError(error, 'malformed_message'), `expected malformed_message for ${String(input).slice(0, 60)}, got ${String(error)}`).to.equal(true);
  const message = (error as Error).message;
  if (typeof fragment === 'string') expect(message).to.contain(fragment);
  else expect(message).to.match(fragment);
}

/** Integer literals of 16 digits or more: JSON.stringify writes doubles up to 1e21 that way. */
const LONG_INTEGER = /(?:^|[^0-9.eE+-])-?[0-9]{16,}(?![0-9.eE])/;

describe('domain/strict-json', () => {
  it('reads what JSON.parse reads for every JSON value without the refused features (property, 2,000 cases)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        fc.pre(!LONG_INTEGER.test(text) && !/"(__proto__|constructor|prototype)":/.test(text));
        expect(parseStrictJson(bytes(text))).to.deep.equal(JSON.parse(text));
        const spaced = JSON.stringify(value, null, '\t').replace(/\n/g, '\r\n');
        expect(parseStrictJson(bytes(spaced))).to.deep.equal(JSON.parse(text));
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads escapes, surrogate pairs and the example-sized numbers exactly', () => {
    expect(parseStrictJson(bytes('{"a":"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/","b":[-0.5e-3,0,9007199254740991,-9007199254740991,1e300]}'))).to.deep.equal({
      a: 'é😀\n\t"\\/',
      b: [-0.0005, 0, 9007199254740991, -9007199254740991, 1e300],
    });
    expect(parseStrictJson(bytes(' "x" '))).to.equal('x');
    expect(parseStrictJson(bytes('null'))).to.equal(null);
  });

  it('refuses duplicate member names, also when spelled with escapes', () => {
    refusal('{"recipient":"a","recipient":"b"}', 'appears twice');
    refusal('{"header":{"recipient":"a","r\\u0065cipient":"b"}}', 'appears twice');
    // Different objects may reuse a name.
    expect(parseStrictJson(bytes('{"a":{"a":1},"b":{"a":2}}'))).to.deep.equal({ a: { a: 1 }, b: { a: 2 } });
  });

  it('refuses __proto__, constructor and prototype members, and pollutes nothing', () => {
    refusal('{"__proto__":{"polluted":true}}', '__proto__');
    refusal('{"a":{"\\u005f_proto__":{"polluted":true}}}', '__proto__');
    refusal('{"constructor":{"prototype":{"polluted":true}}}', 'constructor');
    refusal('[{"prototype":1}]', 'prototype');
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
  });

  it(`refuses nesting deeper than ${DEFAULT_MAX_JSON_DEPTH} levels, without recursion, even at 1,000,000 levels`, () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(() => parseStrictJson(bytes(deep(DEFAULT_MAX_JSON_DEPTH)))).not.to.throw();
    refusal(deep(DEFAULT_MAX_JSON_DEPTH + 1), `more than ${DEFAULT_MAX_JSON_DEPTH} levels`);
    refusal('{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000), 'nested');
    refusal('['.repeat(1_000_000), 'nested');
    refusal('{"a":[{"b":1}]}', 'nested', 2);
  });

  it('refuses numbers a double cannot hold and integers beyond 2^53 − 1', () => {
    refusal('{"n":1e400}', 'too large');
    refusal('{"n":-1e400}', 'too large');
    refusal('{"n":12345678901234567890}', '2^53');
    refusal('{"n":9007199254740992}', '2^53');
    for (const bad of ['01', '1.', '.5', '+1', '1e', '0x10', 'NaN', 'Infinity', '-']) refusal(`[${bad}]`, /not strict JSON/);
  });

  it('refuses invalid UTF-8 (lone continuation, overlong, encoded surrogate, truncated) and a byte-order mark', () => {
    for (const invalid of [[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xff]]) {
      refusal(new Uint8Array([0x22, ...invalid, 0x22]), 'not valid UTF-8');
    }
    refusal(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('{}')]), 'byte-order mark');
    refusal('"\\ud800"', 'unpaired surrogate');
    refusal('"\\udc00x"', 'unpaired surrogate');
    refusal('"\\ud800\\u0041"', 'unpaired surrogate');
  });

  it('refuses what lies outside the RFC 8259 grammar', () => {
    for (const bad of ['', ' ', "{'a':1}", '{"a":1,}', '[1,]', '{"a":1} x', '{"a" 1}', '{a:1}', '// c\n{}', '"a\tb"', '"\\x41"', '"\\u12"', '"open', 'tru', '[1 2]', '{"a":1 "b":2}', '\u00a0{}']) {
      refusal(bad, /not strict JSON|UTF-8/);
    }
  });

  it('reads a 3 MB string in linear time', () => {
    const big = `{"s":"${'é'.repeat(1_500_000)}\\n${'a'.repeat(1_000_000)}"}`;
    const started = performance.now();
    const value = parseStrictJson(bytes(big)) as { s: string };
    expect(value.s.length).to.equal(2_500_001);
    expect(performance.now() - started).to.be.lessThan(1_000);
  });

  it('never names a value of the document in a refusal', () => {
    let message = '';
    try {
      parseStrictJson(bytes('{"beneficiaryRef":"7503123456","beneficiaryRef":"7503123456"}'));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.contain('appears twice');
    expect(message).not.to.contain('7503123456');
    expect(message).not.to.contain('beneficiaryRef');
  });
});
