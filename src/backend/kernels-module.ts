// The kernels' WebAssembly module: the bytes embedded by the build (base64, generated from
// assembly/), decoded and compiled once. Kept apart from wasm.ts so that a Worker, which receives
// the compiled module from the page, does not carry the bytes a second time.
import { KERNELS_RELAXED_WASM_BASE64 } from './generated/kernels_relaxed_wasm.js';
import { KERNELS_WASM_BASE64 } from './generated/kernels_wasm.js';

/** Bytes from base64 (how the build embeds every wasm module). */
export function decodeBase64(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The kernel module's bytes, decoded from the generated base64 module. */
export function kernelsWasmBytes(): Uint8Array<ArrayBuffer> {
  return decodeBase64(KERNELS_WASM_BASE64);
}

let relaxed: Promise<WebAssembly.Module | null> | null = null;

/**
 * The relaxed-SIMD GEMM module (fused multiply-add), or null where the engine does not validate
 * relaxed SIMD (Node 20 without --experimental-wasm-relaxed-simd; Chromium and Node 22+ do).
 */
export function relaxedGemmModule(): Promise<WebAssembly.Module | null> {
  relaxed ??= (async () => {
    const bytes = decodeBase64(KERNELS_RELAXED_WASM_BASE64);
    try {
      return WebAssembly.validate(bytes) ? await WebAssembly.compile(bytes) : null;
    } catch {
      return null;
    }
  })();
  return relaxed;
}

let compiled: Promise<WebAssembly.Module> | null = null;

/** The compiled kernels module (compiled on first use, then shared). */
export function kernelsModule(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(kernelsWasmBytes());
  return compiled;
}
