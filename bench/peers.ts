// TensorFlow.js set up as its users would, for side-by-side numbers: @tensorflow/tfjs with
// the wasm backend (SIMD binary, one thread, like wavae) and the cpu backend (pure JavaScript).
// The VAE is written the TF.js way: tf.variable parameters, tf.train.adam, optimizer.minimize.
// Peers are devDependencies only.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs'; // core, gradients, cpu backend: what a TF.js user imports
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type TfBackend = 'tfjs-wasm' | 'tfjs-cpu';

let wasmPathsSet = false;

/** Activates a TF.js backend; returns a description of what it loaded. */
export async function useTf(backend: TfBackend): Promise<string> {
  if (backend === 'tfjs-wasm') {
    if (!wasmPathsSet) {
      const require = createRequire(import.meta.url);
      setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + path.sep);
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // one thread, as wavae runs here
      setThreadsCount(1);
      wasmPathsSet = true;
    }
    await tf.setBackend('wasm');
    await tf.ready();
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
    return `tfjs-backend-wasm ${tf.version_core}, ${simd ? (threads ? 'tfjs-backend-wasm-threaded-simd.wasm' : 'tfjs-backend-wasm-simd.wasm') : 'tfjs-backend-wasm.wasm'}, 1 thread`;
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return `tfjs-backend-cpu ${tf.version_core}`;
}

/** tf.matMul at a shape; returns a function running it once (result disposed). */
export function tfMatMul(trans: string, m: number, n: number, k: number): { run: () => void; free: () => void } {
  const [ta, tb] = [trans[0] === 'T', trans[1] === 'T'];
  const a = tf.randomUniform(ta ? [k, m] : [m, k]);
  const b = tf.randomUniform(tb ? [n, k] : [k, n]);
  return {
    run: () => {
      const c = tf.matMul(a, b, ta, tb);
      c.dataSync(); // wait for the result
      c.dispose();
    },
    free: () => {
      a.dispose();
      b.dispose();
    },
  };
}

/** PyTorch-default-like uniform init for a [in, out] TF.js weight. */
function dense(nin: number, nout: number): { w: tf.Variable; b: tf.Variable } {
  const bound = 1 / Math.sqrt(nin);
  return { w: tf.variable(tf.randomUniform([nin, nout], -bound, bound)), b: tf.variable(tf.randomUniform([nout], -bound, bound)) };
}

/** A TF.js training step as its users write it (optimizer.minimize over the variables), and the disposal of what it holds. */
function trainer(optimizer: tf.Optimizer, loss: (x: tf.Tensor2D) => tf.Scalar, vars: tf.Variable[]): { step: (x: tf.Tensor2D) => number; dispose: () => void } {
  return {
    step: (x) => {
      const cost = optimizer.minimize(() => loss(x), true, vars) as tf.Scalar;
      const v = cost.dataSync()[0];
      cost.dispose();
      return v;
    },
    dispose: () => {
      for (const v of vars) v.dispose();
      optimizer.dispose();
    },
  };
}

/** The benchmark VAE (784-400-20, ReLU, Bernoulli, Adam 1e-3) in TF.js; step(x) trains on one batch. */
export function tfVae(inputDim: number, hidden: number, latent: number, lr: number): { step: (x: tf.Tensor2D) => number; dispose: () => void } {
  const enc = dense(inputDim, hidden);
  const mean = dense(hidden, latent);
  const logvar = dense(hidden, latent);
  const dec1 = dense(latent, hidden);
  const dec2 = dense(hidden, inputDim);
  const optimizer = tf.train.adam(lr);
  const vars = [enc, mean, logvar, dec1, dec2].flatMap((l) => [l.w, l.b]);
  const loss = (x: tf.Tensor2D): tf.Scalar => {
    const n = x.shape[0];
    const h = tf.relu(tf.add(tf.matMul(x, enc.w), enc.b));
    const mu = tf.add(tf.matMul(h, mean.w), mean.b);
    const lv = tf.add(tf.matMul(h, logvar.w), logvar.b);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(lv, 0.5)), tf.randomNormal(mu.shape)));
    const h3 = tf.relu(tf.add(tf.matMul(z, dec1.w), dec1.b));
    const logits = tf.add(tf.matMul(h3, dec2.w), dec2.b);
    // sum over pixels of relu(l) - l x + log1p(exp(-|l|)): the stable BCE from logits
    const bce = tf.sum(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));
    const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, lv), tf.square(mu)), tf.exp(lv))));
    return tf.div(tf.add(bce, kl), n) as tf.Scalar;
  };
  return trainer(optimizer, loss, vars);
}

