// Kernel threads (Node): GEMMs split across worker_threads give bitwise the results of one
// thread on awkward shapes, training is bitwise the same (also in a training worker with its own
// kernel threads), the pool neither hangs the process nor survives a new init(), a thread that
// traps or dies surfaces as WORKER_FAILED, and where threads cannot run init() says why.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as workerThreads from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { RELAXED_SIMD_FLAGS } from './helpers.js';
import * as wv from '../src/node.js';
import { DEFAULT_MAX_THREADS, getBackend, registerThreads } from '../src/backend/index.js';
import { kernelsWasmBytes, sharedKernelsModule } from '../src/backend/kernels-module.js';
import { sharedMemoryModule } from '../src/backend/shared-module.js';
import { THREAD_SOURCE } from '../src/backend/generated/thread_source.js';
import { createThreadedWasmKernels } from '../src/backend/threads.js';
import { partition } from '../src/backend/split-ops.js';
import { nodeThreadPlatform, nodeThreadSpawner } from '../src/backend/threads-node.js';
import { webThreadPlatform } from '../src/backend/threads-web.js';
import { Rng } from '../src/random.js';

// every shape is above the size where GEMMs are split (m n k >= 2^19), with awkward edges:
// small m (the unpacked path), n not a multiple of 8, k past the 256 block, every transpose;
// narrow outputs (n < 32) split by rows, unless a part would have MR = 5 rows or fewer
const SHAPES: [boolean, boolean, number, number, number][] = [
  [false, true, 128, 400, 784], [false, false, 128, 784, 400], [true, false, 400, 784, 128],
  [false, true, 3, 1030, 1400], [true, true, 17, 1030, 257], [false, false, 129, 33, 1025], [true, false, 5, 2049, 411],
  [false, true, 128, 20, 400], [false, false, 128, 20, 400], [true, false, 400, 20, 128], [true, true, 131, 9, 1000],
  [false, false, 11, 20, 4000], [true, false, 70, 13, 700],
  // taller than wide (split by rows, each thread packing its own rows of op(A)), every transpose
  [false, true, 1003, 40, 300], [true, false, 997, 48, 260], [false, false, 613, 35, 300], [true, true, 701, 64, 33],
  // small m with outputs wider than the unpacked path's row buffer (KC * NC = 262144 columns)
  [false, true, 1, 300000, 8], [false, false, 2, 300000, 3], [true, false, 3, 262150, 2],
];

async function runGemms(threads: number): Promise<Float32Array[]> {
  await wv.init({ threads });
  const be = getBackend();
  const rng = new Rng(8);
  const out: Float32Array[] = [];
  for (const [ta, tb, m, n, k] of SHAPES) {
    const fill = (len: number) => {
      const b = be.alloc(len);
      be.write(b, Float32Array.from({ length: len }, () => rng.uniform() - 0.5));
      return b;
    };
    const [a, b, c, bias] = [fill(m * k), fill(k * n), fill(m * n), fill(n)];
    be.gemm_f32(ta, tb, m, n, k, 0.7, a, b, 0.3, c, bias, 'tanh');
    out.push(be.read(c));
    for (const x of [a, b, c, bias]) be.free(x);
  }
  return out;
}

afterAll(async () => {
  await wv.init(); // back to one thread: closes the pool
});

