// Conv2d and ConvTranspose2d, PyTorch's semantics and layouts (NCHW; Conv2d weight
// [filters, in, kh, kw], ConvTranspose2d weight [in, filters, kh, kw], bias [filters]), lowered to
// the packed GEMM through im2col / col2im (assembly/conv.ts):
//
//   conv2d      forward   col = im2col(x)                      (n*ho*wo, in*kh*kw)
//                         y   = act(col W^T + b)               (n*ho*wo, filters): NT GEMM, fused bias + act
//                         out = transpose(y)                   NHWC -> NCHW
//               backward  dy  = transpose(act'(out) dout)      NCHW -> NHWC
//                         dW  = dy^T col (TN), db = column sums of dy
//                         dx  = col2im(dy W) (NN GEMM, then the adjoint of im2col)
//   conv2dTranspose       the same three products in another order: forward is conv2d's input
//                         gradient (x W, col2im), backward its forward (im2col) and weight gradient.
//
// Spec: { type: 'conv2d' | 'conv2dTranspose', filters, kernelSize, stride?, padding?, activation? },
// and outputPadding? on conv2dTranspose (PyTorch's output_padding: rows and columns added at the
// bottom and right of the output, each fewer than the stride, so that a transposed convolution
// can give back the odd sizes a stride-2 conv2d rounds down); kernelSize, stride, padding and
// outputPadding take a number or [h, w]; conv2d takes padding 'same' (stride 1, odd kernels:
// PyTorch's 'same' is symmetric only there). Forward keeps the patches (conv2d) or
// the NHWC input (conv2dTranspose) for backward in the layer's workspace.
import { ACT_CODE, type Act, type Backend, type Buf } from '../backend/index.js';
import { WavaeError, checkKeys, describe } from '../errors.js';
import type { Rng } from '../random.js';
import { layerActivation, layerInt } from './dense.js';
import { showShape, type Layer, type LayerType, type Position, type ResolvedLayer, type Shape } from './layer.js';
import type { ParamLayout, ParamStore, TensorSpec } from './params.js';
import type { Rows } from './rows.js';

/** A convolution's geometry: input [c, h, w], output [f, ho, wo], kernel, stride, padding. */
interface Geometry {
  c: number; h: number; w: number; f: number; ho: number; wo: number;
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number;
}

/** A number or [h, w] option of a spec, as [h, w]; each in [min, max]. */
function pair(spec: Readonly<Record<string, unknown>>, key: string, dflt: number, min: number, at: Position): [number, number] {
  const v = spec[key] ?? dflt;
  const both = Array.isArray(v) && v.length === 2 ? v : [v, v];
  if (!both.every((d) => Number.isInteger(d) && d >= min && d <= 1024)) {
    throw new WavaeError('INVALID_OPTION', `${at.where}: ${key} must be an integer in [${min}, 1024] or [h, w] of them, got ${describe(v)}`);
  }
  return both as [number, number];
}

function imageInput(type: string, input: Shape, at: Position): [number, number, number] {
  if (input.length !== 3) {
    throw new WavaeError('INVALID_OPTION', `${at.where}: ${type} needs an image input [channels, height, width], got shape ${showShape(input)}; give the model an inputShape or add { type: 'reshape', shape: [c, h, w] }`);
  }
  return input as [number, number, number];
}

/** The geometry of a resolved convolution layer (conv2d: from input to output; conv2dTranspose: the conv2d whose input gradient it is, from output to input). */
function geometryOf(layer: ResolvedLayer): Geometry {
  const s = layer.spec as unknown as { filters: number; kernelSize: [number, number]; stride: [number, number]; padding: [number, number] };
  const [image, grid] = layer.spec.type === 'conv2d' ? [layer.input, layer.output] : [layer.output, layer.input];
  return {
    c: image[0], h: image[1], w: image[2], f: grid[0], ho: grid[1], wo: grid[2],
    kh: s.kernelSize[0], kw: s.kernelSize[1], sh: s.stride[0], sw: s.stride[1], ph: s.padding[0], pw: s.padding[1],
  };
}

/** The im2col / col2im geometry arguments for n images. */
function geometryArgs(g: Geometry, n: number): number[] {
  return [n, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.ho, g.wo];
}

