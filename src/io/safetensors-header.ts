// The JSON header of a safetensors file, read as the reference reader reads it: huggingface/
// safetensors, safetensors/src/tensor.rs, `read_metadata` (serde_json::from_str into
// `HashMetadata`, then `Metadata::validate`). This file is the JSON half: one pass over the decoded
// text, names compared after decoding, numbers kept as the integer tokens serde reads as usize.
// It does not check byte ranges or read tensor data (safetensors.ts does).
//
// Why not JSON.parse: it keeps the last of two equal keys without a word (so a second
// "encoder\u002e0.weight" would replace "encoder.0.weight"), reads 1.0 and -0 as integers,
// rounds integers past 2^53, accepts lone surrogates and builds every value before anything can
// be bounded. Here the work is linear in the header's length and stops at the first error, and
// what is kept is bounded by MAX_TENSORS, MAX_RANK and MAX_METADATA_ENTRIES.
import { WavaeError } from '../errors.js';

/** A shape value or offset: a JSON integer token in [0, 2^64 - 1] (Rust's usize); bigint past 2^53 - 1. */
export type Usize = number | bigint;

/** One tensor entry of the header, as written. */
export interface HeaderTensor {
  /** The name after JSON decoding (what names are compared by). */
  name: string;
  dtype: string;
  shape: Usize[];
  begin: Usize;
  end: Usize;
}

/** What the header declares: tensors in the order written, and `__metadata__` (null when absent or null). */
export interface Header {
  tensors: HeaderTensor[];
  metadata: Map<string, string> | null;
}

/** wavae's bounds on what a header may declare (the reference bounds only the header's 100,000,000 bytes). */
export const MAX_TENSORS = 100_000;
/** Dimensions of one tensor (wavae's tensors have at most 4). */
export const MAX_RANK = 64;
/** Entries of `__metadata__` (wavae writes about ten). */
export const MAX_METADATA_ENTRIES = 10_000;
// serde_json's recursion limit (remaining_depth starts at 128 and an array or object that brings
// it to 0 is refused): 127 nested arrays and objects, the header's own object included.
const MAX_DEPTH = 127;
const U64_MAX = (1n << 64n) - 1n;

const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c, COLON = 0x3a;
const LBRACE = 0x7b, RBRACE = 0x7d, LBRACKET = 0x5b, RBRACKET = 0x5d, MINUS = 0x2d;

/** Parses a header's text (already checked to be UTF-8, BOM kept) into its tensors and metadata. */
export function parseHeader(text: string): Header {
  return new HeaderReader(text).header();
}

class HeaderReader {
  private pos = 0;
  constructor(private readonly text: string) {}

  header(): Header {
    const tensors: HeaderTensor[] = [];
    const names = new Set<string>();
    let metadata: Map<string, string> | null = null;
    let sawMetadata = false;
    this.space();
    this.expect(LBRACE, "'{' (the header is a JSON object)");
    this.space();
    if (!this.eat(RBRACE)) {
      for (;;) {
        const keyAt = this.pos;
        const name = this.string();
        this.space();
        this.expect(COLON, "':' after a name");
        this.space();
        // `__metadata__` is a named field of HashMetadata: a second one, by any spelling, is serde's
        // "duplicate field"; its type is Option<HashMap<String, String>>, so null is "no metadata".
        if (name === '__metadata__') {
          if (sawMetadata) this.fail('"__metadata__" appears twice', keyAt);
          sawMetadata = true;
          metadata = this.metadata();
        } else {
          // Every other key is a tensor (HashMetadata's flattened HashMap<String, TensorInfo>).
          // The reference's HashMap keeps the last of equal names; wavae refuses the file, since
          // readers that compare names before decoding escapes would keep the other one.
          if (names.has(name)) this.fail(`tensor ${label(name)} is declared twice (the second time as ${clip(this.text.slice(keyAt, this.keyEnd(keyAt)))})`, keyAt);
          if (names.size >= MAX_TENSORS) this.fail(`the header declares more than ${MAX_TENSORS} tensors, more than wavae reads`, keyAt);
          names.add(name);
          tensors.push(this.tensor(name));
        }
        this.space();
        if (this.eat(COMMA)) {
          this.space();
          continue;
        }
        this.expect(RBRACE, "',' or '}' after an entry of the header");
        break;
      }
    }
    this.space();
    if (this.pos < this.text.length) this.expected('the end of the header after its object');
    return { tensors, metadata };
  }

