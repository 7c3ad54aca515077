// Backend: the checked face of the kernels. Owns the heap allocator, validates every argument
// (dimensions, buffer lengths, heap ranges, aliasing: checks.ts, from the kernel table) and throws
// WavaeError before any kernel runs, so a bad call never becomes a wasm trap or silent garbage. Layers above this file work
// with Buf handles only; they never see pointers or views of linear memory.
import { WavaeError, checkInt } from '../errors.js';
import type { Rng } from '../random.js';
import { ACT_CODE, type Act, type BackendName, type Kernels } from './kernels.js';
import { HeapAllocator, type Buf } from './heap.js';
import { checkCall, type CallArg } from './checks.js';
import type { KernelName } from './kernel-table.js';

export type { Buf } from './heap.js';

/** The ops of one backend (wasm or js) over its float32 heap, with argument checks. */
export class Backend {
  readonly name: BackendName;
  private readonly heap: HeapAllocator;

  /** Which build runs the kernels: 'js', 'simd' or 'relaxed-simd'. */
  get variant(): 'js' | 'simd' | 'relaxed-simd' {
    return this.k.variant;
  }

  /** Threads the kernels run on (the calling one included). */
  get threads(): number {
    return this.k.threads;
  }

  constructor(private readonly k: Kernels) {
    this.name = k.name;
    this.heap = new HeapAllocator(k.base, (floats) => k.grow(floats));
  }

  // ---- memory -------------------------------------------------------------------------------

  /** Allocates `len` floats (contents unspecified). Grows the heap if needed: plan time only. */
  alloc(len: number): Buf {
    this.int('alloc', 'len', len, 1);
    return this.heap.alloc(len);
  }

  /** Grows the heap now so that `floats` more floats can be allocated; false if it cannot. */
  reserve(floats: number): boolean {
    return this.heap.reserve(floats);
  }

  /** Returns a buffer from alloc() to the heap. */
  free(buf: Buf): void {
    this.heap.release(buf);
  }

  /** A handle on floats [start, start + len) of buf. */
  view(buf: Buf, start: number, len: number): Buf {
    this.check('view', 'buf', buf);
    this.int('view', 'start', start, 0, buf.len);
    this.int('view', 'len', len, 1, buf.len - start);
    return { off: buf.off + start, len };
  }

  /** Floats currently allocated. */
  get allocatedFloats(): number {
    return this.heap.inUse;
  }

  /** Heap size in bytes (grows only when buffers are allocated). */
  get heapBytes(): number {
    return this.k.f32.length * 4;
  }

  /** A copy of buf's contents. */
  read(buf: Buf): Float32Array {
    this.check('read', 'buf', buf);
    return this.k.f32.slice(buf.off, buf.off + buf.len);
  }

  /** Copies data into buf starting at float `start`. */
  write(buf: Buf, data: ArrayLike<number>, start = 0): void {
    this.check('write', 'buf', buf);
    this.int('write', 'start', start, 0, buf.len);
    if (data.length > buf.len - start) {
      throw new WavaeError('SHAPE_MISMATCH', `write: ${data.length} values do not fit in ${buf.len - start} floats`);
    }
    this.k.f32.set(data, buf.off + start);
  }

  /** Fills buf with standard normal samples from rng (the one sampler of both backends). */
  randn(buf: Buf, rng: Rng): void {
    this.check('randn', 'buf', buf);
    rng.fillNormal(this.k.f32, buf.off, buf.len);
  }

  /**
   * Copies rows idx[start], ..., idx[start + n - 1] of src (row-major, `cols` values per row)
   * into the first n rows of dst: batch assembly without allocation.
   */
  gatherRows(dst: Buf, src: Float32Array, idx: Uint32Array, start: number, n: number, cols: number): void {
    this.int('gatherRows', 'n', n, 1);
    this.int('gatherRows', 'cols', cols, 1);
    this.check('gatherRows', 'dst', dst, n * cols);
    if (!(start >= 0 && start + n <= idx.length)) {
      throw new WavaeError('OUT_OF_RANGE', `gatherRows: rows [${start}, ${start + n}) exceed the index of ${idx.length} rows`);
    }
    const rows = src.length / cols;
    const h = this.k.f32;
    for (let r = 0; r < n; r++) {
      const row = idx[start + r];
      if (row >= rows) throw new WavaeError('OUT_OF_RANGE', `gatherRows: row ${row} is past the ${rows} rows of the source`);
      h.set(src.subarray(row * cols, (row + 1) * cols), dst.off + r * cols);
    }
  }

  /** Sets each element of x to 0 with probability p (masking noise), drawing from rng. */
  dropMask(x: Buf, rng: Rng, p: number): void {
    this.check('dropMask', 'x', x);
    if (!(p >= 0 && p < 1)) throw new WavaeError('INVALID_OPTION', `dropMask: p must be in [0, 1), got ${p}`);
    const h = this.k.f32;
    for (let i = x.off; i < x.off + x.len; i++) if (rng.uniform() < p) h[i] = 0;
  }

