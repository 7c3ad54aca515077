// Optimizers over one flat parameter buffer, with PyTorch's semantics and defaults: SGD (momentum,
// Nesterov), Adam, AdamW, RMSprop. State (velocity, moments) lives in flat buffers of the
// parameters' layout, so one kernel call updates the whole model. Each optimizer is one entry of
// OPTIMIZERS: its options and defaults, its state buffers (PyTorch's names), and its kernel call.
import type { Backend, Buf } from '../backend/index.js';
import { WavaeError, checkKeys, describe, orDefault } from '../errors.js';

/** Optimizer settings, as in torch.optim: weightDecay is PyTorch's (L2 for SGD/Adam/RMSprop, decoupled for AdamW). */
export type OptimizerConfig =
  | {
    /** Stochastic gradient descent (torch.optim.SGD, no dampening). */
    type: 'sgd';
    /** Base learning rate (> 0), which the schedule scales per step. Default 0.01. */
    lr?: number;
    /** Momentum factor in [0, 1); 0 is plain SGD. Default 0. */
    momentum?: number;
    /** Nesterov momentum (needs momentum > 0). Default false. */
    nesterov?: boolean;
    /** L2 penalty (>= 0): weightDecay * param joins every parameter's gradient, biases included. Default 0. */
    weightDecay?: number;
  }
  | {
    /** Adam (torch.optim.Adam), or AdamW with decoupled weight decay (torch.optim.AdamW). */
    type: 'adam' | 'adamw';
    /** Base learning rate (> 0), which the schedule scales per step. Default 1e-3. */
    lr?: number;
    /** Decay rate of the first-moment (mean) estimate, in [0, 1). Default 0.9. */
    beta1?: number;
    /** Decay rate of the second-moment (uncentered variance) estimate, in [0, 1). Default 0.999. */
    beta2?: number;
    /** Added to the denominator sqrt(v) for stability (> 0). Default 1e-8. */
    eps?: number;
    /**
     * Weight decay (>= 0) of every parameter, biases included: an L2 term in the gradient for
     * 'adam' (default 0), decoupled (param *= 1 - lr * weightDecay) for 'adamw' (default 0.01).
     */
    weightDecay?: number;
  }
  | {
    /** RMSprop (torch.optim.RMSprop). */
    type: 'rmsprop';
    /** Base learning rate (> 0), which the schedule scales per step. Default 0.01. */
    lr?: number;
    /** Smoothing constant of the running average of squared gradients, in [0, 1). Default 0.99. */
    alpha?: number;
    /** Added to the denominator for stability (> 0). Default 1e-8. */
    eps?: number;
    /** L2 penalty (>= 0): weightDecay * param joins every parameter's gradient, biases included. Default 0. */
    weightDecay?: number;
    /** Momentum factor in [0, 1); 0 for none. Default 0. */
    momentum?: number;
    /** Normalise by an estimate of the gradient's variance (the squared average minus the squared mean gradient). Default false. */
    centered?: boolean;
  };

/** A config with every default of its type filled in (only its type's keys). */
export type ResolvedOptimizer = { type: OptimizerConfig['type']; lr: number; weightDecay: number } & Record<string, number | boolean | string>;

/** An option: its default and the values it takes. */
type Option = { default: number; ok: (v: number) => boolean; range: string } | { default: boolean };

const positive = { ok: (v: number) => v > 0 && Number.isFinite(v), range: 'a number > 0' };
const unit = { ok: (v: number) => v >= 0 && v < 1, range: 'in [0, 1)' };
const nonNegative = { ok: (v: number) => v >= 0 && Number.isFinite(v), range: 'a number >= 0' };

/** One optimizer: options (PyTorch's defaults), state buffer names, the update of step t (1, 2, ...). */
interface OptimizerKind {
  readonly options: Readonly<Record<string, Option>>;
  /** A rule between options; returns what is wrong, or null. */
  readonly rule?: (c: ResolvedOptimizer) => string | null;
  readonly state: (c: ResolvedOptimizer) => string[];
  readonly update: (be: Backend, c: ResolvedOptimizer, p: Buf, g: Buf, s: Record<string, Buf>, lr: number, t: number) => void;
}

