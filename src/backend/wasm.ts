// The WebAssembly backend: instantiates the SIMD kernels (assembly/, compiled by
// kernels-module.ts) and forwards each op with offsets converted from floats to bytes. Owns the wasm
// memory; f32 is replaced after every growth so that no caller keeps a detached view.
import type { BackendName, KernelFn, Kernels } from './kernels.js';
import { KERNEL_NAMES, argIndex, bufferPositions, kernelSpec, type KernelName } from './kernel-table.js';
import { GEMM_MR, PARTIALS, SPLIT_OPS, opNumber, partition, sumsqBlock } from './split-ops.js';

/** The raw exports of build/kernels.wasm: byte offsets, dimensions, numbers. */
interface WasmExports {
  memory: WebAssembly.Memory;
  heap_base(): number;
  gemm_workspace_floats(): number;
  gemm_set_workspace(ptr: number): void;
  [kernel: string]: unknown;
}


/** The smallest module using a v128 instruction: validates only where SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** True when this engine validates SIMD WebAssembly. */
export function simdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

const PAGE = 65536;

/** Bytes reserved for the thread pool's control block (threads.ts). */
export const CONTROL_BLOCK_BYTES = 512;

/**
 * Instantiates the SIMD kernels from a compiled module (see kernels-module.ts); with a
 * relaxed-SIMD GEMM module, its gemm_f32 (fused multiply-add) replaces the strict one.
 */
export async function createWasmKernels(module: WebAssembly.Module, relaxedGemm: WebAssembly.Module | null = null): Promise<Kernels> {
  const instance = await WebAssembly.instantiate(module, {});
  const kernels = new WasmKernels(instance.exports as unknown as WasmExports);
  if (relaxedGemm) {
    const gemm = await WebAssembly.instantiate(relaxedGemm, { env: { memory: (instance.exports as unknown as WasmExports).memory } });
    kernels.useRelaxedGemm(gemm.exports as unknown as WasmExports);
  }
  return kernels;
}

/** Splits a kernel across threads (threads.ts): op number (split-ops.ts), the export's arguments, about its flops. */
export interface KernelRunner {
  run(op: number, args: Float64Array, work: number): void;
}

/** Below these sizes, waking threads costs more than it saves (measured at the VAE's shapes): GEMMs in multiply-adds, other kernels in elements. */
const SPLIT_GEMM_MADDS = 1 << 19;
const SPLIT_ELEMENTS = 1 << 15;

/** One forwarder per kernel of the table (set by the constructor). */
export interface WasmKernels extends Record<KernelName, KernelFn> {}

/** The kernels over one wasm instance; with shared memory, extra workspaces for other threads. */
export class WasmKernels implements Kernels {
  readonly name: BackendName = 'wasm';
  /** 'simd', or 'relaxed-simd' when the GEMM uses fused multiply-add. */
  variant: 'simd' | 'relaxed-simd' = 'simd';
  readonly base: number;
  f32: Float32Array;
  /** Byte offsets of the gemm workspaces of threads 1.. (thread 0, this instance, uses its own). */
  readonly threadWorkspaces: number[] = [];
  /** Byte offset of CONTROL_BLOCK_BYTES for thread coordination (shared memory only). */
  readonly control: number;
  /** Byte offset of PARTIALS float64 slots for the threads' block sums. */
  readonly partials: number;
  /** Set by a thread pool: gemm calls then go to it. */
  runner: KernelRunner | null = null;
  private readonly memory: WebAssembly.Memory;
  /** The exports each forwarder calls (gemm_f32 from the relaxed-SIMD module where it runs). */
  private readonly fns: Record<KernelName, (...args: number[]) => number>;
  private readonly args = new Float64Array(24);
  private readonly workspace: number;

  constructor(exports: WasmExports, readonly threads = 1) {
    this.memory = exports.memory;
    this.fns = {} as Record<KernelName, (...args: number[]) => number>;
    for (const name of KERNEL_NAMES) {
      if (typeof exports[name] !== 'function') throw new Error(`the kernels module has no export ${name}`);
      this.fns[name] = exports[name] as (...args: number[]) => number;
      this[name] = this.forwarder(name);
    }
    const wsBytes = align64(exports.gemm_workspace_floats() * 4);
    const ws = align64(exports.heap_base());
    for (let t = 1; t < threads; t++) this.threadWorkspaces.push(ws + t * wsBytes);
    this.control = ws + threads * wsBytes;
    this.partials = align64(this.control + CONTROL_BLOCK_BYTES);
    this.base = align64(this.partials + PARTIALS * 8) / 4;
    this.f32 = new Float32Array(this.memory.buffer);
    if (!this.grow(this.base + 1024)) throw new Error('cannot allocate the gemm workspace');
    exports.gemm_set_workspace(ws);
    this.workspace = ws;
  }

  /** Routes the table's `relaxed` kernels (the GEMMs) to a relaxed-SIMD module sharing this memory (one GEMM at a time: the same workspace). */
  useRelaxedGemm(exports: WasmExports): void {
    exports.gemm_set_workspace(this.workspace);
    for (const name of KERNEL_NAMES) {
      if (!kernelSpec(name).relaxed) continue;
      if (typeof exports[name] !== 'function') throw new Error(`the relaxed-SIMD module has no export ${name}`);
      this.fns[name] = exports[name] as (...args: number[]) => number;
    }
    this.variant = 'relaxed-simd';
  }

