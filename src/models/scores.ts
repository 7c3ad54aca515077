// Anomaly scores: the options of score() and calibrate(), the threshold a model keeps (and its
// file carries in the metadata "calibration"), and the per-row seeds that make a row's score a
// function of the row alone, whatever rows it is scored with (a service batches requests).
import { WavaeError, checkInt, checkKeys, describe, orDefault } from '../errors.js';
import { deriveSeed } from '../random.js';
import type { Matrix } from '../matrix.js';

/**
 * How a row is scored (higher: less like the training data):
 * - 'reconstruction': the autoencoder's loss of the row; a VAE's decoder NLL at the posterior mean;
 * - 'elbo': a VAE's -ELBO of the row (reconstruction NLL of one z ~ q(z|x) plus KL), in nats;
 * - 'iw': a VAE's importance-weighted -log p(x) with `samples` draws (IWAE bound), in nats.
 */
export type ScoreMethod = 'reconstruction' | 'elbo' | 'iw';

export const SCORE_METHODS: readonly ScoreMethod[] = ['reconstruction', 'elbo', 'iw'];

/** The default draws of the 'iw' score. */
export const DEFAULT_IW_SCORE_SAMPLES = 1000;

/** The options of score(). */
export interface ScoreOptions {
  /** 'elbo' for a VAE, 'reconstruction' for an autoencoder by default. */
  method?: ScoreMethod;
  /** Importance samples of 'iw' (default 1000). */
  samples?: number;
  /** Seed of the draws of 'elbo' and 'iw' (default: from the model's seed); each row's draws also follow from its values. */
  seed?: number;
  /** Condition rows of a conditional model, one per row of x. */
  condition?: Matrix | Float32Array;
}

/** The options of calibrate(): the scores' options and the quantile of the normal data's scores that becomes the threshold. */
export interface CalibrateOptions extends ScoreOptions {
  /** In (0, 1]: the share of normal rows scored at or below the threshold (default 0.99). */
  quantile?: number;
}

/** A threshold on scores, computed by calibrate() and kept in the model (and its file). */
export interface Calibration {
  /** Scores above it are anomalies. */
  threshold: number;
  /** The quantile of the normal rows' scores the threshold is, in (0, 1] (calibrate()'s option, default 0.99). */
  quantile: number;
  /** How rows are scored (score()'s method); isAnomaly() scores by it. */
  method: ScoreMethod;
  /** The draws of an 'iw' threshold (null for the other methods). */
  samples: number | null;
  /** How many normal rows it was computed from. */
  rows: number;
}

/** What isAnomaly() returns: the scores, the threshold they were held to, and which rows are above it. */
export interface AnomalyResult {
  /** One score per row of x, by the calibration's method (and samples). */
  scores: Float64Array;
  /** The calibration's threshold. */
  threshold: number;
  /** Per row: scores[i] > threshold. */
  anomaly: boolean[];
}

/** Resolved score options: the method, the draws and the seed. */
export interface ScoreSettings {
  method: ScoreMethod;
  samples: number;
  seed: number;
}

/** Validates score options for a model (`vae` false: only 'reconstruction'); `extra` are keys the caller also takes. */
export function scoreSettings(where: string, options: unknown, vae: boolean, modelSeed: number, maxSamples: number, extra: readonly string[] = []): ScoreSettings {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new WavaeError('INVALID_OPTION', `${where}: options must be an object, got ${describe(options)}`);
  checkKeys(where, options, ['method', 'samples', 'seed', 'condition', ...extra]);
  const o = options as ScoreOptions;
  const method = orDefault(o.method, vae ? 'elbo' : 'reconstruction');
  if (!SCORE_METHODS.includes(method as ScoreMethod)) {
    throw new WavaeError('INVALID_OPTION', `${where}: method must be one of ${SCORE_METHODS.join(', ')}, got ${describe(method)}`);
  }
  if (!vae && method !== 'reconstruction') {
    throw new WavaeError('INVALID_OPTION', `${where}: an autoencoder scores by 'reconstruction' only (its loss per row); '${method as string}' needs a VAE`);
  }
  if (method !== 'iw' && o.samples !== undefined) throw new WavaeError('INVALID_OPTION', `${where}: samples applies to method 'iw' only`);
  const samples = method === 'iw' ? checkInt(`${where}: samples`, orDefault(o.samples, DEFAULT_IW_SCORE_SAMPLES), 1, maxSamples) : 0;
  const seed = checkInt(`${where}: seed`, orDefault(o.seed, deriveSeed(modelSeed, 0x5c0e)), 0, 2 ** 32 - 1);
  return { method: method as ScoreMethod, samples, seed };
}

