// Optimizers over one flat parameter buffer: SGD, momentum, Nesterov, Adam, AdamW, with
// PyTorch's semantics and defaults. State (velocity, moments) lives in flat buffers of the same
// layout as the parameters, so one kernel call updates the whole model.
import type { Backend, Buf } from '../backend/index.js';
import { WavaeError, checkKeys, describe, orDefault } from '../errors.js';

/** Optimizer settings, as in torch.optim: weightDecay is PyTorch's (L2 for SGD/Adam, decoupled for AdamW). */
export type OptimizerConfig =
  | { type: 'sgd'; lr?: number; momentum?: number; nesterov?: boolean; weightDecay?: number }
  | { type: 'adam' | 'adamw'; lr?: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number };

/** A config with every default filled in. */
export interface ResolvedOptimizer {
  type: 'sgd' | 'adam' | 'adamw';
  lr: number;
  momentum: number;
  nesterov: boolean;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

const KEYS: Record<string, string[]> = {
  sgd: ['type', 'lr', 'momentum', 'nesterov', 'weightDecay'],
  adam: ['type', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay'],
  adamw: ['type', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay'],
};

/** Validates an optimizer config and fills in PyTorch's defaults. */
export function resolveOptimizer(config: unknown): ResolvedOptimizer {
  if (typeof config !== 'object' || config === null) {
    throw new WavaeError('INVALID_OPTION', `optimizer must be an object like { type: 'adam', lr: 1e-3 }, got ${describe(config)}`);
  }
  const c = config as Record<string, unknown>;
  const type = c.type;
  if (type !== 'sgd' && type !== 'adam' && type !== 'adamw') {
    throw new WavaeError('INVALID_OPTION', `optimizer.type must be 'sgd', 'adam' or 'adamw', got ${describe(type)}`);
  }
  checkKeys(`optimizer (${type})`, c, KEYS[type]);
  const num = (key: string, dflt: number, ok: (v: number) => boolean, range: string): number => {
    const v = orDefault(c[key], dflt);
    if (typeof v !== 'number' || !ok(v)) throw new WavaeError('INVALID_OPTION', `optimizer.${key} must be ${range}, got ${describe(v)}`);
    return v;
  };
  const nesterov = orDefault(c.nesterov, false);
  if (typeof nesterov !== 'boolean') throw new WavaeError('INVALID_OPTION', `optimizer.nesterov must be a boolean, got ${describe(nesterov)}`);
  const r: ResolvedOptimizer = {
    type,
    lr: num('lr', type === 'sgd' ? 0.01 : 1e-3, (v) => v > 0 && Number.isFinite(v), 'a number > 0'),
    momentum: num('momentum', 0, (v) => v >= 0 && v < 1, 'in [0, 1)'),
    nesterov,
    beta1: num('beta1', 0.9, (v) => v >= 0 && v < 1, 'in [0, 1)'),
    beta2: num('beta2', 0.999, (v) => v >= 0 && v < 1, 'in [0, 1)'),
    eps: num('eps', 1e-8, (v) => v > 0 && Number.isFinite(v), 'a number > 0'),
    weightDecay: num('weightDecay', type === 'adamw' ? 0.01 : 0, (v) => v >= 0 && Number.isFinite(v), 'a number >= 0'),
  };
  if (r.nesterov && r.momentum === 0) throw new WavaeError('INVALID_OPTION', 'optimizer: nesterov needs momentum > 0');
  return r;
}

/** The user-level config of a resolved one: the keys of its type only (round-trips through resolveOptimizer). */
export function optimizerConfigOf(c: ResolvedOptimizer): OptimizerConfig {
  if (c.type === 'sgd') return { type: 'sgd', lr: c.lr, momentum: c.momentum, nesterov: c.nesterov, weightDecay: c.weightDecay };
  return { type: c.type, lr: c.lr, beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay: c.weightDecay };
}

/** Names of the optimizer's state buffers (saved in model files to resume training). */
export function optimizerStateNames(c: ResolvedOptimizer): string[] {
  if (c.type === 'sgd') return c.momentum > 0 ? ['velocity'] : [];
  return ['m', 'v'];
}

/** The optimizer: state buffers plus one update call per step. */
export class Optimizer {
  /** Steps taken (Adam's t). */
  step = 0;
  readonly state: Record<string, Buf> = {};

  constructor(private readonly be: Backend, readonly config: ResolvedOptimizer, private readonly params: Buf,
    private readonly grads: Buf) {
    for (const name of optimizerStateNames(config)) {
      this.state[name] = be.alloc(params.len);
      be.fill_f32(this.state[name], 0);
    }
  }

  /** Applies one update with learning rate lr (the schedule's value for this step). */
  update(lr: number): void {
    const c = this.config;
    this.step++;
    if (c.type === 'sgd') {
      if (c.momentum > 0) this.be.sgd_momentum_f32(this.params, this.state.velocity, this.grads, lr, c.momentum, c.weightDecay, c.nesterov);
      else this.be.sgd_f32(this.params, this.grads, lr, c.weightDecay);
    } else {
      this.be.adam_f32(this.params, this.state.m, this.state.v, this.grads, this.step, lr, c.beta1, c.beta2, c.eps,
        c.weightDecay, c.type === 'adamw');
    }
  }

  free(): void {
    for (const buf of Object.values(this.state)) this.be.free(buf);
  }
}