function resolveConv(transposed: boolean) {
  const type = transposed ? 'conv2dTranspose' : 'conv2d';
  return (spec: Readonly<Record<string, unknown>>, input: Shape, at: Position): { spec: ResolvedLayer['spec']; output: Shape } => {
    checkKeys(at.where, spec, ['type', 'filters', 'kernelSize', 'stride', 'padding', 'activation', ...(transposed ? ['outputPadding'] : [])]);
    const [, h, w] = imageInput(type, input, at);
    const filters = layerInt(spec, 'filters', at);
    const kernelSize = pair(spec, 'kernelSize', NaN, 1, at);
    const stride = pair(spec, 'stride', 1, 1, at);
    let padding: [number, number];
    if (spec.padding === 'same') {
      if (transposed || stride[0] !== 1 || stride[1] !== 1 || kernelSize[0] % 2 === 0 || kernelSize[1] % 2 === 0) {
        throw new WavaeError('INVALID_OPTION', `${at.where}: padding 'same' needs conv2d with stride 1 and an odd kernelSize, got ${type}, stride [${stride}], kernelSize [${kernelSize}]`);
      }
      padding = [(kernelSize[0] - 1) / 2, (kernelSize[1] - 1) / 2];
    } else {
      padding = pair(spec, 'padding', 0, 0, at);
    }
    if (padding[0] >= kernelSize[0] || padding[1] >= kernelSize[1]) {
      throw new WavaeError('INVALID_OPTION', `${at.where}: padding [${padding}] must be smaller than kernelSize [${kernelSize}]`);
    }
    const outputPadding = transposed ? pair(spec, 'outputPadding', 0, 0, at) : [0, 0];
    if (outputPadding[0] >= stride[0] || outputPadding[1] >= stride[1]) {
      throw new WavaeError('INVALID_OPTION', `${at.where}: outputPadding [${outputPadding}] must be smaller than the stride [${stride}]`);
    }
    const [ho, wo] = transposed
      ? [(h - 1) * stride[0] - 2 * padding[0] + kernelSize[0] + outputPadding[0], (w - 1) * stride[1] - 2 * padding[1] + kernelSize[1] + outputPadding[1]]
      : [Math.floor((h + 2 * padding[0] - kernelSize[0]) / stride[0]) + 1, Math.floor((w + 2 * padding[1] - kernelSize[1]) / stride[1]) + 1];
    if (!(ho >= 1 && wo >= 1)) {
      throw new WavaeError('INVALID_OPTION', `${at.where}: a ${kernelSize.join('x')} kernel with stride [${stride}] and padding [${padding}] leaves no output of input ${showShape(input)}`);
    }
    if (transposed && (Math.floor((ho + 2 * padding[0] - kernelSize[0]) / stride[0]) + 1 !== h || Math.floor((wo + 2 * padding[1] - kernelSize[1]) / stride[1]) + 1 !== w)) {
      throw new WavaeError('INVALID_OPTION', `${at.where}: padding [${padding}] crops past the kernel's reach on input ${showShape(input)}`);
    }
    const activation = layerActivation(spec, at);
    const extra = outputPadding[0] || outputPadding[1] ? { outputPadding } : {}; // absent when zero: files of such layers stay as they were
    return { spec: { type, filters, kernelSize, stride, padding, ...extra, activation }, output: [filters, ho, wo] };
  };
}

function convTensors(layer: ResolvedLayer): TensorSpec[] {
  const g = geometryOf(layer);
  const weight = layer.spec.type === 'conv2d' ? [g.f, g.c, g.kh, g.kw] : [g.f, g.c, g.kh, g.kw];
  // conv2dTranspose: PyTorch stores [in, out, kh, kw]; its "in" is the grid's channels (g.f), its out the image's (g.c)
  return [
    { name: `${layer.name}.weight`, shape: weight, decay: true },
    { name: `${layer.name}.bias`, shape: [layer.spec.type === 'conv2d' ? g.f : g.c], decay: false },
  ];
}

/** PyTorch's default initialisation: weight and bias uniform in +-1/sqrt(fan_in), fan_in = weight.size(1) kh kw. */
function convInit(flat: Float32Array, layout: ParamLayout, layer: ResolvedLayer, rng: Rng): void {
  const g = geometryOf(layer);
  const bound = 1 / Math.sqrt(g.c * g.kh * g.kw); // size(1) is the image's channels for both layouts
  for (const suffix of ['weight', 'bias']) {
    const t = layout.get(`${layer.name}.${suffix}`);
    for (let i = 0; i < t.size; i++) flat[t.offset + i] = (2 * rng.uniform() - 1) * bound;
  }
}

/** What both convolutions hold: the geometry, parameter and gradient views, the activation. */
abstract class Convolution implements Layer {
  readonly passThrough = false;
  /** Floats per row of the two workspaces (from the geometry). */
  readonly workspace: readonly number[];
  protected readonly g: Geometry;
  protected readonly w: Buf;
  protected readonly b: Buf;
  protected readonly dw: Buf;
  protected readonly db: Buf;
  protected readonly act: Act;

  constructor(readonly resolved: ResolvedLayer, store: ParamStore, workspace: (g: Geometry) => number[]) {
    this.g = geometryOf(resolved);
    this.workspace = workspace(this.g);
    [this.w, this.b, this.dw, this.db] = [store.param(`${resolved.name}.weight`), store.param(`${resolved.name}.bias`),
      store.grad(`${resolved.name}.weight`), store.grad(`${resolved.name}.bias`)];
    this.act = resolved.spec.activation as Act;
  }

  abstract forward(be: Backend, out: Buf, inp: Buf, n: number, ws: readonly Rows[]): void;
  abstract backward(be: Backend, dinp: Buf | null, dinpBeta: 0 | 1, dout: Buf, inp: Buf, out: Buf, n: number, ws: readonly Rows[]): void;
}

