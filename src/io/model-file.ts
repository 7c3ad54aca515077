// Model files: safetensors with PyTorch names and layouts (DESIGN.md, "Parameter names and
// layout in model files"), the model's kind, architecture and training state in __metadata__,
// and optionally the optimizer state so that training resumes exactly. This file maps names to
// tensors and checks them; it knows no model class (models/registry.ts maps a kind to its class).
//
// Format versions: 1 describes dense models by hiddenDims; 2 adds layer specs (encoder and
// decoder as arrays of { type, ... }) and inputShape; 3 adds conditionDim (a conditional model,
// whose first dense layers take [x, c] and [z, c]). A model writes the oldest version that
// describes it, so dense models stay readable by wavae versions that read only version 1, and a
// wavae that reads only 2 refuses a conditional model as too new rather than as corrupt.
import { WavaeError, describe } from '../errors.js';
import { decodeSafetensors, encodeSafetensors, setOwn, type Tensor } from './safetensors.js';

/** The newest model file format version this wavae reads and writes. */
export const FORMAT_VERSION = 3;

/** Options of save(). */
export interface SaveOptions {
  /** Include the optimizer state (resume training exactly). Such files need strict=False in PyTorch. */
  optimizer?: boolean;
  /** Extra string metadata (the CLI records input scaling and image shape here). */
  metadata?: Record<string, string>;
}

/** What a model file holds, as the model gives it and load() gets it back. */
export interface ModelFile {
  /** The model kind of the registry ('vae', 'autoencoder'); null for a plain state_dict. */
  kind: string | null;
  /** The format version the architecture needs (1 or 2); the file's own on reading. */
  formatVersion: number;
  /** The architecture and model options (JSON); null for a plain state_dict. */
  config: Record<string, unknown> | null;
  /** The parameters by PyTorch name, in layout order. */
  tensors: Record<string, Tensor>;
  epochsTrained: number;
  /** The optimizer's config (JSON), step count and state buffers (flat, the parameters' layout). */
  optimizer: { config: unknown; step: number; state: Record<string, Float32Array> } | null;
  /** Every metadata entry (on reading: the CLI's too). */
  metadata: Record<string, string>;
}

/** Encodes a model file. */
export function encodeModelFile(file: Omit<ModelFile, 'metadata'>, extra: Record<string, string> = {}): Uint8Array<ArrayBuffer> {
  const tensors: Record<string, Tensor> = { ...file.tensors };
  const metadata: Record<string, string> = {
    ...extra,
    format: 'wavae',
    format_version: String(file.formatVersion),
    model: file.kind ?? '',
    config: JSON.stringify(file.config),
    epochs_trained: String(file.epochsTrained),
  };
  if (file.optimizer) {
    metadata.optimizer = JSON.stringify(file.optimizer.config);
    metadata.optimizer_step = String(file.optimizer.step);
    for (const [name, data] of Object.entries(file.optimizer.state)) tensors[`optimizer.${name}`] = { shape: [data.length], data };
  }
  return encodeSafetensors(tensors, metadata);
}

/**
 * Decodes a model file written by save(), or a PyTorch state_dict saved with safetensors (no
 * wavae metadata: kind and config null). Every tensor is validated by the safetensors reader; the
 * metadata here. Optimizer tensors come back under `optimizer`, not among the parameters.
 */
export function decodeModelFile(bytes: Uint8Array): ModelFile {
  if (!(bytes instanceof Uint8Array)) throw new WavaeError('INVALID_OPTION', `load: expected the file's bytes as a Uint8Array, got ${describe(bytes)}`);
  const { tensors: all, metadata } = decodeSafetensors(bytes);
  const tensors: Record<string, Tensor> = {};
  const optimizerTensors: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(all)) {
    if (name.startsWith('optimizer.')) setOwn(optimizerTensors, name.slice('optimizer.'.length), t.data);
    else setOwn(tensors, name, t);
  }
  if (metadata.format !== 'wavae') {
    return { kind: null, formatVersion: 0, config: null, tensors, epochsTrained: 0, optimizer: null, metadata };
  }
  const version = /^[1-9][0-9]{0,8}$/.test(metadata.format_version ?? '') ? Number(metadata.format_version) : NaN; // written as String(n): no '1e0', '01' or ' 1'
  if (!Number.isInteger(version) || version < 1) throw new WavaeError('CORRUPT_FILE', `load: invalid format_version ${describe(metadata.format_version)}`);
  if (version > FORMAT_VERSION) {
    throw new WavaeError('UNSUPPORTED_VERSION', `load: model file format version ${version} is newer than this wavae reads (${FORMAT_VERSION}); upgrade wavae`);
  }
  let config: unknown;
  try {
    config = JSON.parse(metadata.config);
  } catch {
    throw new WavaeError('CORRUPT_FILE', 'load: the metadata "config" is not valid JSON');
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new WavaeError('CORRUPT_FILE', 'load: the metadata "config" is not a JSON object');
  let optimizer: ModelFile['optimizer'] = null;
  if (metadata.optimizer) {
    let optConfig: unknown;
    try {
      optConfig = JSON.parse(metadata.optimizer);
    } catch {
      throw new WavaeError('CORRUPT_FILE', 'load: the metadata "optimizer" is not a valid optimizer config');
    }
    const step = Number(metadata.optimizer_step);
    if (!Number.isInteger(step) || step < 0) throw new WavaeError('CORRUPT_FILE', `load: invalid optimizer_step ${describe(metadata.optimizer_step)}`);
    optimizer = { config: optConfig, step, state: optimizerTensors };
  }
  return {
    kind: metadata.model, formatVersion: version, config: config as Record<string, unknown>, tensors,
    epochsTrained: Number(metadata.epochs_trained ?? 0) || 0, optimizer, metadata,
  };
}

/** Checks that a file has exactly the tensors an architecture needs, with their shapes. */
export function checkTensors(expected: readonly { name: string; shape: readonly number[] }[], tensors: Record<string, Tensor>): void {
  for (const t of expected) {
    const found = tensors[t.name];
    if (!found) throw new WavaeError('CORRUPT_FILE', `load: the file has no tensor '${t.name}' (expected shape [${t.shape.join(', ')}])`);
    if (found.shape.join(',') !== t.shape.join(',')) {
      throw new WavaeError('CORRUPT_FILE', `load: tensor '${t.name}' has shape [${found.shape.join(', ')}], the architecture needs [${t.shape.join(', ')}]`);
    }
  }
  const names = new Set(expected.map((t) => t.name));
  for (const name of Object.keys(tensors)) {
    if (!names.has(name)) throw new WavaeError('CORRUPT_FILE', `load: unexpected tensor '${name}' for this architecture`);
  }
}
