// fit(): the training loop of anything Trainable (trainable.ts: the Autoencoder and the VAE). Seeded shuffling per epoch, batches
// assembled in the planned input buffer (the last partial batch trains too), learning-rate
// schedule, gradient clipping by global norm, validation, callbacks, early stopping with
// restore-best, AbortSignal, and a history. A step allocates nothing in the heap; a non-finite
// loss or gradient stops training with DIVERGED before the update, so the parameters stay the
// last finite ones.
import { WavaeError, checkBool, checkKeys, checkInt, describe, orDefault } from '../errors.js';
import { checkCondition } from '../condition.js';
import { asMatrix, type Matrix } from '../matrix.js';
import type { EvalResult, Trainable } from './trainable.js';
import { Rng, deriveSeed } from '../random.js';
import { Optimizer, resolveOptimizer, type OptimizerConfig } from './optimizers.js';
import { checkSchedule, learningRate, type ScheduleConfig } from './schedules.js';

/** What onBatchEnd and onEpochEnd receive: mean nats per sample. */
export interface Logs {
  /**
   * The batch's (onBatchEnd) or the epoch's (onEpochEnd) mean loss per sample: a VAE's -ELBO
   * (reconstruction + KL, unweighted by beta), an autoencoder's reconstruction loss; without the L2 term.
   */
  loss: number;
  /** Mean reconstruction loss per sample: nats for a VAE and a 'bce' autoencoder, the sum of squared errors for 'mse'. */
  reconstruction: number;
  /** Mean KL(q(z|x) || N(0, I)) per sample in nats, before beta; 0 for an autoencoder. */
  kl: number;
  /** The learning rate of the batch's update; for an epoch, that of its last batch. */
  lr: number;
  /** Training samples per second since the epoch began (validation excluded). */
  samplesPerSec: number;
  /** onEpochEnd with validationData: the mean loss per sample over it (see EvalResult). */
  valLoss?: number;
  /** onEpochEnd with validationData: the mean reconstruction loss per sample over it. */
  valReconstruction?: number;
  /** onEpochEnd with validationData: the mean KL per sample over it (0 for an autoencoder). */
  valKl?: number;
}

/** Options of fit(). */
export interface FitOptions {
  /** Default 10. */
  epochs?: number;
  /** Default 128. */
  batchSize?: number;
  /** Default { type: 'adam', lr: 1e-3 }. */
  optimizer?: OptimizerConfig;
  /** Default constant. */
  schedule?: ScheduleConfig;
  /** Clip the gradient to this global L2 norm. Default: no clipping. */
  clipNorm?: number;
  /** Shuffle every epoch (seeded). Default true. */
  shuffle?: boolean;
  /** Seed of shuffling and sampling; default: the model's seed. */
  seed?: number;
  /** A conditional model's condition rows for x (n x conditionDim): wv.oneHot(labels, k) for class labels. */
  condition?: Matrix | Float32Array;
  /** Evaluated after every epoch (logs.valLoss, ...). */
  validationData?: Matrix | Float32Array;
  /** A conditional model's condition rows for validationData. */
  validationCondition?: Matrix | Float32Array;
  /** After every batch; batch counts from 0 within the epoch. */
  onBatchEnd?: (batch: number, logs: Logs) => void;
  /** After every epoch; epoch counts from 1 and goes on across fit() calls (model.epochsTrained). */
  onEpochEnd?: (epoch: number, logs: Logs) => void;
  /** Stop when the monitored loss (valLoss if validationData, else loss) stops improving. */
  earlyStopping?: {
    /** Epochs in a row without improvement allowed: training stops at the (patience + 1)th. Default 3. */
    patience?: number;
    /** An epoch improves when the monitored loss is below the best so far minus minDelta. Default 0. */
    minDelta?: number;
    /** On an early stop, restore the parameters of bestEpoch. Default true. */
    restoreBest?: boolean;
  };
  /** Stops cleanly after the current batch; the history says 'aborted'. */
  signal?: AbortSignal;
}

/** fit()'s result: one entry per epoch run. */
export interface History {
  /**
   * The epoch numbers, counting from 1 across fit() calls (model.epochsTrained after each); an
   * aborted epoch counts, its entries the means over the batches it ran.
   */
  epoch: number[];
  /** Mean training loss per sample of each epoch (as Logs.loss). */
  loss: number[];
  /** Mean training reconstruction loss per sample of each epoch (as Logs.reconstruction). */
  reconstruction: number[];
  /** Mean training KL per sample of each epoch, in nats (0 for an autoencoder). */
  kl: number[];
  /** The learning rate of each epoch's last batch. */
  lr: number[];
  /** Training samples per second of each epoch. */
  samplesPerSec: number[];
  /** Mean validation loss per sample of each epoch; empty without validationData (an aborted epoch has none). */
  valLoss: number[];
  /** Mean validation reconstruction loss per sample of each epoch, as valLoss. */
  valReconstruction: number[];
  /** Mean validation KL per sample of each epoch, as valLoss. */
  valKl: number[];
  /** How training ended. */
  stopped: 'completed' | 'early' | 'aborted';
  /** With early stopping: the epoch whose parameters the model holds (restoreBest). */
  bestEpoch?: number;
}

