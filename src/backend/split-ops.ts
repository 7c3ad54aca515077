// What the kernel threads run (threads.ts, thread-main.ts): which kernels split, and how, as the
// kernel table (kernel-table.ts) says. Each output element is computed by exactly one thread with
// the same arithmetic as on one thread, in parts fixed by the thread count alone, so results are
// bitwise identical for any number of threads.
import { KERNELS, KERNEL_NAMES, argIndex, bufferPositions, kernelSpec, type KernelName, type KernelSpec } from './kernel-table.js';

/** Thread t's part [i0, i1) of n columns or elements, in whole blocks (8-column GEMM tiles, 16-float blocks). */
export function partition(n: number, threads: number, t: number, block = 8): [number, number] {
  const chunk = Math.ceil(Math.ceil(n / threads) / block) * block;
  return [Math.min(n, t * chunk), Math.min(n, (t + 1) * chunk)];
}

/** How a split job moves one buffer argument for part [i0, i1): by i0 times the product of `dims` (argument positions) floats. */
interface Move {
  readonly pos: number;
  readonly dims: readonly number[];
}

/**
 * A kernel the pool splits: 'gemm' by columns of C (`len`: n), 'gemmRows' for tall or narrow outputs
 * by rows of C (`len`: m; every part more than GEMM_MR rows); 'range' by elements of `len` and
 * 'rows' by rows (`len`: rows), moving the buffers as `moves` says; 'blocks' (a sum of squares of
 * `len` floats from argument 0, in blocks of argument `block` floats) by blocks, each block's
 * result going to `partials`, which the caller sums in order. Positions are of the kernel's
 * arguments; buffers are byte offsets.
 */
export interface SplitOp {
  readonly name: KernelName;
  readonly kind: 'gemm' | 'gemmRows' | 'range' | 'rows' | 'blocks';
  readonly args: number;
  readonly len: number;
  readonly moves: readonly Move[];
}

function splitOps(name: KernelName): SplitOp[] {
  const spec: KernelSpec = KERNELS[name];
  const split = spec.split;
  if (!split) return [];
  const args = spec.args.length;
  const at = (arg: string): number => argIndex(name, arg);
  switch (split.by) {
    case 'gemm':
      return [{ name, kind: 'gemm', args, len: at('n'), moves: [] }, { name, kind: 'gemmRows', args, len: at('m'), moves: [] }];
    case 'range':
      return [{ name, kind: 'range', args, len: at(split.len), moves: bufferPositions(name).map((pos) => ({ pos, dims: [] })) }];
    case 'rows': { // buffers whose shape starts with the rows argument move by whole rows
      const moves = bufferPositions(name).flatMap((pos) => {
        const a = spec.args[pos];
        return a.kind === 'buf' && a.shape[0] === split.rows ? [{ pos, dims: a.shape.slice(1).map((d) => at(String(d))) }] : [];
      });
      return [{ name, kind: 'rows', args, len: at(split.rows), moves }];
    }
    case 'blocks':
      return [{ name, kind: 'blocks', args: args + 1, len: at(split.len), moves: [] }];
  }
}

/** The kernels the pool splits, by op number (the job's first slot): the table's order. */
export const SPLIT_OPS: readonly SplitOp[] = KERNEL_NAMES.flatMap(splitOps);

/** The export each split op runs: from the relaxed-SIMD module where there is one and the table marks the kernel `relaxed`. */
export function splitFns(plain: WebAssembly.Instance, fused: WebAssembly.Instance | null): ((...args: number[]) => number)[] {
  return SPLIT_OPS.map((op) => (fused && kernelSpec(op.name).relaxed ? fused : plain).exports[op.name] as (...args: number[]) => number);
}

/** The op number of kernel `name` split as `kind`. */
export function opNumber(name: KernelName, kind: SplitOp['kind']): number {
  const i = SPLIT_OPS.findIndex((op) => op.name === name && op.kind === kind);
  if (i < 0) throw new Error(`${name} does not split by ${kind}`);
  return i;
}

/** Floats per block of a blocked sum of squares (a multiple of 16; more for huge lengths, so that PARTIALS blocks hold any length). */
export function sumsqBlock(len: number): number {
  return Math.max(16384, Math.ceil(len / PARTIALS / 16) * 16);
}

/** Float64 slots for the partial sums of a blocked reduction. */
export const PARTIALS = 4096;

/** Rows of the GEMM's register tile: a part of a row split must have more, or it would take the unpacked path (other arithmetic). */
export const GEMM_MR = 5;

// positions of the arguments that a split moves, the same in every 'gemm' kernel (gemm_f32, gemm_sparse_f32)
const G = Object.fromEntries(['transA', 'transB', 'a', 'lda', 'b', 'ldb', 'c', 'ldc', 'bias'].map((n) => [n, argIndex('gemm_f32', n)])) as Record<string, number>;
for (const op of SPLIT_OPS) {
  if (op.kind === 'gemm' && Object.entries(G).some(([n, i]) => argIndex(op.name, n) !== i)) throw new Error(`${op.name}: gemm arguments out of gemm_f32's order`);
}

/**
 * Thread t's part of the job (op number, then the kernel's arguments with byte offsets; a
 * 'blocks' job adds the block size); fns are the kernels of SPLIT_OPS.
 */
export function runPart(fns: ((...args: number[]) => number)[], job: Float64Array, threads: number, t: number, partials: Float64Array): void {
  const op = job[0];
  const spec = SPLIT_OPS[op];
  const args = Array.from(job.subarray(1, 1 + spec.args));
  if (spec.kind === 'blocks') { // blocks [b0, b1) of `block` floats
    const [len, block] = [args[spec.len], args[spec.args - 1]];
    const [b0, b1] = partition(Math.ceil(len / block), threads, t, 1);
    for (let b = b0; b < b1; b++) partials[b] = fns[op](args[0] + b * block * 4, Math.min(block, len - b * block));
    return;
  }
  const n = args[spec.len];
  const [i0, i1] = partition(n, threads, t, spec.kind === 'range' ? 16 : spec.kind === 'rows' ? 1 : 8);
  if (i1 <= i0) return;
  args[spec.len] = i1 - i0;
  if (spec.kind === 'gemm') { // columns [i0, i1) of C
    args[G.b] += args[G.transB] ? i0 * args[G.ldb] * 4 : i0 * 4; // b: rows of B^T, or columns of B
    args[G.c] += i0 * 4;
    if (args[G.bias]) args[G.bias] += i0 * 4;
  } else if (spec.kind === 'gemmRows') { // rows [i0, i1) of C
    args[G.a] += args[G.transA] ? i0 * 4 : i0 * args[G.lda] * 4; // a: columns of A^T, or rows of A
    args[G.c] += i0 * args[G.ldc] * 4;
  } else {
    for (const { pos, dims } of spec.moves) {
      if (!args[pos]) continue; // an absent optional buffer stays absent
      let stride = 4;
      for (const d of dims) stride *= job[1 + d]; // the whole job's dimensions, not the part's
      args[pos] += i0 * stride;
    }
  }
  fns[op](...args);
}
