// Messages between the page (or the Node main thread) and the training Worker.
import type { WavaeErrorCode } from '../errors.js';
import type { FitOptions, History, Logs } from '../train/fit.js';

/** fit() options that cross the boundary (callbacks and signals stay on the calling side). */
export type PortableFitOptions = Omit<FitOptions, 'onBatchEnd' | 'onEpochEnd' | 'signal' | 'validationData'>;

export type ToWorker =
  | {
    type: 'start';
    /** The compiled kernels (wasm backend; shared-memory form when threads > 1), or null for the js backend. */
    module: WebAssembly.Module | null;
    /** The relaxed-SIMD GEMM when the caller uses it (so the worker computes the same bits). */
    relaxed: WebAssembly.Module | null;
    /** Kernel threads, as the caller's backend runs them (the worker starts its own), and their script. */
    threads: number;
    threadSource: string;
    modelBytes: Uint8Array;
    x: Float32Array;
    validation: Float32Array | null;
    cols: number;
    fit: PortableFitOptions;
    batchEvents: boolean;
  }
  | { type: 'abort' };

export type FromWorker =
  | { type: 'batch'; batch: number; logs: Logs }
  | { type: 'epoch'; epoch: number; logs: Logs }
  | { type: 'done'; bytes: Uint8Array; history: History; threads: number; threadFallback: string | null }
  | { type: 'error'; code: WavaeErrorCode; message: string };
