// Kernel threads on Web Workers (pages and Workers, including the training Worker): each thread
// starts from a Blob URL and receives its modules and the shared memory by postMessage. Shared
// memory needs a cross-origin isolated page (COOP: same-origin, COEP: require-corp); elsewhere
// wavae runs on one thread and says why.
import type { ThreadPlatform, ThreadSpawner } from './threads.js';

const scope = globalThis as unknown as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };

/** Why Web Worker threads cannot run here, or null when they can. */
export function webThreadsUnavailable(): string | null {
  if (typeof Worker === 'undefined') return 'this environment has no Web Workers';
  if (typeof SharedArrayBuffer === 'undefined' || scope.crossOriginIsolated === false) {
    return 'the page is not cross-origin isolated, so it has no shared memory ' +
      '(serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  return null;
}

/** Starts kernel threads as Web Workers from a Blob URL (revoked once the thread has started or failed). */
export const webThreadSpawner: ThreadSpawner = (source, data) => {
  const script = `${source}\nonmessageerror = () => postMessage('the thread could not receive its modules and memory');\n` +
    `onmessage = (e) => wavaeKernelThread.main(e.data, () => postMessage('ready'));`;
  const url = URL.createObjectURL(new Blob([script], { type: 'text/javascript' }));
  let worker: Worker | null = null;
  try {
    worker = new Worker(url);
    worker.postMessage(data);
  } catch (err) { // a content security policy without blob: workers, or data that cannot be cloned
    worker?.terminate();
    URL.revokeObjectURL(url);
    throw err;
  }
  const started = worker;
  return {
    listen: (onReady, onFailure) => {
      started.onmessage = (event: MessageEvent) => {
        URL.revokeObjectURL(url);
        if (event.data === 'ready') onReady();
        else onFailure(String(event.data));
      };
      started.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        URL.revokeObjectURL(url);
        onFailure(event.message || 'the thread script failed');
      };
    },
    terminate: () => {
      started.terminate();
      URL.revokeObjectURL(url);
    },
  };
};

/** Browsers' threads: Web Workers where the page is cross-origin isolated. */
export const webThreadPlatform: ThreadPlatform = {
  unavailable: webThreadsUnavailable,
  cores: () => scope.navigator?.hardwareConcurrency ?? 1,
  spawn: webThreadSpawner,
};
