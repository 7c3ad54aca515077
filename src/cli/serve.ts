// `wavae serve`: a model file as an HTTP service (serve/http.ts on this thread, the model in a
// worker: serve/model-worker.ts and serve-worker.ts), with structured JSON logs on stdout,
// SIGTERM (and SIGINT) draining the requests in flight before exit 0, and SIGHUP (or --watch)
// reloading the model file; a bad file keeps the old model and logs why.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { WavaeError } from '../errors.js';
import { createHttpService, type HttpLimits } from '../serve/http.js';
import { Metrics } from '../serve/metrics.js';
import { ModelWorker } from '../serve/model-worker.js';
import type { EngineLimits } from '../serve/engine.js';
import type { WorkerSetup } from '../serve/protocol.js';
import { errorLine } from './error-line.js';
import { readFile } from './files.js';

export interface ServeArgs extends HttpLimits, EngineLimits {
  model: string;
  port: number;
  host: string;
  calibrate?: string;
  quantile: number;
  method?: 'reconstruction' | 'elbo' | 'iw';
  samples?: number;
  calibrateLimit?: number;
  maxBatchRows: number;
  batchWaitMs: number;
  drainTimeoutMs: number;
  watch?: boolean;
}

/** The defaults of every bound, shown by --help. */
export const SERVE_DEFAULTS = {
  port: 8080, host: '127.0.0.1', quantile: 0.99,
  maxBodyBytes: 4 * 2 ** 20, bodyBudgetBytes: 64 * 2 ** 20, maxQueue: 256, maxRows: 1024, maxSample: 1024, maxIwDraws: 100_000,
  maxBatchRows: 1024, batchWaitMs: 0, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, drainTimeoutMs: 10_000,
} as const;

/** One JSON line on stdout. */
function log(level: 'info' | 'error', event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, event, ...fields }) + '\n');
}

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** Starts the service; a mistake before it listens is one line on stderr and exit code 2. */
export async function serve(args: ServeArgs, globals: { backend?: 'wasm' | 'js'; threads?: number }): Promise<void> {
  try {
    readFile(args.model, () => 0); // a missing, unreadable or endless path is one line, before the worker starts (which reads the file)
  } catch (err) {
    return startupFailure(err);
  }
  const setup: WorkerSetup = {
    file: args.model, ...globals,
    limits: { maxRows: args.maxRows, maxSample: args.maxSample, maxIwDraws: args.maxIwDraws },
    maxBatchRows: args.maxBatchRows, batchWaitMs: args.batchWaitMs,
    ...(args.calibrate ? { calibrate: { data: args.calibrate, quantile: args.quantile, ...(args.method ? { method: args.method } : {}), ...(args.samples ? { samples: args.samples } : {}), ...(args.calibrateLimit ? { limit: args.calibrateLimit } : {}) } } : {}),
  };
  const metrics = new Metrics();
  const worker = new ModelWorker(new URL('./serve-worker.js', import.meta.url), setup, { batch: (rows) => metrics.batch(rows), log });
  try {
    await worker.start();
  } catch (err) {
    await worker.close();
    return startupFailure(err);
  }
  const service = createHttpService(worker, args, metrics, log, version);
  try {
    await new Promise<void>((resolve, reject) => {
      service.server.once('error', reject);
      service.server.listen(args.port, args.host, () => {
        service.server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await worker.close();
    const e = err as NodeJS.ErrnoException;
    return startupFailure(new Error(`cannot listen on ${args.host}:${args.port}: ${e.code === 'EADDRINUSE' ? 'the address is in use' : e.code === 'EACCES' ? 'permission denied' : e.code ?? e.message}`));
  }
  const address = service.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log('info', 'listening', { url: `http://${host}:${address.port}`, ...worker.info, version });

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log('info', 'draining', { signal, inFlight: worker.depth });
    const { answered } = await service.drain(args.drainTimeoutMs);
    await worker.close();
    log(answered ? 'info' : 'error', 'stopped', { answeredAll: answered });
    process.exit(answered ? 0 : 1);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  const reload = async (why: string): Promise<void> => {
    const r = await worker.reload();
    metrics.reload(r.ok);
    if (r.ok) log('info', 'model reloaded', { why, ...r.info });
    else log('error', 'model reload failed; serving the model loaded before', { why, message: r.message });
  };
  process.on('SIGHUP', () => void reload('SIGHUP'));
  if (args.watch) {
    fs.watchFile(args.model, { interval: 1000 }, (now, before) => {
      if (now.mtimeMs !== before.mtimeMs && now.size > 0) void reload('--watch');
    });
  }
}

function startupFailure(err: unknown): void {
  const message = err instanceof WavaeError || err instanceof Error ? err.message : String(err);
  process.stderr.write(errorLine(message.split('\n')[0]));
  process.exitCode = 2;
}
