// The kernels' WebAssembly module: the bytes embedded by the build (base64, generated from
// assembly/), decoded and compiled once. Kept apart from wasm.ts so that a Worker, which receives
// the compiled module from the page, does not carry the bytes a second time.
import { KERNELS_WASM_BASE64 } from './generated/kernels_wasm.js';

/** The kernel module's bytes, decoded from the generated base64 module. */
export function kernelsWasmBytes(): Uint8Array<ArrayBuffer> {
  const text = atob(KERNELS_WASM_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

let compiled: Promise<WebAssembly.Module> | null = null;

/** The compiled kernels module (compiled on first use, then shared). */
export function kernelsModule(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(kernelsWasmBytes());
  return compiled;
}
