// The pure-JavaScript kernels: the readable specification of every op, the oracle of the parity
// tests, and the fallback where SIMD WebAssembly is missing. Plain loops, float64 arithmetic on
// float32 storage; no SIMD, no blocking, no tricks beyond keeping inner loops contiguous.
import type { Kernels } from './kernels.js';

const HEAP_BASE = 16;

// Scalar arguments are float32 in the wasm kernels; rounding them here too keeps the semantics identical.
const f32 = Math.fround; // offset 0 means "none"; the first 64 bytes are never handed out

/** y = f(x) for activation code act (see ACT_CODE). */
function act(x: number, code: number, alpha: number): number {
  switch (code) {
    case 1: return x < 0 ? 0 : x; // relu; NaN passes through
    case 2: return x < 0 ? alpha * x : x; // leaky relu
    case 3: return 1 / (1 + Math.exp(-x)); // sigmoid
    case 4: return Math.tanh(x);
    default: return x;
  }
}

/** f'(x) in terms of y = f(x). */
function actGrad(y: number, code: number, alpha: number): number {
  switch (code) {
    case 1: return y > 0 ? 1 : 0;
    case 2: return y > 0 ? 1 : alpha;
    case 3: return y * (1 - y);
    case 4: return 1 - y * y;
    default: return 1;
  }
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** The JavaScript backend's kernels over a growable Float32Array heap. */
export class JsKernels implements Kernels {
  readonly name = 'js' as const;
  readonly variant = 'js' as const;
  readonly threads = 1;
  readonly base = HEAP_BASE;
  f32: Float32Array;
  private raw = new Float64Array(0); // gemm products before the epilogue, grown to the largest m * n seen
  private nzAt = new Int32Array(0); // gemm_sparse_f32: positions and values of one row's (or column's) nonzeros, grown to k
  private nzX = new Float64Array(0);

  constructor(initialFloats = 1 << 16) {
    this.f32 = new Float32Array(Math.max(initialFloats, HEAP_BASE));
  }

  grow(floats: number): boolean {
    if (floats <= this.f32.length) return true;
    let next: Float32Array;
    try {
      next = new Float32Array(floats);
    } catch {
      return false;
    }
    next.set(this.f32);
    this.f32 = next;
    return true;
  }

  gemm_f32(transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number,
    bias: number, actCode: number, actAlpha: number): void {
    alpha = f32(alpha); beta = f32(beta); actAlpha = f32(actAlpha);
    const h = this.f32;
    // op(a)(i, p) = h[a + i * ai + p * ap] and op(b)(p, j) = h[b + p * bp + j * bj] for any transpose
    const ai = transA ? 1 : lda;
    const ap = transA ? lda : 1;
    const bp = transB ? 1 : ldb;
    const bj = transB ? ldb : 1;
    if (this.raw.length < m * n) this.raw = new Float64Array(m * n);
    const raw = this.raw; // raw (m, n) = op(a) op(b), summed in float64
    // Two rows by four columns at a time: eight sums stay in registers and each loaded value is
    // used four or two times (register blocking, the first trick of every fast GEMM).
    const m2 = m - (m % 2);
    const n4 = n - (n % 4);
    for (let i = 0; i < m2; i += 2) {
      for (let j = 0; j < n4; j += 4) {
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        let pa = a + i * ai;
        let pb = b + j * bj;
        for (let p = 0; p < k; p++, pa += ap, pb += bp) {
          const a0 = h[pa], a1 = h[pa + ai];
          const b0 = h[pb], b1 = h[pb + bj], b2 = h[pb + 2 * bj], b3 = h[pb + 3 * bj];
          s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
          s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
        }
        const r0 = i * n + j;
        const r1 = r0 + n;
        raw[r0] = s00; raw[r0 + 1] = s01; raw[r0 + 2] = s02; raw[r0 + 3] = s03;
        raw[r1] = s10; raw[r1 + 1] = s11; raw[r1 + 2] = s12; raw[r1 + 3] = s13;
      }
    }
    // the edges (a last odd row, the last n % 4 columns): one dot product per element
    for (let i = 0; i < m; i++) {
      for (let j = i < m2 ? n4 : 0; j < n; j++) {
        let s = 0;
        for (let p = 0, pa = a + i * ai, pb = b + j * bj; p < k; p++, pa += ap, pb += bp) s += h[pa] * h[pb];
        raw[i * n + j] = s;
      }
    }
    this.gemmEpilogue(m, n, alpha, beta, c, ldc, bias, actCode, actAlpha);
  }

  /**
   * gemm_f32's result bit for bit, skipping the zeros of X: op(a) in NT, op(b) in TN. Each sum
   * is gemm_f32's float64 sum in the same order without its +-0 terms, which leave a sum that
   * starts at +0 unchanged; a NaN or infinity in the other operand (0 * inf = NaN), X denser
   * than a quarter and other transposes run gemm_f32.
   */
  gemm_sparse_f32(transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number,
    bias: number, actCode: number, actAlpha: number): void {
    const nt = !transA && transB;
    const tn = transA && !transB;
    // the dense operand: W = b (n, k) in NT, D = a (k, m) in TN; rows ld floats apart
    const [d, rows, cols, ld] = nt ? [b, n, k, ldb] : [a, k, m, lda];
    // X denser than a quarter runs gemm_f32: its register-blocked loop reads 0.75 values per
    // multiply-add, the lists 3 (break-even measured at 0.27 on the VAE's first-layer shapes)
    if (!(nt || tn) || (nt ? this.nonzeroShare(a, m, k, lda) : this.nonzeroShare(b, k, n, ldb)) > 0.25 || !this.allFinite(d, rows, cols, ld)) {
      this.gemm_f32(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, actCode, actAlpha);
      return;
    }
    alpha = f32(alpha); beta = f32(beta); actAlpha = f32(actAlpha);
    const h = this.f32;
    if (this.raw.length < m * n) this.raw = new Float64Array(m * n);
    const raw = this.raw;
    // X's rows (NT: rows of op(a)) or columns (TN: columns of op(b)) as lists of nonzeros
    const lists = nt ? m : n;
    if (this.nzAt.length < k) { this.nzAt = new Int32Array(k); this.nzX = new Float64Array(k); }
    const ps = this.nzAt;
    const xs = this.nzX;
    for (let r = 0; r < lists; r++) {
      let cnt = 0;
      for (let p = 0; p < k; p++) {
        const x = nt ? h[a + r * lda + p] : h[b + p * ldb + r];
        if (x !== 0) { ps[cnt] = p; xs[cnt++] = x; }
      }
      const others = nt ? n : m;
      for (let o = 0; o < others; o++) {
        let s = 0;
        // NT: raw(r, o) = sum x * W(o, p); TN: raw(o, r) = sum D(p, o) * x
        if (nt) for (let t = 0; t < cnt; t++) s += xs[t] * h[b + o * ldb + ps[t]];
        else for (let t = 0; t < cnt; t++) s += h[a + ps[t] * lda + o] * xs[t];
        raw[nt ? r * n + o : o * n + r] = s;
      }
    }
    this.gemmEpilogue(m, n, alpha, beta, c, ldc, bias, actCode, actAlpha);
  }

  /** Share of nonzeros (-0 is zero) of the (rows, cols) block at off, rows ld floats apart. */
  private nonzeroShare(off: number, rows: number, cols: number, ld: number): number {
    const h = this.f32;
    let nz = 0;
    for (let r = 0; r < rows; r++) {
      for (let p = 0; p < cols; p++) if (h[off + r * ld + p] !== 0) nz++;
    }
    return nz / (rows * cols);
  }

  /** True when the (rows, cols) block at off, rows ld floats apart, holds no NaN and no infinity. */
  private allFinite(off: number, rows: number, cols: number, ld: number): boolean {
    const h = this.f32;
    for (let r = 0; r < rows; r++) {
      for (let p = 0; p < cols; p++) if (!Number.isFinite(h[off + r * ld + p])) return false;
    }
    return true;
  }

  /** c = act(alpha raw + beta c + bias) from the products in this.raw (m, n); beta 0 does not read c. */
  private gemmEpilogue(m: number, n: number, alpha: number, beta: number, c: number, ldc: number,
    bias: number, actCode: number, actAlpha: number): void {
    const h = this.f32;
    const raw = this.raw;
    for (let i = 0; i < m; i++) {
      const ci = c + i * ldc;
      for (let j = 0; j < n; j++) {
        let v = alpha * raw[i * n + j];
        if (beta !== 0) v += beta * h[ci + j];
        if (bias) v += h[bias + j];
        h[ci + j] = act(v, actCode, actAlpha);
      }
    }
  }

  bias_act_f32(out: number, inp: number, bias: number, rows: number, cols: number, actCode: number, actAlpha: number): void {
    actAlpha = f32(actAlpha);
    const h = this.f32;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        h[out + i * cols + j] = act(h[inp + i * cols + j] + (bias ? h[bias + j] : 0), actCode, actAlpha);
      }
    }
  }

  act_backward_f32(dinp: number, dout: number, out: number, len: number, actCode: number, actAlpha: number): void {
    actAlpha = f32(actAlpha);
    const h = this.f32;
    for (let i = 0; i < len; i++) h[dinp + i] = h[dout + i] * actGrad(h[out + i], actCode, actAlpha);
  }

  col_sum_f32(out: number, inp: number, rows: number, cols: number, beta: number): void {
    beta = f32(beta);
    const h = this.f32;
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s = Math.fround(s + h[inp + i * cols + j]); // float32, row order
      h[out + j] = beta !== 0 ? h[out + j] * beta + s : s;
    }
  }

  scale_f32(x: number, alpha: number, len: number): void {
    alpha = f32(alpha);
    const h = this.f32;
    for (let i = 0; i < len; i++) h[x + i] *= alpha;
  }

  axpy_f32(y: number, alpha: number, x: number, len: number): void {
    alpha = f32(alpha);
    const h = this.f32;
    for (let i = 0; i < len; i++) h[y + i] += alpha * h[x + i];
  }

  fill_f32(x: number, value: number, len: number): void {
    this.f32.fill(value, x, x + len);
  }

  copy_f32(dst: number, src: number, len: number): void {
    this.f32.copyWithin(dst, src, src + len);
  }

  sumsq_f32(x: number, len: number): number {
    const h = this.f32;
    let s = 0;
    for (let i = 0; i < len; i++) s += h[x + i] * h[x + i];
    return s;
  }

  bce_logits_f32(dlogit: number, rowloss: number, logit: number, target: number, rows: number, cols: number, gscale: number): number {
    gscale = f32(gscale);
    const h = this.f32;
    let total = 0;
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) {
        const l = h[logit + i * cols + j];
        const t = h[target + i * cols + j];
        const e = Math.exp(-Math.abs(l)); // in (0, 1]: no overflow for any logit
        s += Math.max(l, 0) - l * t + Math.log1p(e);
        if (dlogit) h[dlogit + i * cols + j] = ((l < 0 ? e / (1 + e) : 1 / (1 + e)) - t) * gscale;
      }
      if (rowloss) h[rowloss + i] = s;
      total += Math.fround(s);
    }
    return total;
  }

  sse_f32(dpred: number, rowloss: number, pred: number, target: number, rows: number, cols: number, gscale: number): number {
    gscale = f32(gscale);
    const h = this.f32;
    let total = 0;
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) {
        const d = h[pred + i * cols + j] - h[target + i * cols + j];
        s += d * d;
        if (dpred) h[dpred + i * cols + j] = 2 * d * gscale;
      }
      if (rowloss) h[rowloss + i] = s;
      total += Math.fround(s);
    }
    return total;
  }

  gauss_nll_f32(dmean: number, dlogvar: number, rowloss: number, mean: number, logvar: number, x: number, rows: number, cols: number, gscale: number): number {
    gscale = f32(gscale);
    const h = this.f32;
    if (dlogvar) h.fill(0, dlogvar, dlogvar + cols);
    let total = 0;
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) {
        const lv = h[logvar + j];
        const d = h[mean + i * cols + j] - h[x + i * cols + j];
        const w = Math.exp(-lv);
        s += 0.5 * (d * d * w + lv) + HALF_LOG_2PI;
        if (dmean) h[dmean + i * cols + j] = d * w * gscale;
        if (dlogvar) h[dlogvar + j] += 0.5 * (1 - d * d * w) * gscale;
      }
      if (rowloss) h[rowloss + i] = s;
      total += Math.fround(s);
    }
    return total;
  }

  kl_normal_f32(dmean: number, dlogvar: number, rowloss: number, mean: number, logvar: number, rows: number, cols: number, gscale: number, beta: number): number {
    gscale = f32(gscale); beta = f32(beta);
    const h = this.f32;
    let total = 0;
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) {
        const m = h[mean + i * cols + j];
        const lv = h[logvar + i * cols + j];
        const ev = Math.exp(lv);
        s += 0.5 * (ev + m * m - 1 - lv);
        if (dmean) { // beta 0 never reads the outputs (they may hold NaN)
          const at = i * cols + j;
          const gm = m * gscale;
          const gl = 0.5 * (ev - 1) * gscale;
          h[dmean + at] = beta !== 0 ? beta * h[dmean + at] + gm : gm;
          h[dlogvar + at] = beta !== 0 ? beta * h[dlogvar + at] + gl : gl;
        }
      }
      if (rowloss) h[rowloss + i] = s;
      total += Math.fround(s);
    }
    return total;
  }

  reparam_f32(z: number, mean: number, logvar: number, eps: number, len: number): void {
    const h = this.f32;
    for (let i = 0; i < len; i++) h[z + i] = h[mean + i] + Math.exp(0.5 * h[logvar + i]) * h[eps + i];
  }

  reparam_backward_f32(dmean: number, dlogvar: number, dz: number, logvar: number, eps: number, len: number): void {
    const h = this.f32;
    for (let i = 0; i < len; i++) {
      const d = h[dz + i];
      h[dlogvar + i] = 0.5 * d * h[eps + i] * Math.exp(0.5 * h[logvar + i]);
      h[dmean + i] = d;
    }
  }

  sgd_f32(param: number, grad: number, len: number, lr: number, wd: number): void {
    lr = f32(lr); wd = f32(wd);
    const h = this.f32;
    for (let i = 0; i < len; i++) h[param + i] -= lr * (h[grad + i] + wd * h[param + i]);
  }

  sgd_momentum_f32(param: number, vel: number, grad: number, len: number, lr: number, momentum: number, wd: number, nesterov: number): void {
    lr = f32(lr); momentum = f32(momentum); wd = f32(wd);
    const h = this.f32;
    for (let i = 0; i < len; i++) {
      const g = h[grad + i] + wd * h[param + i];
      const v = momentum * h[vel + i] + g;
      h[vel + i] = v;
      h[param + i] -= lr * (nesterov ? g + momentum * v : v);
    }
  }

  adam_f32(param: number, m: number, v: number, grad: number, len: number, lr: number, beta1: number, beta2: number,
    eps: number, wd: number, stepSize: number, invSqrtBc2: number, decoupled: number): void {
    lr = f32(lr); beta1 = f32(beta1); beta2 = f32(beta2); eps = f32(eps); wd = f32(wd); stepSize = f32(stepSize); invSqrtBc2 = f32(invSqrtBc2);
    const h = this.f32;
    const shrink = decoupled ? 1 - lr * wd : 1;
    const l2 = decoupled ? 0 : wd;
    for (let i = 0; i < len; i++) {
      const p = h[param + i];
      const g = h[grad + i] + l2 * p;
      const m1 = beta1 * h[m + i] + (1 - beta1) * g;
      const v1 = beta2 * h[v + i] + (1 - beta2) * g * g;
      h[m + i] = m1;
      h[v + i] = v1;
      h[param + i] = p * shrink - stepSize * m1 / (Math.sqrt(v1) * invSqrtBc2 + eps);
    }
  }

  /**
   * RMSprop (torch.optim.RMSprop): g = grad + wd param; sq = alpha sq + (1 - alpha) g^2;
   * centered: gavg = alpha gavg + (1 - alpha) g, avg = sqrt(sq - gavg^2) + eps, else avg = sqrt(sq) + eps;
   * momentum > 0: buf = momentum buf + g / avg, param -= lr buf; else param -= lr g / avg.
   */
  rmsprop_f32(param: number, sq: number, buf: number, gavg: number, grad: number, len: number,
    lr: number, alpha: number, eps: number, wd: number, momentum: number, centered: number): void {
    lr = f32(lr); alpha = f32(alpha); eps = f32(eps); wd = f32(wd); momentum = f32(momentum);
    const h = this.f32;
    for (let i = 0; i < len; i++) {
      const g = h[grad + i] + wd * h[param + i];
      const s = alpha * h[sq + i] + (1 - alpha) * g * g;
      h[sq + i] = s;
      let avg: number;
      if (centered) {
        const ga = alpha * h[gavg + i] + (1 - alpha) * g;
        h[gavg + i] = ga;
        avg = Math.sqrt(s - ga * ga) + eps;
      } else {
        avg = Math.sqrt(s) + eps;
      }
      let step = g / avg;
      if (momentum > 0) {
        step = momentum * h[buf + i] + step;
        h[buf + i] = step;
      }
      h[param + i] -= lr * step;
    }
  }

  // ---- convolution lowering (assembly/conv.ts) ---------------------------------------------

  im2col_f32(col: number, x: number, n: number, c: number, h: number, w: number, kh: number, kw: number,
    sh: number, sw: number, ph: number, pw: number, ho: number, wo: number): void {
    const hp = this.f32;
    let dst = col;
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          for (let ci = 0; ci < c; ci++) {
            for (let ky = 0; ky < kh; ky++) {
              for (let kx = 0; kx < kw; kx++) {
                const y = oy * sh - ph + ky;
                const xx = ox * sw - pw + kx;
                hp[dst++] = y < 0 || y >= h || xx < 0 || xx >= w ? 0 : hp[x + ((b * c + ci) * h + y) * w + xx];
              }
            }
          }
        }
      }
    }
  }

  col2im_f32(x: number, col: number, n: number, c: number, h: number, w: number, kh: number, kw: number,
    sh: number, sw: number, ph: number, pw: number, ho: number, wo: number, beta: number): void {
    beta = f32(beta);
    const hp = this.f32;
    const size = n * c * h * w;
    for (let i = 0; i < size; i++) hp[x + i] = beta !== 0 ? beta * hp[x + i] : 0;
    let src = col; // scattered in col's order: each pixel adds its entries in increasing (oy, ox), in float32
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          for (let ci = 0; ci < c; ci++) {
            for (let ky = 0; ky < kh; ky++) {
              for (let kx = 0; kx < kw; kx++, src++) {
                const y = oy * sh - ph + ky;
                const xx = ox * sw - pw + kx;
                if (y >= 0 && y < h && xx >= 0 && xx < w) hp[x + ((b * c + ci) * h + y) * w + xx] += hp[src];
              }
            }
          }
        }
      }
    }
  }

  transpose_f32(out: number, inp: number, batch: number, rows: number, cols: number, beta: number): void {
    beta = f32(beta);
    const h = this.f32;
    for (let b = 0; b < batch; b++) {
      const o = b * rows * cols;
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const at = out + o + j * rows + i;
          const v = h[inp + o + i * cols + j];
          h[at] = beta !== 0 ? beta * h[at] + v : v;
        }
      }
    }
  }

  chan_bias_act_f32(out: number, inp: number, bias: number, n: number, c: number, hw: number, actCode: number, actAlpha: number): void {
    actAlpha = f32(actAlpha);
    const h = this.f32;
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const plane = (b * c + ch) * hw;
        const bv = bias ? h[bias + ch] : 0;
        for (let j = 0; j < hw; j++) h[out + plane + j] = act(h[inp + plane + j] + bv, actCode, actAlpha);
      }
    }
  }

  chan_sum_f32(out: number, inp: number, n: number, c: number, hw: number, beta: number): void {
    beta = f32(beta);
    const h = this.f32;
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let b = 0; b < n; b++) for (let j = 0; j < hw; j++) s = Math.fround(s + h[inp + (b * c + ch) * hw + j]);
      h[out + ch] = beta !== 0 ? beta * h[out + ch] + s : s;
    }
  }
}
