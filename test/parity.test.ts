// The parity table: every kernel, run on the wasm and the js backend with identical inputs, on
// awkward shapes (1, 3, 17, 129, around the 5x8 tile, the KC/MC/NC blocks, and the real VAE
// shapes). Each op states its tolerance and why; U is float32's unit roundoff 2^-24.
import { describe, expect, it } from 'vitest';
import type { Act, Backend, Buf } from '../src/backend/index.js';
import { ACT_CODE } from '../src/backend/kernels.js';
import { Rng } from '../src/random.js';
import { U, backends, firstMismatch, release, uniform, upload } from './helpers.js';

type Data = Record<string, Float32Array>;

interface ParityCase {
  op: string;
  label: string;
  data: (rng: Rng) => Data;
  run: (be: Backend, b: Record<string, Buf>) => number | void;
  /** Buffers compared after the run. */
  outputs: string[];
  /** Allowed |wasm - js| for element i of output `name` (data are the inputs, want the js result). */
  tol: (name: string, i: number, data: Data, want: Float32Array) => number;
  /** Allowed |wasm - js| for the returned scalar. */
  scalarTol?: (data: Data, want: number) => number;
}

const cases: ParityCase[] = [];
const ACTS: Act[] = ['identity', 'relu', 'leaky_relu', 'sigmoid', 'tanh'];
// sigmoid and tanh use a SIMD exp within 2 ulp: a few U of absolute error on outputs in [-1, 1].
const actAbs = (act: Act): number => (act === 'sigmoid' || act === 'tanh' ? 8 * U : 0);

