// The training Worker (bundled by the build into worker_source.ts and started from a Blob URL in
// browsers or with eval in Node worker_threads). It receives the compiled kernels, the model
// file and the data, runs fit(), streams progress, and hands the trained model file back
// (transferred, not copied). It carries no wasm bytes of its own.
import { setActiveBackend } from '../backend/active.js';
import { Backend } from '../backend/backend.js';
import { JsKernels } from '../backend/js.js';
import { createWasmKernels } from '../backend/wasm.js';
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

async function start(m: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  setActiveBackend(new Backend(m.module ? await createWasmKernels(m.module, m.relaxed) : new JsKernels()));
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
  post({ type: 'done', bytes, history }, [bytes.buffer]);
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