describe('kernel threads', () => {
  it('every shape of the table is large enough to be split', () => {
    for (const [, , m, n, k] of SHAPES) expect(m * n * k).toBeGreaterThanOrEqual(2 ** 19);
  });

  it('the partition covers every column once, in whole 8-column tiles', () => {
    for (const [n, t] of [[400, 2], [17, 3], [1030, 4], [8, 2], [9, 3]]) {
      const parts = Array.from({ length: t }, (_, i) => partition(n, t, i));
      expect(parts[0][0]).toBe(0);
      expect(parts[t - 1][1]).toBe(n);
      for (let i = 1; i < t; i++) expect(parts[i][0]).toBe(parts[i - 1][1]);
      for (const [j0] of parts) expect(j0 % 8 === 0 || j0 === n).toBe(true);
    }
  });

  it('GEMMs on 2 and 3 threads equal one thread bitwise, on awkward shapes', async () => {
    const one = await runGemms(1);
    for (const threads of [2, 3]) {
      const many = await runGemms(threads);
      expect(wv.threadCount()).toBe(threads);
      for (let i = 0; i < SHAPES.length; i++) expect(Buffer.from(many[i].buffer).equals(Buffer.from(one[i].buffer)), `shape ${SHAPES[i]}`).toBe(true);
    }
  });

  it('training on 2 and 3 threads is bitwise the training on one, with every optimizer (updates split by ranges)', async () => {
    const rng = new Rng(2);
    const x = Float32Array.from({ length: 384 * 784 }, () => rng.uniform());
    const optimizers: wv.OptimizerConfig[] = [{ type: 'adam' }, { type: 'adamw', weightDecay: 0.01 },
      { type: 'sgd', lr: 0.01, momentum: 0.9, nesterov: true }, { type: 'sgd', lr: 0.01, weightDecay: 1e-4 }];
    for (const optimizer of optimizers) {
      const train = async (threads: number) => {
        await wv.init({ threads });
        const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, seed: 3 });
        const history = await vae.fit(x, { epochs: 2, batchSize: 128, optimizer, validationData: x.subarray(0, 256 * 784) });
        const p = vae.parameters();
        vae.dispose();
        return { p, losses: [...history.loss, ...history.reconstruction, ...history.valLoss] };
      };
      const one = await train(1);
      for (const threads of [2, 3]) {
        const many = await train(threads);
        for (const name of Object.keys(one.p)) expect(Buffer.from(many.p[name].buffer).equals(Buffer.from(one.p[name].buffer)), `${optimizer.type} ${threads} ${name}`).toBe(true);
        expect(many.losses).toEqual(one.losses); // the loss totals too (rows split across threads)
      }
    }
  });

  it('autoencoders (BCE and squared error split by rows) train bitwise alike on 1 and 2 threads, losses included', async () => {
    const rng = new Rng(5);
    const x = Float32Array.from({ length: 384 * 784 }, () => rng.uniform());
    for (const loss of ['bce', 'mse'] as const) {
      const train = async (threads: number) => {
        await wv.init({ threads });
        const ae = new wv.Autoencoder({ inputDim: 784, hiddenDims: [256], latentDim: 32, loss, seed: 2 });
        const history = await ae.fit(x, { epochs: 2, batchSize: 128 });
        const p = ae.parameters();
        const evaluated = ae.evaluate(x);
        ae.dispose();
        return { p, losses: [...history.loss, evaluated.loss] };
      };
      const [one, two] = [await train(1), await train(2)];
      for (const name of Object.keys(one.p)) expect(Buffer.from(two.p[name].buffer).equals(Buffer.from(one.p[name].buffer)), `${loss} ${name}`).toBe(true);
      expect(two.losses).toEqual(one.losses);
    }
  });

  it('conditional VAEs (two GEMMs into one output on strided weight blocks) train bitwise alike on 1 and 2 threads', async () => {
    const rng = new Rng(6);
    const x = Float32Array.from({ length: 384 * 784 }, () => rng.uniform());
    const condition = wv.oneHot(Array.from({ length: 384 }, (_, i) => (i * 7) % 10), 10);
    const train = async (threads: number) => {
      await wv.init({ threads });
      const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, conditionDim: 10, seed: 2 });
      const history = await vae.fit(x, { condition, epochs: 2, batchSize: 128 });
      const p = vae.parameters();
      const evaluated = vae.evaluate(x, { condition });
      vae.dispose();
      return { p, losses: [...history.loss, evaluated.loss] };
    };
    const [one, two] = [await train(1), await train(2)];
    for (const name of Object.keys(one.p)) expect(Buffer.from(two.p[name].buffer).equals(Buffer.from(one.p[name].buffer)), name).toBe(true);
    expect(two.losses).toEqual(one.losses);
  });

  it('sums of squares (blocks split across threads, block sums added in order) are bitwise the same on 1, 2 and 3 threads, and clipping trains alike', async () => {
    const rng = new Rng(9);
    const lengths = [16384, 16385, 3 * 16384 + 7, 652824, 100003];
    const values = Float32Array.from({ length: 652824 }, () => rng.normal());
    const sums = async (threads: number) => {
      await wv.init({ threads });
      const be = getBackend();
      const buf = be.alloc(values.length);
      be.write(buf, values);
      const out = lengths.map((len) => be.sumsq_f32(be.view(buf, 0, len)));
      be.free(buf);
      return out;
    };
    const one = await sums(1);
    let direct = 0;
    for (let i = 0; i < 100003; i++) direct += values[i] * values[i];
    expect(Math.abs(one[4] - direct) / direct).toBeLessThan(1e-6);
    for (const threads of [2, 3]) expect(await sums(threads)).toEqual(one);
    const x = Float32Array.from({ length: 256 * 784 }, () => rng.uniform());
    const train = async (threads: number) => {
      await wv.init({ threads });
      const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, seed: 1 });
      await vae.fit(x, { epochs: 2, batchSize: 64, clipNorm: 5 }); // the norm scales every gradient
      const p = vae.parameters();
      vae.dispose();
      return p;
    };
    const [a, b] = [await train(1), await train(2)];
    for (const name of Object.keys(a)) expect(Buffer.from(b[name].buffer).equals(Buffer.from(a[name].buffer)), name).toBe(true);
  });

  it('the range partition covers every element once, in whole 16-float blocks', () => {
    for (const [n, t] of [[652824, 2], [32768, 3], [100003, 4], [17, 3]]) {
      const parts = Array.from({ length: t }, (_, i) => partition(n, t, i, 16));
      expect(parts[0][0]).toBe(0);
      expect(parts[t - 1][1]).toBe(n);
      for (let i = 1; i < t; i++) expect(parts[i][0]).toBe(parts[i - 1][1]);
      for (const [i0] of parts) expect(i0 % 16 === 0 || i0 === n).toBe(true);
    }
  });

  it('bad thread counts and threads on the js backend are clear errors', async () => {
    await expect(wv.init({ threads: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(wv.init({ threads: 2.5 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(wv.init({ backend: 'js', threads: 2 })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/wasm backend/) });
  });

  it('shutdown() terminates the kernel threads; wavae then needs init() again', async () => {
    await wv.init({ threads: 2 });
    expect(wv.threadCount()).toBe(2);
    wv.shutdown();
    expect(() => wv.threadCount()).toThrow(expect.objectContaining({ code: 'NOT_INITIALIZED' }));
    wv.shutdown(); // twice is harmless
    await wv.init({ threads: 2 });
    const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20 });
    await vae.fit(new Float32Array(784 * 256).fill(0.5), { epochs: 1, batchSize: 128 }); // the new pool works
    vae.dispose();
  });

  it('a process with a thread pool exits by itself when its work is done, whatever Node flags it runs with', () => {
    const script = `const wv = await import(${JSON.stringify(path.resolve('dist/node.js'))});
      await wv.init({ threads: 2 });
      const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20 });
      await vae.fit(new Float32Array(784 * 256).fill(0.5), { epochs: 1, batchSize: 128 });
      const { history } = await wv.fitInWorker(vae, new Float32Array(784 * 128).fill(0.5), { epochs: 1, batchSize: 128 });
      console.log('trained', wv.threadCount(), wv.threadFallback(), history.epoch.length);`;
    // process-wide flags, which a Worker refuses in its own execArgv
    const flags = ['--max-old-space-size=2048', '--expose-gc', '--stack-size=2000', ...RELAXED_SIMD_FLAGS]; // --stack-size is V8's
    const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('trained 2 null 1');
  });

  it('init() defaults to the cores, up to DEFAULT_MAX_THREADS, and says nothing when it gets them', async () => {
    await wv.init();
    expect(wv.threadCount()).toBe(Math.min(DEFAULT_MAX_THREADS, os.availableParallelism()));
    expect(wv.threadFallback()).toBeNull();
    await wv.init({ threads: 1 });
    expect(wv.threadCount()).toBe(1);
  });

  it('where threads cannot run (no Web Workers here), init() runs on one thread and threadFallback() says why', async () => {
    registerThreads(webThreadPlatform); // what a page without cross-origin isolation gets
    try {
      await wv.init({ threads: 3 });
      expect(wv.threadCount()).toBe(1);
      expect(wv.threadFallback()).toMatch(/^3 threads wanted, running on one: this environment has no Web Workers/);
      await wv.init({ threads: 1 });
      expect(wv.threadFallback()).toBeNull();
    } finally {
      registerThreads(nodeThreadPlatform(workerThreads, () => os.availableParallelism()));
    }
  });

  it('where the platform refuses a thread (at once, or when it starts), init() runs on one thread, says why, and stops the others', async () => {
    const real = nodeThreadSpawner(workerThreads);
    const terminated: number[] = [];
    let spawned = 0;
    const refuse = (how: 'throw' | 'fail') => registerThreads({ unavailable: () => null, cores: () => 3, spawn: (source, data) => {
      if (++spawned === 1) { // the first thread starts for real; the second is refused
        const handle = real(source, data);
        return { listen: handle.listen, terminate: () => { terminated.push(data.index); handle.terminate(); } };
      }
      if (how === 'throw') throw new Error('blocked by the content security policy');
      return { listen: (_ready, fail) => void setTimeout(() => fail('the script did not load'), 10), terminate: () => {} };
    } });
    try {
      refuse('throw');
      await wv.init({ threads: 3 });
      expect([wv.threadCount(), terminated]).toEqual([1, [1]]);
      expect(wv.threadFallback()).toMatch(/^3 threads wanted, running on one: the kernel threads failed to start: blocked by the content security policy/);
      [spawned, terminated.length] = [0, 0];
      refuse('fail');
      await wv.init(); // the default: the platform's 3 cores
      expect([wv.threadCount(), terminated]).toEqual([1, [1]]);
      expect(wv.threadFallback()).toMatch(/^3 threads wanted, running on one: the kernel threads failed to start: .*the script did not load/);
      const vae = new wv.VAE({ inputDim: 784, hiddenDims: [64], latentDim: 2 });
      await vae.fit(new Float32Array(784 * 64).fill(0.5), { epochs: 1, batchSize: 32 }); // one thread works
      vae.dispose();
    } finally {
      registerThreads(nodeThreadPlatform(workerThreads, () => os.availableParallelism()));
    }
  });

  it('the shared-memory modules derived at load time are byte for byte what asc builds for threads', async () => {
    const built = (name: string) => fs.readFileSync(path.resolve('build', name));
    expect(Buffer.from(sharedMemoryModule(await kernelsWasmBytes())).equals(built('kernels-mt.wasm'))).toBe(true);
    expect(Buffer.from(sharedMemoryModule(built('kernels-relaxed.wasm'))).equals(built('kernels-relaxed-mt.wasm'))).toBe(true);
  });

  it('a thread that traps fails the call with WORKER_FAILED and its message, at once, and so does every later call', async () => {
    const { kernels, close } = await createThreadedWasmKernels(2, nodeThreadSpawner(workerThreads), { module: (await sharedKernelsModule())!, relaxed: null, source: THREAD_SOURCE });
    try {
      // 1 x 1024 x 4096: thread 1 writes columns 512.., placed past the end of memory; thread 0's half is in bounds
      const [m, n, k] = [1, 1024, 4096];
      const a = kernels.base;
      const b = a + k;
      expect(kernels.grow(b + k * n + 1024)).toBe(true);
      const c = kernels.f32.length - 512;
      // the trap's own message: the dead-thread timeout would say 'a kernel thread stopped answering'
      expect(() => kernels.gemm_f32(0, 0, m, n, k, 1, a, k, b, n, 0, c, n, 0, 0, 0))
        .toThrow(expect.objectContaining({ code: 'WORKER_FAILED', message: expect.stringMatching(/kernel thread 1: .*out of bounds/) }));
      expect(() => kernels.gemm_f32(0, 0, m, n, k, 1, a, k, b, n, 0, a, n, 0, 0, 0)).toThrow(expect.objectContaining({ code: 'WORKER_FAILED' }));
    } finally {
      close();
    }
  });

  it('a trap on the calling thread is WORKER_FAILED too, with its message, and the pool stays failed', async () => {
    const { kernels, close } = await createThreadedWasmKernels(2, nodeThreadSpawner(workerThreads), { module: (await sharedKernelsModule())!, relaxed: null, source: THREAD_SOURCE });
    try {
      const [m, n, k] = [1, 1024, 4096];
      const a = kernels.base;
      expect(kernels.grow(a + k + k * n + 1024)).toBe(true);
      const c = kernels.f32.length + 4096; // every column past the end: both threads trap
      expect(() => kernels.gemm_f32(0, 0, m, n, k, 1, a, k, a + k, n, 0, c, n, 0, 0, 0))
        .toThrow(expect.objectContaining({ code: 'WORKER_FAILED', message: expect.stringMatching(/^kernel thread [01]: .*out of bounds/) }));
      expect(() => kernels.gemm_f32(0, 0, m, n, k, 1, a, k, a + k, n, 0, a, n, 0, 0, 0)).toThrow(expect.objectContaining({ code: 'WORKER_FAILED' }));
    } finally {
      close();
    }
  });

  it('models built before init() closed their pool keep working, on the calling thread, with the same bits', async () => {
    const rng = new Rng(12);
    const x = Float32Array.from({ length: 256 * 784 }, () => rng.uniform());
    await wv.init({ threads: 2 });
    const before = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, seed: 8 });
    await wv.init({ threads: 2 }); // a new backend; the first one's threads are stopped
    await before.fit(x, { epochs: 1, batchSize: 128 }); // waiting for threads that are gone would end in WORKER_FAILED
    const fresh = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, seed: 8 });
    await fresh.fit(x, { epochs: 1, batchSize: 128 });
    const [a, b] = [before.parameters(), fresh.parameters()];
    for (const name of Object.keys(a)) expect(Buffer.from(b[name].buffer).equals(Buffer.from(a[name].buffer)), name).toBe(true);
    before.dispose();
    fresh.dispose();
  });

  it('a thread that dies fails the next call with WORKER_FAILED; init() starts a working pool again', async () => {
    let victim: workerThreads.Worker | null = null;
    const spawn = nodeThreadSpawner({ ...workerThreads, Worker: class extends workerThreads.Worker {
      constructor(...args: ConstructorParameters<typeof workerThreads.Worker>) {
        super(...args);
        victim = this;
      }
    } } as typeof workerThreads);
    const { kernels, close } = await createThreadedWasmKernels(2, spawn, { module: (await sharedKernelsModule())!, relaxed: null, source: THREAD_SOURCE });
    try {
      await victim!.terminate(); // as if the thread crashed
      await new Promise((resolve) => setTimeout(resolve, 50));
      const a = kernels.base;
      expect(kernels.grow(a + 3 * 256 * 256)).toBe(true);
      expect(() => kernels.gemm_f32(0, 0, 256, 256, 256, 1, a, 256, a + 65536, 256, 0, a + 131072, 256, 0, 0, 0))
        .toThrow(expect.objectContaining({ code: 'WORKER_FAILED', message: expect.stringMatching(/kernel thread 1 failed: exited/) }));
    } finally {
      close();
    }
    await wv.init({ threads: 2 });
    const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20 });
    await vae.fit(new Float32Array(784 * 256).fill(0.5), { epochs: 1, batchSize: 128 });
    vae.dispose();
  });

  it('fitInWorker on 2 kernel threads (the worker starts its own) trains bitwise like the calling thread', async () => {
    const rng = new Rng(4);
    const x = Float32Array.from({ length: 384 * 784 }, () => rng.uniform());
    await wv.init({ threads: 2 });
    const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, seed: 9 });
    const { model, threads, threadFallback } = await wv.fitInWorker(vae, x, { epochs: 2, batchSize: 128 });
    expect([threads, threadFallback]).toEqual([2, null]);
    await vae.fit(x, { epochs: 2, batchSize: 128 });
    const [a, b] = [vae.parameters(), model.parameters()];
    for (const name of Object.keys(a)) expect(Buffer.from(b[name].buffer).equals(Buffer.from(a[name].buffer)), name).toBe(true);
    vae.dispose();
    model.dispose();
  });
});
