// Model: what the Autoencoder and the VAE share. Parameters and gradients in one flat buffer
// each (ParamStore) laid out from the architecture's layers, a per-batch-size buffer plan, the
// optimizer kept across fit() calls so that training resumes exactly, parameters() /
// setParameters(), fit(), save() and dispose(). A model is Trainable (train/trainable.ts).
import { getBackend, type Act, type Backend, type Buf } from '../backend/index.js';
import { checkCondition } from '../condition.js';
import { WavaeError, checkBool, checkKeys, describe } from '../errors.js';
import { firstNonFinite, matrix, type Matrix } from '../matrix.js';
import type { Shape } from '../nn/layer.js';
import type { Rows } from '../nn/rows.js';
import { ParamLayout, ParamStore } from '../nn/params.js';
import { stackInit, stackTensors } from '../nn/stack.js';
import { Rng } from '../random.js';
import { encodeModelFile, type SaveOptions } from '../io/model-file.js';
import { interpolateCodes, traverseCodes } from './latent.js';
import { fit, type FitOptions, type History } from '../train/fit.js';
import { optimizerConfigOf, type Optimizer } from '../train/optimizers.js';
import type { EvalResult, StepLosses, Trainable } from '../train/trainable.js';
import type { Architecture } from './architecture.js';
import { checkOnnxOptions, writeOnnx, type OnnxOptions, type OnnxSource } from './onnx-export.js';
import { calibrationQuantile, calibrationText, quantileOf, scoreSettings, type AnomalyResult, type CalibrateOptions, type Calibration, type ScoreOptions } from './scores.js';

export type { EvalResult, StepLosses } from '../train/trainable.js';

/** The most values one inference call returns (1 GiB of float32): larger results are asked for in parts. */
export const MAX_RESULT_VALUES = 2 ** 28;

/** The most importance samples logLikelihood() draws per row. */
export const MAX_IW_SAMPLES = 1_000_000;

/**
 * OUT_OF_MEMORY, before any work, when `count` rows of `cols` values (`what`, asked for by
 * `option`) exceed MAX_RESULT_VALUES.
 */
export function checkResultSize(where: string, option: string, count: number, cols: number): void {
  if (count * cols <= MAX_RESULT_VALUES) return;
  throw new WavaeError('OUT_OF_MEMORY', `${where}: ${option} = ${count} rows of ${cols} values would be ${((count * cols * 4) / 2 ** 30).toFixed(1)} GiB; ` +
    `one call returns at most ${MAX_RESULT_VALUES} values (1 GiB): at most ${Math.floor(MAX_RESULT_VALUES / cols)} rows here, ask for more in parts`);
}

/**
 * NON_FINITE_OUTPUT when values (rows of `cols`, the first being row `first` of the call) hold a
 * NaN or an infinity: the inputs were finite (checked on the way in), so a value overflowed
 * float32 inside the model. One pass over the outputs.
 */
export function checkOutputs(where: string, values: Float32Array, cols: number, first = 0): void {
  const bad = firstNonFinite(values);
  if (bad < 0) return;
  const row = Math.floor(bad / cols);
  throw new WavaeError('NON_FINITE_OUTPUT', `${where}: row ${first + row} gives ${values[bad]} at column ${bad - row * cols}: ` +
    'a value overflowed float32 inside the model (inputs far outside the scale it was trained on?)');
}

/**
 * The loss and gradients of gradients(), after NON_FINITE_OUTPUT when the loss or a gradient is
 * not finite (naming the tensor): the inputs were finite, so a value overflowed float32 inside.
 */
export function checkGradients(loss: number, grads: Record<string, Float32Array>): Record<string, Float32Array> {
  const why = 'a value overflowed float32 inside the model (inputs far outside the scale it was trained on?)';
  if (!Number.isFinite(loss)) throw new WavaeError('NON_FINITE_OUTPUT', `gradients: the loss is ${loss}: ${why}`);
  for (const [name, g] of Object.entries(grads)) {
    const bad = firstNonFinite(g);
    if (bad >= 0) throw new WavaeError('NON_FINITE_OUTPUT', `gradients: ${name} has ${g[bad]} at index ${bad}: ${why}`);
  }
  return grads;
}

