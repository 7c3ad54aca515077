// WavaeError: the one error type wavae throws for bad input, with a stable machine-readable code.

/** Stable error codes; messages may change, codes do not. */
export type WavaeErrorCode =
  | 'INVALID_ARGUMENT' // an option or argument of the wrong type, range or value
  | 'SHAPE_MISMATCH' // lengths or dimensions that do not fit together
  | 'OUT_OF_RANGE' // a buffer outside the heap, or an offset past the end
  | 'NOT_FINITE' // NaN or Infinity in input data
  | 'NOT_INITIALIZED' // init() has not completed
  | 'BACKEND_UNAVAILABLE' // the requested backend cannot run on this engine
  | 'OUT_OF_MEMORY' // the heap cannot grow to the size asked for
  | 'BAD_FILE' // a corrupted, truncated or mismatched model file
  | 'UNSUPPORTED_VERSION' // a model file format version this wavae does not read
  | 'DIVERGED' // training produced a non-finite loss
  | 'ABORTED'; // stopped by an AbortSignal

/** The error wavae throws for bad input; `code` is stable, `message` names the argument. */
export class WavaeError extends Error {
  readonly code: WavaeErrorCode;
  constructor(code: WavaeErrorCode, message: string) {
    super(message);
    this.name = 'WavaeError';
    this.code = code;
  }
}

/** Throws INVALID_ARGUMENT unless value is an integer in [min, max]. */
export function checkInt(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new WavaeError('INVALID_ARGUMENT', `${name} must be ${range}, got ${describe(value)}`);
  }
  return value;
}

/** Throws INVALID_ARGUMENT unless value is a finite number. */
export function checkFinite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new WavaeError('INVALID_ARGUMENT', `${name} must be a finite number, got ${describe(value)}`);
  }
  return value;
}

/** Throws INVALID_ARGUMENT for keys of options that are not in allowed. */
export function checkKeys(name: string, options: object, allowed: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new WavaeError('INVALID_ARGUMENT', `${name}: unknown option '${key}' (expected one of: ${allowed.join(', ')})`);
    }
  }
}

/** A short, safe description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  return `a ${typeof value}`;
}
