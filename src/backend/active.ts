// The active backend of this JavaScript realm (page, Worker or process), set by init().
import { WavaeError } from '../errors.js';
import type { Backend } from './backend.js';
import type { BackendName } from './kernels.js';

let active: Backend | null = null;

/** Makes be the active backend. */
export function setActiveBackend(be: Backend): void {
  active = be;
}

/** The active backend's name; throws NOT_INITIALIZED before init(). */
export function backendName(): BackendName {
  return getBackend().name;
}

/** The active backend; throws NOT_INITIALIZED before init(). */
export function getBackend(): Backend {
  if (!active) throw new WavaeError('NOT_INITIALIZED', 'wavae is not initialized: await init() first');
  return active;
}
