// Inference: encode + decode (reconstruct) latency for one sample, and throughput at batch 1024,
// for wavae wasm / js and TF.js wasm / cpu, with the 784-400-20 VAE.
import * as wv from '../src/node.js';
import { tf, useTf, type TfBackend } from './peers.js';

export interface InferenceRow {
  library: string;
  backend: string;
  latencyMs: number;
  throughput: number;
}

function timeIt(fn: () => void, budgetMs: number): number {
  for (let i = 0; i < 3; i++) fn();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < budgetMs || n < 3) {
    fn();
    n++;
  }
  return (performance.now() - t0) / n;
}

export async function benchInference(images: wv.Matrix, budgetMs: number, log: (s: string) => void = console.log): Promise<InferenceRow[]> {
  const rows: InferenceRow[] = [];
  const one = wv.matrix(1, 784, images.data.subarray(0, 784));
  const batch = wv.matrix(1024, 784, images.data.subarray(0, 1024 * 784));
  for (const [backend, threads] of [['wasm', 1], ['wasm', 2], ['js', 1]] as const) {
    await wv.init({ backend, threads });
    const name = threads > 1 ? `${backend}-${threads}t` : backend;
    const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20 });
    const latency = timeIt(() => vae.reconstruct(one), budgetMs);
    const perBatch = timeIt(() => vae.reconstruct(batch), budgetMs);
    rows.push({ library: 'wavae', backend: name, latencyMs: latency, throughput: (1024 / perBatch) * 1000 });
    log(`inference wavae ${name.padEnd(9)} one sample ${latency.toFixed(3)} ms, batch 1024 ${((1024 / perBatch) * 1000).toFixed(0)} samples/s`);
    vae.dispose();
  }
  for (const backend of ['tfjs-wasm', 'tfjs-cpu'] as TfBackend[]) {
    await useTf(backend);
    const w = [tf.randomUniform([784, 400], -0.05, 0.05), tf.randomUniform([400, 20], -0.05, 0.05), tf.randomUniform([20, 400], -0.2, 0.2), tf.randomUniform([400, 784], -0.05, 0.05)];
    const b = [tf.zeros([400]), tf.zeros([20]), tf.zeros([400]), tf.zeros([784])];
    const run = (x: tf.Tensor2D): void => {
      const out = tf.tidy(() => {
        const h = tf.relu(tf.add(tf.matMul(x, w[0]), b[0]));
        const mu = tf.add(tf.matMul(h, w[1]), b[1]);
        const h3 = tf.relu(tf.add(tf.matMul(mu, w[2]), b[2]));
        return tf.sigmoid(tf.add(tf.matMul(h3, w[3]), b[3]));
      });
      out.dataSync();
      out.dispose();
    };
    const x1 = tf.tensor2d(one.data, [1, 784]);
    const xb = tf.tensor2d(batch.data, [1024, 784]);
    const latency = timeIt(() => run(x1), budgetMs);
    const perBatch = timeIt(() => run(xb), budgetMs);
    rows.push({ library: 'TensorFlow.js', backend, latencyMs: latency, throughput: (1024 / perBatch) * 1000 });
    log(`inference ${backend.padEnd(15)} one sample ${latency.toFixed(3)} ms, batch 1024 ${((1024 / perBatch) * 1000).toFixed(0)} samples/s`);
    [...w, ...b, x1, xb].forEach((t) => t.dispose());
  }
  return rows;
}
