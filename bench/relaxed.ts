// The relaxed-SIMD GEMM (fused multiply-add) against the strict build, side by side in one
// process, on one thread and on two: GEMM GFLOPS at the VAE shapes and VAE training samples/s. Node 20 validates relaxed
// SIMD only behind a flag, so bench/run.ts starts this file with --experimental-wasm-relaxed-simd
// and prints its JSON line in its table.
import * as wv from '../src/node.js';
import { benchGemm, VAE_SHAPES } from './gemm.js';

const quick = process.argv.includes('--quick');
const { train } = await wv.datasets.mnist();
const rows: Record<string, unknown>[] = [];
for (const [strict, threads] of [[true, 1], [false, 1], [true, 2], [false, 2]] as const) {
  await wv.init({ strict, threads });
  const variant = wv.kernelVariant();
  const gemm = await benchGemm(VAE_SHAPES, ['active'], quick ? 100 : 500, () => undefined);
  const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, seed: 1 });
  await vae.fit(wv.matrix(1280, 784, train.images.data.subarray(0, 1280 * 784)), { epochs: 1, batchSize: 128 });
  const steps = quick ? 40 : 200;
  const t0 = performance.now();
  await vae.fit(wv.matrix(128 * steps, 784, train.images.data.subarray(0, 128 * steps * 784)), { epochs: 1, batchSize: 128 });
  const samplesPerSec = (128 * steps * 1000) / (performance.now() - t0);
  vae.dispose();
  rows.push({ variant, threads: wv.threadCount(), gemm: gemm.map((g) => ({ trans: g.trans, gflops: g.gflops })), samplesPerSec });
}
console.log(JSON.stringify(rows));
