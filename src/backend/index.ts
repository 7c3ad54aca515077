// Backend selection: init() picks 'wasm' when the engine validates SIMD WebAssembly, else 'js';
// init({ backend }) forces one; backendName() tells which is active. The wasm backend runs on
// the cores (up to DEFAULT_MAX_THREADS) where the platform has threads: Web Workers by default
// (cross-origin isolated pages), worker_threads once the Node entry registers them.
import { WavaeError, checkKeys, describe } from '../errors.js';
import { Backend } from './backend.js';
import { JsKernels } from './js.js';
import type { BackendName, Kernels } from './kernels.js';
import { createWasmKernels, simdSupported } from './wasm.js';
import { canInflate, kernelsModule, relaxedGemmModule, sharedKernelsModule, sharedRelaxedGemmModule } from './kernels-module.js';
import { THREAD_SOURCE } from './generated/thread_source.js';
import { createThreadedWasmKernels, oneThreadBecause, type ThreadPlatform, type ThreadSpawner } from './threads.js';
import { webThreadPlatform } from './threads-web.js';
import { clearActiveBackend, setActiveBackend } from './active.js';

export { Backend } from './backend.js';
export type { Buf } from './backend.js';
export type { Act, BackendName } from './kernels.js';
export { ACT_CODE } from './kernels.js';
export { backendName, getBackend, kernelVariant, threadCount, threadFallback } from './active.js';
export type { ThreadPlatform, ThreadSpawner } from './threads.js';
export { nodeThreadPlatform, nodeThreadSpawner } from './threads-node.js';
export { webThreadSpawner } from './threads-web.js';
export { setKernelCompiler } from './kernels-module.js';

/** Options of init(). */
export interface InitOptions {
  /** Force a backend; default: 'wasm' where SIMD WebAssembly validates, else 'js'. */
  backend?: BackendName;
  /**
   * Kernel threads for the wasm backend, the calling one included; default: the cores, up to
   * DEFAULT_MAX_THREADS. Where threads cannot run (a page that is not cross-origin isolated),
   * wavae runs on one and threadFallback() says why.
   */
  threads?: number;
  /** true: never use the relaxed-SIMD GEMM (fused multiply-add), even where the engine has it. */
  strict?: boolean;
}

/** The most threads init() uses by default (GEMMs at the VAE's shapes gain little beyond). */
export const DEFAULT_MAX_THREADS = 4;

let platform: ThreadPlatform = webThreadPlatform;
let closeActive: (() => void) | null = null;

/** Lets init() run kernels on threads: each entry registers its platform's (Node, browsers). */
export function registerThreads(threads: ThreadPlatform): void {
  platform = threads;
}

/** Creates a backend of the given kind (independent heap); 'wasm' fails where SIMD is missing. */
export async function createBackend(name: BackendName, options: { strict?: boolean } = {}): Promise<Backend> {
  if (name === 'js') return new Backend(new JsKernels());
  if (name !== 'wasm') {
    throw new WavaeError('INVALID_OPTION', `backend must be 'wasm' or 'js', got ${describe(name)}`);
  }
  checkSimd();
  try {
    return new Backend(await createWasmKernels(await kernelsModule(), options.strict ? null : await relaxedGemmModule()));
  } catch (err) {
    throw new WavaeError('BACKEND_UNAVAILABLE', `backend 'wasm' failed to start: ${(err as Error).message}`);
  }
}

function checkSimd(): void {
  if (!simdSupported()) {
    throw new WavaeError('BACKEND_UNAVAILABLE', "backend 'wasm' needs SIMD WebAssembly, which this engine does not validate; use 'js'");
  }
  if (!canInflate()) {
    throw new WavaeError('BACKEND_UNAVAILABLE', "backend 'wasm' needs DecompressionStream to unpack its kernels, which this engine does not have; use 'js'");
  }
}

/** Why kernel threads cannot run here, or null with the shared-memory kernels when they can. */
async function threadSupport(): Promise<{ reason: string; module?: undefined } | { reason: null; module: WebAssembly.Module }> {
  const reason = platform.unavailable();
  if (reason) return { reason };
  const module = await sharedKernelsModule();
  return module ? { reason: null, module } : { reason: 'this engine does not validate shared-memory WebAssembly' };
}

