// The kernel set both backends implement with identical semantics: wasm.ts (AssemblyScript,
// SIMD) and js.ts (the readable reference). Offsets and lengths are in floats, into one float32
// heap; offset 0 means "none" for optional buffers (the heap never hands out offset 0).
// Nothing here checks arguments: backend.ts does that before every call.

/** Which implementation runs the kernels. */
export type BackendName = 'wasm' | 'js';

/** Activation functions of the fused epilogue and of act_backward. */
export type Act = 'identity' | 'relu' | 'leaky_relu' | 'sigmoid' | 'tanh';

/** Activation codes shared with assembly/activations.ts. */
export const ACT_CODE: Readonly<Record<Act, number>> = { identity: 0, relu: 1, leaky_relu: 2, sigmoid: 3, tanh: 4 };

/** The primitive ops. Names are the AssemblyScript export names; comments give shapes (row-major). */
export interface Kernels {
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

  /** c (m, n; ldc) = act(alpha op(a) op(b) + beta c + bias (n)); op(a) (m, k), op(b) (k, n). beta 0 does not read c. */
  gemm_f32(transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number,
    bias: number, act: number, actAlpha: number): void;
  /** out (rows, cols) = act(inp (rows, cols) + bias (cols)); out may equal inp. */
  bias_act_f32(out: number, inp: number, bias: number, rows: number, cols: number, act: number, actAlpha: number): void;
  /** dinp (len) = dout (len) * f'(x), from the forward output out (len); dinp may equal dout. */
  act_backward_f32(dinp: number, dout: number, out: number, len: number, act: number, actAlpha: number): void;
  /** out (cols) = beta out + sum over rows of inp (rows, cols); beta 0 does not read out. */
  col_sum_f32(out: number, inp: number, rows: number, cols: number, beta: number): void;
  /** x (len) *= alpha. */
  scale_f32(x: number, alpha: number, len: number): void;
  /** y (len) += alpha x (len). */
  axpy_f32(y: number, alpha: number, x: number, len: number): void;
  /** x (len) = value. */
  fill_f32(x: number, value: number, len: number): void;
  /** dst (len) = src (len). */
  copy_f32(dst: number, src: number, len: number): void;
  /** sum of x^2 over x (len), in float64. */
  sumsq_f32(x: number, len: number): number;

  /** Bernoulli NLL from logits (rows, cols) against target; writes dlogit, rowloss (rows); returns the total. */
  bce_logits_f32(dlogit: number, rowloss: number, logit: number, target: number, rows: number, cols: number, gscale: number): number;
  /** Sum of squared errors of pred (rows, cols) against target; writes dpred, rowloss; returns the total. */
  sse_f32(dpred: number, rowloss: number, pred: number, target: number, rows: number, cols: number, gscale: number): number;
  /** Gaussian NLL of x (rows, cols) under mean (rows, cols) and per-column logvar (cols); dlogvar (cols) overwritten. */
  gauss_nll_f32(dmean: number, dlogvar: number, rowloss: number, mean: number, logvar: number, x: number, rows: number, cols: number, gscale: number): number;
  /** KL(N(mean, exp(logvar)) || N(0, I)) per row; gradients ADDED into dmean, dlogvar (rows, cols). */
  kl_normal_f32(dmean: number, dlogvar: number, rowloss: number, mean: number, logvar: number, rows: number, cols: number, gscale: number): number;
  /** z (len) = mean + exp(logvar / 2) eps. */
  reparam_f32(z: number, mean: number, logvar: number, eps: number, len: number): void;
  /** dmean = dz; dlogvar = dz eps exp(logvar / 2) / 2 (both overwritten). */
  reparam_backward_f32(dmean: number, dlogvar: number, dz: number, logvar: number, eps: number, len: number): void;

  /** param -= lr (grad + wd param). */
  sgd_f32(param: number, grad: number, len: number, lr: number, wd: number): void;
  /** PyTorch SGD with momentum (dampening 0), optionally Nesterov; vel starts at 0. */
  sgd_momentum_f32(param: number, vel: number, grad: number, len: number, lr: number, momentum: number, wd: number, nesterov: number): void;
  /** Adam (decoupled 0) or AdamW (decoupled 1); stepSize = lr / (1 - beta1^t), invSqrtBc2 = 1 / sqrt(1 - beta2^t). */
  adam_f32(param: number, m: number, v: number, grad: number, len: number, lr: number, beta1: number, beta2: number,
    eps: number, wd: number, stepSize: number, invSqrtBc2: number, decoupled: number): void;
}
