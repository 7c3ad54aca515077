// VAE: Gaussian encoder q(z|x) = N(mean, exp(logVar)) with two linear heads on a stack of layers
// (dense, or convolutions then a flatten), reparameterized sample z = mean + exp(logVar / 2) eps,
// a decoder stack p(x|z) Bernoulli (from logits) or Gaussian (fixed or learned per-dimension variance), KL to N(0, I) with beta and a
// linear warm-up, optional L2 weight decay. Loss per sample: -ELBO = reconstruction + KL.
import type { Act, Backend, Buf } from '../backend/index.js';
import { WavaeError, describe, orDefault } from '../errors.js';
import { asMatrix, matrix, type Matrix } from '../matrix.js';
import { DENSE, Dense } from '../nn/dense.js';
import type { LayerSpec, ResolvedLayer } from '../nn/layer.js';
import { Rows } from '../nn/rows.js';
import { Stack, StackPlan, stackOutput } from '../nn/stack.js';
import { Rng, deriveSeed } from '../random.js';
import {
  COMMON_KEYS, architectureConfig, checkCommon, decoderLayers, denseLayersOf, denseOn, encoderLayers, formatVersionOf, headCondition, inferredCondition, type Architecture,
} from './architecture.js';
import type { OnnxSource } from './onnx-export.js';
import { rowSeed, scoreSettings, type ScoreOptions } from './scores.js';
import { MAX_IW_SAMPLES, Model, checkGradients, checkOutputs, checkResultSize, checkScores, type ConditionOption, type EvalResult, type ModelPlan, type StepLosses } from './model.js';

/** Options of new VAE(...). */
export interface VAEOptions {
  /** Values per input row; or give inputShape. */
  inputDim?: number;
  /** The shape of one input row: [features] or [channels, height, width] (rows stay flat, NCHW). */
  inputShape?: number[];
  /** The shorthand for dense encoder layers; the decoder mirrors them. Default [400]. */
  hiddenDims?: number[];
  /** The encoder's layers as specs ({ type: 'dense', units: 256 }, ...), before the mean and log-variance heads. */
  encoder?: LayerSpec[];
  /** The decoder's layers, from the latent code to the input shape; default: the mirror of a dense encoder. */
  decoder?: LayerSpec[];
  /** Default 20. */
  latentDim?: number;
  /**
   * A conditional VAE (q(z|x,c), p(x|z,c)): the width of the condition c every call then takes
   * (wv.oneHot(labels, k) for k classes). It joins the encoder's first dense layer (after any
   * convolutions: the latent heads when the encoder has none) and the decoder's first layer.
   */
  conditionDim?: number;
  /** 'bernoulli' (data in [0, 1], BCE from logits) or 'gaussian' (real-valued). Default 'bernoulli'. */
  likelihood?: 'bernoulli' | 'gaussian';
  /** Gaussian likelihood only: a fixed variance, or 'learned' (one log-variance per input dimension). Default 'learned'. */
  outputVariance?: number | 'learned';
  /** Hidden activation. Default 'relu'. */
  activation?: Act;
  /** Weight of the KL term. Default 1. */
  beta?: number;
  /** Epochs over which beta ramps up linearly from 0 (KL warm-up). Default 0. */
  klWarmupEpochs?: number;
  /** L2 penalty 0.5 weightDecay ||W||^2 on the weights, added to the loss. Default 0. */
  weightDecay?: number;
  /** Seed of initialisation, shuffling and sampling. Default 0. */
  seed?: number;
}

