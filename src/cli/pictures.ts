// `wavae sample | reconstruct | interpolate | traverse`: PNG grids from a model file.
import { WavaeError } from '../errors.js';
import { matrix, type Matrix } from '../matrix.js';
import { writeFileAtomic } from './files.js';
import { gridPng } from './images.js';
import { modelData } from './inspect.js';
import { latentCodes, openModel, reconstructionPairs, type CliModel } from './model-file.js';
import { checkImageShape, parseShape, showImageShape, type ImageShape } from './image-shape.js';
import { toDisplay, type Scaling } from './scaling.js';

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

async function writeGrid(out: string, scaling: Scaling, images: Matrix, shape: ImageShape, cols: number): Promise<void> {
  if (!out.toLowerCase().endsWith('.png')) throw new WavaeError('INVALID_OPTION', `--out must end in .png, got ${JSON.stringify(out)}`);
  await writeFileAtomic(out, gridPng(toDisplay(scaling, images), images.rows, shape, cols));
  process.stdout.write(`wrote ${images.rows} images to ${out}\n`);
}

export async function sample(args: Common & { n: number; seed: number }): Promise<void> {
  const { model, scaling, shape } = openModel(args.model);
  if (!('sample' in model)) throw new WavaeError('INVALID_OPTION', 'sample needs a VAE model (an autoencoder has no prior to sample from)');
  await writeGrid(args.out, scaling, model.sample(args.n, { seed: args.seed }), imageShape(args, model, shape), args.cols ?? Math.ceil(Math.sqrt(args.n)));
  model.dispose();
}

export async function reconstruct(args: Common & { data: string; n: number; limit?: number }): Promise<void> {
  const { model, scaling, shape, x } = await modelData(args.model, args.data, args);
  const s = imageShape(args, model, shape);
  const n = Math.min(args.n, x.rows);
  await writeGrid(args.out, scaling, reconstructionPairs(model, x, n), s, n);
  model.dispose();
}

function code(model: CliModel, row: Matrix): Float32Array {
  return latentCodes(model, row).data;
}

function rowOf(x: Matrix, i: number, flag: string): Matrix {
  if (!Number.isInteger(i) || i < 0 || i >= x.rows) throw new WavaeError('INVALID_OPTION', `${flag} must be a row index in [0, ${x.rows - 1}], got ${i}`);
  return matrix(1, x.cols, x.data.subarray(i * x.cols, (i + 1) * x.cols));
}

export async function interpolate(args: Common & { data: string; from: number; to: number; steps: number }): Promise<void> {
  const { model, scaling, shape, x } = await modelData(args.model, args.data, {});
  const path = model.interpolate(code(model, rowOf(x, args.from, '--from')), code(model, rowOf(x, args.to, '--to')), args.steps);
  await writeGrid(args.out, scaling, path, imageShape(args, model, shape), args.cols ?? args.steps);
  model.dispose();
}

export async function traverse(args: Common & { data?: string; index: number; dims?: number; steps: number; range: number }): Promise<void> {
  const opened = args.data ? await modelData(args.model, args.data, {}) : { ...openModel(args.model), x: null };
  const { model, scaling, shape } = opened;
  const L = model.latentDim;
  const base = opened.x ? code(model, rowOf(opened.x, args.index, '--index')) : new Float32Array(L);
  const dims = Math.min(args.dims ?? Math.min(L, 10), L);
  const rows: Float32Array[] = [];
  for (let d = 0; d < dims; d++) rows.push(model.traverse(base, d, { steps: args.steps, range: args.range }).data);
  const all = new Float32Array(rows.reduce((s, r) => s + r.length, 0));
  rows.forEach((r, i) => all.set(r, i * r.length));
  await writeGrid(args.out, scaling, matrix(dims * args.steps, model.inputDim, all), imageShape(args, model, shape), args.steps);
  model.dispose();
}