// ---- gemm ------------------------------------------------------------------------------------
// wasm sums k products in float32 (error <= k U sum|a b|), js in float64; then alpha, beta, bias
// and the output each round once more. Activations are 1-Lipschitz, so the bound passes through,
// plus the activation's own error. Hence tol = U ((k + 4) S + 4 |y|) + actAbs, with
// S = |alpha| sum_p |a_ip b_pj| + |beta c_ij| + |bias_j| computed in float64 from the inputs.
// gemm_sparse_f32 (sparse: the density of X, op(a) in NT, b in TN) has the same bound.
function gemmCase(transA: boolean, transB: boolean, m: number, n: number, k: number,
  opts: { alpha?: number; beta?: number; bias?: boolean; act?: Act; sparse?: number } = {}): ParityCase {
  const { alpha = 1, beta = 0, bias = false, act = 'identity', sparse } = opts;
  const t = `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
  const bound = (d: Data): Float64Array => {
    const s = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) {
          acc += Math.abs(d.a[transA ? p * m + i : i * k + p] * d.b[transB ? j * k + p : p * n + j]);
        }
        s[i * n + j] = Math.abs(alpha) * acc + (beta ? Math.abs(beta * d.c[i * n + j]) : 0) + (bias ? Math.abs(d.bias[j]) : 0);
      }
    }
    return s;
  };
  let cached: { data: Data; s: Float64Array } | null = null;
  return {
    op: sparse === undefined ? 'gemm_f32' : 'gemm_sparse_f32',
    label: `${t} m=${m} n=${n} k=${k} alpha=${alpha} beta=${beta}${bias ? ' +bias' : ''} ${act}${sparse === undefined ? '' : ` density ${sparse}`}`,
    data: (rng) => ({
      a: sparse !== undefined && !transA ? sparseData(rng, m, k, sparse) : uniform(rng, m * k),
      b: sparse !== undefined && transA ? sparseData(rng, k, n, sparse) : uniform(rng, k * n),
      // beta = 0 must not read c: fill it with NaN to prove it
      c: beta === 0 ? new Float32Array(m * n).fill(NaN) : uniform(rng, m * n),
      ...(bias ? { bias: uniform(rng, n) } : {}),
    }),
    run: (be, b) => (sparse === undefined ? be.gemm_f32(transA, transB, m, n, k, alpha, b.a, b.b, beta, b.c, bias ? b.bias : null, act, 0.1)
      : be.gemmSparse_f32(transA, transB, m, n, k, alpha, b.a, b.b, beta, b.c, bias ? b.bias : null, act, 0.1)),
    outputs: ['c'],
    tol: (_name, i, data, want) => {
      if (cached?.data !== data) cached = { data, s: bound(data) };
      return U * ((k + 4) * cached.s[i] + 4 * Math.abs(want[i])) + actAbs(act);
    },
  };
}

/** rows x cols of data with about `density` nonzeros (uniform in [0, 1)), half the zeros -0; row 0 and column 1 all zeros. */
function sparseData(rng: Rng, rows: number, cols: number, density: number): Float32Array {
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < x.length; i++) {
    const r = Math.floor(i / cols);
    const c = i % cols;
    x[i] = r !== 0 && c !== 1 && rng.uniform() < density ? rng.uniform() : rng.uniform() < 0.5 ? -0 : 0;
  }
  return x;
}

const TRANSPOSES: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];
// Edge shapes generated from the 5x8 tile and the 256 k-block: m in 1..MR+1 and 2 MR, n in
// 1..NR+1, k below, at and above a block, and primes.
for (const [ta, tb] of TRANSPOSES) {
  for (const m of [1, 3, 4, 5, 6, 10]) for (const n of [1, 7, 8, 9]) for (const k of [1, 3, 17]) cases.push(gemmCase(ta, tb, m, n, k));
  for (const k of [4, 129, 256, 257, 513]) cases.push(gemmCase(ta, tb, 6, 9, k));
  cases.push(gemmCase(ta, tb, 17, 129, 33));
  cases.push(gemmCase(ta, tb, 129, 17, 3));
  cases.push(gemmCase(ta, tb, 131, 1030, 20)); // crosses the MC = 130 and NC = 1024 blocks
  cases.push(gemmCase(ta, tb, 263, 9, 7)); // two MC blocks and a 3-row panel
  cases.push(gemmCase(ta, tb, 7, 13, 29, { alpha: 0.5, beta: 1.5, bias: true }));
}
// Epilogues on full and partial tiles.
for (const act of ACTS) {
  cases.push(gemmCase(false, true, 4, 8, 16, { bias: true, act }));
  cases.push(gemmCase(false, true, 9, 19, 300, { bias: true, act, beta: -0.5 }));
  cases.push(gemmCase(true, false, 3, 5, 7, { act }));
}
// Small m (<= MR = 5) takes the unpacked path: one sample at inference, tiny batches.
cases.push(gemmCase(false, true, 1, 400, 784, { bias: true, act: 'relu' }));
cases.push(gemmCase(false, false, 2, 784, 400, { alpha: 0.5, beta: 1.5 }));
cases.push(gemmCase(true, false, 3, 130, 129, { beta: 1.5, bias: true, act: 'sigmoid' }));
cases.push(gemmCase(true, true, 4, 33, 67, { bias: true, act: 'tanh' }));
cases.push(gemmCase(false, true, 5, 41, 300, { bias: true, act: 'leaky_relu' }));
// wider than the unpacked path's row buffer (KC * NC = 262144 floats): columns go in chunks
cases.push(gemmCase(false, true, 1, 262150, 3, { bias: true, act: 'relu' }));
cases.push(gemmCase(true, false, 2, 262150, 2, { alpha: 0.5, beta: 1.5 }));
// The VAE's real shapes: forward X W^T, input gradient dY W, weight gradient dY^T X.
cases.push(gemmCase(false, true, 128, 400, 784, { bias: true, act: 'relu' }));
cases.push(gemmCase(false, false, 128, 784, 400));
cases.push(gemmCase(true, false, 400, 784, 128));

// gemm_sparse_f32: NT and TN on sparse data around the tiles and blocks (small m runs gemm_f32),
// every epilogue, and the VAE's first layer; densities from all zeros to dense (gemm_f32 then).
for (const d of [0, 0.05, 0.2, 0.45]) {
  for (const [m, n, k] of [[6, 9, 17], [7, 33, 257], [37, 41, 513], [129, 17, 300], [3, 10, 20]]) {
    cases.push(gemmCase(false, true, m, n, k, { sparse: d, bias: true, act: 'relu' }));
    cases.push(gemmCase(true, false, m, n, k, { sparse: d }));
  }
}
for (const act of ACTS) {
  cases.push(gemmCase(false, true, 9, 19, 300, { bias: true, act, beta: -0.5, alpha: 0.5, sparse: 0.2 }));
  cases.push(gemmCase(true, false, 11, 9, 270, { bias: true, act, beta: 1.5, sparse: 0.2 }));
}
cases.push(gemmCase(false, true, 131, 1030, 20, { sparse: 0.2 })); // crosses NC = 1024
cases.push(gemmCase(false, false, 17, 12, 30, { sparse: 0.2 })); // NN, TT: gemm_f32
cases.push(gemmCase(true, true, 17, 12, 30, { sparse: 0.2 }));
cases.push(gemmCase(false, true, 128, 400, 784, { bias: true, act: 'relu', sparse: 0.19 }));
cases.push(gemmCase(true, false, 400, 784, 128, { sparse: 0.19 }));
cases.push(gemmCase(false, true, 128, 400, 784, { bias: true, act: 'relu', sparse: 0.9 }));

// ---- elementwise -----------------------------------------------------------------------------
const SIZES = [1, 3, 4, 17, 129];

for (const act of ACTS) {
  for (const [rows, cols] of [[1, 1], [3, 17], [17, 3], [5, 129]]) {
    // one addition then the activation: U (|x + bias| + |y|) + the activation's own error
    cases.push({
      op: 'bias_act_f32', label: `${act} ${rows}x${cols}`,
      data: (rng) => ({ x: uniform(rng, rows * cols, -4, 4), bias: uniform(rng, cols), out: new Float32Array(rows * cols) }),
      run: (be, b) => be.bias_act_f32(b.out, b.x, b.bias, rows, cols, act, 0.2),
      outputs: ['out'],
      tol: (_n, i, d, want) => U * (2 * (Math.abs(d.x[i]) + Math.abs(d.bias[i % cols])) + 4 * Math.abs(want[i])) + actAbs(act),
    });
    // in place, without bias
    cases.push({
      op: 'bias_act_f32', label: `${act} ${rows}x${cols} in place, no bias`,
      data: (rng) => ({ x: uniform(rng, rows * cols, -4, 4) }),
      run: (be, b) => be.bias_act_f32(b.x, b.x, null, rows, cols, act, 0.2),
      outputs: ['x'],
      tol: (_n, i, _d, want) => 4 * U * Math.abs(want[i]) + actAbs(act),
    });
  }
  for (const len of SIZES) {
    // dout * f'(y): f'(y) is exact for relu, two or three roundings for sigmoid and tanh.
    cases.push({
      op: 'act_backward_f32', label: `${act} len=${len}`,
      data: (rng) => ({
        dout: uniform(rng, len, -2, 2),
        out: uniform(rng, len, act === 'sigmoid' ? 0 : -1, 1),
        dinp: new Float32Array(len),
      }),
      run: (be, b) => be.act_backward_f32(b.dinp, b.dout, b.out, act, 0.2),
      outputs: ['dinp'],
      tol: (_n, i, d) => 8 * U * Math.abs(d.dout[i]) * (1 + Math.abs(d.out[i])) ** 2,
    });
  }
}

for (const [rows, cols] of [[1, 1], [3, 17], [129, 5], [128, 400], [5, 37]]) {
  for (const beta of [0, 0.5]) {
    // float32 sums in row order on both sides: rows U sum|x| bounds both; beta adds 2 roundings.
    cases.push({
      op: 'col_sum_f32', label: `${rows}x${cols} beta=${beta}`,
      data: (rng) => ({ x: uniform(rng, rows * cols), out: beta ? uniform(rng, cols) : new Float32Array(cols).fill(NaN) }),
      run: (be, b) => be.col_sum_f32(b.out, b.x, rows, cols, beta),
      outputs: ['out'],
      tol: (_n, j, d) => {
        let s = 0;
        for (let i = 0; i < rows; i++) s += Math.abs(d.x[i * cols + j]);
        return U * ((rows + 2) * s + (beta ? 3 * Math.abs(beta * d.out[j]) : 0));
      },
    });
  }
}

for (const len of SIZES) {
  cases.push({ // one correctly rounded product on both sides: bitwise equal
    op: 'scale_f32', label: `len=${len}`,
    data: (rng) => ({ x: uniform(rng, len) }),
    run: (be, b) => be.scale_f32(b.x, -1.7),
    outputs: ['x'], tol: () => 0,
  });
  cases.push({ // wasm rounds alpha x before the sum, js does not: 2 U (|y| + |alpha x|)
    op: 'axpy_f32', label: `len=${len}`,
    data: (rng) => ({ x: uniform(rng, len), y: uniform(rng, len) }),
    run: (be, b) => be.axpy_f32(b.y, 0.3, b.x),
    outputs: ['y'], tol: (_n, i, d) => 2 * U * (Math.abs(d.y[i]) + Math.abs(0.3 * d.x[i])),
  });
  cases.push({
    op: 'fill_f32', label: `len=${len}`,
    data: () => ({ x: new Float32Array(len) }),
    run: (be, b) => be.fill_f32(b.x, 2.5),
    outputs: ['x'], tol: () => 0,
  });
  cases.push({
    op: 'copy_f32', label: `len=${len}`,
    data: (rng) => ({ src: uniform(rng, len), dst: new Float32Array(len) }),
    run: (be, b) => be.copy_f32(b.dst, b.src),
    outputs: ['dst'], tol: () => 0,
  });
  cases.push({ // squares rounded to float32 on both sides, float64 sums in different orders
    op: 'sumsq_f32', label: `len=${len}`,
    data: (rng) => ({ x: uniform(rng, len) }),
    run: (be, b) => be.sumsq_f32(b.x),
    outputs: [], tol: () => 0,
    scalarTol: (_d, want) => 2 * U * want,
  });
}

// ---- losses ----------------------------------------------------------------------------------
// Element terms use SIMD exp/log1p (within 2 ulp) and a few roundings: 16 U per unit of term
// magnitude, summed over the row; gradients are bounded by their magnitude the same way.
const LOSS_SHAPES: [number, number][] = [[1, 1], [1, 3], [3, 17], [17, 3], [5, 129], [128, 784]];
function rowTol(cols: number, mag: (i: number, j: number) => number): (i: number) => number {
  return (i) => {
    let s = 0;
    for (let j = 0; j < cols; j++) s += mag(i, j);
    return 16 * U * s;
  };
}
function totalTol(rows: number, cols: number, mag: (i: number, j: number) => number): number {
  const row = rowTol(cols, mag);
  let s = 0;
  for (let i = 0; i < rows; i++) s += row(i);
  return s;
}

for (const [rows, cols] of LOSS_SHAPES) {
  const g = 1 / rows;
  // |term| <= |l| + log 2, and the gradient (sigmoid - t) g lies in [-g, g].
  const bceMag = (d: Data) => (i: number, j: number) => Math.abs(d.logit[i * cols + j]) + 1;
  cases.push({
    op: 'bce_logits_f32', label: `${rows}x${cols}`,
    data: (rng) => {
      const logit = uniform(rng, rows * cols, -8, 8);
      logit[0] = 100; // saturated logits stay finite
      if (logit.length > 1) logit[1] = -100;
      return { logit, target: uniform(rng, rows * cols, 0, 1), dlogit: new Float32Array(rows * cols), rowloss: new Float32Array(rows) };
    },
    run: (be, b) => be.bce_logits_f32(b.dlogit, b.rowloss, b.logit, b.target, rows, cols, g),
    outputs: ['dlogit', 'rowloss'],
    tol: (name, i, d) => (name === 'dlogit' ? 8 * U * g : rowTol(cols, bceMag(d))(i)),
    scalarTol: (d) => totalTol(rows, cols, bceMag(d)),
  });
  const sseMag = (d: Data) => (i: number, j: number) => (d.pred[i * cols + j] - d.target[i * cols + j]) ** 2;
  cases.push({
    op: 'sse_f32', label: `${rows}x${cols}`,
    data: (rng) => ({ pred: uniform(rng, rows * cols), target: uniform(rng, rows * cols), dpred: new Float32Array(rows * cols), rowloss: new Float32Array(rows) }),
    run: (be, b) => be.sse_f32(b.dpred, b.rowloss, b.pred, b.target, rows, cols, g),
    outputs: ['dpred', 'rowloss'],
    tol: (name, i, d) => (name === 'dpred' ? 4 * U * 2 * g * Math.abs(d.pred[i] - d.target[i]) : rowTol(cols, sseMag(d))(i)),
    scalarTol: (d) => totalTol(rows, cols, sseMag(d)),
  });
  const nllMag = (d: Data) => (i: number, j: number) =>
    (d.mean[i * cols + j] - d.x[i * cols + j]) ** 2 * Math.exp(-d.logvar[j]) + Math.abs(d.logvar[j]) + 2;
  cases.push({
    op: 'gauss_nll_f32', label: `${rows}x${cols}`,
    data: (rng) => ({
      mean: uniform(rng, rows * cols), x: uniform(rng, rows * cols), logvar: uniform(rng, cols, -2, 2),
      dmean: new Float32Array(rows * cols), dlogvar: new Float32Array(cols), rowloss: new Float32Array(rows),
    }),
    run: (be, b) => be.gauss_nll_f32(b.dmean, b.dlogvar, b.rowloss, b.mean, b.logvar, b.x, rows, cols, g),
    outputs: ['dmean', 'dlogvar', 'rowloss'],
    tol: (name, i, d) => {
      if (name === 'rowloss') return rowTol(cols, nllMag(d))(i);
      if (name === 'dmean') return 8 * U * g * Math.abs(d.mean[i] - d.x[i]) * Math.exp(-d.logvar[i % cols]);
      let s = 0; // dlogvar: a float32 sum over rows of terms bounded by 0.5 (1 + d^2 w) g
      for (let r = 0; r < rows; r++) s += 0.5 * g * (1 + (d.mean[r * cols + i] - d.x[r * cols + i]) ** 2 * Math.exp(-d.logvar[i]));
      return (rows + 8) * U * s;
    },
    scalarTol: (d) => totalTol(rows, cols, nllMag(d)),
  });
  const klMag = (d: Data) => (i: number, j: number) =>
    Math.exp(d.logvar[i * cols + j]) + d.mean[i * cols + j] ** 2 + 1 + Math.abs(d.logvar[i * cols + j]);
  cases.push({
    op: 'kl_normal_f32', label: `${rows}x${cols}`,
    data: (rng) => ({
      mean: uniform(rng, rows * cols, -2, 2), logvar: uniform(rng, rows * cols, -3, 2),
      dmean: uniform(rng, rows * cols), dlogvar: uniform(rng, rows * cols), rowloss: new Float32Array(rows),
    }),
    run: (be, b) => be.kl_normal_f32(b.dmean, b.dlogvar, b.rowloss, b.mean, b.logvar, rows, cols, 0.7 * g),
    outputs: ['dmean', 'dlogvar', 'rowloss'],
    tol: (name, i, d) => {
      if (name === 'rowloss') return rowTol(cols, klMag(d))(i);
      if (name === 'dmean') return 4 * U * (Math.abs(d.dmean[i]) + Math.abs(d.mean[i] * g));
      return 8 * U * (Math.abs(d.dlogvar[i]) + g * (Math.exp(d.logvar[i]) + 1));
    },
    scalarTol: (d) => totalTol(rows, cols, klMag(d)),
  });
}

for (const len of SIZES) {
  // exp within 2 ulp, then a product and a sum: 8 U (|mean| + |sd eps|)
  cases.push({
    op: 'reparam_f32', label: `len=${len}`,
    data: (rng) => ({ mean: uniform(rng, len), logvar: uniform(rng, len, -4, 4), eps: uniform(rng, len, -3, 3), z: new Float32Array(len) }),
    run: (be, b) => be.reparam_f32(b.z, b.mean, b.logvar, b.eps),
    outputs: ['z'],
    tol: (_n, i, d) => 8 * U * (Math.abs(d.mean[i]) + Math.abs(Math.exp(d.logvar[i] / 2) * d.eps[i])),
  });
  cases.push({
    op: 'reparam_backward_f32', label: `len=${len}`,
    data: (rng) => ({
      dz: uniform(rng, len), logvar: uniform(rng, len, -4, 4), eps: uniform(rng, len, -3, 3),
      dmean: new Float32Array(len), dlogvar: new Float32Array(len),
    }),
    run: (be, b) => be.reparam_backward_f32(b.dmean, b.dlogvar, b.dz, b.logvar, b.eps),
    outputs: ['dmean', 'dlogvar'],
    tol: (name, i, d) => (name === 'dmean' ? 0 : 8 * U * Math.abs(0.5 * d.dz[i] * d.eps[i] * Math.exp(d.logvar[i] / 2))),
  });
}

// ---- optimizers ------------------------------------------------------------------------------
// A few roundings per element (wasm rounds every intermediate to float32): 8 U times the sum of
// the magnitudes of the terms of the update.
for (const len of SIZES) {
  for (const wd of [0, 0.01]) {
    cases.push({
      op: 'sgd_f32', label: `len=${len} wd=${wd}`,
      data: (rng) => ({ p: uniform(rng, len), g: uniform(rng, len) }),
      run: (be, b) => be.sgd_f32(b.p, b.g, 0.1, wd),
      outputs: ['p'], tol: (_n, i, d) => 8 * U * (Math.abs(d.p[i]) + 0.1 * (Math.abs(d.g[i]) + wd * Math.abs(d.p[i]))),
    });
    for (const nesterov of [false, true]) {
      cases.push({
        op: 'sgd_momentum_f32', label: `len=${len} wd=${wd} nesterov=${nesterov}`,
        data: (rng) => ({ p: uniform(rng, len), v: uniform(rng, len), g: uniform(rng, len) }),
        run: (be, b) => be.sgd_momentum_f32(b.p, b.v, b.g, 0.1, 0.9, wd, nesterov),
        outputs: ['p', 'v'],
        tol: (_n, i, d) => 16 * U * (Math.abs(d.p[i]) + Math.abs(d.v[i]) + Math.abs(d.g[i]) + wd),
      });
    }
    for (const decoupled of [false, true]) {
      for (const t of [1, 10]) {
        cases.push({
          op: 'adam_f32', label: `len=${len} wd=${wd} ${decoupled ? 'AdamW' : 'Adam'} t=${t}`,
          data: (rng) => ({ p: uniform(rng, len), m: uniform(rng, len, -0.1, 0.1), v: uniform(rng, len, 0, 0.01), g: uniform(rng, len) }),
          run: (be, b) => be.adam_f32(b.p, b.m, b.v, b.g, t, 1e-3, 0.9, 0.999, 1e-8, wd, decoupled),
          // the step lr m / (sqrt v + eps) is at most ~lr / (1 - beta1) in size; m and v by their terms
          outputs: ['p', 'm', 'v'],
          tol: (n, i, d) => {
            if (n === 'm') return 8 * U * (Math.abs(d.m[i]) + Math.abs(d.g[i]) + wd);
            if (n === 'v') return 8 * U * (Math.abs(d.v[i]) + (Math.abs(d.g[i]) + wd) ** 2);
            return 8 * U * Math.abs(d.p[i]) + 64 * U * 1e-3 / (1 - 0.9 ** t) * 10;
          },
        });
      }
    }
  }
}

// RMSprop: the state by its terms; the parameter by its size plus the step's (a division and a
// square root more than Adam: 32 U of the step). sq starts in [0.01, 0.1] and gavg near 0, so
// sq - gavg^2 does not cancel.
for (const len of SIZES) {
  for (const [wd, momentum, centered] of [[0, 0, false], [0.01, 0, true], [0, 0.9, false], [0.01, 0.5, true]] as const) {
    cases.push({
      op: 'rmsprop_f32', label: `len=${len} wd=${wd} momentum=${momentum} centered=${centered}`,
      data: (rng) => ({
        p: uniform(rng, len), sq: uniform(rng, len, 0.01, 0.1), buf: uniform(rng, len, -0.1, 0.1), gavg: uniform(rng, len, -0.05, 0.05), g: uniform(rng, len),
      }),
      run: (be, b) => be.run('rmsprop_f32', [b.p, b.sq, momentum > 0 ? b.buf : null, centered ? b.gavg : null, b.g, len, 0.01, 0.9, 1e-8, wd, momentum, centered ? 1 : 0]),
      outputs: ['p', 'sq', 'buf', 'gavg'],
      tol: (n, i, d, want) => {
        const g = Math.abs(d.g[i]) + wd;
        if (n === 'sq') return 8 * U * (Math.abs(d.sq[i]) + g * g);
        if (n === 'gavg') return 8 * U * (Math.abs(d.gavg[i]) + g);
        if (n === 'buf') return 32 * U * (Math.abs(d.buf[i]) + Math.abs(want[i]));
        return 8 * U * Math.abs(d.p[i]) + 32 * U * Math.abs(want[i] - d.p[i]);
      },
    });
  }
}

// ---- convolution lowering ---------------------------------------------------------------------
// im2col and transpose move values (exact); col2im and chan_sum add in float32 in one fixed order
// on both backends (exact), beta adds one rounding of each term; chan_bias_act is bias_act's.
const convOut = (h: number, k: number, s: number, p: number): number => Math.floor((h + 2 * p - k) / s) + 1;
const CONV_SHAPES: [n: number, c: number, h: number, w: number, k: number, s: number, p: number][] = [
  [1, 1, 5, 5, 1, 1, 0], [3, 3, 7, 5, 3, 1, 1], [2, 17, 9, 11, 3, 2, 1], [1, 3, 13, 13, 4, 2, 1], [2, 3, 11, 9, 5, 3, 2],
  [1, 1, 28, 28, 4, 2, 1], [3, 5, 6, 7, 4, 3, 0], [129, 2, 5, 5, 3, 2, 1], [1, 4, 3, 3, 5, 1, 2],
  [2, 6, 9, 10, 4, 1, 2], [1, 2, 12, 13, 6, 2, 1], // kw 4 at stride 1, and a kernel row longer than a vector (interior fast paths)
];
for (const [n, c, h, w, k, st, pad] of CONV_SHAPES) {
  const [ho, wo] = [convOut(h, k, st, pad), convOut(w, k, st, pad)];
  const geometry = [n, c, h, w, k, k, st, st, pad, pad, ho, wo];
  const label = `n=${n} c=${c} ${h}x${w} k=${k} s=${st} p=${pad}`;
  const K = c * k * k;
  cases.push({
    op: 'im2col_f32', label,
    data: (rng) => ({ x: uniform(rng, n * c * h * w), col: new Float32Array(n * ho * wo * K).fill(NaN) }),
    run: (be, b) => { be.run('im2col_f32', [b.col, b.x, ...geometry]); },
    outputs: ['col'], tol: () => 0,
  });
  for (const beta of [0, 1.5]) {
    cases.push({
      op: 'col2im_f32', label: `${label} beta=${beta}`,
      data: (rng) => ({ col: uniform(rng, n * ho * wo * K), x: beta ? uniform(rng, n * c * h * w) : new Float32Array(n * c * h * w).fill(NaN) }),
      run: (be, b) => { be.run('col2im_f32', [b.x, b.col, ...geometry, beta]); },
      outputs: ['x'], tol: (_n, i, d, want) => (beta ? 2 * U * (Math.abs(beta * d.x[i]) + Math.abs(want[i]) + k * k) : 0),
    });
  }
}
for (const [batch, rows, cols] of [[1, 1, 1], [3, 17, 5], [2, 49, 64], [129, 3, 4], [2, 6, 10], [1, 8, 4]]) {
  for (const beta of [0, -0.5]) {
    cases.push({
      op: 'transpose_f32', label: `${batch}x${rows}x${cols} beta=${beta}`,
      data: (rng) => ({ x: uniform(rng, batch * rows * cols), out: beta ? uniform(rng, batch * rows * cols) : new Float32Array(batch * rows * cols).fill(NaN) }),
      run: (be, b) => { be.run('transpose_f32', [b.out, b.x, batch, rows, cols, beta]); },
      outputs: ['out'], tol: (_n, i, d, want) => (beta ? 2 * U * (Math.abs(beta * d.out[i]) + Math.abs(want[i])) : 0),
    });
  }
}
for (const act of ACTS) {
  for (const [n, c, hw] of [[1, 1, 1], [3, 5, 17], [2, 17, 49]]) {
    cases.push({
      op: 'chan_bias_act_f32', label: `${act} n=${n} c=${c} hw=${hw}`,
      data: (rng) => ({ x: uniform(rng, n * c * hw, -4, 4), bias: uniform(rng, c), out: new Float32Array(n * c * hw) }),
      run: (be, b) => { be.run('chan_bias_act_f32', [b.out, b.x, b.bias, n, c, hw, ACT_CODE[act], 0.2]); },
      outputs: ['out'],
      tol: (_n, i, d, want) => U * (2 * (Math.abs(d.x[i]) + Math.abs(d.bias[Math.floor(i / hw) % c])) + 4 * Math.abs(want[i])) + actAbs(act),
    });
  }
}
for (const [n, c, hw] of [[1, 1, 1], [3, 5, 17], [129, 2, 49], [2, 9, 3]]) {
  for (const beta of [0, 1]) {
    cases.push({
      op: 'chan_sum_f32', label: `n=${n} c=${c} hw=${hw} beta=${beta}`,
      data: (rng) => ({ x: uniform(rng, n * c * hw), out: beta ? uniform(rng, c) : new Float32Array(c).fill(NaN) }),
      run: (be, b) => { be.run('chan_sum_f32', [b.out, b.x, n, c, hw, beta]); },
      outputs: ['out'], tol: (_n, i, d, want) => (beta ? 2 * U * (Math.abs(d.out[i]) + Math.abs(want[i])) : 0),
    });
  }
}

// ----------------------------------------------------------------------------------------------

describe('parity: wasm against the js reference, every op in the table', () => {
  const byOp = new Map<string, ParityCase[]>();
  for (const c of cases) byOp.set(c.op, [...(byOp.get(c.op) ?? []), c]);

  for (const [op, list] of byOp) {
    describe(op, () => {
      it.each(list.map((c) => [c.label, c] as const))('%s', async (_label, c) => {
        const { wasm, js } = await backends();
        const data = c.data(new Rng(0x5eed));
        const results: Record<string, { out: Record<string, Float32Array>; ret: number | void }> = {};
        for (const be of [wasm, js]) {
          const bufs = upload(be, data);
          const ret = c.run(be, bufs);
          const out: Record<string, Float32Array> = {};
          for (const name of c.outputs) out[name] = be.read(bufs[name]);
          release(be, bufs);
          results[be.name] = { out, ret };
        }
        for (const name of c.outputs) {
          const want = results.js.out[name];
          const got = results.wasm.out[name];
          expect(want.every(Number.isFinite), `js ${name} finite`).toBe(true);
          expect(firstMismatch(got, want, (i) => c.tol(name, i, data, want)), `${op} ${name}`).toBeNull();
        }
        if (c.scalarTol) {
          const want = results.js.ret as number;
          const got = results.wasm.ret as number;
          expect(Number.isFinite(want)).toBe(true);
          expect(Math.abs(got - want)).toBeLessThanOrEqual(c.scalarTol(data, want));
        }
      });
    });
  }

  it('covers every kernel of the Kernels interface', async () => {
    const { JsKernels } = await import('../src/backend/js.js');
    const kernelNames = Object.getOwnPropertyNames(JsKernels.prototype).filter((n) => n.endsWith('_f32'));
    expect([...byOp.keys()].sort()).toEqual(kernelNames.sort());
  });
});

// ---- strided gemm --------------------------------------------------------------------------
// Blocks of columns of wider matrices (a dense layer's weight columns for its input and for a
// condition): the kernel's sums do not depend on the row strides, so on each backend a strided
// GEMM gives bitwise the contiguous GEMM of the same blocks (whose wasm = js parity is above),
// and it leaves the other columns of its output alone.
describe('gemm_f32 on blocks of wider matrices (row strides)', () => {
  const SHAPES: [boolean, boolean, number, number, number][] = [
    [false, true, 3, 9, 17], [false, false, 6, 5, 3], [true, false, 7, 13, 6], [true, true, 5, 8, 9],
    [false, true, 128, 40, 300], [true, false, 40, 300, 128], [false, false, 131, 33, 40], [false, true, 1, 12, 5],
  ];
  it('equals the contiguous GEMM bitwise, and writes only its block of C', async () => {
    const rng = new Rng(17);
    const { wasm, js } = await backends();
    for (const be of [wasm, js]) {
      for (const [ta, tb, m, n, k] of SHAPES) {
        // op(a) (m, k) stored (rows, cols), inside a matrix 3 columns wider, starting at column 2
        const block = (rows: number, cols: number) => {
          const ld = cols + 3;
          const wide = Float32Array.from({ length: rows * ld }, () => rng.uniform() - 0.5);
          const dense = new Float32Array(rows * cols);
          for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) dense[r * cols + j] = wide[r * ld + 2 + j];
          return { wide, dense, ld, len: (rows - 1) * ld + cols };
        };
        const A = ta ? block(k, m) : block(m, k);
        const B = tb ? block(n, k) : block(k, n);
        const C = block(m, n);
        const bias = Float32Array.from({ length: n }, () => rng.uniform());
        const put = (v: Float32Array): Buf => {
          const b = be.alloc(v.length);
          be.write(b, v);
          return b;
        };
        const [wa, wb, wc, da, db, dc, bb] = [A.wide, B.wide, C.wide, A.dense, B.dense, C.dense, bias].map(put);
        be.gemmStrided_f32(ta, tb, m, n, k, 0.7, be.view(wa, 2, A.len), A.ld, be.view(wb, 2, B.len), B.ld, 0.4, be.view(wc, 2, C.len), C.ld, bb, 'tanh');
        be.gemm_f32(ta, tb, m, n, k, 0.7, da, db, 0.4, dc, bb, 'tanh');
        const [got, want] = [be.read(wc), be.read(dc)];
        for (let r = 0; r < m; r++) {
          for (let j = 0; j < C.ld; j++) {
            const inside = j >= 2 && j < 2 + n;
            const expected = inside ? want[r * n + j - 2] : C.wide[r * C.ld + j];
            if (!Object.is(got[r * C.ld + j], expected)) {
              throw new Error(`${be.name} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}x${n}x${k}: C[${r}, ${j}] is ${got[r * C.ld + j]}, expected ${expected}`);
            }
          }
        }
        for (const b of [wa, wb, wc, da, db, dc, bb]) be.free(b);
      }
    }
  });

  it('a stride narrower than the block, or a block of the wrong extent, is refused', async () => {
    const be = (await backends()).wasm;
    const a = be.alloc(40);
    const c = be.alloc(40);
    expect(() => be.gemmStrided_f32(false, false, 2, 2, 3, 1, a, 2, a, 2, 0, c, 2)).toThrow(/lda 2 is less than the 3 columns of a/);
    expect(() => be.gemmStrided_f32(false, false, 2, 2, 3, 1, be.view(a, 0, 8), 5, be.view(a, 0, 8), 2, 0, be.view(c, 0, 4), 2)).toThrow(/b has 8 floats, expected 6/);
    expect(() => be.gemmStrided_f32(false, false, 2, 2, 3, 1, be.view(a, 0, 8), 5, be.view(a, 0, 6), 2, 0, be.view(c, 0, 4), 3)).toThrow(/c has 4 floats, expected 5/);
    be.free(a);
    be.free(c);
  });
});