  /** `__metadata__`: null, or an object of string values (serde: HashMap<String, String>). */
  private metadata(): Map<string, string> | null {
    if (this.literal('null')) return null;
    if (this.text.charCodeAt(this.pos) !== LBRACE) this.fail('"__metadata__" must be an object of strings or null');
    this.pos++;
    const out = new Map<string, string>();
    this.space();
    if (this.eat(RBRACE)) return out;
    for (;;) {
      const keyAt = this.pos;
      const key = this.string();
      this.space();
      this.expect(COLON, "':' after a metadata key");
      this.space();
      if (this.text.charCodeAt(this.pos) !== QUOTE) this.fail(`"__metadata__" has a value that is not a string (key ${label(key)})`);
      const value = this.string();
      // The reference's HashMap keeps the last of equal keys; wavae refuses them, for the reason
      // it refuses equal tensor names (the config lives here).
      if (out.has(key)) this.fail(`"__metadata__" has the key ${label(key)} twice`, keyAt);
      if (out.size >= MAX_METADATA_ENTRIES) this.fail(`"__metadata__" has more than ${MAX_METADATA_ENTRIES} entries, more than wavae reads`, keyAt);
      out.set(key, value);
      this.space();
      if (this.eat(COMMA)) {
        this.space();
        continue;
      }
      this.expect(RBRACE, "',' or '}' in \"__metadata__\"");
      return out;
    }
  }

  /**
   * A TensorInfo: { dtype, shape, data_offsets }, each once (serde's "duplicate field" and
   * "missing field"); other fields are skipped as serde skips them, but must still be valid JSON.
   */
  private tensor(name: string): HeaderTensor {
    if (this.text.charCodeAt(this.pos) !== LBRACE) this.fail(`tensor ${label(name)} must be an object { dtype, shape, data_offsets }`);
    this.pos++;
    let dtype: string | null = null;
    let shape: Usize[] | null = null;
    let offsets: Usize[] | null = null;
    this.space();
    if (!this.eat(RBRACE)) {
      for (;;) {
        const keyAt = this.pos;
        const key = this.string();
        this.space();
        this.expect(COLON, "':' after a field name");
        this.space();
        if (key === 'dtype' || key === 'shape' || key === 'data_offsets') {
          if ((key === 'dtype' ? dtype : key === 'shape' ? shape : offsets) !== null) this.fail(`tensor ${label(name)} has the field "${key}" twice`, keyAt);
          if (key === 'dtype') {
            if (this.text.charCodeAt(this.pos) !== QUOTE) this.fail(`tensor ${label(name)} has a dtype that is not a string`);
            dtype = this.string();
          } else if (key === 'shape') {
            shape = this.usizeArray(name, 'shape', MAX_RANK);
          } else {
            offsets = this.usizeArray(name, 'data_offsets', 2);
            // serde reads data_offsets as a (usize, usize) tuple: exactly two values
            if (offsets.length !== 2) this.fail(`tensor ${label(name)} has ${offsets.length} data_offsets; it needs [begin, end]`, keyAt);
          }
        } else {
          this.skipValue(3);
        }
        this.space();
        if (this.eat(COMMA)) {
          this.space();
          continue;
        }
        if (!this.eat(RBRACE)) this.expected(`',' or '}' in tensor ${label(name)}`);
        break;
      }
    }
    const missing = dtype === null ? 'dtype' : shape === null ? 'shape' : offsets === null ? 'data_offsets' : null;
    if (missing) this.fail(`tensor ${label(name)} has no "${missing}"`);
    return { name, dtype: dtype!, shape: shape!, begin: offsets![0], end: offsets![1] };
  }

