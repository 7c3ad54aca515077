// model.toOnnx(): its options, what a model kind tells the exporter (OnnxSource), and the
// exporter itself, registered by wavae/node (node.ts: the graph of onnx-graph.ts written by
// io/onnx.ts with protobufjs). The browser build registers none, so neither protobufjs nor the
// graph builder is in it: toOnnx() there is a MISSING_DEPENDENCY.
import { WavaeError, checkKeys, describe } from '../errors.js';
import type { ResolvedLayer, Shape } from '../nn/layer.js';

/** Which half of the model toOnnx() writes. */
export type OnnxPart = 'encoder' | 'decoder';

/** Options of model.toOnnx(). */
export interface OnnxOptions {
  /** 'encoder': x [N, inputDim] (and c) -> mean, logvar (VAE) or code (Autoencoder); 'decoder': z [N, latentDim] (and c) -> x_mean. */
  part: OnnxPart;
  /** Extra entries for the ONNX file's metadata_props (strings). */
  metadata?: Record<string, string>;
}

/** What the graph of a model needs to know about it (each model kind provides it). */
export interface OnnxSource {
  readonly kind: string;
  readonly inputShape: Shape;
  readonly inputDim: number;
  readonly latentDim: number;
  readonly conditionDim: number;
  /** The encoder's layers; an Autoencoder's end with its code layer. */
  readonly encoder: readonly ResolvedLayer[];
  /** A VAE's mean and log-variance heads on the encoder's output, or null (Autoencoder). */
  readonly heads: readonly [ResolvedLayer, ResolvedLayer] | null;
  readonly decoder: readonly ResolvedLayer[];
  /** True when decode() applies a sigmoid to the decoder's output (Bernoulli, BCE). */
  readonly sigmoid: boolean;
  /** The parameters by name (PyTorch names and layouts). */
  readonly params: Readonly<Record<string, Float32Array>>;
}

type OnnxExporter = (src: OnnxSource, options: OnnxOptions) => Uint8Array;

let exporter: OnnxExporter | null = null;

/** Registers the exporter (wavae/node does). @internal */
export function setOnnxExporter(e: OnnxExporter): void {
  exporter = e;
}

/** Checks toOnnx()'s options. */
export function checkOnnxOptions(options: unknown): OnnxOptions {
  if (typeof options !== 'object' || options === null) {
    throw new WavaeError('INVALID_OPTION', `toOnnx: options must be an object like { part: 'encoder' }, got ${describe(options)}`);
  }
  checkKeys('toOnnx', options, ['part', 'metadata']);
  const o = options as Record<string, unknown>;
  if (o.part !== 'encoder' && o.part !== 'decoder') {
    throw new WavaeError('INVALID_OPTION', `toOnnx: part must be 'encoder' or 'decoder', got ${describe(o.part)}`);
  }
  const metadata = o.metadata;
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Object.values(metadata).some((v) => typeof v !== 'string'))) {
    throw new WavaeError('INVALID_OPTION', `toOnnx: metadata must be an object of strings, got ${describe(metadata)}`);
  }
  return { part: o.part, ...(metadata ? { metadata: metadata as Record<string, string> } : {}) };
}

/** The ONNX file of a model's part: MISSING_DEPENDENCY when no writer is registered (the browser build). */
export function writeOnnx(src: OnnxSource, options: OnnxOptions): Uint8Array {
  if (!exporter) {
    throw new WavaeError('MISSING_DEPENDENCY', "toOnnx: the ONNX writer (protobufjs) comes with wavae's Node entry: import 'wavae' in Node " +
      "(or 'wavae/node'); the browser build leaves it out to stay small");
  }
  return exporter(src, options);
}
