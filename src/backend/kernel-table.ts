// The kernel table: every kernel described once. Its arguments in the export's order (the
// AssemblyScript export in assembly/ and the reference method in js.ts take exactly these), the
// shape of every buffer, what the kernel writes, and how threads split it. From this table come
// the checked Backend's argument checks (backend.ts), the wasm forwarders and their thread split
// (wasm.ts, split-ops.ts); test/kernel-table.test.ts fails when the exports, the reference and
// the table disagree.
//
// The rule for outputs, every kernel alike:
//   'out'    overwritten: the kernel never reads it;
//   'out' with `beta: <arg>`: out = beta * out + result, and beta = 0 never reads out (BLAS's
//            convention; the only way a kernel accumulates: GEMM, column sums, the KL gradient);
//   'inout'  updated in place (scale, axpy, optimizer parameters and state).
// A buffer may equal, or else must not overlap, the buffers its `alias` lists; every output must
// not overlap any other buffer argument.

/** Floats, offsets and lengths are counted in floats; dims name integer arguments (or are numbers). */
export type Dim = string | number;

/** A buffer argument: a float offset into the heap (0: none, where optional). */
export interface BufArg {
  readonly name: string;
  readonly kind: 'buf';
  readonly role: 'in' | 'out' | 'inout';
  /** The buffer's shape (row-major), from the kernel's integer arguments; its length is the product. */
  readonly shape: readonly Dim[];
  /** May be absent (offset 0): the kernel then skips what it would read or write there. */
  readonly optional?: true;
  /** For 'out': out = beta * out + result, beta being this scalar argument. */
  readonly beta?: string;
  /** Buffers this one may be exactly (in place); it must not overlap them otherwise. */
  readonly alias?: readonly string[];
  /**
   * A matrix with a row stride (gemm's lda, ldb, ldc): stored as (rows, cols) = shape, or the
   * shape reversed where the flag argument `trans` is 1, each row `ld` floats after the one
   * before (ld >= cols), so that its length is (rows - 1) * ld + cols: a block of columns of a
   * wider matrix (a dense layer's weight columns for its input, or for a condition).
   */
  readonly stride?: { readonly ld: string; readonly trans?: string };
}

/** A scalar argument. 'int': an integer >= min; 'f32': a finite number (rounded to float32 by the kernel), optionally in [min, max) or (min, ...); 'number': any number (NaN and infinities too); 'flag': 0 or 1; 'act': an activation code (kernels.ts ACT_CODE). */
export interface ScalarArg {
  readonly name: string;
  readonly kind: 'int' | 'f32' | 'number' | 'flag' | 'act';
  readonly min?: number;
  /** f32: value < max. */
  readonly max?: number;
  /** f32: value > min (not >=). */
  readonly minOpen?: true;
}

export type ArgSpec = BufArg | ScalarArg;

/**
 * How threads split a kernel (split-ops.ts): 'gemm' by 8-column tiles of C (outputs taller
 * than wide, and narrow ones, by rows); 'range' by 16-float ranges of `len` (every buffer moves); 'rows' by rows of the `rows`
 * argument (buffers whose shape starts with it move; the returned total is re-summed from
 * `rowloss`, so only calls with a rowloss split); 'blocks' by blocks of a sum of squares.
 */
export type Split =
  | { readonly by: 'gemm' }
  | { readonly by: 'range'; readonly len: string }
  | { readonly by: 'rows'; readonly rows: string; readonly rowloss?: string }
  | { readonly by: 'blocks'; readonly len: string };

export interface KernelSpec {
  readonly args: readonly ArgSpec[];
  /** 'number' when the export returns a float64 (a loss total, a sum); else nothing. */
  readonly returns?: 'number';
  readonly split?: Split;
  /** A rule between arguments that shapes cannot say; returns what is wrong, or null. */
  readonly rule?: (v: Readonly<Record<string, number>>) => string | null;
  /** The relaxed-SIMD module (assembly/gemm_relaxed.ts) has its own build, which replaces this one where it runs. */
  readonly relaxed?: true;
}

const buf = (name: string, role: BufArg['role'], shape: readonly Dim[], more: Partial<BufArg> = {}): BufArg => ({ name, kind: 'buf', role, shape, ...more });
const int = (name: string, min = 1): ScalarArg => ({ name, kind: 'int', min });
const f32 = (name: string, more: Partial<ScalarArg> = {}): ScalarArg => ({ name, kind: 'f32', ...more });
const flag = (name: string): ScalarArg => ({ name, kind: 'flag' });
const act = (): ScalarArg[] => [{ name: 'act', kind: 'act' }, f32('actAlpha')];
const opt = { optional: true } as const;

