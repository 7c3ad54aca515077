// The Autoencoder and the VAE: whole-model gradients against central differences of an
// independent float64 implementation, wasm/js parity over training, determinism, the last
// partial batch, memory that stays flat, divergence, abort, early stopping, and bad input.
import { beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { deriveSeed, Rng } from '../src/random.js';
import { aeObjective, checkAllGradients, toF64, vaeObjective, type Params } from './reference.js';

function data(rng: Rng, n: number, d: number, kind: 'unit' | 'real' = 'unit'): Float32Array {
  return Float32Array.from({ length: n * d }, () => (kind === 'unit' ? rng.uniform() : 2 * rng.uniform() - 1));
}

for (const backend of ['wasm', 'js'] as const) {
  describe(`whole-model gradients on ${backend} match central differences in float64`, () => {
    beforeAll(async () => {
      await wv.init({ backend });
    });

    const vaeCases = [
      { likelihood: 'bernoulli' as const, beta: 0.7, weightDecay: 0.01, hiddenDims: [5], activation: 'tanh' as const },
      { likelihood: 'bernoulli' as const, beta: 1, weightDecay: 0, hiddenDims: [5, 4], activation: 'relu' as const },
      { likelihood: 'gaussian' as const, beta: 2, weightDecay: 0.01, hiddenDims: [5], activation: 'sigmoid' as const },
      { likelihood: 'gaussian' as const, beta: 0.5, weightDecay: 0.02, hiddenDims: [5], activation: 'tanh' as const, outputVariance: 0.3 },
    ];
    for (const c of vaeCases) {
      it(`VAE ${c.likelihood}${c.outputVariance ? ' (fixed variance)' : ''}, hidden ${JSON.stringify(c.hiddenDims)}, ${c.activation}, beta ${c.beta}, weight decay ${c.weightDecay}`, () => {
        const rng = new Rng(11);
        const [n, D, L] = [4, 6, 3];
        const vae = new wv.VAE({ inputDim: D, latentDim: L, seed: 3, ...c });
        if (c.likelihood === 'gaussian' && !c.outputVariance) {
          const p = vae.parameters();
          p['output.logvar'] = Float32Array.from({ length: D }, (_, i) => 0.2 * i - 0.5); // away from 0: a real test
          vae.setParameters(p);
        }
        const x = data(rng, n, D, c.likelihood === 'bernoulli' ? 'unit' : 'real');
        const eps = Float32Array.from({ length: n * L }, () => rng.normal());
        const { loss, grads } = vae.gradients(x, { eps });
        const cfg = { hidden: c.hiddenDims.length, likelihood: c.likelihood, beta: c.beta, weightDecay: c.weightDecay, act: c.activation,
          ...(c.outputVariance ? { fixedLogVar: Math.log(c.outputVariance) } : {}) };
        const objective = (p: Params): number => vaeObjective(p, { ...cfg, hidden: c.hiddenDims.length }, Float64Array.from(x), Float64Array.from(eps), n);
        // hidden layers beyond one: the reference MLP takes `hidden` layers for the encoder
        expect(Math.abs(loss - objective(toF64(vae.parameters())))).toBeLessThan(1e-4 * Math.max(1, Math.abs(loss)));
        expect(Object.keys(grads).sort()).toEqual(Object.keys(vae.parameters()).sort());
        expect(checkAllGradients(grads, vae.parameters(), objective)).toBeLessThan(2e-3);
        vae.dispose();
      });
    }

    for (const c of [
      { loss: 'mse' as const, weightDecay: 0.01, activation: 'tanh' as const },
      { loss: 'bce' as const, weightDecay: 0.03, activation: 'sigmoid' as const },
    ]) {
      it(`Autoencoder ${c.loss}, ${c.activation}, weight decay ${c.weightDecay}`, () => {
        const rng = new Rng(12);
        const [n, D] = [5, 7];
        const ae = new wv.Autoencoder({ inputDim: D, hiddenDims: [4], latentDim: 2, seed: 4, ...c });
        const x = data(rng, n, D);
        const { loss, grads } = ae.gradients(x);
        const objective = (p: Params): number => aeObjective(p, { hidden: 1, ...c, act: c.activation }, Float64Array.from(x), n);
        expect(Math.abs(loss - objective(toF64(ae.parameters())))).toBeLessThan(1e-4 * Math.max(1, loss));
        expect(checkAllGradients(grads, ae.parameters(), objective)).toBeLessThan(2e-3);
        ae.dispose();
      });
    }
  });
}

describe('training: parity, determinism, partial batches, memory', () => {
  const rng = new Rng(5);
  const x = data(rng, 70, 12);

  async function train20(backend: 'wasm' | 'js', seed = 9): Promise<{ losses: number[]; params: Record<string, Float32Array> }> {
    await wv.init({ backend });
    const vae = new wv.VAE({ inputDim: 12, hiddenDims: [10], latentDim: 3, seed });
    const losses: number[] = [];
    await vae.fit(x, { epochs: 4, batchSize: 16, onBatchEnd: (_b, logs) => losses.push(logs.loss) }); // 5 steps per epoch
    const params = vae.parameters();
    vae.dispose();
    return { losses, params };
  }

  it('wasm and js give the same losses to float32 tolerance over 20 steps', async () => {
    const a = await train20('wasm');
    const b = await train20('js');
    expect(a.losses.length).toBe(20);
    for (let i = 0; i < 20; i++) expect(Math.abs(a.losses[i] - b.losses[i])).toBeLessThan(1e-4 * a.losses[i]);
  });

  it('the same seed twice gives bitwise identical parameters; another seed does not', async () => {
    const a = await train20('wasm');
    const b = await train20('wasm');
    const c = await train20('wasm', 10);
    for (const name of Object.keys(a.params)) expect(Buffer.from(a.params[name].buffer).equals(Buffer.from(b.params[name].buffer))).toBe(true);
    expect(Array.from(c.params['mean.weight'])).not.toEqual(Array.from(a.params['mean.weight']));
  });

  it('the last partial batch trains: fit equals manual SGD steps over batches of 4, 4 and 2', async () => {
    await wv.init({ backend: 'wasm' });
    const xs = data(new Rng(6), 10, 5);
    const opts = { inputDim: 5, hiddenDims: [4], latentDim: 2, seed: 2 };
    const fitted = new wv.VAE(opts);
    const manual = new wv.VAE(opts);
    await fitted.fit(xs, { epochs: 1, batchSize: 4, shuffle: false, optimizer: { type: 'sgd', lr: 0.1 } });
    const epsRng = new Rng(deriveSeed(2, 0, 2)); // fit's sampling stream for epoch 0
    for (const [start, n] of [[0, 4], [4, 4], [8, 2]]) {
      const eps = new Float32Array(n * 2);
      epsRng.fillNormal(eps, 0, eps.length);
      const { grads } = manual.gradients(xs.subarray(start * 5, (start + n) * 5), { eps });
      const p = manual.parameters();
      for (const name of Object.keys(p)) p[name] = p[name].map((v, i) => Math.fround(v - Math.fround(0.1 * grads[name][i])));
      manual.setParameters(p);
    }
    const [a, b] = [fitted.parameters(), manual.parameters()];
    for (const name of Object.keys(a)) {
      for (let i = 0; i < a[name].length; i++) expect(Math.abs(a[name][i] - b[name][i])).toBeLessThan(1e-6);
    }
    fitted.dispose();
    manual.dispose();
  });

  it('a training step allocates no heap memory: the heap and its allocations stay flat across epochs', async () => {
    await wv.init({ backend: 'wasm' });
    const { getBackend } = await import('../src/backend/index.js');
    const be = getBackend();
    const vae = new wv.VAE({ inputDim: 12, hiddenDims: [10], latentDim: 3 });
    await vae.fit(x, { epochs: 1, batchSize: 16 });
    const [bytes, floats] = [be.heapBytes, be.allocatedFloats];
    await vae.fit(x, { epochs: 3, batchSize: 16 });
    expect(be.heapBytes).toBe(bytes);
    expect(be.allocatedFloats).toBe(floats);
    vae.dispose();
    expect(be.allocatedFloats).toBeLessThan(floats);
  });
});

describe('training control', () => {
  beforeAll(async () => {
    await wv.init({ backend: 'wasm' });
  });
  const x = data(new Rng(8), 64, 10);

  it('a diverging run stops with DIVERGED and keeps finite parameters', async () => {
    const vae = new wv.VAE({ inputDim: 10, hiddenDims: [8], latentDim: 2, likelihood: 'gaussian', outputVariance: 1e-6 });
    let caught: unknown;
    try {
      await vae.fit(x, { epochs: 50, batchSize: 8, optimizer: { type: 'sgd', lr: 1e6 } });
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'DIVERGED', message: expect.stringMatching(/last finite parameters/) });
    for (const v of Object.values(vae.parameters())) expect(v.every(Number.isFinite)).toBe(true);
    vae.dispose();
  });

  it('fit on a model that is already training is BUSY', async () => {
    const vae = new wv.VAE({ inputDim: 10, hiddenDims: [8], latentDim: 2 });
    const first = vae.fit(x, { epochs: 2, batchSize: 8 });
    await expect(vae.fit(x, { epochs: 1 })).rejects.toMatchObject({ code: 'BUSY' });
    await first;
    await vae.fit(x, { epochs: 1, batchSize: 8 }); // free again afterwards
    vae.dispose();
  });

  it('an AbortSignal stops cleanly after the current batch', async () => {
    const vae = new wv.VAE({ inputDim: 10, hiddenDims: [8], latentDim: 2 });
    const controller = new AbortController();
    let batches = 0;
    const history = await vae.fit(x, {
      epochs: 5, batchSize: 8, signal: controller.signal,
      onBatchEnd: () => { if (++batches === 3) controller.abort(); },
    });
    expect(batches).toBe(3);
    expect(history.stopped).toBe('aborted');
    expect(history.epoch).toEqual([1]);
    vae.dispose();
  });

  it('early stopping restores the best parameters', async () => {
    const vae = new wv.VAE({ inputDim: 10, hiddenDims: [8], latentDim: 2 });
    let afterFirst: Record<string, Float32Array> | null = null;
    const history = await vae.fit(x, {
      epochs: 10, batchSize: 8, validationData: x,
      earlyStopping: { patience: 1, minDelta: 1e9 }, // nothing after epoch 1 counts as better
      onEpochEnd: (epoch) => { if (epoch === 1) afterFirst = vae.parameters(); },
    });
    expect(history.stopped).toBe('early');
    expect(history.epoch).toEqual([1, 2, 3]);
    expect(history.bestEpoch).toBe(1);
    expect(vae.parameters()).toEqual(afterFirst);
    vae.dispose();
  });

  it('history and logs report loss = reconstruction + KL, the learning rate and throughput', async () => {
    const vae = new wv.VAE({ inputDim: 10, hiddenDims: [8], latentDim: 2 });
    const h = await vae.fit(x, { epochs: 3, batchSize: 16, validationData: x, schedule: { type: 'step', stepSize: 1, gamma: 0.5 } });
    expect(h.loss.length).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(h.loss[i]).toBeCloseTo(h.reconstruction[i] + h.kl[i], 6);
      expect(h.valLoss[i]).toBeCloseTo(h.valReconstruction[i] + h.valKl[i], 6);
      expect(h.samplesPerSec[i]).toBeGreaterThan(0);
    }
    expect(h.lr).toEqual([1e-3, 5e-4, 2.5e-4]);
    expect(h.loss[2]).toBeLessThan(h.loss[0]);
    vae.dispose();
  });
});

