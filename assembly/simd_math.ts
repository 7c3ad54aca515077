// Vectorised exp, log1p (on [0, 1]), sigmoid and tanh for f32x4, used by the activation, loss and
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

// log1p(x) for x in [0, 1] (the BCE's exp(-|l|)): with s = x / (2 + x) in [0, 1/3],
// log1p(x) = 2 atanh(s) = 2 s (1 + s^2/3 + s^4/5 + ... + s^12/13); the series' remainder is
// below 2e-8 relative at x = 1, and for tiny x the result is x with no cancellation.
// @ts-ignore: decorator
@inline export function log1p_v(x: v128): v128 {
  const s = f32x4.div(x, f32x4.add(f32x4.splat(2.0), x));
  const s2 = f32x4.mul(s, s);
  let p = f32x4.splat(<f32>(1.0 / 13.0));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 11.0)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 9.0)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 7.0)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 5.0)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 3.0)));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1.0));
  return f32x4.mul(f32x4.add(s, s), p);
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