/** The leaky-ReLU slope must be in [0, 1) where act is leaky_relu (code 2). */
const leakySlope = (v: Readonly<Record<string, number>>): string | null =>
  v.act === 2 && !(v.actAlpha >= 0 && v.actAlpha < 1) ? `leaky_relu slope must be in [0, 1), got ${v.actAlpha}` : null;

/** The geometry arguments of im2col / col2im: image n x c x h x w, kernel kh x kw, stride, padding, output ho x wo. */
function convGeometry(): ScalarArg[] {
  return [int('n'), int('c'), int('h'), int('w'), int('kh'), int('kw'), int('sh'), int('sw'), int('ph', 0), int('pw', 0), int('ho'), int('wo')];
}

/** ho and wo are the convolution's output size: floor((h + 2 ph - kh) / sh) + 1, and alike. */
const convRule = (v: Readonly<Record<string, number>>): string | null =>
  v.ho !== Math.floor((v.h + 2 * v.ph - v.kh) / v.sh) + 1 || v.wo !== Math.floor((v.w + 2 * v.pw - v.kw) / v.sw) + 1 || v.ph >= v.kh || v.pw >= v.kw
    ? `output ${v.ho} x ${v.wo} is not that of a ${v.kh} x ${v.kw} kernel, stride ${v.sh} x ${v.sw}, padding ${v.ph} x ${v.pw} on ${v.h} x ${v.w}` : null;

/** gemm_f32's arguments (and gemm_sparse_f32's: the thread split moves the same positions). */
const GEMM_ARGS: readonly ArgSpec[] = [flag('transA'), flag('transB'), int('m'), int('n'), int('k'), f32('alpha'),
  buf('a', 'in', ['m', 'k'], { stride: { ld: 'lda', trans: 'transA' } }), int('lda'),
  buf('b', 'in', ['k', 'n'], { stride: { ld: 'ldb', trans: 'transB' } }), int('ldb'), f32('beta'),
  buf('c', 'out', ['m', 'n'], { beta: 'beta', stride: { ld: 'ldc' } }), int('ldc'), buf('bias', 'in', ['n'], opt), ...act()];

