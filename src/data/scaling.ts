// Input scaling: fitted on the training data by the CLI, recorded in the model file's metadata,
// and applied the same way by eval, encode, reconstruct and the service, which inverts it on its
// outputs. Pictures invert it for display.
import { WavaeError } from '../errors.js';
import { matrix, type Matrix } from '../matrix.js';

/** How inputs were scaled before training. */
export type Scaling =
  | { type: 'none' }
  | { type: 'divide255' }
  | { type: 'minmax'; min: number[]; max: number[] }
  | { type: 'standardize'; mean: number[]; std: number[] };

export const SCALING_TYPES = ['none', 'divide255', 'minmax', 'standardize'] as const;

/**
 * A scaling recorded in a model file's metadata (JSON), checked before any use: a known type, and
 * for minmax and standardize one finite float32 value per input column in each array, max >= min,
 * and a std of 0 (a constant column) or one whose reciprocal is a finite float32. CORRUPT_FILE
 * naming `where` (the file) otherwise.
 */
export function readScaling(text: string, inputDim: number, where: string): Scaling {
  const bad = (why: string): WavaeError => new WavaeError('CORRUPT_FILE', `${where}: the metadata "scaling" ${why}`);
  let s: unknown;
  try {
    s = JSON.parse(text);
  } catch {
    throw bad('is not valid JSON');
  }
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw bad('is not a JSON object');
  const type = (s as { type?: unknown }).type;
  if (typeof type !== 'string' || !(SCALING_TYPES as readonly string[]).includes(type)) {
    throw bad(`has type ${JSON.stringify(type) ?? 'missing'}, expected one of ${SCALING_TYPES.join(', ')}`);
  }
  if (type === 'none' || type === 'divide255') return { type };
  const [a, b] = type === 'minmax' ? ['min', 'max'] : ['mean', 'std'];
  const column = (key: string): number[] => {
    const v = (s as Record<string, unknown>)[key];
    if (!Array.isArray(v) || v.length !== inputDim) {
      throw bad(`"${key}" must be an array of ${inputDim} numbers (one per input column), got ${Array.isArray(v) ? `${v.length} entries` : typeof v}`);
    }
    for (let j = 0; j < v.length; j++) {
      if (typeof v[j] !== 'number' || !Number.isFinite(Math.fround(v[j]))) throw bad(`"${key}" has ${String(v[j]).slice(0, 40)} at column ${j}, not a finite float32 number`);
    }
    return v as number[];
  };
  const first = column(a);
  const second = column(b);
  for (let j = 0; j < inputDim; j++) {
    if (type === 'minmax' && second[j] < first[j]) throw bad(`has max ${second[j]} < min ${first[j]} at column ${j}`);
    if (type === 'standardize' && (second[j] < 0 || (second[j] > 0 && !Number.isFinite(Math.fround(1 / second[j]))))) {
      throw bad(`has std ${second[j]} at column ${j}: a std is 0 (a constant column) or a positive number whose reciprocal is a finite float32`);
    }
  }
  return type === 'minmax' ? { type: 'minmax', min: first, max: second } : { type: 'standardize', mean: first, std: second };
}

/** Fits a scaling of the given type to x (per column for minmax and standardize). */
export function fitScaling(type: string, x: Matrix): Scaling {
  const { rows, cols, data } = x;
  if (type === 'none' || type === 'divide255') return { type };
  if (type === 'minmax') {
    const min = new Array<number>(cols).fill(Infinity);
    const max = new Array<number>(cols).fill(-Infinity);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const v = data[i * cols + j];
        if (v < min[j]) min[j] = v;
        if (v > max[j]) max[j] = v;
      }
    }
    return { type, min, max };
  }
  if (type === 'standardize') {
    const mean = new Array<number>(cols).fill(0);
    const std = new Array<number>(cols).fill(0);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j] / rows;
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) std[j] += (data[i * cols + j] - mean[j]) ** 2 / rows;
    return { type, mean, std: std.map(Math.sqrt) };
  }
  throw new WavaeError('INVALID_OPTION', `--scale must be one of ${SCALING_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
}

/** Applies a scaling; constant columns map to 0. */
export function applyScaling(s: Scaling, x: Matrix): Matrix {
  const { rows, cols, data } = x;
  if (s.type === 'none') return x;
  if ((s.type === 'minmax' && s.min.length !== cols) || (s.type === 'standardize' && s.mean.length !== cols)) {
    throw new WavaeError('SHAPE_MISMATCH', `the data has ${cols} columns, the model's scaling was fitted to ${s.type === 'minmax' ? s.min.length : (s as { mean: number[] }).mean.length}`);
  }
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j];
      let y = v;
      if (s.type === 'divide255') y = v / 255;
      else if (s.type === 'minmax') y = s.max[j] > s.min[j] ? (v - s.min[j]) / (s.max[j] - s.min[j]) : 0;
      else if (s.type === 'standardize') y = s.std[j] > 0 ? (v - s.mean[j]) / s.std[j] : 0;
      out[i * cols + j] = y;
    }
  }
  return matrix(rows, cols, out);
}

/** Model-space values back in the data's units (the inverse of applyScaling; a constant column gets its value back). */
export function invertScaling(s: Scaling, x: Matrix): Matrix {
  const { rows, cols, data } = x;
  if (s.type === 'none') return x;
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j];
      let y = v;
      if (s.type === 'divide255') y = v * 255;
      else if (s.type === 'minmax') y = s.min[j] + v * (s.max[j] - s.min[j]);
      else if (s.type === 'standardize') y = s.mean[j] + v * s.std[j];
      out[i * cols + j] = y;
    }
  }
  return matrix(rows, cols, out);
}

/** Maps model-space values to [0, 1] for pictures: inverts the scaling, then fits the raw range. */
export function toDisplay(s: Scaling, x: Matrix): Float32Array {
  const { cols, data } = x;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const j = i % cols;
    let v = data[i];
    if (s.type === 'standardize') {
      // back to raw units, then to [0, 1] assuming raw pixels are 0..255 or 0..1
      const raw = v * s.std[j] + s.mean[j];
      v = raw > 1.5 ? raw / 255 : raw;
    }
    out[i] = Math.min(1, Math.max(0, v));
  }
  return out;
}

/** The scaling a dataset gets by default: divide255 for byte data (0..255), none otherwise. */
export function defaultScaling(x: Matrix): string {
  let max = 0;
  for (let i = 0; i < x.data.length; i++) if (x.data[i] > max) max = x.data[i];
  return max > 1 && max <= 255 && x.data.every((v) => Number.isInteger(v) && v >= 0) ? 'divide255' : 'none';
}
