// npm run bench [-- --quick] [-- --only gemm|kernels|train|conv|inference|serve|startup] [-- --rounds N]: every
// suite in one process, one run; prints the tables and (all but --quick runs) writes
// bench/results/<date>-<hhmm>-<cpu>-<cores>c[-suite].{json,md}. --rounds N (train suite): the rows
// that set targets (wavae wasm, Node 24, PyTorch) run N times, alternated, and keep their best.
// Ratios measured side by side in this run are the headline; absolute numbers vary by machine.
import * as wv from '../src/node.js';
import { benchGemm, squareShapes, VAE_SHAPES, type GemmRow } from './gemm.js';
import { benchInference } from './inference.js';
import { benchKernels } from './kernels.js';
import { machineInfo, markdownTable, writeResults } from './machine.js';
import { benchStartup } from './startup.js';
import { benchGaussianTraining, benchTraining, type TrainRow } from './train.js';
import { benchConvTraining } from './conv.js';
import { benchServe } from './serve.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : null;
const want = (suite: string): boolean => !only || only === suite;
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 1;
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 9) throw new Error(`--rounds must be an integer in [1, 9], got ${args[roundsAt + 1]}`);

const info = machineInfo();
const t0 = performance.now();
console.log(`wavae bench: ${info.cpu}, ${info.cores} cores, Node ${info.node}${quick ? ' (quick)' : ''}\n`);
const results: Record<string, unknown> = {};
const md: string[] = [`# wavae benchmarks (${info.date.slice(0, 10)}, ${info.cpu}, ${info.cores} cores, Node ${info.node})\n`];
const x = (a: number, b: number | undefined): string => (b ? `${(a / b).toFixed(1)}x` : '-');

if (want('gemm')) {
  const shapes = [...VAE_SHAPES, ...squareShapes(quick ? [256] : [64, 128, 256, 512, 1024])];
  const rows = await benchGemm(shapes, ['wasm', 'wasm-2t', 'js', 'tfjs-wasm', 'tfjs-cpu'], quick ? 100 : 700);
  results.gemm = rows;
  const find = (backend: string, r: GemmRow): GemmRow | undefined => rows.find((o) => o.backend === backend && o.trans === r.trans && o.m === r.m && o.n === r.n && o.k === r.k);
  md.push('## GEMM (GFLOPS)\n', markdownTable(
    ['m x n x k', 'op', 'role', 'wavae wasm', 'wavae wasm 2 threads', 'wavae js', 'TF.js wasm', 'TF.js cpu', 'wasm / TF.js wasm', '2 threads / 1'],
    rows.filter((r) => r.backend === 'wasm').map((r) => {
      const [t2, js, tw, tc] = [find('wasm-2t', r), find('js', r), find('tfjs-wasm', r), find('tfjs-cpu', r)];
      return [`${r.m}x${r.n}x${r.k}`, r.trans, r.role, r.gflops.toFixed(1), t2?.gflops.toFixed(1) ?? '-', js?.gflops.toFixed(2) ?? '-', tw?.gflops.toFixed(1) ?? '-',
        tc?.gflops.toFixed(2) ?? '-', x(r.gflops, tw?.gflops), x(t2?.gflops ?? 0, r.gflops)];
    })));
}

if (want('kernels')) {
  const rows = await benchKernels(quick ? 100 : 500);
  results.kernels = rows;
  md.push('## Elementwise kernels (median microseconds per call)\n', markdownTable(['kernel', 'shape', 'wasm us', 'js us', 'wasm / js speed-up', 'wasm GB/s'],
    rows.filter((r) => r.backend === 'wasm').map((r) => {
      const js = rows.find((o) => o.backend === 'js' && o.kernel === r.kernel && o.shape === r.shape);
      return [r.kernel, r.shape, r.medianUs.toFixed(1), js?.medianUs.toFixed(1) ?? '-', js ? x(js.medianUs, r.medianUs) : '-', r.gbPerSec.toFixed(1)];
    })));
}

let mnist: Awaited<ReturnType<typeof wv.datasets.mnist>> | null = null;
if (want('train') || want('conv') || want('inference') || want('serve')) mnist = await wv.datasets.mnist();

