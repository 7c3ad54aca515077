// Training throughput (samples/s) of the same VAE (784-400-20, ReLU, Bernoulli, batch 128,
// Adam 1e-3): wavae wasm on 1 and 2 threads (on this Node and on Node 24), wavae js, TF.js wasm
// and cpu, and PyTorch in its fastest settings on 1 and 2 cores (bench/children.ts), on real
// MNIST batches (PyTorch on MNIST-shaped noise), after a short warm-up that is not timed; and the
// dense-input case (benchGaussianTraining): a Gaussian likelihood on standard normal rows, where
// the first layer's sparse-input GEMM finds nothing to skip.
import * as wv from '../src/node.js';
import { node24Rows, torchRows, type PeerRow } from './children.js';
import { tf, tfVae, useTf, type TfBackend } from './peers.js';

export interface TrainRow extends PeerRow {
  /** 'wasm', 'wasm-2t', 'js', 'tfjs-wasm', 'tfjs-cpu', 'node24-wasm', 'node24-wasm-2t', 'torch', 'torch-2c'. */
  backend: string;
}

const B = 128;

/** wavae's training samples/s of the dense VAE on `threads` threads (or the js backend) in this process. */
export async function wavaeDenseRow(images: wv.Matrix, threads: number, seconds: number, backend: 'wasm' | 'js' = 'wasm',
  likelihood: 'bernoulli' | 'gaussian' = 'bernoulli'): Promise<{ row: PeerRow; vae: wv.VAE; steps: number }> {
  await wv.init({ backend, threads });
  const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, likelihood, seed: 1 });
  const warm = wv.matrix(B * 3, 784, images.data.subarray(0, B * 3 * 784));
  await vae.fit(warm, { epochs: 1, batchSize: B, shuffle: false }); // warm-up: compile, plan
  // timed: whole epochs over enough rows to fill the time budget (estimated from a probe)
  const probeRows = B * (backend === 'wasm' ? 20 : 2);
  const t0 = performance.now();
  await vae.fit(wv.matrix(probeRows, 784, images.data.subarray(0, probeRows * 784)), { epochs: 1, batchSize: B, shuffle: false });
  const perStep = (performance.now() - t0) / (probeRows / B);
  const steps = Math.max(3, Math.min(Math.floor(images.rows / B), Math.round((seconds * 1000) / perStep)));
  const x = wv.matrix(steps * B, 784, images.data.subarray(0, steps * B * 784));
  const t1 = performance.now();
  await vae.fit(x, { epochs: 1, batchSize: B, shuffle: false });
  const ms = (performance.now() - t1) / steps;
  const detail = backend === 'js' ? `wavae js, Node ${process.versions.node}`
    : `wavae wasm (${wv.kernelVariant()}), Node ${process.versions.node}, ${threads} thread${threads > 1 ? 's' : ''}${likelihood === 'gaussian' ? ', Gaussian' : ''}`;
  return { row: { library: 'wavae', detail, threads, samplesPerSec: (B / ms) * 1000, msPerStep: ms }, vae, steps };
}

/**
 * The best of each row over rounds: the rows that compete (wavae's wasm rows, Node 24's and
 * PyTorch's) run `rounds` times, alternated, and keep their fastest run, as a noisy shared machine
 * needs (a neighbour's busy minute lands on one round, not on every round of one row).
 */
class BestRows {
  private readonly best = new Map<string, TrainRow>();
  keep(row: TrainRow): void {
    const b = this.best.get(row.backend);
    if (!b || row.samplesPerSec > b.samplesPerSec) this.best.set(row.backend, row);
  }
  /** The kept rows in the order given (names without a row are skipped). */
  rows(order: readonly string[]): TrainRow[] {
    return order.flatMap((name) => this.best.get(name) ?? []);
  }
}

/**
 * The rows that set targets, `rounds` times alternated, into best: wavae wasm on 1 and 2 threads,
 * Node 24's rows and PyTorch's, on data (MNIST with the Bernoulli likelihood for 'dense', standard
 * normal rows with the Gaussian one for 'gaussian'). Returns why Node 24 or PyTorch rows are missing.
 */