  grow(floats: number): boolean {
    const need = Math.ceil((floats * 4) / PAGE);
    const have = this.memory.buffer.byteLength / PAGE;
    if (need > have) {
      try {
        this.memory.grow(need - have);
      } catch {
        return false;
      }
    }
    if (this.f32.length * 4 !== this.memory.buffer.byteLength) {
      this.f32 = new Float32Array(this.memory.buffer);
    }
    return true;
  }

  /**
   * The forwarder of kernel `name`: float offsets to byte offsets, then the export, or the thread
   * pool where the table says the kernel splits and the call is large enough.
   */
  private forwarder(name: KernelName): KernelFn {
    const ptrs = bufferPositions(name);
    const split = kernelSpec(name).split;
    const direct = (a: number[]): number => {
      for (const p of ptrs) a[p] *= 4;
      return this.fns[name](...a);
    };
    if (!split) return (...a: number[]) => direct(a);
    switch (split.by) {
      case 'gemm': {
        const [cols, rows] = [opNumber(name, 'gemm'), opNumber(name, 'gemmRows')];
        const [m, n, k] = ['m', 'n', 'k'].map((d) => argIndex(name, d));
        return (...a: number[]) => {
          // by rows where C is taller than wide (each thread then packs its own rows of op(A) and all
          // of the smaller op(B), not all of op(A)), else by columns; narrow outputs by rows
          const op = !this.runner || a[m] * a[n] * a[k] < SPLIT_GEMM_MADDS ? -1
            : a[m] > a[n] && this.rowParts(a[m]) ? rows : a[n] >= 32 ? cols : this.rowParts(a[m]) ? rows : -1;
          if (op < 0) return direct(a);
          for (const p of ptrs) a[p] *= 4;
          this.split(op, a, 2 * a[m] * a[n] * a[k]);
        };
      }
      case 'range': {
        const op = opNumber(name, 'range');
        const len = argIndex(name, split.len);
        return (...a: number[]) => {
          if (!this.splits(a[len])) return direct(a);
          for (const p of ptrs) a[p] *= 4;
          this.split(op, a, a[len] * 16);
        };
      }
      case 'rows': { // a loss's total is re-summed from the float32 row losses in order, as the kernel sums it
        const op = opNumber(name, 'rows');
        const rows = argIndex(name, split.rows);
        const rowloss = split.rowloss === undefined ? -1 : argIndex(name, split.rowloss);
        const rowFloats = SPLIT_OPS[op].moves.reduce((most, mv) => (mv.pos !== rowloss && mv.dims.length > most.length ? mv.dims : most), [] as readonly number[]);
        return (...a: number[]) => {
          let size = a[rows];
          for (const d of rowFloats) size *= a[d];
          if (a[rows] < 2 || !this.splits(size)) return direct(a);
          if (rowloss < 0) {
            for (const p of ptrs) a[p] *= 4;
            this.split(op, a, size * 16);
            return;
          }
          if (!a[rowloss]) return direct(a);
          const [lossAt, n] = [a[rowloss], a[rows]];
          for (const p of ptrs) a[p] *= 4;
          this.split(op, a, size * 16);
          let total = 0;
          for (let r = 0; r < n; r++) total += this.f32[lossAt + r];
          return total;
        };
      }
      case 'blocks': { // a sum in blocks of sumsqBlock(len) floats, the block sums added in order (float64), on any number of threads
        const op = opNumber(name, 'blocks');
        const len = argIndex(name, split.len);
        return (...a: number[]) => {
          const n = a[len];
          const block = sumsqBlock(n);
          if (n <= block) return direct(a);
          const blocks = Math.ceil(n / block);
          const x = a[ptrs[0]];
          let total = 0;
          if (this.splits(n)) {
            this.split(op, [x * 4, n, block], n);
            const partials = new Float64Array(this.memory.buffer, this.partials, blocks);
            for (let b = 0; b < blocks; b++) total += partials[b];
          } else {
            for (let b = 0; b < blocks; b++) total += this.fns[name]((x + b * block) * 4, Math.min(block, n - b * block));
          }
          return total;
        };
      }
    }
  }

  /** True when m rows split into parts of more than GEMM_MR rows each (a narrow GEMM then splits by rows). */
  private rowParts(m: number): boolean {
    for (let t = 0; t < this.threads; t++) {
      const [i0, i1] = partition(m, this.threads, t, 8);
      if (i1 > i0 && i1 - i0 <= GEMM_MR) return false;
    }
    return true;
  }

  /** True when an elementwise kernel of `len` floats goes to the threads. */
  private splits(len: number): boolean {
    return this.runner !== null && len >= SPLIT_ELEMENTS;
  }

  /** Runs split op `op` (split-ops.ts) on the threads; args as the export takes them (byte offsets); work: about its flops. */
  private split(op: number, args: number[], work: number): void {
    this.args.set(args);
    this.runner!.run(op, this.args, work);
  }
}

function align64(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}
