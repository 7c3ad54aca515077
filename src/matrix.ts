// Matrix: the row-major float32 matrix of the public API, and the checks every entry point
// applies to user data (shape, length, NaN/Infinity) before it reaches the heap.
import { WavaeError, checkInt, describe } from './errors.js';

/** A row-major float32 matrix: element (i, j) is data[i * cols + j]. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
}

/** Builds a Matrix; data defaults to zeros and must hold rows * cols values. */
export function matrix(rows: number, cols: number, data?: Float32Array | ArrayLike<number>): Matrix {
  checkInt('matrix: rows', rows, 0);
  checkInt('matrix: cols', cols, 1);
  if (data === undefined) return { rows, cols, data: new Float32Array(rows * cols) };
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
  const d = m.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      const row = Math.floor(i / cols);
      throw new WavaeError('NON_FINITE_INPUT', `${name}: value ${d[i]} at row ${row}, column ${i - row * cols} is not finite`);
    }
  }
  return m;
}
