// Finite-difference gradient checks: every activation, loss, the KL term, the
// reparameterization, and a dense layer built from the three GEMM transposes. The forward
// functions here are independent float64 textbook formulas; the analytic gradients come from
// the kernels (float32) on each backend. Central differences in float64, h = 1e-5 (1 + |x|).
import { describe, expect, it } from 'vitest';
import type { Act, Backend } from '../src/backend/index.js';
import { Rng } from '../src/random.js';
import { backends, release, uniform, upload } from './helpers.js';

/** Central difference of f at x[i] in float64. */
function numeric(f: (x: Float64Array) => number, x: Float64Array, i: number): number {
  const h = 1e-5 * (1 + Math.abs(x[i]));
  const keep = x[i];
  x[i] = keep + h;
  const up = f(x);
  x[i] = keep - h;
  const down = f(x);
  x[i] = keep;
  return (up - down) / (2 * h);
}

/**
 * Asserts analytic (float32 from a kernel) against central differences of f at x. The float32
 * gradient carries relative error ~1e-6 and the difference quotient ~1e-9, so 1e-4 relative to
 * max(1, |numeric|) separates a correct gradient from a wrong one by orders of magnitude.
 */
function expectGradient(label: string, f: (x: Float64Array) => number, x: Float64Array, analytic: Float32Array): void {
  expect(analytic.length).toBe(x.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const num = numeric(f, x, i);
    const err = Math.abs(analytic[i] - num) / Math.max(1, Math.abs(num));
    if (!(err <= 1e-4)) throw new Error(`${label}[${i}]: analytic ${analytic[i]}, numeric ${num}, relative error ${err.toExponential(2)}`);
    worst = Math.max(worst, err);
  }
  expect(worst).toBeLessThanOrEqual(1e-4);
}

const f64 = (a: Float32Array): Float64Array => Float64Array.from(a);

