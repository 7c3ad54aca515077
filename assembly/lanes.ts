// Partial-vector loads and stores for the tails of elementwise kernels: the last len % 4
// elements go through the same f32x4 code as the rest, so every element gets the same math.

// Loads n (< 4) floats from ptr into the low lanes; the other lanes are `fill`.
// @ts-ignore: decorator
@inline export function load_tail(ptr: usize, n: i32, fill: f32): v128 {
  let v = f32x4.splat(fill);
  if (n > 0) v = f32x4.replace_lane(v, 0, load<f32>(ptr));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(ptr, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(ptr, 8));
  return v;
}

// Stores the low n (< 4) lanes of v at ptr.
// @ts-ignore: decorator
@inline export function store_tail(ptr: usize, v: v128, n: i32): void {
  if (n > 0) store<f32>(ptr, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(ptr, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(ptr, f32x4.extract_lane(v, 2), 8);
}

// Sum of the four lanes in float64, (l0 + l1) + (l2 + l3).
// @ts-ignore: decorator
@inline export function hsum_f64(lo: v128, hi: v128): f64 {
  const s = f64x2.add(lo, hi);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

// Adds the four f32 lanes of v, promoted to f64, into the two f64x2 accumulators.
// @ts-ignore: decorator
@inline export function promote_lo(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
// @ts-ignore: decorator
@inline export function promote_hi(v: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 2, 3));
}
