import { LmoError } from '../../errors.js';

/**
 * A strict JSON (RFC 8259) parser for safetensors headers. Unlike `JSON.parse` it keeps what the
 * header's validation needs: every key of an object in order, duplicates included (the format
 * forbids them; `JSON.parse` silently keeps the last), and each number's literal text (so `1.0`,
 * `1e3` or `-0` can be refused where an integer is due, and integers beyond 2^53 are not rounded).
 * Escapes that decode to unpaired UTF-16 surrogates are refused, as the reference parser does.
 */
export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;

/** A number as written. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

/** An object's members in order, duplicates kept. */
export class JsonObject {
  constructor(readonly entries: ReadonlyArray<readonly [string, JsonValue]>) {}
}

const MAX_DEPTH = 128;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * Parses a safetensors header: one JSON value, then nothing but spaces (0x20), the only padding the
 * format allows. @throws LmoError `INVALID_SAFETENSORS` saying what is wrong and where.
 */
export function parseHeaderJson(text: string): JsonValue {
  const p = new Parser(text);
  const value = p.value(0);
  for (; p.pos < text.length; p.pos++) if (text.charCodeAt(p.pos) !== 0x20) p.fail(`${quoteChar(text, p.pos)} after the JSON value (only spaces may pad the header)`);
  return value;
}

function quoteChar(s: string, at: number): string {
  return at >= s.length ? 'the end' : JSON.stringify(String.fromCodePoint(s.codePointAt(at)!));
}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new LmoError('INVALID_SAFETENSORS', `the safetensors header is not valid JSON: ${what} at character ${this.pos}`);
  }

  private space(): void {
    const s = this.s;
    for (; this.pos < s.length; this.pos++) {
      const c = s.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    }
  }

  private expect(c: string): void {
    if (this.s[this.pos] !== c) this.fail(`expected ${JSON.stringify(c)}, found ${quoteChar(this.s, this.pos)}`);
    this.pos++;
  }

  value(depth: number): JsonValue {
    this.space();
    const c = this.s[this.pos];
    if (c === '{' || c === '[') {
      if (depth >= MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
      return c === '{' ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (c === '"') return this.string();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.s.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.s);
    if (m === null) this.fail(`unexpected ${quoteChar(this.s, this.pos)}`);
    this.pos += m[0].length;
    return new JsonNumber(m[0]);
  }

  private object(depth: number): JsonObject {
    this.pos++; // {
    const entries: Array<readonly [string, JsonValue]> = [];
    this.space();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return new JsonObject(entries);
    }
    for (;;) {
      this.space();
      if (this.s[this.pos] !== '"') this.fail(`expected a key, found ${quoteChar(this.s, this.pos)}`);
      const key = this.string();
      this.space();
      this.expect(':');
      entries.push([key, this.value(depth)]);
      this.space();
      if (this.s[this.pos] === '}') {
        this.pos++;
        return new JsonObject(entries);
      }
      this.expect(',');
    }
  }

  private array(depth: number): JsonValue[] {
    this.pos++; // [
    const items: JsonValue[] = [];
    this.space();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return items;
    }
    for (;;) {
      items.push(this.value(depth));
      this.space();
      if (this.s[this.pos] === ']') {
        this.pos++;
        return items;
      }
      this.expect(',');
    }
  }

  private string(): string {
    const s = this.s;
    this.pos++; // opening quote
    let out = '';
    let from = this.pos;
    for (;;) {
      if (this.pos >= s.length) this.fail('unterminated string');
      const c = s.charCodeAt(this.pos);
      if (c === 0x22) break;
      if (c < 0x20) this.fail(`unescaped control character U+${c.toString(16).padStart(4, '0')} in a string`);
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += s.slice(from, this.pos);
      this.pos++; // backslash
      const e = s[this.pos];
      if (e === 'u') {
        const unit = this.hex4();
        if (unit >= 0xdc00 && unit <= 0xdfff) this.fail('an unpaired surrogate escape');
        if (unit >= 0xd800 && unit <= 0xdbff) {
          if (s[this.pos] !== '\\' || s[this.pos + 1] !== 'u') this.fail('an unpaired surrogate escape');
          this.pos++;
          const low = this.hex4();
          if (low < 0xdc00 || low > 0xdfff) this.fail('an unpaired surrogate escape');
          out += String.fromCharCode(unit, low);
        } else {
          out += String.fromCharCode(unit);
        }
      } else {
        const v = e === undefined ? undefined : ESCAPES[e];
        if (v === undefined) this.fail(`invalid escape ${JSON.stringify(`\\${e ?? ''}`)}`);
        out += v;
        this.pos++;
      }
      from = this.pos;
    }
    out += s.slice(from, this.pos);
    this.pos++; // closing quote
    return out;
  }

  /** Reads `uXXXX` at `pos` (on the `u`), returns the code unit. */
  private hex4(): number {
    const digits = this.s.slice(this.pos + 1, this.pos + 5);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) this.fail('invalid \\u escape');
    this.pos += 5;
    return parseInt(digits, 16);
  }
}
