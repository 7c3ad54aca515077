// Kernel threads on Node's worker_threads. The module is passed in rather than imported so that
// the training worker (a platform-neutral bundle evaluated in a worker_thread) can start its own
// kernel threads with the worker_threads its prelude hands it.
import type * as WorkerThreads from 'node:worker_threads';
import type { ThreadPlatform, ThreadSpawner } from './threads.js';

/** Starts kernel threads as eval'd worker_threads; idle threads never keep the process alive. */
export function nodeThreadSpawner(wt: typeof WorkerThreads): ThreadSpawner {
  return (source, data) => {
    // no Node flags: the threads need none, and a Worker refuses process-wide ones (--max-old-space-size, V8's);
    // getBuiltinModule rather than require, which a browser bundle's readers take for CommonJS
    const worker = new wt.Worker(
      `${source}\nconst { workerData, parentPort } = process.getBuiltinModule('node:worker_threads');\n` +
      `wavaeKernelThread.main(workerData, () => parentPort.postMessage('ready'));`,
      { eval: true, execArgv: [], workerData: data },
    );
    worker.unref();
    let stopping = false;
    return {
      listen: (onReady, onFailure) => {
        worker.once('message', (m) => (m === 'ready' ? onReady() : onFailure(String(m))));
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