/** The quantile q of the normal data's scores: linear between order statistics, as NumPy's default ('linear'). */
export function quantileOf(scores: Float64Array, q: number): number {
  const sorted = Float64Array.from(scores).sort();
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** The quantile option of calibrate(): in (0, 1], 0.99 by default. */
export function calibrationQuantile(where: string, value: unknown): number {
  const q = orDefault(value, 0.99);
  if (typeof q !== 'number' || !(q > 0 && q <= 1)) throw new WavaeError('INVALID_OPTION', `${where}: quantile must be a number in (0, 1], got ${describe(q)}`);
  return q;
}

/** A calibration as the model file's metadata "calibration" holds it (JSON). */
export function calibrationText(c: Calibration): string {
  return JSON.stringify(c);
}

/** The metadata "calibration" of a model file, checked (CORRUPT_FILE naming what is wrong); `vae` as in scoreSettings. */
export function parseCalibration(text: string, vae: boolean): Calibration {
  let c: unknown;
  try {
    c = JSON.parse(text);
  } catch {
    throw new WavaeError('CORRUPT_FILE', 'load: the metadata "calibration" is not valid JSON');
  }
  const bad = (what: string): WavaeError => new WavaeError('CORRUPT_FILE', `load: the metadata "calibration" ${what}`);
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw bad('is not a JSON object');
  const o = c as Record<string, unknown>;
  const allowed = ['threshold', 'quantile', 'method', 'samples', 'rows'];
  const unknown = Object.keys(o).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw bad(`has an unknown key ${describe(unknown)}`);
  if (typeof o.threshold !== 'number' || !Number.isFinite(o.threshold)) throw bad(`has threshold ${describe(o.threshold)}, not a finite number`);
  if (typeof o.quantile !== 'number' || !(o.quantile > 0 && o.quantile <= 1)) throw bad(`has quantile ${describe(o.quantile)}, not in (0, 1]`);
  if (!SCORE_METHODS.includes(o.method as ScoreMethod) || (!vae && o.method !== 'reconstruction')) throw bad(`has method ${describe(o.method)}, which this model does not score by`);
  const iw = o.method === 'iw';
  if (iw ? !(Number.isInteger(o.samples) && (o.samples as number) >= 1 && (o.samples as number) <= 1_000_000) : o.samples !== null) {
    throw bad(`has samples ${describe(o.samples)} (${iw ? 'an integer in [1, 1000000]' : 'null'} for method '${o.method as string}')`);
  }
  if (!Number.isInteger(o.rows) || (o.rows as number) < 1) throw bad(`has rows ${describe(o.rows)}, not a count`);
  return { threshold: o.threshold, quantile: o.quantile, method: o.method as ScoreMethod, samples: iw ? (o.samples as number) : null, rows: o.rows as number };
}

/**
 * The seed of row i's draws: the call's seed mixed with a hash of the row's values (and its
 * condition row), so that a row scores the same alone or in any batch.
 */
export function rowSeed(seed: number, x: Matrix, i: number, cond: Matrix | null): number {
  let h = 0x811c9dc5;
  const mix = (data: Float32Array, start: number, len: number): void => {
    const bits = new Uint32Array(data.buffer, data.byteOffset + start * 4, len);
    for (let j = 0; j < len; j++) h = Math.imul(h ^ bits[j], 0x01000193) >>> 0;
  };
  mix(x.data, i * x.cols, x.cols);
  if (cond) mix(cond.data, i * cond.cols, cond.cols);
  return deriveSeed(seed, h);
}
