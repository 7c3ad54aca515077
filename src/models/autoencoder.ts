// Autoencoder: a deterministic encoder stack (dense, or convolutions then a flatten) to a linear
// code layer, and a decoder stack back, trained on
// squared error ('mse': summed over dimensions, mean over samples) or Bernoulli cross-entropy
// from logits ('bce'), with an optional L2 penalty on the weights and optional denoising
// (Gaussian noise or masking of the input during training; the target stays clean).
import type { Act, Backend, Buf } from '../backend/index.js';
import { WavaeError, checkKeys, describe, orDefault } from '../errors.js';
import { asMatrix, type Matrix } from '../matrix.js';
import type { LayerSpec, ResolvedLayer } from '../nn/layer.js';
import { Rows } from '../nn/rows.js';
import { Stack, StackPlan, stackOutput } from '../nn/stack.js';
import type { Rng } from '../random.js';
import {
  COMMON_KEYS, architectureConfig, checkCommon, decoderLayers, denseLayersOf, denseOn, encoderLayers, formatVersionOf, headCondition, inferredCondition, type Architecture,
} from './architecture.js';
import type { OnnxSource } from './onnx-export.js';
import { scoreSettings, type ScoreOptions } from './scores.js';
import { Model, checkGradients, checkScores, type ConditionOption, type EvalResult, type ModelPlan, type StepLosses } from './model.js';

/** Input corruption for a denoising autoencoder (training only). */
export type Denoise =
  | {
    /** Adds Gaussian noise to every input value. */
    type: 'gaussian';
    /** The noise's standard deviation (> 0), in the data's units: x + std * N(0, 1). */
    std: number;
  }
  | {
    /** Sets input values to 0 at random (no rescaling of the rest). */
    type: 'mask';
    /** The probability, in [0, 1), that each value is zeroed. */
    prob: number;
  };

/** Options of new Autoencoder(...). */
export interface AutoencoderOptions {
  /** Values per input row; or give inputShape. */
  inputDim?: number;
  /** The shape of one input row: [features] or [channels, height, width] (rows stay flat, NCHW). */
  inputShape?: number[];
  /** The shorthand for dense encoder layers; the decoder mirrors them. Default [256]. */
  hiddenDims?: number[];
  /** The encoder's layers as specs, before the linear code layer (which wavae adds: encoder.{k}). */
  encoder?: LayerSpec[];
  /** The decoder's layers, from the code to the input shape; default: the mirror of a dense encoder. */
  decoder?: LayerSpec[];
  /** Size of the code layer. Default 32. */
  latentDim?: number;
  /**
   * A conditional autoencoder: the width of the condition c every call then takes. It joins the
   * encoder's first dense layer (the code layer when the encoder has none) and the decoder's first layer.
   */
  conditionDim?: number;
  /** 'mse' (sum of squared errors per sample) or 'bce' (data in [0, 1], from logits). Default 'mse'. */
  loss?: 'mse' | 'bce';
  /** Hidden activation; the code and output layers are linear. Default 'relu'. */
  activation?: Act;
  /** L2 penalty 0.5 weightDecay ||W||^2 on the weights, added to the loss. Default 0. */
  weightDecay?: number;
  /** Corrupt the input during training (the target stays clean); evaluate(), score() and gradients() do not. Default: none. */
  denoise?: Denoise;
  /** Default 0. */
  seed?: number;
}

const KEYS = [...COMMON_KEYS, 'loss', 'denoise'];

class AePlan implements ModelPlan {
  readonly x: Rows; // (B, D) encoder input (corrupted when denoising)
  readonly cond: Rows | null; // (B, C) condition rows of a conditional autoencoder
  readonly target: Rows; // (B, D) clean target; the same buffer as x without denoising
  readonly noise: Rows | null; // (B, D) Gaussian noise
  readonly enc: StackPlan;
  readonly dec: StackPlan;
  readonly rowRecon: Rows; // (B, 1)

