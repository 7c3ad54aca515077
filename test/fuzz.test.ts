// Model-file fuzzing: 2,296 variants of a valid file. Damage (truncations, bit flips in header
// and data, header length past the file, overlapping and out-of-range offsets, wrong dtypes,
// giant shapes, invalid UTF-8 and JSON, duplicate names) and what the safetensors reference
// reader refuses or reads differently from JSON.parse (bytes after the last tensor, gaps, a first
// tensor not at 0, overflowing shapes, 1.0 and -0 as integers, a BOM, names, fields and
// __metadata__ given twice by other spellings, what serde_json refuses in skipped fields), and
// files that it reads (escaped spellings, whitespace, __metadata__: null, other layouts). Every
// variant is refused with a WavaeError or loads as a valid model; nothing else, no hang, and the
// heap returns to where it was. Each is also judged by the reference's rules (safetensors-rules.ts):
// wavae decodes no file that the reference refuses, and decodes every file that it reads within
// wavae's stated limits. Seeded: a failure replays with the same seed. WAVAE_FUZZ_DUMP=dir writes
// every variant and both verdicts to dir (to run them through the reference crate itself).
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as wv from '../src/node.js';
import { getBackend } from '../src/backend/index.js';
import { Rng } from '../src/random.js';
import { judge, withinWavaeLimits } from './safetensors-rules.js';

let good: Uint8Array;
let headerLen: number;
let header: Record<string, any>;

function rebuild(h: unknown, data: Uint8Array, rawJson?: string): Uint8Array {
  // "#text#" strings stand for raw JSON text (numbers spelled as the case needs)
  const json = new TextEncoder().encode(rawJson ?? JSON.stringify(h).replace(/"#([^"#]*)#"/g, '$1'));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

beforeAll(async () => {
  await wv.init();
  const vae = new wv.VAE({ inputDim: 12, hiddenDims: [6], latentDim: 3, seed: 4 });
  good = vae.save({ optimizer: false });
  vae.dispose();
  headerLen = Number(new DataView(good.buffer).getBigUint64(0, true));
  header = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + headerLen)));
});

type Mutator = (r: Rng) => Uint8Array;

const tensorNames = (): string[] => Object.keys(header).filter((k) => k !== '__metadata__');
const pick = <T>(r: Rng, xs: T[]): T => xs[r.int(xs.length)];
const data = (): Uint8Array => good.subarray(8 + headerLen);
const clone = (): Record<string, any> => JSON.parse(JSON.stringify(header));

/** The tensors' bytes by name (data order = header order in a file wavae wrote). */
function contents(h: Record<string, any>): Record<string, Uint8Array> {
  const d = data();
  return Object.fromEntries(tensorNames().map((t) => [t, d.slice(h[t].data_offsets[0], h[t].data_offsets[1])]));
}

/** Lays the given bytes out contiguously from 0 in the order of `order`, setting h's offsets; returns the data section. */
function relayout(h: Record<string, any>, bytes: Record<string, Uint8Array>, order = Object.keys(bytes)): Uint8Array {
  const out = new Uint8Array(order.reduce((s, t) => s + bytes[t].length, 0));
  let at = 0;
  for (const t of order) {
    h[t].data_offsets = [at, at + bytes[t].length];
    out.set(bytes[t], at);
    at += bytes[t].length;
  }
  return out;
}

/** A JSON string literal of s with some letters, digits, '_' and '.' written as \\uXXXX escapes (the same string once decoded). */
function spell(r: Rng, s: string): string {
  const chars = [...s].map((c) => (/[A-Za-z0-9_.]/.test(c) && r.int(3) === 0 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : JSON.stringify(c).slice(1, -1)));
  return `"${chars.join('')}"`;
}

/** The header's JSON with every key and string spelled by `key`, in the original order. */
function spelled(h: Record<string, any>, key: (s: string) => string): string {
  const value = (v: unknown): string => {
    if (typeof v === 'string') return key(v);
    if (Array.isArray(v)) return `[${v.map(value).join(',')}]`;
    if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${key(k)}:${value(x)}`).join(',')}}`;
    return JSON.stringify(v);
  };
  return value(h);
}