if (want('train') && mnist) {
  const { rows, node24, torch } = await benchTraining(mnist.train.images, { seconds: quick ? 1.5 : 8, rounds });
  results.training = rows;
  results.trainingPeers = { node24, torch };
  const get = (b: string): number | undefined => rows.find((r) => r.backend === b)?.samplesPerSec;
  const torchBest = Math.max(0, ...rows.filter((r) => r.library === 'PyTorch').map((r) => r.samplesPerSec)) || undefined; // one core is a setting of two
  md.push('## VAE training, 784-400-20, ReLU, Bernoulli, batch 128, Adam 1e-3 (samples/s)\n',
    ...[torch && `PyTorch: ${torch}.\n`, node24 && `Node 24: ${node24}.\n`].filter((line): line is string => !!line),
    markdownTable(['library', 'setting', 'samples/s', 'ms per batch', 'vs TF.js wasm', 'vs TF.js cpu', 'vs PyTorch, 1 thread', 'vs PyTorch, best on 2 cores'],
      rows.map((r) => [r.library, r.detail, r.samplesPerSec.toFixed(0), r.msPerStep.toFixed(2), x(r.samplesPerSec, get('tfjs-wasm')), x(r.samplesPerSec, get('tfjs-cpu')),
        x(r.samplesPerSec, get('torch')), x(r.samplesPerSec, torchBest)])));
}

if (want('train')) {
  const { rows, node24, torch } = await benchGaussianTraining({ seconds: quick ? 1.5 : 8, rounds });
  results.gaussianTraining = { rows, node24, torch };
  const get = (b: string): number | undefined => rows.find((r) => r.backend === b)?.samplesPerSec;
  const torchBest = Math.max(0, ...rows.filter((r) => r.library === 'PyTorch').map((r) => r.samplesPerSec)) || undefined;
  md.push('## Dense inputs: the same VAE with a Gaussian likelihood (learned variance per column) on standard normal rows (samples/s)\n',
    ...[torch && `PyTorch: ${torch}.\n`, node24 && `Node 24: ${node24}.\n`].filter((line): line is string => !!line),
    markdownTable(['library', 'setting', 'samples/s', 'ms per batch', 'vs PyTorch, 1 thread', 'vs PyTorch, best on 2 cores'],
      rows.map((r) => [r.library, r.detail, r.samplesPerSec.toFixed(0), r.msPerStep.toFixed(2), x(r.samplesPerSec, get('torch')), x(r.samplesPerSec, torchBest)])));
}

if (want('conv') && mnist) {
  const { rows, layers, torch, node24 } = await benchConvTraining(mnist.train.images, { seconds: quick ? 1.5 : 8 });
  results.conv = { rows, layers, torch, node24 };
  const torch1 = rows.find((r) => r.library === 'PyTorch' && r.threads === 1)?.samplesPerSec;
  const torchBest = Math.max(0, ...rows.filter((r) => r.library === 'PyTorch').map((r) => r.samplesPerSec)) || undefined;
  md.push('## Conv VAE training (CONV_RECIPE: conv 32, 64 4x4/2, dense 256, latent 20, mirrored decoder; batch 128, Adam 1e-3; samples/s)\n',
    torch ? `PyTorch: ${torch}.\n\n` : '',
    node24 ? `Node 24: ${node24}.\n\n` : '',
    markdownTable(['library', 'setting', 'samples/s', 'ms per batch', 'vs PyTorch, 1 thread', 'vs PyTorch, best on 2 cores'],
      rows.map((r) => [r.library, r.detail, r.samplesPerSec.toFixed(0), r.msPerStep.toFixed(1), x(r.samplesPerSec, torch1), x(r.samplesPerSec, torchBest)])),
    '\n### Conv layers, forward + both backward products, batch 128\n',
    markdownTable(['layer', 'shape', 'threads', 'ms', 'GFLOPS'], layers.map((l) => [l.layer, l.shape, l.threads, l.msPerBatch.toFixed(2), l.gflops.toFixed(1)])));
}

if (want('inference') && mnist) {
  const rows = await benchInference(mnist.test.images, quick ? 200 : 1500);
  results.inference = rows;
  md.push('## Inference: encode + decode (reconstruct)\n', markdownTable(['library', 'backend', 'one sample (ms)', 'batch 1024 (samples/s)'],
    rows.map((r) => [r.library, r.backend, r.latencyMs.toFixed(3), r.throughput.toFixed(0)])));
}