  constructor(ae: Autoencoder, B: number, be: Backend) {
    this.x = new Rows(be, B, ae.inputDim);
    this.target = ae.denoise ? new Rows(be, B, ae.inputDim) : this.x;
    this.noise = ae.denoise?.type === 'gaussian' ? new Rows(be, B, ae.inputDim) : null;
    this.cond = ae.conditionDim > 0 ? new Rows(be, B, ae.conditionDim) : null;
    this.enc = new StackPlan(be, ae.encoder, B);
    this.dec = new StackPlan(be, ae.decoder, B);
    this.rowRecon = new Rows(be, B, 1);
  }

  free(): void {
    this.x.free();
    if (this.target !== this.x) this.target.free();
    this.noise?.free();
    this.cond?.free();
    this.enc.free();
    this.dec.free();
    this.rowRecon.free();
  }
}

/** A (denoising) autoencoder. */
export class Autoencoder extends Model {
  readonly kind = 'autoencoder' as const;
  /** The reconstruction loss: 'mse' (sum of squared errors per sample) or 'bce' (cross-entropy from logits, in nats). */
  readonly loss: 'mse' | 'bce';
  /** The training-time input corruption, or null for a plain autoencoder. */
  readonly denoise: Denoise | null;
  /** The encoder's layers and the code layer. */
  readonly encoder: Stack;
  /** The decoder's layers (parameters decoder.{k}), from the code to the output: logits for 'bce', values for 'mse'. */
  readonly decoder: Stack;

  constructor(options: AutoencoderOptions) {
    const arch = autoencoderArchitecture(options);
    super(arch);
    const { loss, denoise } = arch;
    this.loss = loss;
    this.denoise = denoise;
    this.encoder = new Stack([...arch.encoder, arch.code], this.store, { dataInput: true });
    this.decoder = new Stack(arch.decoder, this.store);
  }

  config(): Record<string, unknown> {
    return {
      ...architectureConfig(this.architecture), latentDim: this.latentDim, loss: this.loss,
      activation: this.activation, weightDecay: this.weightDecay, ...(this.denoise ? { denoise: this.denoise } : {}), seed: this.seed,
    };
  }

  /** @internal */
  protected onnxSource(): OnnxSource {
    return {
      kind: this.kind, inputShape: this.inputShape, inputDim: this.inputDim, latentDim: this.latentDim, conditionDim: this.conditionDim,
      encoder: this.encoder.resolved, heads: null, decoder: this.decoder.resolved, sigmoid: this.loss === 'bce', params: this.parameters(),
    };
  }

  /** @internal */
  protected createPlan(capacity: number, be: Backend): AePlan {
    return new AePlan(this, capacity, be);
  }

  private get p(): AePlan {
    return this.plan as AePlan;
  }

  private reconstructionLoss(dout: Buf | null, out: Buf, n: number): number {
    const p = this.p;
    if (this.loss === 'bce') return this.be.bce_logits_f32(dout, p.rowRecon.rows(n), out, p.target.rows(n), n, this.inputDim, 1 / n);
    return this.be.sse_f32(dout, p.rowRecon.rows(n), out, p.target.rows(n), n, this.inputDim, 1 / n);
  }

  /** @internal */
  protected loadInputs(src: Float32Array, idx: Uint32Array, start: number, n: number, rng: Rng): void {
    const p = this.p;
    this.be.gatherRows(p.target.rows(n), src, idx, start, n, this.inputDim);
    if (!this.denoise) return;
    const x = p.x.rows(n);
    this.be.copy_f32(x, p.target.rows(n));
    if (this.denoise.type === 'gaussian') {
      const noise = (p.noise as Rows).rows(n);
      this.be.randn(noise, rng);
      this.be.axpy_f32(x, this.denoise.std, noise);
    } else {
      this.be.dropMask(x, rng, this.denoise.prob);
    }
  }

