// `wavae sample | reconstruct | interpolate | traverse`: PNG grids from a model file; for a
// conditional model, under the data's labels or --label (sample: a class, or a row per class).
import { WavaeError } from '../errors.js';
import { matrix, type Matrix } from '../matrix.js';
import { MAX_GRID_CLASSES, blendCondition, checkLabel, classCondition, modelClasses, samplesByLabel } from './condition.js';
import { withOutputFile } from './outputs.js';
import { gridPng, gridTooBig } from './images.js';
import { modelData, type DataArgs } from './inspect.js';
import { given, latentCodes, openModel, reconstructionPairs, rowsOf, type CliModel } from './model-file.js';
import { checkImageShape, parseShape, showImageShape, type ImageShape } from './image-shape.js';
import { toDisplay, type Scaling } from '../data/scaling.js';

interface Common {
  model: string;
  out: string;
  shape?: string;
  cols?: number;
}

/** --shape, else the model file's image shape; either must hold the model's inputDim values. */
function imageShape(args: Common, model: CliModel, stored: ImageShape | null): ImageShape {
  if (args.shape) {
    const shape = parseShape(args.shape, model.inputDim);
    checkImageShape(shape, model.inputDim, `--shape ${args.shape}`, 'the model outputs', 'values');
    return shape;
  }
  if (!stored) throw new WavaeError('INVALID_OPTION', 'the model file records no image shape: pass --shape CxHxW or HxW (e.g. 3x32x32 or 28x28)');
  checkImageShape(stored, model.inputDim, `the model file's image shape ${showImageShape(stored)}`, 'the model outputs', 'values');
  return stored;
}

/** Refuses, before any work, a picture too large to draw; `what` names the options that chose its size. */
function checkGrid(count: number, shape: ImageShape, cols: number, what: string): void {
  const tooBig = gridTooBig(count, shape, cols, what);
  if (tooBig) throw new WavaeError('OUT_OF_MEMORY', tooBig);
}

function checkOut(out: string): void {
  if (!out.toLowerCase().endsWith('.png')) throw new WavaeError('INVALID_OPTION', `--out must end in .png, got ${JSON.stringify(out)}`);
}

/** The writer of --out (withOutputFile's) and its path. */
interface Out {
  write: (bytes: Uint8Array) => void;
  path: string;
}

function writeGrid(out: Out, scaling: Scaling, images: Matrix, shape: ImageShape, cols: number, what = ''): void {
  out.write(gridPng(toDisplay(scaling, images), images.rows, shape, cols));
  process.stdout.write(`wrote ${images.rows} images${what} to ${out.path}\n`);
}

/** Runs a picture command with --out checked (a .png whose folder can be made and written) before its work. */
async function toPng(file: string, work: (out: Out) => Promise<void>): Promise<void> {
  checkOut(file);
  await withOutputFile(file, '--out', (write) => work({ write, path: file }));
}

/** The most images `wavae sample` draws in one picture (--n, or classes x --n for a grid by label). */
export const MAX_SAMPLES = 10_000;

/**
 * `wavae sample`: n samples of a VAE; of a conditional VAE, n samples of class --label, or with
 * --grid-by-label (the default for a conditional model) one row per class of n samples each (8 by
 * default), column j decoded from the same code z_j in every row.
 */
export async function sample(args: Common & { n?: number; seed: number; label?: number; gridByLabel?: boolean }): Promise<void> {
  const { model, scaling, shape, condition } = openModel(args.model);
  if (!('sample' in model)) throw new WavaeError('INVALID_OPTION', 'sample needs a VAE model (an autoencoder has no prior to sample from)');
  if (args.label !== undefined && args.gridByLabel) throw new WavaeError('INVALID_OPTION', 'give --label L (samples of class L) or --grid-by-label (a row per class), not both');
  const s = imageShape(args, model, shape);
  await toPng(args.out, async (out) => {
    if (condition === null && args.label === undefined && !args.gridByLabel) {
      const n = args.n ?? 64;
      const cols = args.cols ?? Math.ceil(Math.sqrt(n));
      checkGrid(n, s, cols, `--n ${n} --cols ${cols}`);
      writeGrid(out, scaling, model.sample(n, { seed: args.seed }), s, cols);
    } else if (args.label !== undefined) {
      const classes = modelClasses(args.model, condition, `--label ${args.label}`);
      checkLabel(args.label, classes);
      const n = args.n ?? 64;
      const cols = args.cols ?? Math.ceil(Math.sqrt(n));
      checkGrid(n, s, cols, `--n ${n} --cols ${cols}`);
      writeGrid(out, scaling, model.sample(n, { seed: args.seed, condition: classCondition(args.label, n, classes) }), s,
        cols, ` of class ${args.label}`);
    } else {
      const classes = modelClasses(args.model, condition, '--grid-by-label');
      if (args.cols !== undefined) throw new WavaeError('INVALID_OPTION', '--cols does not apply to a grid by label (one row per class; --n samples in each, 8 by default)');
      if (classes > MAX_GRID_CLASSES) throw new WavaeError('INVALID_OPTION', `--grid-by-label draws a row per class, at most ${MAX_GRID_CLASSES}; the model has ${classes} classes: pick one with --label L`);
      const perClass = args.n ?? 8;
      if (classes * perClass > MAX_SAMPLES) throw new WavaeError('INVALID_OPTION', `--grid-by-label --n ${perClass}: ${classes} classes of ${perClass} samples are more than ${MAX_SAMPLES} images`);
      checkGrid(classes * perClass, s, perClass, `--grid-by-label --n ${perClass} (${classes} classes)`);
      const images = samplesByLabel(model, Array.from({ length: classes }, (_, k) => k), classes, perClass, args.seed);
      writeGrid(out, scaling, images, s, perClass, ` (${classes} classes, one per row, ${perClass} samples each)`);
    }
  });
  model.dispose();
}