const KEYS = [...COMMON_KEYS, 'likelihood', 'outputVariance', 'beta', 'klWarmupEpochs'];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Buffers of one batch size. Shapes in rows x cols; B = capacity. */
class VaePlan implements ModelPlan {
  readonly x: Rows; // (B, D) input and reconstruction target
  readonly cond: Rows | null; // (B, C) condition rows of a conditional VAE
  readonly enc: StackPlan; // hidden activations and their gradients
  readonly mean: Rows; // (B, L)
  readonly logVar: Rows; // (B, L)
  readonly dmean: Rows; // (B, L)
  readonly dlogVar: Rows; // (B, L)
  readonly eps: Rows; // (B, L)
  readonly z: Rows; // (B, L)
  readonly dz: Rows; // (B, L)
  readonly dec: StackPlan; // decoder activations; the last layer's output is logits / means (B, D)
  readonly rowRecon: Rows; // (B, 1)
  readonly rowKl: Rows; // (B, 1)
  readonly fixedLogVar: Buf | null; // (D) log of a fixed Gaussian output variance

  constructor(vae: VAE, B: number, be: Backend) {
    const { inputDim: D, latentDim: L } = vae;
    this.x = new Rows(be, B, D);
    this.cond = vae.conditionDim > 0 ? new Rows(be, B, vae.conditionDim) : null;
    this.enc = new StackPlan(be, vae.encoder, B);
    [this.mean, this.logVar, this.dmean, this.dlogVar, this.eps, this.z, this.dz] = Array.from({ length: 7 }, () => new Rows(be, B, L));
    this.dec = new StackPlan(be, vae.decoder, B);
    this.rowRecon = new Rows(be, B, 1);
    this.rowKl = new Rows(be, B, 1);
    this.fixedLogVar = null;
    if (vae.likelihood === 'gaussian' && vae.outputVariance !== 'learned') {
      this.fixedLogVar = be.alloc(D);
      be.fill_f32(this.fixedLogVar, Math.log(vae.outputVariance));
    }
    this.be = be;
  }

  private readonly be: Backend;

  free(): void {
    if (this.fixedLogVar) this.be.free(this.fixedLogVar);
    for (const r of [this.x, this.mean, this.logVar, this.dmean, this.dlogVar, this.eps, this.z, this.dz, this.rowRecon, this.rowKl]) r.free();
    this.cond?.free();
    this.enc.free();
    this.dec.free();
  }
}

/** A variational autoencoder. */
export class VAE extends Model {
  readonly kind = 'vae' as const;
  /** The decoder's p(x|z): 'bernoulli' (outputs are logits, data in [0, 1]) or 'gaussian' (outputs are means). */
  readonly likelihood: 'bernoulli' | 'gaussian';
  /**
   * A Gaussian decoder's variance: a fixed number, or 'learned' (the parameter output.logvar, one
   * log-variance per input dimension). A Bernoulli VAE holds 'learned', which it does not use.
   */
  readonly outputVariance: number | 'learned';
  /** The weight of the KL term in the training objective (after warm-up); >= 0. */
  readonly beta: number;
  /** Epochs over which the KL weight ramps linearly from 0 to beta (per batch); 0 for none. */
  readonly klWarmupEpochs: number;
  /** The encoder's layers (parameters encoder.{k}), before the mean and log-variance heads; possibly empty. */
  readonly encoder: Stack;
  /** The linear head giving the posterior mean (parameters mean.weight, mean.bias). */
  readonly meanHead: Dense;
  /** The linear head giving the posterior log-variance (parameters logvar.weight, logvar.bias). */
  readonly logVarHead: Dense;
  /** The decoder's layers (parameters decoder.{k}), from z to the output: logits (Bernoulli) or means (Gaussian). */
  readonly decoder: Stack;
  private readonly outLogVar: Buf | null; // (D) learned log-variance of a Gaussian decoder
  private readonly dOutLogVar: Buf | null; // its gradient

