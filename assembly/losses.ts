// Losses with their gradients, and the VAE's reparameterization. Every loss kernel writes the
// per-row loss (rowloss, optional: 0 skips it) and returns the total over all rows: each row
// accumulated in float64 from float32 element terms and rounded to float32, the total the
// float64 sum of those row losses in order (so threads that split the rows give the same total). Gradients are scaled by gscale (for a
// mean over the batch, 1 / rows; for beta-weighted KL, beta / rows); a gradient pointer of 0
// skips the gradient (evaluation).
import { exp_v, log1p_v } from './simd_math';
import { load_tail, store_tail, hsum_f64, promote_lo, promote_hi } from './lanes';

@inline const HALF_LOG_2PI: f32 = 0.91893853320467274178;

// Lanes [0, n) set, the rest clear.
// @ts-ignore: decorator
@inline function lane_mask(n: i32): v128 {
  return i32x4.gt_s(i32x4.splat(n), i32x4(0, 1, 2, 3));
}

// One block of n (<= 4) elements of bce_logits_f32: writes the gradient (when dlogit != 0) and
// returns the loss terms (lanes past n are zero). Inlined with n = 4 for the body of a row and
// once with the tail, so the body carries no tail checks.
// @ts-ignore: decorator
@inline function bce_block(dlogit: usize, logit: usize, target: usize, off: usize, n: i32, g: v128): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const l = n == 4 ? v128.load(logit + off) : load_tail(logit + off, n, 0);
  const t = n == 4 ? v128.load(target + off) : load_tail(target + off, n, 0);
  const e = exp_v(f32x4.neg(f32x4.abs(l))); // in (0, 1]: no overflow for any logit
  let loss = f32x4.add(f32x4.sub(f32x4.pmax(l, zero), f32x4.mul(l, t)), log1p_v(e));
  if (n < 4) loss = v128.and(loss, lane_mask(n));
  if (dlogit) {
    const inv = f32x4.div(one, f32x4.add(one, e));
    const sig = v128.bitselect(f32x4.mul(e, inv), inv, f32x4.lt(l, zero));
    const grad = f32x4.mul(f32x4.sub(sig, t), g);
    if (n == 4) v128.store(dlogit + off, grad);
    else store_tail(dlogit + off, grad, n);
  }
  return loss;
}

// Bernoulli negative log-likelihood from logits, stable for any finite logit:
//   loss = max(l, 0) - l t + log1p(exp(-|l|)),  dloss/dl = sigmoid(l) - t.
// dlogit, logit, target: (rows, cols); rowloss: (rows). dlogit is overwritten (may equal logit).
export function bce_logits_f32(dlogit: usize, rowloss: usize, logit: usize, target: usize, rows: i32, cols: i32, gscale: f32): f64 {
  const g = f32x4.splat(gscale);
  const c4 = cols & ~3;
  const tail = cols - c4;
  let total: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const rowOff = <usize>i * <usize>cols << 2;
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    for (let j = 0; j < c4; j += 4) {
      const loss = bce_block(dlogit, logit, target, rowOff + (<usize>j << 2), 4, g);
      lo = f64x2.add(lo, promote_lo(loss));
      hi = f64x2.add(hi, promote_hi(loss));
    }
    if (tail) {
      const loss = bce_block(dlogit, logit, target, rowOff + (<usize>c4 << 2), tail, g);
      lo = f64x2.add(lo, promote_lo(loss));
      hi = f64x2.add(hi, promote_hi(loss));
    }
    const s = hsum_f64(lo, hi);
    if (rowloss) store<f32>(rowloss + (<usize>i << 2), <f32>s);
    total += <f64><f32>s; // the float32 row loss: a threaded total sums the same values
  }
  return total;
}

