// Model files as the CLI uses them: the library's safetensors plus CLI metadata (input scaling,
// image shape, data source, a condition of class labels), read back so eval, encode and the
// pictures treat data the same way.
import { WavaeError } from '../errors.js';
import { readMetadata } from '../io/safetensors.js';
import { loadModel } from '../models/load.js';
import type { AnyModel } from '../models/registry.js';
import { matrix, type Matrix } from '../matrix.js';
import { conditionMetadata, readCondition, type ModelCondition } from './condition.js';
import { readFile } from './files.js';
import { readImageShape, showImageShape, type ImageShape } from './image-shape.js';
import { readScaling, type Scaling } from '../data/scaling.js';

export type CliModel = AnyModel;

/**
 * The CLI's metadata entries of a model file; image_shape is "HxW" for one channel, "CxHxW" for
 * more; a model conditioned on one-hot labels of k classes adds condition "labels" and classes "k".
 */
export function modelMetadata(scaling: Scaling, shape: ImageShape | null, source: string, classes: number | null = null): Record<string, string> {
  return {
    scaling: JSON.stringify(scaling), ...(shape ? { image_shape: showImageShape(shape) } : {}), data_source: source,
    ...(classes !== null ? conditionMetadata(classes) : {}),
  };
}

/** A model file opened by the CLI: the model and what its metadata says about its inputs. */
export interface OpenedModel {
  model: CliModel;
  scaling: Scaling;
  shape: ImageShape | null;
  /** One-hot class labels (and how many classes), a condition the file does not describe, or null. */
  condition: ModelCondition;
  metadata: Record<string, string>;
  bytes: number;
}

/**
 * Refuses, by what it is, a file that is not safetensors at all (a CSV, an image, a text): one
 * that does not start with an 8-byte header length that fits the file, then a JSON object (after
 * any JSON whitespace).
 * Damaged safetensors files go on to the reader, which names what is wrong.
 */
function checkLooksLikeModel(file: string, bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = bytes.length >= 8 ? view.getBigUint64(0, true) : -1n;
  let at = 8; // JSON may start with whitespace, as the reference reader (serde_json) allows
  while (at < bytes.length && at < 8 + 4096 && (bytes[at] === 0x20 || bytes[at] === 0x09 || bytes[at] === 0x0a || bytes[at] === 0x0d)) at++;
  if (headerLength >= 2n && headerLength <= BigInt(bytes.length - 8) && bytes[at] === 0x7b /* { */) return;
  throw new WavaeError('CORRUPT_FILE', `${file} is not a model file: a model file is safetensors (an 8-byte header length, then a JSON header), ` +
    'as written by wavae train, model.save() or saveFile, or a PyTorch state_dict saved with safetensors');
}

/**
 * Loads a model file with its scaling, image shape (the model's own [C, H, W] inputShape, else the
 * metadata's "HxW" or "CxHxW", checked against the model's input size) and condition.
 */
export function openModel(file: string): OpenedModel {
  const bytes = readFile(file);
  checkLooksLikeModel(file, bytes);
  const metadata = readMetadata(bytes);
  const model = loadModel(bytes);
  const scaling: Scaling = metadata.scaling !== undefined ? readScaling(metadata.scaling, model.inputDim, file) : { type: 'none' };
  const input = model.inputShape;
  let shape: ImageShape | null = input.length === 3 ? [input[0], input[1], input[2]] : null;
  if (!shape && metadata.image_shape !== undefined) {
    const stored = readImageShape(metadata.image_shape);
    if (!stored || stored[0] * stored[1] * stored[2] !== model.inputDim) {
      throw new WavaeError('CORRUPT_FILE', `${file}: the metadata "image_shape" ${JSON.stringify(metadata.image_shape)} is not an image shape of the model's ${model.inputDim} inputs`);
    }
    shape = stored;
  }
  const condition = readCondition(file, model.conditionDim, metadata);
  return { model, scaling, shape, condition, metadata, bytes: bytes.length };
}

/** The condition option of a call: { condition } for a conditional model's rows, {} for none. */
export function given(condition: Matrix | null): { condition?: Matrix } {
  return condition ? { condition } : {};
}

/** Rows [from, to) of a matrix (a view, no copy). */
export function rowsOf(m: Matrix, from: number, to: number): Matrix {
  return matrix(to - from, m.cols, m.data.subarray(from * m.cols, to * m.cols));
}

/** Latent codes of x (under its condition rows): the posterior means of a VAE, the codes of an autoencoder. */
export function latentCodes(model: CliModel, x: Matrix, condition: Matrix | null = null): Matrix {
  return model.codes(x, given(condition));
}

/** The first n rows of x followed by their reconstructions (under their condition rows): (2n, cols), for a two-row picture. */
export function reconstructionPairs(model: CliModel, x: Matrix, n: number, condition: Matrix | null = null): Matrix {
  const originals = rowsOf(x, 0, n);
  const pairs = new Float32Array(2 * n * x.cols);
  pairs.set(originals.data, 0);
  pairs.set(model.reconstruct(originals, given(condition && rowsOf(condition, 0, n))).data, n * x.cols);
  return matrix(2 * n, x.cols, pairs);
}

/** 784-400-20 for a dense stack, else the layers: [1, 28, 28] conv2d(32) conv2d(64) flatten dense(256) -> 20. */
export function architectureLine(model: CliModel): string {
  if (model.hiddenDims) return `${model.inputDim}-${model.hiddenDims.join('-')}-${model.latentDim}`;
  const layers = model.encoder.resolved.map((l) => `${l.spec.type}${l.name ? `(${l.output[0]})` : ''}`);
  return `[${model.inputShape.join(', ')}] ${layers.join(' ')} -> ${model.latentDim}`;
}

/** A Keras-style summary: each layer with its name, output shape and parameter count, and the total. */
export function layerSummary(model: CliModel): string[] {
  const count = (name: string | null): number => model.layout.tensors.filter((t) => name !== null && t.name.startsWith(`${name}.`)).reduce((s, t) => s + t.size, 0);
  const heads = 'meanHead' in model ? [model.meanHead.resolved, model.logVarHead.resolved] : [];
  const rows = [...model.encoder.resolved, ...heads, ...model.decoder.resolved].map((l) => {
    const name = l.name ?? '';
    return `    ${(name || '-').padEnd(12)} ${l.spec.type.padEnd(16)} ${`[${l.output.join(', ')}]`.padEnd(16)} ${count(l.name).toLocaleString('en-US').padStart(10)}`;
  });
  return [`    ${'layer'.padEnd(12)} ${'type'.padEnd(16)} ${'output'.padEnd(16)} ${'parameters'.padStart(10)}`, ...rows,
    `    ${'total'.padEnd(46)} ${model.parameterCount.toLocaleString('en-US').padStart(10)}`];
}
