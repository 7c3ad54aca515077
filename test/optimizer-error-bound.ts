// How far a float32 implementation of torch.optim's updates may be from the float64 reference
// (optimizer-reference.ts): the same formulas, each value carrying a first-order running error
// bound (Wilkinson's running error analysis). The tolerances of test/optimizers.test.ts; not a
// second reference (the test checks that its values are the reference's, bit for bit).
//
// The model of a float32 implementation: data (initial parameters, gradients) is float32 on both
// sides, so exact; each hyperparameter is rounded to float32 once; every operation rounds its
// result (relative error <= u = 2^-24) and propagates its operands' errors by its sensitivity.
// Errors stored in the state (param, moments, buffers) carry over into every later step, so the
// bound grows with the step count and with the magnitudes involved, and it sees cancellation
// (a moment near zero while gradients change sign, sq - gavg^2) where a bound from the largest
// magnitudes would not.
import { U } from './helpers.js';
import type { AdamOptions, RmspropOptions, SgdOptions } from './optimizer-reference.js';

/** A float64 value v and a bound e on |(float32 evaluation of the same expression) - v|. */
export interface Approx { v: number; e: number }

/** Float32 data, the same on both sides. */
export const exact = (v: number): Approx => ({ v, e: 0 });
/** A float64 constant (hyperparameter, bias correction) handed to the implementation as float32. */
const scalar = (v: number): Approx => ({ v, e: U * Math.abs(v) });
/** The result v of an operation whose operands' errors propagate to e, then rounded to float32. */
const rounded = (v: number, e: number): Approx => ({ v, e: e + U * (Math.abs(v) + e) });

const ONE = exact(1);
const add = (a: Approx, b: Approx): Approx => rounded(a.v + b.v, a.e + b.e);
const sub = (a: Approx, b: Approx): Approx => rounded(a.v - b.v, a.e + b.e);
const mul = (a: Approx, b: Approx): Approx => rounded(a.v * b.v, Math.abs(a.v) * b.e + Math.abs(b.v) * a.e + a.e * b.e);
function div(a: Approx, b: Approx): Approx {
  // |a'/b' - a/b| <= (e_a + |a/b| e_b) / (|b| - e_b) while the divisor's error is smaller than it
  if (!(Math.abs(b.v) > b.e)) throw new Error(`error bound: divisor ${b.v} within its error ${b.e}`);
  const v = a.v / b.v;
  return rounded(v, (a.e + Math.abs(v) * b.e) / (Math.abs(b.v) - b.e));
}
function sqrt(a: Approx): Approx {
  // the larger of sqrt(x) - sqrt(x - e) and sqrt(x + e) - sqrt(x), in forms that do not cancel
  const v = Math.sqrt(a.v);
  if (a.e === 0) return rounded(v, 0);
  const down = a.v > a.e ? a.e / (v + Math.sqrt(a.v - a.e)) : v;
  const up = a.e / (Math.sqrt(a.v + a.e) + v);
  return rounded(v, Math.max(down, up));
}

/** Bounds of SgdState. */
export interface SgdBounds { param: Approx[]; momentumBuffer: Approx[] }
/** Bounds of AdamState. */
export interface AdamBounds { param: Approx[]; expAvg: Approx[]; expAvgSq: Approx[] }
/** Bounds of RmspropState. */
export interface RmspropBounds { param: Approx[]; squareAvg: Approx[]; momentumBuffer: Approx[]; gradAvg: Approx[] }

/** sgdStep, with bounds. */
export function sgdBoundStep(s: SgdBounds, grad: ArrayLike<number>, t: number, o: SgdOptions): void {
  const lr = scalar(o.lr), wd = scalar(o.weightDecay), momentum = scalar(o.momentum);
  for (let i = 0; i < s.param.length; i++) {
    let d = exact(grad[i]);
    if (o.weightDecay !== 0) d = add(d, mul(wd, s.param[i]));
    if (o.momentum !== 0) {
      s.momentumBuffer[i] = t === 1 ? d : add(mul(momentum, s.momentumBuffer[i]), d);
      d = o.nesterov ? add(d, mul(momentum, s.momentumBuffer[i])) : s.momentumBuffer[i];
    }
    s.param[i] = sub(s.param[i], mul(lr, d));
  }
}

/** adamStep, with bounds. */
export function adamBoundStep(s: AdamBounds, grad: ArrayLike<number>, t: number, o: AdamOptions, decoupled: boolean): void {
  const lr = scalar(o.lr), wd = scalar(o.weightDecay), beta1 = scalar(o.beta1), beta2 = scalar(o.beta2), eps = scalar(o.eps);
  // the step-dependent scalars are computed in float64 and rounded once, in wavae and in torch
  const stepSize = scalar(o.lr / (1 - o.beta1 ** t));
  const biasCorrection2Sqrt = scalar(Math.sqrt(1 - o.beta2 ** t));
  const shrink = sub(ONE, mul(lr, wd));
  for (let i = 0; i < s.param.length; i++) {
    let g = exact(grad[i]);
    if (decoupled) s.param[i] = mul(s.param[i], shrink);
    else if (o.weightDecay !== 0) g = add(g, mul(wd, s.param[i]));
    s.expAvg[i] = add(mul(beta1, s.expAvg[i]), mul(sub(ONE, beta1), g));
    s.expAvgSq[i] = add(mul(beta2, s.expAvgSq[i]), mul(mul(sub(ONE, beta2), g), g));
    const denom = add(div(sqrt(s.expAvgSq[i]), biasCorrection2Sqrt), eps);
    s.param[i] = sub(s.param[i], mul(stepSize, div(s.expAvg[i], denom)));
  }
}

/** rmspropStep, with bounds. */
export function rmspropBoundStep(s: RmspropBounds, grad: ArrayLike<number>, t: number, o: RmspropOptions): void {
  void t;
  const lr = scalar(o.lr), wd = scalar(o.weightDecay), alpha = scalar(o.alpha), eps = scalar(o.eps), momentum = scalar(o.momentum);
  for (let i = 0; i < s.param.length; i++) {
    let g = exact(grad[i]);
    if (o.weightDecay !== 0) g = add(g, mul(wd, s.param[i]));
    s.squareAvg[i] = add(mul(alpha, s.squareAvg[i]), mul(mul(sub(ONE, alpha), g), g));
    let avg: Approx;
    if (o.centered) {
      s.gradAvg[i] = add(mul(alpha, s.gradAvg[i]), mul(sub(ONE, alpha), g));
      avg = add(sqrt(sub(s.squareAvg[i], mul(s.gradAvg[i], s.gradAvg[i]))), eps);
    } else {
      avg = add(sqrt(s.squareAvg[i]), eps);
    }
    if (o.momentum > 0) {
      s.momentumBuffer[i] = add(mul(momentum, s.momentumBuffer[i]), div(g, avg));
      s.param[i] = sub(s.param[i], mul(lr, s.momentumBuffer[i]));
    } else {
      s.param[i] = sub(s.param[i], mul(lr, div(g, avg)));
    }
  }
}
