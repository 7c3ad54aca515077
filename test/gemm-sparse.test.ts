// gemm_sparse_f32 gives gemm_f32's bits: on each backend against its own gemm_f32, on sparse data
// with all-zero rows and columns and -0, every epilogue, k across blocks; NaN and infinities in
// either operand; on 2 and 3 threads; in the relaxed-SIMD build; which layers take it; and a VAE trained on MNIST
// with the first layer's sparse path ends with bitwise the parameters of the dense path.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Act, Backend } from '../src/backend/index.js';
import { getBackend } from '../src/backend/index.js';
import * as wv from '../src/node.js';
import { sparseData as sparseSwitch } from '../src/nn/dense.js';
import { Rng } from '../src/random.js';
import { RELAXED_SIMD_FLAGS, backends } from './helpers.js';

type Shape = [ta: boolean, tb: boolean, m: number, n: number, k: number];

/** rows x cols of data with about `density` nonzeros, half the zeros -0, row 0 and column 1 all zeros, and a few large values. */
function sparseValues(rng: Rng, rows: number, cols: number, density: number): Float32Array {
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < x.length; i++) {
    const [r, c] = [Math.floor(i / cols), i % cols];
    const on = r !== 0 && c !== 1 && rng.uniform() < density;
    x[i] = on ? (rng.uniform() < 0.02 ? 1e30 : rng.uniform() - 0.25) : rng.uniform() < 0.5 ? -0 : 0;
  }
  return x;
}

/** Bits of a float32 array, NaNs as one value (their payloads are not part of the contract). */
function bits(x: Float32Array): Uint32Array {
  const u = new Uint32Array(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength));
  for (let i = 0; i < x.length; i++) if (Number.isNaN(x[i])) u[i] = 0x7fc00000;
  return u;
}

interface Call { shape: Shape; density: number; alpha: number; beta: number; bias: boolean; act: Act; poison?: number }

/** Runs the call with gemm_f32 and gemm_sparse_f32 on be, same inputs; returns both outputs. */
function both(be: Backend, call: Call, seed: number): [Float32Array, Float32Array] {
  const [ta, tb, m, n, k] = call.shape;
  const rng = new Rng(seed);
  const dense = (len: number): Float32Array => Float32Array.from({ length: len }, () => rng.uniform() - 0.5);
  // X is op(a) in NT, b in TN; in other transposes both are sparse
  const a = !ta ? sparseValues(rng, m, k, call.density) : dense(m * k);
  const b = ta && !tb ? sparseValues(rng, k, n, call.density) : tb ? dense(n * k) : sparseValues(rng, k, n, call.density);
  if (call.poison !== undefined) (ta && !tb ? a : b)[7 % (ta && !tb ? a : b).length] = call.poison; // in the dense operand
  const c0 = Float32Array.from({ length: m * n }, () => rng.uniform() - 0.5);
  const bias = dense(n);
  const out: Float32Array[] = [];
  for (const sparse of [false, true]) {
    const [ab, bb, cb, biasb] = [be.alloc(a.length), be.alloc(b.length), be.alloc(c0.length), be.alloc(n)];
    be.write(ab, a); be.write(bb, b); be.write(cb, c0); be.write(biasb, bias);
    const f = sparse ? be.gemmSparse_f32.bind(be) : be.gemm_f32.bind(be);
    f(ta, tb, m, n, k, call.alpha, ab, bb, call.beta, cb, call.bias ? biasb : null, call.act, 0.1);
    out.push(be.read(cb));
    for (const x of [ab, bb, cb, biasb]) be.free(x);
  }
  return [out[0], out[1]];
}

// around the 5x8 tile, the 32-wide passes, the KC = 256 blocks (k = 257, 513, 784) and NC = 1024
const SHAPES: Shape[] = [
  [false, true, 6, 9, 17], [false, true, 7, 33, 257], [false, true, 37, 41, 513], [false, true, 129, 17, 300],
  [false, true, 65, 1030, 20], [false, true, 128, 400, 784], [false, true, 3, 10, 20],
  [true, false, 6, 9, 17], [true, false, 33, 7, 257], [true, false, 41, 37, 513], [true, false, 17, 129, 300],
  [true, false, 400, 784, 128], [true, false, 2, 10, 20], [true, false, 70, 13, 1000],
  [false, false, 17, 12, 30], [true, true, 17, 12, 30],
];
const CALLS: Call[] = [];
for (const shape of SHAPES) {
  for (const density of [0, 0.03, 0.19, 0.45, 1]) CALLS.push({ shape, density, alpha: 1, beta: 0, bias: !shape[0], act: shape[0] ? 'identity' : 'relu' });
}
for (const act of ['identity', 'relu', 'leaky_relu', 'sigmoid', 'tanh'] as Act[]) {
  CALLS.push({ shape: [false, true, 9, 19, 300], density: 0.2, alpha: 0.5, beta: -0.5, bias: true, act });
  CALLS.push({ shape: [true, false, 11, 9, 270], density: 0.2, alpha: 1.5, beta: 1, bias: true, act });
}

