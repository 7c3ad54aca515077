// Anomaly scores (issue 15): score() per row against independent computations (the decoder NLL at
// the posterior mean in float64, the -ELBO of gradients() with the row's own eps, -logLikelihood,
// the autoencoder's evaluate()), a row's score independent of its batch, calibrate() as NumPy's
// quantile, the threshold kept in the file, isAnomaly(), the backends agreeing, and bad options.
import { beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { Rng } from '../src/random.js';
import { rowSeed, quantileOf } from '../src/models/scores.js';
import { deriveSeed } from '../src/random.js';
import { encodeSafetensors, decodeSafetensors } from '../src/io/safetensors.js';
import { expectError } from './helpers.js';

const D = 12;
const L = 3;

/** n rows in [0, 1] with structure (two prototypes and noise), seeded. */
function data(n: number, seed: number): wv.Matrix {
  const rng = new Rng(seed);
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) x[i * D + j] = Math.min(1, Math.max(0, ((i % 2 === 0) === (j < D / 2) ? 0.8 : 0.2) + 0.1 * rng.normal()));
  return wv.matrix(n, D, x);
}

const row = (x: wv.Matrix, i: number): wv.Matrix => wv.matrix(1, x.cols, x.data.slice(i * x.cols, (i + 1) * x.cols));

let vae: wv.VAE;
let ae: wv.Autoencoder;
let train: wv.Matrix;

beforeAll(async () => {
  await wv.init();
  train = data(256, 1);
  vae = new wv.VAE({ inputDim: D, hiddenDims: [16], latentDim: L, seed: 3 });
  await vae.fit(train, { epochs: 20, batchSize: 32, optimizer: { type: 'adam', lr: 1e-2 } });
  ae = new wv.Autoencoder({ inputDim: D, hiddenDims: [16], latentDim: L, loss: 'bce', seed: 3 });
  await ae.fit(train, { epochs: 20, batchSize: 32, optimizer: { type: 'adam', lr: 1e-2 } });
});

