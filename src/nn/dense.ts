// Dense layer y = act(x W^T + b), PyTorch's nn.Linear layout: weight (units, in), bias (units).
// Spec: { type: 'dense', units, activation? }. Its input must be flat ([in]); add a flatten
// after convolutions. Forward and backward side by side; forward keeps only its output
// (activation gradients are written in terms of the output), which the caller holds for backward.
//
// A conditioned dense layer (a conditional model's) computes y = act([x, c] W^T + b) with W of
// (units, in + C), without building [x, c]: two GEMMs into one output, on the weight's two
// blocks of columns (row stride in + C). x W_x^T is summed first, then c W_c^T and the bias are
// added to it: the same sums in another order than one GEMM over the concatenated input (which
// the float64 reference computes), so the results agree to rounding, not bitwise. The backward
// writes the two blocks of dW the same way, and needs no gradient for c.
//
// A dense layer multiplies by its input twice, in forward (x W^T) and in the weight gradient
// (dY^T x). Where the input may be mostly zeros (sparseInput, unconditioned: an encoder's data,
// such as MNIST's pixels, 81% zeros; a ReLU's output, about half zeros), those two GEMMs run
// gemm_sparse_f32, which skips x's zeros and gives gemm_f32's bits (kernel-table.ts; it runs
// gemm_f32 itself where x is dense).
import type { Act, Backend, Buf } from '../backend/index.js';
import { WavaeError, checkKeys, describe } from '../errors.js';
import type { Rng } from '../random.js';
import { ACTIVATIONS, showShape, type Layer, type LayerType, type Position, type ResolvedLayer, type Shape } from './layer.js';
import type { ParamLayout, ParamStore, TensorSpec } from './params.js';

/** A dense layer's description: parameter names are `${name}.weight` and `${name}.bias`. */
export interface DenseSpec {
  readonly name: string;
  readonly nin: number;
  readonly nout: number;
  readonly act: Act;
  /** Condition columns after the nin input columns of the weight (0: none). */
  readonly cond: number;
}

/** The activation of a layer at a position: its spec's, or the stack's default; the last layer of a stack stays linear. */
export function layerActivation(spec: Readonly<Record<string, unknown>>, at: Position): Act {
  const act = spec.activation ?? at.activation;
  if (!ACTIVATIONS.includes(act as Act)) {
    throw new WavaeError('INVALID_OPTION', `${at.where}: activation must be one of ${ACTIVATIONS.join(', ')}, got ${describe(act)}`);
  }
  if (at.last && act !== 'identity') {
    throw new WavaeError('INVALID_OPTION', `${at.where}: the last layer gives the logits or means the loss works on, so it takes no activation, got ${describe(act)}`);
  }
  return act as Act;
}

/** A positive integer option of a layer spec. */
export function layerInt(spec: Readonly<Record<string, unknown>>, key: string, at: Position): number {
  const v = spec[key];
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 1 << 24) {
    throw new WavaeError('INVALID_OPTION', `${at.where}: ${key} must be an integer in [1, ${1 << 24}], got ${describe(v)}`);
  }
  return v as number;
}

/** The tensors of a dense layer: the weight takes weight decay, the bias does not. */
export function denseTensors(spec: DenseSpec): TensorSpec[] {
  return [
    { name: `${spec.name}.weight`, shape: [spec.nout, spec.nin + spec.cond], decay: true },
    { name: `${spec.name}.bias`, shape: [spec.nout], decay: false },
  ];
}

/**
 * PyTorch's default nn.Linear initialisation (kaiming_uniform with a = sqrt(5)): weight and bias
 * uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)], fan_in counting the condition's columns. Writes
 * into flat (the parameter layout's values).
 */
export function denseInit(flat: Float32Array, layout: ParamLayout, spec: DenseSpec, rng: Rng): void {
  const bound = 1 / Math.sqrt(spec.nin + spec.cond);
  for (const suffix of ['weight', 'bias']) {
    const t = layout.get(`${spec.name}.${suffix}`);
    for (let i = 0; i < t.size; i++) flat[t.offset + i] = (2 * rng.uniform() - 1) * bound;
  }
}

/** Internal switch (tests, benchmarks): false makes every dense layer use gemm_f32 on sparse input too. */
export const sparseData = { enabled: true };

/** A dense layer bound to its parameter and gradient views. */
export class Dense implements Layer {
  readonly w: Buf; // (nout, nin + cond)
  readonly b: Buf; // (nout)
  readonly dw: Buf; // (nout, nin + cond)
  readonly db: Buf; // (nout)
  readonly passThrough = false;
  readonly workspace: readonly number[] = [];
  sparseInput = false;
  /** A conditioned layer's blocks of columns of w and dw (row stride nin + cond): the input's, then the condition's. */
  private readonly blocks: { wx: Buf; wc: Buf; dwx: Buf; dwc: Buf } | null = null;