  constructor(options: VAEOptions) {
    const arch = vaeArchitecture(options);
    const { likelihood, outputVariance, beta, klWarmupEpochs: warm, heads } = arch;
    const learned = likelihood === 'gaussian' && outputVariance === 'learned';
    super(arch);
    this.likelihood = likelihood;
    this.outputVariance = outputVariance;
    this.beta = beta;
    this.klWarmupEpochs = warm;
    this.encoder = new Stack(arch.encoder, this.store, { dataInput: true });
    this.meanHead = DENSE.create(heads[0], this.store) as Dense;
    this.logVarHead = DENSE.create(heads[1], this.store) as Dense;
    this.meanHead.sparseInput = this.logVarHead.sparseInput = this.encoder.sparseOutput;
    this.decoder = new Stack(arch.decoder, this.store);
    if (learned) {
      this.outLogVar = this.store.param('output.logvar');
      this.dOutLogVar = this.store.grad('output.logvar');
      this.be.fill_f32(this.outLogVar, 0);
    } else {
      this.outLogVar = null;
      this.dOutLogVar = null;
    }
  }

  config(): Record<string, unknown> {
    return {
      ...architectureConfig(this.architecture), latentDim: this.latentDim, likelihood: this.likelihood,
      ...(this.likelihood === 'gaussian' ? { outputVariance: this.outputVariance } : {}),
      activation: this.activation, beta: this.beta, klWarmupEpochs: this.klWarmupEpochs, weightDecay: this.weightDecay, seed: this.seed,
    };
  }

  /** @internal */
  protected onnxSource(): OnnxSource {
    return {
      kind: this.kind, inputShape: this.inputShape, inputDim: this.inputDim, latentDim: this.latentDim, conditionDim: this.conditionDim,
      encoder: this.encoder.resolved, heads: [this.meanHead.resolved, this.logVarHead.resolved], decoder: this.decoder.resolved,
      sigmoid: this.likelihood === 'bernoulli', params: this.parameters(),
    };
  }

  /** @internal */
  protected createPlan(capacity: number, be: Backend): VaePlan {
    return new VaePlan(this, capacity, be);
  }

  private get p(): VaePlan {
    return this.plan as VaePlan;
  }

  // ---- forward and backward -----------------------------------------------------------------

  /** Encoder and heads on plan.x (and the condition rows): fills mean and logVar (n rows); returns the encoder output. */
  private encodeRows(n: number): Buf {
    const p = this.p;
    const x = p.x.rows(n);
    const c = this.cond(n);
    const h = this.encoder.forward(this.be, p.enc, x, n, c); // x itself when the encoder computes nothing
    this.meanHead.forward(this.be, p.mean.rows(n), h, n, [], c); // the heads use c where no encoder layer took it
    this.logVarHead.forward(this.be, p.logVar.rows(n), h, n, [], c);
    return h;
  }

  /** The decoder on plan.z (and the condition rows); returns its output (logits or means). */
  private decodeRows(n: number): Buf {
    return this.decoder.forward(this.be, this.p.dec, this.p.z.rows(n), n, this.cond(n));
  }

  /** Reconstruction NLL of plan.x under the decoder output; gradient into dout when given. */
  private reconstructionLoss(dout: Buf | null, out: Buf, n: number): number {
    const p = this.p;
    const x = p.x.rows(n);
    if (this.likelihood === 'bernoulli') return this.be.bce_logits_f32(dout, p.rowRecon.rows(n), out, x, n, this.inputDim, 1 / n);
    const logVar = (this.outLogVar ?? p.fixedLogVar) as Buf;
    return this.be.gauss_nll_f32(dout, dout ? this.dOutLogVar : null, p.rowRecon.rows(n), out, logVar, x, n, this.inputDim, 1 / n);
  }

  /** beta at a point of training (KL warm-up). */
  betaAt(epochProgress: number): number {
    if (this.klWarmupEpochs <= 0) return this.beta;
    return this.beta * Math.min(1, epochProgress / this.klWarmupEpochs);
  }

  /** @internal */
  protected loadInputs(src: Float32Array, idx: Uint32Array, start: number, n: number): void {
    this.be.gatherRows(this.p.x.rows(n), src, idx, start, n, this.inputDim);
  }

