// The kernels' WebAssembly modules: the bytes embedded by the build (zlib deflate, then base64,
// generated from assembly/), inflated with the platform's DecompressionStream, decoded and compiled once; their shared-memory forms (threads) are derived from
// the same bytes (shared-module.ts). Kept apart from wasm.ts so that a Worker, which receives the
// compiled modules from the page, does not carry the bytes a second time.
import { KERNELS_RELAXED_WASM_DEFLATED } from './generated/kernels_relaxed_wasm.js';
import { KERNELS_WASM_DEFLATED } from './generated/kernels_wasm.js';
import { sharedMemoryModule } from './shared-module.js';

/** Bytes from base64 (how the build embeds every wasm module). */
export function decodeBase64(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** True where the embedded modules can be inflated: DecompressionStream('deflate') (Node 18+, every browser with SIMD WebAssembly but Firefox before 113). */
export function canInflate(): boolean {
  try {
    return typeof Response === 'function' && typeof Blob === 'function' && new DecompressionStream('deflate') instanceof DecompressionStream;
  } catch {
    return false;
  }
}

/** The bytes of a module the build embedded (zlib deflate, then base64). */
async function inflate(deflated: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([decodeBase64(deflated)]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

let kernelBytes: Promise<Uint8Array<ArrayBuffer>> | null = null;
/** The kernel module's bytes, inflated from the generated module once (callers must not write them); a failure is not kept, so a later call tries again. */
export function kernelsWasmBytes(): Promise<Uint8Array<ArrayBuffer>> {
  const p = (kernelBytes ??= inflate(KERNELS_WASM_DEFLATED));
  p.catch(() => { if (kernelBytes === p) kernelBytes = null; });
  return p;
}

/** How the kernels are compiled: WebAssembly.compile, unless the platform's entry sets its own (the Node entry does: node.ts). */
let compiler: (bytes: Uint8Array<ArrayBuffer>) => Promise<WebAssembly.Module> = (bytes) => WebAssembly.compile(bytes);

/** Sets how the kernels are compiled, for modules not compiled yet (the Node entry's workaround for V8's dynamic tiering). */
export function setKernelCompiler(compile: (bytes: Uint8Array<ArrayBuffer>) => Promise<WebAssembly.Module>): void {
  compiler = compile;
  cache.clear();
}

/** Compiles the bytes `make` returns, or null where they cannot be made or the engine does not validate them. */
async function compileIfValid(make: () => Promise<Uint8Array<ArrayBuffer>>): Promise<WebAssembly.Module | null> {
  try {
    const bytes = await make();
    return WebAssembly.validate(bytes) ? await compiler(bytes) : null;
  } catch {
    return null;
  }
}

const cache = new Map<string, Promise<WebAssembly.Module | null>>();
/** make() once per key; a failure is not kept, so a later call tries again. */
function once(key: string, make: () => Promise<WebAssembly.Module | null>): Promise<WebAssembly.Module | null> {
  let p = cache.get(key);
  if (!p) {
    const made = make();
    made.catch(() => { if (cache.get(key) === made) cache.delete(key); });
    cache.set(key, (p = made));
  }
  return p;
}

/** The compiled kernels module (compiled on first use, then shared). */
export async function kernelsModule(): Promise<WebAssembly.Module> {
  return (await once('kernels', async () => compiler(await kernelsWasmBytes())))!;
}

/**
 * The relaxed-SIMD GEMM module (fused multiply-add), or null where the engine does not validate
 * relaxed SIMD (Node 20 without --experimental-wasm-relaxed-simd; Chromium and Node 22+ do).
 */
export function relaxedGemmModule(): Promise<WebAssembly.Module | null> {
  return once('relaxed', () => compileIfValid(() => inflate(KERNELS_RELAXED_WASM_DEFLATED)));
}

/** The kernels on a shared memory (threads), or null where the engine has no shared memory. */
export function sharedKernelsModule(): Promise<WebAssembly.Module | null> {
  return once('kernels-shared', () => compileIfValid(async () => sharedMemoryModule(await kernelsWasmBytes())));
}

/** The relaxed-SIMD GEMM on a shared memory, or null (no relaxed SIMD or no shared memory). */
export function sharedRelaxedGemmModule(): Promise<WebAssembly.Module | null> {
  return once('relaxed-shared', () => compileIfValid(async () => sharedMemoryModule(await inflate(KERNELS_RELAXED_WASM_DEFLATED))));
}
