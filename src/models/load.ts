// load(): a model file (or a PyTorch state_dict saved with safetensors) back to a model. The file
// is decoded and checked by io/model-file.ts; its kind picks the class from the registry; the
// tensors are checked against the architecture before anything is allocated.
import { WavaeError, checkKeys, describe } from '../errors.js';
import { checkTensors, decodeModelFile, type ModelFile } from '../io/model-file.js';
import { Optimizer, optimizerStateNames, resolveOptimizer } from '../train/optimizers.js';
import type { Model } from './model.js';
import { parseCalibration } from './scores.js';
import { MODEL_KINDS, modelKind, type AnyModel, type ModelKind } from './registry.js';

/** Options of load(). */
export interface LoadOptions {
  /** Architecture options for files without wavae metadata (a PyTorch state_dict), e.g. { activation, likelihood }. */
  config?: Record<string, unknown>;
}

/** Loads a model file written by save() or a PyTorch state_dict saved with safetensors. */
export function loadModel(bytes: Uint8Array, options: LoadOptions = {}): AnyModel {
  if (typeof options !== 'object' || options === null) throw new WavaeError('INVALID_OPTION', `load: options must be an object, got ${describe(options)}`);
  checkKeys('load', options, ['config']);
  if (options.config !== undefined && (typeof options.config !== 'object' || options.config === null || Array.isArray(options.config))) {
    throw new WavaeError('INVALID_OPTION', `load: config must be an object of architecture options, got ${describe(options.config)}`);
  }
  const file = decodeModelFile(bytes);
  let entry: ModelKind;
  let config: Record<string, unknown>;
  if (file.kind !== null) {
    entry = modelKind(file.kind);
    config = { ...(file.config as Record<string, unknown>), ...(options.config ?? {}) };
    if (config.conditionDim !== undefined && config.conditionDim !== 0 && file.formatVersion < 3) {
      throw new WavaeError('CORRUPT_FILE', `load: the file says format version ${file.formatVersion}, which has no conditionDim (a conditional model is version 3)`);
    }
  } else {
    const found = inferKind(file);
    entry = found.entry;
    config = { ...found.config, ...(options.config ?? {}) };
  }
  // Check the file against the architecture before allocating anything for it.
  let expected;
  try {
    expected = entry.tensors(config);
  } catch (err) {
    if (err instanceof WavaeError && err.code !== 'CORRUPT_FILE' && file.kind !== null && !options.config) {
      throw new WavaeError('CORRUPT_FILE', `load: the file's architecture is invalid: ${err.message}`);
    }
    throw err;
  }
  checkTensors(expected, file.tensors);
  const model = entry.create(config);
  try {
    model.setParameters(Object.fromEntries(expected.map((t) => [t.name, file.tensors[t.name].data])));
    model.epochsTrained = file.epochsTrained;
    if (file.optimizer) restoreOptimizer(model, file.optimizer);
    if (file.metadata.calibration !== undefined) model.calibration = parseCalibration(file.metadata.calibration, model.kind === 'vae');
  } catch (err) {
    model.dispose();
    if (err instanceof WavaeError && err.code === 'NON_FINITE_INPUT') throw new WavaeError('CORRUPT_FILE', `load: ${err.message}`);
    throw err;
  }
  return model;
}

/** The first kind of the registry that recognises a state_dict's names and shapes. */
function inferKind(file: ModelFile): { entry: ModelKind; config: Record<string, unknown> } {
  if (!file.tensors['decoder.0.weight']) {
    throw new WavaeError('CORRUPT_FILE', 'load: no wavae metadata and no decoder.0.weight: not a wavae model or a state_dict of its architecture');
  }
  for (const entry of MODEL_KINDS) {
    const config = entry.infer(file.tensors);
    if (config) return { entry, config };
  }
  throw new WavaeError('CORRUPT_FILE', 'load: no encoder layers found');
}

function restoreOptimizer(model: Model, saved: NonNullable<ModelFile['optimizer']>): void {
  let config;
  try {
    config = resolveOptimizer(saved.config);
  } catch {
    throw new WavaeError('CORRUPT_FILE', 'load: the metadata "optimizer" is not a valid optimizer config');
  }
  const opt = new Optimizer(model.be, config, model.store.params, model.store.grads);
  for (const name of optimizerStateNames(config)) {
    const data = saved.state[name];
    if (!data || data.length !== model.layout.size) {
      opt.free();
      throw new WavaeError('CORRUPT_FILE', `load: optimizer state 'optimizer.${name}' is missing or has the wrong size`);
    }
    model.be.write(opt.state[name], data);
  }
  opt.step = saved.step;
  model.optimizer = opt;
}