  // ---- kernels: each method puts its arguments in the export's order; run() checks them by the table

  /**
   * Runs kernel `name` (kernel-table.ts) with its arguments in the export's order: buffer handles
   * (null for an absent optional buffer) and numbers. Every argument is checked first.
   */
  run(name: KernelName, args: CallArg[]): number {
    const raw = checkCall(name, args, this.k.base, this.k.f32.length);
    return (this.k[name] as (...a: number[]) => number)(...raw);
  }

  /**
   * c (m, n) = act(alpha op(a) op(b) + beta c + bias (n)), all contiguous row-major.
   * op(a) is a (m, k), or a (k, m) transposed when transA; op(b) is b (k, n), or b (n, k)
   * transposed when transB. beta = 0 does not read c. c must not overlap a or b.
   */
  gemm_f32(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Buf, b: Buf, beta: number, c: Buf, bias: Buf | null = null, act: Act = 'identity', actAlpha = 0.01): void {
    this.gemmStrided_f32(transA, transB, m, n, k, alpha, a, transA ? m : k, b, transB ? k : n, beta, c, n, bias, act, actAlpha);
  }

  /**
   * gemm_f32 on matrices whose rows lie lda, ldb and ldc floats apart (at least their widths):
   * blocks of columns of wider matrices. A buffer holds (rows - 1) * ld + cols floats, from its
   * first element to its last: be.view(w, firstColumn, (rows - 1) * ld + cols).
   */
  gemmStrided_f32(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Buf, lda: number, b: Buf, ldb: number, beta: number, c: Buf, ldc: number, bias: Buf | null = null, act: Act = 'identity', actAlpha = 0.01): void {
    this.run('gemm_f32', [transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias,
      this.actCode('gemm_f32', act), actAlpha]);
  }

  /**
   * gemm_f32 (contiguous, as gemm_f32 above), bit for bit, without the products of the zeros of
   * X: op(a) when only transB (X W^T), op(b) when only transA (dY^T X). For mostly-zero data.
   */
  gemmSparse_f32(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Buf, b: Buf, beta: number, c: Buf, bias: Buf | null = null, act: Act = 'identity', actAlpha = 0.01): void {
    this.run('gemm_sparse_f32', [transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, transA ? m : k, b, transB ? k : n, beta, c, n, bias,
      this.actCode('gemm_sparse_f32', act), actAlpha]);
  }

  /** out (rows, cols) = act(inp (rows, cols) + bias (cols)); out may be inp. */
  bias_act_f32(out: Buf, inp: Buf, bias: Buf | null, rows: number, cols: number, act: Act, actAlpha = 0.01): void {
    this.run('bias_act_f32', [out, inp, bias, rows, cols, this.actCode('bias_act_f32', act), actAlpha]);
  }

  /** dinp = dout * f'(x) from the forward output out = f(x); dinp may be dout. */
  act_backward_f32(dinp: Buf, dout: Buf, out: Buf, act: Act, actAlpha = 0.01): void {
    this.run('act_backward_f32', [dinp, dout, out, lenOf(dout), this.actCode('act_backward_f32', act), actAlpha]);
  }

  /** out (cols) = beta out + column sums of inp (rows, cols). */
  col_sum_f32(out: Buf, inp: Buf, rows: number, cols: number, beta = 0): void {
    this.run('col_sum_f32', [out, inp, rows, cols, beta]);
  }

  /** x *= alpha. */
  scale_f32(x: Buf, alpha: number): void {
    this.run('scale_f32', [x, alpha, lenOf(x)]);
  }

  /** y += alpha x. */
  axpy_f32(y: Buf, alpha: number, x: Buf): void {
    this.run('axpy_f32', [y, alpha, x, lenOf(x)]);
  }

  /** x = value. */
  fill_f32(x: Buf, value: number): void {
    this.run('fill_f32', [x, value, lenOf(x)]);
  }

  /** dst = src. */
  copy_f32(dst: Buf, src: Buf): void {
    this.run('copy_f32', [dst, src, lenOf(src)]);
  }

  /** Sum of squares of x, accumulated in float64. */
  sumsq_f32(x: Buf): number {
    return this.run('sumsq_f32', [x, lenOf(x)]);
  }

  // ---- losses and sampling ------------------------------------------------------------------

  /** Bernoulli NLL from logits; dlogit (rows, cols) = gscale (sigmoid(logit) - target). Returns the total. */
  bce_logits_f32(dlogit: Buf | null, rowloss: Buf | null, logit: Buf, target: Buf, rows: number, cols: number, gscale = 1): number {
    return this.run('bce_logits_f32', [dlogit, rowloss, logit, target, rows, cols, gscale]);
  }

  /** Sum of squared errors; dpred = 2 gscale (pred - target). Returns the total. */
  sse_f32(dpred: Buf | null, rowloss: Buf | null, pred: Buf, target: Buf, rows: number, cols: number, gscale = 1): number {
    return this.run('sse_f32', [dpred, rowloss, pred, target, rows, cols, gscale]);
  }

