// A model's architecture from its options: the options both models share (input shape, latent
// size, activation, weight decay, seed), and the encoder and decoder as resolved layer stacks,
// from layer specs (encoder, decoder) or the dense shorthand (hiddenDims). Nothing is allocated
// here: load() checks a file against an architecture before building anything.
import type { Act } from '../backend/index.js';
import { WavaeError, checkInt, checkKeys, describe, orDefault } from '../errors.js';
import { ACTIVATIONS, showShape, size, type LayerSpec, type ResolvedLayer, type Shape } from '../nn/layer.js';
import { ParamLayout, type TensorSpec, type TensorView } from '../nn/params.js';
import { MAX_LAYERS, resolveStack, stackOutput, stackSpecs, stackTensors } from '../nn/stack.js';

/** The option names both models take. */
export const COMMON_KEYS = ['inputDim', 'inputShape', 'hiddenDims', 'encoder', 'decoder', 'latentDim', 'conditionDim', 'activation', 'weightDecay', 'seed'];

/** The widest condition a model takes. */
export const MAX_CONDITION = 1 << 16;

/** The validated options both models share. */
export interface CommonOptions {
  /** The shape of one input row: [inputDim], or [C, H, W]. */
  inputShape: Shape;
  inputDim: number;
  /** The dense shorthand, when the model was described by it; null for layer specs. */
  hiddenDims: number[] | null;
  latentDim: number;
  /** The width of a conditional model's condition c (0: not conditional): q(z|x,c), p(x|z,c). */
  conditionDim: number;
  activation: Act;
  weightDecay: number;
  seed: number;
  /** The encoder's specs (from hiddenDims when given), before resolution. */
  encoderSpecs: unknown;
  /** The decoder's specs; null: mirror the encoder. */
  decoderSpecs: unknown | null;
}

/** A model's validated options and its layers, computed without allocating anything. */
export interface Architecture extends CommonOptions {
  /** The encoder's layers before the latent heads or the code layer. */
  encoder: ResolvedLayer[];
  decoder: ResolvedLayer[];
  /** Every layer with parameters, in the order of the layout and of initialisation. */
  layers: ResolvedLayer[];
  /** Tensors that belong to no layer (a Gaussian decoder's learned log-variance). */
  extra: TensorSpec[];
  /** The model file format version that describes this architecture (io/model-file.ts). */
  formatVersion: number;
}

/** Checks that options is an object of known keys, and validates the options both models share. */
export function checkCommon(name: string, options: unknown, keys: readonly string[], defaults: { hiddenDims: number[]; latentDim: number }): CommonOptions {
  if (typeof options !== 'object' || options === null) {
    throw new WavaeError('INVALID_OPTION', `${name}: options must be an object like { inputDim: 784 }, got ${describe(options)}`);
  }
  checkKeys(name, options, keys);
  const o = options as Record<string, unknown>;
  const inputShape = checkInputShape(name, o.inputShape, o.inputDim);
  const inputDim = size(inputShape);
  const layered = o.encoder !== undefined || o.decoder !== undefined;
  if (layered && o.hiddenDims !== undefined) {
    throw new WavaeError('INVALID_OPTION', `${name}: give hiddenDims (a dense stack) or encoder/decoder layer specs, not both`);
  }
  if (o.decoder !== undefined && o.encoder === undefined) throw new WavaeError('INVALID_OPTION', `${name}: a decoder needs an encoder`);
  let hiddenDims: number[] | null = null;
  if (!layered) {
    const dims = orDefault(o.hiddenDims, defaults.hiddenDims);
    if (!Array.isArray(dims) || dims.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new WavaeError('INVALID_OPTION', `${name}: hiddenDims must be an array of integers >= 1, got ${describe(dims)}`);
    }
    if (dims.length > MAX_LAYERS - 2 || dims.some((d) => d > 1 << 24)) { // the decoder adds its output layer, an image encoder its flatten
      throw new WavaeError('INVALID_OPTION', `${name}: hiddenDims may list at most ${MAX_LAYERS - 2} layers of at most ${1 << 24} units, got ${describe(dims)}`);
    }
    hiddenDims = [...dims] as number[];
  }
  const latentDim = checkInt(`${name}: latentDim`, orDefault(o.latentDim, defaults.latentDim), 1, 1 << 24);
  const conditionDim = checkInt(`${name}: conditionDim`, orDefault(o.conditionDim, 0), 0, MAX_CONDITION);
  const activation = orDefault(o.activation, 'relu') as Act;
  if (!ACTIVATIONS.includes(activation)) {
    throw new WavaeError('INVALID_OPTION', `${name}: activation must be one of ${ACTIVATIONS.join(', ')}, got ${describe(activation)}`);
  }
  const weightDecay = orDefault(o.weightDecay, 0);
  if (typeof weightDecay !== 'number' || !(weightDecay >= 0) || !Number.isFinite(weightDecay)) {
    throw new WavaeError('INVALID_OPTION', `${name}: weightDecay must be a number >= 0, got ${describe(weightDecay)}`);
  }
  const seed = checkInt(`${name}: seed`, orDefault(o.seed, 0), 0, 0xffffffff);
  const flatten: LayerSpec[] = inputShape.length > 1 ? [{ type: 'flatten' }] : [];
  const encoderSpecs = hiddenDims ? [...flatten, ...hiddenDims.map((units) => ({ type: 'dense', units }))] : o.encoder;
  return { inputShape, inputDim, hiddenDims, latentDim, conditionDim, activation, weightDecay, seed, encoderSpecs, decoderSpecs: hiddenDims ? null : orDefault(o.decoder, null) };
}

