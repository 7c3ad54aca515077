// Readers for the user's own data, from text or bytes (no file access here): CSV with an
// optional header and label column, JSON arrays of rows, and NumPy .npy (float32, float64,
// uint8). Errors name the line and column (CSV and JSON) or the element (.npy); tables are bounded in columns and values.
import { WavaeError, type WavaeErrorCode } from '../errors.js';
import { matrix, type Matrix } from '../matrix.js';

/** Parsed rows, with the label column (if any) split off. */
export interface Table {
  x: Matrix;
  labels: Float64Array | null;
  columns: string[] | null;
  /** For an array of rank 3 or more, (n, ...dims): the dims of one row, e.g. [h, w] or [c, h, w]; null for a table. */
  shape: number[] | null;
}

/** The most columns of a CSV or JSON table, checked as the first row is read (wider rows: .npy). */
export const MAX_TABLE_COLUMNS = 1 << 16;

/** The most values (rows x columns) of a CSV or JSON table: 1 GiB of float32. */
export const MAX_TABLE_VALUES = 2 ** 28;

/**
 * CSV options. header 'auto' (the default): the first row is a header when none of its cells is
 * a number and some cell is not empty (`x1,x2,label`, or pandas' `,a,b`); otherwise it is data.
 */
export interface CsvOptions {
  header?: boolean | 'auto';
  /** A column to split off as labels: its name (with a header) or 0-based index. */
  labelColumn?: string | number;
  /** Shown in error messages, e.g. the file name. */
  name?: string;
}

/** A decimal number as CSV and JSON files write them: 3, -0.5, .5, 1e-3, 1.5E+38. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** NaN and the infinities as NumPy, pandas and JavaScript write them. */
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/** A cell that is a number, finite or not (so that a first row of `nan,1` is data, not a header). */
const isNumberCell = (cell: string): boolean => DECIMAL.test(cell) || NON_FINITE.test(cell);

/**
 * The value of a decimal number, or the error at `where` (file:line:column) for a number that is
 * NaN, infinite or beyond float32 (1e39 would become Infinity when stored) and for anything else.
 */
function cellValue(cell: string, where: string, hint = ''): number {
  if (DECIMAL.test(cell)) {
    const v = Number(cell);
    if (Number.isFinite(Math.fround(v))) return v;
    throw new WavaeError('NON_FINITE_INPUT', `${where}: ${cell} is beyond float32 (at most ±3.4028235e38)${hint}`);
  }
  if (NON_FINITE.test(cell)) throw new WavaeError('NON_FINITE_INPUT', `${where}: ${JSON.stringify(cell)} is not a finite number${hint}`);
  throw new WavaeError('INVALID_OPTION', `${where}: ${cell === '' ? 'an empty cell; every cell of a data row holds a number' : `${JSON.stringify(cell.length > 40 ? cell.slice(0, 40) + '...' : cell)} is not a finite number`}${hint}`);
}

/** Values of a table, row by row, in a Float32Array that grows; rows x columns bounded by MAX_TABLE_VALUES. */
class TableValues {
  data = new Float32Array(0);
  rows = 0;
  constructor(readonly cols: number, private readonly name: string) {}

  /** Room for one more row (`where` it starts, for the error), or OUT_OF_MEMORY past the bound. */
  grow(where: () => string): Float32Array {
    const need = (this.rows + 1) * this.cols;
    if (need > MAX_TABLE_VALUES) {
      throw new WavaeError('OUT_OF_MEMORY', `${where()}: more than ${MAX_TABLE_VALUES} values (rows x columns) in ${this.name}; wavae reads tables of at most that (1 GiB of float32)`);
    }
    if (need > this.data.length) {
      const next = new Float32Array(Math.min(Math.max(need, 2 * this.data.length, 1024), MAX_TABLE_VALUES));
      next.set(this.data);
      this.data = next;
    }
    return this.data;
  }

  matrix(): Matrix {
    return matrix(this.rows, this.cols, this.data.slice(0, this.rows * this.cols));
  }
}

