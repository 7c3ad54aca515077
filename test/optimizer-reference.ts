// A float64 reference of torch.optim's update rules (SGD, Adam, AdamW, RMSprop), transcribed
// from the single-tensor (foreach=False) paths of torch/optim/{sgd,adam,adamw,rmsprop}.py: the
// oracle that wavae's optimizers are checked against. Not float32, not fast, not wavae's code.
//
// Each function takes one step in place: state.param and the optimizer's buffers (all
// Float64Array of the parameters' length, buffers zero at the start), the gradient of this step,
// and the step count t (1 on the first step). Elementwise, so several torch tensors are one flat state.

/** torch.optim.SGD with dampening 0 (wavae's { type: 'sgd' }). */
export interface SgdOptions { lr: number; momentum: number; nesterov: boolean; weightDecay: number }
/** torch.optim.Adam with amsgrad false (weightDecay: L2), or AdamW (weightDecay: decoupled). */
export interface AdamOptions { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number }
/** torch.optim.RMSprop (defaults lr 1e-2, alpha 0.99, eps 1e-8, weightDecay 0, momentum 0, centered false). */
export interface RmspropOptions { lr: number; alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean }

/** param (len); momentumBuffer (len). */
export interface SgdState { param: Float64Array; momentumBuffer: Float64Array }
/** param, expAvg (Adam's m), expAvgSq (Adam's v): (len). */
export interface AdamState { param: Float64Array; expAvg: Float64Array; expAvgSq: Float64Array }
/** param, squareAvg, momentumBuffer (used when momentum > 0), gradAvg (used when centered): (len). */
export interface RmspropState { param: Float64Array; squareAvg: Float64Array; momentumBuffer: Float64Array; gradAvg: Float64Array }

/** torch.optim.SGD: d = g + wd p; buf = d on the first step, else momentum buf + d; p -= lr (nesterov ? d + momentum buf : buf). */
export function sgdStep(s: SgdState, grad: ArrayLike<number>, t: number, o: SgdOptions): void {
  for (let i = 0; i < s.param.length; i++) {
    let d = grad[i];
    if (o.weightDecay !== 0) d = d + o.weightDecay * s.param[i];
    if (o.momentum !== 0) {
      // torch clones d into the buffer on the first step: the same as momentum * 0 + d
      s.momentumBuffer[i] = t === 1 ? d : o.momentum * s.momentumBuffer[i] + d;
      d = o.nesterov ? d + o.momentum * s.momentumBuffer[i] : s.momentumBuffer[i];
    }
    s.param[i] = s.param[i] - o.lr * d;
  }
}

/** torch.optim.Adam (decoupled false: L2 weight decay added to the gradient) or AdamW (decoupled true: p *= 1 - lr wd first). */
export function adamStep(s: AdamState, grad: ArrayLike<number>, t: number, o: AdamOptions, decoupled: boolean): void {
  const biasCorrection1 = 1 - o.beta1 ** t;
  const biasCorrection2 = 1 - o.beta2 ** t;
  const stepSize = o.lr / biasCorrection1;
  const biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
  for (let i = 0; i < s.param.length; i++) {
    let g = grad[i];
    if (decoupled) s.param[i] = s.param[i] * (1 - o.lr * o.weightDecay);
    else if (o.weightDecay !== 0) g = g + o.weightDecay * s.param[i];
    s.expAvg[i] = o.beta1 * s.expAvg[i] + (1 - o.beta1) * g;
    s.expAvgSq[i] = o.beta2 * s.expAvgSq[i] + (1 - o.beta2) * g * g;
    const denom = Math.sqrt(s.expAvgSq[i]) / biasCorrection2Sqrt + o.eps;
    s.param[i] = s.param[i] - stepSize * (s.expAvg[i] / denom);
  }
}

/**
 * torch.optim.RMSprop: g += wd p; sq = alpha sq + (1 - alpha) g^2; avg = sqrt(sq) + eps, or when
 * centered gavg = alpha gavg + (1 - alpha) g and avg = sqrt(sq - gavg^2) + eps; then with
 * momentum > 0: buf = momentum buf + g / avg, p -= lr buf; else p -= lr g / avg. (t unused: no bias correction.)
 */
export function rmspropStep(s: RmspropState, grad: ArrayLike<number>, t: number, o: RmspropOptions): void {
  void t;
  for (let i = 0; i < s.param.length; i++) {
    let g = grad[i];
    if (o.weightDecay !== 0) g = g + o.weightDecay * s.param[i];
    s.squareAvg[i] = o.alpha * s.squareAvg[i] + (1 - o.alpha) * g * g;
    let avg: number;
    if (o.centered) {
      s.gradAvg[i] = o.alpha * s.gradAvg[i] + (1 - o.alpha) * g;
      avg = Math.sqrt(s.squareAvg[i] - s.gradAvg[i] * s.gradAvg[i]) + o.eps;
    } else {
      avg = Math.sqrt(s.squareAvg[i]) + o.eps;
    }
    if (o.momentum > 0) {
      s.momentumBuffer[i] = o.momentum * s.momentumBuffer[i] + g / avg;
      s.param[i] = s.param[i] - o.lr * s.momentumBuffer[i];
    } else {
      s.param[i] = s.param[i] - o.lr * (g / avg);
    }
  }
}