function checkInputShape(name: string, shape: unknown, dim: unknown): Shape {
  if (shape === undefined) {
    const d = checkInt(`${name}: inputDim`, dim, 1);
    if (d > 1 << 26) throw new WavaeError('INVALID_OPTION', `${name}: inputDim ${d} is more than ${1 << 26} values per row`);
    return [d];
  }
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 3 || shape.some((d) => !Number.isInteger(d) || d < 1 || d > 1 << 16)) {
    throw new WavaeError('INVALID_OPTION', `${name}: inputShape must be [features] or [channels, height, width] (integers >= 1), got ${describe(shape)}`);
  }
  if (size(shape) > 1 << 26) throw new WavaeError('INVALID_OPTION', `${name}: inputShape ${showShape(shape)} has more than ${1 << 26} values per row`);
  if (dim !== undefined && dim !== size(shape)) {
    throw new WavaeError('INVALID_OPTION', `${name}: inputDim ${describe(dim)} is not the size of inputShape ${showShape(shape)} (${size(shape)})`);
  }
  return [...shape];
}

/**
 * The encoder's layers: hidden layers with the model's activation (or their own). In a
 * conditional model the first dense layer takes [x, c] (after convolutions and their flatten:
 * [h, c]); an encoder without one leaves c to the latent heads or the code layer (headCondition).
 */
export function encoderLayers(name: string, c: CommonOptions): ResolvedLayer[] {
  return resolveStack('encoder', c.encoderSpecs, c.inputShape, { model: name, activation: c.activation, lastLinear: false, condition: c.conditionDim });
}

/** The condition width the latent heads or the code layer take: the model's, when no encoder layer took it. */
export function headCondition(c: CommonOptions, encoder: readonly ResolvedLayer[]): number {
  return encoder.some((l) => l.condition) ? 0 : c.conditionDim;
}

/**
 * The decoder's layers, from the latent code to the input shape; the last one linear (logits or
 * means). Without decoder specs, the encoder's mirror: a dense layer back to the encoder's output
 * size, then each encoder layer undone in reverse order (dense by dense, flatten by reshape,
 * conv2d by conv2dTranspose with its kernel, stride and padding, and the outputPadding that gives
 * back the conv2d's input size), each taking the activation of
 * the encoder layer that made the shape it makes.
 */
export function decoderLayers(name: string, c: CommonOptions, encoder: readonly ResolvedLayer[]): ResolvedLayer[] {
  const specs = c.decoderSpecs ?? mirror(name, c, encoder);
  const layers = resolveStack('decoder', specs, [c.latentDim], { model: name, activation: c.activation, lastLinear: true, condition: c.conditionDim });
  if (c.conditionDim > 0 && !layers[0]?.condition) {
    throw new WavaeError('INVALID_OPTION', `${name}: a conditional decoder starts with a dense layer, which takes [z, c]; decoder[0] is ${layers.length ? `a ${layers[0].spec.type} layer` : 'missing'}`);
  }
  const out = stackOutput(layers, [c.latentDim]);
  const matches = out.length === c.inputShape.length ? out.every((d, i) => d === c.inputShape[i]) : out.length === 1 && out[0] === c.inputDim;
  if (!matches) {
    const last = layers.length ? `decoder[${layers.length - 1}] (${layers[layers.length - 1].spec.type})` : 'the decoder';
    const hint = layers.length && layers[layers.length - 1].spec.type === 'conv2dTranspose' && out[0] === c.inputShape[0]
      ? " (a conv2dTranspose's outputPadding adds rows and columns, fewer than its stride)" : '';
    throw new WavaeError('INVALID_OPTION', `${name}: ${last} ends at shape ${showShape(out)}, but the decoder must end at the input shape ${showShape(c.inputShape)}${hint}`);
  }
  return layers;
}

/** The outputPadding a conv2dTranspose with conv2d layer l's geometry needs to give back l's input size (a stride-2 conv2d rounds odd sizes down); none when zero. */
function backTo(l: ResolvedLayer): { outputPadding?: number[] } {
  const s = l.spec as unknown as { kernelSize: number[]; stride: number[]; padding: number[] };
  const op = [0, 1].map((d) => l.input[1 + d] - ((l.output[1 + d] - 1) * s.stride[d] - 2 * s.padding[d] + s.kernelSize[d]));
  return op[0] || op[1] ? { outputPadding: op } : {};
}