/**
 * The most parameters a model has (2^26: with their gradients and Adam's two moments, 1 GiB of
 * float32, a quarter of WebAssembly's 4 GiB memory). A larger architecture is OUT_OF_MEMORY
 * before anything is allocated.
 */
export const MAX_PARAMETERS = 2 ** 26;

/** The scores, after NON_FINITE_OUTPUT for the first that is not finite (naming its row). */
export function checkScores(scores: Float64Array): Float64Array {
  const bad = scores.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new WavaeError('NON_FINITE_OUTPUT', `score: row ${bad} gives ${scores[bad]}: a value overflowed float32 inside the model (inputs far outside the scale it was trained on?)`);
  }
  return scores;
}

/** Floats a plan would allocate (with alignment), measured by building it on a counting stub. */
function measurePlan(create: (be: Backend) => unknown): number {
  let floats = 0;
  const stub = {
    alloc: (len: number) => {
      floats += Math.max(16, Math.ceil(len / 16) * 16);
      return { off: 0, len };
    },
    view: (buf: Buf, start: number, len: number) => ({ off: buf.off + start, len }),
    fill_f32: () => undefined,
    free: () => undefined,
  };
  create(stub as unknown as Backend);
  return floats;
}

/** What every model's buffer plan holds besides its own buffers: the condition rows (B, conditionDim) of a conditional model. */
export interface ModelPlan {
  readonly cond: Rows | null;
  free(): void;
}

/** The options of a model call that takes a condition (conditional models need it, others refuse it). */
export interface ConditionOption {
  /** Condition rows (n x conditionDim), one per row of the call: wv.oneHot(labels, k) for class labels. */
  condition?: Matrix | Float32Array;
}

/** Heap memory a model owns; freed by dispose() or, failing that, when the model is collected. */
interface Owned {
  store: ParamStore;
  plan: ModelPlan | null;
  optimizer: Optimizer | null;
}

function freeOwned(owned: Owned): void {
  owned.plan?.free();
  owned.optimizer?.free();
  owned.store.free();
  owned.plan = null;
  owned.optimizer = null;
}

const registry = new FinalizationRegistry<Owned>(freeOwned);

/** The base of Autoencoder and VAE. */
export abstract class Model implements Trainable {
  /** The kind of the model registry (models/registry.ts), saved in model files. */
  abstract readonly kind: string;
  /** @internal */
  readonly be: Backend;
  /** @internal */
  readonly layout: ParamLayout;
  /** @internal */
  readonly store: ParamStore;
  /** Epochs trained so far (continues across fit() calls and model files). */
  epochsTrained = 0;
  /** @internal */
  protected capacity = 0;
  private disposed = false;
  private training = false;
  private readonly owned: Owned;
  private decayViews: { w: Buf; dw: Buf } | null = null;
  private readonly stepLosses: StepLosses = { loss: 0, reconstruction: 0, kl: 0, objective: 0 };

  /** The shape of one input row: [inputDim], or [C, H, W] (rows stay flat vectors of C*H*W values). */
  readonly inputShape: Shape;
  readonly inputDim: number;
  /** The dense shorthand the model was built from, or null for layer specs (see config()). */
  readonly hiddenDims: number[] | null;
  /** The width of the latent code: an autoencoder's code layer, a VAE's z (and its mean and log-variance). */
  readonly latentDim: number;
  /** The width of the condition of a conditional model (q(z|x,c), p(x|z,c)); 0 for none. */
  readonly conditionDim: number;
  /** The hidden layers' activation (where a layer spec names none); code, latent heads and output layers are linear. */
  readonly activation: Act;
  /** The model's L2 penalty 0.5 weightDecay ||W||^2 on the weights (not biases), added to the training objective; 0 for none. */
  readonly weightDecay: number;
  readonly seed: number;

  /** The anomaly threshold calibrate() computed (or the model file carried), or null. */
  calibration: Calibration | null = null;

  /** The model file format version that describes this architecture. */
  private readonly formatVersion: number;
  /** The resolved layers and options (config() writes them back out). @internal */
  protected readonly architecture: Architecture;

