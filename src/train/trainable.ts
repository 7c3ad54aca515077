// What fit() trains: anything that offers a batch buffer, a forward-and-backward step, an
// evaluation, and one flat parameter buffer with its gradient (the models of src/models/ do).
import type { Backend, Buf } from '../backend/index.js';
import type { Matrix } from '../matrix.js';
import type { Rng } from '../random.js';
import type { Optimizer } from './optimizers.js';

/** Losses of one batch: mean nats per sample, and the objective that was differentiated. */
export interface StepLosses {
  /** Negative ELBO (VAE) or reconstruction loss (AE), mean per sample. */
  loss: number;
  reconstruction: number;
  kl: number;
  /** What the gradients are of: reconstruction + beta_t KL + the L2 term. */
  objective: number;
}

/** evaluate(): mean per sample over the data. */
export interface EvalResult {
  /** A VAE's -ELBO (reconstruction + KL, beta not applied), an autoencoder's reconstruction loss; no L2 term. */
  loss: number;
  /** The reconstruction loss: nats for a VAE and a 'bce' autoencoder, the sum of squared errors for 'mse'. */
  reconstruction: number;
  /** KL(q(z|x) || N(0, I)) in nats (0 for an autoencoder). */
  kl: number;
}

/** A model fit() can train. */
export interface Trainable {
  /** Names the model in messages ('vae'). */
  readonly kind: string;
  /** @internal */
  readonly be: Backend;
  /** Floats per row of the training data. */
  readonly inputDim: number;
  /** Floats per row of the condition (0: the model takes none). */
  readonly conditionDim: number;
  /** The default seed of shuffling and sampling. */
  readonly seed: number;
  /** Epochs trained so far; fit() continues counting from here. */
  epochsTrained: number;
  /** Kept across fit() calls so that training resumes exactly. @internal */
  optimizer: Optimizer | null;
  /** The flat parameter and gradient buffers (one layout), and copies of the parameters. @internal */
  readonly store: { readonly params: Buf; readonly grads: Buf; snapshot(): Float32Array; restore(flat: Float32Array): void };
  /** Plans buffers for batches of exactly `capacity` rows. @internal */
  replan(capacity: number): void;
  /** Writes rows idx[start..start+n) of src into the training input (corrupting it if asked), and of cond into the condition rows. @internal */
  loadBatch(src: Float32Array, idx: Uint32Array, start: number, n: number, rng: Rng, cond: Float32Array | null): void;
  /** Forward and backward on the loaded batch; gradients land in store.grads (overwritten). @internal */
  trainStep(n: number, rng: Rng, epochProgress: number): StepLosses;
  /** Mean losses per sample over x (under its condition rows, for a conditional model). */
  evaluate(x: Matrix, options?: { condition?: Matrix }): EvalResult;
}