describe('score(): one number per row, each checked against an independent computation', () => {
  it("'reconstruction' of a VAE is the Bernoulli NLL of the row at decode(mean), in float64", () => {
    const x = data(9, 2);
    const scores = vae.score(x, { method: 'reconstruction' });
    const p = vae.reconstruct(x);
    for (let i = 0; i < x.rows; i++) {
      let nll = 0;
      for (let j = 0; j < D; j++) {
        const t = x.data[i * D + j];
        const q = p.data[i * D + j];
        nll -= t * Math.log(q) + (1 - t) * Math.log(1 - q);
      }
      expect(scores[i]).toBeCloseTo(nll, 3);
    }
  });

  it("'elbo' of a row is the -ELBO that gradients() reports for that row and its own eps", () => {
    const x = data(7, 3);
    const seed = 42;
    const scores = vae.score(x, { method: 'elbo', seed });
    for (let i = 0; i < x.rows; i++) {
      const eps = new Float32Array(L);
      new Rng(rowSeed(seed, x, i, null)).fillNormal(eps, 0, L);
      const g = vae.gradients(row(x, i), { eps: wv.matrix(1, L, eps) });
      expect(Math.abs(scores[i] - (g.reconstruction + g.kl))).toBeLessThan(1e-4 * Math.max(1, scores[i]));
    }
  });

  it("'iw' is -logLikelihood with the row's seed, and lower than 'elbo' on average (the tighter bound)", () => {
    const x = data(200, 4);
    const iw = vae.score(x, { method: 'iw', samples: 100, seed: 7 });
    for (const i of [0, 5, 15]) expect(iw[i]).toBe(-vae.logLikelihood(row(x, i), { samples: 100, seed: rowSeed(7, x, i, null) })[0]);
    const elbo = vae.score(x, { method: 'elbo', seed: 7 });
    const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(iw)).toBeLessThan(mean(elbo));
  });

  it("an autoencoder's score is its loss per row: the mean is evaluate()'s loss", () => {
    const x = data(33, 5);
    const scores = ae.score(x);
    expect(scores.reduce((s, v) => s + v, 0) / x.rows).toBeCloseTo(ae.evaluate(x).loss, 4);
  });

  it('a row scores the same alone, in any batch and in any order (its draws follow from its values; 1e-6: float32 sums of another batch size)', () => {
    const x = data(300, 6); // more rows than one inference chunk of 256
    for (const method of ['elbo', 'reconstruction', 'iw'] as const) {
      const opts = method === 'iw' ? { method, samples: 20 } : { method };
      const all = method === 'iw' ? vae.score(wv.matrix(20, D, x.data.slice(0, 20 * D)), opts) : vae.score(x, opts);
      const same = (a: number, b: number, what: string): void => expect(Math.abs(a - b), what).toBeLessThanOrEqual(1e-6 * Math.abs(b));
      for (const i of [0, 1, 19]) same(vae.score(row(x, i), opts)[0], all[i], `${method} row ${i}`);
      const reversed = new Float32Array(20 * D);
      for (let i = 0; i < 20; i++) reversed.set(x.data.subarray(i * D, (i + 1) * D), (19 - i) * D);
      const back = vae.score(wv.matrix(20, D, reversed), opts);
      for (let i = 0; i < 20; i++) same(back[19 - i], all[i], `${method} reversed ${i}`);
    }
    // the default seed comes from the model's seed: the same model file scores the same
    expect(vae.score(row(x, 3))[0]).toBe(vae.score(row(x, 3), { seed: deriveSeed(3, 0x5c0e) })[0]);
  });

  it('the js backend scores as the wasm backend does (1e-5 relative)', async () => {
    const x = data(40, 8);
    const bytes = vae.save();
    const want = { elbo: vae.score(x), reconstruction: vae.score(x, { method: 'reconstruction' }) };
    await wv.init({ backend: 'js' });
    try {
      const js = wv.load(bytes) as wv.VAE;
      for (const [method, scores] of Object.entries(want)) {
        const got = js.score(x, { method: method as 'elbo' | 'reconstruction' });
        for (let i = 0; i < x.rows; i++) expect(Math.abs(got[i] - scores[i]), `${method} ${i}`).toBeLessThan(1e-5 * Math.abs(scores[i]) + 1e-5);
      }
      js.dispose();
    } finally {
      await wv.init();
    }
  });

  it('a conditional model scores each row under its own condition row', async () => {
    const cvae = new wv.VAE({ inputDim: D, hiddenDims: [8], latentDim: 2, conditionDim: 2, seed: 1 });
    const x = data(6, 9);
    const c = wv.oneHot([0, 1, 0, 1, 1, 0], 2);
    const scores = cvae.score(x, { condition: c, method: 'reconstruction' });
    const alone = cvae.score(row(x, 1), { condition: wv.oneHot([1], 2), method: 'reconstruction' });
    expect(Math.abs(alone[0] - scores[1])).toBeLessThanOrEqual(1e-6 * scores[1]);
    expect(cvae.score(row(x, 1), { condition: wv.oneHot([0], 2), method: 'reconstruction' })[0]).not.toBe(scores[1]);
    expectError(() => cvae.score(x), 'INVALID_OPTION', /condition/);
    cvae.dispose();
  });
});

