// The model registry: a model file's `model` kind maps to its class here, and every place that
// needs the kinds (loading, the worker, the CLI) asks this table. Adding a model kind is one line.
import { WavaeError, describe } from '../errors.js';
import { architectureTensors } from './architecture.js';
import { Autoencoder, autoencoderArchitecture, inferAutoencoderConfig, type AutoencoderOptions } from './autoencoder.js';
import type { Model } from './model.js';
import { VAE, inferVaeConfig, vaeArchitecture, type VAEOptions } from './vae.js';

/** Any model the registry builds. */
export type AnyModel = VAE | Autoencoder;

/** A model kind: how to check a config, build the model, and recognise a PyTorch state_dict of it. */
export interface ModelKind {
  readonly kind: string;
  /** How messages name it. */
  readonly label: string;
  /** Every tensor (name, shape) of the architecture a config describes; throws INVALID_OPTION for a bad config. */
  tensors(config: Record<string, unknown>): readonly { name: string; shape: readonly number[] }[];
  create(config: Record<string, unknown>): AnyModel;
  /** The config of a state_dict with no wavae metadata, read off its names and shapes; null if it is not this kind. */
  infer(tensors: Record<string, { shape: number[] }>): Record<string, unknown> | null;
}

/** The kinds, in the order a state_dict is tried against them. */
export const MODEL_KINDS: readonly ModelKind[] = [
  { kind: 'vae', label: 'VAE', tensors: (c) => architectureTensors(vaeArchitecture(c as unknown as VAEOptions)), create: (c) => new VAE(c as unknown as VAEOptions), infer: inferVaeConfig },
  { kind: 'autoencoder', label: 'autoencoder', tensors: (c) => architectureTensors(autoencoderArchitecture(c as unknown as AutoencoderOptions)), create: (c) => new Autoencoder(c as unknown as AutoencoderOptions), infer: inferAutoencoderConfig },
];

/** The registry entry of a kind; CORRUPT_FILE for a kind wavae does not know. */
export function modelKind(kind: unknown): ModelKind {
  const entry = MODEL_KINDS.find((k) => k.kind === kind);
  if (!entry) throw new WavaeError('CORRUPT_FILE', `load: unknown model kind ${describe(kind)}; wavae knows ${MODEL_KINDS.map((k) => k.kind).join(', ')}`);
  return entry;
}

/** The registry entry of a model. */
export function kindOf(model: Model): ModelKind {
  return modelKind(model.kind);
}