  /** Forward and backward on plan.x (n rows); eps is drawn from rng, or already in plan.eps when rng is null. @internal */
  trainStep(n: number, rng: Rng | null, epochProgress: number): StepLosses {
    const be = this.be;
    const p = this.p;
    const L = this.latentDim;
    const beta = this.betaAt(epochProgress);
    const h = this.encodeRows(n);
    const mean = p.mean.rows(n);
    const logVar = p.logVar.rows(n);
    const eps = p.eps.rows(n);
    const z = p.z.rows(n);
    const dz = p.dz.rows(n);
    const c = this.cond(n);
    if (rng) be.randn(eps, rng);
    be.reparam_f32(z, mean, logVar, eps);
    const out = this.decodeRows(n);
    const dout = this.decoder.outputGrad(p.dec, n);
    const recon = this.reconstructionLoss(dout, out, n) / n;
    this.decoder.backward(be, p.dec, z, n, dz, 0, c);
    const dmean = p.dmean.rows(n);
    const dlogVar = p.dlogVar.rows(n);
    be.reparam_backward_f32(dmean, dlogVar, dz, logVar, eps);
    const kl = be.kl_normal_f32(dmean, dlogVar, p.rowKl.rows(n), mean, logVar, n, L, beta / n, 1) / n; // added to the decoder's path
    if (!this.encoder.identity) {
      const dh = this.encoder.outputGrad(p.enc, n);
      this.meanHead.backward(be, dh, 0, dmean, h, mean, n, [], c);
      this.logVarHead.backward(be, dh, 1, dlogVar, h, logVar, n, [], c);
      this.encoder.backward(be, p.enc, p.x.rows(n), n, null, 0, c);
    } else {
      this.meanHead.backward(be, null, 0, dmean, h, mean, n, [], c);
      this.logVarHead.backward(be, null, 0, dlogVar, h, logVar, n, [], c);
    }
    const l2 = this.weightDecayTerm();
    return this.report(recon + kl, recon, kl, recon + beta * kl + l2);
  }

  // ---- the public methods of the contract -----------------------------------------------------

  /** Mean -ELBO, reconstruction and KL per sample over x (conditional: under its condition rows), one z sample per row (seeded: repeatable). */
  evaluate(x: Matrix | Float32Array, options: { seed?: number } & ConditionOption = {}): EvalResult {
    const data = asMatrix('evaluate: x', x, this.inputDim);
    const cond = this.conditionOf('evaluate', options, data.rows);
    const rng = new Rng(options.seed ?? deriveSeed(this.seed, 0xe7a1));
    let recon = 0;
    let kl = 0;
    this.forEachChunk(data, (n) => this.p.x.rows(n), (start, n) => {
      const p = this.p;
      this.encodeRows(n);
      this.be.randn(p.eps.rows(n), rng);
      this.be.reparam_f32(p.z.rows(n), p.mean.rows(n), p.logVar.rows(n), p.eps.rows(n));
      const out = this.decodeRows(n);
      const chunkRecon = this.reconstructionLoss(null, out, n);
      const chunkKl = this.be.kl_normal_f32(null, null, p.rowKl.rows(n), p.mean.rows(n), p.logVar.rows(n), n, this.latentDim, 1);
      this.checkChunkLoss('evaluate', chunkRecon + chunkKl, [p.rowRecon.rows(n), p.rowKl.rows(n)], start, n);
      recon += chunkRecon;
      kl += chunkKl;
    }, cond);
    return { loss: (recon + kl) / data.rows, reconstruction: recon / data.rows, kl: kl / data.rows };
  }