  constructor(readonly spec: DenseSpec, store: ParamStore, readonly resolved: ResolvedLayer) {
    this.w = store.param(`${spec.name}.weight`);
    this.b = store.param(`${spec.name}.bias`);
    this.dw = store.grad(`${spec.name}.weight`);
    this.db = store.grad(`${spec.name}.bias`);
    const { nin, nout, cond } = spec;
    if (cond > 0) {
      const ld = nin + cond;
      const block = (buf: Buf, first: number, cols: number): Buf => store.be.view(buf, first, (nout - 1) * ld + cols);
      this.blocks = { wx: block(this.w, 0, nin), wc: block(this.w, nin, cond), dwx: block(this.dw, 0, nin), dwc: block(this.dw, nin, cond) };
    }
  }

  /** out (n, nout) = act(inp (n, nin) W^T + b): one NT gemm with the fused epilogue (gemm_sparse_f32 on sparse input); with a condition, act(inp W_x^T + cond W_c^T + b). */
  forward(be: Backend, out: Buf, inp: Buf, n: number, _ws?: readonly unknown[], cond?: Buf | null): void {
    const { nin, nout, act } = this.spec;
    const k = this.blocks;
    if (!k) {
      if (this.sparseInput && sparseData.enabled) be.gemmSparse_f32(false, true, n, nout, nin, 1, inp, this.w, 0, out, this.b, act);
      else be.gemm_f32(false, true, n, nout, nin, 1, inp, this.w, 0, out, this.b, act);
      return;
    }
    const C = this.spec.cond;
    be.gemmStrided_f32(false, true, n, nout, nin, 1, inp, nin, k.wx, nin + C, 0, out, nout);
    be.gemmStrided_f32(false, true, n, nout, C, 1, this.condition(cond), C, k.wc, nin + C, 1, out, nout, this.b, act);
  }

  /**
   * Backward of forward(). dout (n, nout) holds dL/d(out) and is OVERWRITTEN with dL/d(pre-act).
   * dW (nout, nin) = dpre^T inp (TN gemm; gemm_sparse_f32 on sparse input) and db = column sums of dpre are OVERWRITTEN (with a
   * condition: dW's two blocks, dpre^T inp and dpre^T cond).
   * dinp (n, nin) = dpre W (NN gemm) is overwritten when dinpBeta = 0 and added to when 1;
   * null skips it (the first layer needs no input gradient).
   */
  backward(be: Backend, dinp: Buf | null, dinpBeta: 0 | 1, dout: Buf, inp: Buf, out: Buf, n: number, _ws?: readonly unknown[], cond?: Buf | null): void {
    const { nin, nout, act } = this.spec;
    if (act !== 'identity') be.act_backward_f32(dout, dout, out, act);
    const k = this.blocks;
    if (!k) {
      if (this.sparseInput && sparseData.enabled) be.gemmSparse_f32(true, false, nout, nin, n, 1, dout, inp, 0, this.dw);
      else be.gemm_f32(true, false, nout, nin, n, 1, dout, inp, 0, this.dw);
    } else {
      const C = this.spec.cond;
      be.gemmStrided_f32(true, false, nout, nin, n, 1, dout, nout, inp, nin, 0, k.dwx, nin + C);
      be.gemmStrided_f32(true, false, nout, C, n, 1, dout, nout, this.condition(cond), C, 0, k.dwc, nin + C);
    }
    be.col_sum_f32(this.db, dout, n, nout, 0);
    if (dinp) {
      if (!k) be.gemm_f32(false, false, n, nin, nout, 1, dout, this.w, dinpBeta, dinp);
      else be.gemmStrided_f32(false, false, n, nin, nout, 1, dout, nout, k.wx, nin + this.spec.cond, dinpBeta, dinp, nin);
    }
  }

  private condition(cond: Buf | null | undefined): Buf {
    if (!cond) throw new WavaeError('INVALID_OPTION', `${this.spec.name}: this layer takes a condition of ${this.spec.cond} columns, and none was given`);
    return cond;
  }
}

function denseSpecOf(layer: ResolvedLayer): DenseSpec {
  return { name: layer.name as string, nin: layer.input[0], nout: layer.output[0], act: layer.spec.activation as Act, cond: layer.condition ?? 0 };
}

/** { type: 'dense', units, activation? } */
export const DENSE: LayerType = {
  type: 'dense',
  parameterised: true,
  resolve(spec, input: Shape, at) {
    checkKeys(at.where, spec, ['type', 'units', 'activation']);
    if (input.length !== 1) {
      throw new WavaeError('INVALID_OPTION', `${at.where}: dense needs a flat input, got shape ${showShape(input)}; add { type: 'flatten' } before it`);
    }
    const units = layerInt(spec, 'units', at);
    return { spec: { type: 'dense', units, activation: layerActivation(spec, at) }, output: [units] };
  },
  tensors: (layer) => denseTensors(denseSpecOf(layer)),
  init: (flat, layout, layer, rng) => denseInit(flat, layout, denseSpecOf(layer), rng),
  create: (layer, store) => new Dense(denseSpecOf(layer), store, layer),
};