  /** An array of usize values, at most `max` of them (a shape or data_offsets). */
  private usizeArray(name: string, field: string, max: number): Usize[] {
    if (this.text.charCodeAt(this.pos) !== LBRACKET) this.fail(`tensor ${label(name)} has a ${field} that is not an array`);
    this.pos++;
    const out: Usize[] = [];
    this.space();
    if (this.eat(RBRACKET)) return out;
    for (;;) {
      if (out.length >= max) {
        this.fail(field === 'shape' ? `tensor ${label(name)} has more than ${MAX_RANK} dimensions, more than wavae reads` : `tensor ${label(name)} has more than 2 data_offsets; it needs [begin, end]`);
      }
      out.push(this.usize(name, field));
      this.space();
      if (this.eat(COMMA)) {
        this.space();
        continue;
      }
      if (!this.eat(RBRACKET)) this.expected(`',' or ']' in the ${field} of tensor ${label(name)}`);
      return out;
    }
  }

  /**
   * A usize as serde_json reads one: digits only. serde_json reads 1.0, 1e0 and -0 as floats and
   * an integer past u64::MAX as a float, and refuses a float where a usize is expected.
   */
  private usize(name: string, field: string): Usize {
    const t = this.text;
    const start = this.pos;
    let value = 0;
    let c = t.charCodeAt(this.pos);
    if (c === 0x30) {
      this.pos++;
    } else {
      while (isDigit(c)) {
        value = value * 10 + (c - 0x30); // exact while 15 digits or fewer; longer tokens are re-read below
        c = t.charCodeAt(++this.pos);
      }
    }
    c = t.charCodeAt(this.pos);
    if (this.pos === start || c === 0x2e || c === 0x65 || c === 0x45) {
      this.pos = start;
      const token = this.numberToken();
      this.fail(`tensor ${label(name)} has ${clip(token)} in its ${field}; it needs integers >= 0 written as digits only`, start);
    }
    const digits = this.pos - start;
    if (digits <= 15) return value;
    // more than 20 digits (no leading zero) is past u64::MAX: no BigInt of a megabyte of digits
    const token = t.slice(start, this.pos);
    if (digits > 20 || BigInt(token) > U64_MAX) this.fail(`tensor ${label(name)} has ${clip(token)} in its ${field}, past the largest 64-bit size`, start);
    const big = BigInt(token);
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }

  /** A JSON number token (RFC 8259 grammar), returned as text. */
  private numberToken(): string {
    const start = this.pos;
    const t = this.text;
    if (t.charCodeAt(this.pos) === MINUS) this.pos++;
    const first = t.charCodeAt(this.pos);
    if (first === 0x30) this.pos++;
    else if (first >= 0x31 && first <= 0x39) this.digits();
    else this.expected('a JSON value');
    if (t.charCodeAt(this.pos) === 0x2e) {
      this.pos++;
      if (!isDigit(t.charCodeAt(this.pos))) this.expected('digits after a decimal point');
      this.digits();
    }
    const e = t.charCodeAt(this.pos);
    if (e === 0x65 || e === 0x45) {
      this.pos++;
      const sign = t.charCodeAt(this.pos);
      if (sign === 0x2b || sign === MINUS) this.pos++;
      if (!isDigit(t.charCodeAt(this.pos))) this.expected('digits in an exponent');
      this.digits();
    }
    return t.slice(start, this.pos);
  }

  private digits(): void {
    while (isDigit(this.text.charCodeAt(this.pos))) this.pos++;
  }

