// Model files: safetensors with PyTorch names and layouts (DESIGN.md, "Parameter names and
// layout in model files"), the architecture and training state in __metadata__, and optionally
// the optimizer state so that training resumes exactly. This file writes; load.ts reads.
import type { Model } from '../models/model.js';
import { optimizerConfigOf } from '../train/optimizers.js';
import { encodeSafetensors, type Tensor } from './safetensors.js';

/** The model file format version this wavae writes; load() reads versions up to it. */
export const FORMAT_VERSION = 1;

/** Options of save(). */
export interface SaveOptions {
  /** Include the optimizer state (resume training exactly). Such files need strict=False in PyTorch. */
  optimizer?: boolean;
  /** Extra string metadata (the CLI records input scaling and image shape here). */
  metadata?: Record<string, string>;
}

/** Serializes a model to safetensors bytes. */
export function saveModel(model: Model, options: SaveOptions = {}): Uint8Array<ArrayBuffer> {
  const tensors: Record<string, Tensor> = {};
  const values = model.parameters();
  for (const t of model.layout.tensors) tensors[t.name] = { shape: [...t.shape], data: values[t.name] };
  const metadata: Record<string, string> = {
    ...(options.metadata ?? {}),
    format: 'wavae',
    format_version: String(FORMAT_VERSION),
    model: model.kind,
    config: JSON.stringify(model.config()),
    epochs_trained: String(model.epochsTrained),
  };
  const opt = model.optimizer;
  if (options.optimizer && opt) {
    metadata.optimizer = JSON.stringify(optimizerConfigOf(opt.config));
    metadata.optimizer_step = String(opt.step);
    for (const [name, buf] of Object.entries(opt.state)) tensors[`optimizer.${name}`] = { shape: [buf.len], data: model.be.read(buf) };
  }
  return encodeSafetensors(tensors, metadata);
}

