// The safetensors reference reader's rules, restated for the tests and written apart from src/io:
// huggingface/safetensors, safetensors/src/tensor.rs (`read_metadata`, `HashMetadata`,
// `Metadata::validate`) with serde_json underneath, as a regex tokenizer, a recursive reader over
// a plain value tree and BigInt arithmetic. judge(bytes) says whether the reference reads a file.
// When written, its verdicts agreed with the crate's own SafeTensors::read_metadata on every file
// of the fuzz test and on the cases of modelfile.test.ts.

/** What the reference does with a file; for files it reads, what wavae's stated limits look at. */
export type Verdict =
  | {
      ok: true;
      tensors: number;
      /** Two tensors of one name after decoding (the reference keeps the last; wavae refuses). */
      duplicateNames: boolean;
      /** A metadata key twice (the reference keeps the last; wavae refuses). */
      duplicateMetadataKeys: boolean;
      /** A tensor entry written as an array [dtype, shape, offsets], which serde also reads. */
      sequenceEntries: boolean;
      /** A number of magnitude 1e308 or more in a skipped field (wavae refuses these). */
      hugeNumbers: boolean;
      dtypes: Set<string>;
      maxRank: number;
      metadataEntries: number;
    }
  | { ok: false; reason: string };

/** dtype name -> bits per element (Dtype::bitsize). */
const DTYPE_BITS: Record<string, bigint> = {
  BOOL: 8n, F4: 4n, F6_E2M3: 6n, F6_E3M2: 6n, U8: 8n, I8: 8n, F8_E5M2: 8n, F8_E4M3: 8n, F8_E8M0: 8n,
  F8_E4M3FNUZ: 8n, F8_E5M2FNUZ: 8n, I16: 16n, U16: 16n, F16: 16n, BF16: 16n, I32: 32n, U32: 32n,
  F32: 32n, C64: 64n, F64: 64n, I64: 64n, U64: 64n,
};
const MAX_HEADER_SIZE = 100_000_000n;
const U64_MAX = 2n ** 64n - 1n;
// serde_json: remaining_depth starts at 128, and the container that brings it to 0 is refused
const MAX_NESTING = 127;

