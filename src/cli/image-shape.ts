// Image shapes for the CLI: [channels, height, width], channels first (NCHW without the N), from
// --shape, from a data file's dims, and as the model file's "image_shape" metadata entry.
import { InvalidArgumentError } from 'commander';
import { WavaeError } from '../errors.js';

/** One image: channels, height, width; a row holds the channels as planes (NCHW). */
export type ImageShape = [number, number, number];

/** The largest height, width or channel count (the models' inputShape limit). */
const MAX_DIM = 1 << 16;

const SHAPE_TEXT = /^(\d+)x(\d+)(?:x(\d+))?$/;

/** "3x32x32" -> [3, 32, 32], "28x28" -> [1, 28, 28]; null for anything else or a dimension out of [1, 65536]. */
function fromText(s: string): ImageShape | null {
  const m = SHAPE_TEXT.exec(s);
  if (!m) return null;
  const dims = (m[3] === undefined ? ['1', m[1], m[2]] : [m[1], m[2], m[3]]).map(Number);
  return dims.every((d) => d >= 1 && d <= MAX_DIM) ? (dims as ImageShape) : null;
}

const EXPECTED = 'expected CxHxW like 3x32x32 (channels first), HxW like 28x28 (one channel), or auto';

/** Commander value parser for --shape: checks the syntax and keeps the text ('auto' needs the data's columns). */
export function shapeArg(value: string): string {
  if (value !== 'auto' && !fromText(value)) throw new InvalidArgumentError(`${EXPECTED}, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * --shape as an image shape for rows of cols values: "3x32x32" or "28x28" (one channel), or
 * "auto": a square grey image if cols is a perfect square, else a square RGB image if cols is
 * three times one. The caller checks the shape against its columns (checkImageShape).
 */
export function parseShape(s: string, cols: number): ImageShape {
  if (s === 'auto') {
    const side = Math.round(Math.sqrt(cols));
    if (side * side === cols) return [1, side, side];
    const rgb = Math.round(Math.sqrt(cols / 3));
    if (3 * rgb * rgb === cols) return [3, rgb, rgb];
    throw new WavaeError('SHAPE_MISMATCH', `--shape auto: ${cols} columns are not a square image (HxH) or a square RGB image (3xHxH); pass --shape CxHxW or HxW`);
  }
  const shape = fromText(s);
  if (!shape) throw new WavaeError('INVALID_OPTION', `--shape: ${EXPECTED}, got ${JSON.stringify(s)}`);
  return shape;
}

/** The image shape of an array's per-row dims: [h, w] -> [1, h, w], [c, h, w] as it is; other ranks have none. */
export function imageShapeOf(dims: readonly number[] | null): ImageShape | null {
  if (!dims || dims.some((d) => d < 1 || d > MAX_DIM)) return null;
  if (dims.length === 2) return [1, dims[0], dims[1]];
  if (dims.length === 3) return [dims[0], dims[1], dims[2]];
  return null;
}

/** "28x28" for one channel, "3x32x32" for more: --shape's notation, and the model file's metadata. */
export function showImageShape([c, h, w]: ImageShape): string {
  return c === 1 ? `${h}x${w}` : `${c}x${h}x${w}`;
}

/** A model file's "image_shape" entry ("HxW" or "CxHxW"); null when absent or not a shape. */
export function readImageShape(text: string | undefined): ImageShape | null {
  return text === undefined ? null : fromText(text);
}

/**
 * Throws SHAPE_MISMATCH unless the shape's C*H*W is cols, naming the shape (what) and the values
 * it had to match ("the data has 3072 columns"); suggests the channel count when one would fit.
 */
export function checkImageShape(shape: ImageShape, cols: number, what: string, has: string, unit: string): void {
  const [c, h, w] = shape;
  const size = c * h * w;
  if (size === cols) return;
  const hint = c === 1 && cols % (h * w) === 0 ? `; for ${cols / (h * w)} channels of ${h}x${w} pass --shape ${cols / (h * w)}x${h}x${w}` : '';
  throw new WavaeError('SHAPE_MISMATCH', `${what} has ${c === 1 ? `${size} pixels` : `${size} values (${c} channels of ${h}x${w} pixels)`}, ${has} ${cols} ${unit}${hint}`);
}