  /** @internal */
  trainStep(n: number): StepLosses {
    const be = this.be;
    const p = this.p;
    const x = p.x.rows(n);
    const c = this.cond(n);
    const code = this.encoder.forward(be, p.enc, x, n, c);
    const out = this.decoder.forward(be, p.dec, code, n, c);
    const recon = this.reconstructionLoss(this.decoder.outputGrad(p.dec, n), out, n) / n;
    this.decoder.backward(be, p.dec, code, n, this.encoder.outputGrad(p.enc, n), 0, c);
    this.encoder.backward(be, p.enc, x, n, null, 0, c);
    const l2 = this.weightDecayTerm();
    return this.report(recon, recon, 0, recon + l2);
  }

  /** Mean reconstruction loss per sample over x (no corruption; conditional: under its condition rows). */
  evaluate(x: Matrix | Float32Array, options: ConditionOption = {}): EvalResult {
    const data = asMatrix('evaluate: x', x, this.inputDim);
    const cond = this.conditionOf('evaluate', options, data.rows);
    let total = 0;
    this.forEachChunk(data, (n) => this.p.target.rows(n), (start, n) => {
      const code = this.encoder.forward(this.be, this.p.enc, this.p.target.rows(n), n, this.cond(n));
      const chunk = this.reconstructionLoss(null, this.decoder.forward(this.be, this.p.dec, code, n, this.cond(n)), n);
      this.checkChunkLoss('evaluate', chunk, [this.p.rowRecon.rows(n)], start, n);
      total += chunk;
    }, cond);
    const loss = total / data.rows;
    return { loss, reconstruction: loss, kl: 0 };
  }

  /** One anomaly score per row: the row's reconstruction loss (method 'reconstruction', the only one of an autoencoder; no corruption). */
  score(x: Matrix | Float32Array, options: ScoreOptions = {}): Float64Array {
    const data = asMatrix('score: x', x, this.inputDim);
    scoreSettings('score', options, false, this.seed, 1);
    const cond = this.conditionOf('score', options, data.rows);
    const scores = new Float64Array(data.rows);
    this.forEachChunk(data, (n) => this.p.target.rows(n), (start, n) => {
      const code = this.encoder.forward(this.be, this.p.enc, this.p.target.rows(n), n, this.cond(n));
      this.reconstructionLoss(null, this.decoder.forward(this.be, this.p.dec, code, n, this.cond(n)), n);
      scores.set(this.be.read(this.p.rowRecon.rows(n)), start);
    }, cond);
    return checkScores(scores);
  }

  /** Codes (n, latentDim). */
  encode(x: Matrix | Float32Array, options: ConditionOption = {}): Matrix {
    const data = asMatrix('encode: x', x, this.inputDim);
    const cond = this.conditionOf('encode', options, data.rows);
    return this.mapRows('encode', data, this.latentDim, (n) => this.p.target.rows(n), (n) => this.encoder.forward(this.be, this.p.enc, this.p.target.rows(n), n, this.cond(n)), cond);
  }

  /** Outputs for codes z (n, latentDim): probabilities for 'bce'. */
  decode(z: Matrix | Float32Array, options: ConditionOption = {}): Matrix {
    const codes = asMatrix('decode: z', z, this.latentDim);
    const cond = this.conditionOf('decode', options, codes.rows, 'row of z');
    const zRows = (n: number): Buf => this.p.enc.outs[this.encoder.steps.length - 1].rows(n);
    return this.mapRows('decode', codes, this.inputDim, zRows, (n) => {
      const y = this.decoder.forward(this.be, this.p.dec, zRows(n), n, this.cond(n));
      if (this.loss === 'bce') this.be.bias_act_f32(y, y, null, n, this.inputDim, 'sigmoid');
      return y;
    }, cond);
  }

  /** decode(encode(x)). */
  reconstruct(x: Matrix | Float32Array, options: ConditionOption = {}): Matrix {
    return this.decode(this.encode(x, options), options);
  }

  /** The codes of x (n, latentDim): encode(x). */
  codes(x: Matrix | Float32Array, options: ConditionOption = {}): Matrix {
    return this.encode(x, options);
  }

