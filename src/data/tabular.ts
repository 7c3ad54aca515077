// Readers for the user's own data, from text or bytes (no file access here): CSV with an
// optional header and label column, JSON arrays of rows, and NumPy .npy (float32, float64,
// uint8). Errors name the line and column (CSV), the index (JSON) or the header field (.npy).
import { WavaeError } from '../errors.js';
import { matrix, type Matrix } from '../matrix.js';

/** Parsed rows, with the label column (if any) split off. */
export interface Table {
  x: Matrix;
  labels: Float64Array | null;
  columns: string[] | null;
  /** For an array of rank 3 or more, (n, ...dims): the dims of one row, e.g. [h, w] or [c, h, w]; null for a table. */
  shape: number[] | null;
}

/** CSV options: header 'auto' treats a first line with a non-numeric cell as a header. */
export interface CsvOptions {
  header?: boolean | 'auto';
  /** A column to split off as labels: its name (with a header) or 0-based index. */
  labelColumn?: string | number;
  /** Shown in error messages, e.g. the file name. */
  name?: string;
}

/** Parses CSV text of numbers (comma separated; quotes around cells are allowed). */
export function parseCsv(text: string, options: CsvOptions = {}): Table {
  const name = options.name ?? 'CSV';
  const lines = text.split(/\r?\n/);
  const split = (line: string): string[] => line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1').trim());
  let first = 0;
  while (first < lines.length && lines[first].trim() === '') first++;
  if (first === lines.length) throw new WavaeError('SHAPE_MISMATCH', `${name}: no data rows`);
  let columns: string[] | null = null;
  const head = split(lines[first]);
  const hasHeader = options.header === 'auto' || options.header === undefined ? head.some((c) => c === '' || !isNumeric(c)) : options.header;
  if (hasHeader) {
    columns = head;
    first++;
  }
  let labelIndex = -1;
  if (options.labelColumn !== undefined) {
    if (typeof options.labelColumn === 'number') labelIndex = options.labelColumn;
    else if (columns) labelIndex = columns.indexOf(options.labelColumn);
    if (labelIndex < 0 || (columns && labelIndex >= columns.length)) {
      throw new WavaeError('INVALID_OPTION', `${name}: no label column ${JSON.stringify(options.labelColumn)}${columns ? ` (columns: ${columns.slice(0, 10).join(', ')}${columns.length > 10 ? ', ...' : ''})` : ''}`);
    }
  }
  const values: number[] = [];
  const labels: number[] = [];
  let width = -1;
  let rows = 0;
  for (let i = first; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const cells = split(lines[i]);
    if (width < 0) width = cells.length;
    if (cells.length !== width) {
      throw new WavaeError('SHAPE_MISMATCH', `${name}:${i + 1}: ${cells.length} columns, expected ${width} like the first row`);
    }
    for (let j = 0; j < cells.length; j++) {
      const v = Number(cells[j]);
      if (cells[j] === '' || !Number.isFinite(v)) {
        throw new WavaeError(cells[j] !== '' && isNumeric(cells[j]) ? 'NON_FINITE_INPUT' : 'INVALID_OPTION',
          `${name}:${i + 1}:${j + 1}: ${JSON.stringify(cells[j])} is not a finite number`);
      }
      if (j === labelIndex) labels.push(v);
      else values.push(v);
    }
    rows++;
  }
  if (labelIndex >= width) throw new WavaeError('INVALID_OPTION', `${name}: label column ${labelIndex} does not exist (${width} columns)`);
  const cols = width - (labelIndex >= 0 ? 1 : 0);
  if (cols < 1) throw new WavaeError('SHAPE_MISMATCH', `${name}: no feature columns`);
  return {
    x: matrix(rows, cols, Float32Array.from(values)),
    labels: labelIndex >= 0 ? Float64Array.from(labels) : null,
    columns: columns ? columns.filter((_, j) => j !== labelIndex) : null,
    shape: null,
  };
}

