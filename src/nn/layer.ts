// What every layer type provides (one file per type: dense.ts, reshape.ts; the list is layers.ts).
// A layer is described by a plain JSON spec ({ type: 'dense', units: 256 }); a stack of specs
// (stack.ts) resolves each against the shape that comes in, names the parameterised ones with
// PyTorch's numbering, and builds the layers, which compute forward and backward on the backend.
// Shapes are per row, NCHW without the N: [features] for flat rows, [channels, height, width].
import type { Act, Backend, Buf } from '../backend/index.js';
import type { Rng } from '../random.js';
import type { ParamLayout, ParamStore, TensorSpec } from './params.js';
import type { Rows } from './rows.js';

/** The shape of one row: [d] for flat vectors, [C, H, W] for images (row-major, PyTorch's NCHW). */
export type Shape = readonly number[];

/** A layer as data: JSON-serialisable, stored in model files. */
export interface LayerSpec {
  /** The layer type: 'dense', 'conv2d', 'conv2dTranspose', 'flatten' or 'reshape'; the other keys are its options. */
  readonly type: string;
  readonly [option: string]: unknown;
}

/** A layer of a stack with everything known: its spec with defaults filled in, shapes, and name. */
export interface ResolvedLayer {
  readonly spec: LayerSpec;
  readonly input: Shape;
  readonly output: Shape;
  /** The parameter name prefix (`encoder.0`), or null for layers without parameters. */
  readonly name: string | null;
  /**
   * Columns of a condition that join this layer's input (a conditional model's first dense
   * layer of each stack): its weight's last input columns take them, PyTorch's layout of
   * Linear(in + condition) on torch.cat([inp, c], 1).
   */
  readonly condition?: number;
}

/** Where in a stack a layer is resolved: the default activation there, and how errors name it. */
export interface Position {
  /** e.g. "VAE: encoder[1] (conv2d)" */
  readonly where: string;
  /** The activation a layer takes unless its spec names one. */
  readonly activation: Act;
  /** The stack's last layer, whose output is logits or means: its activation must be identity. */
  readonly last: boolean;
}

/** A layer type: validation, parameter shapes and initialisation, and the runtime layer. */
export interface LayerType {
  readonly type: string;
  /** Layers with parameters are numbered within their stack (PyTorch's nn.Sequential indices). */
  readonly parameterised: boolean;
  /** Validates a spec against the incoming shape and fills in defaults; INVALID_OPTION names `at.where`. */
  resolve(spec: Readonly<Record<string, unknown>>, input: Shape, at: Position): { spec: LayerSpec; output: Shape };
  /** The layer's tensors, PyTorch names and layouts (none for layers without parameters). */
  tensors(layer: ResolvedLayer): TensorSpec[];
  /** Writes the layer's initial parameters into flat (laid out by layout), drawing from rng. */
  init(flat: Float32Array, layout: ParamLayout, layer: ResolvedLayer, rng: Rng): void;
  /** The layer bound to its parameter and gradient views. */
  create(layer: ResolvedLayer, store: ParamStore): Layer;
}

/** A layer ready to run. Buffers hold n rows of the input and output shapes, row-major. */
export interface Layer {
  readonly resolved: ResolvedLayer;
  /** True when the output is the input itself (flatten, reshape): the stack plans no buffer, and nothing runs. */
  readonly passThrough: boolean;
  /** Floats per row of each workspace buffer the layer keeps from forward to backward (im2col patches); [] for none. */
  readonly workspace: readonly number[];
  /**
   * Set by a stack (or a model, for its heads) on a layer whose input may be mostly zeros, which
   * the layer may skip (dense does): the model's data (images), or the output of a ReLU.
   */
  sparseInput?: boolean;
  /**
   * out (n, output) from inp (n, input); ws: the planned workspaces (their first n rows are this
   * batch's); cond (n, condition): the condition rows, for the layer that takes them.
   */
  forward(be: Backend, out: Buf, inp: Buf, n: number, ws: readonly Rows[], cond?: Buf | null): void;
  /**
   * Backward of forward(): dout (n, output) holds dL/d(out) and may be overwritten. Parameter
   * gradients are OVERWRITTEN; dinp (n, input) is overwritten when dinpBeta = 0 and added to when
   * 1; null skips it (the first layer needs no input gradient). cond: as in forward() (a
   * condition is data: it gets no gradient).
   */
  backward(be: Backend, dinp: Buf | null, dinpBeta: 0 | 1, dout: Buf, inp: Buf, out: Buf, n: number, ws: readonly Rows[], cond?: Buf | null): void;
}

/** Floats in one row of a shape. */
export function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A shape for messages: [64, 7, 7]. */
export function showShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** The activations a layer or a model may name. */
export const ACTIVATIONS: readonly Act[] = ['relu', 'leaky_relu', 'sigmoid', 'tanh', 'identity'];
