// What the kernel threads run (threads.ts): which kernels split, and how. Each output element is
// computed by exactly one thread with the same arithmetic as on one thread, in parts fixed by
// the thread count alone, so results are bitwise identical for any number of threads. runPart and
// partition run in the threads as source, so they close over nothing.

/** Thread t's part [i0, i1) of n columns or elements, in whole blocks (8-column GEMM tiles, 16-float blocks). */
export function partition(n: number, threads: number, t: number, block = 8): [number, number] {
  const chunk = Math.ceil(Math.ceil(n / threads) / block) * block;
  return [Math.min(n, t * chunk), Math.min(n, (t + 1) * chunk)];
}

/**
 * The kernels the pool splits, by op number (the job's first slot). Op 0, the GEMM, splits by
 * columns of C; the others are elementwise and split by ranges of their length: `ptrs` are the
 * positions of their byte-offset arguments, `len` the position of the length, `args` the count.
 */
export const SPLIT_OPS = [
  { name: 'gemm_f32', ptrs: [], len: 3, args: 16 },
  { name: 'adam_f32', ptrs: [0, 1, 2, 3], len: 4, args: 13 },
  { name: 'sgd_momentum_f32', ptrs: [0, 1, 2], len: 3, args: 8 },
  { name: 'sgd_f32', ptrs: [0, 1], len: 2, args: 5 },
] as const;

/** Op numbers of SPLIT_OPS. */
export const OP = { gemm: 0, adam: 1, sgdMomentum: 2, sgd: 3 } as const;

/** Thread t's part of the job (op number, then the kernel's arguments with byte offsets); self-contained, it runs in the threads as source. */
export function runPart(fns: ((...args: number[]) => void)[], ops: typeof SPLIT_OPS, job: Float64Array, threads: number, t: number,
  part: typeof partition): void {
  const op = job[0];
  const spec = ops[op];
  const n = job[1 + spec.len];
  const args = Array.from(job.subarray(1, 1 + spec.args));
  if (op === 0) { // columns [j0, j1) of C
    const [j0, j1] = part(n, threads, t, 8);
    if (j1 <= j0) return;
    args[3] = j1 - j0;
    args[8] += args[1] ? j0 * args[9] * 4 : j0 * 4; // b: rows of B^T, or columns of B
    args[11] += j0 * 4; // c
    if (args[13]) args[13] += j0 * 4; // bias
  } else { // elements [i0, i1)
    const [i0, i1] = part(n, threads, t, 16);
    if (i1 <= i0) return;
    args[spec.len] = i1 - i0;
    for (const p of spec.ptrs) args[p] += i0 * 4;
  }
  fns[op](...args);
}
