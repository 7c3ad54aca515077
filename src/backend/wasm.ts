// The WebAssembly backend: instantiates the SIMD kernels (assembly/, compiled by
// kernels-module.ts) and forwards each op with offsets converted from floats to bytes. Owns the wasm
// memory; f32 is replaced after every growth so that no caller keeps a detached view.
import type { BackendName, Kernels } from './kernels.js';
import { GEMM_MR, OP, PARTIALS, partition, sumsqBlock } from './split-ops.js';

/** The raw exports of build/kernels.wasm: byte offsets, dimensions, numbers. */
interface WasmExports {
  memory: WebAssembly.Memory;
  heap_base(): number;
  gemm_workspace_floats(): number;
  gemm_set_workspace(ptr: number): void;
  [kernel: string]: unknown;
}

type KernelFn = (...args: number[]) => number;

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
  private readonly x: Record<string, KernelFn>;
  private readonly args = new Float64Array(16);
  private readonly workspace: number;
  private gemmFn: KernelFn;

  constructor(exports: WasmExports, readonly threads = 1) {
    this.memory = exports.memory;
    this.x = exports as unknown as Record<string, KernelFn>;
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
    this.gemmFn = this.x.gemm_f32;
  }

  /** Routes gemm_f32 to a relaxed-SIMD module sharing this memory (one GEMM at a time: the same workspace). */
  useRelaxedGemm(exports: WasmExports): void {
    exports.gemm_set_workspace(this.workspace);
    this.gemmFn = (exports as unknown as Record<string, KernelFn>).gemm_f32;
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

  gemm_f32(transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number,
    bias: number, act: number, actAlpha: number): void {
    const op = this.runner && m * n * k >= SPLIT_GEMM_MADDS ? (n >= 32 ? OP.gemm : this.rowParts(m) ? OP.gemmRows : -1) : -1;
    if (op >= 0) {
      const g = this.args;
      g[0] = transA; g[1] = transB; g[2] = m; g[3] = n; g[4] = k; g[5] = alpha; g[6] = a * 4; g[7] = lda;
      g[8] = b * 4; g[9] = ldb; g[10] = beta; g[11] = c * 4; g[12] = ldc; g[13] = bias * 4; g[14] = act; g[15] = actAlpha;
      this.runner!.run(op, g, 2 * m * n * k);
      return;
    }
    this.gemmFn(transA, transB, m, n, k, alpha, a * 4, lda, b * 4, ldb, beta, c * 4, ldc, bias * 4, act, actAlpha);
  }
  bias_act_f32(out: number, inp: number, bias: number, rows: number, cols: number, act: number, actAlpha: number): void {
    this.x.bias_act_f32(out * 4, inp * 4, bias * 4, rows, cols, act, actAlpha);
  }
  act_backward_f32(dinp: number, dout: number, out: number, len: number, act: number, actAlpha: number): void {
    this.x.act_backward_f32(dinp * 4, dout * 4, out * 4, len, act, actAlpha);
  }
  col_sum_f32(out: number, inp: number, rows: number, cols: number, beta: number): void {
    this.x.col_sum_f32(out * 4, inp * 4, rows, cols, beta);
  }
  scale_f32(x: number, alpha: number, len: number): void {
    this.x.scale_f32(x * 4, alpha, len);
  }
  axpy_f32(y: number, alpha: number, x: number, len: number): void {
    this.x.axpy_f32(y * 4, alpha, x * 4, len);
  }
  fill_f32(x: number, value: number, len: number): void {
    this.x.fill_f32(x * 4, value, len);
  }
  copy_f32(dst: number, src: number, len: number): void {
    this.x.copy_f32(dst * 4, src * 4, len);
  }
  /** Sum of squares in blocks of sumsqBlock(len) floats, the block sums added in order (float64), on any number of threads. */
  sumsq_f32(x: number, len: number): number {
    const block = sumsqBlock(len);
    if (len <= block) return this.x.sumsq_f32(x * 4, len);
    const blocks = Math.ceil(len / block);
    let total = 0;
    if (this.splits(len)) {
      this.split(OP.sumsq, len, [x * 4, len, block]);
      const partials = new Float64Array(this.memory.buffer, this.partials, blocks);
      for (let b = 0; b < blocks; b++) total += partials[b];
    } else {
      for (let b = 0; b < blocks; b++) total += this.x.sumsq_f32((x + b * block) * 4, Math.min(block, len - b * block));
    }
    return total;
  }
  bce_logits_f32(dlogit: number, rowloss: number, logit: number, target: number, rows: number, cols: number, gscale: number): number {
    if (rowloss && rows > 1 && this.splits(rows * cols)) return this.splitRows(OP.bce, rowloss, rows, [dlogit * 4, rowloss * 4, logit * 4, target * 4, rows, cols, gscale]);
    return this.x.bce_logits_f32(dlogit * 4, rowloss * 4, logit * 4, target * 4, rows, cols, gscale);
  }
  sse_f32(dpred: number, rowloss: number, pred: number, target: number, rows: number, cols: number, gscale: number): number {
    if (rowloss && rows > 1 && this.splits(rows * cols)) return this.splitRows(OP.sse, rowloss, rows, [dpred * 4, rowloss * 4, pred * 4, target * 4, rows, cols, gscale]);
    return this.x.sse_f32(dpred * 4, rowloss * 4, pred * 4, target * 4, rows, cols, gscale);
  }
  gauss_nll_f32(dmean: number, dlogvar: number, rowloss: number, mean: number, logvar: number, x: number, rows: number, cols: number, gscale: number): number {
    return this.x.gauss_nll_f32(dmean * 4, dlogvar * 4, rowloss * 4, mean * 4, logvar * 4, x * 4, rows, cols, gscale);
  }
  kl_normal_f32(dmean: number, dlogvar: number, rowloss: number, mean: number, logvar: number, rows: number, cols: number, gscale: number): number {
    return this.x.kl_normal_f32(dmean * 4, dlogvar * 4, rowloss * 4, mean * 4, logvar * 4, rows, cols, gscale);
  }
  reparam_f32(z: number, mean: number, logvar: number, eps: number, len: number): void {
    this.x.reparam_f32(z * 4, mean * 4, logvar * 4, eps * 4, len);
  }
  reparam_backward_f32(dmean: number, dlogvar: number, dz: number, logvar: number, eps: number, len: number): void {
    this.x.reparam_backward_f32(dmean * 4, dlogvar * 4, dz * 4, logvar * 4, eps * 4, len);
  }
  sgd_f32(param: number, grad: number, len: number, lr: number, wd: number): void {
    if (this.splits(len)) this.split(OP.sgd, len, [param * 4, grad * 4, len, lr, wd]);
    else this.x.sgd_f32(param * 4, grad * 4, len, lr, wd);
  }
  sgd_momentum_f32(param: number, vel: number, grad: number, len: number, lr: number, momentum: number, wd: number, nesterov: number): void {
    if (this.splits(len)) this.split(OP.sgdMomentum, len, [param * 4, vel * 4, grad * 4, len, lr, momentum, wd, nesterov]);
    else this.x.sgd_momentum_f32(param * 4, vel * 4, grad * 4, len, lr, momentum, wd, nesterov);
  }
  adam_f32(param: number, m: number, v: number, grad: number, len: number, lr: number, beta1: number, beta2: number,
    eps: number, wd: number, stepSize: number, invSqrtBc2: number, decoupled: number): void {
    if (this.splits(len)) this.split(OP.adam, len, [param * 4, m * 4, v * 4, grad * 4, len, lr, beta1, beta2, eps, wd, stepSize, invSqrtBc2, decoupled]);
    else this.x.adam_f32(param * 4, m * 4, v * 4, grad * 4, len, lr, beta1, beta2, eps, wd, stepSize, invSqrtBc2, decoupled);
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

  /** Runs loss `op` on the threads by rows; its total, as the kernel sums it: the float32 row losses in order, in float64. */
  private splitRows(op: number, rowloss: number, rows: number, args: number[]): number {
    this.split(op, rows * args[5], args);
    let total = 0;
    for (let r = 0; r < rows; r++) total += this.f32[rowloss + r];
    return total;
  }

  /** Runs elementwise op `op` (split-ops.ts) on the threads; args as the export takes them. */
  private split(op: number, len: number, args: number[]): void {
    this.args.set(args);
    this.runner!.run(op, this.args, len * 16);
  }
}

function align64(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}