/** Starts wavae: 'wasm' if SIMD WebAssembly is supported, else 'js'; { backend } forces one. */
export async function init(options: InitOptions = {}): Promise<BackendName> {
  if (typeof options !== 'object' || options === null) {
    throw new WavaeError('INVALID_OPTION', `init: options must be an object, got ${describe(options)}`);
  }
  checkKeys('init', options, ['backend', 'threads', 'strict']);
  if (options.strict !== undefined && typeof options.strict !== 'boolean') {
    throw new WavaeError('INVALID_OPTION', `init: strict must be a boolean, got ${describe(options.strict)}`);
  }
  const name = options.backend ?? (simdSupported() && canInflate() ? 'wasm' : 'js');
  if (name === 'wasm') checkSimd();
  if (options.threads !== undefined) {
    const t = options.threads;
    if (!Number.isInteger(t) || t < 1 || t > 64) {
      throw new WavaeError('INVALID_OPTION', `init: threads must be an integer in [1, 64], got ${describe(t)}`);
    }
    if (t > 1 && options.backend === 'js') throw new WavaeError('INVALID_OPTION', "init: threads need the wasm backend, got backend 'js'");
  }
  const strict = options.strict ?? false;
  const wanted = options.threads ?? (name === 'wasm' ? Math.max(1, Math.min(DEFAULT_MAX_THREADS, platform.cores())) : 1);
  let fallback: string | null = null;
  let be: Backend;
  let close: (() => void) | null = null;
  const support = wanted > 1 ? (name === 'wasm' ? await threadSupport() : { reason: `${simdSupported() ? 'this engine has no DecompressionStream to unpack the kernels' : 'this engine has no SIMD WebAssembly'}, and the js backend runs on one thread` }) : null;
  if (support?.reason) fallback = oneThreadBecause(wanted, support.reason);
  let threaded: { kernels: Kernels; close: () => void } | null = null;
  if (support && support.reason === null) {
    const relaxed = strict ? null : await sharedRelaxedGemmModule();
    try {
      threaded = await createThreadedWasmKernels(wanted, platform.spawn, { module: support.module, relaxed, source: THREAD_SOURCE });
    } catch (err) { // no shared memory after all, or the platform refused a thread: one thread, and why
      if (!(err instanceof WavaeError) || err.code !== 'BACKEND_UNAVAILABLE') throw err;
      fallback = oneThreadBecause(wanted, err.message);
    }
  }
  if (threaded) {
    be = new Backend(threaded.kernels);
    close = threaded.close;
  } else {
    be = await createBackend(name, { strict });
  }
  activate(be, close, fallback);
  return be.name;
}

/** Makes be the active backend, stopping the previous one's threads. */
function activate(be: Backend, close: (() => void) | null, fallback: string | null): void {
  closeActive?.();
  closeActive = close;
  setActiveBackend(be, fallback);
}

/** The compiled kernels a backend runs, to start the same backend in another thread (a training worker). */
export interface KernelModules {
  /** The kernels (shared-memory form when threads > 1), or null for the js backend. */
  module: WebAssembly.Module | null;
  /** The relaxed-SIMD GEMM when the backend uses it (so the other side computes the same bits). */
  relaxed: WebAssembly.Module | null;
  threads: number;
  /** The kernel threads' script. */
  threadSource: string;
}

/** The modules backend `be` runs (see KernelModules). */
export async function backendModules(be: Backend): Promise<KernelModules> {
  const threads = be.threads;
  const module = be.name !== 'wasm' ? null : threads > 1 ? await sharedKernelsModule() : await kernelsModule();
  const relaxed = be.variant !== 'relaxed-simd' ? null : threads > 1 ? await sharedRelaxedGemmModule() : await relaxedGemmModule();
  return { module, relaxed, threads, threadSource: THREAD_SOURCE };
}

/**
 * Starts the active backend on modules another thread sent (backendModules() there): the same
 * build and variant, on as many threads of its own, started with `spawn`. Where it cannot start
 * threads, it runs on one (the same bits, later) and threadFallback() says why.
 */
export async function initFromModules(m: KernelModules, spawn: ThreadSpawner): Promise<{ threads: number; fallback: string | null }> {
  if (!m.module) {
    activate(new Backend(new JsKernels()), null, null);
    return { threads: 1, fallback: null };
  }
  if (m.threads === 1) {
    activate(new Backend(await createWasmKernels(m.module, m.relaxed)), null, null);
    return { threads: 1, fallback: null };
  }
  const modules = { module: m.module, relaxed: m.relaxed, source: m.threadSource };
  let fallback: string | null = null;
  const started = await createThreadedWasmKernels(m.threads, spawn, modules).catch(async (err: Error) => {
    fallback = oneThreadBecause(m.threads, err.message);
    return createThreadedWasmKernels(1, spawn, modules); // the shared-memory module needs a shared memory, even on one thread
  });
  activate(new Backend(started.kernels), started.close, fallback);
  return { threads: started.kernels.threads, fallback };
}

/** Stops the active backend: terminates kernel threads; use init() again before more work. */
export function shutdown(): void {
  closeActive?.();
  closeActive = null;
  clearActiveBackend();
}
