// Activation functions and their derivatives on f32x4 lanes, shared by the GEMM epilogue and
// the bias_act / act_backward kernels. Codes match src/backend/kernels.ts (Act).
import { sigmoid_v, tanh_v } from './simd_math';

export const ACT_IDENTITY = 0;
export const ACT_RELU = 1;
export const ACT_LEAKY_RELU = 2;
export const ACT_SIGMOID = 3;
export const ACT_TANH = 4;

// y = f(x). relu keeps NaN (x < 0 ? 0 : x); leaky relu needs alpha >= 0 (checked in TypeScript).
// @ts-ignore: decorator
@inline export function act_v(x: v128, act: i32, alpha: f32): v128 {
  if (act == ACT_RELU) return f32x4.pmax(x, f32x4.splat(0));
  if (act == ACT_LEAKY_RELU) return v128.bitselect(f32x4.mul(x, f32x4.splat(alpha)), x, f32x4.lt(x, f32x4.splat(0)));
  if (act == ACT_SIGMOID) return sigmoid_v(x);
  if (act == ACT_TANH) return tanh_v(x);
  return x;
}

// f'(x) written in terms of the output y = f(x), so forward keeps only its output.
// relu: y > 0; leaky relu: y > 0 ? 1 : alpha; sigmoid: y (1 - y); tanh: 1 - y^2.
// @ts-ignore: decorator
@inline export function act_grad_v(y: v128, act: i32, alpha: f32): v128 {
  const one = f32x4.splat(1);
  if (act == ACT_RELU) return v128.and(f32x4.gt(y, f32x4.splat(0)), one);
  if (act == ACT_LEAKY_RELU) return v128.bitselect(one, f32x4.splat(alpha), f32x4.gt(y, f32x4.splat(0)));
  if (act == ACT_SIGMOID) return f32x4.mul(y, f32x4.sub(one, y));
  if (act == ACT_TANH) return f32x4.sub(one, f32x4.mul(y, y));
  return one;
}