  /** Loss (with the L2 term) and every parameter gradient for x, without corruption; no update. */
  gradients(x: Matrix | Float32Array, options: ConditionOption = {}): {
    /** The differentiated objective: the mean reconstruction loss per sample plus 0.5 weightDecay ||W||^2. */
    loss: number;
    /** The gradient of loss for every parameter tensor, by name (PyTorch names and layouts, as parameters()). */
    grads: Record<string, Float32Array>;
  } {
    const data = asMatrix('gradients: x', x, this.inputDim);
    const cond = this.conditionOf('gradients', options, data.rows);
    this.ensurePlan(data.rows);
    const n = data.rows;
    this.be.write(this.p.target.rows(n), data.data);
    if (cond) this.be.write(this.cond(n) as Buf, cond.data);
    if (this.p.x !== this.p.target) this.be.copy_f32(this.p.x.rows(n), this.p.target.rows(n));
    const losses = this.trainStep(n);
    return { loss: losses.objective, grads: checkGradients(losses.objective, this.store.read('grads')) };
  }

}

function checkDenoise(d: unknown): Denoise | null {
  if (d === undefined || d === null) return null;
  const o = d as Record<string, unknown>;
  if (typeof d === 'object' && o.type === 'gaussian' && typeof o.std === 'number' && o.std > 0 && Number.isFinite(o.std)) {
    checkKeys('Autoencoder: denoise', o, ['type', 'std']);
    return { type: 'gaussian', std: o.std };
  }
  if (typeof d === 'object' && o.type === 'mask' && typeof o.prob === 'number' && o.prob >= 0 && o.prob < 1) {
    checkKeys('Autoencoder: denoise', o, ['type', 'prob']);
    return { type: 'mask', prob: o.prob };
  }
  throw new WavaeError('INVALID_OPTION', `Autoencoder: denoise must be { type: 'gaussian', std > 0 } or { type: 'mask', prob in [0, 1) }, got ${describe(JSON.stringify(d))}`);
}

/** The validated options and the layers of an Autoencoder, computed without allocating. */
export interface AutoencoderArchitecture extends Architecture {
  loss: 'mse' | 'bce';
  denoise: Denoise | null;
  /** The linear code layer after the encoder's layers, numbered after them. */
  code: ResolvedLayer;
}

/** Validates Autoencoder options and lays out its layers. */
export function autoencoderArchitecture(options: AutoencoderOptions): AutoencoderArchitecture {
  const c = checkCommon('Autoencoder', options, KEYS, { hiddenDims: [256], latentDim: 32 });
  const o = options as unknown as Record<string, unknown>;
  const loss = orDefault(o.loss, 'mse');
  if (loss !== 'mse' && loss !== 'bce') throw new WavaeError('INVALID_OPTION', `Autoencoder: loss must be 'mse' or 'bce', got ${describe(loss)}`);
  const denoise = checkDenoise(o.denoise);
  const encoder = encoderLayers('Autoencoder', c);
  const numbered = encoder.filter((l) => l.name !== null).length;
  const code = denseOn('Autoencoder', 'code layer', stackOutput(encoder, c.inputShape), c.latentDim, `encoder.${numbered}`, headCondition(c, encoder));
  const decoder = decoderLayers('Autoencoder', c, encoder);
  return { ...c, loss, denoise, encoder, code, decoder, layers: [...encoder, code, ...decoder], extra: [], formatVersion: formatVersionOf(c) };
}

/** The config of a PyTorch state_dict of an Autoencoder's architecture (dense), or null if it is not one. */
export function inferAutoencoderConfig(tensors: Record<string, { shape: number[] }>): Record<string, unknown> | null {
  const encoder = denseLayersOf(tensors, 'encoder');
  const decoder = denseLayersOf(tensors, 'decoder');
  if (!encoder.length || !decoder.length) return null;
  const latentDim = encoder[encoder.length - 1].nout;
  return { inputDim: decoder[decoder.length - 1].nout, hiddenDims: encoder.slice(0, -1).map((l) => l.nout), latentDim, ...inferredCondition(decoder[0].nin, latentDim) };
}
