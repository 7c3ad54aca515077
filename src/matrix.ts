// Matrix: the row-major float32 matrix of the public API, and the checks every entry point
// applies to user data (shape, length, NaN/Infinity) before it reaches the heap.
import { WavaeError, checkInt, describe } from './errors.js';

/** A row-major float32 matrix: element (i, j) is data[i * cols + j]. */
export interface Matrix {
  /** The number of rows (samples). */
  readonly rows: number;
  /** The number of columns (values per row). */
  readonly cols: number;
  /** The rows * cols values, row after row. */
  readonly data: Float32Array;
}

/** The most values matrix() allocates (2^30 float32: 4 GiB, about the largest Float32Array an engine makes). */
export const MAX_MATRIX_VALUES = 2 ** 30;

/** Builds a Matrix; data defaults to zeros and must hold rows * cols values. */
export function matrix(rows: number, cols: number, data?: Float32Array | ArrayLike<number>): Matrix {
  checkInt('matrix: rows', rows, 0);
  checkInt('matrix: cols', cols, 1);
  if (data === undefined) {
    if (rows * cols > MAX_MATRIX_VALUES) {
      throw new WavaeError('OUT_OF_MEMORY', `matrix: ${rows} x ${cols} is ${rows * cols} values, more than the ${MAX_MATRIX_VALUES} of a Float32Array wavae allocates`);
    }
    return { rows, cols, data: new Float32Array(rows * cols) };
  }
  if (data.length !== rows * cols) {
    throw new WavaeError('SHAPE_MISMATCH', `matrix: data has ${data.length} values, expected rows * cols = ${rows} * ${cols} = ${rows * cols}`);
  }
  return { rows, cols, data: data instanceof Float32Array ? data : Float32Array.from(data) };
}

/**
 * Accepts a Matrix with `cols` columns or a Float32Array of length n * cols, checks that every
 * value is finite, and returns it as a Matrix (no copy).
 */
export function asMatrix(name: string, x: unknown, cols: number, options: { allowEmpty?: boolean } = {}): Matrix {
  let m: Matrix;
  if (x instanceof Float32Array) {
    if (x.length % cols !== 0) {
      throw new WavaeError('SHAPE_MISMATCH', `${name}: a Float32Array of length ${x.length} is not a whole number of rows of ${cols} values`);
    }
    m = { rows: x.length / cols, cols, data: x };
  } else if (typeof x === 'object' && x !== null && 'data' in x && 'rows' in x && 'cols' in x) {
    const mx = x as Matrix;
    if (!(mx.data instanceof Float32Array)) {
      throw new WavaeError('INVALID_OPTION', `${name}: data must be a Float32Array, got ${describe(mx.data)}`);
    }
    if (mx.cols !== cols) throw new WavaeError('SHAPE_MISMATCH', `${name}: expected ${cols} columns, got ${mx.cols}`);
    if (!Number.isInteger(mx.rows) || mx.data.length !== mx.rows * mx.cols) {
      throw new WavaeError('SHAPE_MISMATCH', `${name}: data has ${mx.data.length} values, expected rows * cols = ${mx.rows} * ${mx.cols}`);
    }
    m = mx;
  } else {
    throw new WavaeError('INVALID_OPTION', `${name}: expected a Matrix { rows, cols, data } or a Float32Array, got ${describe(x)}`);
  }
  if (m.rows === 0 && !options.allowEmpty) throw new WavaeError('SHAPE_MISMATCH', `${name}: has no rows`);
  const bad = firstNonFinite(m.data);
  if (bad >= 0) {
    const row = Math.floor(bad / cols);
    throw new WavaeError('NON_FINITE_INPUT', `${name}: value ${m.data[bad]} at row ${row}, column ${bad - row * cols} is not finite`);
  }
  return m;
}

/**
 * Index of the first NaN or infinity in d, or -1. Scans blocks with sums of x * 0 (0 for a finite
 * x, NaN otherwise: no comparisons in the loop, twice as fast as Number.isFinite per element) and
 * looks inside a block only when its sum is not 0.
 */
export function firstNonFinite(d: Float32Array): number {
  const n = d.length;
  for (let start = 0; start < n; start += 8192) {
    const end = Math.min(n, start + 8192);
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let i = start;
    for (; i + 4 <= end; i += 4) {
      s0 += d[i] * 0;
      s1 += d[i + 1] * 0;
      s2 += d[i + 2] * 0;
      s3 += d[i + 3] * 0;
    }
    for (; i < end; i++) s0 += d[i] * 0;
    if (s0 + s1 + s2 + s3 !== 0) {
      for (let j = start; j < end; j++) if (!Number.isFinite(d[j])) return j;
    }
  }
  return -1;
}
