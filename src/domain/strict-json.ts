/**
 * A strict JSON reader for signed documents: RFC 8259 grammar, plus the I-JSON restrictions of
 * RFC 7493 that make one signed document read the same by every parser.
 *
 * Why not JSON.parse: it silently keeps the LAST of two members with the same name, while other
 * parsers keep the first (or refuse). A document signed with `"recipient"` twice would then name two
 * different recipients depending on who reads it (RFC 8259 section 4: "the names within an object
 * SHOULD be unique"; RFC 7493 section 2.3 makes it a MUST). The same holds for numbers that an IEEE 754
 * double cannot hold exactly (RFC 7493 section 2.2) and for unpaired surrogates (section 2.1).
 *
 * What is refused, each with a GatewayError('malformed_message'):
 * - bytes that are not UTF-8 (RFC 8259 section 8.1), and a leading byte-order mark (section 8.1:
 *   senders "MUST NOT add" one; refusing it keeps the signed bytes and the parsed text aligned);
 * - anything outside the RFC 8259 grammar (single quotes, comments, trailing commas, NaN, leading
 *   zeros, raw control characters in strings, text after the value);
 * - duplicate member names, compared after unescaping (`"a"` and `"\u0061"` are the same name);
 * - the member names `__proto__`, `constructor` and `prototype`: no schema uses them, and code that
 *   copies or merges objects may turn them into prototype pollution;
 * - numbers that overflow a double (1e400), and integers beyond ±(2^53 − 1), which parsers with
 *   big integers and parsers with doubles read as different values;
 * - escaped unpaired surrogates (`"\ud800"`);
 * - nesting deeper than `maxDepth` (64 by default), checked before descending, so a hostile
 *   document of 100,000 levels costs a few bytes of scanning and no stack.
 *
 * Error messages give a character position and a reason, never a value of the document.
 */
import { GatewayError } from './errors.js';

export const DEFAULT_MAX_JSON_DEPTH = 64;

/** Member names refused anywhere in a document. */
export const FORBIDDEN_MEMBER_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface StrictJsonOptions {
  /** Deepest nesting of objects and arrays accepted; the top-level value is depth 1. */
  maxDepth?: number;
  /** How the refusal names the text, e.g. "The signed document". */
  subject?: string;
  /** What the sender does once the text is fixed: "sign it again" (the default, for signed documents), "send it again". */
  then?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

const ESCAPES: Record<number, string> = {
  0x22: '"',
  0x5c: '\\',
  0x2f: '/',
  0x62: '\b',
  0x66: '\f',
  0x6e: '\n',
  0x72: '\r',
  0x74: '\t',
};

/**
 * Parses UTF-8 bytes holding one JSON text under the rules above.
 * @throws GatewayError('malformed_message') naming the rule broken and where.
 */
export function parseStrictJson(bytes: Uint8Array, options: StrictJsonOptions = {}): unknown {
  const subject = options.subject ?? 'The signed document';
  const then = options.then ?? 'sign it again';
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new GatewayError('malformed_message', `${subject} is not valid UTF-8 (RFC 8259 section 8.1). Encode the JSON document in UTF-8 and ${then}.`);
  }
  if (text.charCodeAt(0) === 0xfeff) {
    throw new GatewayError('malformed_message', `${subject} starts with a byte-order mark, which JSON senders must not add (RFC 8259 section 8.1). Save it as UTF-8 without BOM and ${then}.`);
  }
  return new StrictReader(text, options.maxDepth ?? DEFAULT_MAX_JSON_DEPTH, subject, then).document();
}

