// Test helpers: both backends side by side, seeded data, derived tolerances.
import { createBackend, type Backend, type Buf } from '../src/backend/index.js';
import { expect } from 'vitest';
import { WavaeError } from '../src/errors.js';
import { Rng } from '../src/random.js';

/** Unit roundoff of float32. */
export const U = 2 ** -24;

/** The flag with which Node 20 validates relaxed SIMD; Node 22 and later validate it by default, and Node 24 refuses the flag. */
export const RELAXED_SIMD_FLAGS: string[] = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];

let pair: Promise<{ wasm: Backend; js: Backend }> | null = null;

/** One wasm and one js backend for the whole test file. */
export function backends(): Promise<{ wasm: Backend; js: Backend }> {
  pair ??= Promise.all([createBackend('wasm'), createBackend('js')]).then(([wasm, js]) => ({ wasm, js }));
  return pair;
}

/** len uniform values in [lo, hi), seeded. */
export function uniform(rng: Rng, len: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) out[i] = lo + (hi - lo) * rng.uniform();
  return out;
}

/** Allocates one buffer per entry of data on be, filled with it. */
export function upload(be: Backend, data: Record<string, Float32Array>): Record<string, Buf> {
  const bufs: Record<string, Buf> = {};
  for (const [name, values] of Object.entries(data)) {
    bufs[name] = be.alloc(values.length);
    be.write(bufs[name], values);
  }
  return bufs;
}

/** Frees every buffer of bufs. */
export function release(be: Backend, bufs: Record<string, Buf>): void {
  for (const buf of Object.values(bufs)) be.free(buf);
}

/** The first index where |got - want| > tol(i), with a readable description, or null. */
export function firstMismatch(got: ArrayLike<number>, want: ArrayLike<number>, tol: (i: number) => number): string | null {
  if (got.length !== want.length) return `length ${got.length} != ${want.length}`;
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    const t = tol(i);
    if (!(d <= t)) return `at ${i}: got ${got[i]}, want ${want[i]}, |diff| ${d.toExponential(2)} > tol ${t.toExponential(2)}`;
    if (t > 0 && d / t > worst) {
      worst = d / t;
      worstAt = i;
    }
  }
  void worstAt;
  return null;
}

/** Asserts that fn throws a WavaeError with this code and a message matching `mention`. */
export function expectError(fn: () => unknown, code: string, mention: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a WavaeError').toBeInstanceOf(WavaeError);
  expect((caught as WavaeError).code, (caught as Error).message).toBe(code);
  expect((caught as WavaeError).message).toMatch(mention);
}
