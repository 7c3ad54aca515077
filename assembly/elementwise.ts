// Elementwise and reduction kernels: bias + activation, activation backward, column sums,
// scale, axpy, fill, copy, sum of squares. Pointers are byte offsets into linear memory;
// lengths and dimensions are element counts. No allocation, no bounds checks (the TypeScript
// backend checks every argument before the call).
import { act_v, act_grad_v } from './activations';
import { load_tail, store_tail, hsum_f64, promote_lo, promote_hi } from './lanes';

// out (rows, cols) = act(inp (rows, cols) + bias (cols)); bias == 0 means no bias.
// out may equal inp.
export function bias_act_f32(out: usize, inp: usize, bias: usize, rows: i32, cols: i32, act: i32, alpha: f32): void {
  const c4 = cols & ~3;
  const tail = cols - c4;
  for (let i = 0; i < rows; i++) {
    const o = out + (<usize>i * <usize>cols << 2);
    const x = inp + (<usize>i * <usize>cols << 2);
    let j = 0;
    for (; j < c4; j += 4) {
      const off = <usize>j << 2;
      let v = v128.load(x + off);
      if (bias) v = f32x4.add(v, v128.load(bias + off));
      v128.store(o + off, act_v(v, act, alpha));
    }
    if (tail) {
      const off = <usize>j << 2;
      let v = load_tail(x + off, tail, 0);
      if (bias) v = f32x4.add(v, load_tail(bias + off, tail, 0));
      store_tail(o + off, act_v(v, act, alpha), tail);
    }
  }
}

// dinp (len) = dout (len) * f'(x), written with the forward output out (len) = f(x).
// Overwrites dinp; dinp may equal dout.
export function act_backward_f32(dinp: usize, dout: usize, out: usize, len: i32, act: i32, alpha: f32): void {
  const n4 = len & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const off = <usize>i << 2;
    v128.store(dinp + off, f32x4.mul(v128.load(dout + off), act_grad_v(v128.load(out + off), act, alpha)));
  }
  const tail = len - n4;
  if (tail) {
    const off = <usize>i << 2;
    const g = f32x4.mul(load_tail(dout + off, tail, 0), act_grad_v(load_tail(out + off, tail, 0), act, alpha));
    store_tail(dinp + off, g, tail);
  }
}

// out (cols) = beta * out + sum over rows of inp (rows, cols), summed in row order in float32.
// beta == 0 does not read out. 32 columns per pass (8 f32x4 sums, two cache lines of a row), then
// 4, then one: every column's sum is the same chain of additions whatever the pass.
export function col_sum_f32(out: usize, inp: usize, rows: i32, cols: i32, beta: f32): void {
  const stride = <usize>cols << 2;
  const vb = f32x4.splat(beta);
  let j = 0;
  for (; j + 32 <= cols; j += 32) {
    const off = <usize>j << 2;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
    let p = inp + off;
    for (let i = 0; i < rows; i++, p += stride) {
      a0 = f32x4.add(a0, v128.load(p)); a1 = f32x4.add(a1, v128.load(p, 16));
      a2 = f32x4.add(a2, v128.load(p, 32)); a3 = f32x4.add(a3, v128.load(p, 48));
      a4 = f32x4.add(a4, v128.load(p, 64)); a5 = f32x4.add(a5, v128.load(p, 80));
      a6 = f32x4.add(a6, v128.load(p, 96)); a7 = f32x4.add(a7, v128.load(p, 112));
    }
    const o = out + off;
    store_sum(o, a0, beta, vb); store_sum(o + 16, a1, beta, vb); store_sum(o + 32, a2, beta, vb); store_sum(o + 48, a3, beta, vb);
    store_sum(o + 64, a4, beta, vb); store_sum(o + 80, a5, beta, vb); store_sum(o + 96, a6, beta, vb); store_sum(o + 112, a7, beta, vb);
  }
  for (; j + 4 <= cols; j += 4) {
    const off = <usize>j << 2;
    let acc = f32x4.splat(0);
    let p = inp + off;
    for (let i = 0; i < rows; i++) {
      acc = f32x4.add(acc, v128.load(p));
      p += stride;
    }
    store_sum(out + off, acc, beta, vb);
  }
  for (; j < cols; j++) {
    const off = <usize>j << 2;
    let acc: f32 = 0;
    let p = inp + off;
    for (let i = 0; i < rows; i++) {
      acc += load<f32>(p);
      p += stride;
    }
    if (beta != 0) acc = load<f32>(out + off) * beta + acc;
    store<f32>(out + off, acc);
  }
}