  /** Posterior parameters: mean and log-variance, (n, latentDim) each. */
  encode(x: Matrix | Float32Array, options: ConditionOption = {}): {
    /** The posterior means of q(z|x) (n, latentDim). */
    mean: Matrix;
    /** The posterior log-variances, natural log (n, latentDim): the standard deviation is exp(logVar / 2). */
    logVar: Matrix;
  } {
    const data = asMatrix('encode: x', x, this.inputDim);
    const cond = this.conditionOf('encode', options, data.rows);
    const L = this.latentDim;
    const mean = new Float32Array(data.rows * L);
    const logVar = new Float32Array(data.rows * L);
    this.forEachChunk(data, (n) => this.p.x.rows(n), (start, n) => {
      this.encodeRows(n);
      mean.set(this.be.read(this.p.mean.rows(n)), start * L);
      logVar.set(this.be.read(this.p.logVar.rows(n)), start * L);
    }, cond);
    checkOutputs('encode: mean', mean, L);
    checkOutputs('encode: logVar', logVar, L);
    return { mean: matrix(data.rows, L, mean), logVar: matrix(data.rows, L, logVar) };
  }

  /** Decoder means for latent codes z (n, latentDim): probabilities for 'bernoulli'. */
  decode(z: Matrix | Float32Array, options: ConditionOption = {}): Matrix {
    const codes = asMatrix('decode: z', z, this.latentDim);
    const cond = this.conditionOf('decode', options, codes.rows, 'row of z');
    return this.mapRows('decode', codes, this.inputDim, (n) => this.p.z.rows(n), (n) => {
      const y = this.decodeRows(n);
      if (this.likelihood === 'bernoulli') this.be.bias_act_f32(y, y, null, n, this.inputDim, 'sigmoid');
      return y;
    }, cond);
  }

  /** decode(encode(x).mean). */
  reconstruct(x: Matrix | Float32Array, options: ConditionOption = {}): Matrix {
    return this.decode(this.encode(x, options).mean, options);
  }

  /** The posterior means of x (n, latentDim). */
  codes(x: Matrix | Float32Array, options: ConditionOption = {}): Matrix {
    return this.encode(x, options).mean;
  }

  /** n samples from the model: decode(z ~ N(0, I)); a conditional VAE's under n condition rows. */
  sample(n: number, options: { seed?: number } & ConditionOption = {}): Matrix {
    if (!Number.isInteger(n) || n < 1) throw new WavaeError('INVALID_OPTION', `sample: n must be an integer >= 1, got ${describe(n)}`);
    this.conditionOf('sample', options, n, 'sample');
    checkResultSize('sample', 'n', n, this.inputDim);
    const rng = new Rng(options.seed ?? deriveSeed(this.seed, 0x5a3b));
    const z = new Float32Array(n * this.latentDim);
    rng.fillNormal(z, 0, z.length);
    return this.decode(matrix(n, this.latentDim, z), options);
  }

  /**
   * Loss and every parameter gradient for x with the given eps (n, latentDim); no update.
   * loss is the differentiated objective: reconstruction + beta KL + 0.5 weightDecay ||W||^2.
   */
  gradients(x: Matrix | Float32Array, options: { eps: Matrix | Float32Array } & ConditionOption): {
    /** The differentiated objective: mean reconstruction + beta KL per sample (full beta, no warm-up), plus 0.5 weightDecay ||W||^2. */
    loss: number;
    /** The mean reconstruction NLL per sample at z = mean + exp(logVar / 2) eps, in nats. */
    reconstruction: number;
    /** The mean KL(q(z|x) || N(0, I)) per sample in nats, before beta. */
    kl: number;
    /** The gradient of loss for every parameter tensor, by name (PyTorch names and layouts, as parameters()). */
    grads: Record<string, Float32Array>;
  } {
    const data = asMatrix('gradients: x', x, this.inputDim);
    if (typeof options !== 'object' || options === null || options.eps === undefined) {
      throw new WavaeError('INVALID_OPTION', 'gradients: options.eps (n x latentDim) is required');
    }
    const eps = asMatrix('gradients: eps', options.eps, this.latentDim);
    if (eps.rows !== data.rows) throw new WavaeError('SHAPE_MISMATCH', `gradients: eps has ${eps.rows} rows, x has ${data.rows}`);
    const cond = this.conditionOf('gradients', options, data.rows);
    this.ensurePlan(data.rows);
    const n = data.rows;
    this.be.write(this.p.x.rows(n), data.data);
    this.be.write(this.p.eps.rows(n), eps.data);
    if (cond) this.be.write(this.cond(n) as Buf, cond.data);
    const losses = this.trainStep(n, null, Infinity);
    return { loss: losses.objective, reconstruction: losses.reconstruction, kl: losses.kl, grads: checkGradients(losses.objective, this.store.read('grads')) };
  }

