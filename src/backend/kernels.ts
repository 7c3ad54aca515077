// The kernel set both backends implement with identical semantics: wasm.ts (AssemblyScript,
// SIMD) and js.ts (the readable reference), one function per entry of the kernel table
// (kernel-table.ts, which gives every argument and shape). Offsets and lengths are in floats,
// into one float32 heap; offset 0 means "none" for optional buffers (the heap never hands out
// offset 0). Nothing here checks arguments: backend.ts does that before every call.
import type { KernelName } from './kernel-table.js';

/** Which implementation runs the kernels. */
export type BackendName = 'wasm' | 'js';

/** Activation functions of the fused epilogue and of act_backward. */
export type Act = 'identity' | 'relu' | 'leaky_relu' | 'sigmoid' | 'tanh';

/** Activation codes shared with assembly/activations.ts. */
export const ACT_CODE: Readonly<Record<Act, number>> = { identity: 0, relu: 1, leaky_relu: 2, sigmoid: 3, tanh: 4 };

/** A kernel as both backends implement it: float offsets, dimensions and numbers, in the table's order. */
export type KernelFn = (...args: number[]) => number | void;

/** The kernels of one backend: the memory they run on, and one function per entry of the kernel table. */
export type Kernels = KernelHost & { readonly [K in KernelName]: KernelFn };

/** What a backend's kernels run on. */
export interface KernelHost {
  readonly name: BackendName;
  /** Which build runs the kernels: 'js', 'simd', or 'relaxed-simd' (GEMM with fused multiply-add). */
  readonly variant: 'js' | 'simd' | 'relaxed-simd';
  /** Threads the kernels run on (the calling one included). */
  readonly threads: number;
  /** The float32 view of the whole heap; a new view after every grow(). */
  readonly f32: Float32Array;
  /** First float offset usable by the allocator (after static data and the gemm workspace). */
  readonly base: number;
  /** Grows the heap to hold at least `floats` floats. Returns false if the engine refuses. */
  grow(floats: number): boolean;
}