function isNumeric(s: string): boolean {
  return s !== '' && !Number.isNaN(Number(s));
}

/** Parses JSON: an array of equal-length arrays of finite numbers. */
export function parseJsonRows(text: string, name = 'JSON'): Table {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new WavaeError('CORRUPT_FILE', `${name}: not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(data) || data.length === 0 || !Array.isArray(data[0])) {
    throw new WavaeError('SHAPE_MISMATCH', `${name}: expected a non-empty array of rows (arrays of numbers)`);
  }
  const cols = (data[0] as unknown[]).length;
  const out = new Float32Array(data.length * cols);
  data.forEach((row: unknown, i: number) => {
    if (!Array.isArray(row) || row.length !== cols) throw new WavaeError('SHAPE_MISMATCH', `${name}: row ${i} has ${Array.isArray(row) ? row.length : 'no'} values, expected ${cols}`);
    row.forEach((v: unknown, j: number) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new WavaeError('NON_FINITE_INPUT', `${name}: row ${i}, column ${j}: ${JSON.stringify(v)} is not a finite number`);
      out[i * cols + j] = v;
    });
  });
  return { x: matrix(data.length, cols, out), labels: null, columns: null, shape: null };
}

/** Parses a NumPy .npy file of float32, float64 or uint8, C order, shape (n,), (n, d), (n, h, w) or (n, c, h, w). */
export function parseNpy(bytes: Uint8Array, name = '.npy'): Table {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new WavaeError('CORRUPT_FILE', `${name}: not a .npy file (bad magic)`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw new WavaeError('CORRUPT_FILE', `${name}: truncated header`);
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new WavaeError('CORRUPT_FILE', `${name}: unreadable header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') throw new WavaeError('INVALID_OPTION', `${name}: Fortran-order arrays are not supported (save with np.ascontiguousarray)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.length < 1 || shape.length > 4 || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new WavaeError('SHAPE_MISMATCH', `${name}: shape (${shapeText}) must be (n,), (n, d), (n, h, w) or (n, c, h, w)`);
  }
  const types: Record<string, { size: number; get: (at: number) => number }> = {
    '<f4': { size: 4, get: (at) => view.getFloat32(at, true) },
    '<f8': { size: 8, get: (at) => view.getFloat64(at, true) },
    '|u1': { size: 1, get: (at) => view.getUint8(at) },
    '<u1': { size: 1, get: (at) => view.getUint8(at) },
  };
  const t = types[descr];
  if (!t) throw new WavaeError('INVALID_OPTION', `${name}: dtype ${descr} is not supported (use float32, float64 or uint8)`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  if (dataStart + count * t.size > bytes.length) {
    throw new WavaeError('CORRUPT_FILE', `${name}: truncated: shape (${shape.join(', ')}) of ${descr} needs ${count * t.size} bytes of data, the file has ${bytes.length - dataStart}`);
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = t.get(dataStart + i * t.size);
    if (!Number.isFinite(v)) throw new WavaeError('NON_FINITE_INPUT', `${name}: element ${i} is ${v}`);
    out[i] = v;
  }
  const n = shape[0];
  const cols = shape.length === 1 ? 1 : shape.slice(1).reduce((a, b) => a * b, 1);
  return { x: matrix(n, cols, out), labels: null, columns: null, shape: shape.length >= 3 ? shape.slice(1) : null };
}

/** Encodes a float32 matrix as .npy (version 1.0, little-endian, C order). */
export function encodeNpy(m: Matrix): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${m.rows}, ${m.cols}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = new TextEncoder().encode(header);
  const out = new Uint8Array(10 + head.length + m.data.length * 4);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, head.length, true);
  out.set(head, 10);
  const view = new DataView(out.buffer, 10 + head.length);
  for (let i = 0; i < m.data.length; i++) view.setFloat32(i * 4, m.data[i], true);
  return out;
}
