// The active backend of this JavaScript realm (page, Worker or process), set by init().
import { WavaeError } from '../errors.js';
import type { Backend } from './backend.js';
import type { BackendName } from './kernels.js';

let active: Backend | null = null;
let fallback: string | null = null;

/** Makes be the active backend; `why` it runs on one thread where more were wanted. */
export function setActiveBackend(be: Backend, why: string | null = null): void {
  active = be;
  fallback = why;
}

/** Which build runs the active kernels: 'js', 'simd', or 'relaxed-simd' (GEMM with fused multiply-add). */
export function kernelVariant(): 'js' | 'simd' | 'relaxed-simd' {
  return getBackend().variant;
}

/** Threads the active backend's kernels run on. */
export function threadCount(): number {
  return getBackend().threads;
}

/** Why the active backend runs on one thread where init() wanted more (asked, or by default), or null. */
export function threadFallback(): string | null {
  getBackend();
  return fallback;
}

/** Forgets the active backend (after shutdown(), init() must run again). */
export function clearActiveBackend(): void {
  active = null;
  fallback = null;
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
