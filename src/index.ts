/**
 * wavae in browsers, Workers, bundlers and Node (`import * as wv from 'wavae'`).
 * @module wavae
 */
// wavae's public API, the same in browsers, Workers and Node: re-exports only. The Node entry
// (node.ts) adds file access; package.json's exports map picks it under the "node" condition.
export { init, backendName, kernelVariant, shutdown, threadCount, threadFallback, DEFAULT_MAX_THREADS } from './backend/index.js';
export type { InitOptions, BackendName, Act } from './backend/index.js';
export { WavaeError } from './errors.js';
export type { WavaeErrorCode } from './errors.js';
export { matrix } from './matrix.js';
export type { Matrix } from './matrix.js';
export { oneHot } from './condition.js';
export { Rng } from './random.js';
export { VAE } from './models/vae.js';
export type { VAEOptions } from './models/vae.js';
export { Autoencoder } from './models/autoencoder.js';
export type { AutoencoderOptions, Denoise } from './models/autoencoder.js';
export type { EvalResult, ConditionOption } from './models/model.js';
export type { AnomalyResult, CalibrateOptions, Calibration, ScoreMethod, ScoreOptions } from './models/scores.js';
export type { FitOptions, History, Logs } from './train/fit.js';
export type { OptimizerConfig } from './train/optimizers.js';
export type { ScheduleConfig } from './train/schedules.js';
export type { Model } from './models/model.js';
export type { OnnxOptions, OnnxPart } from './models/onnx-export.js';
export type { AnyModel } from './models/registry.js';
export type { LayerSpec } from './nn/layer.js';
export { loadModel as load } from './models/load.js';
export type { LoadOptions } from './models/load.js';
export { FORMAT_VERSION } from './io/model-file.js';
export type { SaveOptions } from './io/model-file.js';
export { readMetadata } from './io/safetensors.js';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors.js';
export { parseIdx } from './data/idx.js';
export { binarize } from './data/binarize.js';
/** Data sets: `datasets.mnist({ baseUrl })` fetches MNIST's four IDX files from a folder that serves them. */
export * as datasets from './data/datasets.js';
export { fitInWorker } from './worker/fit-in-worker.js';
export type { WorkerFitResult } from './worker/fit-in-worker.js';
