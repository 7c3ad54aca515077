// The relaxed-SIMD GEMM (fused multiply-add) against the strict build, on awkward shapes, in a
// child Node process that validates relaxed SIMD (Node 20 only behind --experimental-wasm-relaxed-simd,
// Node 22 and later by default; wavae never requires it: without it the strict build runs).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { RELAXED_SIMD_FLAGS } from './helpers.js';

const SCRIPT = `
const { createBackend } = await import(${JSON.stringify(path.resolve('dist/backend/index.js'))});
const wv = await import(${JSON.stringify(path.resolve('dist/node.js'))});
await wv.init();
const variant = wv.kernelVariant();
const [relaxed, strict] = [await createBackend('wasm'), await createBackend('wasm', { strict: true })];
const shapes = [[false, true, 128, 400, 784], [false, false, 128, 784, 400], [true, false, 400, 784, 128], [false, true, 5, 9, 513],
  [true, true, 17, 129, 33], [false, false, 1, 130, 257], [true, false, 3, 7, 1]];
const worst = [];
for (const [ta, tb, m, n, k] of shapes) {
  const rng = new wv.Rng(m * 7 + n);
  const a = Float32Array.from({ length: m * k }, () => rng.uniform() - 0.5);
  const b = Float32Array.from({ length: k * n }, () => rng.uniform() - 0.5);
  const out = [];
  for (const be of [relaxed, strict]) {
    const [ab, bb, cb] = [be.alloc(m * k), be.alloc(k * n), be.alloc(m * n)];
    be.write(ab, a); be.write(bb, b);
    be.gemm_f32(ta, tb, m, n, k, 1, ab, bb, 0, cb);
    out.push(be.read(cb));
  }
  // derived bound: each of k products and sums rounds once (strict twice): 3 k U sum |a b|
  let ratio = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += Math.abs(a[ta ? p * m + i : i * k + p] * b[tb ? j * k + p : p * n + j]);
    const tol = 3 * k * 2 ** -24 * s + 1e-30;
    ratio = Math.max(ratio, Math.abs(out[0][i * n + j] - out[1][i * n + j]) / tol);
  }
  worst.push(ratio);
}
// relaxed on threads (the shared-memory form of the module) equals relaxed on one thread, bitwise
const big = [[false, true, 128, 400, 784], [true, false, 400, 784, 128], [false, true, 3, 1030, 1400]];
const runBig = async (threads) => {
  await wv.init({ threads });
  const { getBackend } = await import(${JSON.stringify(path.resolve('dist/backend/index.js'))});
  const be = getBackend();
  const out = [];
  for (const [ta, tb, m, n, k] of big) {
    const rng = new wv.Rng(m + n + k);
    const [ab, bb, cb] = [be.alloc(m * k), be.alloc(k * n), be.alloc(m * n)];
    be.write(ab, Float32Array.from({ length: m * k }, () => rng.uniform() - 0.5));
    be.write(bb, Float32Array.from({ length: k * n }, () => rng.uniform() - 0.5));
    be.gemm_f32(ta, tb, m, n, k, 1, ab, bb, 0, cb, undefined, 'relu');
    out.push(Buffer.from(be.read(cb).buffer).toString('base64'));
  }
  return { variant: wv.kernelVariant(), threads: wv.threadCount(), out };
};
const one = await runBig(1);
const two = await runBig(2);
const threadsEqual = one.out.every((o, i) => o === two.out[i]);
console.log(JSON.stringify({ variant, strictVariant: strict.variant, worst, threaded: [one.variant, one.threads, two.variant, two.threads], threadsEqual }));
`;

describe('the relaxed-SIMD GEMM', () => {
  it('is chosen where the engine validates it, matches the strict build within the derived tolerance, and is bitwise the same on threads', () => {
    const r = spawnSync(process.execPath, [...RELAXED_SIMD_FLAGS, '--input-type=module', '-e', SCRIPT], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.variant).toBe('relaxed-simd');
    expect(result.strictVariant).toBe('simd');
    for (const w of result.worst) expect(w).toBeLessThanOrEqual(1);
    expect(Math.max(...result.worst)).toBeGreaterThan(0); // the builds really differ: FMA rounds once
    expect(result.threaded).toEqual(['relaxed-simd', 1, 'relaxed-simd', 2]);
    expect(result.threadsEqual).toBe(true);
  });

  it('is used exactly where the engine validates it (Node 20 without the flag: not), and init({ strict }) is checked', async () => {
    const { relaxedGemmModule } = await import('../src/backend/kernels-module.js');
    await wv.init();
    expect(wv.kernelVariant()).toBe((await relaxedGemmModule()) ? 'relaxed-simd' : 'simd');
    await wv.init({ strict: true });
    expect(wv.kernelVariant()).toBe('simd');
    await expect(wv.init({ strict: 'yes' } as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});