function mirror(name: string, c: CommonOptions, encoder: readonly ResolvedLayer[]): LayerSpec[] {
  const made = (j: number): Record<string, unknown> => { // the activation of the layer whose output layer j takes in
    for (let i = j - 1; i >= 0; i--) if (encoder[i].name !== null) return encoder[i].spec.activation !== c.activation ? { activation: encoder[i].spec.activation } : {};
    return {};
  };
  const back = c.inputShape.length > 1 ? [{ type: 'reshape', shape: [...c.inputShape] }] : [];
  if (!encoder.some((l) => l.name !== null)) return [{ type: 'dense', units: c.inputDim }, ...back]; // nothing to mirror: one linear layer
  const out = stackOutput(encoder, c.inputShape);
  if (out.length !== 1) throw new WavaeError('INVALID_OPTION', `${name}: the encoder ends at shape ${showShape(out)}; give the decoder's layers (decoder: [...])`);
  const specs: LayerSpec[] = [{ type: 'dense', units: out[0], ...made(encoder.length) }];
  for (let j = encoder.length - 1; j >= 0; j--) {
    const l = encoder[j];
    const s = l.spec as Record<string, unknown>;
    if (l.spec.type === 'dense') specs.push({ type: 'dense', units: size(l.input), ...made(j) });
    else if (l.spec.type === 'conv2d') specs.push({ type: 'conv2dTranspose', filters: l.input[0], kernelSize: s.kernelSize, stride: s.stride, padding: s.padding, ...backTo(l), ...made(j) });
    else if (l.spec.type === 'flatten' || l.spec.type === 'reshape') specs.push({ type: 'reshape', shape: [...l.input] });
    else throw new WavaeError('INVALID_OPTION', `${name}: a ${l.spec.type} layer has no mirror; give the decoder's layers (decoder: [...])`);
  }
  if (specs[specs.length - 1].type === 'dense') specs.push(...back); // a convolution or a reshape already ends at the image shape
  return specs;
}

/** A dense layer outside the numbered stacks (the latent heads, the code layer) on a flat input, and a condition when it takes one. */
export function denseOn(name: string, what: string, input: Shape, units: number, layerName: string, condition = 0): ResolvedLayer {
  if (input.length !== 1) {
    throw new WavaeError('INVALID_OPTION', `${name}: the encoder must end flat for the ${what}, got shape ${showShape(input)}; end it with { type: 'flatten' }`);
  }
  return { spec: { type: 'dense', units, activation: 'identity' }, input, output: [units], name: layerName, ...(condition ? { condition } : {}) };
}

/** The architecture part of a model's config (saved in model files): the shorthand as given, or every layer spec. */
export function architectureConfig(arch: Architecture): Record<string, unknown> {
  const condition = arch.conditionDim > 0 ? { conditionDim: arch.conditionDim } : {};
  if (arch.hiddenDims) return { ...(arch.inputShape.length === 1 ? { inputDim: arch.inputDim } : { inputShape: arch.inputShape }), hiddenDims: arch.hiddenDims, ...condition };
  return { inputShape: arch.inputShape, encoder: stackSpecs(arch.encoder), decoder: stackSpecs(arch.decoder), ...condition };
}

/** The format version an architecture needs: 1 for the dense shorthand on flat rows, 2 for layer specs, 3 for a condition. */
export function formatVersionOf(c: CommonOptions): number {
  if (c.conditionDim > 0) return 3;
  return c.hiddenDims && c.inputShape.length === 1 ? 1 : 2;
}

/** Every tensor (name, shape) of an architecture, in layout order. */
export function architectureTensors(arch: Architecture): readonly TensorView[] {
  return new ParamLayout([...stackTensors(arch.layers), ...arch.extra]).tensors;
}

/** A state_dict's condition width: the columns of decoder.0.weight past the code's (none when 0); CORRUPT_FILE past MAX_CONDITION. */
export function inferredCondition(decoderIn: number, latentDim: number): Record<string, number> {
  const conditionDim = decoderIn - latentDim;
  if (conditionDim > MAX_CONDITION) {
    throw new WavaeError('CORRUPT_FILE', `load: decoder.0.weight takes ${decoderIn} inputs for a code of ${latentDim}: a condition of ${conditionDim} values, more than ${MAX_CONDITION}`);
  }
  return conditionDim > 0 ? { conditionDim } : {};
}

/** The numbered dense layers `${prefix}.0`, `${prefix}.1`, ... of a state_dict, read off their shapes. */
export function denseLayersOf(tensors: Record<string, { shape: number[] }>, prefix: string): { nin: number; nout: number }[] {
  const out: { nin: number; nout: number }[] = [];
  for (let i = 0; tensors[`${prefix}.${i}.weight`] && i < 64; i++) {
    const s = tensors[`${prefix}.${i}.weight`].shape;
    if (s.length !== 2) throw new WavaeError('CORRUPT_FILE', `load: '${prefix}.${i}.weight' must be 2-D, got [${s.join(', ')}]`);
    out.push({ nout: s[0], nin: s[1] });
  }
  return out;
}
