// The MNIST conv VAE (CONV_RECIPE: conv2d 32 and 64, 4x4 stride 2; dense 256; latent 20; the
// mirrored decoder; batch 128, Adam 1e-3): training throughput of wavae on one and two threads,
// PyTorch in a child process in its fastest settings (bench/torch/train_vae.py; skipped with the
// reason when torch is missing), and each conv layer's forward + backward GFLOPS at its shape.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import * as wv from '../src/node.js';
import { CONV_RECIPE } from '../src/models/recipes.js';
import type { StackPlan } from '../src/nn/stack.js';
import { tf, tfConvVae, useTf } from './peers.js';

export interface ConvRow { library: string; detail: string; threads: number; samplesPerSec: number; msPerStep: number }
export interface ConvLayerRow { layer: string; shape: string; threads: number; msPerBatch: number; gflops: number }

const B = 128;
const newVae = (): wv.VAE => new wv.VAE({ ...CONV_RECIPE.model, seed: 1 } as ConstructorParameters<typeof wv.VAE>[0]);

/** Training samples/s of wavae (1 and 2 threads) and PyTorch (1 thread; best 2-core setting). */
export async function benchConvTraining(images: wv.Matrix, opts: { seconds: number; log?: (s: string) => void }): Promise<{ rows: ConvRow[]; layers: ConvLayerRow[]; torch: string | null }> {
  const log = opts.log ?? console.log;
  const rows: ConvRow[] = [];
  const layers: ConvLayerRow[] = [];
  for (const threads of [1, 2]) {
    await wv.init({ threads });
    const vae = newVae();
    await vae.fit(wv.matrix(B * 2, 784, images.data.subarray(0, B * 2 * 784)), { epochs: 1, batchSize: B, shuffle: false }); // warm-up
    const t0 = performance.now();
    await vae.fit(wv.matrix(B * 3, 784, images.data.subarray(0, B * 3 * 784)), { epochs: 1, batchSize: B, shuffle: false });
    const steps = Math.max(3, Math.min(Math.floor(images.rows / B), Math.round((opts.seconds * 1000) / ((performance.now() - t0) / 3))));
    const t1 = performance.now();
    await vae.fit(wv.matrix(steps * B, 784, images.data.subarray(0, steps * B * 784)), { epochs: 1, batchSize: B, shuffle: false });
    const ms = (performance.now() - t1) / steps;
    rows.push({ library: 'wavae', detail: `wavae wasm (${wv.kernelVariant()}), ${threads} thread${threads > 1 ? 's' : ''}`, threads, samplesPerSec: (B / ms) * 1000, msPerStep: ms });
    log(`conv train wavae ${threads}t ${((B / ms) * 1000).toFixed(0).padStart(6)} samples/s (${ms.toFixed(1)} ms per batch, ${steps} steps)`);
    layers.push(...convLayers(vae, threads));
    vae.dispose();
  }
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
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = 'PyTorch is not installed (apt-get install python3-torch libopenblas0-pthread); its rows are left out';
    log(`conv train torch: ${why}`);
    return { rows, layers, torch: why };
  }
  // one intra-op thread with OpenBLAS on one; on two cores, both settings of (intra-op, OpenBLAS) threads, the better one kept
  const torchRun = (intra: number, blas: number): ConvRow => {
    const r = spawnSync(python, ['bench/torch/train_vae.py', '--arch', 'conv', '--threads', String(intra), '--seconds', String(opts.seconds)],
      { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: String(blas), OMP_NUM_THREADS: String(intra) } });
    if (r.status !== 0) throw new Error(`bench/torch/train_vae.py failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    return { library: 'PyTorch', detail: `PyTorch ${out.torch}, ${intra} intra-op thread${intra > 1 ? 's' : ''}, OpenBLAS on ${blas}`, threads: Math.max(intra, blas), samplesPerSec: out.samplesPerSec, msPerStep: out.msPerStep };
  };
  rows.push(torchRun(1, 1));
  const two = [torchRun(1, 2), torchRun(2, 1)].sort((a, b) => b.samplesPerSec - a.samplesPerSec);
  rows.push(two[0]);
  for (const r of rows.slice(-2)) log(`conv train torch ${r.detail}: ${r.samplesPerSec.toFixed(0)} samples/s`);
  return { rows, layers, torch: null };
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
