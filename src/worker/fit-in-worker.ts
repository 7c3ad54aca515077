// fitInWorker(): trains a copy of a model in a Web Worker (browsers) or a worker_thread (Node)
// so that the calling thread stays responsive. Progress streams back to the callbacks, an
// AbortSignal stops training cleanly, and the trained model comes back as a new model built from
// the transferred model file. A worker that fails or dies rejects the promise with a WavaeError.
import { backendModules } from '../backend/index.js';
import { WavaeError, checkKeys, describe } from '../errors.js';
import { checkCondition } from '../condition.js';
import { asMatrix, type Matrix } from '../matrix.js';
import { loadModel } from '../models/load.js';
import { Model } from '../models/model.js';
import { MODEL_KINDS, type AnyModel } from '../models/registry.js';
import { FIT_OPTION_KEYS, type FitOptions, type History } from '../train/fit.js';
import { WORKER_SOURCE } from './generated/worker_source.js';
import type { FromWorker, PortableFitOptions, ToWorker } from './protocol.js';

/** A started worker, whatever the platform. */
export interface WorkerHandle {
  postMessage(message: ToWorker, transfer?: Transferable[]): void;
  /** Called with every message, and once with an Error if the worker fails or exits early. */
  listen(onMessage: (message: FromWorker) => void, onFailure: (error: Error) => void): void;
  terminate(): void;
}

/** Starts a training worker running `source` (the bundled worker script). */
export type WorkerFactory = (source: string) => WorkerHandle;

/** The result of fitInWorker: the trained model (a new instance) and the history. */
export interface WorkerFitResult<M extends AnyModel> {
  /** The trained model: a new instance loaded from the worker's model file; the model passed in is unchanged. */
  model: M;
  /** The per-epoch history, as fit() returns it. */
  history: History;
  /** Kernel threads the worker trained on (its own, as many as the caller's backend runs)... */
  threads: number;
  /** ...or why it trained on one where more were wanted (as threadFallback() says for init()). */
  threadFallback: string | null;
}

/** Web Workers from a Blob URL: no file serving, no bundler configuration. */
export function browserWorkerFactory(source: string): WorkerHandle {
  if (typeof Worker === 'undefined' || typeof Blob === 'undefined') {
    throw new WavaeError('BACKEND_UNAVAILABLE', 'fitInWorker: this environment has no Web Workers');
  }
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url);
  return {
    postMessage: (message, transfer = []) => worker.postMessage(message, transfer),
    listen: (onMessage, onFailure) => {
      worker.onmessage = (event: MessageEvent<FromWorker>) => onMessage(event.data);
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        onFailure(new Error(event.message || 'the worker script failed'));
      };
    },
    terminate: () => {
      worker.terminate();
      URL.revokeObjectURL(url);
    },
  };
}

/** fitInWorker on a given worker factory (the entries pass the platform's). */
export async function fitInWorkerWith<M extends AnyModel>(factory: WorkerFactory, model: M, x: Matrix | Float32Array,
  options: FitOptions = {}): Promise<WorkerFitResult<M>> {
  if (!(model instanceof Model)) throw new WavaeError('INVALID_OPTION', `fitInWorker: model must be a wavae model (${MODEL_KINDS.map((k) => k.label).join(', ')}), got ${describe(model)}`);
  if (typeof options !== 'object' || options === null) throw new WavaeError('INVALID_OPTION', `fitInWorker: options must be an object, got ${describe(options)}`);
  checkKeys('fitInWorker', options, FIT_OPTION_KEYS);
  const data = asMatrix('fitInWorker: x', x, model.inputDim);
  const validation = options.validationData === undefined ? null : asMatrix('fitInWorker: validationData', options.validationData, model.inputDim);
  const condition = checkCondition('fitInWorker', model.conditionDim, options.condition, data.rows, 'row of x');
  if (!validation && options.validationCondition !== undefined) throw new WavaeError('INVALID_OPTION', 'fitInWorker: validationCondition without validationData');
  const validationCondition = validation
    ? checkCondition('fitInWorker', model.conditionDim, options.validationCondition, validation.rows, 'row of validationData', 'validationCondition') : null;
  const { onBatchEnd, onEpochEnd, signal, validationData: _v, condition: _c, validationCondition: _vc, ...fit } = options;
  const portable: PortableFitOptions = {
    ...fit, // the conditions as copies of their rows alone (cloning a view would copy its whole buffer)
    ...(condition ? { condition: condition.data.slice() } : {}),
    ...(validationCondition ? { validationCondition: validationCondition.data.slice() } : {}),
  };
  const modelBytes = model.save({ optimizer: true });
  const modules = await backendModules(model.be);
  const xCopy = data.data.slice();
  const valCopy = validation ? validation.data.slice() : null;
  let worker: WorkerHandle;
  try {
    worker = factory(WORKER_SOURCE);
  } catch (err) {
    throw new WavaeError('WORKER_FAILED', `fitInWorker: the training worker did not start: ${(err as Error).message}`);
  }
  return new Promise<WorkerFitResult<M>>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => worker.postMessage({ type: 'abort' });
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      worker.terminate();
      fn();
    };
    worker.listen((m) => {
      try {
        if (m.type === 'batch') onBatchEnd?.(m.batch, m.logs);
        else if (m.type === 'epoch') onEpochEnd?.(m.epoch, m.logs);
        else if (m.type === 'done') settle(() => resolve({ model: loadModel(m.bytes) as M, history: m.history, threads: m.threads, threadFallback: m.threadFallback }));
        else if (m.type === 'error') settle(() => reject(new WavaeError(m.code, m.message)));
      } catch (err) {
        settle(() => reject(err));
      }
    }, (error) => settle(() => reject(new WavaeError('WORKER_FAILED', `fitInWorker: the training worker died: ${error.message}`))));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort);
    const transfer: Transferable[] = [modelBytes.buffer, xCopy.buffer];
    if (valCopy) transfer.push(valCopy.buffer);
    worker.postMessage({ type: 'start', ...modules, modelBytes, x: xCopy, validation: valCopy, cols: model.inputDim, fit: portable,
      batchEvents: onBatchEnd !== undefined }, transfer);
  });
}

/** Trains a copy of model in a Web Worker; see fitInWorkerWith. */
export function fitInWorker<M extends AnyModel>(model: M, x: Matrix | Float32Array, options: FitOptions = {}): Promise<WorkerFitResult<M>> {
  return fitInWorkerWith(browserWorkerFactory, model, x, options);
}
