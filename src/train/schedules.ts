// Learning-rate schedules as pure functions of the step: constant, step decay, exponential
// decay, cosine annealing, each optionally after a linear warm-up.
import { WavaeError, checkKeys, describe } from '../errors.js';

/** A learning-rate schedule; epochs may be fractional (step / stepsPerEpoch). */
export type ScheduleConfig =
  | {
    /** The optimizer's lr throughout (after any warm-up). */
    type: 'constant';
    /**
     * A whole number of optimizer steps (batches, counted from the model's first epoch, across
     * fit() calls) over which the rate ramps up linearly: lr * (step + 1) / warmupSteps. Default 0.
     */
    warmupSteps?: number;
  }
  | {
    /** Step decay: lr * gamma^floor(epoch / stepSize), epoch: the whole epochs the model trained before the step. */
    type: 'step';
    /** Epochs (> 0) between decays. */
    stepSize: number;
    /** Factor in (0, 1] applied at each decay. Default 0.1. */
    gamma?: number;
    /**
     * A whole number of optimizer steps (batches, counted from the model's first epoch, across
     * fit() calls) over which the rate ramps up linearly: lr * (step + 1) / warmupSteps. Default 0.
     */
    warmupSteps?: number;
  }
  | {
    /** Exponential decay: lr * gamma^epoch, epoch: the whole epochs the model trained before the step. */
    type: 'exponential';
    /** Factor in (0, 1] applied per epoch (required). */
    gamma: number;
    /**
     * A whole number of optimizer steps (batches, counted from the model's first epoch, across
     * fit() calls) over which the rate ramps up linearly: lr * (step + 1) / warmupSteps. Default 0.
     */
    warmupSteps?: number;
  }
  | {
    /**
     * Cosine annealing from lr to minLr over the steps after warm-up up to the end of this fit()
     * call (steps counted from the model's first epoch).
     */
    type: 'cosine';
    /** The rate (>= 0) at the end of the run. Default 0. */
    minLr?: number;
    /**
     * A whole number of optimizer steps (batches, counted from the model's first epoch, across
     * fit() calls) over which the rate ramps up linearly: lr * (step + 1) / warmupSteps. Default 0.
     */
    warmupSteps?: number;
  };

const KEYS: Record<string, string[]> = {
  constant: ['type', 'warmupSteps'],
  step: ['type', 'stepSize', 'gamma', 'warmupSteps'],
  exponential: ['type', 'gamma', 'warmupSteps'],
  cosine: ['type', 'minLr', 'warmupSteps'],
};

/** Validates a schedule config. */
export function checkSchedule(s: unknown): ScheduleConfig {
  if (s === undefined) return { type: 'constant' };
  const type = typeof s === 'object' && s !== null ? (s as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || !Object.hasOwn(KEYS, type)) { // own keys only: not 'toString'
    throw new WavaeError('INVALID_OPTION', `schedule must be { type: 'constant' | 'step' | 'exponential' | 'cosine', ... }, got ${describe(s)}`);
  }
  const c = s as Record<string, unknown>;
  checkKeys(`schedule (${String(c.type)})`, c, KEYS[c.type as string]);
  const positive = (key: string, integer = false): void => {
    const v = c[key];
    if (v !== undefined && (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v)))) {
      throw new WavaeError('INVALID_OPTION', `schedule.${key} must be a ${integer ? 'whole' : ''} number >= 0, got ${describe(v)}`);
    }
  };
  positive('warmupSteps', true);
  positive('minLr');
  if (c.type === 'step' && (typeof c.stepSize !== 'number' || !(c.stepSize > 0))) {
    throw new WavaeError('INVALID_OPTION', `schedule.stepSize must be a number of epochs > 0, got ${describe(c.stepSize)}`);
  }
  if ((c.type === 'step' || c.type === 'exponential') && c.gamma !== undefined && (typeof c.gamma !== 'number' || !(c.gamma > 0 && c.gamma <= 1))) {
    throw new WavaeError('INVALID_OPTION', `schedule.gamma must be in (0, 1], got ${describe(c.gamma)}`);
  }
  if (c.type === 'exponential' && c.gamma === undefined) throw new WavaeError('INVALID_OPTION', 'schedule.gamma is required for exponential decay');
  return s as ScheduleConfig;
}

/** The learning rate at `step` (0-based) of `totalSteps`, with `stepsPerEpoch` steps per epoch. */
export function learningRate(base: number, s: ScheduleConfig, step: number, stepsPerEpoch: number, totalSteps: number): number {
  const warm = s.warmupSteps ?? 0;
  if (step < warm) return (base * (step + 1)) / warm;
  const epoch = Math.floor(step / stepsPerEpoch);
  switch (s.type) {
    case 'step':
      return base * (s.gamma ?? 0.1) ** Math.floor(epoch / s.stepSize);
    case 'exponential':
      return base * s.gamma ** epoch;
    case 'cosine': {
      const minLr = s.minLr ?? 0;
      const span = Math.max(1, totalSteps - warm);
      const progress = Math.min(1, (step - warm) / span);
      return minLr + 0.5 * (base - minLr) * (1 + Math.cos(Math.PI * progress));
    }
    default:
      return base;
  }
}
