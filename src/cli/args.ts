// Parsers for CLI option values, each failing with one clear line.
import { InvalidArgumentError } from 'commander';
import { MAX_LAYERS } from '../nn/stack.js';

/** The widest layer and the largest latent dimension (the models' own limit: 2^24 units). */
export const MAX_UNITS = 1 << 24;

/** The most hidden layers --hidden lists (the models' limit: hiddenDims of VAE and Autoencoder). */
export const MAX_HIDDEN_LAYERS = MAX_LAYERS - 2;

/** "400" or "512,256" -> [400] or [512, 256]; "" -> [] (no hidden layer); sizes in [1, MAX_UNITS], at most MAX_HIDDEN_LAYERS. */
export function parseDims(s: string): number[] {
  if (s.trim() === '') return [];
  const parts = s.split(',');
  if (parts.length > MAX_HIDDEN_LAYERS) throw new InvalidArgumentError(`expected at most ${MAX_HIDDEN_LAYERS} sizes, got ${parts.length}`);
  const dims = parts.map((t) => Number(t.trim()));
  if (dims.some((d) => !Number.isInteger(d) || d < 1 || d > MAX_UNITS)) {
    throw new InvalidArgumentError(`expected sizes in [1, ${MAX_UNITS}] like 400 or 512,256, got ${JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}...` : s)}`);
  }
  return dims;
}

/** Commander value parser for --hidden: checks the sizes (parseDims) and keeps the text. */
export function dimsArg(value: string): string {
  parseDims(value);
  return value;
}

/** Commander value parser for integers >= min (and <= max when given). */
export function int(min: number, max?: number): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || (max !== undefined && n > max)) {
      throw new InvalidArgumentError(`expected an integer ${max === undefined ? `>= ${min}` : `in [${min}, ${max}]`}, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

/** Commander value parser for finite numbers >= min (and <= max when given). */
export function num(min = -Infinity, max?: number): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || (max !== undefined && n > max)) {
      const above = min === Number.MIN_VALUE ? '> 0' : `>= ${min}`; // MIN_VALUE: positive
      throw new InvalidArgumentError(`expected a number${max !== undefined ? ` in [${min === Number.MIN_VALUE ? '0 (excluded)' : min}, ${max}]` : min > -Infinity ? ` ${above}` : ''}, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

/** The most columns, points or dimensions a picture of the CLI draws along one side. */
export const MAX_PICTURE_SIDE = 1024;

/** Commander value parser for byte sizes: 1048576, 512k, 4m, 1g (powers of 1024), in [min, max]. */
export function bytes(min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const m = /^\s*(\d+)\s*([kmg]?)i?b?\s*$/i.exec(value);
    const n = m ? Number(m[1]) * 1024 ** ' kmg'.indexOf(m[2].toLowerCase() || ' ') : NaN;
    if (!m || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a size in bytes in [${min}, ${max}] like 4m or 65536, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

/** Commander value parser for a path or a spec: any text but the empty one. */
export function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a value, got an empty one');
  return value;
}
