// wavae's public API, the same in browsers, Workers and Node: re-exports only. The Node entry
// (node.ts) adds file access; package.json's exports map picks it under the "node" condition.
export { init, backendName, kernelVariant, shutdown, threadCount, threadFallback, DEFAULT_MAX_THREADS } from './backend/index.js';
export type { InitOptions, BackendName, Act } from './backend/index.js';
export { WavaeError } from './errors.js';
export type { WavaeErrorCode } from './errors.js';
export { matrix } from './matrix.js';
export type { Matrix } from './matrix.js';
export { Rng } from './random.js';
export { VAE } from './models/vae.js';
export type { VAEOptions } from './models/vae.js';
export { Autoencoder } from './models/autoencoder.js';
export type { AutoencoderOptions, Denoise } from './models/autoencoder.js';
export type { EvalResult } from './models/model.js';
export type { FitOptions, History, Logs } from './train/fit.js';
export type { OptimizerConfig } from './train/optimizers.js';
export type { ScheduleConfig } from './train/schedules.js';
export { loadModel as load } from './io/load.js';
export { FORMAT_VERSION } from './io/save.js';
export { readMetadata } from './io/safetensors.js';
export type { LoadOptions } from './io/load.js';
export type { SaveOptions } from './io/save.js';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors.js';
export { parseIdx } from './data/idx.js';
export { binarize } from './data/binarize.js';
export * as datasets from './data/datasets.js';
export { fitInWorker } from './worker/fit-in-worker.js';
export type { WorkerFitResult } from './worker/fit-in-worker.js';
