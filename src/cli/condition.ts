// Class labels as the condition of conditional models, for the CLI: `train --condition labels`
// checks the data's labels and one-hot encodes them, the model file records that its condition is
// one-hot labels of k classes, and later commands build condition rows from the data's labels or
// from --label. Not the library's checks of a condition (src/condition.ts does those).
import { WavaeError } from '../errors.js';
import { MAX_CLASSES, oneHot } from '../condition.js';
import { matrix, type Matrix } from '../matrix.js';
import { Rng } from '../random.js';

/** What `--condition` takes: the data's class labels, one-hot. */
export const CONDITION_KINDS = ['labels'] as const;

/** The most rows `--grid-by-label` draws (one per class). */
export const MAX_GRID_CLASSES = 256;

/**
 * A model file's condition as the CLI reads it: one-hot class labels (classes = conditionDim),
 * a condition the file does not describe (a conditional model saved by the library without the
 * CLI's metadata: its columns may be any features), or null for an unconditional model.
 */
export type ModelCondition = { type: 'labels'; classes: number } | { type: 'unrecorded'; width: number } | null;

/** The metadata entries of a model trained on one-hot labels of `classes` classes. */
export function conditionMetadata(classes: number): Record<string, string> {
  return { condition: 'labels', classes: String(classes) };
}

/** Reads the "condition" and "classes" entries of a model file, checked against the model's conditionDim. */
export function readCondition(file: string, conditionDim: number, metadata: Record<string, string>): ModelCondition {
  if (conditionDim === 0) {
    if (metadata.condition !== undefined) throw new WavaeError('CORRUPT_FILE', `${file}: the metadata "condition" is ${JSON.stringify(metadata.condition)}, but the model takes no condition`);
    return null;
  }
  if (metadata.condition === undefined) return { type: 'unrecorded', width: conditionDim };
  if (metadata.condition !== 'labels') throw new WavaeError('CORRUPT_FILE', `${file}: the metadata "condition" is ${JSON.stringify(metadata.condition)}, expected "labels"`);
  if (metadata.classes !== undefined && metadata.classes !== String(conditionDim)) {
    throw new WavaeError('CORRUPT_FILE', `${file}: the metadata "classes" is ${JSON.stringify(metadata.classes)}, but the model's condition has ${conditionDim} columns (one per class)`);
  }
  return { type: 'labels', classes: conditionDim };
}

/**
 * The class count of a model that takes class labels; INVALID_OPTION for an unconditional model
 * (`flag` names the option that asked for a class) or one whose condition the file does not describe.
 */
export function modelClasses(file: string, condition: ModelCondition, flag: string): number {
  if (condition === null) throw new WavaeError('INVALID_OPTION', `${flag} needs a conditional model (wavae train --condition labels); ${file} takes no condition`);
  if (condition.type === 'unrecorded') {
    throw new WavaeError('INVALID_OPTION', `${file}: a conditional model (conditionDim ${condition.width}) whose file does not say its condition is one-hot class labels, ` +
      `the only condition the CLI builds; if it was trained on wv.oneHot(labels, ${condition.width}), save it with { metadata: { condition: 'labels' } }`);
  }
  return condition.classes;
}

/** "the model has 10 classes (0 to 9)". */
function classRange(classes: number): string {
  return classes === 1 ? 'the model has 1 class (0)' : `the model has ${classes} classes (0 to ${classes - 1})`;
}

/** Checks --label against the model's classes. */
export function checkLabel(label: number, classes: number): void {
  if (!Number.isInteger(label) || label < 0 || label >= classes) throw new WavaeError('INVALID_OPTION', `--label ${label}: ${classRange(classes)}`);
}

/**
 * Checks class labels, naming the first bad row (counting from 0, as --index does): integers >= 0,
 * below `classes` when given ('--classes', or 'model' for a model's classes), and below
 * MAX_CLASSES. `what` names where they came from. Returns the largest label (-1 for none).
 */
export function checkLabels(labels: ArrayLike<number>, what: string, classes?: number, classesFrom: '--classes' | 'model' = '--classes'): number {
  let max = -1;
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    const row = `${what}: row ${i} (counting from 0) has label ${v}`;
    if (!Number.isInteger(v) || v < 0) throw new WavaeError('INVALID_OPTION', `${row}, not a class label (an integer >= 0)`);
    if (classes !== undefined && v >= classes) throw new WavaeError('INVALID_OPTION', `${row}, but ${classesFrom === '--classes' ? `--classes is ${classes} (labels 0 to ${classes - 1})` : classRange(classes)}`);
    if (v >= MAX_CLASSES) throw new WavaeError('INVALID_OPTION', `${row}, more than the ${MAX_CLASSES} classes a condition can have`);
    if (v > max) max = v;
  }
  return max;
}

/** How to give labels, for the error that says a dataset has none. */
export const HOW_TO_GIVE_LABELS = '--label-column NAME|INDEX for a CSV column, --labels FILE (IDX, .npy or CSV, one label per row), ' +
  'or an IDX label file next to IDX images (X-labels-idx1-ubyte next to X-images-idx3-ubyte)';

/** Condition rows for labels already checked against the model's classes. */
export function labelCondition(labels: ArrayLike<number>, classes: number): Matrix {
  return oneHot(labels, classes);
}

/** n condition rows of one class. */
export function classCondition(label: number, n: number, classes: number): Matrix {
  const data = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) data[i * classes + label] = 1;
  return matrix(n, classes, data);
}

/** Condition rows on the line from row a to row b of a condition (steps rows, t = s / (steps - 1), as interpolate's codes). */
export function blendCondition(c: Matrix, a: number, b: number, steps: number): Matrix {
  const k = c.cols;
  const out = new Float32Array(steps * k);
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    for (let j = 0; j < k; j++) out[s * k + j] = (1 - t) * c.data[a * k + j] + t * c.data[b * k + j];
  }
  return matrix(steps, k, out);
}

/** A model that decodes codes under a condition: a conditional VAE. */
interface Decoder {
  latentDim: number;
  decode(z: Matrix, options: { condition: Matrix }): Matrix;
}

/**
 * perClass samples of each class in `labels`, class by class (rows of the grid), the same codes
 * z_1..z_perClass for every class (columns: one z each), drawn as VAE.sample draws them from
 * `seed`: the row of class L is what `sample(perClass, { seed, condition: L })` gives.
 */
export function samplesByLabel(model: Decoder, labels: readonly number[], classes: number, perClass: number, seed: number): Matrix {
  const L = model.latentDim;
  const z = new Float32Array(perClass * L);
  new Rng(seed).fillNormal(z, 0, z.length);
  const codes = new Float32Array(labels.length * perClass * L);
  const rowLabels: number[] = [];
  labels.forEach((label, r) => {
    codes.set(z, r * perClass * L);
    for (let j = 0; j < perClass; j++) rowLabels.push(label);
  });
  return model.decode(matrix(labels.length * perClass, L, codes), { condition: labelCondition(rowLabels, classes) });
}
