// Model files: safetensors as PyTorch reads it, exact round trips, exact resume from a
// checkpoint, PyTorch state_dicts without metadata, and refusal of damaged files.
import { beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { Rng } from '../src/random.js';
import { expectError } from './helpers.js';

const rng = new Rng(21);
const x = Float32Array.from({ length: 40 * 12 }, () => rng.uniform());

function bitwiseEqual(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The header as the reference reader sees it: u64 little-endian length, then JSON. */
function header(bytes: Uint8Array): Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

describe('model files', () => {
  beforeAll(async () => {
    await wv.init({ backend: 'wasm' });
  });

  it('use PyTorch names and [out, in] layouts, with contiguous data as the safetensors loaders require', () => {
    const vae = new wv.VAE({ inputDim: 12, hiddenDims: [8, 6], latentDim: 3 });
    const bytes = vae.save();
    const h = header(bytes);
    const { __metadata__: meta, ...tensors } = h as Record<string, never>;
    expect(Object.keys(tensors).sort()).toEqual([
      'decoder.0.bias', 'decoder.0.weight', 'decoder.1.bias', 'decoder.1.weight', 'decoder.2.bias', 'decoder.2.weight',
      'encoder.0.bias', 'encoder.0.weight', 'encoder.1.bias', 'encoder.1.weight',
      'logvar.bias', 'logvar.weight', 'mean.bias', 'mean.weight',
    ]);
    const t = tensors as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    expect(t['encoder.0.weight'].shape).toEqual([8, 12]);
    expect(t['encoder.1.weight'].shape).toEqual([6, 8]);
    expect(t['mean.weight'].shape).toEqual([3, 6]);
    expect(t['decoder.0.weight'].shape).toEqual([6, 3]);
    expect(t['decoder.2.weight'].shape).toEqual([12, 8]);
    expect(t['decoder.2.bias'].shape).toEqual([12]);
    const ranges = Object.values(t).map((e) => e.data_offsets).sort((a, b) => a[0] - b[0]);
    expect(ranges[0][0]).toBe(0);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBe(ranges[i - 1][1]);
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(8 + headerLen + ranges[ranges.length - 1][1]).toBe(bytes.length);
    expect((8 + headerLen) % 8).toBe(0);
    expect(meta).toMatchObject({ format: 'wavae', format_version: '1', model: 'vae' });
    expect(Object.values(t).every((e) => e.dtype === 'F32')).toBe(true);
    vae.dispose();
  });

  it('round trip: load(save()) gives the same parameters and bitwise the same outputs', async () => {
    for (const model of [
      new wv.VAE({ inputDim: 12, hiddenDims: [8], latentDim: 3, likelihood: 'gaussian', seed: 5 }),
      new wv.Autoencoder({ inputDim: 12, hiddenDims: [8], latentDim: 4, loss: 'bce', denoise: { type: 'mask', prob: 0.2 }, weightDecay: 1e-4 }),
    ]) {
      await model.fit(x, { epochs: 2, batchSize: 16 });
      const again = wv.load(model.save());
      expect(again.kind).toBe(model.kind);
      expect(again.config()).toEqual(model.config());
      expect(again.epochsTrained).toBe(2);
      const [p, q] = [model.parameters(), again.parameters()];
      for (const name of Object.keys(p)) expect(bitwiseEqual(p[name], q[name])).toBe(true);
      expect(bitwiseEqual(model.reconstruct(x).data, again.reconstruct(x).data)).toBe(true);
      model.dispose();
      again.dispose();
    }
  });

  it('resume: 2 epochs, save with optimizer state, load, 2 more epochs equals 4 epochs straight', async () => {
    const opts = { inputDim: 12, hiddenDims: [8], latentDim: 3, seed: 7 };
    const fitOpts = { batchSize: 16, optimizer: { type: 'adam' as const, lr: 3e-3 } };
    const straight = new wv.VAE(opts);
    await straight.fit(x, { ...fitOpts, epochs: 4 });
    const first = new wv.VAE(opts);
    await first.fit(x, { ...fitOpts, epochs: 2 });
    const resumed = wv.load(first.save({ optimizer: true }));
    await resumed.fit(x, { ...fitOpts, epochs: 2 });
    expect(resumed.epochsTrained).toBe(4);
    const [a, b] = [straight.parameters(), resumed.parameters()];
    for (const name of Object.keys(a)) expect(bitwiseEqual(a[name], b[name])).toBe(true);
    // without the optimizer state the run differs: the test can tell
    const fresh = wv.load(first.save());
    await fresh.fit(x, { ...fitOpts, epochs: 2 });
    expect(bitwiseEqual(fresh.parameters()['mean.weight'], a['mean.weight'])).toBe(false);
    for (const m of [straight, first, resumed, fresh]) m.dispose();
  });

  it('a PyTorch state_dict (no wavae metadata) loads as is, the architecture read off the shapes', () => {
    const vae = new wv.VAE({ inputDim: 12, hiddenDims: [8], latentDim: 3, seed: 8 });
    const p = vae.parameters();
    const stateDict: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const t of vae.layout.tensors) stateDict[t.name] = { shape: [...t.shape], data: p[t.name] };
    const loaded = wv.load(wv.encodeSafetensors(stateDict, {}));
    expect(loaded.kind).toBe('vae');
    expect(loaded.config()).toMatchObject({ inputDim: 12, hiddenDims: [8], latentDim: 3, likelihood: 'bernoulli' });
    expect(bitwiseEqual((loaded as wv.VAE).decode(wv.matrix(1, 3)).data, vae.decode(wv.matrix(1, 3)).data)).toBe(true);
    vae.dispose();
    loaded.dispose();
  });

  it('refuses damaged files with an error that names what is wrong, never a crash', () => {
    const vae = new wv.VAE({ inputDim: 6, hiddenDims: [4], latentDim: 2 });
    const good = vae.save();
    expectError(() => wv.load(good.subarray(0, 5)), 'CORRUPT_FILE', /too short/);
    expectError(() => wv.load(good.subarray(0, good.length - 4)), 'CORRUPT_FILE', /truncated/);
    const bigHeader = good.slice();
    new DataView(bigHeader.buffer).setBigUint64(0, 1n << 40n, true);
    expectError(() => wv.load(bigHeader), 'CORRUPT_FILE', /header length/);
    const edit = (fn: (h: Record<string, any>) => void): Uint8Array => {
      const h = header(good) as Record<string, any>;
      fn(h);
      const headerLen = Number(new DataView(good.buffer).getBigUint64(0, true));
      const data = good.subarray(8 + headerLen);
      const json = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(8 + json.length + data.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      out.set(data, 8 + json.length);
      return out;
    };
    expectError(() => wv.load(edit((h) => { h['mean.weight'].dtype = 'F16'; })), 'CORRUPT_FILE', /'mean.weight' has dtype "F16"/);
    expectError(() => wv.load(edit((h) => { h['mean.weight'].shape = [4, 2]; })), 'CORRUPT_FILE', /'mean.weight' has shape \[4, 2\], the architecture needs \[2, 4\]/);
    const { tensors, metadata } = wv.decodeSafetensors(good);
    delete tensors['logvar.bias'];
    expectError(() => wv.load(wv.encodeSafetensors(tensors, metadata)), 'CORRUPT_FILE', /no tensor 'logvar.bias'/);
    expectError(() => wv.load(edit((h) => { h.__metadata__.format_version = '99'; })), 'UNSUPPORTED_VERSION', /version 99 is newer/);
    expectError(() => wv.load(edit((h) => { h.__metadata__.config = '{'; })), 'CORRUPT_FILE', /config/);
    expectError(() => wv.load(edit((h) => { h['mean.bias'].data_offsets = [0, 8]; })), 'CORRUPT_FILE', /overlap/);
    const nan = good.slice();
    const headerLen = Number(new DataView(good.buffer).getBigUint64(0, true));
    new DataView(nan.buffer).setFloat32(8 + headerLen, NaN, true);
    expectError(() => wv.load(nan), 'CORRUPT_FILE', /is NaN/);
    expectError(() => wv.load('model.safetensors' as never), 'INVALID_OPTION', /Uint8Array/);
    vae.dispose();
  });

  it('random corruption of a file gives a WavaeError or a valid model, never anything else (300 mutations)', () => {
    const vae = new wv.VAE({ inputDim: 6, hiddenDims: [4], latentDim: 2 });
    const good = vae.save();
    const r = new Rng(99);
    let refused = 0;
    for (let trial = 0; trial < 300; trial++) {
      const bad = good.slice(0, trial % 3 === 0 ? r.int(good.length) : good.length);
      for (let k = 0; k < 1 + r.int(4); k++) if (bad.length) bad[r.int(Math.min(bad.length, 400))] = r.int(256);
      try {
        wv.load(bad).dispose();
      } catch (err) {
        expect(err).toBeInstanceOf(wv.WavaeError);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(100);
    vae.dispose();
  });
});
