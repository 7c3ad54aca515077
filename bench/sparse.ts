// gemm_sparse_f32 against gemm_f32 at the VAE's first-layer shapes (forward NT 128x400x784, weight
// gradient TN 400x784x128): on MNIST batches, and on data whose zeros are scattered uniformly at
// several densities (its lists hold the nonzeros of each row or column of X, so the speed-up
// follows the density). Calls alternate, the median of each is reported. Where the
// kernel's DENSE_ABOVE threshold (assembly/gemm_sparse.ts) comes from. Then whole training steps
// of the reference VAE with the first layer's sparse path on and off (dense.ts's internal
// switch), alternated in rounds so that both see the same machine load.
//   npm run bench:sparse -- [--threads 2] [--rounds 6]
import * as wv from '../src/node.js';
import { getBackend, type Buf } from '../src/backend/index.js';
import { REFERENCE_RECIPE } from '../src/models/recipes.js';
import { sparseData } from '../src/nn/dense.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
await wv.init({ threads: Number(arg('threads', '1')) });
const be = getBackend();
const { train } = await wv.datasets.mnist();
const rng = new wv.Rng(1);
const up = (x: Float32Array): Buf => { const b = be.alloc(x.length); be.write(b, x); return b; };
const dense = (len: number): Float32Array => Float32Array.from({ length: len }, () => rng.uniform() - 0.5);
const W = up(dense(400 * 784)), bias = up(dense(400)), Y = up(new Float32Array(128 * 400));
const DY = up(dense(128 * 400)), DW = up(new Float32Array(400 * 784));

/** Median milliseconds of f and g, called alternately. */
function race(f: () => void, g: () => void, reps = 60): [number, number] {
  for (let i = 0; i < 5; i++) { f(); g(); }
  const [tf, tg]: number[][] = [[], []];
  for (let i = 0; i < reps; i++) {
    let t = performance.now(); f(); tf.push(performance.now() - t);
    t = performance.now(); g(); tg.push(performance.now() - t);
  }
  const med = (x: number[]): number => x.sort((a, b) => a - b)[x.length >> 1];
  return [med(tf), med(tg)];
}

const mnist = train.images.data.slice(0, 128 * 784);
const scattered = (density: number): Float32Array => Float32Array.from({ length: 128 * 784 }, () => (rng.uniform() < density ? rng.uniform() : 0));
console.log(`wasm (${wv.kernelVariant()}), ${wv.threadCount()} thread(s); milliseconds per call, median`);
console.log('data                 nonzero  NT dense  NT sparse  speed-up  TN dense  TN sparse  speed-up');
for (const [label, x] of [['MNIST batch', mnist], ...[0, 0.05, 0.1, 0.2, 0.3, 0.45, 0.55, 0.65, 0.8].map((d) => [`scattered ${d}`, scattered(d)] as const)] as [string, Float32Array][]) {
  const xb = up(x);
  const nz = x.reduce((s, v) => s + (v !== 0 ? 1 : 0), 0) / x.length;
  const [fd, fs] = race(() => be.gemm_f32(false, true, 128, 400, 784, 1, xb, W, 0, Y, bias, 'relu'),
    () => be.gemmSparse_f32(false, true, 128, 400, 784, 1, xb, W, 0, Y, bias, 'relu'));
  const [gd, gs] = race(() => be.gemm_f32(true, false, 400, 784, 128, 1, DY, xb, 0, DW),
    () => be.gemmSparse_f32(true, false, 400, 784, 128, 1, DY, xb, 0, DW));
  console.log(`${label.padEnd(20)} ${nz.toFixed(3).padStart(7)}  ${fd.toFixed(3).padStart(8)}  ${fs.toFixed(3).padStart(9)}  ${(fd / fs).toFixed(2).padStart(7)}x` +
    `  ${gd.toFixed(3).padStart(8)}  ${gs.toFixed(3).padStart(9)}  ${(gd / gs).toFixed(2).padStart(7)}x`);
  be.free(xb);
}

// training: rounds of 40 steps (batch 128) with the sparse first layer, then 40 without, alternated
const B = 128, steps = 40;
const batches = wv.matrix(steps * B, 784, train.images.data.subarray(0, steps * B * 784));
const vae = new wv.VAE({ inputDim: 784, ...REFERENCE_RECIPE.model, seed: 1 } as ConstructorParameters<typeof wv.VAE>[0]);
const fit = async (sparse: boolean): Promise<number> => {
  sparseData.enabled = sparse;
  const t = performance.now();
  await vae.fit(batches, { epochs: 1, batchSize: B, shuffle: false, optimizer: REFERENCE_RECIPE.fit.optimizer });
  return (steps * B) / ((performance.now() - t) / 1000);
};
await fit(true); await fit(false); // warm-up
const rates: Record<'on' | 'off', number[]> = { on: [], off: [] };
for (let r = 0; r < Number(arg('rounds', '6')); r++) {
  rates.on.push(await fit(true));
  rates.off.push(await fit(false));
}
sparseData.enabled = true;
const median = (x: number[]): number => [...x].sort((a, b) => a - b)[x.length >> 1];
const ratios = rates.on.map((v, i) => v / rates.off[i]);
console.log(`\ntraining the reference VAE (batch ${B}, Adam), samples/s, median of ${rates.on.length} alternated rounds of ${steps} steps:`);
console.log(`  sparse first layer ${median(rates.on).toFixed(0)}, dense ${median(rates.off).toFixed(0)}: ${median(ratios).toFixed(2)}x ` +
  `(round ratios ${ratios.map((x) => x.toFixed(2)).join(' ')})`);
vae.dispose();
await wv.shutdown();