  /**
   * One anomaly score per row (higher: less like the training data), in nats: 'elbo' (the
   * default) -ELBO of the row with one z ~ q(z|x); 'reconstruction' the decoder NLL at the
   * posterior mean; 'iw' -logLikelihood with `samples` draws. A row's draws follow from the seed
   * and the row's values, so it scores the same alone or in any batch (up to the float32
   * rounding of another batch size, 1e-6 relative).
   */
  score(x: Matrix | Float32Array, options: ScoreOptions = {}): Float64Array {
    const data = asMatrix('score: x', x, this.inputDim);
    const s = scoreSettings('score', options, true, this.seed, MAX_IW_SAMPLES);
    const cond = this.conditionOf('score', options, data.rows);
    const scores = new Float64Array(data.rows);
    const L = this.latentDim;
    if (s.method === 'iw') {
      const D = this.inputDim;
      const C = this.conditionDim;
      for (let i = 0; i < data.rows; i++) {
        const row = matrix(1, D, data.data.subarray(i * D, (i + 1) * D));
        const c = cond ? { condition: matrix(1, C, cond.data.subarray(i * C, (i + 1) * C)) } : {};
        try {
          scores[i] = -this.logLikelihood(row, { samples: s.samples, seed: rowSeed(s.seed, data, i, cond), ...c })[0];
        } catch (err) {
          if (err instanceof WavaeError && err.code === 'NON_FINITE_OUTPUT') throw new WavaeError('NON_FINITE_OUTPUT', `score: row ${i}: ${err.message.replace(/^logLikelihood: row 0 /, '')}`);
          throw err;
        }
      }
      return scores;
    }
    const eps = new Float32Array(this.inferencePlan(data.rows) * L);
    this.forEachChunk(data, (n) => this.p.x.rows(n), (start, n) => {
      const p = this.p;
      this.encodeRows(n);
      if (s.method === 'reconstruction') this.be.copy_f32(p.z.rows(n), p.mean.rows(n));
      else {
        for (let r = 0; r < n; r++) new Rng(rowSeed(s.seed, data, start + r, cond)).fillNormal(eps, r * L, L);
        this.be.write(p.eps.rows(n), eps.subarray(0, n * L));
        this.be.reparam_f32(p.z.rows(n), p.mean.rows(n), p.logVar.rows(n), p.eps.rows(n));
      }
      this.reconstructionLoss(null, this.decodeRows(n), n);
      const recon = this.be.read(p.rowRecon.rows(n));
      let kl: Float32Array | null = null;
      if (s.method === 'elbo') {
        this.be.kl_normal_f32(null, null, p.rowKl.rows(n), p.mean.rows(n), p.logVar.rows(n), n, L, 1);
        kl = this.be.read(p.rowKl.rows(n));
      }
      for (let r = 0; r < n; r++) scores[start + r] = recon[r] + (kl ? kl[r] : 0);
    }, cond);
    return checkScores(scores);
  }

