// The CLI's defaults that depend on the data: a dense model's hidden and latent sizes from the
// number of input columns, and the learning-rate warm-up from the number of training steps.
// MNIST (784 columns, 469 steps an epoch) gets the default recipe as measured in bench/results:
// 784-400-20 for a VAE, 784-256-32 for an autoencoder, 200 warm-up steps.

/** The widest default hidden layer and latent code, by model kind (the recipes' sizes). */
export const DEFAULT_SIZES = { vae: { hidden: 400, latent: 20 }, ae: { hidden: 256, latent: 32 } } as const;

/** Hidden width: twice the input, between 16 and the kind's cap; latent: a quarter of the input, between 1 and the cap. */
export function denseDefaults(kind: 'vae' | 'ae', inputDim: number): { hidden: number; latent: number } {
  const cap = DEFAULT_SIZES[kind];
  return {
    hidden: Math.max(16, Math.min(cap.hidden, 2 * inputDim)),
    latent: Math.max(1, Math.min(cap.latent, Math.floor(inputDim / 4))),
  };
}

/** The recipe's warm-up, but at most a tenth of all training steps (a short run would spend itself warming up). */
export function scaledWarmup(recipeWarmup: number, totalSteps: number): number {
  return Math.min(recipeWarmup, Math.floor(totalSteps / 10));
}