  /**
   * Skips any JSON value (a field serde ignores) at nesting `depth`, checking it as serde_json
   * checks what it reads: syntax, nesting, strings, numbers in the float64 range.
   */
  private skipValue(depth: number): void {
    const c = this.text.charCodeAt(this.pos);
    if (c === QUOTE) {
      this.string();
    } else if (c === LBRACE || c === LBRACKET) {
      if (depth > MAX_DEPTH) this.fail(`arrays and objects nested more than ${MAX_DEPTH} deep`);
      const close = c === LBRACE ? RBRACE : RBRACKET;
      this.pos++;
      this.space();
      if (this.eat(close)) return;
      for (;;) {
        if (close === RBRACE) {
          this.string();
          this.space();
          this.expect(COLON, "':' after a key");
          this.space();
        }
        this.skipValue(depth + 1);
        this.space();
        if (this.eat(COMMA)) {
          this.space();
          continue;
        }
        this.expect(close, close === RBRACE ? "',' or '}'" : "',' or ']'");
        return;
      }
    } else if (!this.literal('true') && !this.literal('false') && !this.literal('null')) {
      const at = this.pos;
      const token = this.numberToken();
      // serde_json refuses numbers out of the float64 range ("number out of range"); its parse
      // may round up near the limit, so wavae draws the line at 1e308.
      if (!(Math.abs(Number(token)) < 1e308)) this.fail(`the number ${clip(token)} is out of range`, at);
    }
  }

  /** A JSON string at pos, decoded: escapes as RFC 8259, no raw control characters, no lone surrogates. */
  private string(): string {
    const t = this.text;
    if (t.charCodeAt(this.pos) !== QUOTE) this.expected('a string in double quotes');
    const open = this.pos++;
    let escaped = false;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (c === QUOTE) break;
      if (c < 0x20) this.fail(`a raw control character (U+${c.toString(16).toUpperCase().padStart(4, '0')}) in a string; JSON escapes them`);
      if (Number.isNaN(c)) this.expected("'\"' to close a string", open);
      if (c === BACKSLASH) {
        escaped = true;
        this.pos++;
      }
      this.pos++;
    }
    this.pos++;
    if (!escaped) return t.slice(open + 1, this.pos - 1);
    // JSON.parse decodes one string literal (linear, native); what it accepts here is RFC 8259.
    let value: string;
    try {
      value = JSON.parse(t.slice(open, this.pos)) as string;
    } catch {
      this.fail('a string with an escape that JSON does not have (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)', open);
    }
    // serde_json decodes \ud83d\ude00 to one character and refuses a lone half of a pair
    if (/\p{Surrogate}/u.test(value)) this.fail('a lone surrogate (\\ud800 to \\udfff) in a string', open);
    return value;
  }

  /** The end of the string token that starts at `at` (for quoting a key as written). */
  private keyEnd(at: number): number {
    const saved = this.pos;
    this.pos = at;
    this.string();
    const end = this.pos;
    this.pos = saved;
    return end;
  }

  /** JSON whitespace only: space, tab, line feed, carriage return (not U+FEFF, not U+00A0). */
  private space(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.pos++;
    }
  }

  private eat(c: number): boolean {
    if (this.text.charCodeAt(this.pos) !== c) return false;
    this.pos++;
    return true;
  }

  private expect(c: number, what: string): void {
    if (!this.eat(c)) this.expected(what);
  }

  private literal(word: string): boolean {
    if (!this.text.startsWith(word, this.pos)) return false;
    this.pos += word.length;
    return true;
  }

  /** Throws CORRUPT_FILE: what is wrong, and where (a character index of the header's text). */
  private fail(what: string, at = this.pos): never {
    throw new WavaeError('CORRUPT_FILE', `safetensors: ${what} (header character ${at})`);
  }

  /** Throws CORRUPT_FILE: what was expected, what came instead, and where. */
  private expected(what: string, at = this.pos): never {
    const found = at >= this.text.length ? 'the end of the header' : JSON.stringify(this.text.slice(at, at + 16));
    throw new WavaeError('CORRUPT_FILE', `safetensors: the header is not valid JSON: expected ${what} at character ${at}, found ${found}`);
  }
}

/** A name for a message: in single quotes, control characters escaped, at most 100 characters. */
export function label(name: string): string {
  return `'${clip(name)}'`;
}

function clip(text: string): string {
  const shown = text.length > 100 ? `${text.slice(0, 97)}...` : text;
  return shown.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