const withHeaderLength = (bytes: Uint8Array, n: bigint): Uint8Array => {
  const b = bytes.slice();
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
};

const MUTATORS: Record<string, Mutator> = {
  truncate: (r) => good.slice(0, r.int(good.length)),
  'header bit flip': (r) => {
    const b = good.slice();
    for (let k = 0; k <= r.int(3); k++) b[8 + r.int(headerLen)] ^= 1 << r.int(8);
    return b;
  },
  'data bit flip': (r) => {
    const b = good.slice();
    for (let k = 0; k <= r.int(3); k++) b[8 + headerLen + r.int(b.length - 8 - headerLen)] ^= 1 << r.int(8);
    return b;
  },
  'header length past the file': (r) => {
    const b = good.slice();
    new DataView(b.buffer).setBigUint64(0, BigInt(good.length + r.int(1 << 30)), true);
    return b;
  },
  'header length random': (r) => {
    const b = good.slice();
    new DataView(b.buffer).setBigUint64(0, BigInt(r.nextU32()) * BigInt(r.nextU32()), true);
    return b;
  },
  'overlapping offsets': (r) => {
    const h = clone();
    const [a, b] = [pick(r, tensorNames()), pick(r, tensorNames())];
    const len = h[a].data_offsets[1] - h[a].data_offsets[0];
    h[a].data_offsets = [h[b].data_offsets[0] + 4, h[b].data_offsets[0] + 4 + len];
    return rebuild(h, data());
  },
  'out-of-range offsets': (r) => {
    const h = clone();
    const t = pick(r, tensorNames());
    const shift = 4 * (1 + r.int(1 << 20));
    h[t].data_offsets = [h[t].data_offsets[0] + shift, h[t].data_offsets[1] + shift];
    return rebuild(h, data());
  },
  'negative or inverted offsets': (r) => {
    const h = clone();
    const t = pick(r, tensorNames());
    h[t].data_offsets = r.int(2) ? [-4, h[t].data_offsets[1]] : [h[t].data_offsets[1], h[t].data_offsets[0]];
    return rebuild(h, data());
  },
  'wrong dtype': (r) => {
    const h = clone();
    h[pick(r, tensorNames())].dtype = pick(r, ['F16', 'BF16', 'F64', 'I32', 'U8', 'f32', '', 7]);
    return rebuild(h, data());
  },
  'giant shape': (r) => {
    const h = clone();
    h[pick(r, tensorNames())].shape = [1e9 + r.int(1000), 1e9, ...(r.int(2) ? [1e9] : [])];
    return rebuild(h, data());
  },
  'wrong shape': (r) => {
    const h = clone();
    const t = pick(r, tensorNames());
    const shape: number[] = h[t].shape;
    // the same number of values in another shape: only the architecture check can tell
    h[t].shape = shape.length === 2 && shape[0] !== shape[1] && r.int(2) ? [shape[1], shape[0]] : [...shape, 1];
    return rebuild(h, data());
  },
  'invalid UTF-8': (r) => {
    const b = good.slice();
    b[8 + r.int(headerLen)] = 0xff;
    return b;
  },
  'invalid JSON': (r) => {
    const text = JSON.stringify(header);
    const at = 1 + r.int(text.length - 2);
    // cut short, or a stray character after the object: never valid JSON
    return rebuild(null, data(), r.int(2) ? text.slice(0, at) : text + pick(r, ['}', ',', ']', '"', 'x']));
  },
  'duplicate names': (r) => {
    const t = pick(r, tensorNames());
    const text = JSON.stringify(header);
    const entry = `"${t}":${JSON.stringify(header[t])}`;
    return rebuild(null, data(), text.replace(entry, `${entry},${entry}`));
  },
  'metadata damage': (r) => {
    const h = clone();
    const key = pick(r, ['config', 'format_version', 'model', 'epochs_trained']);
    h.__metadata__[key] = pick(r, ['', '{}', '[]', 'null', '-1', '2', 'vae', '{"inputDim":1e9}', '{"inputDim":12,"hiddenDims":[6],"latentDim":4}']);
    return rebuild(h, data());
  },
  'missing or extra tensor': (r) => {
    const h = clone();
    if (r.int(2)) delete h[pick(r, tensorNames())];
    else h['extra.weight'] = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
    return rebuild(h, data());
  },
  // what the reference reader refuses and a lenient reader would take
  'bytes after the last tensor': (r) => {
    const b = new Uint8Array(good.length + 1 + r.int(16));
    b.set(good);
    return b;
  },
  'gap between tensors': (r) => {
    const h = clone();
    const names = tensorNames(); // in data order: wavae writes the header in that order
    const at = 1 + r.int(names.length - 1);
    const by = 4 * (1 + r.int(4));
    const cut = h[names[at]].data_offsets[0];
    for (const t of names.slice(at)) h[t].data_offsets = h[t].data_offsets.map((o: number) => o + by);
    const d = new Uint8Array(data().length + by);
    d.set(data().subarray(0, cut));
    d.set(data().subarray(cut), cut + by);
    return rebuild(h, d);
  },
  'first tensor not at 0': (r) => {
    const h = clone();
    const by = 4 * (1 + r.int(4));
    for (const t of tensorNames()) h[t].data_offsets = h[t].data_offsets.map((o: number) => o + by);
    const d = new Uint8Array(by + data().length);
    d.set(data(), by);
    return rebuild(h, d);
  },
  'shape products that overflow or are empty': (r) => {
    const h = clone();
    const t = pick(r, tensorNames());
    // the first three overflow 64 bits on the way (refused); the others have no elements and do not
    h[t].shape = pick(r, [
      ['#4294967296#', '#4294967296#', 0], ['#18446744073709551616#', 0], ['#576460752303423488#'], ['#2#', '#9223372036854775807#'],
      [0, '#4294967296#', '#4294967296#'], ['#1099511627776#', '#1048576#', 0], ['#18446744073709551615#', 0], [0],
    ]);
    const count = h[t].shape.some((d: unknown) => d === 0) ? 0 : 1;
    const bytes = contents(h);
    if (count === 0) bytes[t] = new Uint8Array(0);
    return rebuild(h, relayout(h, bytes));
  },
  'numbers spelled as floats or with signs': (r) => {
    const h = clone();
    const t = pick(r, tensorNames());
    const field = pick(r, ['shape', 'data_offsets']);
    const i = r.int(h[t][field].length);
    const v: number = h[t][field][i];
    // all but the last two are refused: serde reads them as floats (or not at all)
    h[t][field][i] = `#${pick(r, [`${v}.0`, `${v}e0`, `${v}E+0`, `${v}.000`, v === 0 ? '-0' : `-${v}`, `0${v}`, `${v}.5`, `${v}e-0`, ` ${v}  `, `${v}`])}#`;
    return rebuild(h, data());
  },
  'BOM and whitespace around the header': (r) => {
    const text = JSON.stringify(header);
    // a BOM, U+00A0, U+FEFF or U+2028 is not JSON whitespace (refused); the last two are (read)
    const [before, after] = pick(r, [['\ufeff', ''], ['\u00a0', ''], ['', '\ufeff'], ['\u2028', ''], [' \t\r\n', ''], ['', ' \n\t\r ']]);
    return rebuild(null, data(), `${before}${text}${after}`);
  },
  'a name, field or __metadata__ twice by another spelling': (r) => {
    const h = clone();
    const names = tensorNames();
    const t = pick(r, names);
    const esc = (s: string): string => spell(r, s);
    const variant = r.int(4);
    if (variant === 0) {
      // a second tensor of an existing name, its bytes appended: the last one would win in JSON.parse
      const bytes = contents(h);
      const d = relayout(h, bytes);
      const len = bytes[t].length;
      const second = `${spell(r, t)}:{${esc('dtype')}:"F32",${esc('shape')}:${JSON.stringify(h[t].shape)},${esc('data_offsets')}:[${d.length},${d.length + len}]}`;
      const more = new Uint8Array(d.length + len);
      more.set(d);
      return rebuild(null, more, `${JSON.stringify(h).slice(0, -1)},${second}}`);
    }
    if (variant === 1) {
      const text = JSON.stringify(h);
      return rebuild(null, data(), `{${esc('__metadata__')}:{},${text.slice(1)}`);
    }
    if (variant === 2) {
      // a field of a tensor twice (serde: "duplicate field")
      const field = pick(r, ['dtype', 'shape', 'data_offsets']);
      const entry = `"${t}":${JSON.stringify(h[t])}`;
      return rebuild(null, data(), JSON.stringify(h).replace(entry, `${entry.slice(0, -1)},${esc(field)}:${JSON.stringify(h[t][field])}}`));
    }
    // a metadata key twice (the reference keeps the last; wavae refuses)
    const key = pick(r, Object.keys(h.__metadata__));
    const text = JSON.stringify(h);
    return rebuild(null, data(), text.replace('"__metadata__":{', `"__metadata__":{${esc(key)}:${JSON.stringify(h.__metadata__[key])},`));
  },
  'what serde_json refuses in a skipped field': (r) => {
    const h = clone();
    const t = pick(r, tensorNames());
    // nesting: the tensor entry is at depth 2, so 125 more arrays is serde_json's limit of 127
    const k = pick(r, [100, 125, 126, 140]);
    const extra = pick(r, [
      '['.repeat(k) + ']'.repeat(k), '{"a":'.repeat(k) + '1' + '}'.repeat(k), '1e400', '-1e400', '1e307', '"\\ud800"', '"\\udc00x"',
      '"\\ud83d\\ude00"', '{"a":1,"a":2}', '[1,2,{"x":null}]', 'tru', '01', '"\\x"', '[1,]', 'null',
    ]);
    const entry = `"${t}":${JSON.stringify(h[t])}`;
    return rebuild(null, data(), JSON.stringify(h).replace(entry, `${entry.slice(0, -1)},"${pick(r, ['x', 'dtypes', '__metadata__'])}":${extra}}`));
  },
  // files the reference reads: each must load
  'escaped spellings of names, fields and metadata': (r) => rebuild(null, data(), spelled(clone(), (s) => spell(r, s))),
  'other layouts of the same tensors': (r) => {
    const h = clone();
    const bytes = contents(h);
    const order = tensorNames();
    for (let i = order.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const d = relayout(h, bytes, order);
    // header entries in yet another order, with whitespace between tokens
    const keys = Object.keys(h).sort(() => (r.int(2) ? 1 : -1));
    return rebuild(null, d, `{ ${keys.map((k) => `${JSON.stringify(k)} : ${JSON.stringify(h[k])}`).join(' ,\n ')} }`);
  },
  '__metadata__ null, odd or with "data_offsets"': (r) => {
    const h = clone();
    const variant = r.int(4);
    if (variant === 0) h.__metadata__ = null; // read as no metadata: the shapes tell the architecture
    else if (variant === 1) h.__metadata__.note = 'data_offsets';
    else if (variant === 2) h.__metadata__ = pick(r, [[], 'x', 1, { config: 7 }]); // refused: a map of strings or null
    else delete h.__metadata__;
    return rebuild(h, data());
  },
  'header length over 100,000,000': (r) => withHeaderLength(good, 100_000_001n + BigInt(r.int(1 << 20))),
};

describe('model-file fuzzing', () => {
  it('2,296 variants: each a WavaeError or a valid model, read as the reference reads it, the heap back where it was', () => {
    const be = getBackend();
    const before = be.allocatedFloats;
    const rng = new Rng(20261125);
    const names = Object.keys(MUTATORS);
    const trials = 82 * names.length;
    const tally: Record<string, { rejected: number; loaded: number }> = {};
    const codes: Record<string, number> = {};
    // wavae's safetensors reader against the reference's rules, file by file
    const agreement = { bothRead: 0, bothRefuse: 0, referenceOnly: 0 };
    const referenceOnly: Record<string, number> = {};
    const dump = process.env.WAVAE_FUZZ_DUMP;
    const verdicts: unknown[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const kind = names[trial % names.length];
      const bytes = MUTATORS[kind](rng);
      tally[kind] ??= { rejected: 0, loaded: 0 };
      const verdict = judge(bytes);
      let decoded = true;
      try {
        wv.decodeSafetensors(bytes);
      } catch (err) {
        if (!(err instanceof wv.WavaeError)) throw new Error(`trial ${trial} (${kind}): ${String(err)}`);
        decoded = false;
      }
      let metadataRead = true;
      try {
        wv.readMetadata(bytes);
      } catch {
        metadataRead = false;
      }
      expect(metadataRead, `trial ${trial} (${kind}): readMetadata and decodeSafetensors agree`).toBe(decoded);
      if (decoded) expect(verdict, `trial ${trial} (${kind}): wavae decodes a file the reference refuses`).toMatchObject({ ok: true });
      if (withinWavaeLimits(verdict)) expect(decoded, `trial ${trial} (${kind}): the reference reads it and it is within wavae's limits`).toBe(true);
      if (decoded) agreement.bothRead++;
      else if (!verdict.ok) agreement.bothRefuse++;
      else {
        agreement.referenceOnly++;
        const why = verdict.duplicateNames ? 'duplicate names' : verdict.duplicateMetadataKeys ? 'duplicate metadata keys'
          : [...verdict.dtypes].some((d) => d !== 'F32') ? 'dtype other than F32' : 'other';
        referenceOnly[why] = (referenceOnly[why] ?? 0) + 1;
      }
      if (dump) {
        fs.writeFileSync(path.join(dump, `${trial}.safetensors`), bytes);
        verdicts.push({ trial, kind, rules: verdict.ok, wavae: decoded });
      }
      try {
        const model = wv.load(bytes);
        expect(decoded).toBe(true);
        // a variant that loads must be a usable model with finite parameters
        for (const v of Object.values(model.parameters())) expect(v.every(Number.isFinite)).toBe(true);
        model.dispose();
        tally[kind].loaded++;
      } catch (err) {
        if (!(err instanceof wv.WavaeError)) throw new Error(`trial ${trial} (${kind}): ${String(err)}`);
        codes[err.code] = (codes[err.code] ?? 0) + 1;
        tally[kind].rejected++;
      }
      expect(be.allocatedFloats).toBe(before);
    }
    if (dump) fs.writeFileSync(path.join(dump, 'verdicts.json'), JSON.stringify(verdicts));
    const total = Object.values(tally).reduce((s, t) => s + t.rejected + t.loaded, 0);
    expect(total).toBe(trials);
    // structural damage is always refused; data bit flips, metadata edits and files the reference reads may load
    const mayLoad = ['data bit flip', 'header bit flip', 'metadata damage', 'BOM and whitespace around the header', 'numbers spelled as floats or with signs',
      'what serde_json refuses in a skipped field', '__metadata__ null, odd or with "data_offsets"'];
    for (const [kind, t] of Object.entries(tally)) {
      if (!mayLoad.includes(kind) && !kind.startsWith('escaped spellings') && !kind.startsWith('other layouts')) expect(t.loaded, kind).toBe(0);
    }
    // and what the reference reads loads, whatever the spelling or layout
    expect(tally['escaped spellings of names, fields and metadata'].rejected).toBe(0);
    expect(tally['other layouts of the same tensors'].rejected).toBe(0);
    expect(Object.keys(codes).every((c) => ['CORRUPT_FILE', 'UNSUPPORTED_VERSION'].includes(c))).toBe(true);
    console.log('fuzz tally', JSON.stringify(tally), 'codes', JSON.stringify(codes), 'against the reference rules', JSON.stringify(agreement), 'read by the reference only', JSON.stringify(referenceOnly));
  });
});
