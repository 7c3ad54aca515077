// The training Worker (bundled by the build into worker_source.ts and started from a Blob URL in
// browsers or with eval in Node worker_threads). It receives the compiled kernels, the model
// file and the data, runs fit(), streams progress, and hands the trained model file back
// (transferred, not copied). It carries no wasm bytes of its own.
import { initFromModules, nodeThreadSpawner, shutdown, webThreadSpawner } from '../backend/index.js';
import type * as WorkerThreads from 'node:worker_threads';
import { WavaeError } from '../errors.js';
import { matrix } from '../matrix.js';
import { loadModel } from '../models/load.js';
import type { FromWorker, ToWorker } from './protocol.js';

const scope = globalThis as unknown as {
  onmessage: ((event: { data: ToWorker }) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
};
const post = (message: FromWorker, transfer: Transferable[] = []): void => scope.postMessage(message, transfer);
let controller: AbortController | null = null;

async function start(m: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  // in a Node worker_thread, the prelude (node-worker.ts) hands over worker_threads
  const wt = (globalThis as { wavaeWorkerThreads?: typeof WorkerThreads }).wavaeWorkerThreads;
  const { threads, fallback } = await initFromModules(m, wt ? nodeThreadSpawner(wt) : webThreadSpawner);
  try {
    await train(m, threads, fallback);
  } finally {
    shutdown();
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
  const bytes = model.save({ optimizer: true });
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
