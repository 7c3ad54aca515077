// Optimizer updates, in place over one flat parameter buffer, with PyTorch's semantics
// (torch.optim.SGD, Adam, AdamW, RMSprop). Scalars that depend on the step count (bias corrections) are
// computed in float64 by the caller and passed in.
import { load_tail, store_tail } from './lanes';

// param -= lr * (grad + wd * param).   param, grad: (len)
export function sgd_f32(param: usize, grad: usize, len: i32, lr: f32, wd: f32): void {
  const vlr = f32x4.splat(lr);
  const vwd = f32x4.splat(wd);
  const n4 = len & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const off = <usize>i << 2;
    const p = v128.load(param + off);
    const g = f32x4.add(v128.load(grad + off), f32x4.mul(vwd, p));
    v128.store(param + off, f32x4.sub(p, f32x4.mul(vlr, g)));
  }
  const tail = len - n4;
  if (tail) {
    const off = <usize>i << 2;
    const p = load_tail(param + off, tail, 0);
    const g = f32x4.add(load_tail(grad + off, tail, 0), f32x4.mul(vwd, p));
    store_tail(param + off, f32x4.sub(p, f32x4.mul(vlr, g)), tail);
  }
}

// Heavy-ball momentum (PyTorch SGD, dampening 0), optionally Nesterov:
//   g = grad + wd * param;  vel = momentum * vel + g;
//   param -= lr * (nesterov ? g + momentum * vel : vel).
// param, vel, grad: (len); vel starts at zero.
export function sgd_momentum_f32(param: usize, vel: usize, grad: usize, len: i32, lr: f32, momentum: f32, wd: f32, nesterov: i32): void {
  const vlr = f32x4.splat(lr);
  const vmu = f32x4.splat(momentum);
  const vwd = f32x4.splat(wd);
  for (let i = 0; i < len; i += 4) {
    const off = <usize>i << 2;
    const n = min(4, len - i);
    const p = n == 4 ? v128.load(param + off) : load_tail(param + off, n, 0);
    const g = f32x4.add(n == 4 ? v128.load(grad + off) : load_tail(grad + off, n, 0), f32x4.mul(vwd, p));
    const v0 = n == 4 ? v128.load(vel + off) : load_tail(vel + off, n, 0);
    const v = f32x4.add(f32x4.mul(vmu, v0), g);
    const step = nesterov ? f32x4.add(g, f32x4.mul(vmu, v)) : v;
    const p1 = f32x4.sub(p, f32x4.mul(vlr, step));
    if (n == 4) {
      v128.store(vel + off, v);
      v128.store(param + off, p1);
    } else {
      store_tail(vel + off, v, n);
      store_tail(param + off, p1, n);
    }
  }
}

// Adam (decoupled = 0: L2 term wd * param added to the gradient) or AdamW (decoupled = 1:
// param *= 1 - lr * wd before the step):
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;
//   param -= stepSize * m / (sqrt(v) * invSqrtBc2 + eps)
// with stepSize = lr / (1 - beta1^t) and invSqrtBc2 = 1 / sqrt(1 - beta2^t).
// param, m, v, grad: (len); m and v start at zero.
export function adam_f32(param: usize, m: usize, v: usize, grad: usize, len: i32, lr: f32, beta1: f32, beta2: f32, eps: f32, wd: f32, stepSize: f32, invSqrtBc2: f32, decoupled: i32): void {
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const c1 = f32x4.splat(1 - beta1);
  const c2 = f32x4.splat(1 - beta2);
  const veps = f32x4.splat(eps);
  const l2 = f32x4.splat(decoupled ? 0 : wd);
  const shrink = f32x4.splat(decoupled ? 1 - lr * wd : 1);
  const step = f32x4.splat(stepSize);
  const ibc2 = f32x4.splat(invSqrtBc2);
  for (let i = 0; i < len; i += 4) {
    const off = <usize>i << 2;
    const n = min(4, len - i);
    let p = n == 4 ? v128.load(param + off) : load_tail(param + off, n, 0);
    const g = f32x4.add(n == 4 ? v128.load(grad + off) : load_tail(grad + off, n, 0), f32x4.mul(l2, p));
    const m0 = n == 4 ? v128.load(m + off) : load_tail(m + off, n, 0);
    const v0 = n == 4 ? v128.load(v + off) : load_tail(v + off, n, 0);
    const m1 = f32x4.add(f32x4.mul(b1, m0), f32x4.mul(c1, g));
    const v1 = f32x4.add(f32x4.mul(b2, v0), f32x4.mul(c2, f32x4.mul(g, g)));
    const denom = f32x4.add(f32x4.mul(f32x4.sqrt(v1), ibc2), veps);
    p = f32x4.sub(f32x4.mul(p, shrink), f32x4.mul(step, f32x4.div(m1, denom)));
    if (n == 4) {
      v128.store(m + off, m1);
      v128.store(v + off, v1);
      v128.store(param + off, p);
    } else {
      store_tail(m + off, m1, n);
      store_tail(v + off, v1, n);
      store_tail(param + off, p, n);
    }
  }
}

