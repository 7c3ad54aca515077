// Thread determinism under contended cores: several processes at once, each training the MNIST
// conv VAE on kernel threads, print a hash of the parameters after every epoch; every process
// must print the same hashes (and the one-thread process too). Not a benchmark and not in the
// test suite (minutes, and it needs the cores contended to show anything): the check that found
// V8's dynamic tiering computing other bits in Node 20's kernel threads (see src/node.ts).
//   node scripts/run-ts.mjs bench/determinism.ts [--processes 3] [--threads 2] [--epochs 12] [--rows 3000]
// A child: bench/determinism.ts --child THREADS EPOCHS ROWS
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import * as wv from '../src/node.js';
import { CONV_RECIPE } from '../src/models/recipes.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

async function child(threads: number, epochs: number, rows: number): Promise<void> {
  await wv.init({ threads, strict: true });
  const { train } = await wv.datasets.mnist();
  const vae = new wv.VAE({ ...CONV_RECIPE.model, seed: 1 } as ConstructorParameters<typeof wv.VAE>[0]);
  const x = wv.matrix(rows, 784, train.images.data.subarray(0, rows * 784));
  const hashes: string[] = [];
  for (let e = 0; e < epochs; e++) {
    await vae.fit(x, { epochs: 1, batchSize: 128 });
    const h = crypto.createHash('sha256');
    for (const [name, v] of Object.entries(vae.parameters()).sort()) h.update(name).update(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    hashes.push(h.digest('hex').slice(0, 12));
  }
  console.log(JSON.stringify({ threads: wv.threadCount(), hashes }));
  await wv.shutdown();
}

const at = args.indexOf('--child');
if (at >= 0) {
  await child(Number(args[at + 1]), Number(args[at + 2]), Number(args[at + 3]));
} else {
  const [processes, threads, epochs, rows] = [arg('processes', '3'), arg('threads', '2'), arg('epochs', '12'), arg('rows', '3000')].map(Number);
  const run = (t: number): Promise<{ threads: number; hashes: string[] } | string> => new Promise((resolve) => {
    const p = spawn(process.execPath, [...process.execArgv, process.argv[1], '--child', String(t), String(epochs), String(rows)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => {
      try {
        resolve(code === 0 ? JSON.parse(out.trim().split('\n').pop() as string) : `exit ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`);
      } catch {
        resolve(`no result: ${out.slice(-200)}`);
      }
    });
  });
  console.log(`determinism: ${processes} processes of ${threads} threads and one of 1 thread at once, ${epochs} epochs of ${rows} MNIST rows each, Node ${process.versions.node}`);
  const results = await Promise.all([run(1), ...Array.from({ length: processes }, () => run(threads))]);
  const reference = results[0];
  let bad = 0;
  results.forEach((r, i) => {
    if (typeof r === 'string' || typeof reference === 'string') {
      console.log(`process ${i}: ${typeof r === 'string' ? r : 'the one-thread reference failed'}`);
      bad++;
      return;
    }
    const first = r.hashes.findIndex((h, e) => h !== reference.hashes[e]);
    console.log(`process ${i} (${r.threads} thread${r.threads > 1 ? 's' : ''}): ${first < 0 ? 'the same bits as one thread after every epoch' : `differs from epoch ${first + 1} on`}`);
    if (first >= 0) bad++;
  });
  console.log(bad ? `NOT DETERMINISTIC: ${bad} of ${results.length} processes` : 'deterministic');
  process.exitCode = bad ? 1 : 0;
}
