// Training workers on Node's worker_threads: the bundled worker script is evaluated in a
// thread whose globalThis.postMessage / onmessage are wired to the parent port.
import { Worker } from 'node:worker_threads';
import type { WorkerHandle } from './fit-in-worker.js';

// the worker bundle is platform-neutral: it gets worker_threads (for its kernel threads) from here
const PRELUDE = `const { parentPort } = require('node:worker_threads');
globalThis.wavaeWorkerThreads = require('node:worker_threads');
globalThis.postMessage = (message, transfer) => parentPort.postMessage(message, transfer);
parentPort.on('message', (data) => globalThis.onmessage && globalThis.onmessage({ data }));
`;

/** Starts the worker script in a worker_thread. */
export function nodeWorkerFactory(source: string): WorkerHandle {
  // no Node flags: the script needs none, and a Worker refuses process-wide ones (--max-old-space-size, V8's)
  const worker = new Worker(PRELUDE + source, { eval: true, execArgv: [] });
  let done = false;
  return {
    postMessage: (message, transfer = []) => worker.postMessage(message, transfer as never),
    listen: (onMessage, onFailure) => {
      worker.on('message', (m) => {
        if (m.type === 'done' || m.type === 'error') done = true;
        onMessage(m);
      });
      worker.on('error', (err) => onFailure(err));
      worker.on('exit', (code) => {
        if (!done) onFailure(new Error(`the worker exited (code ${code}) before finishing`));
      });
    },
    terminate: () => {
      done = true;
      void worker.terminate();
    },
  };
}
