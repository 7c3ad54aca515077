// Durability: a process killed while saving leaves the old model file or the new one, complete;
// 10,000 training steps and 10,000 inference calls leave the wasm memory and the JS heap flat.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { getBackend } from '../src/backend/index.js';
import { Rng } from '../src/random.js';

describe('saving is atomic', () => {
  it('a child killed at random points while saving always leaves model A or model B, complete (25 kills)', async () => {
    await wv.init();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-kill-'));
    const target = path.join(dir, 'model.safetensors');
    const script = path.join(dir, 'saver.mjs');
    fs.writeFileSync(script, `
      import fs from 'node:fs';
      const wv = await import(${JSON.stringify(path.resolve('dist/node.js'))});
      await wv.init();
      const models = [1, 2].map((seed) => new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, seed }));
      fs.writeFileSync(${JSON.stringify(path.join(dir, 'a.bin'))}, models[0].save());
      fs.writeFileSync(${JSON.stringify(path.join(dir, 'b.bin'))}, models[1].save());
      await wv.saveFile(models[1], ${JSON.stringify(target)});
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) await wv.saveFile(models[i % 2], ${JSON.stringify(target)});
    `);
    const rng = new Rng(7);
    let checked = 0;
    for (let kill = 0; kill < 25; kill++) {
      const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 5 + rng.int(60)));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const bytes = fs.readFileSync(target);
      const a = fs.readFileSync(path.join(dir, 'a.bin'));
      const b = fs.readFileSync(path.join(dir, 'b.bin'));
      expect(bytes.equals(a) || bytes.equals(b), `kill ${kill}: the file is neither model`).toBe(true);
      wv.load(new Uint8Array(bytes)).dispose();
      checked++;
    }
    expect(checked).toBe(25); // the child says ready after its first save: every kill finds a file
  }, 120_000);
});

describe('memory stays flat', () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  // The least of three readings, each after a pause (the test runner's own messages come and go)
  // and two full collections: floating garbage moves single readings by a few hundred KB, a leak
  // stays in all of them (one retained 4-float slice per call is ~2 MB over 10,000 calls).
  const jsHeap = async (): Promise<number> => {
    let least = Infinity;
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r));
      gc();
      gc();
      least = Math.min(least, v8.getHeapStatistics().used_heap_size);
    }
    return least;
  };

  it('10,000 training steps: no wasm memory growth after the plan, and the JS heap settles', async () => {
    await wv.init();
    const be = getBackend();
    const rng = new Rng(3);
    const x = Float32Array.from({ length: 160 * 20 }, () => rng.uniform());
    const vae = new wv.VAE({ inputDim: 20, hiddenDims: [16], latentDim: 4 });
    await vae.fit(x, { epochs: 100, batchSize: 16 }); // 1,000 steps: plan, optimizer, JIT warm
    const [bytes, floats, heap] = [be.heapBytes, be.allocatedFloats, await jsHeap()];
    await vae.fit(x, { epochs: 900, batchSize: 16 }); // 9,000 more steps
    expect(be.heapBytes).toBe(bytes);
    expect(be.allocatedFloats).toBe(floats);
    expect(await jsHeap() - heap).toBeLessThan(1 << 20);
    vae.dispose();
  }, 120_000);

  it('10,000 inference calls: no wasm memory growth, and the JS heap settles', async () => {
    await wv.init();
    const be = getBackend();
    const vae = new wv.VAE({ inputDim: 20, hiddenDims: [16], latentDim: 4 });
    const one = new Float32Array(20).fill(0.5);
    for (let i = 0; i < 1000; i++) vae.reconstruct(one);
    const [bytes, floats, heap] = [be.heapBytes, be.allocatedFloats, await jsHeap()];
    for (let i = 0; i < 10_000; i++) vae.reconstruct(one);
    expect(be.heapBytes).toBe(bytes);
    expect(be.allocatedFloats).toBe(floats);
    expect(await jsHeap() - heap).toBeLessThan(1 << 20);
    vae.dispose();
  });

  it('a plan too large for the heap fails with OUT_OF_MEMORY before anything changes', async () => {
    await wv.init();
    const be = getBackend();
    const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20 });
    const x = new Float32Array(784 * 8).fill(0.5);
    await vae.fit(x, { epochs: 1, batchSize: 8 });
    const [floats, before] = [be.allocatedFloats, vae.parameters()];
    await expect(vae.fit(x, { epochs: 1, batchSize: 2_000_000 })).rejects.toMatchObject({ code: 'OUT_OF_MEMORY', message: expect.stringMatching(/smaller batch size/) });
    expect(be.allocatedFloats).toBe(floats);
    expect(vae.parameters()).toEqual(before);
    await vae.fit(x, { epochs: 1, batchSize: 8 }); // the old plan still works
    vae.dispose();
  });
});