const ACT64: Record<Act, (x: number) => number> = {
  identity: (x) => x,
  relu: (x) => Math.max(0, x),
  leaky_relu: (x) => (x > 0 ? x : 0.2 * x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: (x) => Math.tanh(x),
};

const bce64 = (l: number, t: number): number => Math.max(l, 0) - l * t + Math.log1p(Math.exp(-Math.abs(l)));

for (const name of ['wasm', 'js'] as const) {
  describe(`gradients on ${name} match central differences`, () => {
    const get = async (): Promise<Backend> => (await backends())[name];

    for (const act of Object.keys(ACT64) as Act[]) {
      it(`act_backward_f32 is the derivative of bias_act_f32 for ${act}`, async () => {
        const be = await get();
        const rng = new Rng(1);
        const x = uniform(rng, 37, -3, 3).map((v) => (Math.abs(v) < 1e-2 ? v + 0.1 : v)); // away from the kink
        const w = uniform(rng, 37);
        const b = upload(be, { x, w, y: new Float32Array(37), dx: new Float32Array(37) });
        be.bias_act_f32(b.y, b.x, null, 1, 37, act, 0.2);
        be.act_backward_f32(b.dx, b.w, b.y, act, 0.2);
        const y = be.read(b.y);
        const dx = be.read(b.dx);
        release(be, b);
        for (let i = 0; i < 37; i++) expect(Math.abs(y[i] - ACT64[act](x[i]))).toBeLessThan(1e-6 * (1 + Math.abs(y[i])));
        expectGradient(act, (v) => v.reduce((s, xi, i) => s + w[i] * ACT64[act](xi), 0), f64(x), dx);
      });
    }

    it('bce_logits_f32: gradient of the summed Bernoulli NLL, forward equal to the float64 formula', async () => {
      const be = await get();
      const rng = new Rng(2);
      const [rows, cols] = [3, 7];
      const logit = uniform(rng, rows * cols, -6, 6);
      const target = uniform(rng, rows * cols, 0, 1);
      const b = upload(be, { logit, target, d: new Float32Array(rows * cols) });
      const total = be.bce_logits_f32(b.d, null, b.logit, b.target, rows, cols, 1);
      const d = be.read(b.d);
      release(be, b);
      const f = (l: Float64Array): number => l.reduce((s, li, i) => s + bce64(li, target[i]), 0);
      expect(Math.abs(total - f(f64(logit)))).toBeLessThan(1e-5);
      expectGradient('dlogit', f, f64(logit), d);
    });

    it('bce_logits_f32 stays finite and exact at |logit| = 100', async () => {
      const be = await get();
      const b = upload(be, { l: Float32Array.of(100, -100, 100, -100), t: Float32Array.of(1, 1, 0, 0), d: new Float32Array(4), r: new Float32Array(4) });
      be.bce_logits_f32(b.d, b.r, b.l, b.t, 4, 1, 1);
      const [r, d] = [be.read(b.r), be.read(b.d)];
      release(be, b);
      expect(Array.from(r)).toEqual([expect.closeTo(0, 30), 100, 100, expect.closeTo(0, 30)]);
      expect(Array.from(d)).toEqual([expect.closeTo(0, 30), -1, 1, expect.closeTo(0, 30)]);
    });

    it('sse_f32: gradient of the sum of squared errors', async () => {
      const be = await get();
      const rng = new Rng(3);
      const pred = uniform(rng, 15);
      const target = uniform(rng, 15);
      const b = upload(be, { pred, target, d: new Float32Array(15) });
      be.sse_f32(b.d, null, b.pred, b.target, 3, 5, 1);
      const d = be.read(b.d);
      release(be, b);
      expectGradient('dpred', (p) => p.reduce((s, pi, i) => s + (pi - target[i]) ** 2, 0), f64(pred), d);
    });

    it('gauss_nll_f32: gradients with respect to the mean and the per-column log-variance', async () => {
      const be = await get();
      const rng = new Rng(4);
      const [rows, cols] = [4, 6];
      const mean = uniform(rng, rows * cols);
      const x = uniform(rng, rows * cols);
      const logvar = uniform(rng, cols, -1, 1);
      const b = upload(be, { mean, x, logvar, dm: new Float32Array(rows * cols), dlv: new Float32Array(cols) });
      const total = be.gauss_nll_f32(b.dm, b.dlv, null, b.mean, b.logvar, b.x, rows, cols, 1);
      const [dm, dlv] = [be.read(b.dm), be.read(b.dlv)];
      release(be, b);
      const nll = (m: ArrayLike<number>, lv: ArrayLike<number>): number => {
        let s = 0;
        for (let i = 0; i < rows * cols; i++) {
          const v = lv[i % cols];
          s += 0.5 * ((m[i] - x[i]) ** 2 * Math.exp(-v) + v + Math.log(2 * Math.PI));
        }
        return s;
      };
      expect(Math.abs(total - nll(mean, logvar))).toBeLessThan(1e-4);
      expectGradient('dmean', (m) => nll(m, logvar), f64(mean), dm);
      expectGradient('dlogvar', (lv) => nll(mean, lv), f64(logvar), dlv);
    });

    it('kl_normal_f32: KL to N(0, I) and its gradients with respect to mean and log-variance', async () => {
      const be = await get();
      const rng = new Rng(5);
      const [rows, cols] = [3, 5];
      const mean = uniform(rng, rows * cols, -2, 2);
      const logvar = uniform(rng, rows * cols, -2, 1.5);
      const b = upload(be, { mean, logvar, dm: new Float32Array(rows * cols), dlv: new Float32Array(rows * cols) });
      const total = be.kl_normal_f32(b.dm, b.dlv, null, b.mean, b.logvar, rows, cols, 1);
      const [dm, dlv] = [be.read(b.dm), be.read(b.dlv)];
      release(be, b);
      const kl = (m: ArrayLike<number>, lv: ArrayLike<number>): number => {
        let s = 0;
        for (let i = 0; i < rows * cols; i++) s += -0.5 * (1 + lv[i] - m[i] ** 2 - Math.exp(lv[i]));
        return s;
      };
      expect(Math.abs(total - kl(mean, logvar))).toBeLessThan(1e-5);
      expectGradient('dmean', (m) => kl(m, logvar), f64(mean), dm);
      expectGradient('dlogvar', (lv) => kl(mean, lv), f64(logvar), dlv);
    });

    it('reparam_backward_f32 is the gradient of reparam_f32', async () => {
      const be = await get();
      const rng = new Rng(6);
      const n = 13;
      const [mean, logvar, eps, w] = [uniform(rng, n), uniform(rng, n, -2, 2), uniform(rng, n, -2, 2), uniform(rng, n)];
      const b = upload(be, { mean, logvar, eps, w, z: new Float32Array(n), dm: new Float32Array(n), dlv: new Float32Array(n) });
      be.reparam_f32(b.z, b.mean, b.logvar, b.eps);
      be.reparam_backward_f32(b.dm, b.dlv, b.w, b.logvar, b.eps);
      const [z, dm, dlv] = [be.read(b.z), be.read(b.dm), be.read(b.dlv)];
      release(be, b);
      const loss = (m: ArrayLike<number>, lv: ArrayLike<number>): number => {
        let s = 0;
        for (let i = 0; i < n; i++) s += w[i] * (m[i] + Math.exp(lv[i] / 2) * eps[i]);
        return s;
      };
      for (let i = 0; i < n; i++) expect(Math.abs(z[i] - (mean[i] + Math.exp(logvar[i] / 2) * eps[i]))).toBeLessThan(1e-5);
      expectGradient('dmean', (m) => loss(m, logvar), f64(mean), dm);
      expectGradient('dlogvar', (lv) => loss(mean, lv), f64(logvar), dlv);
    });

    it('a dense layer from NT forward, NN input gradient, TN weight gradient and column sums', async () => {
      // y = tanh(x W^T + b), L = sum(g * y); dx = (g f') W, dW = (g f')^T x, db = colsum(g f').
      const be = await get();
      const rng = new Rng(7);
      const [n, nin, nout] = [5, 11, 9];
      const [x, w, bias, g] = [uniform(rng, n * nin), uniform(rng, nout * nin, -0.5, 0.5), uniform(rng, nout), uniform(rng, n * nout)];
      const b = upload(be, {
        x, w, bias, g, y: new Float32Array(n * nout), dy: new Float32Array(n * nout),
        dx: new Float32Array(n * nin), dw: new Float32Array(nout * nin), db: new Float32Array(nout),
      });
      be.gemm_f32(false, true, n, nout, nin, 1, b.x, b.w, 0, b.y, b.bias, 'tanh');
      be.act_backward_f32(b.dy, b.g, b.y, 'tanh');
      be.gemm_f32(false, false, n, nin, nout, 1, b.dy, b.w, 0, b.dx);
      be.gemm_f32(true, false, nout, nin, n, 1, b.dy, b.x, 0, b.dw);
      be.col_sum_f32(b.db, b.dy, n, nout);
      const [dx, dw, db] = [be.read(b.dx), be.read(b.dw), be.read(b.db)];
      release(be, b);
      const loss = (xs: ArrayLike<number>, ws: ArrayLike<number>, bs: ArrayLike<number>): number => {
        let s = 0;
        for (let i = 0; i < n; i++) {
          for (let o = 0; o < nout; o++) {
            let a = bs[o];
            for (let p = 0; p < nin; p++) a += xs[i * nin + p] * ws[o * nin + p];
            s += g[i * nout + o] * Math.tanh(a);
          }
        }
        return s;
      };
      expectGradient('dx', (v) => loss(v, w, bias), f64(x), dx);
      expectGradient('dW', (v) => loss(x, v, bias), f64(w), dw);
      expectGradient('db', (v) => loss(x, w, v), f64(bias), db);
    });
  });
}