class StrictReader {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
    private readonly subject: string,
    private readonly then: string,
  ) {}

  document(): unknown {
    this.skipWhitespace();
    const value = this.value(1);
    this.skipWhitespace();
    if (this.pos !== this.text.length) this.fail('there is text after the JSON value');
    return value;
  }

  private value(depth: number): unknown {
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: // {
        return this.object(depth);
      case 0x5b: // [
        return this.array(depth);
      case 0x22: // "
        return this.string();
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        return this.fail(Number.isNaN(c) ? 'the text ends where a value is expected' : 'a value is expected here (object, array, string, number, true, false or null)');
    }
  }

  private enter(depth: number): void {
    if (depth > this.maxDepth) this.fail(`objects and arrays are nested more than ${this.maxDepth} levels deep`);
  }

  private object(depth: number): Record<string, unknown> {
    this.enter(depth);
    this.pos++;
    const result: Record<string, unknown> = {};
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return result;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== 0x22) this.fail('a member name in double quotes is expected');
      const at = this.pos;
      const name = this.string();
      if (FORBIDDEN_MEMBER_NAMES.has(name)) this.fail('a member is named __proto__, constructor or prototype, which the gateway refuses', at);
      if (Object.hasOwn(result, name)) this.fail('a member name appears twice in the same object (RFC 7493 section 2.3)', at);
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail('a colon is expected after the member name');
      this.pos++;
      this.skipWhitespace();
      // Plain assignment is safe: __proto__ was refused above.
      result[name] = this.value(depth + 1);
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x7d) return result;
      if (c !== 0x2c) this.fail('a comma or a closing brace is expected', this.pos - 1);
      this.skipWhitespace();
    }
  }

  private array(depth: number): unknown[] {
    this.enter(depth);
    this.pos++;
    const result: unknown[] = [];
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return result;
    }
    for (;;) {
      result.push(this.value(depth + 1));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x5d) return result;
      if (c !== 0x2c) this.fail('a comma or a closing bracket is expected', this.pos - 1);
      this.skipWhitespace();
    }
  }

  private string(): string {
    const { text } = this;
    let pos = this.pos + 1;
    let out = '';
    let runStart = pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(runStart, pos);
        this.pos = pos + 1;
        return out;
      }
      if (c === 0x5c) {
        out += text.slice(runStart, pos);
        const e = text.charCodeAt(pos + 1);
        if (e === 0x75) {
          const unit = this.hex4(pos + 2);
          pos += 6;
          if (unit >= 0xd800 && unit <= 0xdbff) {
            const low = text.charCodeAt(pos) === 0x5c && text.charCodeAt(pos + 1) === 0x75 ? this.hex4(pos + 2) : -1;
            if (low < 0xdc00 || low > 0xdfff) this.fail('a string holds an unpaired surrogate escape (RFC 7493 section 2.1)', pos - 6);
            out += String.fromCharCode(unit, low);
            pos += 6;
          } else if (unit >= 0xdc00 && unit <= 0xdfff) {
            this.fail('a string holds an unpaired surrogate escape (RFC 7493 section 2.1)', pos - 6);
          } else {
            out += String.fromCharCode(unit);
          }
        } else {
          const escaped = ESCAPES[e];
          if (escaped === undefined) this.fail('a string holds an escape that JSON does not define', pos);
          out += escaped;
          pos += 2;
        }
        runStart = pos;
        continue;
      }
      // NaN past the end of the text fails this test too.
      if (!(c >= 0x20)) this.fail(Number.isNaN(c) ? 'a string is not closed' : 'a string holds a raw control character; escape it', pos);
      pos++;
    }
  }

  private hex4(at: number): number {
    const digits = this.text.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) this.fail('a \\u escape needs four hexadecimal digits', at - 2);
    return parseInt(digits, 16);
  }

  private number(): number {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (match === null) return this.fail('a number is not written as JSON numbers are (RFC 8259 section 6)');
    const literal = match[0];
    const value = Number(literal);
    if (!Number.isFinite(value)) this.fail('a number is too large for a 64-bit floating-point value (RFC 7493 section 2.2)');
    if (!/[.eE]/.test(literal) && !Number.isSafeInteger(value)) {
      this.fail('an integer is beyond ±(2^53 − 1), where parsers disagree on its value (RFC 7493 section 2.2); send it as a string');
    }
    this.pos += literal.length;
    return value;
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail('a value is expected here (object, array, string, number, true, false or null)');
    this.pos += word.length;
    return value;
  }

  private skipWhitespace(): void {
    const { text } = this;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      pos++;
    }
    this.pos = pos;
  }

  private fail(reason: string, at: number = this.pos): never {
    throw new GatewayError('malformed_message', `${this.subject} is not strict JSON: ${reason} (character ${at}). Produce it with a standard JSON serialiser, each member name once, and ${this.then}.`);
  }
}
