// Independent float64 forward passes of the VAE and the Autoencoder, written from the textbook
// formulas over the parameters by name (PyTorch layout: y = x W^T + b). The gradient checks
// differentiate these numerically and compare with the models' analytic gradients.
import type { Act } from '../src/backend/index.js';

export type Params = Record<string, Float64Array>;

const ACT: Record<Act, (x: number) => number> = {
  identity: (x) => x,
  relu: (x) => Math.max(0, x),
  leaky_relu: (x) => (x > 0 ? x : 0.01 * x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
};

/** y (n, nout) = act(x (n, nin) W^T + b) in float64. */
export function dense(p: Params, name: string, x: Float64Array, n: number, act: Act): Float64Array {
  const w = p[`${name}.weight`];
  const b = p[`${name}.bias`];
  const nout = b.length;
  const nin = w.length / nout;
  const y = new Float64Array(n * nout);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < nout; o++) {
      let s = b[o];
      for (let k = 0; k < nin; k++) s += x[i * nin + k] * w[o * nin + k];
      y[i * nout + o] = ACT[act](s);
    }
  }
  return y;
}

function mlp(p: Params, prefix: string, count: number, x: Float64Array, n: number, act: Act, lastAct: Act, acts?: readonly Act[]): Float64Array {
  let h = x;
  for (let i = 0; i < count; i++) h = dense(p, `${prefix}.${i}`, h, n, acts ? acts[i] : i === count - 1 ? lastAct : act);
  return h;
}

const bce = (l: number, t: number): number => Math.max(l, 0) - l * t + Math.log1p(Math.exp(-Math.abs(l)));

/** The VAE objective per sample: mean over rows of recon + beta KL, plus 0.5 wd ||W||^2. */
export function vaeObjective(p: Params, cfg: {
  hidden: number; likelihood: 'bernoulli' | 'gaussian'; fixedLogVar?: number; beta: number; weightDecay: number; act: Act;
  /** Per-layer activations (layer specs that name their own), encoder then decoder. */
  encoderActs?: readonly Act[]; decoderActs?: readonly Act[];
}, x: Float64Array, eps: Float64Array, n: number): number {
  const D = x.length / n;
  let h = mlp(p, 'encoder', cfg.hidden, x, n, cfg.act, cfg.act, cfg.encoderActs);
  if (cfg.hidden === 0) h = x;
  const mean = dense(p, 'mean', h, n, 'identity');
  const logVar = dense(p, 'logvar', h, n, 'identity');
  const L = mean.length / n;
  const z = mean.map((m, i) => m + Math.exp(logVar[i] / 2) * eps[i]);
  const out = mlp(p, 'decoder', cfg.decoderActs?.length ?? cfg.hidden + 1, z, n, cfg.act, 'identity', cfg.decoderActs);
  let recon = 0;
  for (let i = 0; i < n * D; i++) {
    if (cfg.likelihood === 'bernoulli') recon += bce(out[i], x[i]);
    else {
      const lv = cfg.fixedLogVar ?? p['output.logvar'][i % D];
      recon += 0.5 * ((out[i] - x[i]) ** 2 * Math.exp(-lv) + lv + Math.log(2 * Math.PI));
    }
  }
  let kl = 0;
  for (let i = 0; i < n * L; i++) kl += 0.5 * (Math.exp(logVar[i]) + mean[i] ** 2 - 1 - logVar[i]);
  return (recon + cfg.beta * kl) / n + 0.5 * cfg.weightDecay * weightSquares(p);
}

/** The Autoencoder objective: mean over rows of SSE or BCE, plus 0.5 wd ||W||^2. */
export function aeObjective(p: Params, cfg: { hidden: number; loss: 'mse' | 'bce'; weightDecay: number; act: Act },
  x: Float64Array, n: number): number {
  const code = mlp(p, 'encoder', cfg.hidden + 1, x, n, cfg.act, 'identity');
  const out = mlp(p, 'decoder', cfg.hidden + 1, code, n, cfg.act, 'identity');
  let recon = 0;
  for (let i = 0; i < x.length; i++) recon += cfg.loss === 'bce' ? bce(out[i], x[i]) : (out[i] - x[i]) ** 2;
  return recon / n + 0.5 * cfg.weightDecay * weightSquares(p);
}

