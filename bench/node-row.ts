// One wavae training row (the dense 784-400-20 VAE, on MNIST or with a Gaussian likelihood on dense rows, or the MNIST conv VAE) in a process of its own,
// so that bench/children.ts can measure it on another Node (Node 24): prints the row as one JSON line.
//   <node> scripts/run-ts.mjs bench/node-row.ts --arch dense|gaussian|conv --threads 1 --seconds 8
import * as wv from '../src/node.js';
import { wavaeConvRow } from './conv.js';
import { gaussianRows, wavaeDenseRow } from './train.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const { train } = await wv.datasets.mnist();
const [threads, seconds] = [Number(arg('threads', '1')), Number(arg('seconds', '8'))];
const arch = arg('arch', 'conv');
const { row, vae } = arch === 'dense' ? await wavaeDenseRow(train.images, threads, seconds)
  : arch === 'gaussian' ? await wavaeDenseRow(gaussianRows(train.images.rows), threads, seconds, 'wasm', 'gaussian')
    : await wavaeConvRow(train.images, threads, seconds);
vae.dispose();
await wv.shutdown();
console.log(JSON.stringify(row));