type Json =
  | { kind: 'object'; entries: [string, Json][] }
  | { kind: 'array'; items: Json[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; raw: string }
  | { kind: 'literal'; value: boolean | null };

class Refused extends Error {}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function parseJson(text: string): { value: Json; hugeNumbers: boolean } {
  const space = /[ \t\n\r]*/y;
  const string = /"((?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*)"/y;
  const number = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const literal = /true|false|null/y;
  let pos = 0;
  let hugeNumbers = false;
  const match = (re: RegExp): RegExpExecArray | null => {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (m) pos = re.lastIndex;
    return m;
  };
  const skipSpace = (): void => void match(space);
  const readString = (): string => {
    const m = match(string);
    if (!m) throw new Refused(`expected a string at ${pos}`);
    const decoded = m[1].replace(/\\(?:u([0-9a-fA-F]{4})|(.))/g, (_, hex: string | undefined, c: string) => (hex ? String.fromCharCode(parseInt(hex, 16)) : ESCAPES[c]));
    if (/\p{Surrogate}/u.test(decoded)) throw new Refused('lone surrogate');
    return decoded;
  };
  const readValue = (depth: number): Json => {
    skipSpace();
    const c = text[pos];
    if (c === '{' || c === '[') {
      if (depth > MAX_NESTING) throw new Refused('recursion limit exceeded');
      pos++;
      skipSpace();
      const close = c === '{' ? '}' : ']';
      const entries: [string, Json][] = [];
      const items: Json[] = [];
      if (text[pos] === close) {
        pos++;
      } else {
        for (;;) {
          skipSpace();
          if (c === '{') {
            const key = readString();
            skipSpace();
            if (text[pos++] !== ':') throw new Refused(`expected ':' at ${pos - 1}`);
            entries.push([key, readValue(depth + 1)]);
          } else {
            items.push(readValue(depth + 1));
          }
          skipSpace();
          const next = text[pos++];
          if (next === close) break;
          if (next !== ',') throw new Refused(`expected ',' or '${close}' at ${pos - 1}`);
        }
      }
      return c === '{' ? { kind: 'object', entries } : { kind: 'array', items };
    }
    if (c === '"') return { kind: 'string', value: readString() };
    const lit = match(literal);
    if (lit) return { kind: 'literal', value: lit[0] === 'null' ? null : lit[0] === 'true' };
    const num = match(number);
    if (!num) throw new Refused(`expected a value at ${pos}`);
    const magnitude = Math.abs(Number(num[0]));
    if (!Number.isFinite(magnitude)) throw new Refused('number out of range');
    if (magnitude >= 1e308) hugeNumbers = true;
    return { kind: 'number', raw: num[0] };
  };
  const value = readValue(1);
  skipSpace();
  if (pos !== text.length) throw new Refused('trailing characters');
  return { value, hugeNumbers };
}

function usize(j: Json | undefined): bigint {
  if (!j || j.kind !== 'number' || !/^(0|[1-9][0-9]*)$/.test(j.raw)) throw new Refused('expected usize');
  const v = BigInt(j.raw);
  if (v > U64_MAX) throw new Refused('expected usize (past u64::MAX, read as a float)');
  return v;
}

interface Info {
  bits: bigint;
  dtype: string;
  shape: bigint[];
  begin: bigint;
  end: bigint;
}

function tensorInfo(j: Json): { info: Info; sequence: boolean } {
  let dtype: Json | undefined;
  let shape: Json | undefined;
  let offsets: Json | undefined;
  let sequence = false;
  if (j.kind === 'object') {
    const seen = new Set<string>();
    for (const [key, value] of j.entries) {
      if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') continue; // ignored field
      if (seen.has(key)) throw new Refused(`duplicate field ${key}`);
      seen.add(key);
      if (key === 'dtype') dtype = value;
      else if (key === 'shape') shape = value;
      else offsets = value;
    }
  } else if (j.kind === 'array') {
    if (j.items.length !== 3) throw new Refused('invalid length for TensorInfo');
    [dtype, shape, offsets] = j.items;
    sequence = true;
  } else {
    throw new Refused('expected struct TensorInfo');
  }
  if (!dtype || dtype.kind !== 'string' || !(dtype.value in DTYPE_BITS)) throw new Refused('dtype');
  if (!shape || shape.kind !== 'array') throw new Refused('shape');
  if (!offsets || offsets.kind !== 'array' || offsets.items.length !== 2) throw new Refused('data_offsets');
  return {
    info: { dtype: dtype.value, bits: DTYPE_BITS[dtype.value], shape: shape.items.map(usize), begin: usize(offsets.items[0]), end: usize(offsets.items[1]) },
    sequence,
  };
}

/** Whether the reference reader reads these bytes as a safetensors file, and why not. */
export function judge(bytes: Uint8Array): Verdict {
  try {
    if (bytes.length < 8) throw new Refused('HeaderTooSmall');
    const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
    if (n > MAX_HEADER_SIZE) throw new Refused('HeaderTooLarge');
    if (8n + n > BigInt(bytes.length)) throw new Refused('InvalidHeaderLength');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + Number(n)));
    } catch {
      throw new Refused('InvalidHeader (UTF-8)');
    }
    const { value: top, hugeNumbers } = parseJson(text);
    if (top.kind !== 'object') throw new Refused('expected struct HashMetadata');
    const tensors = new Map<string, Info>();
    let metadataSeen = false;
    let duplicateNames = false;
    let duplicateMetadataKeys = false;
    let sequenceEntries = false;
    let metadataEntries = 0;
    for (const [key, value] of top.entries) {
      if (key === '__metadata__') {
        if (metadataSeen) throw new Refused('duplicate field __metadata__');
        metadataSeen = true;
        if (value.kind === 'literal' && value.value === null) continue; // Option: None
        if (value.kind !== 'object') throw new Refused('__metadata__ must be a map');
        const keys = new Set<string>();
        for (const [k, v] of value.entries) {
          if (v.kind !== 'string') throw new Refused('metadata values must be strings');
          if (keys.has(k)) duplicateMetadataKeys = true;
          keys.add(k);
        }
        metadataEntries = keys.size;
        continue;
      }
      const { info, sequence } = tensorInfo(value);
      sequenceEntries ||= sequence;
      if (tensors.has(key)) duplicateNames = true; // HashMap::insert: the last one stays
      tensors.set(key, info);
    }
    // Metadata::validate over the tensors sorted by data_offsets
    const sorted = [...tensors.values()].sort((a, b) => (a.begin !== b.begin ? (a.begin < b.begin ? -1 : 1) : a.end < b.end ? -1 : a.end > b.end ? 1 : 0));
    let start = 0n;
    for (const t of sorted) {
      if (t.begin !== start || t.end < t.begin) throw new Refused('InvalidOffset');
      start = t.end;
      let count = 1n;
      for (const d of t.shape) {
        count *= d;
        if (count > U64_MAX) throw new Refused('ValidationOverflow');
      }
      const bits = count * t.bits;
      if (bits > U64_MAX) throw new Refused('ValidationOverflow');
      if (bits % 8n !== 0n) throw new Refused('MisalignedSlice');
      if (t.end - t.begin !== bits / 8n) throw new Refused('TensorInvalidInfo');
    }
    if (start + 8n + n !== BigInt(bytes.length)) throw new Refused('MetadataIncompleteBuffer');
    return {
      ok: true, tensors: tensors.size, duplicateNames, duplicateMetadataKeys, sequenceEntries, hugeNumbers,
      dtypes: new Set([...tensors.values()].map((t) => t.dtype)),
      maxRank: Math.max(0, ...[...tensors.values()].map((t) => t.shape.length)),
      metadataEntries,
    };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, reason: err.message };
    throw err;
  }
}

/** Whether a file the reference reads is also within what wavae states it reads (F32, unique names, its bounds). */
export function withinWavaeLimits(v: Verdict): boolean {
  return v.ok && !v.duplicateNames && !v.duplicateMetadataKeys && !v.sequenceEntries && !v.hugeNumbers
    && [...v.dtypes].every((d) => d === 'F32') && v.tensors <= 100_000 && v.maxRank <= 64 && v.metadataEntries <= 10_000;
}
