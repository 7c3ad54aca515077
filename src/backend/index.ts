// Backend selection: init() picks 'wasm' when the engine validates SIMD WebAssembly, else 'js';
// init({ backend }) forces one; backendName() tells which is active.
import { WavaeError, checkKeys, describe } from '../errors.js';
import { Backend } from './backend.js';
import { JsKernels } from './js.js';
import type { BackendName } from './kernels.js';
import { createWasmKernels, simdSupported } from './wasm.js';
import { kernelsModule } from './kernels-module.js';
import { setActiveBackend } from './active.js';

export { Backend } from './backend.js';
export type { Buf } from './backend.js';
export type { Act, BackendName } from './kernels.js';
export { backendName, getBackend } from './active.js';

/** Options of init(). */
export interface InitOptions {
  /** Force a backend; default: 'wasm' where SIMD WebAssembly validates, else 'js'. */
  backend?: BackendName;
}

/** Creates a backend of the given kind (independent heap); 'wasm' fails where SIMD is missing. */
export async function createBackend(name: BackendName): Promise<Backend> {
  if (name === 'js') return new Backend(new JsKernels());
  if (name !== 'wasm') {
    throw new WavaeError('INVALID_OPTION', `backend must be 'wasm' or 'js', got ${describe(name)}`);
  }
  if (!simdSupported()) {
    throw new WavaeError('BACKEND_UNAVAILABLE', "backend 'wasm' needs SIMD WebAssembly, which this engine does not validate; use 'js'");
  }
  try {
    return new Backend(await createWasmKernels(await kernelsModule()));
  } catch (err) {
    throw new WavaeError('BACKEND_UNAVAILABLE', `backend 'wasm' failed to start: ${(err as Error).message}`);
  }
}

/** Starts wavae: 'wasm' if SIMD WebAssembly is supported, else 'js'; { backend } forces one. */
export async function init(options: InitOptions = {}): Promise<BackendName> {
  if (typeof options !== 'object' || options === null) {
    throw new WavaeError('INVALID_OPTION', `init: options must be an object, got ${describe(options)}`);
  }
  checkKeys('init', options, ['backend']);
  const name = options.backend ?? (simdSupported() ? 'wasm' : 'js');
  const be = await createBackend(name);
  setActiveBackend(be);
  return be.name;
}
