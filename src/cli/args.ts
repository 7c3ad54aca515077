// Parsers for CLI option values, each failing with one clear line.
import { InvalidArgumentError } from 'commander';

/** "400" or "512,256" -> [400] or [512, 256]; "" -> [] (no hidden layer). */
export function parseDims(s: string): number[] {
  if (s.trim() === '') return [];
  const dims = s.split(',').map((t) => Number(t.trim()));
  if (dims.some((d) => !Number.isInteger(d) || d < 1)) throw new InvalidArgumentError(`expected sizes like 400 or 512,256, got ${JSON.stringify(s)}`);
  return dims;
}

/** "28x28" -> [28, 28]; "auto" -> a square if cols is a perfect square. */
export function parseShape(s: string, cols?: number): [number, number] {
  if (s === 'auto' && cols !== undefined) {
    const side = Math.round(Math.sqrt(cols));
    if (side * side === cols) return [side, side];
    throw new InvalidArgumentError(`${cols} columns are not a square image; pass --shape HxW`);
  }
  const m = /^(\d+)x(\d+)$/.exec(s);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new InvalidArgumentError(`expected HxW like 28x28, got ${JSON.stringify(s)}`);
  return [Number(m[1]), Number(m[2])];
}

/** Commander value parser for integers >= min. */
export function int(min: number): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** Commander value parser for finite numbers >= min. */
export function num(min = -Infinity): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min) throw new InvalidArgumentError(`expected a number${min > -Infinity ? ` >= ${min}` : ''}, got ${JSON.stringify(value)}`);
    return n;
  };
}