export async function reconstruct(args: Common & DataArgs & { data: string; n: number }): Promise<void> {
  await toPng(args.out, async (out) => {
    const { model, scaling, shape, x, condition } = await modelData(args.model, args.data, args);
    const s = imageShape(args, model, shape);
    const n = Math.min(args.n, x.rows);
    checkGrid(2 * n, s, n, `--n ${n} (twice: inputs and reconstructions)`);
    writeGrid(out, scaling, reconstructionPairs(model, x, n, condition), s, n);
    model.dispose();
  });
}

/** The code of row i of x, under row i of the condition (if any). */
function code(model: CliModel, x: Matrix, condition: Matrix | null, i: number, flag: string): Float32Array {
  return latentCodes(model, rowOf(x, i, flag), condition && rowsOf(condition, i, i + 1)).data;
}

/** A one-row matrix repeated n times. */
function repeatRow(row: Matrix, n: number): Matrix {
  const out = new Float32Array(n * row.cols);
  for (let i = 0; i < n; i++) out.set(row.data, i * row.cols);
  return matrix(n, row.cols, out);
}

function rowOf(x: Matrix, i: number, flag: string): Matrix {
  if (!Number.isInteger(i) || i < 0 || i >= x.rows) throw new WavaeError('INVALID_OPTION', `${flag} must be a row index in [0, ${x.rows - 1}], got ${i}`);
  return matrix(1, x.cols, x.data.subarray(i * x.cols, (i + 1) * x.cols));
}

/**
 * `wavae interpolate`: decoded points on the line between the codes of rows --from and --to; of a
 * conditional model, each row encoded under its label, and the condition blended along the line
 * too (one-hot a to one-hot b), or class --label for both rows and the whole line.
 */
export async function interpolate(args: Common & DataArgs & { data: string; from: number; to: number; steps: number }): Promise<void> {
  await toPng(args.out, async (out) => {
    const { model, scaling, shape, x, condition } = await modelData(args.model, args.data, args);
    const s = imageShape(args, model, shape);
    checkGrid(args.steps, s, args.cols ?? args.steps, `--steps ${args.steps} --cols ${args.cols ?? args.steps}`);
    const a = code(model, x, condition, args.from, '--from');
    const b = code(model, x, condition, args.to, '--to');
    const path = model.interpolate(a, b, args.steps, given(condition && blendCondition(condition, args.from, args.to, args.steps)));
    writeGrid(out, scaling, path, s, args.cols ?? args.steps);
    model.dispose();
  });
}

/**
 * `wavae traverse`: one row per latent dimension, from the zero code or the code of a row of
 * --data; a conditional model decodes under that row's label, or class --label (required
 * without --data).
 */
export async function traverse(args: Common & DataArgs & { data?: string; index: number; dims?: number; steps: number; range: number }): Promise<void> {
  await toPng(args.out, async (out) => {
    let opened;
    if (args.data) opened = await modelData(args.model, args.data, args);
    else {
      const file = openModel(args.model);
      let condition: Matrix | null = null;
      if (args.label !== undefined) {
        const classes = modelClasses(args.model, file.condition, `--label ${args.label}`);
        checkLabel(args.label, classes);
        condition = classCondition(args.label, 1, classes);
      } else if (file.condition !== null) {
        const classes = modelClasses(args.model, file.condition, '');
        throw new WavaeError('INVALID_OPTION', `${args.model} is a conditional model (${classes} classes): pass --label L (the class to draw), or --data and --index (that row's label)`);
      }
      opened = { ...file, x: null, condition };
    }
    const { model, scaling, shape } = opened;
    const L = model.latentDim;
    const base = opened.x ? code(model, opened.x, opened.condition, args.index, '--index') : new Float32Array(L);
    const baseCondition = opened.condition && rowsOf(opened.condition, opened.x ? args.index : 0, (opened.x ? args.index : 0) + 1);
    const dims = Math.min(args.dims ?? Math.min(L, 10), L);
    const s = imageShape(args, model, shape);
    checkGrid(dims * args.steps, s, args.steps, `--dims ${dims} --steps ${args.steps}`);
    const rows: Float32Array[] = [];
    for (let d = 0; d < dims; d++) {
      rows.push(model.traverse(base, d, { steps: args.steps, range: args.range, ...given(baseCondition && repeatRow(baseCondition, args.steps)) }).data);
    }
    const all = new Float32Array(rows.reduce((s, r) => s + r.length, 0));
    rows.forEach((r, i) => all.set(r, i * r.length));
    writeGrid(out, scaling, matrix(dims * args.steps, model.inputDim, all), s, args.steps);
    model.dispose();
  });
}
