// A stack of layers described by specs (PyTorch's nn.Sequential): resolveStack() checks that the
// shapes chain and names the parameterised layers `${prefix}.${i}` in order; Stack runs them
// with planned buffers. forward() keeps every layer's output; backward() walks the stack in
// reverse, starting from the gradient the caller wrote into outputGrad(). Layers whose output is
// their input (flatten, reshape) take no buffer and no step.
import type { Act, Backend, Buf } from '../backend/index.js';
import { WavaeError, describe } from '../errors.js';
import type { Rng } from '../random.js';
import { showShape, size, type Layer, type LayerSpec, type ResolvedLayer, type Shape } from './layer.js';
import { LAYER_TYPES } from './layers.js';
import type { ParamLayout, ParamStore, TensorSpec } from './params.js';
import { Rows } from './rows.js';

/** How a stack's layers are resolved. */
export interface StackOptions {
  /** Names the model in errors: "VAE". */
  readonly model: string;
  /** The activation of every parameterised layer that names none. */
  readonly activation: Act;
  /** The last parameterised layer gives logits or means: linear. */
  readonly lastLinear: boolean;
  /** The number of the first parameterised layer (a code layer continues its encoder's numbering). */
  readonly firstIndex?: number;
  /** A conditional model's condition width: the stack's first dense layer takes [input, condition]. */
  readonly condition?: number;
}

/** Most layers in one stack (a bound on what a model file may ask for). */
export const MAX_LAYERS = 128;

/** Most values in one row of any layer's output (the bound on inputShape too). */
export const MAX_ROW_VALUES = 1 << 26;

/** Resolves specs (plain JSON) from the input shape on: every layer's spec with defaults, shapes and name. */
export function resolveStack(prefix: string, specs: unknown, input: Shape, options: StackOptions): ResolvedLayer[] {
  if (!Array.isArray(specs) || specs.length > MAX_LAYERS) {
    throw new WavaeError('INVALID_OPTION', `${options.model}: ${prefix} must be an array of at most ${MAX_LAYERS} layer specs like { type: 'dense', units: 256 }, got ${describe(specs)}`);
  }
  let lastParameterised = -1;
  specs.forEach((s, i) => { if (LAYER_TYPES[(s as LayerSpec)?.type]?.parameterised) lastParameterised = i; });
  const resolved: ResolvedLayer[] = [];
  let shape = input;
  let index = options.firstIndex ?? 0;
  let condition = options.condition ?? 0;
  specs.forEach((spec: unknown, i) => {
    const type = typeof spec === 'object' && spec !== null && !Array.isArray(spec) ? (spec as LayerSpec).type : undefined;
    const where = `${options.model}: ${prefix}[${i}]${typeof type === 'string' ? ` (${type})` : ''}`;
    const layerType = typeof type === 'string' && Object.hasOwn(LAYER_TYPES, type) ? LAYER_TYPES[type] : null;
    if (!layerType) {
      throw new WavaeError('INVALID_OPTION', `${where}: a layer spec needs a type, one of ${Object.keys(LAYER_TYPES).join(', ')}, got ${describe(spec)}`);
    }
    const last = options.lastLinear && i === lastParameterised;
    const { spec: full, output } = layerType.resolve(spec as Record<string, unknown>, shape, { where, activation: last ? 'identity' : options.activation, last });
    if (size(output) > MAX_ROW_VALUES) {
      throw new WavaeError('INVALID_OPTION', `${where}: its output ${showShape(output)} from ${showShape(shape)} has ${size(output)} values per row, more than ${MAX_ROW_VALUES}`);
    }
    const takes = condition > 0 && full.type === 'dense' ? { condition } : {};
    if (takes.condition) condition = 0;
    resolved.push({ spec: full, input: shape, output, name: layerType.parameterised ? `${prefix}.${index++}` : null, ...takes });
    shape = output;
  });
  return resolved;
}

/** The output shape of resolved layers after an input shape. */
export function stackOutput(layers: readonly ResolvedLayer[], input: Shape): Shape {
  return layers.length ? layers[layers.length - 1].output : input;
}

/** Every tensor of resolved layers, in order. */
export function stackTensors(layers: readonly ResolvedLayer[]): TensorSpec[] {
  return layers.flatMap((l) => LAYER_TYPES[l.spec.type].tensors(l));
}