  /**
   * Importance-weighted estimate of log p(x) per sample (IWAE bound with k samples):
   * log (1/k) sum_k p(x|z_k) p(z_k) / q(z_k|x), z_k ~ q(z|x), log-sum-exp in float64.
   * Rows of (sample, draw) pairs go through the decoder in batches, so any k fits in memory.
   */
  logLikelihood(x: Matrix | Float32Array, options: { samples?: number; seed?: number; onProgress?: (done: number, total: number) => void } & ConditionOption = {}): Float64Array {
    const data = asMatrix('logLikelihood: x', x, this.inputDim);
    const K = orDefault(options.samples, 5000) as number;
    if (!Number.isInteger(K) || K < 1 || K > MAX_IW_SAMPLES) {
      throw new WavaeError('INVALID_OPTION', `logLikelihood: samples must be an integer in [1, ${MAX_IW_SAMPLES}], got ${describe(K)}`);
    }
    const cond = this.conditionOf('logLikelihood', options, data.rows);
    const { mean, logVar } = this.encode(data, options);
    const rng = new Rng(options.seed ?? deriveSeed(this.seed, 0x10c1));
    const D = this.inputDim;
    const L = this.latentDim;
    const B = this.inferencePlan(Math.min(K, 1024));
    const p = this.p;
    const zHost = new Float32Array(B * L);
    const epsHost = new Float32Array(B * L);
    const xRows = new Float32Array(B * D);
    const C = this.conditionDim;
    const cRows = new Float32Array(B * C);
    const result = new Float64Array(data.rows);
    for (let i = 0; i < data.rows; i++) {
      let maxLog = -Infinity;
      let sum = 0; // sum of exp(logw - maxLog), rescaled as maxLog grows
      const mu = mean.data.subarray(i * L, (i + 1) * L);
      const lv = logVar.data.subarray(i * L, (i + 1) * L);
      let logqConst = 0;
      for (let j = 0; j < L; j++) logqConst += -0.5 * lv[j] - HALF_LOG_2PI;
      for (let r = 0; r < B; r++) xRows.set(data.data.subarray(i * D, (i + 1) * D), r * D);
      if (cond) for (let r = 0; r < B; r++) cRows.set(cond.data.subarray(i * C, (i + 1) * C), r * C);
      for (let done = 0; done < K; done += B) {
        const n = Math.min(B, K - done);
        rng.fillNormal(epsHost, 0, n * L);
        for (let r = 0; r < n; r++) {
          for (let j = 0; j < L; j++) zHost[r * L + j] = mu[j] + Math.exp(0.5 * lv[j]) * epsHost[r * L + j];
        }
        this.be.write(p.z.rows(n), zHost.subarray(0, n * L));
        this.be.write(p.x.rows(n), xRows.subarray(0, n * D));
        if (cond) this.be.write(this.cond(n) as Buf, cRows.subarray(0, n * C));
        const out = this.decodeRows(n);
        this.reconstructionLoss(null, out, n);
        const nll = this.be.read(p.rowRecon.rows(n));
        for (let r = 0; r < n; r++) {
          let logpz = 0;
          let logq = logqConst;
          for (let j = 0; j < L; j++) {
            const zj = zHost[r * L + j];
            const e = epsHost[r * L + j];
            logpz += -0.5 * zj * zj - HALF_LOG_2PI;
            logq += -0.5 * e * e;
          }
          const logw = -nll[r] + logpz - logq;
          if (logw > maxLog) {
            sum = sum * Math.exp(maxLog - logw) + 1;
            maxLog = logw;
          } else {
            sum += Math.exp(logw - maxLog);
          }
        }
      }
      result[i] = maxLog + Math.log(sum) - Math.log(K);
      if (!Number.isFinite(result[i])) {
        throw new WavaeError('NON_FINITE_OUTPUT', `logLikelihood: row ${i} gives ${result[i]}: a value overflowed float32 inside the model (inputs far outside the scale it was trained on?)`);
      }
      options.onProgress?.(i + 1, data.rows);
    }
    return result;
  }

}

