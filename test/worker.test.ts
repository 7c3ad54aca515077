// fitInWorker in Node worker_threads: the same training as on the calling thread, progress
// events, abort, and a worker that dies rejects instead of hanging.
import { describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { fitInWorkerWith } from '../src/worker/fit-in-worker.js';
import { nodeWorkerFactory } from '../src/worker/node-worker.js';
import { Rng } from '../src/random.js';

const rng = new Rng(4);
const x = Float32Array.from({ length: 96 * 10 }, () => rng.uniform());

describe('fitInWorker (Node worker_threads)', () => {
  it('trains exactly as fit() on the calling thread, streaming progress, and hands back the model', async () => {
    await wv.init();
    const opts = { inputDim: 10, hiddenDims: [8], latentDim: 2, seed: 3 };
    const here = new wv.VAE(opts);
    await here.fit(x, { epochs: 3, batchSize: 16 });
    const there = new wv.VAE(opts);
    const epochs: number[] = [];
    let batches = 0;
    const { model, history } = await wv.fitInWorker(there, x, {
      epochs: 3, batchSize: 16, validationData: x,
      onEpochEnd: (epoch) => epochs.push(epoch), onBatchEnd: () => { batches++; },
    });
    expect(epochs).toEqual([1, 2, 3]);
    expect(batches).toBe(18);
    expect(history.valLoss).toHaveLength(3);
    expect(model.epochsTrained).toBe(3);
    const [a, b] = [here.parameters(), model.parameters()];
    for (const name of Object.keys(a)) expect(Array.from(b[name])).toEqual(Array.from(a[name])); // bitwise: same kernels, same seeds
    expect(there.epochsTrained).toBe(0); // the original is untouched
    for (const m of [here, there, model]) m.dispose();
  });

  it('trains a conditional model exactly as fit() does, conditions included', async () => {
    await wv.init();
    const opts = { inputDim: 10, hiddenDims: [8], latentDim: 2, conditionDim: 3, seed: 3 };
    const condition = wv.oneHot(Array.from({ length: 96 }, (_, i) => i % 3), 3);
    const validationCondition = wv.matrix(96, 3, condition.data.map((v) => 1 - v));
    const here = new wv.VAE(opts);
    const mine = await here.fit(x, { epochs: 2, batchSize: 16, condition, validationData: x, validationCondition });
    const there = new wv.VAE(opts);
    const { model, history } = await wv.fitInWorker(there, x, { epochs: 2, batchSize: 16, condition, validationData: x, validationCondition });
    expect(history.valLoss).toEqual(mine.valLoss);
    const [a, b] = [here.parameters(), model.parameters()];
    for (const name of Object.keys(a)) expect(Array.from(b[name])).toEqual(Array.from(a[name]));
    expect(model.conditionDim).toBe(3);
    await expect(wv.fitInWorker(there, x, { epochs: 1 })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/fitInWorker: this model is conditional/) });
    for (const m of [here, there, model]) m.dispose();
  });

  it('an AbortSignal stops the worker cleanly after the current batch', async () => {
    await wv.init();
    const vae = new wv.VAE({ inputDim: 10, hiddenDims: [8], latentDim: 2 });
    const controller = new AbortController();
    const { history, model } = await wv.fitInWorker(vae, x, {
      epochs: 1000, batchSize: 8, signal: controller.signal,
      onEpochEnd: (epoch) => { if (epoch === 2) controller.abort(); },
    });
    // how many epochs the worker finishes before the abort message reaches it depends on timing;
    // what does not: it stopped on the abort, after the epoch that triggered it, and cleanly
    // (every epoch it began is in the history and in the model it handed back)
    expect(history.stopped).toBe('aborted');
    expect(history.epoch.length).toBeGreaterThanOrEqual(2);
    expect(history.epoch).toEqual(Array.from({ length: history.epoch.length }, (_, i) => i + 1));
    expect(history.loss).toHaveLength(history.epoch.length);
    expect(model.epochsTrained).toBe(history.epoch.length);
    vae.dispose();
    model.dispose();
  });

  it('a worker that dies mid-training rejects with WORKER_FAILED instead of hanging', async () => {
    await wv.init();
    const vae = new wv.VAE({ inputDim: 10, hiddenDims: [8], latentDim: 2 });
    // the worker thread really ends (process.exit in a worker ends that thread) 100 ms into training
    const dies = (source: string) => nodeWorkerFactory(`${source};setTimeout(() => process.exit(3), 100);`);
    // a hang would leave the promise pending: fail on a generous timer with a message saying so
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('fitInWorker still pending 45 s after its worker died')), 45_000);
    });
    await expect(Promise.race([fitInWorkerWith(dies, vae, x, { epochs: 100_000, batchSize: 8 }), hung]).finally(() => clearTimeout(timer)))
      .rejects.toMatchObject({ code: 'WORKER_FAILED', message: expect.stringMatching(/died: the worker exited \(code 3\)/) });
    vae.dispose();
  });

  it('bad data is refused on the calling side', async () => {
    await wv.init();
    const vae = new wv.VAE({ inputDim: 10, hiddenDims: [8], latentDim: 2 });
    await expect(wv.fitInWorker(vae, new Float32Array(7))).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(wv.fitInWorker(vae, x, { epoch: 2 } as never)).rejects.toMatchObject({ code: 'UNKNOWN_OPTION' });
    vae.dispose();
  });
});
