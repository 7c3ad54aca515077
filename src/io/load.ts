// Reading model files (see save.ts): every name, dtype, shape and byte range is checked, and a
// PyTorch state_dict of the same architecture (no wavae metadata) loads too: the architecture is
// read off the tensor shapes.
import { WavaeError, describe } from '../errors.js';
import { Autoencoder, autoencoderArchitecture, type AutoencoderOptions } from '../models/autoencoder.js';
import { architectureTensors, type Architecture, type Model } from '../models/model.js';
import { VAE, vaeArchitecture, type VAEOptions } from '../models/vae.js';
import { Optimizer, optimizerStateNames, resolveOptimizer } from '../train/optimizers.js';
import { decodeSafetensors, type Tensor } from './safetensors.js';
import { FORMAT_VERSION } from './save.js';

/** Options of load(). */
export interface LoadOptions {
  /** Architecture options for files without wavae metadata (a PyTorch state_dict), e.g. { activation, likelihood }. */
  config?: Record<string, unknown>;
}

/** Loads a model file written by save() or a PyTorch state_dict saved with safetensors. */
export function loadModel(bytes: Uint8Array, options: LoadOptions = {}): VAE | Autoencoder {
  if (!(bytes instanceof Uint8Array)) throw new WavaeError('INVALID_OPTION', `load: expected the file's bytes as a Uint8Array, got ${describe(bytes)}`);
  const { tensors, metadata } = decodeSafetensors(bytes);
  let kind: string;
  let config: Record<string, unknown>;
  if (metadata.format === 'wavae') {
    const version = Number(metadata.format_version);
    if (!Number.isInteger(version) || version < 1) throw new WavaeError('CORRUPT_FILE', `load: invalid format_version ${describe(metadata.format_version)}`);
    if (version > FORMAT_VERSION) {
      throw new WavaeError('UNSUPPORTED_VERSION', `load: model file format version ${version} is newer than this wavae reads (${FORMAT_VERSION}); upgrade wavae`);
    }
    kind = metadata.model;
    try {
      config = JSON.parse(metadata.config);
    } catch {
      throw new WavaeError('CORRUPT_FILE', 'load: the metadata "config" is not valid JSON');
    }
    config = { ...config, ...(options.config ?? {}) };
  } else {
    ({ kind, config } = inferArchitecture(tensors));
    config = { ...config, ...(options.config ?? {}) };
  }
  // Check the file against the architecture before allocating anything for it.
  let arch: Architecture;
  try {
    if (kind === 'vae') arch = vaeArchitecture(config as unknown as VAEOptions);
    else if (kind === 'autoencoder') arch = autoencoderArchitecture(config as unknown as AutoencoderOptions);
    else throw new WavaeError('CORRUPT_FILE', `load: unknown model kind ${describe(kind)}`);
  } catch (err) {
    if (err instanceof WavaeError && err.code !== 'CORRUPT_FILE' && metadata.format === 'wavae' && !options.config) {
      throw new WavaeError('CORRUPT_FILE', `load: the file's architecture is invalid: ${err.message}`);
    }
    throw err;
  }
  const expected = architectureTensors(arch);
  for (const t of expected) {
    const found = tensors[t.name];
    if (!found) throw new WavaeError('CORRUPT_FILE', `load: the file has no tensor '${t.name}' (expected shape [${t.shape.join(', ')}])`);
    if (found.shape.join(',') !== t.shape.join(',')) {
      throw new WavaeError('CORRUPT_FILE', `load: tensor '${t.name}' has shape [${found.shape.join(', ')}], the architecture needs [${t.shape.join(', ')}]`);
    }
  }
  const names = new Set(expected.map((t) => t.name));
  for (const name of Object.keys(tensors)) {
    if (!names.has(name) && !name.startsWith('optimizer.')) throw new WavaeError('CORRUPT_FILE', `load: unexpected tensor '${name}' for this architecture`);
  }
  const model: VAE | Autoencoder = kind === 'vae' ? new VAE(config as unknown as VAEOptions) : new Autoencoder(config as unknown as AutoencoderOptions);
  try {
    const values: Record<string, Float32Array> = {};
    for (const t of expected) values[t.name] = tensors[t.name].data;
    model.setParameters(values);
    model.epochsTrained = Number(metadata.epochs_trained ?? 0) || 0;
    if (metadata.optimizer) restoreOptimizer(model, tensors, metadata);
  } catch (err) {
    model.dispose();
    if (err instanceof WavaeError && err.code === 'NON_FINITE_INPUT') throw new WavaeError('CORRUPT_FILE', `load: ${err.message}`);
    throw err;
  }
  return model;
}

function restoreOptimizer(model: Model, tensors: Record<string, Tensor>, metadata: Record<string, string>): void {
  let config;
  try {
    config = resolveOptimizer(JSON.parse(metadata.optimizer));
  } catch {
    throw new WavaeError('CORRUPT_FILE', 'load: the metadata "optimizer" is not a valid optimizer config');
  }
  const step = Number(metadata.optimizer_step);
  if (!Number.isInteger(step) || step < 0) throw new WavaeError('CORRUPT_FILE', `load: invalid optimizer_step ${describe(metadata.optimizer_step)}`);
  const opt = new Optimizer(model.be, config, model.store.params, model.store.grads);
  for (const name of optimizerStateNames(config)) {
    const t = tensors[`optimizer.${name}`];
    if (!t || t.data.length !== model.layout.size) {
      opt.free();
      throw new WavaeError('CORRUPT_FILE', `load: optimizer state 'optimizer.${name}' is missing or has the wrong size`);
    }
    model.be.write(opt.state[name], t.data);
  }
  opt.step = step;
  model.optimizer = opt;
}

/** Reads the architecture of a state_dict off its tensor names and shapes. */
function inferArchitecture(tensors: Record<string, Tensor>): { kind: string; config: Record<string, unknown> } {
  const layers = (prefix: string): { nin: number; nout: number }[] => {
    const out: { nin: number; nout: number }[] = [];
    for (let i = 0; tensors[`${prefix}.${i}.weight`]; i++) {
      const s = tensors[`${prefix}.${i}.weight`].shape;
      if (s.length !== 2) throw new WavaeError('CORRUPT_FILE', `load: '${prefix}.${i}.weight' must be 2-D, got [${s.join(', ')}]`);
      out.push({ nout: s[0], nin: s[1] });
    }
    return out;
  };
  const enc = layers('encoder');
  const dec = layers('decoder');
  if (!dec.length) throw new WavaeError('CORRUPT_FILE', 'load: no wavae metadata and no decoder.0.weight: not a wavae model or a state_dict of its architecture');
  const inputDim = dec[dec.length - 1].nout;
  if (tensors['mean.weight']) {
    const [latentDim] = tensors['mean.weight'].shape;
    const gaussian = tensors['output.logvar'] !== undefined;
    return { kind: 'vae', config: { inputDim, hiddenDims: enc.map((l) => l.nout), latentDim, ...(gaussian ? { likelihood: 'gaussian' } : {}) } };
  }
  if (!enc.length) throw new WavaeError('CORRUPT_FILE', 'load: no encoder layers found');
  return { kind: 'autoencoder', config: { inputDim, hiddenDims: enc.slice(0, -1).map((l) => l.nout), latentDim: enc[enc.length - 1].nout } };
}