/** The most epochs one fit() call runs (a bound, not a budget: an AbortSignal or early stopping ends sooner). */
export const MAX_EPOCHS = 1_000_000;

/** The option names fit() accepts (fitInWorker takes the same). */
export const FIT_OPTION_KEYS = ['epochs', 'batchSize', 'optimizer', 'schedule', 'clipNorm', 'shuffle', 'seed', 'condition', 'validationData', 'validationCondition',
  'onBatchEnd', 'onEpochEnd', 'earlyStopping', 'signal'];

/** Yields to the event loop so that timers, messages and aborts get through. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function sameOptimizer(a: Optimizer | null, config: ReturnType<typeof resolveOptimizer>): boolean {
  return a !== null && JSON.stringify(a.config) === JSON.stringify(config);
}

/** Trains model on x. */
export async function fit(model: Trainable, x: Matrix | Float32Array, options: FitOptions = {}): Promise<History> {
  if (typeof options !== 'object' || options === null) throw new WavaeError('INVALID_OPTION', `fit: options must be an object, got ${describe(options)}`);
  checkKeys('fit', options, FIT_OPTION_KEYS);
  const data = asMatrix('fit: x', x, model.inputDim);
  const epochs = checkInt('fit: epochs', orDefault(options.epochs, 10), 1, MAX_EPOCHS);
  const batchSize = checkInt('fit: batchSize', orDefault(options.batchSize, 128), 1);
  const optConfig = resolveOptimizer(orDefault<unknown>(options.optimizer, { type: 'adam', lr: 1e-3 }));
  const schedule = checkSchedule(options.schedule);
  const clipNorm = options.clipNorm;
  if (clipNorm !== undefined && !(typeof clipNorm === 'number' && clipNorm > 0)) {
    throw new WavaeError('INVALID_OPTION', `fit: clipNorm must be a number > 0, got ${describe(clipNorm)}`);
  }
  const shuffle = checkBool('fit: shuffle', options.shuffle, true);
  const seed = checkInt('fit: seed', orDefault(options.seed, model.seed), 0, 0xffffffff);
  const condition = checkCondition('fit', model.conditionDim, options.condition, data.rows, 'row of x');
  const validation = options.validationData === undefined ? null : asMatrix('fit: validationData', options.validationData, model.inputDim);
  if (!validation && options.validationCondition !== undefined) throw new WavaeError('INVALID_OPTION', 'fit: validationCondition without validationData');
  const validationCondition = validation ? checkCondition('fit', model.conditionDim, options.validationCondition, validation.rows, 'row of validationData', 'validationCondition') : null;
  const early = options.earlyStopping;
  if (early !== undefined) {
    if (typeof early !== 'object' || early === null || Array.isArray(early)) {
      throw new WavaeError('INVALID_OPTION', `fit: earlyStopping must be an object like { patience: 3 }, got ${describe(early)}`);
    }
    checkKeys('fit: earlyStopping', early, ['patience', 'minDelta', 'restoreBest']);
    checkInt('fit: earlyStopping.patience', orDefault(early.patience, 3), 0);
    const minDelta: unknown = early.minDelta;
    if (minDelta !== undefined && !(typeof minDelta === 'number' && Number.isFinite(minDelta) && minDelta >= 0)) {
      throw new WavaeError('INVALID_OPTION', `fit: earlyStopping.minDelta must be a number >= 0, got ${describe(minDelta)}`);
    }
    checkBool('fit: earlyStopping.restoreBest', early.restoreBest, true);
  }
  for (const cb of ['onBatchEnd', 'onEpochEnd'] as const) {
    if (options[cb] !== undefined && typeof options[cb] !== 'function') {
      throw new WavaeError('INVALID_OPTION', `fit: ${cb} must be a function, got ${describe(options[cb])}`);
    }
  }

  const be = model.be;
  model.replan(batchSize);
  if (!sameOptimizer(model.optimizer, optConfig)) {
    model.optimizer = new Optimizer(be, optConfig, model.store.params, model.store.grads);
  }
  const optimizer = model.optimizer as Optimizer;
  const N = data.rows;
  const stepsPerEpoch = Math.ceil(N / batchSize);
  const firstEpoch = model.epochsTrained;
  const totalSteps = (firstEpoch + epochs) * stepsPerEpoch;
  const idx = new Uint32Array(N);
  const history: History = {
    epoch: [], loss: [], reconstruction: [], kl: [], lr: [], samplesPerSec: [],
    valLoss: [], valReconstruction: [], valKl: [], stopped: 'completed',
  };
  const patience = early?.patience ?? 3;
  const minDelta = early?.minDelta ?? 0;
  let best = Infinity;
  let bestParams: Float32Array | null = null;
  let wait = 0;
  let lastYield = performance.now();

  for (let e = firstEpoch; e < firstEpoch + epochs; e++) {
    for (let i = 0; i < N; i++) idx[i] = i;
    if (shuffle) new Rng(deriveSeed(seed, e, 1)).shuffle(idx);
    const rng = new Rng(deriveSeed(seed, e, 2)); // seeds of epoch e: resuming at an epoch boundary is exact
    let sumLoss = 0;
    let sumRecon = 0;
    let sumKl = 0;
    let lr = optConfig.lr;
    const t0 = performance.now();
    let seen = 0;
    for (let b = 0; b < stepsPerEpoch; b++) {
      const start = b * batchSize;
      const n = Math.min(batchSize, N - start);
      model.loadBatch(data.data, idx, start, n, rng, condition ? condition.data : null);
      const step = e * stepsPerEpoch + b;
      const losses = model.trainStep(n, rng, e + b / stepsPerEpoch);
      const gradSq = be.sumsq_f32(model.store.grads);
      if (!Number.isFinite(losses.objective) || !Number.isFinite(gradSq)) {
        throw new WavaeError('DIVERGED', `training diverged at epoch ${e + 1}, batch ${b + 1}: loss ${losses.objective}, gradient norm ${Math.sqrt(gradSq)}; ` +
          'the model keeps its last finite parameters (try a lower learning rate or clipNorm)');
      }
      if (clipNorm !== undefined) {
        const norm = Math.sqrt(gradSq);
        if (norm > clipNorm) be.scale_f32(model.store.grads, clipNorm / norm);
      }
      lr = learningRate(optConfig.lr, schedule, step, stepsPerEpoch, totalSteps);
      optimizer.update(lr);
      sumLoss += losses.loss * n;
      sumRecon += losses.reconstruction * n;
      sumKl += losses.kl * n;
      seen += n;
      if (options.onBatchEnd) {
        const secs = (performance.now() - t0) / 1000;
        options.onBatchEnd(b, { loss: losses.loss, reconstruction: losses.reconstruction, kl: losses.kl, lr, samplesPerSec: seen / secs });
      }
      if (options.signal?.aborted) {
        history.stopped = 'aborted';
        break;
      }
      if (performance.now() - lastYield > 50) {
        await yieldToEventLoop();
        lastYield = performance.now();
        if (options.signal?.aborted) {
          history.stopped = 'aborted';
          break;
        }
      }
    }
    const secs = (performance.now() - t0) / 1000;
    model.epochsTrained = e + 1;
    const logs: Logs = { loss: sumLoss / seen, reconstruction: sumRecon / seen, kl: sumKl / seen, lr, samplesPerSec: seen / secs };
    let val: EvalResult | null = null;
    if (validation && history.stopped !== 'aborted') {
      val = model.evaluate(validation, validationCondition ? { condition: validationCondition } : {});
      logs.valLoss = val.loss;
      logs.valReconstruction = val.reconstruction;
      logs.valKl = val.kl;
    }
    history.epoch.push(e + 1);
    history.loss.push(logs.loss);
    history.reconstruction.push(logs.reconstruction);
    history.kl.push(logs.kl);
    history.lr.push(lr);
    history.samplesPerSec.push(logs.samplesPerSec);
    if (val) {
      history.valLoss.push(val.loss);
      history.valReconstruction.push(val.reconstruction);
      history.valKl.push(val.kl);
    }
    options.onEpochEnd?.(e + 1, logs);
    if (history.stopped === 'aborted') break;
    if (early) {
      const monitored = val ? val.loss : logs.loss;
      if (monitored < best - minDelta) {
        best = monitored;
        wait = 0;
        history.bestEpoch = e + 1;
        if (early.restoreBest ?? true) bestParams = model.store.snapshot();
      } else if (++wait > patience) {
        history.stopped = 'early';
        break;
      }
    }
    await yieldToEventLoop();
    lastYield = performance.now();
  }
  if (history.stopped === 'early' && bestParams) model.store.restore(bestParams);
  return history;
}
