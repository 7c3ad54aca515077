// Kernel threads on Node's worker_threads. The module is passed in rather than imported so that
// the training worker (a platform-neutral bundle evaluated in a worker_thread) can start its own
// kernel threads with the worker_threads its prelude hands it.
import type * as WorkerThreads from 'node:worker_threads';
import type { ThreadPlatform, ThreadSpawner } from './threads.js';

/**
 * The process's Node flags for an eval'd worker script: minus --input-type, which would make it a
 * module, and minus V8's wasm flags, which a Worker refuses (they are process-wide: it has them).
 */
export function scriptExecArgv(): string[] {
  return process.execArgv.filter((a, i, all) => !a.startsWith('--input-type') && all[i - 1] !== '--input-type' &&
    !/^--(no-)?(experimental-)?wasm/.test(a));
}

/** Starts kernel threads as eval'd worker_threads; idle threads never keep the process alive. */
export function nodeThreadSpawner(wt: typeof WorkerThreads): ThreadSpawner {
  return (source, data) => {
    const worker = new wt.Worker(
      `const { workerData, parentPort } = require('node:worker_threads');\n(${source})(workerData, () => parentPort.postMessage('ready'));`,
      { eval: true, execArgv: scriptExecArgv(), workerData: data },
    );
    worker.unref();
    let stopping = false;
    return {
      listen: (onReady, onFailure) => {
        worker.once('message', () => onReady());
        worker.on('error', (err) => onFailure(err.message));
        worker.on('exit', (code) => {
          if (!stopping) onFailure(`exited (code ${code})`);
        });
      },
      terminate: () => {
        stopping = true;
        void worker.terminate();
      },
    };
  };
}

/** Node's threads: always available; the cores from os.availableParallelism(). */
export function nodeThreadPlatform(wt: typeof WorkerThreads, cores: () => number): ThreadPlatform {
  return { unavailable: () => null, cores, spawn: nodeThreadSpawner(wt) };
}
