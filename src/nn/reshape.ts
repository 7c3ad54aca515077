// Flatten and reshape: layers without parameters or work. Their output is their input's floats
// seen with another shape (rows are row-major either way), so a stack plans no buffer for them
// and runs nothing: { type: 'flatten' } turns [C, H, W] into [C*H*W]; { type: 'reshape', shape }
// turns any shape into one of the same size, as torch's nn.Unflatten / view.
import { WavaeError, checkKeys, describe } from '../errors.js';
import { showShape, size, type Layer, type LayerType, type ResolvedLayer } from './layer.js';

/** A layer whose output is its input (the stack skips it). */
class PassThrough implements Layer {
  readonly passThrough = true;
  readonly workspace: readonly number[] = [];
  constructor(readonly resolved: ResolvedLayer) {}
  forward(): void {}
  backward(): void {}
}

/** { type: 'flatten' } */
export const FLATTEN: LayerType = {
  type: 'flatten',
  parameterised: false,
  resolve(spec, input, at) {
    checkKeys(at.where, spec, ['type']);
    return { spec: { type: 'flatten' }, output: [size(input)] };
  },
  tensors: () => [],
  init: () => {},
  create: (layer) => new PassThrough(layer),
};

/** { type: 'reshape', shape: [C, H, W] } */
export const RESHAPE: LayerType = {
  type: 'reshape',
  parameterised: false,
  resolve(spec, input, at) {
    checkKeys(at.where, spec, ['type', 'shape']);
    const shape = spec.shape;
    if (!Array.isArray(shape) || shape.length < 1 || shape.length > 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new WavaeError('INVALID_OPTION', `${at.where}: shape must be 1 to 3 integers >= 1, like [64, 7, 7], got ${describe(shape)}`);
    }
    if (size(shape) !== size(input)) {
      throw new WavaeError('INVALID_OPTION', `${at.where}: cannot reshape ${showShape(input)} (${size(input)} values) to ${showShape(shape)} (${size(shape)} values)`);
    }
    return { spec: { type: 'reshape', shape: [...shape] }, output: [...shape] };
  },
  tensors: () => [],
  init: () => {},
  create: (layer) => new PassThrough(layer),
};