/**
 * The rows of CSV text, one at a time (RFC 4180 quoting: `"1,5"` is one cell, `""` inside quotes
 * is a quote, a quoted cell may span lines; \n or \r\n ends a row). Cells are trimmed; blank
 * lines are skipped; a row of more than MAX_TABLE_COLUMNS cells stops the reading at once.
 */
class CsvRows {
  private pos = 0;
  /** The line the last row started on, from 1. */
  line = 0;
  private nextLine = 1;
  constructor(private readonly text: string, private readonly name: string) {}

  next(): string[] | null {
    const t = this.text;
    const n = t.length;
    for (;;) {
      if (this.pos >= n) return null;
      this.line = this.nextLine;
      const cells: string[] = [];
      let quoted = false;
      for (;;) {
        let i = this.pos;
        while (i < n && (t.charCodeAt(i) === 32 || t.charCodeAt(i) === 9)) i++;
        let end: number;
        quoted = t.charCodeAt(i) === 34;
        if (quoted) {
          let close = t.indexOf('"', i + 1);
          while (close >= 0 && t.charCodeAt(close + 1) === 34) close = t.indexOf('"', close + 2);
          if (close < 0) throw new WavaeError('CORRUPT_FILE', `${this.name}:${this.line}:${cells.length + 1}: a quote that is never closed`);
          const inner = t.slice(i + 1, close);
          for (let k = inner.indexOf('\n'); k >= 0; k = inner.indexOf('\n', k + 1)) this.nextLine++;
          cells.push(inner.replaceAll('""', '"').trim());
          end = close + 1;
          while (end < n && (t.charCodeAt(end) === 32 || t.charCodeAt(end) === 9 || t.charCodeAt(end) === 13)) end++;
          if (end < n && t.charCodeAt(end) !== 44 && t.charCodeAt(end) !== 10) {
            throw new WavaeError('CORRUPT_FILE', `${this.name}:${this.line}:${cells.length}: text after the closing quote`);
          }
        } else {
          end = i;
          while (end < n && t.charCodeAt(end) !== 44 && t.charCodeAt(end) !== 10) end++;
          cells.push(t.slice(i, end).trim());
        }
        if (cells.length > MAX_TABLE_COLUMNS) {
          throw new WavaeError('OUT_OF_MEMORY', `${this.name}:${this.line}: more than ${MAX_TABLE_COLUMNS} columns; wavae reads CSV rows of at most ${MAX_TABLE_COLUMNS} values (store wider rows as .npy)`);
        }
        this.pos = end + 1;
        if (end >= n || t.charCodeAt(end) === 10) break;
      }
      this.nextLine++;
      if (cells.length === 1 && cells[0] === '' && !quoted) continue; // a blank line
      return cells;
    }
  }
}

/**
 * Parses CSV text of numbers, comma separated, quotes allowed (RFC 4180). With header 'auto',
 * the first row is a header when none of its cells is a number and some cell is not empty.
 * Every data cell must be a decimal number within float32: an empty cell, text, NaN, an
 * infinity or 1e39 is an error at its line and column; no row is dropped or guessed at.
 */