function weightSquares(p: Params): number {
  let s = 0;
  for (const [name, v] of Object.entries(p)) if (name.endsWith('.weight')) for (const w of v) s += w * w;
  return s;
}

/** Float64 copies of parameters by name. */
export const toF64 = (p: Record<string, Float32Array>): Params => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float64Array.from(v)]));

/** Every gradient tensor against central differences of objective(params) in float64. */
export function checkAllGradients(grads: Record<string, Float32Array>, params: Record<string, Float32Array>, objective: (p: Params) => number): number {
  const p = toF64(params);
  let worst = 0;
  for (const [name, g] of Object.entries(grads)) {
    const v = p[name];
    for (let i = 0; i < v.length; i++) {
      const keep = v[i];
      const h = 1e-5 * (1 + Math.abs(keep));
      v[i] = keep + h;
      const up = objective(p);
      v[i] = keep - h;
      const down = objective(p);
      v[i] = keep;
      const num = (up - down) / (2 * h);
      const err = Math.abs(g[i] - num) / Math.max(1e-2, Math.abs(num));
      if (!(err < 2e-3)) throw new Error(`${name}[${i}]: analytic ${g[i]}, numeric ${num}`);
      worst = Math.max(worst, err);
    }
  }
  return worst;
}

/** A layer of a stack, as the float64 reference runs it (the model's resolved spec and shapes). */
export interface RefLayer {
  spec: { type: string; activation?: string; kernelSize?: number[]; stride?: number[]; padding?: number[] };
  input: readonly number[];
  output: readonly number[];
  name: string | null;
  /** Condition columns this dense layer takes: its input is [x, c], concatenated. */
  condition?: number;
}

/** Rows of a (n, da) and b (n, db) side by side: [a, b] (n, da + db), as torch.cat([a, b], 1). */
export function concatRows(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const [da, db] = [a.length / n, b.length / n];
  const out = new Float64Array(n * (da + db));
  for (let i = 0; i < n; i++) {
    out.set(a.subarray(i * da, (i + 1) * da), i * (da + db));
    out.set(b.subarray(i * db, (i + 1) * db), i * (da + db) + da);
  }
  return out;
}

/** A conv layer's shapes (input c, h, w; output f, ho, wo), kernel, stride, padding, weight and bias. */
function convOf(p: Params, l: RefLayer) {
  const [c, h, w] = l.input;
  const [f, ho, wo] = l.output;
  const [kh, kw] = l.spec.kernelSize as number[];
  const [sh, sw] = l.spec.stride as number[];
  const [ph, pw] = l.spec.padding as number[];
  return { c, h, w, f, ho, wo, kh, kw, sh, sw, ph, pw, W: p[`${l.name}.weight`], b: p[`${l.name}.bias`] };
}

/** Conv2d in float64, PyTorch's definition: x (n, c, h, w), weight (f, c, kh, kw), bias (f). */
function conv2d(p: Params, l: RefLayer, x: Float64Array, n: number): Float64Array {
  const { c, h, w, f, ho, wo, kh, kw, sh, sw, ph, pw, W, b } = convOf(p, l);
  const y = new Float64Array(n * f * ho * wo);
  for (let s = 0; s < n; s++) for (let o = 0; o < f; o++) for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) {
    let acc = b[o];
    for (let ci = 0; ci < c; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const iy = oy * sh - ph + ky;
      const ix = ox * sw - pw + kx;
      if (iy >= 0 && iy < h && ix >= 0 && ix < w) acc += x[((s * c + ci) * h + iy) * w + ix] * W[((o * c + ci) * kh + ky) * kw + kx];
    }
    y[((s * f + o) * ho + oy) * wo + ox] = ACT[(l.spec.activation ?? 'identity') as Act](acc);
  }
  return y;
}