// Sum of squared errors: loss = (p - t)^2, dloss/dp = 2 (p - t).
// dpred, pred, target: (rows, cols); rowloss: (rows). dpred is overwritten (may equal pred).
export function sse_f32(dpred: usize, rowloss: usize, pred: usize, target: usize, rows: i32, cols: i32, gscale: f32): f64 {
  const g2 = f32x4.splat(2 * gscale);
  const c4 = cols & ~3;
  const tail = cols - c4;
  let total: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const rowOff = <usize>i * <usize>cols << 2;
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    for (let j = 0; j <= c4; j += 4) {
      if (j == c4 && tail == 0) break;
      const off = rowOff + (<usize>j << 2);
      const n = j < c4 ? 4 : tail;
      const p = n == 4 ? v128.load(pred + off) : load_tail(pred + off, n, 0);
      const t = n == 4 ? v128.load(target + off) : load_tail(target + off, n, 0);
      const d = f32x4.sub(p, t);
      const loss = f32x4.mul(d, d);
      lo = f64x2.add(lo, promote_lo(loss));
      hi = f64x2.add(hi, promote_hi(loss));
      if (dpred) {
        const grad = f32x4.mul(d, g2);
        if (n == 4) v128.store(dpred + off, grad);
        else store_tail(dpred + off, grad, n);
      }
    }
    const s = hsum_f64(lo, hi);
    if (rowloss) store<f32>(rowloss + (<usize>i << 2), <f32>s);
    total += <f64><f32>s; // the float32 row loss: a threaded total sums the same values
  }
  return total;
}

// Gaussian negative log-likelihood with a per-column log-variance shared by all rows:
//   loss = 0.5 (d^2 exp(-lv) + lv + log 2pi), d = mean - x,
//   dloss/dmean = d exp(-lv),  dloss/dlv = 0.5 (1 - d^2 exp(-lv)).
// dmean, mean, x: (rows, cols); logvar, dlogvar: (cols); rowloss: (rows).
// dmean is overwritten; dlogvar is overwritten with the sum over rows (0 skips it).
export function gauss_nll_f32(dmean: usize, dlogvar: usize, rowloss: usize, mean: usize, logvar: usize, x: usize, rows: i32, cols: i32, gscale: f32): f64 {
  const g = f32x4.splat(gscale);
  const half = f32x4.splat(0.5);
  const one = f32x4.splat(1);
  const c4 = cols & ~3;
  const tail = cols - c4;
  if (dlogvar) memory.fill(dlogvar, 0, <usize>cols << 2);
  let total: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const rowOff = <usize>i * <usize>cols << 2;
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    for (let j = 0; j <= c4; j += 4) {
      if (j == c4 && tail == 0) break;
      const colOff = <usize>j << 2;
      const off = rowOff + colOff;
      const n = j < c4 ? 4 : tail;
      const m = n == 4 ? v128.load(mean + off) : load_tail(mean + off, n, 0);
      const t = n == 4 ? v128.load(x + off) : load_tail(x + off, n, 0);
      const lv = n == 4 ? v128.load(logvar + colOff) : load_tail(logvar + colOff, n, 0);
      const d = f32x4.sub(m, t);
      const w = exp_v(f32x4.neg(lv));
      const d2w = f32x4.mul(f32x4.mul(d, d), w);
      let loss = f32x4.mul(half, f32x4.add(f32x4.add(d2w, lv), f32x4.splat(2 * HALF_LOG_2PI)));
      if (n < 4) loss = v128.and(loss, lane_mask(n));
      lo = f64x2.add(lo, promote_lo(loss));
      hi = f64x2.add(hi, promote_hi(loss));
      if (dmean) {
        const grad = f32x4.mul(f32x4.mul(d, w), g);
        if (n == 4) v128.store(dmean + off, grad);
        else store_tail(dmean + off, grad, n);
      }
      if (dlogvar) {
        const gl = f32x4.mul(f32x4.mul(half, f32x4.sub(one, d2w)), g);
        if (n == 4) v128.store(dlogvar + colOff, f32x4.add(v128.load(dlogvar + colOff), gl));
        else store_tail(dlogvar + colOff, f32x4.add(load_tail(dlogvar + colOff, n, 0), gl), n);
      }
    }
    const s = hsum_f64(lo, hi);
    if (rowloss) store<f32>(rowloss + (<usize>i << 2), <f32>s);
    total += <f64><f32>s; // the float32 row loss: a threaded total sums the same values
  }
  return total;
}