describe('calibrate() and isAnomaly()', () => {
  it("keeps NumPy's linear quantile of the normal data's scores as the threshold; rows above it are anomalies", () => {
    const normal = data(200, 10);
    const c = vae.calibrate(normal, { quantile: 0.95 });
    const scores = vae.score(normal);
    const sorted = Array.from(scores).sort((a, b) => a - b);
    const at = 0.95 * 199;
    expect(c.threshold).toBeCloseTo(sorted[Math.floor(at)] + (sorted[Math.ceil(at)] - sorted[Math.floor(at)]) * (at - Math.floor(at)), 10);
    expect(c).toEqual({ threshold: c.threshold, quantile: 0.95, method: 'elbo', samples: null, rows: 200 });
    const r = vae.isAnomaly(normal);
    expect(r.threshold).toBe(c.threshold);
    expect(r.anomaly.filter(Boolean).length).toBe(scores.filter((v) => v > c.threshold).length);
    expect(r.anomaly.filter(Boolean).length).toBeLessThanOrEqual(10);
    // rows unlike the training data: uniform noise, and prototypes inverted
    const rng = new Rng(5);
    const odd = wv.matrix(50, D, Float32Array.from({ length: 50 * D }, () => rng.uniform()));
    expect(vae.isAnomaly(odd).anomaly.filter(Boolean).length).toBeGreaterThan(40);
    expect(quantileOf(Float64Array.from([3, 1, 2]), 0.5)).toBe(2);
    expect(quantileOf(Float64Array.from([1, 2]), 0.25)).toBe(1.25);
  });

  it('the threshold is saved in the file and loaded back; a corrupt one is CORRUPT_FILE', () => {
    vae.calibrate(data(100, 11), { quantile: 0.9, method: 'iw', samples: 10 });
    const again = wv.load(vae.save()) as wv.VAE;
    expect(again.calibration).toEqual(vae.calibration);
    const x = data(5, 12);
    expect(again.isAnomaly(x)).toEqual(vae.isAnomaly(x));
    again.dispose();
    const { tensors, metadata } = decodeSafetensors(vae.save());
    for (const [bad, message] of [
      ['{', /not valid JSON/], ['{"threshold":"1"}', /threshold "1"/], [JSON.stringify({ ...vae.calibration, quantile: 2 }), /quantile 2/],
      [JSON.stringify({ ...vae.calibration, method: 'mse' }), /method "mse"/], [JSON.stringify({ ...vae.calibration, samples: null }), /samples null/],
      [JSON.stringify({ ...vae.calibration, extra: 1 }), /unknown key "extra"/],
    ] as const) {
      expectError(() => wv.load(encodeSafetensors(tensors, { ...metadata, calibration: bad })), 'CORRUPT_FILE', message);
    }
    // an autoencoder's file cannot carry a VAE method
    ae.calibrate(data(50, 13));
    const aeFile = decodeSafetensors(ae.save());
    expect(wv.load(ae.save()).calibration?.method).toBe('reconstruction');
    expectError(() => wv.load(encodeSafetensors(aeFile.tensors, { ...aeFile.metadata, calibration: JSON.stringify({ ...ae.calibration, method: 'elbo' }) })), 'CORRUPT_FILE', /method "elbo"/);
  });
});

describe('bad options and non-finite results', () => {
  it('each is a WavaeError naming what is wrong', () => {
    const x = data(4, 14);
    const fresh = new wv.VAE({ inputDim: D, hiddenDims: [4], latentDim: 2 });
    expectError(() => fresh.isAnomaly(x), 'INVALID_OPTION', /calibrate\(normalData\) first/);
    expectError(() => ae.score(x, { method: 'elbo' }), 'INVALID_OPTION', /'reconstruction' only/);
    expectError(() => vae.score(x, { method: 'mse' as 'elbo' }), 'INVALID_OPTION', /method must be one of reconstruction, elbo, iw/);
    expectError(() => vae.score(x, { samples: 5 }), 'INVALID_OPTION', /samples applies to method 'iw' only/);
    expectError(() => vae.score(x, { method: 'iw', samples: 0 }), 'INVALID_OPTION', /samples must be an integer in \[1, 1000000\]/);
    expectError(() => vae.score(x, { methd: 'iw' } as never), 'UNKNOWN_OPTION', /did you mean 'method'/);
    expectError(() => vae.score(x, { seed: -1 }), 'INVALID_OPTION', /seed/);
    expectError(() => vae.score(new Float32Array(5)), 'SHAPE_MISMATCH', /score: x/);
    expectError(() => vae.score(x, { condition: wv.oneHot([0, 1, 0, 1], 2) }), 'INVALID_OPTION', /condition/);
    for (const q of [0, -1, 1.5, NaN, '0.9']) expectError(() => vae.calibrate(x, { quantile: q as number }), 'INVALID_OPTION', /quantile must be a number in \(0, 1\]/);
    expectError(() => vae.isAnomaly(x, { method: 'iw' } as never), 'UNKNOWN_OPTION', /isAnomaly/);
    const nan = Float32Array.from(x.data);
    nan[5] = NaN;
    expectError(() => vae.score(nan), 'NON_FINITE_INPUT', /row 0, column 5/);
    const huge = new Float32Array(2 * D).fill(3e38);
    for (const method of ['elbo', 'reconstruction', 'iw'] as const) expectError(() => vae.score(huge, method === 'iw' ? { method, samples: 2 } : { method }), 'NON_FINITE_OUTPUT', /score: row 0/);
    expectError(() => ae.score(huge), 'NON_FINITE_OUTPUT', /score: row 0/);
    fresh.dispose();
  });
});
