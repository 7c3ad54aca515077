// Training recipes for MNIST-like data: the PyTorch reference (pytorch/examples vae) and the
// CLI default. Measured figures are in bench/results/ (bench/quality.ts).
import type { FitOptions } from '../train/fit.js';
import type { VAEOptions } from './vae.js';

/** A model architecture plus fit settings. */
export interface Recipe {
  model: Omit<VAEOptions, 'inputDim'>;
  fit: Pick<FitOptions, 'batchSize' | 'optimizer' | 'schedule'>;
  epochs: number;
}

/** pytorch/examples vae: 784-400-20, ReLU, Bernoulli, batch 128, Adam 1e-3, 10 epochs. */
export const REFERENCE_RECIPE: Recipe = {
  model: { hiddenDims: [400], latentDim: 20, likelihood: 'bernoulli', activation: 'relu' },
  fit: { batchSize: 128, optimizer: { type: 'adam', lr: 1e-3 } },
  epochs: 10,
};

/**
 * The CLI default: the reference architecture, Adam at 4e-3 with 200 warm-up steps and cosine
 * decay over 7 epochs. Beats the reference's 10-epoch test loss in less wall time (measured in
 * bench/results/*quality-default*).
 */
export const DEFAULT_RECIPE: Recipe = {
  model: { hiddenDims: [400], latentDim: 20, likelihood: 'bernoulli', activation: 'relu' },
  fit: { batchSize: 128, optimizer: { type: 'adam', lr: 4e-3 }, schedule: { type: 'cosine', warmupSteps: 200 } },
  epochs: 7,
};