/** ConvTranspose2d in float64, PyTorch's definition: x (n, c, h, w), weight (c, f, kh, kw), bias (f): each input pixel scatters its kernel. */
function conv2dTranspose(p: Params, l: RefLayer, x: Float64Array, n: number): Float64Array {
  const { c, h, w, f, ho, wo, kh, kw, sh, sw, ph, pw, W, b } = convOf(p, l);
  const y = new Float64Array(n * f * ho * wo);
  for (let s = 0; s < n; s++) for (let ci = 0; ci < c; ci++) for (let iy = 0; iy < h; iy++) for (let ix = 0; ix < w; ix++) {
    const v = x[((s * c + ci) * h + iy) * w + ix];
    for (let o = 0; o < f; o++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const oy = iy * sh - ph + ky;
      const ox = ix * sw - pw + kx;
      if (oy >= 0 && oy < ho && ox >= 0 && ox < wo) y[((s * f + o) * ho + oy) * wo + ox] += v * W[((ci * f + o) * kh + ky) * kw + kx];
    }
  }
  for (let s = 0; s < n; s++) for (let o = 0; o < f; o++) for (let i = 0; i < ho * wo; i++) {
    const at = (s * f + o) * ho * wo + i;
    y[at] = ACT[(l.spec.activation ?? 'identity') as Act](y[at] + b[o]);
  }
  return y;
}

/** A stack of layers in float64 (dense, conv2d, conv2dTranspose; flatten and reshape move nothing); a layer that takes the condition c gets [h, c]. */
export function stackForward(p: Params, layers: readonly RefLayer[], x: Float64Array, n: number, c: Float64Array | null = null): Float64Array {
  let h = x;
  for (const l of layers) {
    if (l.spec.type === 'dense') h = dense(p, l.name as string, l.condition ? concatRows(h, c as Float64Array, n) : h, n, (l.spec.activation ?? 'identity') as Act);
    else if (l.spec.type === 'conv2d') h = conv2d(p, l, h, n);
    else if (l.spec.type === 'conv2dTranspose') h = conv2dTranspose(p, l, h, n);
  }
  return h;
}

/**
 * A Bernoulli VAE's objective per sample over any layer stacks: mean over rows of BCE + beta KL.
 * With a condition c (n rows), the layers marked with it take [h, c], and the heads take it when
 * no encoder layer did.
 */
export function stackVaeObjective(p: Params, encoder: readonly RefLayer[], decoder: readonly RefLayer[], beta: number,
  x: Float64Array, eps: Float64Array, n: number, c: Float64Array | null = null): number {
  const h = stackForward(p, encoder, x, n, c);
  const hc = c && !encoder.some((l) => l.condition) ? concatRows(h, c, n) : h;
  const mean = dense(p, 'mean', hc, n, 'identity');
  const logVar = dense(p, 'logvar', hc, n, 'identity');
  const z = mean.map((m, i) => m + Math.exp(logVar[i] / 2) * eps[i]);
  const out = stackForward(p, decoder, z, n, c);
  let recon = 0;
  for (let i = 0; i < x.length; i++) recon += bce(out[i], x[i]);
  let kl = 0;
  for (let i = 0; i < mean.length; i++) kl += 0.5 * (Math.exp(logVar[i]) + mean[i] ** 2 - 1 - logVar[i]);
  return (recon + beta * kl) / n;
}

/** An autoencoder's objective per sample over layer stacks (the encoder's ending in the code layer): mean over rows of BCE or the squared error. */
export function stackAeObjective(p: Params, encoder: readonly RefLayer[], decoder: readonly RefLayer[], loss: 'mse' | 'bce',
  x: Float64Array, n: number, c: Float64Array | null = null): number {
  const out = stackForward(p, decoder, stackForward(p, encoder, x, n, c), n, c);
  let total = 0;
  for (let i = 0; i < x.length; i++) total += loss === 'bce' ? bce(out[i], x[i]) : (out[i] - x[i]) ** 2;
  return total / n;
}