/** The optimizers by type. */
const OPTIMIZERS: Readonly<Record<OptimizerConfig['type'], OptimizerKind>> = {
  sgd: {
    options: { lr: { default: 0.01, ...positive }, momentum: { default: 0, ...unit }, nesterov: { default: false }, weightDecay: { default: 0, ...nonNegative } },
    rule: (c) => (c.nesterov && c.momentum === 0 ? 'nesterov needs momentum > 0' : null),
    state: (c) => (c.momentum as number > 0 ? ['velocity'] : []),
    update: (be, c, p, g, s, lr) => c.momentum as number > 0
      ? be.sgd_momentum_f32(p, s.velocity, g, lr, c.momentum as number, c.weightDecay, c.nesterov as boolean)
      : be.sgd_f32(p, g, lr, c.weightDecay),
  },
  adam: adamKind(0),
  adamw: adamKind(0.01),
  rmsprop: {
    options: {
      lr: { default: 0.01, ...positive }, alpha: { default: 0.99, ...unit }, eps: { default: 1e-8, ...positive },
      weightDecay: { default: 0, ...nonNegative }, momentum: { default: 0, ...unit }, centered: { default: false },
    },
    state: (c) => ['square_avg', ...(c.momentum as number > 0 ? ['momentum_buffer'] : []), ...(c.centered ? ['grad_avg'] : [])],
    update: (be, c, p, g, s, lr) => be.run('rmsprop_f32', [p, s.square_avg, s.momentum_buffer ?? null, s.grad_avg ?? null, g, p.len,
      lr, c.alpha as number, c.eps as number, c.weightDecay, c.momentum as number, c.centered ? 1 : 0]),
  },
};

function adamKind(weightDecay: number): OptimizerKind {
  return {
    options: {
      lr: { default: 1e-3, ...positive }, beta1: { default: 0.9, ...unit }, beta2: { default: 0.999, ...unit },
      eps: { default: 1e-8, ...positive }, weightDecay: { default: weightDecay, ...nonNegative },
    },
    state: () => ['m', 'v'],
    update: (be, c, p, g, s, lr, t) => be.adam_f32(p, s.m, s.v, g, t, lr, c.beta1 as number, c.beta2 as number, c.eps as number,
      c.weightDecay, c.type === 'adamw'),
  };
}

const TYPES = Object.keys(OPTIMIZERS) as OptimizerConfig['type'][];

/** Validates an optimizer config and fills in PyTorch's defaults. */
export function resolveOptimizer(config: unknown): ResolvedOptimizer {
  if (typeof config !== 'object' || config === null) {
    throw new WavaeError('INVALID_OPTION', `optimizer must be an object like { type: 'adam', lr: 1e-3 }, got ${describe(config)}`);
  }
  const c = config as Record<string, unknown>;
  const type = c.type as OptimizerConfig['type'];
  if (!TYPES.includes(type)) {
    throw new WavaeError('INVALID_OPTION', `optimizer.type must be ${TYPES.slice(0, -1).map((t) => `'${t}'`).join(', ')} or '${TYPES[TYPES.length - 1]}', got ${describe(type)}`);
  }
  const kind = OPTIMIZERS[type];
  checkKeys(`optimizer (${type})`, c, ['type', ...Object.keys(kind.options)]);
  const r: Record<string, number | boolean | string> = { type };
  for (const [key, option] of Object.entries(kind.options)) {
    const v = orDefault(c[key], option.default);
    if ('ok' in option ? typeof v !== 'number' || !option.ok(v) : typeof v !== 'boolean') {
      throw new WavaeError('INVALID_OPTION', `optimizer.${key} must be ${'ok' in option ? option.range : 'a boolean'}, got ${describe(v)}`);
    }
    r[key] = v as number | boolean;
  }
  const resolved = r as ResolvedOptimizer;
  const wrong = kind.rule?.(resolved);
  if (wrong) throw new WavaeError('INVALID_OPTION', `optimizer: ${wrong}`);
  return resolved;
}

/** The user-level config of a resolved one (round-trips through resolveOptimizer; saved in model files). */
export function optimizerConfigOf(c: ResolvedOptimizer): OptimizerConfig {
  return { ...c } as OptimizerConfig;
}

/** Names of the optimizer's state buffers (saved in model files to resume training). */
export function optimizerStateNames(c: ResolvedOptimizer): string[] {
  return OPTIMIZERS[c.type].state(c);
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
    this.step++;
    OPTIMIZERS[this.config.type].update(this.be, this.config, this.params, this.grads, this.state, lr, this.step);
  }

  free(): void {
    for (const buf of Object.values(this.state)) this.be.free(buf);
  }
}
