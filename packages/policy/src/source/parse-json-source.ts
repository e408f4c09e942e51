/**
 * A strict JSON parser (RFC 8259) that records offsets. JSON.parse gives neither positions of
 * keys nor a stable error position across Node versions, and accepts duplicate keys silently —
 * a hidden second `"mode"` overriding the first is not something a policy should allow.
 */
import type { ParsedSource, SourceLimits, SourceMap, SourceNode, SourceScalar, SourceSeq } from './source-node.js';

class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parse `text` as JSON. Never throws: problems come back in `errors`. */
export function parseJsonSource(text: string, limits: SourceLimits): ParsedSource {
  const parser = new Parser(text, limits);
  try {
    return { root: parser.parseDocument(), errors: [] };
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { root: null, errors: [{ offset: error.offset, message: error.message }] };
    throw error;
  }
}

function describe(text: string, offset: number): string {
  if (offset >= text.length) return 'end of input';
  const cp = text.codePointAt(offset) ?? 0;
  return cp < 0x20 || cp === 0x7f ? `character U+${cp.toString(16).padStart(4, '0').toUpperCase()}` : JSON.stringify(String.fromCodePoint(cp));
}

class Parser {
  #pos = 0;
  #nodes = 0;

  constructor(
    readonly text: string,
    readonly limits: SourceLimits,
  ) {
    // npm tolerates a byte order mark at the start of package.json; so do we.
    if (text.charCodeAt(0) === 0xfeff) this.#pos = 1;
  }

  parseDocument(): SourceNode | null {
    this.#skipSpace();
    if (this.#pos >= this.text.length) return null;
    const root = this.#value(0);
    this.#skipSpace();
    if (this.#pos < this.text.length) this.#fail(`unexpected ${describe(this.text, this.#pos)} after the JSON value`);
    return root;
  }

  #fail(message: string, offset = this.#pos): never {
    throw new JsonSyntaxError(offset, message);
  }

  #skipSpace(): void {
    const t = this.text;
    while (this.#pos < t.length) {
      const c = t.charCodeAt(this.#pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.#pos++;
      else break;
    }
  }

  #count(): void {
    if (++this.#nodes > this.limits.maxNodes) this.#fail(`more than ${this.limits.maxNodes} values`);
  }

  #value(depth: number): SourceNode {
    this.#count();
    const c = this.text[this.#pos];
    switch (c) {
      case '{':
        return this.#object(depth + 1);
      case '[':
        return this.#array(depth + 1);
      case '"':
        return this.#string();
      case 't':
        return this.#literal('true', true);
      case 'f':
        return this.#literal('false', false);
      case 'n':
        return this.#literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.#number();
        return this.#fail(`unexpected ${describe(this.text, this.#pos)}`);
    }
  }

  #enter(depth: number): void {
    if (depth > this.limits.maxDepth) this.#fail(`nesting deeper than ${this.limits.maxDepth} levels`);
  }

  #object(depth: number): SourceMap {
    this.#enter(depth);
    const node: SourceMap = { kind: 'map', start: this.#pos, end: this.#pos, entries: [] };
    const seen = new Set<string>();
    this.#pos++;
    this.#skipSpace();
    if (this.text[this.#pos] === '}') {
      node.end = ++this.#pos;
      return node;
    }
    for (;;) {
      if (this.text[this.#pos] !== '"') this.#fail(`expected a key in double quotes, found ${describe(this.text, this.#pos)}`);
      this.#count();
      const key = this.#string();
      if (seen.has(key.value as string)) this.#fail(`duplicate key ${JSON.stringify(key.value)}`, key.start);
      seen.add(key.value as string);
      this.#skipSpace();
      if (this.text[this.#pos] !== ':') this.#fail(`expected ":" after key ${JSON.stringify(key.value)}, found ${describe(this.text, this.#pos)}`);
      this.#pos++;
      this.#skipSpace();
      if (this.#pos >= this.text.length) this.#fail('unexpected end of input');
      const value = this.#value(depth);
      node.entries.push({ key, value });
      if (this.#closes('}')) {
        node.end = this.#pos;
        return node;
      }
    }
  }

  #array(depth: number): SourceSeq {
    this.#enter(depth);
    const node: SourceSeq = { kind: 'seq', start: this.#pos, end: this.#pos, items: [] };
    this.#pos++;
    this.#skipSpace();
    if (this.text[this.#pos] === ']') {
      node.end = ++this.#pos;
      return node;
    }
    for (;;) {
      if (this.#pos >= this.text.length) this.#fail('unexpected end of input');
      node.items.push(this.#value(depth));
      if (this.#closes(']')) {
        node.end = this.#pos;
        return node;
      }
    }
  }

  /**
   * After an element of an object or array: true past its closing bracket, false past a comma (and
   * the space after it), an error otherwise.
   */
  #closes(bracket: '}' | ']'): boolean {
    this.#skipSpace();
    const next = this.text[this.#pos];
    if (next === ',') {
      this.#pos++;
      this.#skipSpace();
      return false;
    }
    if (next === bracket) {
      this.#pos++;
      return true;
    }
    this.#fail(`expected "," or "${bracket}", found ${describe(this.text, this.#pos)}`);
  }

  #string(): SourceScalar {
    const t = this.text;
    const start = this.#pos++;
    let out = '';
    let chunk = this.#pos;
    for (;;) {
      if (this.#pos >= t.length) this.#fail('unterminated string', start);
      const c = t.charCodeAt(this.#pos);
      if (c === 0x22) {
        out += t.slice(chunk, this.#pos);
        this.#pos++;
        return { kind: 'scalar', start, end: this.#pos, value: out };
      }
      if (c < 0x20) this.#fail(`${describe(t, this.#pos)} in a string must be escaped`);
      if (c !== 0x5c) {
        this.#pos++;
        continue;
      }
      out += t.slice(chunk, this.#pos);
      const e = t[this.#pos + 1];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = t.slice(this.#pos + 2, this.#pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.#fail('invalid \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.#pos += 4;
          break;
        }
        default:
          this.#fail(e === undefined ? 'unterminated string' : `invalid escape "\\${e}"`);
      }
      this.#pos += 2;
      chunk = this.#pos;
    }
  }

  #literal(word: string, value: boolean | null): SourceScalar {
    const start = this.#pos;
    if (this.text.startsWith(word, start)) {
      this.#pos += word.length;
      return { kind: 'scalar', start, end: this.#pos, value };
    }
    return this.#fail(`unexpected ${describe(this.text, start)}`);
  }

  #number(): SourceScalar {
    const start = this.#pos;
    NUMBER.lastIndex = start;
    const match = NUMBER.exec(this.text);
    if (match === null) return this.#fail(`invalid number`);
    this.#pos += match[0].length;
    return { kind: 'scalar', start, end: this.#pos, value: Number(match[0]) };
  }
}