async function competingRounds(arch: 'dense' | 'gaussian', data: wv.Matrix, opts: { seconds: number; rounds?: number; log?: (s: string) => void },
  best: BestRows): Promise<{ node24: string | null; torch: string | null }> {
  const log = opts.log ?? console.log;
  const label = arch === 'gaussian' ? 'gaussian train' : 'train';
  const rounds = opts.rounds ?? 1;
  let why = { node24: null as string | null, torch: null as string | null };
  for (let round = 0; round < rounds; round++) {
    if (rounds > 1) log(`${label}: round ${round + 1} of ${rounds}`);
    for (const threads of [1, 2]) {
      const { row, vae, steps } = await wavaeDenseRow(data, threads, opts.seconds, 'wasm', arch === 'gaussian' ? 'gaussian' : 'bernoulli');
      const name = threads > 1 ? 'wasm-2t' : 'wasm';
      best.keep({ ...row, backend: name });
      log(`${label} wavae ${name.padEnd(7)} ${row.samplesPerSec.toFixed(0).padStart(6)} samples/s  (${row.msPerStep.toFixed(2)} ms per batch of ${B}, ${steps} steps)`);
      vae.dispose();
    }
    const n24 = node24Rows(arch, opts.seconds, log);
    n24.rows.forEach((r) => best.keep({ ...r, backend: r.threads > 1 ? 'node24-wasm-2t' : 'node24-wasm' }));
    const torch = torchRows(arch, opts.seconds, log);
    torch.rows.forEach((r) => best.keep({ ...r, backend: r.threads > 1 ? 'torch-2c' : 'torch' }));
    why = { node24: n24.why, torch: torch.why };
  }
  return why;
}

/** Every row of the dense training suite, and why Node 24 or PyTorch rows are missing, if they are. */
export async function benchTraining(images: wv.Matrix, opts: { seconds: number; rounds?: number; log?: (s: string) => void }): Promise<{ rows: TrainRow[]; node24: string | null; torch: string | null }> {
  const log = opts.log ?? console.log;
  const best = new BestRows();
  const budget = opts.seconds * 1000;
  const why = await competingRounds('dense', images, opts, best);
  { // the rows that set no target run once: the js backend and TF.js (slow, and far behind)
    const { row, vae, steps } = await wavaeDenseRow(images, 1, opts.seconds, 'js');
    best.keep({ ...row, backend: 'js' });
    log(`train wavae js      ${row.samplesPerSec.toFixed(0).padStart(6)} samples/s  (${row.msPerStep.toFixed(2)} ms per batch of ${B}, ${steps} steps)`);
    vae.dispose();
  }
  for (const backend of ['tfjs-wasm', 'tfjs-cpu'] as TfBackend[]) {
    const detail = await useTf(backend);
    const vae = tfVae(784, 400, 20, 1e-3);
    const batches: tf.Tensor2D[] = [];
    for (let i = 0; i < 8; i++) batches.push(tf.tensor2d(images.data.subarray(i * B * 784, (i + 1) * B * 784), [B, 784]));
    for (let i = 0; i < 3; i++) vae.step(batches[i % 8]); // warm-up
    const t0 = performance.now();
    let steps = 0;
    while (performance.now() - t0 < budget || steps < 3) vae.step(batches[steps++ % 8]);
    const ms = (performance.now() - t0) / steps;
    best.keep({ library: 'TensorFlow.js', backend, detail, threads: 1, msPerStep: ms, samplesPerSec: (B / ms) * 1000 });
    log(`train ${backend.padEnd(10)} ${((B / ms) * 1000).toFixed(0).padStart(6)} samples/s  (${ms.toFixed(2)} ms per batch, ${steps} steps; ${detail})`);
    batches.forEach((b) => b.dispose());
    vae.dispose();
  }
  const rows = best.rows(['wasm', 'wasm-2t', 'js', 'node24-wasm', 'node24-wasm-2t', 'tfjs-wasm', 'tfjs-cpu', 'torch', 'torch-2c']);
  return { rows, ...why };
}

/**
 * Dense inputs: the rows of the Gaussian-likelihood case, standard normal values (no zeros, so the
 * first layer takes the dense GEMM after its count), as many as the MNIST rows the dense suite uses.
 */
export function gaussianRows(rows: number): wv.Matrix {
  const data = new Float32Array(rows * 784);
  new wv.Rng(7).fillNormal(data, 0, data.length);
  return wv.matrix(rows, 784, data);
}

/**
 * The dense-input case: the same 784-400-20 VAE with a Gaussian likelihood (a learned variance per
 * column) on standard normal rows, wavae on 1 and 2 threads (and on Node 24) beside PyTorch's
 * fastest settings on the same model and data shape.
 */
export async function benchGaussianTraining(opts: { seconds: number; rounds?: number; log?: (s: string) => void }): Promise<{ rows: TrainRow[]; node24: string | null; torch: string | null }> {
  const best = new BestRows();
  const why = await competingRounds('gaussian', gaussianRows(60_000), opts, best);
  return { rows: best.rows(['wasm', 'wasm-2t', 'node24-wasm', 'node24-wasm-2t', 'torch', 'torch-2c']), ...why };
}
