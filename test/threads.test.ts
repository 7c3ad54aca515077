// Kernel threads (Node): GEMMs split across worker_threads give bitwise the results of one
// thread on awkward shapes, training is bitwise the same, and the pool neither hangs the process
// nor survives a new init().
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { getBackend } from '../src/backend/index.js';
import { partition } from '../src/backend/gemm-pool-node.js';
import { Rng } from '../src/random.js';

// every shape is above the size where GEMMs are split (m n k >= 2^22), with awkward edges:
// small m (the unpacked path), n not a multiple of 8, k past the 256 block, every transpose
const SHAPES: [boolean, boolean, number, number, number][] = [
  [false, true, 128, 400, 784], [false, false, 128, 784, 400], [true, false, 400, 784, 128],
  [false, true, 3, 1030, 1400], [true, true, 17, 1030, 257], [false, false, 129, 33, 1025], [true, false, 5, 2049, 411],
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
    for (const [, , m, n, k] of SHAPES) expect(m * n * k).toBeGreaterThanOrEqual(2 ** 22);
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

  it('training on 2 threads is bitwise the training on one', async () => {
    const rng = new Rng(2);
    const x = Float32Array.from({ length: 512 * 784 }, () => rng.uniform());
    const train = async (threads: number) => {
      await wv.init({ threads });
      const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, seed: 3 });
      await vae.fit(x, { epochs: 2, batchSize: 128 });
      const p = vae.parameters();
      vae.dispose();
      return p;
    };
    const [a, b] = [await train(1), await train(2)];
    for (const name of Object.keys(a)) expect(Buffer.from(b[name].buffer).equals(Buffer.from(a[name].buffer)), name).toBe(true);
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

  it('a process with a thread pool exits by itself when its work is done', () => {
    const script = `const wv = await import(${JSON.stringify(path.resolve('dist/node.js'))});
      await wv.init({ threads: 2 });
      const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20 });
      await vae.fit(new Float32Array(784 * 256).fill(0.5), { epochs: 1, batchSize: 128 });
      console.log('trained', wv.threadCount());`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('trained 2');
  });
});
