// The layer types a spec may name: one line per type, each defined in its own file.
import { CONV2D, CONV2D_TRANSPOSE } from './conv.js';
import { DENSE } from './dense.js';
import type { LayerType } from './layer.js';
import { FLATTEN, RESHAPE } from './reshape.js';

/** Layer types by the `type` of their specs. */
export const LAYER_TYPES: Readonly<Record<string, LayerType>> = {
  dense: DENSE,
  conv2d: CONV2D,
  conv2dTranspose: CONV2D_TRANSPOSE,
  flatten: FLATTEN,
  reshape: RESHAPE,
};
