// Training on real data (a small MNIST subset, so the suite stays fast; the full run is
// bench/quality.ts), the importance-weighted log-likelihood, latent paths, schedules, clipping
// and denoising.
import { beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { learningRate } from '../src/train/schedules.js';

let train: wv.Matrix;
let test: wv.Matrix;

beforeAll(async () => {
  await wv.init();
  const mnist = await wv.datasets.mnist();
  train = wv.matrix(3000, 784, mnist.train.images.data.subarray(0, 3000 * 784));
  test = wv.matrix(500, 784, mnist.test.images.data.subarray(0, 500 * 784));
});

describe('a VAE on an MNIST subset', () => {
  let vae: wv.VAE;
  let before: number;

  beforeAll(async () => {
    vae = new wv.VAE({ inputDim: 784, hiddenDims: [200], latentDim: 10, seed: 1 });
    before = vae.evaluate(test).loss;
    await vae.fit(train, { epochs: 4, batchSize: 64 });
  });

  it('learns: test -ELBO falls from ~540 nats to under 180 in 4 epochs of 3,000 images', () => {
    const after = vae.evaluate(test);
    expect(before).toBeGreaterThan(500);
    expect(after.loss).toBeLessThan(180);
    expect(after.kl).toBeGreaterThan(5); // the latent code is used, not collapsed
    expect(after.loss).toBeCloseTo(after.reconstruction + after.kl, 6);
  });

  it('evaluate is repeatable (seeded sampling)', () => {
    expect(vae.evaluate(test).loss).toBe(vae.evaluate(test).loss);
  });

  it('the importance-weighted log-likelihood tightens with more samples and bounds the ELBO', () => {
    const x = wv.matrix(30, 784, test.data.subarray(0, 30 * 784));
    const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    const k1 = mean(vae.logLikelihood(x, { samples: 1 }));
    const k200 = mean(vae.logLikelihood(x, { samples: 200 }));
    const elbo = -vae.evaluate(x).loss;
    expect(Math.abs(k1 - elbo)).toBeLessThan(5); // one sample: an ELBO estimate
    expect(k200).toBeGreaterThan(k1 + 1);
    expect(k200).toBeLessThan(0);
  });

  it('samples, reconstructions, interpolations and traversals are images in [0, 1]', () => {
    const s = vae.sample(16, { seed: 3 });
    const r = vae.reconstruct(wv.matrix(4, 784, test.data.subarray(0, 4 * 784)));
    const { mean } = vae.encode(wv.matrix(2, 784, test.data.subarray(0, 2 * 784)));
    const path = vae.interpolate(mean.data.subarray(0, 10), mean.data.subarray(10, 20), 7);
    const trav = vae.traverse(mean.data.subarray(0, 10), 3, { steps: 5 });
    for (const m of [s, r, path, trav]) {
      expect(m.cols).toBe(784);
      expect(m.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    expect([s.rows, r.rows, path.rows, trav.rows]).toEqual([16, 4, 7, 5]);
    const again = vae.sample(2, { seed: 3 }).data; // the same seed: the same codes, decoded in a smaller batch
    for (let j = 0; j < 2 * 784; j++) expect(Math.abs(again[j] - s.data[j])).toBeLessThan(1e-5);
    // the interpolation's end points are the decoded end codes (to float32 rounding: a batch
    // of 2 and a batch of 7 take different GEMM paths)
    const ends = vae.decode(wv.matrix(2, 10, mean.data));
    for (let j = 0; j < 784; j++) {
      expect(Math.abs(path.data[j] - ends.data[j])).toBeLessThan(1e-5);
      expect(Math.abs(path.data[6 * 784 + j] - ends.data[784 + j])).toBeLessThan(1e-5);
    }
  });

  it('a reconstruction is closer to its own input than to another digit', () => {
    const x = wv.matrix(2, 784, test.data.subarray(0, 2 * 784));
    const r = vae.reconstruct(x).data;
    const dist = (a: Float32Array, b: Float32Array): number => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0);
    expect(dist(r.subarray(0, 784), x.data.subarray(0, 784))).toBeLessThan(dist(r.subarray(0, 784), x.data.subarray(784)));
  });
});

describe('a denoising autoencoder on an MNIST subset', () => {
  it('trains on masked inputs against clean targets, and reconstructs better than the mean image', async () => {
    const ae = new wv.Autoencoder({ inputDim: 784, hiddenDims: [128], latentDim: 16, loss: 'bce', denoise: { type: 'mask', prob: 0.3 } });
    const h = await ae.fit(train, { epochs: 4, batchSize: 64, validationData: test, optimizer: { type: 'adam', lr: 3e-3 } });
    expect(h.valLoss[3]).toBeLessThan(h.valLoss[0]);
    const r = ae.reconstruct(test);
    const meanImage = new Float32Array(784);
    for (let i = 0; i < test.rows; i++) for (let j = 0; j < 784; j++) meanImage[j] += test.data[i * 784 + j] / test.rows;
    let errModel = 0;
    let errMean = 0;
    for (let i = 0; i < test.data.length; i++) {
      errModel += (r.data[i] - test.data[i]) ** 2;
      errMean += (meanImage[i % 784] - test.data[i]) ** 2;
    }
    expect(errModel).toBeLessThan(0.7 * errMean);
    ae.dispose();
  });
});

describe('learning-rate schedules and clipping', () => {
  it('step, exponential and cosine schedules, with a linear warm-up', () => {
    expect(learningRate(1, { type: 'step', stepSize: 2, gamma: 0.5 }, 25, 10, 100)).toBe(0.5); // epoch 2
    expect(learningRate(1, { type: 'exponential', gamma: 0.9 }, 30, 10, 100)).toBeCloseTo(0.729, 12);
    expect(learningRate(1, { type: 'cosine', minLr: 0.1 }, 0, 10, 100)).toBe(1);
    expect(learningRate(1, { type: 'cosine', minLr: 0.1 }, 50, 10, 100)).toBeCloseTo(0.55, 12);
    expect(learningRate(1, { type: 'cosine', minLr: 0.1 }, 100, 10, 100)).toBeCloseTo(0.1, 12);
    expect(learningRate(1, { type: 'constant', warmupSteps: 4 }, 0, 10, 100)).toBe(0.25);
    expect(learningRate(1, { type: 'constant', warmupSteps: 4 }, 3, 10, 100)).toBe(1);
  });

  it('clipNorm bounds every update: with SGD the parameters move by at most lr * clipNorm per step', async () => {
    const vae = new wv.VAE({ inputDim: 784, hiddenDims: [32], latentDim: 4 });
    const before = vae.parameters();
    const small = wv.matrix(64, 784, train.data.subarray(0, 64 * 784));
    await vae.fit(small, { epochs: 1, batchSize: 64, optimizer: { type: 'sgd', lr: 0.1 }, clipNorm: 0.5 });
    const after = vae.parameters();
    let sq = 0;
    for (const name of Object.keys(before)) for (let i = 0; i < before[name].length; i++) sq += (after[name][i] - before[name][i]) ** 2;
    expect(Math.sqrt(sq)).toBeLessThan(0.1 * 0.5 * 1.0001);
    expect(Math.sqrt(sq)).toBeGreaterThan(0.1 * 0.5 * 0.999); // the raw gradient is far larger: clipping was active
    vae.dispose();
  });
});
