// Latent-space paths for the pictures users want: straight-line interpolation between two
// codes, and a traversal of one latent dimension.
import { WavaeError, describe } from '../errors.js';
import { matrix, type Matrix } from '../matrix.js';

/** steps codes on the line from a to b. */
export function interpolateCodes(a: ArrayLike<number>, b: ArrayLike<number>, steps: number, dim: number): Matrix {
  if (a.length !== dim || b.length !== dim) throw new WavaeError('SHAPE_MISMATCH', `interpolate: codes must have ${dim} values, got ${a.length} and ${b.length}`);
  if (!Number.isInteger(steps) || steps < 2) throw new WavaeError('INVALID_OPTION', `interpolate: steps must be an integer >= 2, got ${describe(steps)}`);
  const out = new Float32Array(steps * dim);
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    for (let j = 0; j < dim; j++) out[s * dim + j] = (1 - t) * a[j] + t * b[j];
  }
  return matrix(steps, dim, out);
}

/** steps codes equal to base except dimension d, which goes from -range to range. */
export function traverseCodes(base: ArrayLike<number>, d: number, steps: number, range: number, dim: number): Matrix {
  if (base.length !== dim) throw new WavaeError('SHAPE_MISMATCH', `traverse: base must have ${dim} values, got ${base.length}`);
  if (!Number.isInteger(d) || d < 0 || d >= dim) throw new WavaeError('INVALID_OPTION', `traverse: dim must be an integer in [0, ${dim - 1}], got ${describe(d)}`);
  if (!Number.isInteger(steps) || steps < 2) throw new WavaeError('INVALID_OPTION', `traverse: steps must be an integer >= 2, got ${describe(steps)}`);
  const out = new Float32Array(steps * dim);
  for (let s = 0; s < steps; s++) {
    for (let j = 0; j < dim; j++) out[s * dim + j] = base[j];
    out[s * dim + d] = -range + (2 * range * s) / (steps - 1);
  }
  return matrix(steps, dim, out);
}