// KL(N(mean, exp(logvar)) || N(0, I)) per row, summed over columns:
//   kl = 0.5 (exp(lv) + m^2 - 1 - lv),  dkl/dm = m,  dkl/dlv = 0.5 (exp(lv) - 1).
// dmean, dlogvar, mean, logvar: (rows, cols); rowloss: (rows).
// dmean = beta dmean + gscale dkl/dm and dlogvar alike (beta 1 adds to the reconstruction path
// they already hold; beta 0 never reads them).
export function kl_normal_f32(dmean: usize, dlogvar: usize, rowloss: usize, mean: usize, logvar: usize, rows: i32, cols: i32, gscale: f32, beta: f32): f64 {
  const g = f32x4.splat(gscale);
  const b = f32x4.splat(beta);
  const half = f32x4.splat(0.5);
  const one = f32x4.splat(1);
  const c4 = cols & ~3;
  const tail = cols - c4;
  let total: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const rowOff = <usize>i * <usize>cols << 2;
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    for (let j = 0; j <= c4; j += 4) {
      if (j == c4 && tail == 0) break;
      const off = rowOff + (<usize>j << 2);
      const n = j < c4 ? 4 : tail;
      const m = n == 4 ? v128.load(mean + off) : load_tail(mean + off, n, 0);
      const lv = n == 4 ? v128.load(logvar + off) : load_tail(logvar + off, n, 0);
      const ev = exp_v(lv);
      let kl = f32x4.mul(half, f32x4.sub(f32x4.sub(f32x4.add(ev, f32x4.mul(m, m)), one), lv));
      if (n < 4) kl = v128.and(kl, lane_mask(n));
      lo = f64x2.add(lo, promote_lo(kl));
      hi = f64x2.add(hi, promote_hi(kl));
      if (dmean) {
        const gm = f32x4.mul(m, g);
        const gl = f32x4.mul(f32x4.mul(half, f32x4.sub(ev, one)), g);
        if (beta == 0) {
          if (n == 4) {
            v128.store(dmean + off, gm);
            v128.store(dlogvar + off, gl);
          } else {
            store_tail(dmean + off, gm, n);
            store_tail(dlogvar + off, gl, n);
          }
        } else if (n == 4) {
          v128.store(dmean + off, f32x4.add(f32x4.mul(b, v128.load(dmean + off)), gm));
          v128.store(dlogvar + off, f32x4.add(f32x4.mul(b, v128.load(dlogvar + off)), gl));
        } else {
          store_tail(dmean + off, f32x4.add(f32x4.mul(b, load_tail(dmean + off, n, 0)), gm), n);
          store_tail(dlogvar + off, f32x4.add(f32x4.mul(b, load_tail(dlogvar + off, n, 0)), gl), n);
        }
      }
    }
    const s = hsum_f64(lo, hi);
    if (rowloss) store<f32>(rowloss + (<usize>i << 2), <f32>s);
    total += <f64><f32>s; // the float32 row loss: a threaded total sums the same values
  }
  return total;
}

// z (len) = mean + exp(logvar / 2) * eps.
export function reparam_f32(z: usize, mean: usize, logvar: usize, eps: usize, len: i32): void {
  const half = f32x4.splat(0.5);
  const n4 = len & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const off = <usize>i << 2;
    const sd = exp_v(f32x4.mul(v128.load(logvar + off), half));
    v128.store(z + off, f32x4.add(v128.load(mean + off), f32x4.mul(sd, v128.load(eps + off))));
  }
  const tail = len - n4;
  if (tail) {
    const off = <usize>i << 2;
    const sd = exp_v(f32x4.mul(load_tail(logvar + off, tail, 0), half));
    store_tail(z + off, f32x4.add(load_tail(mean + off, tail, 0), f32x4.mul(sd, load_tail(eps + off, tail, 0))), tail);
  }
}

// Backward of reparam: dmean = dz, dlogvar = dz * eps * exp(logvar / 2) / 2 (both overwritten).
export function reparam_backward_f32(dmean: usize, dlogvar: usize, dz: usize, logvar: usize, eps: usize, len: i32): void {
  const half = f32x4.splat(0.5);
  const n4 = len & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const off = <usize>i << 2;
    const d = v128.load(dz + off);
    const sd = exp_v(f32x4.mul(v128.load(logvar + off), half));
    v128.store(dlogvar + off, f32x4.mul(f32x4.mul(f32x4.mul(d, v128.load(eps + off)), sd), half));
    v128.store(dmean + off, d);
  }
  const tail = len - n4;
  if (tail) {
    const off = <usize>i << 2;
    const d = load_tail(dz + off, tail, 0);
    const sd = exp_v(f32x4.mul(load_tail(logvar + off, tail, 0), half));
    store_tail(dlogvar + off, f32x4.mul(f32x4.mul(f32x4.mul(d, load_tail(eps + off, tail, 0)), sd), half), tail);
    store_tail(dmean + off, d, tail);
  }
}
