// Where a training step goes: times every kernel call of a few training steps of a recipe's model
// by kernel and shape (the GEMMs by transposes and m x n x k, with their GFLOPS), on the wasm
// backend with the threads asked for. Not a benchmark (bench/run.ts is): a profile to read before
// optimizing, so each row names the kernel (kernel-table.ts) and the shape it ran at.
//   npm run bench:profile -- [--recipe conv|reference] [--threads 1] [--steps 20] [--relaxed]
import * as wv from '../src/node.js';
import { CONV_RECIPE, REFERENCE_RECIPE } from '../src/models/recipes.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const recipe = arg('recipe', 'conv') === 'conv' ? CONV_RECIPE : REFERENCE_RECIPE;
const threads = Number(arg('threads', '1'));
const steps = Number(arg('steps', '20'));
await wv.init({ threads, strict: !process.argv.includes('--relaxed') });

const B = recipe.fit.batchSize ?? 128;
const { train } = await wv.datasets.mnist();
const vae = new wv.VAE({ ...(recipe === CONV_RECIPE ? {} : { inputDim: 784 }), ...recipe.model, seed: 1 } as ConstructorParameters<typeof wv.VAE>[0]);
const data = (n: number): wv.Matrix => wv.matrix(n * B, 784, train.images.data.subarray(0, n * B * 784));
await vae.fit(data(3), { epochs: 1, batchSize: B, shuffle: false, optimizer: recipe.fit.optimizer }); // warm-up

// every kernel call goes through Backend.run: time it there
interface Row { calls: number; ms: number; flops: number }
const rows = new Map<string, Row>();
const be = vae.be as unknown as { run: (name: string, args: unknown[]) => number };
const run = be.run.bind(be);
be.run = (name, args) => {
  let key = name;
  let flops = 0;
  if (name === 'gemm_f32' || name === 'gemm_sparse_f32') {
    const [ta, tb, m, n, k] = args as number[];
    key = `${name} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}x${n}x${k}`;
    flops = 2 * m * n * k;
  }
  const t0 = performance.now();
  const r = run(name, args);
  const ms = performance.now() - t0;
  const row = rows.get(key) ?? { calls: 0, ms: 0, flops: 0 };
  row.calls++;
  row.ms += ms;
  row.flops += flops;
  rows.set(key, row);
  return r;
};
const t0 = performance.now();
await vae.fit(data(steps), { epochs: 1, batchSize: B, shuffle: false, optimizer: recipe.fit.optimizer });
const total = (performance.now() - t0) / steps;
const kernels = [...rows.values()].reduce((s, r) => s + r.ms, 0) / steps;
console.log(`${recipe === CONV_RECIPE ? 'conv' : 'reference'} recipe, batch ${B}, wasm (${wv.kernelVariant()}), ${wv.threadCount()} thread(s): ` +
  `${total.toFixed(1)} ms per step (${((B / total) * 1000).toFixed(0)} samples/s), ${kernels.toFixed(1)} ms in kernels`);
console.log('ms/step   share  GFLOPS  kernel and shape');
for (const [key, r] of [...rows].sort((a, b) => b[1].ms - a[1].ms)) {
  const ms = r.ms / steps;
  const gflops = r.flops ? (r.flops / (r.ms * 1e6)).toFixed(1).padStart(6) : '      ';
  console.log(`${ms.toFixed(2).padStart(7)}  ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${gflops}  ${key}`);
}
vae.dispose();
await wv.shutdown();
