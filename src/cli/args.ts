// Parsers for CLI option values, each failing with one clear line.
import { InvalidArgumentError } from 'commander';

/** "400" or "512,256" -> [400] or [512, 256]; "" -> [] (no hidden layer). */
export function parseDims(s: string): number[] {
  if (s.trim() === '') return [];
  const dims = s.split(',').map((t) => Number(t.trim()));
  if (dims.some((d) => !Number.isInteger(d) || d < 1)) throw new InvalidArgumentError(`expected sizes like 400 or 512,256, got ${JSON.stringify(s)}`);
  return dims;
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
      throw new InvalidArgumentError(`expected a number${max !== undefined ? ` in [${min}, ${max}]` : min > -Infinity ? ` >= ${min}` : ''}, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

/** The most columns, points or dimensions a picture of the CLI draws along one side. */
export const MAX_PICTURE_SIDE = 1024;
