// safetensors: an 8-byte little-endian header length, a JSON header mapping tensor names to
// { dtype, shape, data_offsets } (plus string-valued "__metadata__"), then the raw little-endian
// tensor bytes. wavae writes and reads float32 ("F32") tensors. It reads a file as the reference
// reader does (huggingface/safetensors, safetensors/src/tensor.rs: `read_metadata`, `validate`)
// and refuses what it refuses with a CORRUPT_FILE error that names what is wrong; it writes only
// files that pass the same rules. The JSON half is in safetensors-header.ts.
import { WavaeError } from '../errors.js';
import { label, MAX_METADATA_ENTRIES, MAX_RANK, MAX_TENSORS, parseHeader, type Header, type HeaderTensor, type Usize } from './safetensors-header.js';

/** A named float32 tensor. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

// The reference's MAX_HEADER_SIZE: a longer header is HeaderTooLarge, in reading and in writing.
const MAX_HEADER_SIZE = 100_000_000;
const U64_MAX = (1n << 64n) - 1n;
const F32_BITS = 32n;

/** Encodes tensors (in the given order) and string metadata as safetensors bytes. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array<ArrayBuffer> {
  // Everything the reader checks, checked here first: wavae writes no file it would refuse.
  const entries = Object.entries(tensors);
  if (entries.length > MAX_TENSORS) throw new WavaeError('INVALID_OPTION', `safetensors: ${entries.length} tensors, more than the ${MAX_TENSORS} wavae reads`);
  const metaEntries = Object.entries(metadata);
  if (metaEntries.length > MAX_METADATA_ENTRIES) throw new WavaeError('INVALID_OPTION', `safetensors: ${metaEntries.length} metadata entries, more than the ${MAX_METADATA_ENTRIES} wavae reads`);
  for (const [key, value] of metaEntries) {
    if (typeof value !== 'string') throw new WavaeError('INVALID_OPTION', `safetensors: metadata ${label(key)} must be a string, got ${typeof value}`);
    if (!wellFormed(key) || !wellFormed(value)) throw new WavaeError('INVALID_OPTION', `safetensors: metadata ${label(key)} has a lone surrogate, which JSON readers refuse`);
  }
  // null prototype: a tensor named "__proto__" is an entry like any other
  const header: Record<string, unknown> = Object.create(null);
  header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new WavaeError('INVALID_OPTION', 'safetensors: a tensor cannot be named "__metadata__"');
    if (!wellFormed(name)) throw new WavaeError('INVALID_OPTION', `safetensors: tensor name ${label(name)} has a lone surrogate, which JSON readers refuse`);
    if (!Array.isArray(t.shape) || t.shape.length > MAX_RANK || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new WavaeError('INVALID_OPTION', `safetensors: tensor ${label(name)} has an invalid shape ${JSON.stringify(t.shape)} (at most ${MAX_RANK} integers >= 0)`);
    }
    const count = elementCount(t.shape);
    if (count === null) throw new WavaeError('INVALID_OPTION', `safetensors: tensor ${label(name)} has shape [${t.shape.join(', ')}], whose size in bytes overflows 64 bits`);
    if (count !== t.data.length) throw new WavaeError('SHAPE_MISMATCH', `safetensors: '${name}' has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8); // data starts 8-byte aligned
  const head = new TextEncoder().encode(json);
  if (head.length > MAX_HEADER_SIZE) throw new WavaeError('INVALID_OPTION', `safetensors: the header would take ${head.length} bytes, more than the ${MAX_HEADER_SIZE} the format allows`);
  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const [, t] of entries) {
    const le = new DataView(out.buffer, at, t.data.length * 4);
    for (let i = 0; i < t.data.length; i++) le.setFloat32(i * 4, t.data[i], true);
    at += t.data.length * 4;
  }
  return out;
}

/** Decodes safetensors bytes; every entry is validated before any tensor is read. */
export function decodeSafetensors(bytes: Uint8Array): {
  /** The float32 tensors by name. */
  tensors: Record<string, Tensor>;
  /** The header's string metadata (`__metadata__`); empty when the file has none. */
  metadata: Record<string, string>;
} {
  const { header, dataStart, counts } = readHeader(bytes);
  const tensors: Record<string, Tensor> = {};
  header.tensors.forEach((t, i) => {
    const size = counts[i];
    const begin = t.begin as number; // validated: within the data section, so below 2^53
    const src = new DataView(bytes.buffer, bytes.byteOffset + dataStart + begin, size * 4);
    const data = new Float32Array(size);
    for (let k = 0; k < size; k++) data[k] = src.getFloat32(k * 4, true);
    // a shape value past 2^53 - 1 (beside a 0) is kept as bigint by the header reader; Tensor has numbers
    const shape = t.shape.every((d) => typeof d === 'number') ? (t.shape as number[]) : t.shape.map(Number);
    setOwn(tensors, t.name, { shape, data });
  });
  return { tensors, metadata: metadataRecord(header) };
}