if (want('serve') && mnist) {
  const r = await benchServe(mnist.test.images, { quick });
  results.serve = r;
  md.push('## wavae serve under load: POST /score, 784-400-20 VAE, autocannon on 127.0.0.1 (client and server on the same cores)\n', markdownTable(
    ['request', 'connections', 'requests/s', 'rows/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx'],
    r.rows.map((row) => [row.scenario, row.connections, row.requestsPerSec.toFixed(0), row.rowsPerSec.toFixed(0), row.p50Ms, row.p99Ms, row.errors, row.non2xx])),
  `\nServer RSS ${r.rssAfterWarmupMb.toFixed(0)} MB after warm-up, ${r.rssAfterLongRunMb.toFixed(0)} MB after the ${r.longRunSeconds} s run at 64 connections; ` +
  `GET /health during that run: p99 ${r.healthP99Ms.toFixed(1)} ms, max ${r.healthMaxMs.toFixed(1)} ms.\n`);
}

if (want('startup')) {
  const row = await benchStartup(quick ? 3 : 9);
  results.startup = row;
  const tf = row.tfjsWasmBytes;
  md.push('## Cold start and size\n', markdownTable(['measure', 'wavae', 'TF.js (core + wasm backend, for reference)'], [
    ['cold start: import, init() (threads on the cores), first decode (ms)', row.coldStartMs.toFixed(0), '-'],
    ['cold start with init({ threads: 1 }) (ms)', row.coldStartOneThreadMs.toFixed(0), '-'],
    ['library bundle, minified (KB)', (row.bundleBytes / 1024).toFixed(1), `${((tf.coreJs + tf.js) / 1024).toFixed(0)} JS + ${(tf.wasm / 1024).toFixed(0)} wasm`],
    ['library bundle, gzipped (KB)', (row.bundleGzipBytes / 1024).toFixed(1), '-'],
    ['kernels wasm (KB, inside the bundle)', (row.wasmBytes / 1024).toFixed(1), (tf.wasm / 1024).toFixed(0)],
  ]));
}

if (want('relaxed')) {
  // a child Node with relaxed SIMD enabled (Node 20 has it behind a flag; wavae never requires it)
  const { execFileSync } = await import('node:child_process');
  const flags = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : []; // Node 22+ validate it by default; 24 refuses the flag
  const out = execFileSync(process.execPath, [...flags, 'scripts/run-ts.mjs', 'bench/relaxed.ts', ...(quick ? ['--quick'] : [])], { encoding: 'utf8' });
  const rows = JSON.parse(out.trim().split('\n').pop() as string) as { variant: string; threads: number; gemm: { trans: string; gflops: number }[]; samplesPerSec: number }[];
  results.relaxed = rows;
  const tfWasm = (results.training as TrainRow[] | undefined)?.find((r) => r.backend === 'tfjs-wasm')?.samplesPerSec;
  for (const r of rows) console.log(`relaxed suite: ${r.variant.padEnd(12)} ${r.threads} thread(s) GEMM ${r.gemm.map((g) => `${g.trans} ${g.gflops.toFixed(1)}`).join(', ')} GFLOPS; training ${r.samplesPerSec.toFixed(0)} samples/s`);
  md.push('## Relaxed SIMD (fused multiply-add GEMM) against strict, Node with --experimental-wasm-relaxed-simd (GFLOPS, samples/s)\n', markdownTable(
    ['kernels', 'threads', 'NT 128x400x784', 'NN 128x784x400', 'TN 400x784x128', 'VAE training samples/s', 'vs TF.js wasm (training suite)'],
    rows.map((r) => [r.variant, String(r.threads), ...r.gemm.map((g) => g.gflops.toFixed(1)), r.samplesPerSec.toFixed(0), x(r.samplesPerSec, tfWasm)])));
}

const seconds = (performance.now() - t0) / 1000;
md.push(`Run time ${seconds.toFixed(0)} s. One thread unless a row or column says 2 threads (init({ threads: 2 }): GEMMs, optimizer updates and losses split across worker_threads). TF.js ${'4.22.0'} runs with its wasm backend (SIMD binary, one thread) and its cpu backend, ` +
  'training written with tf.variable + tf.train.adam + optimizer.minimize; warm-up excluded.' +
  (rounds > 1 && want('train') ? ` Training: wavae's wasm rows, Node 24's and PyTorch's are the best of ${rounds} rounds, alternated; the js and TF.js rows ran once.` : '') + '\n');
const text = md.join('\n');
console.log('\n' + text);
if (!quick) { // a single suite (--only) is kept too, named by it
  const files = writeResults(only, info, results, text);
  console.log(`wrote ${files.join(', ')}`);
}
