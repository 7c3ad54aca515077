// The training Worker (bundled by the build into worker_source.ts and started from a Blob URL in
// browsers or with eval in Node worker_threads). It receives the compiled kernels, the model
// file and the data, runs fit(), streams progress, and hands the trained model file back
// (transferred, not copied). It carries no wasm bytes of its own.
import { setActiveBackend } from '../backend/active.js';
import { Backend } from '../backend/backend.js';
import { JsKernels } from '../backend/js.js';
import type { Kernels } from '../backend/kernels.js';
import { createThreadedWasmKernels, oneThreadBecause } from '../backend/threads.js';
import { nodeThreadSpawner } from '../backend/threads-node.js';
import { webThreadSpawner } from '../backend/threads-web.js';
import { createWasmKernels } from '../backend/wasm.js';
import type * as WorkerThreads from 'node:worker_threads';
import { WavaeError } from '../errors.js';
import { loadModel } from '../io/load.js';
import { saveModel } from '../io/save.js';
import { matrix } from '../matrix.js';
import type { FromWorker, ToWorker } from './protocol.js';

const scope = globalThis as unknown as {
  onmessage: ((event: { data: ToWorker }) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
};
const post = (message: FromWorker, transfer: Transferable[] = []): void => scope.postMessage(message, transfer);
let controller: AbortController | null = null;

type WorkerKernels = { kernels: Kernels; close: () => void; fallback?: string };

/** The kernels the caller's backend runs: the same build and variant, on as many threads (its own). */
async function kernels(m: Extract<ToWorker, { type: 'start' }>): Promise<WorkerKernels> {
  if (!m.module) return { kernels: new JsKernels(), close: () => {} };
  if (m.threads === 1) return { kernels: await createWasmKernels(m.module, m.relaxed), close: () => {} };
  // in a Node worker_thread, the prelude (node-worker.ts) hands over worker_threads
  const wt = (globalThis as { wavaeWorkerThreads?: typeof WorkerThreads }).wavaeWorkerThreads;
  const spawn = wt ? nodeThreadSpawner(wt) : webThreadSpawner;
  const modules = { module: m.module, relaxed: m.relaxed, source: m.threadSource };
  // where this worker cannot start threads of its own, it trains on one (the same bits, later) and says why
  return createThreadedWasmKernels(m.threads, spawn, modules).catch(async (err: Error): Promise<WorkerKernels> =>
    ({ ...await createThreadedWasmKernels(1, spawn, modules), fallback: oneThreadBecause(m.threads, err.message) }));
}

async function start(m: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const backend = await kernels(m);
  setActiveBackend(new Backend(backend.kernels), backend.fallback ?? null);
  try {
    await train(m, backend.kernels.threads, backend.fallback ?? null);
  } finally {
    backend.close();
  }
}

async function train(m: Extract<ToWorker, { type: 'start' }>, threads: number, threadFallback: string | null): Promise<void> {
  const model = loadModel(m.modelBytes);
  controller = new AbortController();
  const history = await model.fit(matrix(m.x.length / m.cols, m.cols, m.x), {
    ...m.fit,
    ...(m.validation ? { validationData: matrix(m.validation.length / m.cols, m.cols, m.validation) } : {}),
    signal: controller.signal,
    ...(m.batchEvents ? { onBatchEnd: (batch: number, logs) => post({ type: 'batch', batch, logs }) } : {}),
    onEpochEnd: (epoch, logs) => post({ type: 'epoch', epoch, logs }),
  });
  const bytes = saveModel(model, { optimizer: true });
  post({ type: 'done', bytes, history, threads, threadFallback }, [bytes.buffer]);
}

scope.onmessage = ({ data }) => {
  if (data.type === 'abort') controller?.abort();
  else if (data.type === 'start') {
    start(data).catch((err: unknown) => {
      const code = err instanceof WavaeError ? err.code : 'WORKER_FAILED';
      post({ type: 'error', code, message: err instanceof Error ? err.message : String(err) });
    });
  }
};