describe('bad input to models gets a clear WavaeError', () => {
  beforeAll(async () => {
    await wv.init({ backend: 'wasm' });
  });

  it('invalid options name the option', () => {
    expect(() => new wv.VAE({ inputDim: 0 })).toThrow(/VAE: inputDim must be an integer >= 1, got 0/);
    expect(() => new wv.VAE({ inputDim: 4, latentDims: 2 } as never)).toThrow(expect.objectContaining({ code: 'UNKNOWN_OPTION', message: expect.stringMatching(/unknown option 'latentDims' \(did you mean 'latentDim'\?\)/) }));
    expect(() => new wv.VAE({ inputDim: 4, likelihood: 'poisson' as never })).toThrow(/likelihood must be 'bernoulli' or 'gaussian'/);
    expect(() => new wv.VAE({ inputDim: 4, hiddenDims: [3, -1] })).toThrow(/hiddenDims must be an array of integers >= 1/);
    expect(() => new wv.Autoencoder({ inputDim: 4, denoise: { type: 'mask', prob: 1.5 } })).toThrow(/denoise must be/);
  });

  it('wrong shapes and non-finite data name the argument, row and column', async () => {
    const vae = new wv.VAE({ inputDim: 4, hiddenDims: [3], latentDim: 2 });
    expect(() => vae.encode(new Float32Array(7))).toThrow(/encode: x: a Float32Array of length 7 is not a whole number of rows of 4/);
    expect(() => vae.decode(wv.matrix(2, 3))).toThrow(/decode: z: expected 2 columns, got 3/);
    const bad = new Float32Array(8);
    bad[6] = NaN;
    expect(() => vae.evaluate(bad)).toThrow(expect.objectContaining({ code: 'NON_FINITE_INPUT', message: expect.stringMatching(/row 1, column 2/) }));
    await expect(vae.fit(bad)).rejects.toMatchObject({ code: 'NON_FINITE_INPUT' });
    await expect(vae.fit(new Float32Array(8), { epochs: 0 })).rejects.toThrow(/fit: epochs must be an integer in \[1, 1000000\]/);
    await expect(vae.fit(new Float32Array(8), { optimizer: { type: 'adam', lr: -1 } })).rejects.toThrow(/optimizer.lr must be a number > 0/);
    await expect(vae.fit(new Float32Array(8), { batchsize: 4 } as never)).rejects.toThrow(/unknown option 'batchsize' \(did you mean 'batchSize'\?\)/);
    vae.dispose();
    expect(() => vae.encode(new Float32Array(4))).toThrow(/disposed/);
  });
});
