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

/**
 * The convolutional VAE people copy (the Keras and PyTorch examples' shape): two 4x4 stride-2
 * convolutions (32, 64 filters), a dense layer of 256, 20 latent dimensions, the mirrored
 * decoder (dense 256, dense 3136, reshape [64, 7, 7], two 4x4 stride-2 transposed convolutions);
 * Bernoulli, Adam 1e-3, batch 128, 10 epochs. Measured in bench/results/*quality-conv*.
 */
export const CONV_RECIPE: Recipe = {
  model: {
    inputShape: [1, 28, 28], latentDim: 20, likelihood: 'bernoulli', activation: 'relu',
    encoder: [{ type: 'conv2d', filters: 32, kernelSize: 4, stride: 2, padding: 1 }, { type: 'conv2d', filters: 64, kernelSize: 4, stride: 2, padding: 1 },
      { type: 'flatten' }, { type: 'dense', units: 256 }],
  },
  fit: { batchSize: 128, optimizer: { type: 'adam', lr: 1e-3 } },
  epochs: 10,
};
