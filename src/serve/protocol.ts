// Messages between the service's HTTP thread and its model worker (serve/model-worker.ts starts
// it; the CLI's serve-worker.ts is its entry).
import type { EngineLimits, ModelRoute } from './engine.js';

/** What the worker is started with. */
export interface WorkerSetup {
  /** The model file. */
  file: string;
  backend?: 'wasm' | 'js';
  threads?: number;
  limits: EngineLimits;
  /** Most rows in one forward pass (requests beyond wait for the next). */
  maxBatchRows: number;
  /** How long the first request of a batch waits for others, ms (0: only those already arrived). */
  batchWaitMs: number;
  /** Calibrate at startup on normal data (a data file the CLI reads), keeping the quantile as the threshold. */
  calibrate?: { data: string; quantile: number; method?: 'reconstruction' | 'elbo' | 'iw'; samples?: number; limit?: number };
}

/** What GET /info shows of the model. */
export type ModelInfo = Record<string, unknown>;

export type ToWorker =
  | { type: 'job'; id: number; route: ModelRoute; body: Uint8Array }
  | { type: 'reload'; id: number };

export type FromWorker =
  | { type: 'ready'; info: ModelInfo }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; status: number; body: string; rows: number }
  | { type: 'batch'; rows: number }
  | { type: 'reloaded'; id: number; ok: true; info: ModelInfo }
  | { type: 'reloaded'; id: number; ok: false; message: string };
