// Model-file fuzzing: 1,100 corrupted variants of a valid file (truncations, bit flips in header
// and data, header length past the file, overlapping and out-of-range offsets, wrong dtypes,
// giant shapes, invalid UTF-8 and JSON, duplicate names). Every variant is rejected with a
// WavaeError or, for data-only damage, loads as a valid model; nothing else, no hang, and the
// heap returns to where it was. Seeded: a failure replays with the same seed.
import { beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { getBackend } from '../src/backend/index.js';
import { Rng } from '../src/random.js';

let good: Uint8Array;
let headerLen: number;
let header: Record<string, any>;

function rebuild(h: unknown, data: Uint8Array, rawJson?: string): Uint8Array {
  const json = new TextEncoder().encode(rawJson ?? JSON.stringify(h));
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
};

describe('model-file fuzzing', () => {
  it('1,100 corrupted files: each a WavaeError or a valid model, the heap back where it was', () => {
    const be = getBackend();
    const before = be.allocatedFloats;
    const rng = new Rng(20261125);
    const names = Object.keys(MUTATORS);
    const tally: Record<string, { rejected: number; loaded: number }> = {};
    const codes: Record<string, number> = {};
    for (let trial = 0; trial < 1100; trial++) {
      const kind = names[trial % names.length];
      const bytes = MUTATORS[kind](rng);
      tally[kind] ??= { rejected: 0, loaded: 0 };
      try {
        const model = wv.load(bytes);
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
    const total = Object.values(tally).reduce((s, t) => s + t.rejected + t.loaded, 0);
    expect(total).toBe(1100);
    // structural damage is always refused; only data bit flips may load
    for (const [kind, t] of Object.entries(tally)) {
      if (!['data bit flip', 'header bit flip', 'metadata damage'].includes(kind)) expect(t.loaded, kind).toBe(0);
    }
    expect(Object.keys(codes).every((c) => ['CORRUPT_FILE', 'UNSUPPORTED_VERSION'].includes(c))).toBe(true);
    console.log('fuzz tally', JSON.stringify(tally), 'codes', JSON.stringify(codes));
  });
});