/** The validated options and the layers of a VAE, computed without allocating anything. */
export interface VaeArchitecture extends Architecture {
  likelihood: 'bernoulli' | 'gaussian';
  outputVariance: number | 'learned';
  beta: number;
  klWarmupEpochs: number;
  /** The mean and log-variance heads: dense, on the encoder's (flat) output. */
  heads: ResolvedLayer[];
}

/** Validates VAE options and lays out its layers (load() checks files against this first). */
export function vaeArchitecture(options: VAEOptions): VaeArchitecture {
  const c = checkCommon('VAE', options, KEYS, { hiddenDims: [400], latentDim: 20 });
  const o = options as unknown as Record<string, unknown>;
  const likelihood = orDefault(o.likelihood, 'bernoulli');
  if (likelihood !== 'bernoulli' && likelihood !== 'gaussian') {
    throw new WavaeError('INVALID_OPTION', `VAE: likelihood must be 'bernoulli' or 'gaussian', got ${describe(likelihood)}`);
  }
  const outputVariance = orDefault(o.outputVariance, 'learned');
  if (outputVariance !== 'learned' && !(typeof outputVariance === 'number' && outputVariance > 0 && Number.isFinite(outputVariance))) {
    throw new WavaeError('INVALID_OPTION', `VAE: outputVariance must be 'learned' or a number > 0, got ${describe(outputVariance)}`);
  }
  if (likelihood === 'bernoulli' && o.outputVariance !== undefined) {
    throw new WavaeError('INVALID_OPTION', "VAE: outputVariance applies to likelihood 'gaussian' only");
  }
  const beta = orDefault(o.beta, 1);
  if (typeof beta !== 'number' || !(beta >= 0) || !Number.isFinite(beta)) {
    throw new WavaeError('INVALID_OPTION', `VAE: beta must be a number >= 0, got ${describe(beta)}`);
  }
  const warm = orDefault(o.klWarmupEpochs, 0);
  if (typeof warm !== 'number' || !(warm >= 0) || !Number.isFinite(warm)) {
    throw new WavaeError('INVALID_OPTION', `VAE: klWarmupEpochs must be a number >= 0, got ${describe(warm)}`);
  }
  const encoder = encoderLayers('VAE', c);
  const h = stackOutput(encoder, c.inputShape);
  const hc = headCondition(c, encoder);
  const heads = [denseOn('VAE', 'mean and log-variance heads', h, c.latentDim, 'mean', hc), denseOn('VAE', 'mean and log-variance heads', h, c.latentDim, 'logvar', hc)];
  const decoder = decoderLayers('VAE', c, encoder);
  const learned = likelihood === 'gaussian' && outputVariance === 'learned';
  return {
    ...c, likelihood, outputVariance: likelihood === 'gaussian' ? outputVariance : 'learned', beta, klWarmupEpochs: warm,
    encoder, heads, decoder, layers: [...encoder, ...heads, ...decoder], formatVersion: formatVersionOf(c),
    extra: learned ? [{ name: 'output.logvar', shape: [c.inputDim], decay: false }] : [],
  };
}

/** The config of a PyTorch state_dict of a VAE's architecture (dense, read off the shapes), or null if it is not one. */
export function inferVaeConfig(tensors: Record<string, { shape: number[] }>): Record<string, unknown> | null {
  const decoder = denseLayersOf(tensors, 'decoder');
  if (!tensors['mean.weight'] || !decoder.length) return null;
  const [latentDim] = tensors['mean.weight'].shape;
  const gaussian = tensors['output.logvar'] !== undefined;
  return {
    inputDim: decoder[decoder.length - 1].nout, hiddenDims: denseLayersOf(tensors, 'encoder').map((l) => l.nout), latentDim,
    ...inferredCondition(decoder[0].nin, latentDim), ...(gaussian ? { likelihood: 'gaussian' } : {}), // a conditional decoder's first layer takes [z, c]
  };
}