export { tf };

/** The MNIST conv VAE of CONV_RECIPE in TF.js (NHWC, tf.layers-free: tf.conv2d / tf.conv2dTranspose on variables); step(x) trains on one batch. */
export function tfConvVae(lr: number): { step: (x: tf.Tensor2D) => number; dispose: () => void } {
  const conv = (k: number, cin: number, cout: number): { w: tf.Variable; b: tf.Variable } => {
    const bound = 1 / Math.sqrt(cin * k * k);
    return { w: tf.variable(tf.randomUniform([k, k, cin, cout], -bound, bound)), b: tf.variable(tf.randomUniform([cout], -bound, bound)) };
  };
  const [c1, c2] = [conv(4, 1, 32), conv(4, 32, 64)];
  const transposed = (k: number, cout: number, cin: number): { w: tf.Variable; b: tf.Variable } => { // filters [k, k, out, in], a bias per output channel
    const bound = 1 / Math.sqrt(cout * k * k);
    return { w: tf.variable(tf.randomUniform([k, k, cout, cin], -bound, bound)), b: tf.variable(tf.randomUniform([cout], -bound, bound)) };
  };
  const [t1, t2] = [transposed(4, 32, 64), transposed(4, 1, 32)];
  const [enc, mean, logvar, dec1, dec2] = [dense(3136, 256), dense(256, 20), dense(256, 20), dense(20, 256), dense(256, 3136)];
  const optimizer = tf.train.adam(lr);
  const vars = [c1, c2, t1, t2, enc, mean, logvar, dec1, dec2].flatMap((l) => [l.w, l.b]);
  const loss = (x: tf.Tensor2D): tf.Scalar => {
    const n = x.shape[0];
    const img = tf.reshape(x, [n, 28, 28, 1]) as tf.Tensor4D;
    const a1 = tf.relu(tf.add(tf.conv2d(img, c1.w as tf.Tensor4D, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]), c1.b)) as tf.Tensor4D;
    const a2 = tf.relu(tf.add(tf.conv2d(a1, c2.w as tf.Tensor4D, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]), c2.b));
    const h = tf.relu(tf.add(tf.matMul(tf.reshape(a2, [n, 3136]), enc.w), enc.b));
    const mu = tf.add(tf.matMul(h, mean.w), mean.b);
    const lv = tf.add(tf.matMul(h, logvar.w), logvar.b);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(lv, 0.5)), tf.randomNormal(mu.shape)));
    const d1 = tf.relu(tf.add(tf.matMul(z, dec1.w), dec1.b));
    const d2 = tf.relu(tf.add(tf.matMul(d1, dec2.w), dec2.b));
    const u1 = tf.relu(tf.add(tf.conv2dTranspose(tf.reshape(d2, [n, 7, 7, 64]) as tf.Tensor4D, t1.w as tf.Tensor4D, [n, 14, 14, 32], 2, 'same'), t1.b)) as tf.Tensor4D;
    const logits = tf.reshape(tf.add(tf.conv2dTranspose(u1, t2.w as tf.Tensor4D, [n, 28, 28, 1], 2, 'same'), t2.b), [n, 784]);
    const bce = tf.sum(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));
    const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, lv), tf.square(mu)), tf.exp(lv))));
    return tf.div(tf.add(bce, kl), n) as tf.Scalar;
  };
  return trainer(optimizer, loss, vars);
}