export function parseCsv(text: string, options: CsvOptions = {}): Table {
  const name = options.name ?? 'CSV';
  const reader = new CsvRows(text, name);
  const first = reader.next();
  if (first === null) throw new WavaeError('SHAPE_MISMATCH', `${name}: no data rows`);
  const firstLine = reader.line;
  const header = options.header ?? 'auto';
  const hasHeader = header === 'auto' ? !first.some(isNumberCell) && first.some((c) => c !== '') : header;
  const columns = hasHeader ? first : null;
  let row = hasHeader ? reader.next() : first;
  if (row === null) throw new WavaeError('SHAPE_MISMATCH', `${name}: a header (line ${firstLine}) and no data rows`);
  const width = row.length;
  if (columns && columns.length !== width) {
    throw new WavaeError('SHAPE_MISMATCH', `${name}:${reader.line}: ${width} columns, the header (line ${firstLine}) has ${columns.length}`);
  }
  let labelIndex = -1;
  if (options.labelColumn !== undefined) {
    labelIndex = typeof options.labelColumn === 'number' ? options.labelColumn : columns ? columns.indexOf(options.labelColumn) : -1;
    if (labelIndex < 0 || labelIndex >= width) {
      const what = typeof options.labelColumn === 'number' ? `${width} columns, counted from 0` : columns ? `columns: ${columns.slice(0, 10).join(', ')}${columns.length > 10 ? ', ...' : ''}` : 'no header row names the columns';
      throw new WavaeError('INVALID_OPTION', `${name}: no label column ${JSON.stringify(options.labelColumn)} (${what})`);
    }
  }
  const cols = width - (labelIndex >= 0 ? 1 : 0);
  if (cols < 1) throw new WavaeError('SHAPE_MISMATCH', `${name}: no feature columns`);
  // a first row read as data under 'auto' because it has numbers: say how to read it as a header
  const firstRowHint = header === 'auto' ? ` (line ${firstLine} is read as data because it has numbers; --header yes reads it as a header)` : '';
  const values = new TableValues(cols, name);
  const labels: number[] = [];
  do {
    const line = reader.line;
    if (row.length !== width) throw new WavaeError('SHAPE_MISMATCH', `${name}:${line}: ${row.length} columns, expected ${width} like the first row`);
    const data = values.grow(() => `${name}:${line}`);
    const hint = line === firstLine ? firstRowHint : '';
    let at = values.rows * cols;
    for (let j = 0; j < width; j++) {
      const v = cellValue(row[j], `${name}:${line}:${j + 1}`, hint);
      if (j === labelIndex) labels.push(v);
      else data[at++] = v;
    }
    values.rows++;
    row = reader.next();
  } while (row !== null);
  return {
    x: values.matrix(),
    labels: labelIndex >= 0 ? Float64Array.from(labels) : null,
    columns: columns ? columns.filter((_, j) => j !== labelIndex) : null,
    shape: null,
  };
}

/** A number as JSON writes it (RFC 8259): -0.5, 3, 1e-3; no +, no leading dot or zeros. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** A character of a number or a bare word (null, true, NaN): letters, digits, '.', '+', '-', '_'. */
const isTokenChar = (c: number): boolean => (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122) || c === 46 || c === 43 || c === 45 || c === 95;

/**
 * Parses JSON: an array of equal-length arrays of finite numbers, read in one pass that builds
 * no JS array (so deep nesting cannot overflow the stack, and memory follows the values).
 * Errors name the line and column of the input.
 */