  /** Gaussian NLL of x under mean and a per-column logvar (cols); dlogvar (cols) is overwritten. */
  gauss_nll_f32(dmean: Buf | null, dlogvar: Buf | null, rowloss: Buf | null, mean: Buf, logvar: Buf, x: Buf,
    rows: number, cols: number, gscale = 1): number {
    return this.run('gauss_nll_f32', [dmean, dlogvar, rowloss, mean, logvar, x, rows, cols, gscale]);
  }

  /** KL(N(mean, exp(logvar)) || N(0, I)) per row; dmean = beta dmean + gscale dKL/dmean, and dlogvar alike. */
  kl_normal_f32(dmean: Buf | null, dlogvar: Buf | null, rowloss: Buf | null, mean: Buf, logvar: Buf,
    rows: number, cols: number, gscale = 1, beta = 0): number {
    return this.run('kl_normal_f32', [dmean, dlogvar, rowloss, mean, logvar, rows, cols, gscale, beta]);
  }

  /** z = mean + exp(logvar / 2) eps, elementwise. */
  reparam_f32(z: Buf, mean: Buf, logvar: Buf, eps: Buf): void {
    this.run('reparam_f32', [z, mean, logvar, eps, lenOf(mean)]);
  }

  /** dmean = dz; dlogvar = dz eps exp(logvar / 2) / 2 (both overwritten). */
  reparam_backward_f32(dmean: Buf, dlogvar: Buf, dz: Buf, logvar: Buf, eps: Buf): void {
    this.run('reparam_backward_f32', [dmean, dlogvar, dz, logvar, eps, lenOf(dz)]);
  }

  // ---- optimizer updates --------------------------------------------------------------------

  /** param -= lr (grad + wd param). */
  sgd_f32(param: Buf, grad: Buf, lr: number, wd = 0): void {
    this.run('sgd_f32', [param, grad, lenOf(param), lr, wd]);
  }

  /** SGD with momentum (PyTorch semantics, dampening 0), optionally Nesterov; vel starts at 0. */
  sgd_momentum_f32(param: Buf, vel: Buf, grad: Buf, lr: number, momentum: number, wd = 0, nesterov = false): void {
    this.run('sgd_momentum_f32', [param, vel, grad, lenOf(param), lr, momentum, wd, nesterov ? 1 : 0]);
  }

  /** Adam (decoupled false: wd is an L2 term) or AdamW (decoupled true) for step t >= 1. */
  adam_f32(param: Buf, m: Buf, v: Buf, grad: Buf, t: number, lr: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8,
    wd = 0, decoupled = false): void {
    if (!Number.isInteger(t) || t < 1) checkInt('adam_f32: t', t, 1);
    const stepSize = lr / (1 - beta1 ** t);
    const invSqrtBc2 = 1 / Math.sqrt(1 - beta2 ** t);
    this.run('adam_f32', [param, m, v, grad, lenOf(param), lr, beta1, beta2, eps, wd, stepSize, invSqrtBc2, decoupled ? 1 : 0]);
  }

  // ---- checks of the memory ops (the kernels' come from the table: checks.ts) -----------------

  private check(op: string, arg: string, buf: Buf, expectedLen?: number): void {
    if (typeof buf !== 'object' || buf === null || !Number.isInteger(buf.off) || !Number.isInteger(buf.len)) {
      throw new WavaeError('INVALID_OPTION', `${op}: ${arg} must be a buffer handle { off, len }, got ${buf === null ? 'null' : typeof buf}`);
    }
    if (buf.len < 1) throw new WavaeError('SHAPE_MISMATCH', `${op}: ${arg} has length ${buf.len}; buffers hold at least one float`);
    if (buf.off < this.k.base || buf.off + buf.len > this.k.f32.length) {
      throw new WavaeError('OUT_OF_RANGE', `${op}: ${arg} [${buf.off}, ${buf.off + buf.len}) lies outside the heap [${this.k.base}, ${this.k.f32.length})`);
    }
    if (expectedLen !== undefined && buf.len !== expectedLen) {
      throw new WavaeError('SHAPE_MISMATCH', `${op}: ${arg} has ${buf.len} floats, expected ${expectedLen}`);
    }
  }

  private int(op: string, arg: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
    if (!Number.isInteger(value) || value < min || value > max) checkInt(`${op}: ${arg}`, value, min, max);
  }

  /** The kernel code of an activation name. */
  private actCode(op: string, act: Act): number {
    if (!Object.hasOwn(ACT_CODE, act)) {
      throw new WavaeError('INVALID_OPTION', `${op}: act must be one of ${Object.keys(ACT_CODE).join(', ')}, got ${String(act)}`);
    }
    return ACT_CODE[act];
  }
}

/** A buffer's length, or NaN for what is not a buffer (the checks then name it). */
function lenOf(buf: Buf): number {
  return typeof buf === 'object' && buf !== null ? buf.len : NaN;
}
