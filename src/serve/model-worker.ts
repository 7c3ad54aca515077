// The HTTP thread's handle on the model worker: requests go to it as bytes and come back as
// replies, so the thread that serves HTTP never runs the model. A worker that dies is replaced
// (its requests get 503), and a reload is one message: the worker swaps models between batches.
import { Worker } from 'node:worker_threads';
import type { Reply, ModelRoute } from './engine.js';
import { errorReply } from './engine.js';
import type { FromWorker, ModelInfo, ToWorker, WorkerSetup } from './protocol.js';

export class ModelWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private readonly reloads = new Map<number, (r: { ok: true; info: ModelInfo } | { ok: false; message: string }) => void>();
  private closing = false;
  /** The model's description for /info (updated by reloads). */
  info: ModelInfo = {};
  /** False while a replacement worker starts. */
  ready = false;

  constructor(
    private readonly entry: URL,
    private readonly setup: WorkerSetup,
    private readonly events: { batch: (rows: number) => void; log: (level: 'info' | 'error', event: string, fields: Record<string, unknown>) => void },
  ) {}

  /** Starts the worker; resolves once the model is loaded (and calibrated), rejects with the reason it could not be. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(this.entry, { workerData: this.setup });
      this.worker = worker;
      let started = false;
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          started = true;
          this.info = m.info;
          this.ready = true;
          resolve();
        } else if (m.type === 'failed') {
          reject(new Error(m.message));
        } else if (m.type === 'result') {
          const done = this.pending.get(m.id);
          this.pending.delete(m.id);
          done?.({ status: m.status, body: m.body, rows: m.rows });
        } else if (m.type === 'batch') {
          this.events.batch(m.rows);
        } else if (m.type === 'reloaded') {
          if (m.ok) this.info = m.info;
          const done = this.reloads.get(m.id);
          this.reloads.delete(m.id);
          done?.(m.ok ? { ok: true, info: m.info } : { ok: false, message: m.message });
        }
      });
      worker.on('error', (err) => {
        if (!started) reject(err);
        else this.events.log('error', 'model worker failed', { message: err.message });
      });
      worker.on('exit', (code) => {
        if (this.worker !== worker) return;
        this.worker = null;
        this.ready = false;
        for (const [, done] of this.pending) done(errorReply(503, 'WORKER_FAILED', 'the model worker stopped while running this request; try again'));
        this.pending.clear();
        for (const [, done] of this.reloads) done({ ok: false, message: 'the model worker stopped' });
        this.reloads.clear();
        if (!started) {
          reject(new Error(`the model worker exited (code ${code}) before the model was ready`));
          return;
        }
        if (this.closing) return;
        this.events.log('error', 'model worker exited; starting another', { code });
        this.start().catch((err: Error) => this.events.log('error', 'model worker could not start again', { message: err.message }));
      });
    });
  }

  /** Requests sent to the model and not yet answered. */
  get depth(): number {
    return this.pending.size;
  }

  /** Runs a request; the body's bytes move to the worker (the caller must not use them after). */
  submit(route: ModelRoute, body: Uint8Array): Promise<Reply> {
    const worker = this.worker;
    if (!worker || !this.ready) return Promise.resolve(errorReply(503, 'WORKER_FAILED', 'the model is starting again after a failure; try again'));
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      const copy = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : body.slice();
      worker.postMessage({ type: 'job', id, route, body: copy } satisfies ToWorker, [copy.buffer as ArrayBuffer]);
    });
  }

  /** Loads the model file again in the worker; the old model stays if the new file is bad. */
  reload(): Promise<{ ok: true; info: ModelInfo } | { ok: false; message: string }> {
    const worker = this.worker;
    if (!worker || !this.ready) return Promise.resolve({ ok: false, message: 'the model worker is not running' });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.reloads.set(id, resolve);
      worker.postMessage({ type: 'reload', id } satisfies ToWorker);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker?.terminate();
    this.worker = null;
  }
}
