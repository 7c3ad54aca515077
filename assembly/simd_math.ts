// Vectorised exp, log, log1p, sigmoid and tanh for f32x4, used by the activation, loss and
// reparameterization kernels. Cephes-style polynomials, accurate to about 2 ulp over the ranges
// the kernels use. Not a general libm: inputs are clamped where the kernels need no more range.

// exp: range reduction x = n ln2 + r, |r| <= ln2/2, then a degree-6 polynomial and 2^n built in
// the exponent bits. x is clamped to [-87.3, 88.3] so that 2^n stays a normal float (no inf).
@inline const EXP_HI: f32 = 88.3;
@inline const EXP_LO: f32 = -87.3;
@inline const LOG2E: f32 = 1.44269504088896341;
@inline const LN2_HI: f32 = 0.693359375;
@inline const LN2_LO: f32 = -2.12194440e-4;

// @ts-ignore: decorator
@inline export function exp_v(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const r2 = f32x4.mul(r, r);
  p = f32x4.add(f32x4.add(f32x4.mul(p, r2), r), f32x4.splat(1.0));
  const pow2n = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, pow2n);
}

// log for x > 0 (finite, normal): x = m 2^e with m in [sqrt(1/2), sqrt(2)), then cephes' logf
// polynomial in (m - 1).
// @ts-ignore: decorator
@inline export function log_v(x: v128): v128 {
  let e = i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(126));
  let m = v128.or(v128.and(x, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000)); // [0.5, 1)
  const small = f32x4.lt(m, f32x4.splat(0.707106781186547524));
  e = i32x4.add(e, small); // small lanes are -1 (all bits set)
  m = f32x4.sub(f32x4.add(m, v128.and(m, small)), f32x4.splat(1.0));
  const ef = f32x4.convert_i32x4_s(e);
  const z = f32x4.mul(m, m);
  let y = f32x4.splat(7.0376836292e-2);
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.1514610310e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(1.1676998740e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.2420140846e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(1.4249322787e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-1.6668057665e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(2.0000714765e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(-2.4999993993e-1));
  y = f32x4.add(f32x4.mul(y, m), f32x4.splat(3.3333331174e-1));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(ef, f32x4.splat(LN2_LO)));
  y = f32x4.sub(y, f32x4.mul(z, f32x4.splat(0.5)));
  return f32x4.add(f32x4.add(m, y), f32x4.mul(ef, f32x4.splat(LN2_HI)));
}

// log1p for x >= 0. Goldberg's trick: with u = 1 + x rounded, log1p(x) = log(u) * x / (u - 1)
// cancels the rounding of u; where u == 1 the answer is x itself.
// @ts-ignore: decorator
@inline export function log1p_v(x: v128): v128 {
  const u = f32x4.add(f32x4.splat(1.0), x);
  const d = f32x4.sub(u, f32x4.splat(1.0));
  const exact = f32x4.eq(d, f32x4.splat(0.0));
  const safeD = v128.bitselect(f32x4.splat(1.0), d, exact);
  const r = f32x4.mul(log_v(u), f32x4.div(x, safeD));
  return v128.bitselect(x, r, exact);
}

// sigmoid(x) = 1 / (1 + exp(-x)); exp's clamp keeps it finite for any finite x.
// @ts-ignore: decorator
@inline export function sigmoid_v(x: v128): v128 {
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), exp_v(f32x4.neg(x))));
}

// tanh(x) = sign(x) (1 - e) / (1 + e) with e = exp(-2|x|): no cancellation for large |x|, and
// for small |x| the absolute error stays near 1 ulp of 1.
// @ts-ignore: decorator
@inline export function tanh_v(x: v128): v128 {
  const ax = f32x4.abs(x);
  const e = exp_v(f32x4.mul(ax, f32x4.splat(-2.0)));
  const t = f32x4.div(f32x4.sub(f32x4.splat(1.0), e), f32x4.add(f32x4.splat(1.0), e));
  return v128.or(t, v128.and(x, i32x4.splat(0x80000000))); // copy the sign of x
}