  protected constructor(arch: Architecture) {
    this.architecture = arch;
    this.inputShape = arch.inputShape;
    this.formatVersion = arch.formatVersion;
    this.inputDim = arch.inputDim;
    this.hiddenDims = arch.hiddenDims;
    this.latentDim = arch.latentDim;
    this.conditionDim = arch.conditionDim;
    this.activation = arch.activation;
    this.weightDecay = arch.weightDecay;
    this.seed = arch.seed;
    this.be = getBackend();
    this.layout = new ParamLayout([...stackTensors(arch.layers), ...arch.extra]);
    if (this.layout.size > MAX_PARAMETERS) {
      throw new WavaeError('OUT_OF_MEMORY', `the architecture has ${this.layout.size} parameters, more than the ${MAX_PARAMETERS} a wavae model holds ` +
        `(parameters, gradients and optimizer state: ${(this.layout.size * 16 / 2 ** 30).toFixed(1)} GiB)`);
    }
    this.store = new ParamStore(this.be, this.layout);
    const values = new Float32Array(this.layout.size);
    stackInit(values, this.layout, arch.layers, new Rng(arch.seed));
    this.store.restore(values);
    this.owned = { store: this.store, plan: null, optimizer: null };
    registry.register(this, this.owned, this);
    if (this.layout.decaySize > 0) {
      this.decayViews = {
        w: this.be.view(this.store.params, 0, this.layout.decaySize),
        dw: this.be.view(this.store.grads, 0, this.layout.decaySize),
      };
    }
  }

  /** The optimizer, kept across fit() calls so that training resumes exactly. @internal */
  get optimizer(): Optimizer | null {
    return this.owned.optimizer;
  }

  /** @internal */
  set optimizer(opt: Optimizer | null) {
    if (this.owned.optimizer && this.owned.optimizer !== opt) this.owned.optimizer.free();
    this.owned.optimizer = opt;
  }

  /** The current buffer plan (set by ensurePlan / replan). @internal */
  protected get plan(): ModelPlan | null {
    return this.owned.plan;
  }

  /** The plan's condition rows [0, n), or null for a model without condition. @internal */
  protected cond(n: number): Buf | null {
    const c = this.owned.plan?.cond;
    return c ? c.rows(n) : null;
  }

  /** The checked condition of a call on `rows` rows of `against`; null for a model without condition (which refuses one). @internal */
  protected conditionOf(where: string, options: unknown, rows: number, per = 'row of x'): Matrix | null {
    const condition = typeof options === 'object' && options !== null ? (options as ConditionOption).condition : undefined;
    return checkCondition(where, this.conditionDim, condition, rows, per);
  }

  /** The options this model was built with (saved in model files). */
  abstract config(): Record<string, unknown>;
  /** Allocates the buffers for batches of up to `capacity` rows on be. @internal */
  protected abstract createPlan(capacity: number, be: Backend): ModelPlan;
  /** Writes rows idx[start..start+n) of src into the training input (corrupting it if asked). @internal */
  protected abstract loadInputs(src: Float32Array, idx: Uint32Array, start: number, n: number, rng: Rng): void;
  /** Forward and backward on the loaded batch; gradients land in store.grads. @internal */
  abstract trainStep(n: number, rng: Rng, epochProgress: number): StepLosses;
  /** Mean losses per sample over x. */
  abstract evaluate(x: Matrix | Float32Array, options?: ConditionOption): EvalResult;
  /** Latent codes of x (n, latentDim): a VAE's posterior means, an autoencoder's codes. */
  abstract codes(x: Matrix | Float32Array, options?: ConditionOption): Matrix;
  /** Outputs for latent codes z (n, latentDim): decoder means (probabilities for Bernoulli / BCE). */
  abstract decode(z: Matrix | Float32Array, options?: ConditionOption): Matrix;
  /** decode(codes(x)). */
  abstract reconstruct(x: Matrix | Float32Array, options?: ConditionOption): Matrix;

