// What the kernel threads run (threads.ts, thread-main.ts): which kernels split, and how. Each
// output element is computed by exactly one thread with the same arithmetic as on one thread, in
// parts fixed by the thread count alone, so results are bitwise identical for any number of
// threads.

/** Thread t's part [i0, i1) of n columns or elements, in whole blocks (8-column GEMM tiles, 16-float blocks). */
export function partition(n: number, threads: number, t: number, block = 8): [number, number] {
  const chunk = Math.ceil(Math.ceil(n / threads) / block) * block;
  return [Math.min(n, t * chunk), Math.min(n, (t + 1) * chunk)];
}

/**
 * The kernels the pool splits, by op number (the job's first slot); positions are of the
 * kernel's arguments (byte offsets, counts). The GEMM splits by columns of C (`len`: n), or
 * for narrow outputs by rows of C (`gemmRows`, `len`: m; every part more than GEMM_MR rows). Range
 * ops split by elements (`len`), moving `ptrs`. Row ops split by rows (`len`: rows, `cols`),
 * moving `ptrs` (rows x cols; 0 stays 0: skipped) and `rowPtrs` (one float per row). Block
 * reductions (sum of squares of `len` floats from argument 0, in blocks of `cols` floats) split
 * by blocks and write each block's result to `partials`, which the caller sums in order.
 */
export const SPLIT_OPS = [
  { name: 'gemm_f32', kind: 'gemm', len: 3, args: 16, ptrs: [], rowPtrs: [], cols: 0 },
  { name: 'adam_f32', kind: 'range', len: 4, args: 13, ptrs: [0, 1, 2, 3], rowPtrs: [], cols: 0 },
  { name: 'sgd_momentum_f32', kind: 'range', len: 3, args: 8, ptrs: [0, 1, 2], rowPtrs: [], cols: 0 },
  { name: 'sgd_f32', kind: 'range', len: 2, args: 5, ptrs: [0, 1], rowPtrs: [], cols: 0 },
  { name: 'bce_logits_f32', kind: 'rows', len: 4, args: 7, ptrs: [0, 2, 3], rowPtrs: [1], cols: 5 },
  { name: 'sse_f32', kind: 'rows', len: 4, args: 7, ptrs: [0, 2, 3], rowPtrs: [1], cols: 5 },
  { name: 'gemm_f32', kind: 'gemmRows', len: 2, args: 16, ptrs: [], rowPtrs: [], cols: 0 },
  { name: 'sumsq_f32', kind: 'blocks', len: 1, args: 3, ptrs: [], rowPtrs: [], cols: 2 },
] as const;

/** Op numbers of SPLIT_OPS. */
export const OP = { gemm: 0, adam: 1, sgdMomentum: 2, sgd: 3, bce: 4, sse: 5, gemmRows: 6, sumsq: 7 } as const;

/** Floats per block of a blocked sum of squares (a multiple of 16; more for huge lengths, so that PARTIALS blocks hold any length). */
export function sumsqBlock(len: number): number {
  return Math.max(16384, Math.ceil(len / PARTIALS / 16) * 16);
}

/** Float64 slots for the partial sums of a blocked reduction. */
export const PARTIALS = 4096;

/** Rows of the GEMM's register tile: a part of a row split must have more, or it would take the unpacked path (other arithmetic). */
export const GEMM_MR = 5;

/** Thread t's part of the job (op number, then the kernel's arguments with byte offsets); fns are the kernels of SPLIT_OPS. */
export function runPart(fns: ((...args: number[]) => number)[], job: Float64Array, threads: number, t: number, partials: Float64Array): void {
  const op = job[0];
  const spec = SPLIT_OPS[op];
  const args = Array.from(job.subarray(1, 1 + spec.args));
  if (spec.kind === 'blocks') { // blocks [b0, b1) of args[len] floats
    const [len, block] = [args[spec.len], args[spec.cols]];
    const [b0, b1] = partition(Math.ceil(len / block), threads, t, 1);
    for (let b = b0; b < b1; b++) partials[b] = fns[op](args[0] + b * block * 4, Math.min(block, len - b * block));
    return;
  }
  const n = job[1 + spec.len];
  const [i0, i1] = partition(n, threads, t, spec.kind === 'range' ? 16 : spec.kind === 'rows' ? 1 : 8);
  if (i1 <= i0) return;
  args[spec.len] = i1 - i0;
  if (spec.kind === 'gemm') { // columns [i0, i1) of C
    args[8] += args[1] ? i0 * args[9] * 4 : i0 * 4; // b: rows of B^T, or columns of B
    args[11] += i0 * 4; // c
    if (args[13]) args[13] += i0 * 4; // bias
  } else if (spec.kind === 'gemmRows') { // rows [i0, i1) of C
    args[6] += args[0] ? i0 * 4 : i0 * args[7] * 4; // a: columns of A^T, or rows of A
    args[11] += i0 * args[12] * 4; // c
  } else {
    const stride = spec.kind === 'rows' ? args[spec.cols] * 4 : 4;
    for (const p of spec.ptrs) if (args[p]) args[p] += i0 * stride;
    for (const p of spec.rowPtrs) if (args[p]) args[p] += i0 * 4;
  }
  fns[op](...args);
}
