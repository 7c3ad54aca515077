// Conditions of conditional models: oneHot() turns class labels into condition rows, and
// checkCondition() is the check every entry point of a model applies to a condition before it
// reaches the heap (present exactly when the model is conditional, its rows, its width, finite).
import { WavaeError, checkInt, describe } from './errors.js';
import { asMatrix, type Matrix } from './matrix.js';

/** The most classes oneHot() encodes. */
export const MAX_CLASSES = 1 << 16;

/** The most values oneHot() returns (1 GiB of float32). */
const MAX_ONE_HOT_VALUES = 2 ** 28;

/** One row per label, 1 in the label's column and 0 elsewhere: a Matrix of labels.length x k. */
export function oneHot(labels: ArrayLike<number>, k: number): Matrix {
  checkInt('oneHot: k', k, 1, MAX_CLASSES);
  if (typeof labels !== 'object' || labels === null || !Number.isInteger(labels.length) || labels.length < 0) {
    throw new WavaeError('INVALID_OPTION', `oneHot: labels must be an array or typed array of integers, got ${describe(labels)}`);
  }
  const n = labels.length;
  if (n * k > MAX_ONE_HOT_VALUES) {
    throw new WavaeError('OUT_OF_MEMORY', `oneHot: ${n} labels of ${k} classes would be ${n * k} values; at most ${MAX_ONE_HOT_VALUES} (1 GiB of float32)`);
  }
  const data = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= k) {
      throw new WavaeError('INVALID_OPTION', `oneHot: labels[${i}] is ${describe(label)}, not an integer in [0, ${k})`);
    }
    data[i * k + label] = 1;
  }
  return { rows: n, cols: k, data };
}

/**
 * The condition of a call of a model with `conditionDim` condition columns (0: none), for
 * `rows` rows (`per` names them: 'row of x', 'sample'): required by a conditional model (INVALID_OPTION
 * without it), refused by any other (INVALID_OPTION), SHAPE_MISMATCH for the wrong width or row
 * count, NON_FINITE_INPUT naming the row and column of a NaN or infinity. Returns null for none.
 */
export function checkCondition(where: string, conditionDim: number, condition: unknown, rows: number, per: string, name = 'condition'): Matrix | null {
  if (conditionDim === 0) {
    if (condition === undefined) return null;
    throw new WavaeError('INVALID_OPTION', `${where}: this model takes no condition (it was built without conditionDim), got options.${name}`);
  }
  if (condition === undefined || condition === null) {
    throw new WavaeError('INVALID_OPTION', `${where}: this model is conditional (conditionDim ${conditionDim}): pass options.${name}, ` +
      `${rows} rows of ${conditionDim} values (wv.oneHot(labels, ${conditionDim}) for class labels)`);
  }
  const c = asMatrix(`${where}: ${name}`, condition, conditionDim, { allowEmpty: rows === 0 });
  if (c.rows !== rows) throw new WavaeError('SHAPE_MISMATCH', `${where}: ${name} has ${c.rows} rows, expected ${rows} (one per ${per})`);
  return c;
}