  /**
   * Writes rows idx[start..start+n) of src into the training input, and of cond (the training
   * condition, n x conditionDim) into the condition rows of a conditional model.
   * @internal
   */
  loadBatch(src: Float32Array, idx: Uint32Array, start: number, n: number, rng: Rng, cond: Float32Array | null = null): void {
    this.loadInputs(src, idx, start, n, rng);
    const rows = this.owned.plan?.cond;
    if (!rows) return;
    if (!cond) throw new WavaeError('INVALID_OPTION', `loadBatch: this ${this.kind} is conditional and needs the condition rows`);
    this.be.gatherRows(rows.rows(n), cond, idx, start, n, this.conditionDim);
  }

  /** Makes sure a plan for batches of at least `capacity` rows exists. @internal */
  ensurePlan(capacity: number): void {
    this.checkLive();
    if (this.capacity >= capacity) return;
    this.setPlan(capacity);
  }

  /** Replaces the plan with one of exactly `capacity` rows (training uses its batch size). @internal */
  replan(capacity: number): void {
    this.checkLive();
    if (this.capacity === capacity) return;
    this.setPlan(capacity);
  }

  /** Swaps in a plan of `capacity` rows; fails with OUT_OF_MEMORY before changing anything. */
  private setPlan(capacity: number): void {
    const floats = measurePlan((be) => this.createPlan(capacity, be));
    if (!this.be.reserve(floats)) {
      throw new WavaeError('OUT_OF_MEMORY', `a batch of ${capacity} rows needs ${(floats * 4 / 2 ** 20).toFixed(0)} MiB of buffers, ` +
        'more than the heap can grow to (WebAssembly memory is limited to 4 GiB): use a smaller batch size');
    }
    this.owned.plan?.free();
    this.owned.plan = null;
    this.capacity = 0;
    this.owned.plan = this.createPlan(capacity, this.be);
    this.capacity = capacity;
  }

  /** Rows per inference chunk: the plan's capacity, at least 256. @internal */
  protected inferencePlan(rows: number): number {
    this.ensurePlan(Math.min(Math.max(rows, 1), Math.max(this.capacity, 256)));
    return this.capacity;
  }

  /**
   * Walks x in chunks of the plan's capacity: each chunk's rows are written to input(n), and
   * those of cond (the call's condition, when the model has one) to the condition rows, then
   * fn(start, n) runs on them.
   * @internal
   */
  protected forEachChunk(x: Matrix, input: (n: number) => Buf, fn: (start: number, n: number) => void, cond: Matrix | null = null): void {
    const B = this.inferencePlan(x.rows);
    for (let start = 0; start < x.rows; start += B) {
      const n = Math.min(B, x.rows - start);
      this.be.write(input(n), x.data.subarray(start * x.cols, (start + n) * x.cols));
      if (cond) this.be.write(this.cond(n) as Buf, cond.data.subarray(start * cond.cols, (start + n) * cond.cols));
      fn(start, n);
    }
  }

  /**
   * forEachChunk where run(n) returns the view holding the chunk's outputs (n, outCols), which
   * are gathered into one Matrix.
   * @internal
   */
  protected mapRows(where: string, x: Matrix, outCols: number, input: (n: number) => Buf, run: (n: number) => Buf, cond: Matrix | null = null): Matrix {
    checkResultSize(where, 'rows', x.rows, outCols);
    const out = new Float32Array(x.rows * outCols);
    this.forEachChunk(x, input, (start, n) => out.set(this.be.read(run(n)), start * outCols), cond);
    checkOutputs(where, out, outCols);
    return matrix(x.rows, outCols, out);
  }

  /**
   * NON_FINITE_OUTPUT when a chunk's summed loss (rows [start, start + n) of the call) is not
   * finite, naming the first row whose per-row losses (rowLosses: the chunk's n values each) are not.
   * @internal
   */
  protected checkChunkLoss(where: string, total: number, rowLosses: readonly Buf[], start: number, n: number): void {
    if (Number.isFinite(total)) return;
    for (const rows of rowLosses) checkOutputs(`${where}: the loss of`, this.be.read(rows), 1, start);
    throw new WavaeError('NON_FINITE_OUTPUT', `${where}: the loss of rows ${start}-${start + n - 1} is ${total}: a value overflowed float32 inside the model`);
  }