export function parseJsonRows(text: string, name = 'JSON'): Table {
  const n = text.length;
  let pos = 0;
  /** file:line:column of an offset (counted only for an error). */
  const where = (at: number): string => {
    let line = 1;
    let lineStart = 0;
    for (let k = text.indexOf('\n'); k >= 0 && k < at; k = text.indexOf('\n', k + 1)) {
      line++;
      lineStart = k + 1;
    }
    return `${name}:${line}:${at - lineStart + 1}`;
  };
  const fail = (code: WavaeErrorCode, at: number, what: string): WavaeError => new WavaeError(code, `${where(at)}: ${what}`);
  const found = (at: number): string => {
    if (at >= n) return 'the end of the file';
    const c = text[at];
    return c === '[' ? 'an array' : c === '{' ? 'an object' : c === '"' ? 'a string' : JSON.stringify(text.slice(at, at + 12).split(/[\s,\]]/)[0] || c);
  };
  const space = (): void => {
    for (let c = text.charCodeAt(pos); c === 32 || c === 10 || c === 13 || c === 9; c = text.charCodeAt(++pos));
  };
  const SHAPE = 'expected an array of rows of numbers, like [[1, 2], [3, 4]]';
  space();
  if (text[pos] !== '[') throw fail('SHAPE_MISMATCH', pos, `${found(pos)}; ${SHAPE}`);
  pos++;
  space();
  if (text[pos] === ']') throw fail('SHAPE_MISMATCH', pos, `no rows; ${SHAPE}`);
  let values: TableValues | null = null;
  let row = new Float32Array(16);
  for (;;) {
    space();
    const rowStart = pos;
    if (text[pos] !== '[') throw fail('SHAPE_MISMATCH', pos, `${found(pos)} where a row (an array of numbers) was expected; ${SHAPE}`);
    pos++;
    let count = 0;
    space();
    if (text[pos] === ']') throw fail('SHAPE_MISMATCH', rowStart, 'an empty row');
    for (;;) {
      space();
      const start = pos;
      while (pos < n && isTokenChar(text.charCodeAt(pos))) pos++;
      const token = text.slice(start, pos);
      if (token === '') throw fail(text[start] === '[' || text[start] === '{' ? 'SHAPE_MISMATCH' : 'CORRUPT_FILE', start, `${found(start)} where a number was expected (rows hold numbers)`);
      if (JSON_NUMBER.test(token)) {
        const v = Number(token);
        if (!Number.isFinite(Math.fround(v))) throw fail('NON_FINITE_INPUT', start, `${token} is beyond float32 (at most ±3.4028235e38)`);
        if (count === row.length) {
          if (count >= MAX_TABLE_COLUMNS) throw fail('OUT_OF_MEMORY', rowStart, `a row of more than ${MAX_TABLE_COLUMNS} values; wavae reads rows of at most ${MAX_TABLE_COLUMNS} (store wider rows as .npy)`);
          const next = new Float32Array(2 * row.length);
          next.set(row);
          row = next;
        }
        row[count++] = v;
      } else if (NON_FINITE.test(token)) {
        throw fail('NON_FINITE_INPUT', start, `${token} is not a finite number (nor JSON)`);
      } else {
        throw fail('CORRUPT_FILE', start, `${JSON.stringify(token.slice(0, 40))} where a number was expected`);
      }
      space();
      if (text[pos] === ',') pos++;
      else if (text[pos] === ']') break;
      else throw fail('CORRUPT_FILE', pos, `${found(pos)} where ',' or ']' was expected`);
    }
    pos++;
    values ??= new TableValues(count, name);
    if (count !== values.cols) throw fail('SHAPE_MISMATCH', rowStart, `a row of ${count} values, expected ${values.cols} like the first row`);
    const data = values.grow(() => where(rowStart));
    data.set(row.subarray(0, count), values.rows * count);
    values.rows++;
    space();
    if (text[pos] === ',') pos++;
    else if (text[pos] === ']') break;
    else throw fail('CORRUPT_FILE', pos, `${found(pos)} where ',' or ']' was expected after a row`);
  }
  pos++;
  space();
  if (pos < n) throw fail('CORRUPT_FILE', pos, `${found(pos)} after the array of rows`);
  return { x: values.matrix(), labels: null, columns: null, shape: null };
}

/** What a .npy header says: where the data starts, the array's shape, and its element type. */
export interface NpyHeader {
  dataStart: number;
  shape: number[];
  descr: string;
  itemBytes: number;
  /** Values per row (the product of the shape after the first dimension; 1 for (n,)). */
  cols: number;
}

const NPY_TYPES: Record<string, { size: number; get: (view: DataView, at: number) => number }> = {
  '<f4': { size: 4, get: (view, at) => view.getFloat32(at, true) },
  '<f8': { size: 8, get: (view, at) => view.getFloat64(at, true) },
  '|u1': { size: 1, get: (view, at) => view.getUint8(at) },
  '<u1': { size: 1, get: (view, at) => view.getUint8(at) },
};

/** The longest .npy header wavae reads (numpy writes a few hundred bytes at most). */
const MAX_NPY_HEADER = 1 << 16;