// out = acc, or out * beta + acc (beta != 0), four floats.
// @ts-ignore: decorator
@inline function store_sum(out: usize, acc: v128, beta: f32, vb: v128): void {
  v128.store(out, beta != 0 ? f32x4.add(f32x4.mul(v128.load(out), vb), acc) : acc);
}

// x (len) *= alpha.
export function scale_f32(x: usize, alpha: f32, len: i32): void {
  const a = f32x4.splat(alpha);
  const n4 = len & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const p = x + (<usize>i << 2);
    v128.store(p, f32x4.mul(v128.load(p), a));
  }
  for (; i < len; i++) {
    const p = x + (<usize>i << 2);
    store<f32>(p, load<f32>(p) * alpha);
  }
}

// y (len) += alpha * x (len).
export function axpy_f32(y: usize, alpha: f32, x: usize, len: i32): void {
  const a = f32x4.splat(alpha);
  const n4 = len & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const off = <usize>i << 2;
    v128.store(y + off, f32x4.add(v128.load(y + off), f32x4.mul(v128.load(x + off), a)));
  }
  for (; i < len; i++) {
    const off = <usize>i << 2;
    store<f32>(y + off, load<f32>(y + off) + load<f32>(x + off) * alpha);
  }
}

// x (len) = value.
export function fill_f32(x: usize, value: f32, len: i32): void {
  const v = f32x4.splat(value);
  const n4 = len & ~3;
  let i = 0;
  for (; i < n4; i += 4) v128.store(x + (<usize>i << 2), v);
  for (; i < len; i++) store<f32>(x + (<usize>i << 2), value);
}

// dst (len) = src (len); the ranges may overlap.
export function copy_f32(dst: usize, src: usize, len: i32): void {
  memory.copy(dst, src, <usize>len << 2);
}

// Returns sum of x^2 over x (len), accumulated in float64 (L2 penalty, gradient norms): four
// pairs of f64x2 sums, 16 floats a step, so the adds' latency does not bound it (one pair ran at
// a third of the speed, one add per 3 cycles per chain); the pairs then add in a fixed order.
export function sumsq_f32(x: usize, len: i32): f64 {
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  let lo1 = lo, hi1 = lo, lo2 = lo, hi2 = lo, lo3 = lo, hi3 = lo;
  const n16 = len & ~15;
  const n4 = len & ~3;
  let i = 0;
  for (; i < n16; i += 16) {
    const at = x + (<usize>i << 2);
    const s0 = f32x4.mul(v128.load(at), v128.load(at));
    const s1 = f32x4.mul(v128.load(at, 16), v128.load(at, 16));
    const s2 = f32x4.mul(v128.load(at, 32), v128.load(at, 32));
    const s3 = f32x4.mul(v128.load(at, 48), v128.load(at, 48));
    lo = f64x2.add(lo, promote_lo(s0));
    hi = f64x2.add(hi, promote_hi(s0));
    lo1 = f64x2.add(lo1, promote_lo(s1));
    hi1 = f64x2.add(hi1, promote_hi(s1));
    lo2 = f64x2.add(lo2, promote_lo(s2));
    hi2 = f64x2.add(hi2, promote_hi(s2));
    lo3 = f64x2.add(lo3, promote_lo(s3));
    hi3 = f64x2.add(hi3, promote_hi(s3));
  }
  for (; i < n4; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const sq = f32x4.mul(v, v);
    lo = f64x2.add(lo, promote_lo(sq));
    hi = f64x2.add(hi, promote_hi(sq));
  }
  lo = f64x2.add(f64x2.add(lo, lo1), f64x2.add(lo2, lo3));
  hi = f64x2.add(f64x2.add(hi, hi1), f64x2.add(hi2, hi3));
  let s = hsum_f64(lo, hi);
  for (; i < len; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    s += <f64>(v * v);
  }
  return s;
}
