// Training throughput (samples/s) of the same VAE (784-400-20, ReLU, Bernoulli, batch 128,
// Adam 1e-3) on wavae wasm, wavae js, TF.js wasm and TF.js cpu, on real MNIST batches, after a
// short warm-up that is not timed.
import * as wv from '../src/node.js';
import { tf, tfVae, useTf, type TfBackend } from './peers.js';

export interface TrainRow {
  library: string;
  backend: string;
  detail: string;
  steps: number;
  msPerStep: number;
  samplesPerSec: number;
}

/** Runs `steps` timed training steps of batch 128 on each library; warm-up steps excluded. */
export async function benchTraining(images: wv.Matrix, opts: { seconds: number; log?: (s: string) => void }): Promise<TrainRow[]> {
  const log = opts.log ?? console.log;
  const rows: TrainRow[] = [];
  const B = 128;
  const budget = opts.seconds * 1000;
  for (const [backend, threads] of [['wasm', 1], ['wasm', 2], ['js', 1]] as const) {
    await wv.init({ backend, threads });
    const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, seed: 1 });
    const warm = wv.matrix(B * 3, 784, images.data.subarray(0, B * 3 * 784));
    await vae.fit(warm, { epochs: 1, batchSize: B, shuffle: false }); // warm-up: compile, plan
    // timed: whole epochs over enough rows to fill the time budget (estimated from a probe)
    const probeRows = B * (backend === 'wasm' ? 20 : 2);
    const t0 = performance.now();
    await vae.fit(wv.matrix(probeRows, 784, images.data.subarray(0, probeRows * 784)), { epochs: 1, batchSize: B, shuffle: false });
    const perStep = (performance.now() - t0) / (probeRows / B);
    const steps = Math.max(3, Math.min(Math.floor(images.rows / B), Math.round(budget / perStep)));
    const x = wv.matrix(steps * B, 784, images.data.subarray(0, steps * B * 784));
    const t1 = performance.now();
    await vae.fit(x, { epochs: 1, batchSize: B, shuffle: false });
    const ms = (performance.now() - t1) / steps;
    const name = threads > 1 ? `${backend}-${threads}t` : backend;
    rows.push({ library: 'wavae', backend: name, detail: `wavae ${backend}${backend === 'wasm' ? `, ${threads} thread${threads > 1 ? 's' : ''}` : ''}`, steps, msPerStep: ms, samplesPerSec: (B / ms) * 1000 });
    log(`train wavae ${name.padEnd(7)} ${((B / ms) * 1000).toFixed(0).padStart(6)} samples/s  (${ms.toFixed(2)} ms per batch of ${B}, ${steps} steps)`);
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
    rows.push({ library: 'TensorFlow.js', backend, detail, steps, msPerStep: ms, samplesPerSec: (B / ms) * 1000 });
    log(`train ${backend.padEnd(10)} ${((B / ms) * 1000).toFixed(0).padStart(6)} samples/s  (${ms.toFixed(2)} ms per batch, ${steps} steps; ${detail})`);
    batches.forEach((b) => b.dispose());
    vae.dispose();
  }
  return rows;
}
