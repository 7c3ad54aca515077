// IDX files (the format of MNIST, Fashion-MNIST, EMNIST): a magic number giving the element type
// and rank, big-endian dimension sizes, then the data. Parsed from bytes; nothing here reads
// files, so it works in browsers too.
import { WavaeError } from '../errors.js';

/** A parsed IDX file: dimensions and data (uint8 data stays Uint8Array). */
export interface Idx {
  dims: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, { name: string; size: number }> = {
  0x08: { name: 'uint8', size: 1 },
  0x09: { name: 'int8', size: 1 },
  0x0b: { name: 'int16', size: 2 },
  0x0c: { name: 'int32', size: 4 },
  0x0d: { name: 'float32', size: 4 },
  0x0e: { name: 'float64', size: 8 },
};

/** Parses IDX bytes; throws CORRUPT_FILE naming what is wrong (magic, type, truncation). */
export function parseIdx(bytes: Uint8Array, name = 'IDX file'): Idx {
  if (bytes.length < 4) throw new WavaeError('CORRUPT_FILE', `${name}: ${bytes.length} bytes is too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0) !== 0) throw new WavaeError('CORRUPT_FILE', `${name}: not an IDX file (the first two bytes must be zero; gzip files must be decompressed first)`);
  const type = TYPES[bytes[2]];
  if (!type) throw new WavaeError('CORRUPT_FILE', `${name}: unknown IDX element type 0x${bytes[2].toString(16)}`);
  const rank = bytes[3];
  if (rank < 1) throw new WavaeError('CORRUPT_FILE', `${name}: IDX rank 0`);
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw new WavaeError('CORRUPT_FILE', `${name}: truncated IDX header (${bytes.length} bytes, need ${header})`);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const need = header + count * type.size;
  if (bytes.length < need) {
    throw new WavaeError('CORRUPT_FILE', `${name}: truncated: dimensions [${dims.join(', ')}] of ${type.name} need ${need} bytes, the file has ${bytes.length}`);
  }
  if (type.size === 1) {
    const raw = bytes.subarray(header, need);
    return { dims, data: type.name === 'uint8' ? raw : new Int8Array(raw.buffer, raw.byteOffset, count) };
  }
  // multi-byte elements are big-endian
  const out = type.name === 'int16' ? new Int16Array(count) : type.name === 'int32' ? new Int32Array(count)
    : type.name === 'float32' ? new Float32Array(count) : new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const at = header + i * type.size;
    out[i] = type.name === 'int16' ? view.getInt16(at) : type.name === 'int32' ? view.getInt32(at)
      : type.name === 'float32' ? view.getFloat32(at) : view.getFloat64(at);
  }
  return { dims, data: out };
}
