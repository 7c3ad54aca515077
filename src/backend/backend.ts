// Backend: the checked face of the kernels. Owns the heap allocator, validates every argument
// (dimensions, buffer lengths, heap ranges, aliasing) and throws WavaeError before any kernel
// runs, so a bad call never becomes a wasm trap or silent garbage. Layers above this file work
// with Buf handles only; they never see pointers or views of linear memory.
import { WavaeError, checkFinite, checkInt } from '../errors.js';
import type { Rng } from '../random.js';
import { ACT_CODE, type Act, type BackendName, type Kernels } from './kernels.js';
import { HeapAllocator, type Buf } from './heap.js';

export type { Buf } from './heap.js';

const NONE = 0;

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

  // ---- linear algebra -----------------------------------------------------------------------

  /**
   * c (m, n) = act(alpha op(a) op(b) + beta c + bias (n)), all contiguous row-major.
   * op(a) is a (m, k), or a (k, m) transposed when transA; op(b) is b (k, n), or b (n, k)
   * transposed when transB. beta = 0 does not read c. c must not overlap a or b.
   */
  gemm_f32(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Buf, b: Buf, beta: number, c: Buf, bias: Buf | null = null, act: Act = 'identity', actAlpha = 0.01): void {
    this.int('gemm_f32', 'm', m, 1);
    this.int('gemm_f32', 'n', n, 1);
    this.int('gemm_f32', 'k', k, 1);
    this.num('gemm_f32', 'alpha', alpha);
    this.num('gemm_f32', 'beta', beta);
    this.check('gemm_f32', 'a', a, m * k);
    this.check('gemm_f32', 'b', b, k * n);
    this.check('gemm_f32', 'c', c, m * n);
    this.noOverlap('gemm_f32', 'c', c, 'a', a);
    this.noOverlap('gemm_f32', 'c', c, 'b', b);
    if (bias) {
      this.check('gemm_f32', 'bias', bias, n);
      this.noOverlap('gemm_f32', 'c', c, 'bias', bias);
    }
    const code = this.actCode('gemm_f32', act, actAlpha);
    this.k.gemm_f32(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a.off, transA ? m : k, b.off, transB ? k : n,
      beta, c.off, n, bias ? bias.off : NONE, code, actAlpha);
  }

  /** out (rows, cols) = act(inp (rows, cols) + bias (cols)); out may be inp. */
  bias_act_f32(out: Buf, inp: Buf, bias: Buf | null, rows: number, cols: number, act: Act, actAlpha = 0.01): void {
    this.dims('bias_act_f32', rows, cols);
    this.check('bias_act_f32', 'out', out, rows * cols);
    this.check('bias_act_f32', 'inp', inp, rows * cols);
    this.sameOrDisjoint('bias_act_f32', 'out', out, 'inp', inp);
    if (bias) this.check('bias_act_f32', 'bias', bias, cols);
    this.k.bias_act_f32(out.off, inp.off, bias ? bias.off : NONE, rows, cols, this.actCode('bias_act_f32', act, actAlpha), actAlpha);
  }

  /** dinp = dout * f'(x) from the forward output out = f(x); dinp may be dout. */
  act_backward_f32(dinp: Buf, dout: Buf, out: Buf, act: Act, actAlpha = 0.01): void {
    this.check('act_backward_f32', 'dout', dout);
    this.check('act_backward_f32', 'dinp', dinp, dout.len);
    this.check('act_backward_f32', 'out', out, dout.len);
    this.sameOrDisjoint('act_backward_f32', 'dinp', dinp, 'dout', dout);
    this.k.act_backward_f32(dinp.off, dout.off, out.off, dout.len, this.actCode('act_backward_f32', act, actAlpha), actAlpha);
  }

  /** out (cols) = beta out + column sums of inp (rows, cols). */
  col_sum_f32(out: Buf, inp: Buf, rows: number, cols: number, beta = 0): void {
    this.dims('col_sum_f32', rows, cols);
    this.check('col_sum_f32', 'out', out, cols);
    this.check('col_sum_f32', 'inp', inp, rows * cols);
    this.num('col_sum_f32', 'beta', beta);
    this.noOverlap('col_sum_f32', 'out', out, 'inp', inp);
    this.k.col_sum_f32(out.off, inp.off, rows, cols, beta);
  }

  /** x *= alpha. */
  scale_f32(x: Buf, alpha: number): void {
    this.check('scale_f32', 'x', x);
    this.num('scale_f32', 'alpha', alpha);
    this.k.scale_f32(x.off, alpha, x.len);
  }

  /** y += alpha x. */
  axpy_f32(y: Buf, alpha: number, x: Buf): void {
    this.check('axpy_f32', 'x', x);
    this.check('axpy_f32', 'y', y, x.len);
    this.num('axpy_f32', 'alpha', alpha);
    this.sameOrDisjoint('axpy_f32', 'y', y, 'x', x);
    this.k.axpy_f32(y.off, alpha, x.off, x.len);
  }

  /** x = value. */
  fill_f32(x: Buf, value: number): void {
    this.check('fill_f32', 'x', x);
    if (typeof value !== 'number') throw new WavaeError('INVALID_OPTION', `fill_f32: value must be a number, got ${typeof value}`);
    this.k.fill_f32(x.off, value, x.len);
  }

  /** dst = src. */
  copy_f32(dst: Buf, src: Buf): void {
    this.check('copy_f32', 'src', src);
    this.check('copy_f32', 'dst', dst, src.len);
    this.k.copy_f32(dst.off, src.off, src.len);
  }

  /** Sum of squares of x, accumulated in float64. */
  sumsq_f32(x: Buf): number {
    this.check('sumsq_f32', 'x', x);
    return this.k.sumsq_f32(x.off, x.len);
  }

  // ---- losses and sampling ------------------------------------------------------------------

  /** Bernoulli NLL from logits; dlogit (rows, cols) = gscale (sigmoid(logit) - target). Returns the total. */
  bce_logits_f32(dlogit: Buf | null, rowloss: Buf | null, logit: Buf, target: Buf, rows: number, cols: number, gscale = 1): number {
    this.lossArgs('bce_logits_f32', dlogit, rowloss, logit, target, rows, cols, gscale);
    return this.k.bce_logits_f32(dlogit ? dlogit.off : NONE, rowloss ? rowloss.off : NONE, logit.off, target.off, rows, cols, gscale);
  }

  /** Sum of squared errors; dpred = 2 gscale (pred - target). Returns the total. */
  sse_f32(dpred: Buf | null, rowloss: Buf | null, pred: Buf, target: Buf, rows: number, cols: number, gscale = 1): number {
    this.lossArgs('sse_f32', dpred, rowloss, pred, target, rows, cols, gscale);
    return this.k.sse_f32(dpred ? dpred.off : NONE, rowloss ? rowloss.off : NONE, pred.off, target.off, rows, cols, gscale);
  }

  /** Gaussian NLL of x under mean and a per-column logvar (cols); dlogvar (cols) is overwritten. */
  gauss_nll_f32(dmean: Buf | null, dlogvar: Buf | null, rowloss: Buf | null, mean: Buf, logvar: Buf, x: Buf,
    rows: number, cols: number, gscale = 1): number {
    this.lossArgs('gauss_nll_f32', dmean, rowloss, mean, x, rows, cols, gscale);
    this.check('gauss_nll_f32', 'logvar', logvar, cols);
    if (dlogvar) this.check('gauss_nll_f32', 'dlogvar', dlogvar, cols);
    return this.k.gauss_nll_f32(dmean ? dmean.off : NONE, dlogvar ? dlogvar.off : NONE, rowloss ? rowloss.off : NONE,
      mean.off, logvar.off, x.off, rows, cols, gscale);
  }

  /** KL(N(mean, exp(logvar)) || N(0, I)) per row; gscale * gradients are ADDED into dmean and dlogvar. */
  kl_normal_f32(dmean: Buf | null, dlogvar: Buf | null, rowloss: Buf | null, mean: Buf, logvar: Buf,
    rows: number, cols: number, gscale = 1): number {
    this.dims('kl_normal_f32', rows, cols);
    this.num('kl_normal_f32', 'gscale', gscale);
    this.check('kl_normal_f32', 'mean', mean, rows * cols);
    this.check('kl_normal_f32', 'logvar', logvar, rows * cols);
    if ((dmean === null) !== (dlogvar === null)) {
      throw new WavaeError('INVALID_OPTION', 'kl_normal_f32: pass both dmean and dlogvar, or neither');
    }
    if (dmean && dlogvar) {
      this.check('kl_normal_f32', 'dmean', dmean, rows * cols);
      this.check('kl_normal_f32', 'dlogvar', dlogvar, rows * cols);
      this.noOverlap('kl_normal_f32', 'dmean', dmean, 'dlogvar', dlogvar);
    }
    if (rowloss) this.check('kl_normal_f32', 'rowloss', rowloss, rows);
    return this.k.kl_normal_f32(dmean ? dmean.off : NONE, dlogvar ? dlogvar.off : NONE, rowloss ? rowloss.off : NONE,
      mean.off, logvar.off, rows, cols, gscale);
  }

  /** z = mean + exp(logvar / 2) eps, elementwise. */
  reparam_f32(z: Buf, mean: Buf, logvar: Buf, eps: Buf): void {
    this.check('reparam_f32', 'mean', mean);
    this.check('reparam_f32', 'z', z, mean.len);
    this.check('reparam_f32', 'logvar', logvar, mean.len);
    this.check('reparam_f32', 'eps', eps, mean.len);
    this.k.reparam_f32(z.off, mean.off, logvar.off, eps.off, mean.len);
  }

  /** dmean = dz; dlogvar = dz eps exp(logvar / 2) / 2 (both overwritten). */
  reparam_backward_f32(dmean: Buf, dlogvar: Buf, dz: Buf, logvar: Buf, eps: Buf): void {
    this.check('reparam_backward_f32', 'dz', dz);
    this.check('reparam_backward_f32', 'dmean', dmean, dz.len);
    this.check('reparam_backward_f32', 'dlogvar', dlogvar, dz.len);
    this.check('reparam_backward_f32', 'logvar', logvar, dz.len);
    this.check('reparam_backward_f32', 'eps', eps, dz.len);
    this.noOverlap('reparam_backward_f32', 'dmean', dmean, 'dlogvar', dlogvar);
    this.k.reparam_backward_f32(dmean.off, dlogvar.off, dz.off, logvar.off, eps.off, dz.len);
  }

  // ---- optimizer updates --------------------------------------------------------------------

  /** param -= lr (grad + wd param). */
  sgd_f32(param: Buf, grad: Buf, lr: number, wd = 0): void {
    this.optimArgs('sgd_f32', param, lr, wd);
    this.check('sgd_f32', 'grad', grad, param.len);
    this.noOverlap('sgd_f32', 'param', param, 'grad', grad);
    this.k.sgd_f32(param.off, grad.off, param.len, lr, wd);
  }

  /** SGD with momentum (PyTorch semantics, dampening 0), optionally Nesterov; vel starts at 0. */
  sgd_momentum_f32(param: Buf, vel: Buf, grad: Buf, lr: number, momentum: number, wd = 0, nesterov = false): void {
    this.optimArgs('sgd_momentum_f32', param, lr, wd);
    this.state('sgd_momentum_f32', param, 'vel', vel, 'grad', grad);
    this.num('sgd_momentum_f32', 'momentum', momentum);
    this.k.sgd_momentum_f32(param.off, vel.off, grad.off, param.len, lr, momentum, wd, nesterov ? 1 : 0);
  }

  /** Adam (decoupled false: wd is an L2 term) or AdamW (decoupled true) for step t >= 1. */
  adam_f32(param: Buf, m: Buf, v: Buf, grad: Buf, t: number, lr: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8,
    wd = 0, decoupled = false): void {
    this.optimArgs('adam_f32', param, lr, wd);
    this.state('adam_f32', param, 'm', m, 'v', v);
    this.check('adam_f32', 'grad', grad, param.len);
    this.noOverlap('adam_f32', 'param', param, 'grad', grad);
    this.int('adam_f32', 't', t, 1);
    if (!(beta1 >= 0 && beta1 < 1)) throw new WavaeError('INVALID_OPTION', `adam_f32: beta1 must be in [0, 1), got ${beta1}`);
    if (!(beta2 >= 0 && beta2 < 1)) throw new WavaeError('INVALID_OPTION', `adam_f32: beta2 must be in [0, 1), got ${beta2}`);
    if (!(eps > 0)) throw new WavaeError('INVALID_OPTION', `adam_f32: eps must be > 0, got ${eps}`);
    const stepSize = lr / (1 - beta1 ** t);
    const invSqrtBc2 = 1 / Math.sqrt(1 - beta2 ** t);
    this.k.adam_f32(param.off, m.off, v.off, grad.off, param.len, lr, beta1, beta2, eps, wd, stepSize, invSqrtBc2, decoupled ? 1 : 0);
  }

  // ---- checks (messages are built only on failure: a valid call allocates nothing) ---------

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

  private num(op: string, arg: string, value: number): void {
    if (!Number.isFinite(value)) checkFinite(`${op}: ${arg}`, value);
  }

  private dims(op: string, rows: number, cols: number): void {
    this.int(op, 'rows', rows, 1);
    this.int(op, 'cols', cols, 1);
  }

  private noOverlap(op: string, an: string, a: Buf, bn: string, b: Buf): void {
    if (a.off < b.off + b.len && b.off < a.off + a.len) {
      throw new WavaeError('INVALID_OPTION', `${op}: ${an} must not overlap ${bn}`);
    }
  }

  private sameOrDisjoint(op: string, an: string, a: Buf, bn: string, b: Buf): void {
    if (a.off !== b.off) this.noOverlap(op, an, a, bn, b);
  }

  private actCode(op: string, act: Act, actAlpha: number): number {
    if (!Object.hasOwn(ACT_CODE, act)) {
      throw new WavaeError('INVALID_OPTION', `${op}: act must be one of ${Object.keys(ACT_CODE).join(', ')}, got ${String(act)}`);
    }
    if (act === 'leaky_relu' && !(actAlpha >= 0 && actAlpha < 1)) {
      throw new WavaeError('INVALID_OPTION', `${op}: leaky_relu slope must be in [0, 1), got ${actAlpha}`);
    }
    return ACT_CODE[act];
  }

  private lossArgs(op: string, grad: Buf | null, rowloss: Buf | null, pred: Buf, target: Buf, rows: number, cols: number, gscale: number): void {
    this.dims(op, rows, cols);
    this.num(op, 'gscale', gscale);
    this.check(op, 'prediction', pred, rows * cols);
    this.check(op, 'target', target, rows * cols);
    if (grad) {
      this.check(op, 'gradient', grad, rows * cols);
      this.sameOrDisjoint(op, 'gradient', grad, 'prediction', pred);
      this.noOverlap(op, 'gradient', grad, 'target', target);
    }
    if (rowloss) this.check(op, 'rowloss', rowloss, rows);
  }

  private optimArgs(op: string, param: Buf, lr: number, wd: number): void {
    this.check(op, 'param', param);
    this.num(op, 'lr', lr);
    this.num(op, 'weight decay', wd);
  }

  private state(op: string, param: Buf, an: string, a: Buf, bn: string, b: Buf): void {
    this.check(op, an, a, param.len);
    this.check(op, bn, b, param.len);
    this.noOverlap(op, 'param', param, an, a);
    this.noOverlap(op, 'param', param, bn, b);
    this.noOverlap(op, an, a, bn, b);
  }
}