  /** Copies of every parameter tensor by name (PyTorch names and layouts). */
  parameters(): Record<string, Float32Array> {
    this.checkLive();
    return this.store.read('params');
  }

  /** Replaces parameters by name; every tensor must be given with its exact size. */
  setParameters(values: Record<string, Float32Array>): void {
    this.checkLive();
    const flat = new Float32Array(this.layout.size);
    for (const t of this.layout.tensors) {
      const v = values[t.name];
      if (!(v instanceof Float32Array)) throw new WavaeError('INVALID_OPTION', `setParameters: missing tensor '${t.name}'`);
      if (v.length !== t.size) throw new WavaeError('SHAPE_MISMATCH', `setParameters: '${t.name}' has ${v.length} values, expected ${t.size} (shape [${t.shape.join(', ')}])`);
      for (let i = 0; i < v.length; i++) {
        if (!Number.isFinite(v[i])) throw new WavaeError('NON_FINITE_INPUT', `setParameters: '${t.name}'[${i}] is ${v[i]}`);
      }
      flat.set(v, t.offset);
    }
    for (const name of Object.keys(values)) {
      if (!this.layout.has(name)) throw new WavaeError('INVALID_OPTION', `setParameters: unknown tensor '${name}'`);
    }
    this.store.restore(flat);
  }

  /** Decoded points on the straight line from code a to code b (steps >= 2 points; a conditional model's under steps condition rows). */
  interpolate(a: ArrayLike<number>, b: ArrayLike<number>, steps: number, options: ConditionOption = {}): Matrix {
    if (Number.isInteger(steps)) checkResultSize('interpolate', 'steps', steps, this.inputDim);
    return this.decode(interpolateCodes(a, b, steps, this.latentDim), options);
  }

  /** Decoded codes equal to `base` but for dimension `dim`, which goes over [-range, range] in `steps` points (default 9 and 3). */
  traverse(base: ArrayLike<number>, dim: number, options: { steps?: number; range?: number } & ConditionOption = {}): Matrix {
    if (Number.isInteger(options.steps)) checkResultSize('traverse', 'steps', options.steps as number, this.inputDim);
    return this.decode(traverseCodes(base, dim, options.steps ?? 9, options.range ?? 3, this.latentDim), options);
  }

  /** Number of trainable parameters. */
  /** One anomaly score per row (higher: less like the training data); see ScoreOptions. */
  abstract score(x: Matrix | Float32Array, options?: ScoreOptions): Float64Array;

  /**
   * Scores normal data and keeps the `quantile` of its scores (0.99 by default) as the model's
   * anomaly threshold, with the method and draws it was computed with; save() writes it into
   * the file (metadata "calibration"), load() reads it back.
   */
  calibrate(normal: Matrix | Float32Array, options: CalibrateOptions = {}): Calibration {
    const o = (typeof options === 'object' && options !== null ? options : {}) as CalibrateOptions;
    const { quantile: q, ...scoreOptions } = o;
    const quantile = calibrationQuantile('calibrate', q);
    const settings = scoreSettings('calibrate', options, this.kind === 'vae', this.seed, MAX_IW_SAMPLES, ['quantile']);
    const scores = this.score(normal, scoreOptions);
    this.calibration = {
      threshold: quantileOf(scores, quantile), quantile, method: settings.method,
      samples: settings.method === 'iw' ? settings.samples : null, rows: scores.length,
    };
    return { ...this.calibration };
  }

  /** Scores x as calibrate() did and holds the scores to the threshold: anomaly[i] is scores[i] > threshold. */
  isAnomaly(x: Matrix | Float32Array, options: { condition?: Matrix | Float32Array } = {}): AnomalyResult {
    const c = this.calibration;
    if (!c) throw new WavaeError('INVALID_OPTION', 'isAnomaly: the model has no threshold: call calibrate(normalData) first (or load a file saved after it)');
    if (typeof options !== 'object' || options === null) throw new WavaeError('INVALID_OPTION', 'isAnomaly: options must be an object');
    checkKeys('isAnomaly', options, ['condition']);
    const scores = this.score(x, { method: c.method, ...(c.samples !== null ? { samples: c.samples } : {}), ...options });
    return { scores, threshold: c.threshold, anomaly: Array.from(scores, (v) => v > c.threshold) };
  }

