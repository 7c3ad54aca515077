// The layer types a spec may name: one line per type, each defined in its own file.
import { DENSE } from './dense.js';
import type { LayerType } from './layer.js';
import { FLATTEN, RESHAPE } from './reshape.js';

/** Layer types by the `type` of their specs. */
export const LAYER_TYPES: Readonly<Record<string, LayerType>> = {
  dense: DENSE,
  flatten: FLATTEN,
  reshape: RESHAPE,
};
