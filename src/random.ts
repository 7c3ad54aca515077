// The one random number generator of wavae: xoshiro128** seeded through splitmix32, and
// standard normals by Marsaglia's polar method. Integer arithmetic with Math.imul, and only
// Math.log and Math.sqrt for normals, so one seed gives the same numbers on every backend and
// in every JavaScript engine that implements Math.log as correctly rounded fdlibm (V8 does).
import { WavaeError } from './errors.js';

/** A seeded generator of uniform and standard normal numbers. */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare = 0;
  private hasSpare = false;

  /** seed: any integer in [0, 2^32); the same seed gives the same stream. */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new WavaeError('INVALID_OPTION', `seed must be an integer in [0, 2^32), got ${String(seed)}`);
    }
    let x = seed >>> 0;
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** A uniform 32-bit unsigned integer (xoshiro128**). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform float in [0, 1) with 32 random bits. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** A uniform integer in [0, n), unbiased (rejection sampling). */
  int(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    let x: number;
    do x = this.nextU32();
    while (x >= limit);
    return x % n;
  }

  /** A standard normal sample (Marsaglia polar method; pairs, the second kept for the next call). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }

  /** Fills out[start, start + len) with standard normal samples. */
  fillNormal(out: Float32Array, start: number, len: number): void {
    for (let i = start; i < start + len; i++) out[i] = this.normal();
  }

  /** Shuffles idx in place (Fisher-Yates). */
  shuffle(idx: Uint32Array | number[]): void {
    for (let i = idx.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A new 32-bit seed from a seed and stream numbers (per-epoch and per-purpose generators). */
export function deriveSeed(seed: number, ...stream: number[]): number {
  let h = seed >>> 0;
  for (const s of stream) {
    h = (h ^ Math.imul(s + 1, 0x9e3779b1)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}