  /** Number of trainable parameters. */
  get parameterCount(): number {
    return this.layout.size;
  }

  /** Trains on x; see FitOptions. Returns the per-epoch history. */
  async fit(x: Matrix | Float32Array, options: FitOptions = {}): Promise<History> {
    this.checkLive();
    if (this.training) throw new WavaeError('BUSY', `this ${this.kind} is already training; await the running fit() first`);
    this.training = true;
    try {
      return await fit(this, x, options);
    } finally {
      this.training = false;
    }
  }

  /** The model as safetensors bytes (PyTorch names and layouts); see SaveOptions. */
  save(options: SaveOptions = {}): Uint8Array<ArrayBuffer> {
    this.checkLive();
    const values = this.parameters();
    const tensors = Object.fromEntries(this.layout.tensors.map((t) => [t.name, { shape: [...t.shape], data: values[t.name] }]));
    if (typeof options !== 'object' || options === null) throw new WavaeError('INVALID_OPTION', `save: options must be an object, got ${describe(options)}`);
    checkKeys('save', options, ['optimizer', 'metadata']);
    const opt = this.optimizer;
    const optimizer = checkBool('save: optimizer', options.optimizer, false) && opt
      ? { config: optimizerConfigOf(opt.config), step: opt.step, state: Object.fromEntries(Object.entries(opt.state).map(([name, buf]) => [name, this.be.read(buf)])) }
      : null;
    const metadata = this.calibration ? { ...options.metadata, calibration: calibrationText(this.calibration) } : options.metadata;
    return encodeModelFile({ kind: this.kind, formatVersion: this.formatVersion, config: this.config(), tensors, epochsTrained: this.epochsTrained, optimizer }, metadata);
  }

  /**
   * The ONNX file (opset 17, float32 weights as initializers) of the encoder or the decoder, as
   * bytes: the same computation as encode() / decode() on flat rows with a symbolic batch size.
   * Encoder: input `x` [N, inputDim] (and `c` [N, conditionDim] for a conditional model), outputs
   * `mean` and `logvar` (VAE) or `code` (Autoencoder). Decoder: input `z` [N, latentDim] (and `c`),
   * output `x_mean` (probabilities for Bernoulli / BCE). Node only (the writer uses protobufjs,
   * which the browser build leaves out: MISSING_DEPENDENCY there).
   */
  toOnnx(options: OnnxOptions): Uint8Array {
    this.checkLive();
    return writeOnnx(this.onnxSource(), checkOnnxOptions(options));
  }

  /** What the ONNX graph of the model needs. @internal */
  protected abstract onnxSource(): OnnxSource;

  /** Frees the model's memory in the backend heap; the model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    if (this.training) throw new WavaeError('BUSY', `this ${this.kind} is training; stop it (AbortSignal) before dispose()`);
    freeOwned(this.owned);
    this.capacity = 0;
    registry.unregister(this);
    this.disposed = true;
  }

  /** @internal */
  protected checkLive(): void {
    if (this.disposed) throw new WavaeError('INVALID_OPTION', `this ${this.kind} was disposed`);
  }

  /** Fills the model's one StepLosses object (a step allocates nothing); valid until the next step. @internal */
  protected report(loss: number, reconstruction: number, kl: number, objective: number): StepLosses {
    const r = this.stepLosses;
    r.loss = loss;
    r.reconstruction = reconstruction;
    r.kl = kl;
    r.objective = objective;
    return r;
  }

  /** The L2 term 0.5 wd sum(W^2) over the weights, adding wd W to their gradients. @internal */
  protected weightDecayTerm(): number {
    if (this.weightDecay === 0 || !this.decayViews) return 0;
    const { w, dw } = this.decayViews;
    const sq = this.be.sumsq_f32(w);
    this.be.axpy_f32(dw, this.weightDecay, w);
    return 0.5 * this.weightDecay * sq;
  }
}