/** Only the string metadata of a safetensors file (the header is parsed and validated; tensors are not read). */
export function readMetadata(bytes: Uint8Array): Record<string, string> {
  return metadataRecord(readHeader(bytes).header);
}

/**
 * The header of a file, checked as the reference's `read_metadata` checks it: the length (at most
 * MAX_HEADER_SIZE, within the file), UTF-8, the JSON (safetensors-header.ts), then the layout.
 * Returns the element count of each tensor, in header order.
 */
function readHeader(bytes: Uint8Array): { header: Header; dataStart: number; counts: number[] } {
  if (!(bytes instanceof Uint8Array)) throw new WavaeError('INVALID_OPTION', 'safetensors: expected a Uint8Array');
  if (bytes.length < 8) throw new WavaeError('CORRUPT_FILE', `safetensors: ${bytes.length} bytes is too short for a header`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) {
    throw new WavaeError('CORRUPT_FILE', `safetensors: header length ${n} is more than the ${MAX_HEADER_SIZE} bytes the format allows (not safetensors, or damaged)`);
  }
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length) {
    throw new WavaeError('CORRUPT_FILE', `safetensors: header length ${headerLen} does not fit in a file of ${bytes.length} bytes (truncated or not safetensors)`);
  }
  // serde_json reads U+FEFF as an unexpected character, not as whitespace: the reference refuses a
  // BOM, where TextDecoder would drop it without a word (hence ignoreBOM below).
  if (bytes[8] === 0xef && bytes[9] === 0xbb && bytes[10] === 0xbf) {
    throw new WavaeError('CORRUPT_FILE', 'safetensors: the header starts with a byte order mark (EF BB BF); a safetensors header is JSON without one');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    throw new WavaeError('CORRUPT_FILE', 'safetensors: the header is not valid UTF-8');
  }
  const header = parseHeader(text);
  const dataStart = 8 + headerLen;
  return { header, dataStart, counts: checkLayout(header.tensors, bytes.length - dataStart) };
}

/**
 * The reference's `validate`: tensors sorted by data_offsets must tile the data section from byte
 * 0 to its last byte, each [begin, end) exactly shape-product * 4 bytes, the product computed
 * with overflow checks (usize::checked_mul from 1, then times the dtype's 32 bits). Then
 * `read_metadata`'s `buffer_end + N_LEN + n != buffer_len`: no bytes after the last tensor.
 */