/** Initialises the parameters of resolved layers in order (one rng: the order is part of a seed's meaning). */
export function stackInit(flat: Float32Array, layout: ParamLayout, layers: readonly ResolvedLayer[], rng: Rng): void {
  for (const l of layers) LAYER_TYPES[l.spec.type].init(flat, layout, l, rng);
}

/** The specs of resolved layers, as stored in model files. */
export function stackSpecs(layers: readonly ResolvedLayer[]): LayerSpec[] {
  return layers.map((l) => l.spec);
}

/** Per-batch-size buffers of a Stack: each computing layer's output and its gradient, (capacity, output size). */
export class StackPlan {
  readonly outs: Rows[];
  readonly grads: Rows[];
  /** Each computing layer's workspaces (kept from forward to backward). */
  readonly ws: Rows[][];

  constructor(be: Backend, stack: Stack, capacity: number) {
    this.outs = stack.steps.map((l) => new Rows(be, capacity, size(l.resolved.output)));
    this.grads = stack.steps.map((l) => new Rows(be, capacity, size(l.resolved.output)));
    this.ws = stack.steps.map((l) => l.workspace.map((floats) => new Rows(be, capacity, floats)));
  }

  free(): void {
    for (const r of [...this.outs, ...this.grads, ...this.ws.flat()]) r.free();
  }
}

/** A stack of layers bound to a model's parameters. */
export class Stack {
  readonly layers: readonly Layer[];
  /** The layers that compute (not flatten or reshape), in order. */
  readonly steps: readonly Layer[];
  /** The step that takes the condition, or -1. */
  private readonly conditioned: number;

  /**
   * dataInput: the stack's input is the model's data (an encoder). Layer.sparseInput marks the
   * first computing layer then, and every layer after a ReLU (flatten and reshape between).
   */
  constructor(readonly resolved: readonly ResolvedLayer[], store: ParamStore, private readonly options: { readonly dataInput?: boolean } = {}) {
    this.layers = resolved.map((l) => LAYER_TYPES[l.spec.type].create(l, store));
    this.steps = this.layers.filter((l) => !l.passThrough);
    this.steps.forEach((l, i) => { l.sparseInput = i === 0 ? options.dataInput === true : reluOutput(this.steps[i - 1]); });
    this.conditioned = this.steps.findIndex((l) => l.resolved.condition);
  }

  /** True when the stack's output may be mostly zeros: a ReLU's, or the data of a stack that computes nothing. */
  get sparseOutput(): boolean {
    return this.steps.length === 0 ? this.options.dataInput === true : reluOutput(this.steps[this.steps.length - 1]);
  }

  /** True when the stack computes nothing: its output is its input. */
  get identity(): boolean {
    return this.steps.length === 0;
  }

  /**
   * Runs the stack on inp (n rows); returns the view holding the output (n rows), inp itself for
   * an identity stack. cond (n rows): the condition, for a stack whose dense layer takes one.
   */
  forward(be: Backend, plan: StackPlan, inp: Buf, n: number, cond: Buf | null = null): Buf {
    let x = inp;
    for (let i = 0; i < this.steps.length; i++) {
      const out = plan.outs[i].rows(n);
      this.steps[i].forward(be, out, x, n, plan.ws[i], i === this.conditioned ? cond : null);
      x = out;
    }
    return x;
  }

  /** The buffer the caller fills with dL/d(output) before backward() (not for an identity stack). */
  outputGrad(plan: StackPlan, n: number): Buf {
    return plan.grads[this.steps.length - 1].rows(n);
  }

  /**
   * Backward through the stack after forward(plan, inp, n): parameter gradients are overwritten;
   * dinp (n rows of the input) receives dL/d(inp) (overwritten when dinpBeta = 0, added when 1), or null.
   * cond: the condition rows forward() had.
   */
  backward(be: Backend, plan: StackPlan, inp: Buf, n: number, dinp: Buf | null, dinpBeta: 0 | 1, cond: Buf | null = null): void {
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const below = i > 0 ? plan.outs[i - 1].rows(n) : inp;
      const dbelow = i > 0 ? plan.grads[i - 1].rows(n) : dinp;
      this.steps[i].backward(be, dbelow, i > 0 ? 0 : dinpBeta, plan.grads[i].rows(n), below, plan.outs[i].rows(n), n, plan.ws[i],
        i === this.conditioned ? cond : null);
    }
  }
}

/** True when a layer's output comes out of a ReLU (exact zeros wherever its input was negative). */
function reluOutput(layer: Layer): boolean {
  return layer.resolved.spec.activation === 'relu';
}
