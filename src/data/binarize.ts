// Binarization for the likelihood literature: fixed (threshold 0.5) or dynamic (each pixel is
// a Bernoulli draw with its grey level as probability, redrawn when called again).
import { WavaeError } from '../errors.js';
import { matrix, type Matrix } from '../matrix.js';
import { Rng } from '../random.js';

/** A 0/1 copy of x: fixed threshold at 0.5, or dynamic Bernoulli(x) draws with a seed. */
export function binarize(x: Matrix, options: { mode?: 'fixed' | 'dynamic'; seed?: number } = {}): Matrix {
  const mode = options.mode ?? 'fixed';
  const out = new Float32Array(x.data.length);
  if (mode === 'fixed') {
    for (let i = 0; i < out.length; i++) out[i] = x.data[i] >= 0.5 ? 1 : 0;
  } else if (mode === 'dynamic') {
    const rng = new Rng(options.seed ?? 0);
    for (let i = 0; i < out.length; i++) out[i] = rng.uniform() < x.data[i] ? 1 : 0;
  } else {
    throw new WavaeError('INVALID_OPTION', `binarize: mode must be 'fixed' or 'dynamic', got ${String(mode)}`);
  }
  return matrix(x.rows, x.cols, out);
}