function checkLayout(tensors: HeaderTensor[], dataLen: number): number[] {
  const counts = tensors.map((t) => {
    if (t.dtype !== 'F32') throw new WavaeError('CORRUPT_FILE', `safetensors: tensor ${label(t.name)} has dtype ${JSON.stringify(t.dtype)}; wavae reads F32 (convert with tensor.float())`);
    const count = elementCount(t.shape);
    if (count === null) throw new WavaeError('CORRUPT_FILE', `safetensors: tensor ${label(t.name)} has shape [${t.shape.join(', ')}], whose size in bytes overflows 64 bits`);
    if (t.end < t.begin) throw new WavaeError('CORRUPT_FILE', `safetensors: tensor ${label(t.name)} has data_offsets [${t.begin}, ${t.end}], which end before they begin`);
    const span = typeof t.begin === 'number' && typeof t.end === 'number' ? t.end - t.begin : Infinity;
    if (span !== Number(count) * 4) {
      throw new WavaeError('CORRUPT_FILE', `safetensors: tensor ${label(t.name)} of shape [${t.shape.join(', ')}] needs ${BigInt(count) * 4n} bytes, its data_offsets [${t.begin}, ${t.end}] span ${BigInt(t.end) - BigInt(t.begin)}`);
    }
    return Number(count);
  });
  // sorted by (begin, end) as the reference sorts them; empty tensors may share a boundary
  const order = tensors.map((_, i) => i).sort((a, b) => compare(tensors[a].begin, tensors[b].begin) || compare(tensors[a].end, tensors[b].end));
  let end: Usize = 0;
  let previous: HeaderTensor | null = null;
  for (const i of order) {
    const t = tensors[i];
    if (t.begin !== end) {
      if (previous === null) throw new WavaeError('CORRUPT_FILE', `safetensors: the first tensor, ${label(t.name)}, starts at byte ${t.begin} of the data, not 0; tensors must fill the data section from its first byte`);
      if (t.begin < end) {
        throw new WavaeError('CORRUPT_FILE', `safetensors: tensors ${label(previous.name)} (bytes ${previous.begin} to ${previous.end}) and ${label(t.name)} (bytes ${t.begin} to ${t.end}) overlap`);
      }
      throw new WavaeError('CORRUPT_FILE', `safetensors: ${BigInt(t.begin) - BigInt(end)} bytes between tensors ${label(previous.name)} (ends at byte ${end}) and ${label(t.name)} (starts at byte ${t.begin}); tensors must fill the data section without gaps`);
    }
    end = t.end;
    previous = t;
  }
  if (end > dataLen) {
    throw new WavaeError('CORRUPT_FILE', `safetensors: the tensors end at byte ${end} of a data section of ${dataLen} bytes (truncated file)`);
  }
  if (end < dataLen) {
    const last = previous ? `the last tensor, ${label(previous.name)}, ends at byte ${end}` : 'there are no tensors';
    throw new WavaeError('CORRUPT_FILE', `safetensors: ${dataLen - Number(end)} bytes after the tensors (${last} of a data section of ${dataLen} bytes); tensors must fill the data section to its last byte`);
  }
  return counts;
}

/** The product of a shape as the reference computes it, or null where it overflows 64 bits (as an F32 size in bits). */
function elementCount(shape: readonly Usize[]): number | bigint | null {
  let count: number | bigint = 1;
  for (const d of shape) {
    if (typeof count === 'number' && typeof d === 'number' && count * d <= Number.MAX_SAFE_INTEGER) {
      count *= d;
    } else {
      count = BigInt(count) * BigInt(d);
      if (count > U64_MAX) return null; // usize::checked_mul fails here, even if a later 0 would zero it
    }
  }
  if (BigInt(count) * F32_BITS > U64_MAX) return null; // nelements.checked_mul(dtype.bitsize())
  return count;
}

function compare(a: Usize, b: Usize): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `__metadata__` as a plain record; null (which the reference reads as None) is no metadata. */
function metadataRecord(header: Header): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of header.metadata ?? []) setOwn(out, key, value);
  return out;
}

/** obj[key] = value as an own property, also for the key "__proto__" (which would set the prototype). */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function wellFormed(text: string): boolean {
  return !/\p{Surrogate}/u.test(text);
}
