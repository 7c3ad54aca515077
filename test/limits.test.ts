// The library's bounds on sizes asked for by options, checked before any work (a result of more
// than MAX_RESULT_VALUES values, importance samples, epochs), and its rule for non-finite results:
// finite inputs that overflow float32 inside a model are a NON_FINITE_OUTPUT error naming the
// row, from every inference method, never a silent NaN.
import { beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { MAX_RESULT_VALUES } from '../src/models/model.js';
import { expectError } from './helpers.js';

describe('sizes from options are bounded before any work', () => {
  beforeAll(async () => {
    await wv.init();
  });

  it('sample, interpolate, traverse: results past 2^28 values are OUT_OF_MEMORY naming the option, at once', () => {
    const vae = new wv.VAE({ inputDim: 784, hiddenDims: [8], latentDim: 2, seed: 1 });
    const ae = new wv.Autoencoder({ inputDim: 784, hiddenDims: [8], latentDim: 2, seed: 1 });
    const t0 = performance.now();
    expectError(() => vae.sample(1e9), 'OUT_OF_MEMORY', /sample: n = 1000000000 rows of 784 values would be 2920.6 GiB; .* at most 342392 rows here/);
    expectError(() => vae.interpolate([0, 0], [1, 1], 1e9), 'OUT_OF_MEMORY', /interpolate: steps = 1000000000/);
    expectError(() => vae.traverse([0, 0], 1, { steps: 1e8 }), 'OUT_OF_MEMORY', /traverse: steps = 100000000/);
    expectError(() => ae.interpolate([0, 0], [1, 1], 1e9), 'OUT_OF_MEMORY', /interpolate: steps/);
    expectError(() => ae.traverse([0, 0], 1, { steps: 1e8 }), 'OUT_OF_MEMORY', /traverse: steps/);
    expect(performance.now() - t0).toBeLessThan(2000); // refused before allocating anything large
    const rows = Math.floor(MAX_RESULT_VALUES / 784);
    expectError(() => vae.decode(new Float32Array((rows + 1) * 2)), 'OUT_OF_MEMORY', /decode: rows = 342393/);
    vae.dispose();
    ae.dispose();
  });

  it('logLikelihood samples and fit epochs have stated maxima', async () => {
    const vae = new wv.VAE({ inputDim: 4, hiddenDims: [3], latentDim: 2, seed: 1 });
    const x = new Float32Array(8).fill(0.5);
    expectError(() => vae.logLikelihood(x, { samples: 1e9 }), 'INVALID_OPTION', /samples must be an integer in \[1, 1000000\], got 1000000000/);
    await expect(vae.fit(x, { epochs: 1e12 })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/epochs must be an integer in \[1, 1000000\]/) });
    vae.dispose();
  });
});

describe('finite inputs that overflow float32 inside a model', () => {
  for (const backend of ['wasm', 'js'] as const) {
    it(`are NON_FINITE_OUTPUT naming the row, from every inference method (${backend})`, async () => {
      await wv.init({ backend });
      // a Gaussian decoder returns its linear outputs (a Bernoulli one's sigmoid saturates at 1)
      const vae = new wv.VAE({ inputDim: 784, hiddenDims: [16], latentDim: 2, likelihood: 'gaussian', seed: 1 });
      const ae = new wv.Autoencoder({ inputDim: 784, hiddenDims: [16], latentDim: 2, seed: 1 });
      for (const m of [vae, ae]) { // weights of 1: a row of 3e38, or codes of 1e38, sum past float32's largest value
        const p = m.parameters();
        m.setParameters(Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.map(() => (k === 'output.logvar' ? 0 : 1))])));
      }
      const x = new Float32Array(3 * 784); // rows 0 and 1 of zeros stay finite
      x.fill(3e38, 2 * 784, 3 * 784); // row 2: finite, but its sums overflow
      const z = Float32Array.from([0, 0, 1e38, 1e38]);
      for (const [call, where] of [
        [() => vae.encode(x), /encode: mean: row 2 gives/], [() => vae.codes(x), /encode: mean: row 2/], [() => vae.reconstruct(x), /encode: mean: row 2/],
        [() => vae.evaluate(x), /evaluate: .*row 2/], [() => vae.logLikelihood(x.subarray(784), { samples: 4 }), /row 1/],
        [() => vae.decode(z), /decode: row 1 gives/], [() => vae.traverse([0, 0], 0, { range: 1e38 }), /decode: row 5 gives/],
        [() => ae.encode(x), /encode: row 2 gives/], [() => ae.reconstruct(x), /encode: row 2/], [() => ae.evaluate(x), /evaluate: .*row 2/],
        [() => ae.decode(z), /decode: row 1 gives/],
      ] as [() => unknown, RegExp][]) {
        expect(() => expectError(call, 'NON_FINITE_OUTPUT', where), String(call)).not.toThrow();
      }
      // the same calls on rows that stay finite are fine
      expect(() => vae.evaluate(x.subarray(0, 2 * 784))).not.toThrow();
      expect(() => ae.reconstruct(x.subarray(0, 2 * 784))).not.toThrow();
      vae.dispose();
      ae.dispose();
    });
  }
});

describe('files that never end or block', () => {
  it('loadFile refuses devices and directories before reading', async () => {
    await wv.init();
    await expect(wv.loadFile('/dev/zero')).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/\/dev\/zero: it is a character device; give a regular file/) });
    await expect(wv.loadFile('/tmp')).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/it is a directory/) });
  });
});
