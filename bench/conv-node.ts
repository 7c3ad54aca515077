// One wavae row of the conv training benchmark in a process of its own, so that bench/conv.ts
// can measure it on another Node (Node 24): prints the row as one JSON line.
//   <node> scripts/run-ts.mjs bench/conv-node.ts --threads 1 --seconds 8
import * as wv from '../src/node.js';
import { wavaeConvRow } from './conv.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const { train } = await wv.datasets.mnist();
const { row, vae } = await wavaeConvRow(train.images, Number(arg('threads', '1')), Number(arg('seconds', '8')));
vae.dispose();
await wv.shutdown();
console.log(JSON.stringify(row));
