// IDX files (the format of MNIST, Fashion-MNIST, EMNIST): a magic number giving the element type
// and rank, big-endian dimension sizes, then the data. Parsed from bytes; nothing here reads
// files, so it works in browsers too. The header alone says how many bytes the data takes, so a
// reader of a compressed IDX file (the CLI's) stops inflating there, or after the rows it wants.
import { WavaeError } from '../errors.js';

/** A parsed IDX file: dimensions and data (uint8 data stays Uint8Array). */
export interface Idx {
  dims: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/** What an IDX header says: element type, dimensions, and the bytes of the header, of one item and of the whole file. */
export interface IdxHeader {
  type: { name: string; size: number };
  dims: number[];
  /** 4 + 4 * rank. */
  headerBytes: number;
  /** Bytes of one item along the first dimension (a row: an image, a label). */
  itemBytes: number;
  /** headerBytes + every item: where the data ends. */
  totalBytes: number;
}

/**
 * The most values parseIdx returns (2^28: 1 GiB as float32, the most a wavae model returns in one
 * call). A header that claims more is refused before its data is read (or inflated); the first
 * `limit` items of such a file can still be read when they fit.
 */
export const MAX_IDX_VALUES = 2 ** 28;

const TYPES: Record<number, { name: string; size: number }> = {
  0x08: { name: 'uint8', size: 1 },
  0x09: { name: 'int8', size: 1 },
  0x0b: { name: 'int16', size: 2 },
  0x0c: { name: 'int32', size: 4 },
  0x0d: { name: 'float32', size: 4 },
  0x0e: { name: 'float64', size: 8 },
};

/**
 * The header of IDX bytes, or null when `bytes` is a prefix too short to hold it (4 + 4 * rank
 * bytes); throws CORRUPT_FILE for a foreign file, an unknown type or rank 0. Sizes are exact
 * (dims are uint32, their product checked against 2^53).
 */
export function readIdxHeader(bytes: Uint8Array, name = 'IDX file'): IdxHeader | null {
  if (bytes.length < 4) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0) !== 0) throw new WavaeError('CORRUPT_FILE', `${name}: not an IDX file (the first two bytes must be zero; gzip files must be decompressed first)`);
  const type = TYPES[bytes[2]];
  if (!type) throw new WavaeError('CORRUPT_FILE', `${name}: unknown IDX element type 0x${bytes[2].toString(16)}`);
  const rank = bytes[3];
  if (rank < 1) throw new WavaeError('CORRUPT_FILE', `${name}: IDX rank 0`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) return null;
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i));
  // 255 factors below 2^32 can overflow 2^53 on the way: check each product (an empty dimension makes it 0)
  let item = type.size;
  for (const d of dims.slice(1)) {
    item *= d;
    if (item > Number.MAX_SAFE_INTEGER) throw new WavaeError('CORRUPT_FILE', `${name}: IDX dimensions [${dims.join(', ')}] claim more than 2^53 bytes`);
  }
  const data = item * dims[0];
  if (data > Number.MAX_SAFE_INTEGER) throw new WavaeError('CORRUPT_FILE', `${name}: IDX dimensions [${dims.join(', ')}] claim more than 2^53 bytes`);
  return { type, dims, headerBytes, itemBytes: item, totalBytes: headerBytes + data };
}

/**
 * How many items of a file with this header parseIdx reads with this limit (all by default);
 * throws OUT_OF_MEMORY naming the file when they hold more than MAX_IDX_VALUES values.
 */
export function idxItemsToRead(header: IdxHeader, name: string, limit = Infinity): number {
  const items = Math.min(header.dims[0], limit);
  const perItem = header.itemBytes / header.type.size;
  if (items * perItem > MAX_IDX_VALUES) {
    const fits = perItem > MAX_IDX_VALUES ? 'not even one item fits' : `at most ${Math.floor(MAX_IDX_VALUES / perItem)} items fit (--limit)`;
    throw new WavaeError('OUT_OF_MEMORY', `${name}: IDX dimensions [${header.dims.join(', ')}]: ${items} items of ${perItem} values ` +
      `are more than the ${MAX_IDX_VALUES} values wavae reads; ${fits}`);
  }
  return items;
}

/**
 * Parses IDX bytes, the first `limit` items along the first dimension (all by default; the
 * returned dims[0] is the count read, and bytes past them need not be there); throws
 * CORRUPT_FILE naming what is wrong (magic, type, truncation), OUT_OF_MEMORY for more than
 * MAX_IDX_VALUES values, NON_FINITE_INPUT for a float that is not finite in float32 (its item and value).
 */
export function parseIdx(bytes: Uint8Array, name = 'IDX file', options: { limit?: number } = {}): Idx {
  const header = readIdxHeader(bytes, name);
  if (!header) {
    const need = bytes.length < 4 ? 4 : 4 + 4 * bytes[3];
    throw new WavaeError('CORRUPT_FILE', bytes.length < 4 ? `${name}: ${bytes.length} bytes is too short for an IDX header`
      : `${name}: truncated IDX header (${bytes.length} bytes, need ${need})`);
  }
  const { type, headerBytes } = header;
  const items = idxItemsToRead(header, name, options.limit);
  const dims = [items, ...header.dims.slice(1)];
  const count = items * (header.itemBytes / type.size);
  const need = headerBytes + items * header.itemBytes;
  if (bytes.length < need) {
    const what = items < header.dims[0] ? `the first ${items} items of dimensions [${header.dims.join(', ')}]` : `dimensions [${header.dims.join(', ')}]`;
    throw new WavaeError('CORRUPT_FILE', `${name}: truncated: ${what} of ${type.name} need ${need} bytes, the file has ${bytes.length}`);
  }
  if (type.size === 1) {
    const raw = bytes.subarray(headerBytes, need);
    return { dims, data: type.name === 'uint8' ? raw : new Int8Array(raw.buffer, raw.byteOffset, count) };
  }
  // multi-byte elements are big-endian
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = type.name === 'int16' ? new Int16Array(count) : type.name === 'int32' ? new Int32Array(count)
    : type.name === 'float32' ? new Float32Array(count) : new Float64Array(count);
  const float = type.name === 'float32' || type.name === 'float64';
  const perItem = header.itemBytes / type.size;
  for (let i = 0; i < count; i++) {
    const at = headerBytes + i * type.size;
    const v = type.name === 'int16' ? view.getInt16(at) : type.name === 'int32' ? view.getInt32(at)
      : type.name === 'float32' ? view.getFloat32(at) : view.getFloat64(at);
    if (float && !Number.isFinite(Math.fround(v))) {
      throw new WavaeError('NON_FINITE_INPUT', `${name}: item ${Math.floor(i / perItem)}, value ${i % perItem} is ${v}${Number.isFinite(v) ? ', beyond float32 (at most ±3.4028235e38)' : ''}`);
    }
    out[i] = v;
  }
  return { dims, data: out };
}