/** Every kernel, by export name. */
export const KERNELS = {
  /** c (m, n) = act(alpha op(a) op(b) + beta c + bias (n)); op(a) (m, k), op(b) (k, n); row-major, rows lda, ldb, ldc floats apart */
  gemm_f32: {
    args: GEMM_ARGS,
    split: { by: 'gemm' },
    rule: leakySlope,
    relaxed: true,
  },
  /**
   * gemm_f32's result bit for bit, without the products of the zeros of the data operand X:
   * op(a) in NT (a layer's forward X W^T), op(b) in TN (its weight gradient dY^T X); other
   * transposes, small m, dense X, and a NaN or infinity in the other operand run gemm_f32
   */
  gemm_sparse_f32: {
    args: GEMM_ARGS,
    split: { by: 'gemm' },
    rule: leakySlope,
    relaxed: true,
  },
  /** out (rows, cols) = act(inp (rows, cols) + bias (cols)); out may be inp */
  bias_act_f32: {
    args: [buf('out', 'out', ['rows', 'cols'], { alias: ['inp'] }), buf('inp', 'in', ['rows', 'cols']), buf('bias', 'in', ['cols'], opt),
      int('rows'), int('cols'), ...act()],
    rule: leakySlope,
  },
  /** dinp (len) = dout (len) * f'(x), from the forward output out (len) = f(x); dinp may be dout */
  act_backward_f32: {
    args: [buf('dinp', 'out', ['len'], { alias: ['dout'] }), buf('dout', 'in', ['len']), buf('out', 'in', ['len']), int('len'), ...act()],
    rule: leakySlope,
    split: { by: 'range', len: 'len' },
  },
  /** out (cols) = beta out + the column sums of inp (rows, cols), in float32 in row order */
  col_sum_f32: {
    args: [buf('out', 'out', ['cols'], { beta: 'beta' }), buf('inp', 'in', ['rows', 'cols']), int('rows'), int('cols'), f32('beta')],
  },
  /** x (len) *= alpha */
  scale_f32: {
    args: [buf('x', 'inout', ['len']), f32('alpha'), int('len')],
  },
  /** y (len) += alpha x (len); y may be x */
  axpy_f32: {
    args: [buf('y', 'inout', ['len'], { alias: ['x'] }), f32('alpha'), buf('x', 'in', ['len']), int('len')],
  },
  /** x (len) = value (any number) */
  fill_f32: {
    args: [buf('x', 'out', ['len']), { name: 'value', kind: 'number' }, int('len')],
  },
  /** dst (len) = src (len) */
  copy_f32: {
    args: [buf('dst', 'out', ['len'], { alias: ['src'] }), buf('src', 'in', ['len']), int('len')],
  },
  /** the sum of x^2 over x (len), in float64 (in blocks of sumsqBlock(len) floats added in order) */
  sumsq_f32: {
    args: [buf('x', 'in', ['len']), int('len')],
    returns: 'number',
    split: { by: 'blocks', len: 'len' },
  },
  /** Bernoulli NLL of target under logits (rows, cols): rowloss (rows), dlogit = gscale (sigmoid(logit) - target); returns the float64 sum of the float32 row losses */
  bce_logits_f32: {
    args: [buf('dlogit', 'out', ['rows', 'cols'], { ...opt, alias: ['logit'] }), buf('rowloss', 'out', ['rows'], opt),
      buf('logit', 'in', ['rows', 'cols']), buf('target', 'in', ['rows', 'cols']), int('rows'), int('cols'), f32('gscale')],
    returns: 'number',
    split: { by: 'rows', rows: 'rows', rowloss: 'rowloss' },
  },
  /** sum of squared errors of pred (rows, cols) against target: rowloss (rows), dpred = 2 gscale (pred - target); returns the total */
  sse_f32: {
    args: [buf('dpred', 'out', ['rows', 'cols'], { ...opt, alias: ['pred'] }), buf('rowloss', 'out', ['rows'], opt),
      buf('pred', 'in', ['rows', 'cols']), buf('target', 'in', ['rows', 'cols']), int('rows'), int('cols'), f32('gscale')],
    returns: 'number',
    split: { by: 'rows', rows: 'rows', rowloss: 'rowloss' },
  },
  /** Gaussian NLL of x (rows, cols) under mean (rows, cols) and a per-column logvar (cols): rowloss, dmean, dlogvar (cols, summed over rows); returns the total */
  gauss_nll_f32: {
    args: [buf('dmean', 'out', ['rows', 'cols'], { ...opt, alias: ['mean'] }), buf('dlogvar', 'out', ['cols'], opt), buf('rowloss', 'out', ['rows'], opt),
      buf('mean', 'in', ['rows', 'cols']), buf('logvar', 'in', ['cols']), buf('x', 'in', ['rows', 'cols']), int('rows'), int('cols'), f32('gscale')],
    returns: 'number',
  },
  /** KL(N(mean, exp(logvar)) || N(0, I)) per row (rowloss); dmean = beta dmean + gscale mean, dlogvar = beta dlogvar + gscale (exp(logvar) - 1) / 2; returns the total */
  kl_normal_f32: {
    args: [buf('dmean', 'out', ['rows', 'cols'], { ...opt, beta: 'beta' }), buf('dlogvar', 'out', ['rows', 'cols'], { ...opt, beta: 'beta' }),
      buf('rowloss', 'out', ['rows'], opt), buf('mean', 'in', ['rows', 'cols']), buf('logvar', 'in', ['rows', 'cols']),
      int('rows'), int('cols'), f32('gscale'), f32('beta')],
    returns: 'number',
    rule: (v) => (v.dmean === 0) !== (v.dlogvar === 0) ? 'pass both dmean and dlogvar, or neither' : null,
  },
  /** z (len) = mean + exp(logvar / 2) eps */
  reparam_f32: {
    args: [buf('z', 'out', ['len']), buf('mean', 'in', ['len']), buf('logvar', 'in', ['len']), buf('eps', 'in', ['len']), int('len')],
  },
  /** backward of reparam_f32: dmean = dz, dlogvar = dz eps exp(logvar / 2) / 2 */
  reparam_backward_f32: {
    args: [buf('dmean', 'out', ['len']), buf('dlogvar', 'out', ['len']), buf('dz', 'in', ['len']), buf('logvar', 'in', ['len']),
      buf('eps', 'in', ['len']), int('len')],
  },
  /** param -= lr (grad + wd param) */
  sgd_f32: {
    args: [buf('param', 'inout', ['len']), buf('grad', 'in', ['len']), int('len'), f32('lr'), f32('wd')],
    split: { by: 'range', len: 'len' },
  },
  /** PyTorch's SGD with momentum (dampening 0), Nesterov when nesterov = 1; vel starts at 0 */
  sgd_momentum_f32: {
    args: [buf('param', 'inout', ['len']), buf('vel', 'inout', ['len']), buf('grad', 'in', ['len']), int('len'),
      f32('lr'), f32('momentum'), f32('wd'), flag('nesterov')],
    split: { by: 'range', len: 'len' },
  },
  /** Adam (decoupled 0: wd is an L2 term) or AdamW (decoupled 1); stepSize = lr / (1 - beta1^t), invSqrtBc2 = 1 / sqrt(1 - beta2^t) */
  adam_f32: {
    args: [buf('param', 'inout', ['len']), buf('m', 'inout', ['len']), buf('v', 'inout', ['len']), buf('grad', 'in', ['len']), int('len'),
      f32('lr'), f32('beta1', { min: 0, max: 1 }), f32('beta2', { min: 0, max: 1 }), f32('eps', { min: 0, minOpen: true }), f32('wd'),
      f32('stepSize'), f32('invSqrtBc2'), flag('decoupled')],
    split: { by: 'range', len: 'len' },
  },
  /** torch.optim.RMSprop: sq (square_avg) = alpha sq + (1 - alpha) g^2 with g = grad + wd param; centered: gavg (grad_avg) too; momentum > 0: buf (momentum_buffer) */
  rmsprop_f32: {
    args: [buf('param', 'inout', ['len']), buf('sq', 'inout', ['len']), buf('buf', 'inout', ['len'], opt), buf('gavg', 'inout', ['len'], opt),
      buf('grad', 'in', ['len']), int('len'), f32('lr'), f32('alpha', { min: 0, max: 1 }), f32('eps', { min: 0, minOpen: true }), f32('wd'),
      f32('momentum', { min: 0, max: 1 }), flag('centered')],
    split: { by: 'range', len: 'len' },
    rule: (v) => v.momentum > 0 && !v.buf ? 'momentum > 0 needs buf' : v.centered && !v.gavg ? 'centered needs gavg' : null,
  },
  /** col (n*ho*wo, c*kh*kw) = the patches of x (n, c, h, w), zero-padded: the rows a convolution multiplies by its weight */
  im2col_f32: {
    args: [buf('col', 'out', ['n', 'ho', 'wo', 'c', 'kh', 'kw']), buf('x', 'in', ['n', 'c', 'h', 'w']), ...convGeometry()],
    rule: convRule,
    split: { by: 'rows', rows: 'n' },
  },
  /** x (n, c, h, w) = beta x + the sum of the patch entries of col (n*ho*wo, c*kh*kw) that read each pixel: the adjoint of im2col */
  col2im_f32: {
    args: [buf('x', 'out', ['n', 'c', 'h', 'w'], { beta: 'beta' }), buf('col', 'in', ['n', 'ho', 'wo', 'c', 'kh', 'kw']), ...convGeometry(), f32('beta')],
    rule: convRule,
    split: { by: 'rows', rows: 'n' },
  },
  /** out (batch, cols, rows) = beta out + each inp (batch, rows, cols) transposed: NCHW <-> NHWC */
  transpose_f32: {
    args: [buf('out', 'out', ['batch', 'cols', 'rows'], { beta: 'beta' }), buf('inp', 'in', ['batch', 'rows', 'cols']), int('batch'), int('rows'), int('cols'), f32('beta')],
    split: { by: 'rows', rows: 'batch' },
  },
  /** out (n, c, hw) = act(inp (n, c, hw) + bias (c)), a bias per channel; out may be inp */
  chan_bias_act_f32: {
    args: [buf('out', 'out', ['n', 'c', 'hw'], { alias: ['inp'] }), buf('inp', 'in', ['n', 'c', 'hw']), buf('bias', 'in', ['c'], opt),
      int('n'), int('c'), int('hw'), ...act()],
    rule: leakySlope,
    split: { by: 'rows', rows: 'n' },
  },
  /** out (c) = beta out + the sums over samples and positions of inp (n, c, hw), float32 in order: a per-channel bias gradient */
  chan_sum_f32: {
    args: [buf('out', 'out', ['c'], { beta: 'beta' }), buf('inp', 'in', ['n', 'c', 'hw']), int('n'), int('c'), int('hw'), f32('beta')],
  },
} as const satisfies Record<string, KernelSpec>;

/** A kernel's export name. */
export type KernelName = keyof typeof KERNELS;

/** The table's names in order (the thread split numbers follow this order). */
export const KERNEL_NAMES = Object.keys(KERNELS) as KernelName[];

/** The spec of kernel `name` (typed as the general shape). */
export function kernelSpec(name: KernelName): KernelSpec {
  return KERNELS[name];
}

/** Positions of the buffer arguments of a kernel. */
export function bufferPositions(name: KernelName): number[] {
  return kernelSpec(name).args.flatMap((a, i) => (a.kind === 'buf' ? [i] : []));
}

/** Position of argument `arg` of kernel `name`. */
export function argIndex(name: KernelName, arg: string): number {
  const i = kernelSpec(name).args.findIndex((a) => a.name === arg);
  if (i < 0) throw new Error(`kernel ${name} has no argument ${arg}`);
  return i;
}