describe('gemm_sparse_f32 is gemm_f32, bit for bit', () => {
  for (const backend of ['wasm', 'js'] as const) {
    it(`${backend}: on sparse data (all-zero rows and columns, -0), every epilogue, k across blocks`, async () => {
      const be = (await backends())[backend];
      CALLS.forEach((call, i) => {
        const [dense, sparse] = both(be, call, 100 + i);
        expect(bits(sparse), JSON.stringify(call)).toEqual(bits(dense));
      });
    });

    it(`${backend}: a NaN or an infinity in the dense operand gives gemm_f32's NaNs (0 * inf is NaN), as in X`, async () => {
      const be = (await backends())[backend];
      for (const poison of [Infinity, -Infinity, NaN]) {
        for (const shape of [[false, true, 37, 41, 513], [true, false, 41, 37, 300]] as Shape[]) {
          const [dense, sparse] = both(be, { shape, density: 0.1, alpha: 1, beta: 0, bias: false, act: 'identity', poison }, 7);
          expect(dense.some(Number.isNaN)).toBe(true);
          expect(bits(sparse)).toEqual(bits(dense));
        }
      }
    });
  }
});

describe('gemm_sparse_f32 on kernel threads and in the relaxed-SIMD build', () => {
  afterAll(async () => {
    await wv.init();
  });

  it('on 2 and 3 threads it equals gemm_f32 on one thread, bitwise', async () => {
    // above the split size (m n k >= 2^19)
    const big: Call[] = [
      { shape: [false, true, 128, 400, 784], density: 0.19, alpha: 1, beta: 0, bias: true, act: 'relu' },
      { shape: [true, false, 400, 784, 128], density: 0.19, alpha: 1, beta: 0, bias: false, act: 'identity' },
      { shape: [false, true, 1003, 40, 300], density: 0.1, alpha: 1, beta: 0.5, bias: true, act: 'tanh' },
      { shape: [true, false, 997, 48, 260], density: 0.3, alpha: 1, beta: 0, bias: false, act: 'identity' },
      { shape: [false, true, 131, 1030, 270], density: 0.05, alpha: 1, beta: 0, bias: true, act: 'relu' },
    ];
    await wv.init({ threads: 1 });
    const one = big.map((call, i) => both(getBackend(), call, 50 + i)[0]);
    for (const threads of [2, 3]) {
      await wv.init({ threads });
      expect(wv.threadCount()).toBe(threads);
      big.forEach((call, i) => {
        const [dense, sparse] = both(getBackend(), call, 50 + i);
        expect(bits(dense)).toEqual(bits(one[i]));
        expect(bits(sparse)).toEqual(bits(one[i]));
      });
    }
  });

  it('in the relaxed-SIMD build (fused multiply-add) it equals that build\'s gemm_f32, on one thread and on two', () => {
    const script = `
      const wv = await import(${JSON.stringify(path.resolve('dist/node.js'))});
      const { getBackend } = await import(${JSON.stringify(path.resolve('dist/backend/index.js'))});
      const shapes = [[false, true, 128, 400, 784], [true, false, 400, 784, 128], [false, true, 37, 41, 513], [true, false, 41, 37, 300]];
      const results = [];
      for (const threads of [1, 2]) {
        await wv.init({ threads });
        const be = getBackend();
        for (const [ta, tb, m, n, k] of shapes) {
          const rng = new wv.Rng(m + n + k);
          const x = (len) => Float32Array.from({ length: len }, () => (rng.uniform() < 0.2 ? rng.uniform() : rng.uniform() < 0.5 ? -0 : 0));
          const d = (len) => Float32Array.from({ length: len }, () => rng.uniform() - 0.5);
          const a = ta ? d(m * k) : x(m * k), b = ta ? x(k * n) : d(k * n);
          const outs = [];
          for (const f of ['gemm_f32', 'gemmSparse_f32']) {
            const [ab, bb, cb] = [be.alloc(a.length), be.alloc(b.length), be.alloc(m * n)];
            be.write(ab, a); be.write(bb, b);
            be[f](ta, tb, m, n, k, 1, ab, bb, 0, cb);
            outs.push(Buffer.from(be.read(cb).buffer).toString('base64'));
            for (const y of [ab, bb, cb]) be.free(y);
          }
          results.push(outs[0] === outs[1]);
        }
      }
      console.log(JSON.stringify({ variant: wv.kernelVariant(), results }));
      await wv.shutdown();`;
    const r = spawnSync(process.execPath, [...RELAXED_SIMD_FLAGS, '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const { variant, results } = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { variant: string; results: boolean[] };
    expect(variant).toBe('relaxed-simd');
    expect(results).toEqual(Array(8).fill(true));
  });
});

describe('which dense layers take the sparse path', () => {
  it('the data\'s first layer and every layer after a ReLU (the heads after a ReLU encoder), nothing else', async () => {
    await wv.init();
    const marks = (opts: Partial<ConstructorParameters<typeof wv.VAE>[0]>): Record<string, boolean> => {
      const vae = new wv.VAE({ inputDim: 12, hiddenDims: [10, 9], latentDim: 3, seed: 1, ...opts });
      type Step = { spec: { name: string }; sparseInput?: boolean };
      const m = vae as unknown as { encoder: { steps: Step[] }; decoder: { steps: Step[] }; meanHead: Step; logVarHead: Step };
      const out = Object.fromEntries([...m.encoder.steps, m.meanHead, m.logVarHead, ...m.decoder.steps].map((l) => [l.spec.name, l.sparseInput === true]));
      vae.dispose();
      return out;
    };
    expect(marks({})).toEqual({ 'encoder.0': true, 'encoder.1': true, mean: true, logvar: true, 'decoder.0': false, 'decoder.1': true, 'decoder.2': true });
    expect(marks({ activation: 'tanh' })).toEqual({ 'encoder.0': true, 'encoder.1': false, mean: false, logvar: false, 'decoder.0': false, 'decoder.1': false, 'decoder.2': false });
    expect(marks({ hiddenDims: [] })).toEqual({ mean: true, logvar: true, 'decoder.0': false });
  });
});

describe('a VAE on MNIST with its sparse layers (data and ReLU inputs) trains to bitwise the dense parameters', () => {
  it('wasm on 1 and 2 threads, and js: 6 steps of Adam, batch 128 (the last one of 96 rows)', async () => {
    const { train } = await wv.datasets.mnist();
    const x = wv.matrix(5 * 128 + 96, 784, train.images.data.subarray(0, (5 * 128 + 96) * 784));
    const run = async (sparse: boolean): Promise<{ params: Record<string, Float32Array>; loss: number }> => {
      sparseSwitch.enabled = sparse;
      try {
        const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, likelihood: 'bernoulli', activation: 'relu', seed: 3 });
        const history = await vae.fit(x, { epochs: 1, batchSize: 128, optimizer: { type: 'adam', lr: 1e-3 } });
        const out = { params: vae.parameters(), loss: history.loss[0] };
        vae.dispose();
        return out;
      } finally {
        sparseSwitch.enabled = true;
      }
    };
    for (const init of [{ threads: 1 }, { threads: 2 }, { backend: 'js' as const }]) {
      await wv.init(init);
      const [dense, sparse] = [await run(false), await run(true)];
      expect(sparse.loss).toBe(dense.loss);
      for (const name of Object.keys(dense.params)) expect(bits(sparse.params[name]), `${JSON.stringify(init)} ${name}`).toEqual(bits(dense.params[name]));
    }
    await wv.init();
  }, 120_000);

  it('an Autoencoder (its encoder\'s first layer) too: 3 steps of Adam on wasm', async () => {
    const { train } = await wv.datasets.mnist();
    const x = wv.matrix(3 * 64, 784, train.images.data.subarray(0, 3 * 64 * 784));
    const run = async (sparse: boolean): Promise<Record<string, Float32Array>> => {
      sparseSwitch.enabled = sparse;
      try {
        const ae = new wv.Autoencoder({ inputDim: 784, hiddenDims: [64], latentDim: 8, seed: 5 });
        await ae.fit(x, { epochs: 1, batchSize: 64, optimizer: { type: 'adam', lr: 1e-3 } });
        const p = ae.parameters();
        ae.dispose();
        return p;
      } finally {
        sparseSwitch.enabled = true;
      }
    };
    await wv.init();
    const [dense, sparse] = [await run(false), await run(true)];
    for (const name of Object.keys(dense)) expect(bits(sparse[name]), name).toEqual(bits(dense[name]));
  }, 60_000);
});
