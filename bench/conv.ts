// The MNIST conv VAE (CONV_RECIPE: conv2d 32 and 64, 4x4 stride 2; dense 256; latent 20; the
// mirrored decoder; batch 128, Adam 1e-3): training throughput of wavae on one and two threads,
// on this Node and on Node 24, PyTorch in its fastest settings (child processes: bench/children.ts;
// left out with the reason where they cannot run), TF.js, and each conv layer's forward + backward GFLOPS.
import * as wv from '../src/node.js';
import { CONV_RECIPE } from '../src/models/recipes.js';
import type { StackPlan } from '../src/nn/stack.js';
import { tf, tfConvVae, useTf } from './peers.js';
import { node24Rows, torchRows, type PeerRow } from './children.js';

export type ConvRow = PeerRow;
export interface ConvLayerRow { layer: string; shape: string; threads: number; msPerBatch: number; gflops: number }

const B = 128;
const newVae = (): wv.VAE => new wv.VAE({ ...CONV_RECIPE.model, seed: 1 } as ConstructorParameters<typeof wv.VAE>[0]);

/** wavae's training samples/s on `threads` threads in this process (the engine's default kernel variant); the model is left for the layer timings. */
export async function wavaeConvRow(images: wv.Matrix, threads: number, seconds: number): Promise<{ row: ConvRow; vae: wv.VAE; steps: number }> {
  await wv.init({ threads });
  const vae = newVae();
  await vae.fit(wv.matrix(B * 2, 784, images.data.subarray(0, B * 2 * 784)), { epochs: 1, batchSize: B, shuffle: false }); // warm-up
  const t0 = performance.now();
  await vae.fit(wv.matrix(B * 3, 784, images.data.subarray(0, B * 3 * 784)), { epochs: 1, batchSize: B, shuffle: false });
  const steps = Math.max(3, Math.min(Math.floor(images.rows / B), Math.round((seconds * 1000) / ((performance.now() - t0) / 3))));
  const t1 = performance.now();
  await vae.fit(wv.matrix(steps * B, 784, images.data.subarray(0, steps * B * 784)), { epochs: 1, batchSize: B, shuffle: false });
  const ms = (performance.now() - t1) / steps;
  const detail = `wavae wasm (${wv.kernelVariant()}), Node ${process.versions.node}, ${wv.threadCount()} thread${wv.threadCount() > 1 ? 's' : ''}`;
  return { row: { library: 'wavae', detail, threads, samplesPerSec: (B / ms) * 1000, msPerStep: ms }, vae, steps };
}

/** Training samples/s of wavae (1 and 2 threads; on Node 24 too, in a child process), TF.js and PyTorch (1 thread; best 2-core setting). */
export async function benchConvTraining(images: wv.Matrix, opts: { seconds: number; log?: (s: string) => void }): Promise<{ rows: ConvRow[]; layers: ConvLayerRow[]; torch: string | null; node24: string | null }> {
  const log = opts.log ?? console.log;
  const rows: ConvRow[] = [];
  const layers: ConvLayerRow[] = [];
  for (const threads of [1, 2]) {
    const { row, vae, steps } = await wavaeConvRow(images, threads, opts.seconds);
    rows.push(row);
    log(`conv train ${row.detail}: ${row.samplesPerSec.toFixed(0).padStart(6)} samples/s (${row.msPerStep.toFixed(1)} ms per batch, ${steps} steps)`);
    layers.push(...convLayers(vae, threads));
    vae.dispose();
  }
  // the same rows on Node 24 (relaxed SIMD is its default), in a child process
  const n24 = node24Rows('conv', opts.seconds, log);
  rows.push(...n24.rows);
  // TF.js: its cpu backend trains this model (slowly: one batch of 32 timed); its wasm backend has no Conv2DBackpropFilter
  for (const backend of ['tfjs-cpu', 'tfjs-wasm'] as const) {
    const detail = await useTf(backend);
    const net = tfConvVae(1e-3);
    const x = tf.tensor2d(images.data.subarray(0, 32 * 784), [32, 784]);
    try {
      net.step(x); // warm-up
      const t0 = performance.now();
      net.step(x);
      const ms = ((performance.now() - t0) * B) / 32;
      rows.push({ library: 'TensorFlow.js', detail, threads: 1, samplesPerSec: (B / ms) * 1000, msPerStep: ms });
      log(`conv train ${detail}: ${((B / ms) * 1000).toFixed(1)} samples/s (one batch of 32 timed)`);
    } catch (err) {
      rows.push({ library: 'TensorFlow.js', detail: `${detail}: cannot train it (${(err as Error).message.split('\n')[0]})`, threads: 1, samplesPerSec: 0, msPerStep: NaN });
      log(`conv train ${detail}: ${(err as Error).message.split('\n')[0]}`);
    } finally {
      x.dispose();
      net.dispose();
    }
  }
  const torch = torchRows('conv', opts.seconds, log);
  rows.push(...torch.rows);
  return { rows, layers, torch: torch.why, node24: n24.why };
}

/** Each conv layer's forward + backward (weight and input gradients) at batch 128, timed on the model's own buffers. */
function convLayers(vae: wv.VAE, threads: number): ConvLayerRow[] {
  vae.ensurePlan(B);
  const plan = (vae as unknown as { plan: { enc: StackPlan; dec: StackPlan } }).plan; // the model's own buffers (a bench may look inside)
  const out: ConvLayerRow[] = [];
  for (const [stack, p] of [[vae.encoder, plan.enc], [vae.decoder, plan.dec]] as const) {
    stack.steps.forEach((layer, i) => {
      const r = layer.resolved;
      if (r.spec.type !== 'conv2d' && r.spec.type !== 'conv2dTranspose') return;
      const [image, grid] = r.spec.type === 'conv2d' ? [r.input, r.output] : [r.output, r.input];
      const k = (r.spec.kernelSize as number[]);
      const macs = B * grid[1] * grid[2] * grid[0] * image[0] * k[0] * k[1]; // one product; backward has two more
      const inp = i > 0 ? p.outs[i - 1].rows(B) : p.outs[i].rows(B); // the first layer's input: any buffer of its shape would do
      const be = vae.be;
      const input = i > 0 ? inp : be.alloc(B * r.input.reduce((a, b) => a * b, 1));
      const dinp = be.alloc(B * r.input.reduce((a, b) => a * b, 1));
      const run = (): void => {
        layer.forward(be, p.outs[i].rows(B), input, B, p.ws[i]);
        layer.backward(be, dinp, 0, p.grads[i].rows(B), input, p.outs[i].rows(B), B, p.ws[i]);
      };
      run();
      const reps = 8;
      const t0 = performance.now();
      for (let j = 0; j < reps; j++) run();
      const ms = (performance.now() - t0) / reps;
      out.push({ layer: `${r.name} ${r.spec.type}`, shape: `[${r.input.join(', ')}] -> [${r.output.join(', ')}]`, threads, msPerBatch: ms, gflops: (6 * macs) / (ms * 1e6) });
      if (i === 0) be.free(input);
      be.free(dinp);
    });
  }
  return out;
}
