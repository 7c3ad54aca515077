// safetensors: an 8-byte little-endian header length, a JSON header mapping tensor names to
// { dtype, shape, data_offsets } (plus string-valued "__metadata__"), then the raw little-endian
// tensor bytes. wavae writes and reads float32 ("F32") tensors; reading checks every name, dtype,
// shape and byte range and refuses anything inconsistent with a CORRUPT_FILE error.
import { WavaeError } from '../errors.js';

/** A named float32 tensor. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

const MAX_HEADER = 100 * 2 ** 20;

/** Encodes tensors (in the given order) and string metadata as safetensors bytes. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array<ArrayBuffer> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new WavaeError('SHAPE_MISMATCH', `safetensors: '${name}' has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * size] };
    offset += 4 * size;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8); // data starts 8-byte aligned
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const t of Object.values(tensors)) {
    const le = new DataView(out.buffer, at, t.data.length * 4);
    for (let i = 0; i < t.data.length; i++) le.setFloat32(i * 4, t.data[i], true);
    at += t.data.length * 4;
  }
  return out;
}

/** Decodes safetensors bytes; every entry is validated. */
export function decodeSafetensors(bytes: Uint8Array): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  if (!(bytes instanceof Uint8Array)) throw new WavaeError('INVALID_OPTION', 'safetensors: expected a Uint8Array');
  if (bytes.length < 8) throw new WavaeError('CORRUPT_FILE', `safetensors: ${bytes.length} bytes is too short for a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER || 8 + headerLen > bytes.length) {
    throw new WavaeError('CORRUPT_FILE', `safetensors: header length ${headerLen} does not fit in a file of ${bytes.length} bytes (truncated or not safetensors)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch {
    throw new WavaeError('CORRUPT_FILE', 'safetensors: the header is not valid UTF-8 JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new WavaeError('CORRUPT_FILE', 'safetensors: the header is not a JSON object');
  // JSON.parse keeps the last of duplicate keys silently: count the entries in the text instead
  const declared = new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)).split('"data_offsets"').length - 1;
  const parsed = Object.keys(header).filter((k) => k !== '__metadata__').length;
  if (declared !== parsed) throw new WavaeError('CORRUPT_FILE', `safetensors: the header declares ${declared} tensors but has ${parsed} distinct names (duplicate names)`);
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: Record<string, Tensor> = {};
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null) throw new WavaeError('CORRUPT_FILE', 'safetensors: __metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new WavaeError('CORRUPT_FILE', `safetensors: __metadata__.${k} must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) throw new WavaeError('CORRUPT_FILE', `safetensors: entry '${name}' is not an object`);
    if (e.dtype !== 'F32') throw new WavaeError('CORRUPT_FILE', `safetensors: tensor '${name}' has dtype ${JSON.stringify(e.dtype)}; wavae reads F32 (convert with tensor.float())`);
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new WavaeError('CORRUPT_FILE', `safetensors: tensor '${name}' has an invalid shape ${JSON.stringify(e.shape)}`);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((v) => Number.isInteger(v) && v >= 0) || off[0] > off[1]) {
      throw new WavaeError('CORRUPT_FILE', `safetensors: tensor '${name}' has invalid data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    const size = (e.shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== size * 4) {
      throw new WavaeError('CORRUPT_FILE', `safetensors: tensor '${name}' of shape [${(e.shape as number[]).join(', ')}] needs ${size * 4} bytes, its offsets span ${end - begin}`);
    }
    if (end > dataLen) throw new WavaeError('CORRUPT_FILE', `safetensors: tensor '${name}' ends at byte ${end} of a data section of ${dataLen} bytes (truncated file)`);
    ranges.push([begin, end, name]);
    const src = new DataView(bytes.buffer, bytes.byteOffset + dataStart + begin, end - begin);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = src.getFloat32(i * 4, true);
    tensors[name] = { shape: [...(e.shape as number[])], data };
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) throw new WavaeError('CORRUPT_FILE', `safetensors: tensors '${ranges[i - 1][2]}' and '${ranges[i][2]}' overlap`);
  }
  return { tensors, metadata };
}

/** Only the string metadata of a safetensors file (the header is parsed; tensors are not read). */
export function readMetadata(bytes: Uint8Array): Record<string, string> {
  if (bytes.length < 8) throw new WavaeError('CORRUPT_FILE', `safetensors: ${bytes.length} bytes is too short for a header`);
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  if (headerLen > MAX_HEADER || 8 + headerLen > bytes.length) throw new WavaeError('CORRUPT_FILE', `safetensors: header length ${headerLen} does not fit in a file of ${bytes.length} bytes`);
  let header: { __metadata__?: Record<string, string> };
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch {
    throw new WavaeError('CORRUPT_FILE', 'safetensors: the header is not valid UTF-8 JSON');
  }
  return { ...(header?.__metadata__ ?? {}) };
}
