// Backend selection: init() picks 'wasm' when the engine validates SIMD WebAssembly, else 'js';
// init({ backend }) forces one; backendName() tells which is active.
import { WavaeError, checkKeys, describe } from '../errors.js';
import { Backend } from './backend.js';
import { JsKernels } from './js.js';
import type { BackendName, Kernels } from './kernels.js';
import { createWasmKernels, simdSupported } from './wasm.js';
import { kernelsModule, relaxedGemmModule } from './kernels-module.js';
import { clearActiveBackend, setActiveBackend } from './active.js';

export { Backend } from './backend.js';
export type { Buf } from './backend.js';
export type { Act, BackendName } from './kernels.js';
export { backendName, getBackend, kernelVariant, threadCount } from './active.js';

/** Options of init(). */
export interface InitOptions {
  /** Force a backend; default: 'wasm' where SIMD WebAssembly validates, else 'js'. */
  backend?: BackendName;
  /** Kernel threads for the wasm backend (Node); 1 runs everything on the calling thread. */
  threads?: number;
  /** true: never use the relaxed-SIMD GEMM (fused multiply-add), even where the engine has it. */
  strict?: boolean;
}

/** Creates threaded wasm kernels; registered by the Node entry (worker_threads). */
type ThreadedFactory = (threads: number) => Promise<{ kernels: Kernels; close: () => void }>;
let threadedFactory: ThreadedFactory | null = null;
let closeActive: (() => void) | null = null;

/** Lets init({ threads }) use threads (the Node entry calls this). */
export function registerThreads(factory: ThreadedFactory): void {
  threadedFactory = factory;
}

/** Creates a backend of the given kind (independent heap); 'wasm' fails where SIMD is missing. */
export async function createBackend(name: BackendName, options: { strict?: boolean } = {}): Promise<Backend> {
  if (name === 'js') return new Backend(new JsKernels());
  if (name !== 'wasm') {
    throw new WavaeError('INVALID_OPTION', `backend must be 'wasm' or 'js', got ${describe(name)}`);
  }
  if (!simdSupported()) {
    throw new WavaeError('BACKEND_UNAVAILABLE', "backend 'wasm' needs SIMD WebAssembly, which this engine does not validate; use 'js'");
  }
  try {
    return new Backend(await createWasmKernels(await kernelsModule(), options.strict ? null : await relaxedGemmModule()));
  } catch (err) {
    throw new WavaeError('BACKEND_UNAVAILABLE', `backend 'wasm' failed to start: ${(err as Error).message}`);
  }
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
  const name = options.backend ?? (simdSupported() ? 'wasm' : 'js');
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new WavaeError('INVALID_OPTION', `init: threads must be an integer in [1, 64], got ${describe(threads)}`);
  }
  let be: Backend;
  let close: (() => void) | null = null;
  if (threads > 1) {
    if (name !== 'wasm') throw new WavaeError('INVALID_OPTION', `init: threads need the wasm backend, got backend '${name}'`);
    if (!threadedFactory || typeof SharedArrayBuffer === 'undefined') {
      throw new WavaeError('BACKEND_UNAVAILABLE', 'init: threads are available in Node (the wasm backend on worker_threads); ' +
        'this environment runs wavae on one thread');
    }
    if (!simdSupported()) throw new WavaeError('BACKEND_UNAVAILABLE', "backend 'wasm' needs SIMD WebAssembly, which this engine does not validate; use 'js'");
    const threaded = await threadedFactory(threads);
    be = new Backend(threaded.kernels);
    close = threaded.close;
  } else {
    be = await createBackend(name, { strict: options.strict ?? false });
  }
  closeActive?.();
  closeActive = close;
  setActiveBackend(be, threads);
  return be.name;
}

/** Stops the active backend: terminates kernel threads; use init() again before more work. */
export function shutdown(): void {
  closeActive?.();
  closeActive = null;
  clearActiveBackend();
}