/**
 * Reads a .npy header from the head of a file, or null while `head` holds less than the whole
 * header. Checks it all before any data is read: the magic, a readable dict, C order, a supported
 * dtype, a shape of 1 to 4 plain integers, and at most MAX_TABLE_VALUES values.
 */
export function readNpyHeader(head: Uint8Array, name = '.npy'): NpyHeader | null {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (magic.some((b, i) => i < head.length && head[i] !== b)) throw new WavaeError('CORRUPT_FILE', `${name}: not a .npy file (bad magic)`);
  if (head.length < 12) return null;
  const major = head[6];
  if (major < 1 || major > 3) throw new WavaeError('CORRUPT_FILE', `${name}: .npy format version ${major}.${head[7]} is not one wavae reads (1.0 to 3.0)`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (headerLen > MAX_NPY_HEADER) throw new WavaeError('CORRUPT_FILE', `${name}: a .npy header of ${headerLen} bytes (wavae reads at most ${MAX_NPY_HEADER})`);
  if (start + headerLen > head.length) return null;
  const header = new TextDecoder().decode(head.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new WavaeError('CORRUPT_FILE', `${name}: unreadable header ${JSON.stringify(header.trim().slice(0, 200))}`);
  if (fortran === 'True') throw new WavaeError('INVALID_OPTION', `${name}: Fortran-order arrays are not supported (save with np.ascontiguousarray)`);
  const parts = shapeText.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (parts.length < 1 || parts.length > 4 || parts.some((t) => !/^\d{1,15}$/.test(t))) {
    throw new WavaeError('SHAPE_MISMATCH', `${name}: shape (${shapeText.slice(0, 100)}) must be (n,), (n, d), (n, h, w) or (n, c, h, w) of plain integers`);
  }
  const shape = parts.map(Number);
  const t = NPY_TYPES[descr];
  if (!t) throw new WavaeError('INVALID_OPTION', `${name}: dtype ${descr.slice(0, 40)} is not supported (use float32, float64 or uint8)`);
  const cols = shape.length === 1 ? 1 : shape.slice(1).reduce((a, b) => a * b, 1);
  if (shape[0] * cols > MAX_TABLE_VALUES) {
    throw new WavaeError('OUT_OF_MEMORY', `${name}: shape (${shape.join(', ')}) holds more than the ${MAX_TABLE_VALUES} values wavae reads (1 GiB of float32)`);
  }
  return { dataStart: start + headerLen, shape, descr, itemBytes: t.size, cols };
}

/**
 * Reads a .npy array (float32, float64 or uint8; C order) as a table; with `limit`, only its first
 * `limit` rows. A value that is not finite, or beyond float32, is NON_FINITE_INPUT at its row and
 * column.
 */
export function parseNpy(bytes: Uint8Array, name = '.npy', options: { limit?: number } = {}): Table {
  const h = readNpyHeader(bytes, name);
  if (!h) throw new WavaeError('CORRUPT_FILE', bytes.length < 12 ? `${name}: not a .npy file (too short)` : `${name}: truncated header`);
  const { shape, descr, cols, dataStart } = h;
  const t = NPY_TYPES[descr];
  const n = options.limit !== undefined ? Math.min(shape[0], options.limit) : shape[0];
  const count = n * cols;
  if (dataStart + count * t.size > bytes.length) {
    throw new WavaeError('CORRUPT_FILE', `${name}: truncated: shape (${shape.join(', ')}) of ${descr} needs ${shape[0] * cols * t.size} bytes of data, the file has ${bytes.length - dataStart}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = t.get(view, dataStart + i * t.size);
    if (!Number.isFinite(Math.fround(v))) {
      const where = `row ${Math.floor(i / cols)}, column ${i % cols} (element ${i})`;
      throw new WavaeError('NON_FINITE_INPUT', `${name}: ${where} is ${v}${Number.isFinite(v) ? ', beyond float32 (at most ±3.4028235e38)' : ''}`);
    }
    out[i] = v;
  }
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
