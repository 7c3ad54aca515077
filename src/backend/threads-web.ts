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

/** Starts kernel threads as Web Workers from a Blob URL. */
export const webThreadSpawner: ThreadSpawner = (source, data) => {
  const url = URL.createObjectURL(new Blob([`onmessage = (e) => (${source})(e.data, () => postMessage('ready'));`], { type: 'text/javascript' }));
  const worker = new Worker(url);
  worker.postMessage(data);
  return {
    listen: (onReady, onFailure) => {
      worker.onmessage = () => onReady();
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        onFailure(event.message || 'the thread script failed');
      };
    },
    terminate: () => {
      worker.terminate();
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