// RMSprop (torch.optim.RMSprop; no bias correction, eps outside the square root):
//   g = grad + wd * param;  sq = alpha sq + (1 - alpha) g^2;
//   centered: gavg = alpha gavg + (1 - alpha) g,  avg = sqrt(sq - gavg^2) + eps;  else avg = sqrt(sq) + eps;
//   momentum > 0: buf = momentum buf + g / avg,  param -= lr buf;  else param -= lr g / avg.
// param, sq (square_avg), buf (momentum_buffer), gavg (grad_avg), grad: (len); sq, buf and gavg
// start at zero. buf is read and written only when momentum > 0, gavg only when centered (pass 0 otherwise).
export function rmsprop_f32(param: usize, sq: usize, buf: usize, gavg: usize, grad: usize, len: i32, lr: f32, alpha: f32, eps: f32, wd: f32, momentum: f32, centered: i32): void {
  const a = f32x4.splat(alpha);
  const c = f32x4.splat(1 - alpha);
  const veps = f32x4.splat(eps);
  const vwd = f32x4.splat(wd);
  const vmu = f32x4.splat(momentum);
  const vlr = f32x4.splat(lr);
  const withBuf = momentum > 0;
  for (let i = 0; i < len; i += 4) {
    const off = <usize>i << 2;
    const n = min(4, len - i);
    const p = n == 4 ? v128.load(param + off) : load_tail(param + off, n, 0);
    const g = f32x4.add(n == 4 ? v128.load(grad + off) : load_tail(grad + off, n, 0), f32x4.mul(vwd, p));
    const s0 = n == 4 ? v128.load(sq + off) : load_tail(sq + off, n, 0);
    const s1 = f32x4.add(f32x4.mul(a, s0), f32x4.mul(f32x4.mul(c, g), g));
    let variance = s1;
    if (centered) {
      const ga0 = n == 4 ? v128.load(gavg + off) : load_tail(gavg + off, n, 0);
      const ga1 = f32x4.add(f32x4.mul(a, ga0), f32x4.mul(c, g));
      variance = f32x4.sub(s1, f32x4.mul(ga1, ga1));
      if (n == 4) v128.store(gavg + off, ga1);
      else store_tail(gavg + off, ga1, n);
    }
    let step = f32x4.div(g, f32x4.add(f32x4.sqrt(variance), veps));
    if (withBuf) {
      const b0 = n == 4 ? v128.load(buf + off) : load_tail(buf + off, n, 0);
      step = f32x4.add(f32x4.mul(vmu, b0), step);
      if (n == 4) v128.store(buf + off, step);
      else store_tail(buf + off, step, n);
    }
    const p1 = f32x4.sub(p, f32x4.mul(vlr, step));
    if (n == 4) {
      v128.store(sq + off, s1);
      v128.store(param + off, p1);
    } else {
      store_tail(sq + off, s1, n);
      store_tail(param + off, p1, n);
    }
  }
}