/**
 * Conv2d: out (n, f, ho, wo) = act(conv(inp (n, c, h, w), W) + b); W (f, c*kh*kw), b (f).
 * Workspace: the patches (n*ho*wo, c*kh*kw), and the NHWC output / its gradient (n*ho*wo, f).
 */
class Conv2d extends Convolution {
  constructor(resolved: ResolvedLayer, store: ParamStore) {
    super(resolved, store, (g) => [g.ho * g.wo * g.c * g.kh * g.kw, g.ho * g.wo * g.f]);
  }

  forward(be: Backend, out: Buf, inp: Buf, n: number, ws: readonly Rows[]): void {
    const { c, kh, kw, f, ho, wo } = this.g;
    const [col, y] = [ws[0].rows(n), ws[1].rows(n)];
    const m = n * ho * wo;
    be.run('im2col_f32', [col, inp, ...geometryArgs(this.g, n)]);
    be.gemm_f32(false, true, m, f, c * kh * kw, 1, col, this.w, 0, y, this.b, this.act);
    be.run('transpose_f32', [out, y, n, ho * wo, f, 0]);
  }

  backward(be: Backend, dinp: Buf | null, dinpBeta: 0 | 1, dout: Buf, _inp: Buf, out: Buf, n: number, ws: readonly Rows[]): void {
    const { c, kh, kw, f, ho, wo } = this.g;
    const [col, dy] = [ws[0].rows(n), ws[1].rows(n)];
    const [m, K] = [n * ho * wo, c * kh * kw];
    if (this.act !== 'identity') be.act_backward_f32(dout, dout, out, this.act);
    be.run('transpose_f32', [dy, dout, n, f, ho * wo, 0]);
    be.gemm_f32(true, false, f, K, m, 1, dy, col, 0, this.dw);
    be.col_sum_f32(this.db, dy, m, f, 0);
    if (!dinp) return;
    be.gemm_f32(false, false, m, K, f, 1, dy, this.w, 0, col); // the patches are spent: their gradient takes their place
    be.run('col2im_f32', [dinp, col, ...geometryArgs(this.g, n), dinpBeta]);
  }
}

/**
 * ConvTranspose2d: out (n, f, ho, wo) = act(conv_transpose(inp (n, c, h, w), W) + b). Its geometry
 * is that of the conv2d whose input gradient it is (image = output, grid = input): W (g.f, g.c*kh*kw),
 * b (g.c). Workspace: the NHWC input (n*h*w, in), and the patches.
 */
class Conv2dTranspose extends Convolution {
  constructor(resolved: ResolvedLayer, store: ParamStore) {
    super(resolved, store, (g) => [g.ho * g.wo * g.f, g.ho * g.wo * g.c * g.kh * g.kw]);
  }

  forward(be: Backend, out: Buf, inp: Buf, n: number, ws: readonly Rows[]): void {
    const { c, h, w, kh, kw, f, ho, wo } = this.g;
    const [x, col] = [ws[0].rows(n), ws[1].rows(n)];
    const m = n * ho * wo;
    be.run('transpose_f32', [x, inp, n, f, ho * wo, 0]);
    be.gemm_f32(false, false, m, c * kh * kw, f, 1, x, this.w, 0, col);
    be.run('col2im_f32', [out, col, ...geometryArgs(this.g, n), 0]);
    be.run('chan_bias_act_f32', [out, out, this.b, n, c, h * w, ACT_CODE[this.act], 0.01]);
  }

  backward(be: Backend, dinp: Buf | null, dinpBeta: 0 | 1, dout: Buf, _inp: Buf, out: Buf, n: number, ws: readonly Rows[]): void {
    const { c, h, w, kh, kw, f, ho, wo } = this.g;
    const [x, dcol] = [ws[0].rows(n), ws[1].rows(n)];
    const [m, K] = [n * ho * wo, c * kh * kw];
    if (this.act !== 'identity') be.act_backward_f32(dout, dout, out, this.act);
    be.run('chan_sum_f32', [this.db, dout, n, c, h * w, 0]);
    be.run('im2col_f32', [dcol, dout, ...geometryArgs(this.g, n)]);
    be.gemm_f32(true, false, f, K, m, 1, x, dcol, 0, this.dw);
    if (!dinp) return;
    be.gemm_f32(false, true, m, f, K, 1, dcol, this.w, 0, x); // the NHWC input is spent: its gradient takes its place
    be.run('transpose_f32', [dinp, x, n, ho * wo, f, dinpBeta]);
  }
}

/** { type: 'conv2d', filters, kernelSize, stride?, padding? (number, [h, w] or 'same'), activation? } */
export const CONV2D: LayerType = {
  type: 'conv2d',
  parameterised: true,
  resolve: resolveConv(false),
  tensors: convTensors,
  init: convInit,
  create: (layer, store) => new Conv2d(layer, store),
};

/** { type: 'conv2dTranspose', filters, kernelSize, stride?, padding?, outputPadding?, activation? } */
export const CONV2D_TRANSPOSE: LayerType = {
  type: 'conv2dTranspose',
  parameterised: true,
  resolve: resolveConv(true),
  tensors: convTensors,
  init: convInit,
  create: (layer, store) => new Conv2dTranspose(layer, store),
};
