// The demo page and the published package in real Chromium (Debian's chromium, driven by
// playwright-core; no browser download): the wasm backend, training in a Web Worker bitwise
// equal to Node, the latent explorer, loading a model file, the digit picker of conditional
// models, no console errors; and a user's esbuild bundle of the packed package. Screenshots of
// the demo go to test-output/.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
// @ts-expect-error: a plain .mjs script without types
import { buildDemo, serveDemo } from '../scripts/web.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let browser: Browser;
let server: Server;
let base: string;
const consoleErrors: string[] = [];

/** FNV-1a over the bytes of every parameter tensor, in name order: equal hashes, equal bits. */
function hashParams(params: Record<string, Float32Array | number[]>): string {
  let h = 0x811c9dc5;
  for (const name of Object.keys(params).sort()) {
    const bytes = new Uint8Array(Float32Array.from(params[name]).buffer);
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  }
  return h.toString(16);
}

async function openDemo(query = '', at = base): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(String(err)));
  await page.goto(`${at}/?mnist=/mnist${query}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  return page;
}

beforeAll(async () => {
  await buildDemo();
  server = await serveDemo(0);
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
});

describe('the demo page in Chromium', () => {
  it('runs the wasm backend, trains in a Web Worker bitwise equal to Node, and stays error-free', async () => {
    const page = await openDemo();
    expect(await page.evaluate(() => (window as any).wv.backendName())).toBe('wasm');
    // Chromium has relaxed SIMD: the page picks the fused multiply-add GEMM by default
    expect(await page.evaluate(() => (window as any).wv.kernelVariant())).toBe('relaxed-simd');
    const relaxedSpeed = await page.evaluate(async () => {
      const wv = (window as any).wv;
      const x = new Float32Array(512 * 784).map((_, i) => (i % 11) / 11);
      const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, seed: 5 });
      const { history } = await wv.fitInWorker(vae, x, { epochs: 3, batchSize: 128 });
      return history.samplesPerSec[2];
    }) as number;
    // bitwise comparisons need the same arithmetic on both sides: the strict build, as Node 20 runs
    await page.evaluate(() => (window as any).wv.init({ strict: true }));
    expect(await page.evaluate(() => (window as any).wv.kernelVariant())).toBe('simd');
    const run = async (lib: any, isBrowser: boolean): Promise<{ hash: string; samplesPerSec: number }> => {
      void isBrowser;
      const rng = new lib.Rng(11);
      const x = new Float32Array(512 * 784);
      for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
      const vae = new lib.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, seed: 5 });
      const { model, history } = await lib.fitInWorker(vae, x, { epochs: 3, batchSize: 128 });
      const params = model.parameters();
      const out: Record<string, number[]> = {};
      for (const k of Object.keys(params)) out[k] = Array.from(params[k]);
      return { hash: JSON.stringify(out), samplesPerSec: history.samplesPerSec[history.samplesPerSec.length - 1] };
    };
    const inBrowser = await page.evaluate(`(${run.toString()})(window.wv, true)`) as { hash: string; samplesPerSec: number };
    await wv.init({ strict: true }); // Node 20's default; Node 22+ would pick relaxed SIMD
    const inNode = await run(wv, false);
    const [b, n] = [hashParams(JSON.parse(inBrowser.hash)), hashParams(JSON.parse(inNode.hash))];
    expect(b).toBe(n);
    const threads = await page.evaluate(() => (window as any).wv.threadCount());
    console.log(`in-browser Worker training on ${threads} threads: ${relaxedSpeed.toFixed(0)} samples/s relaxed-SIMD, ${inBrowser.samplesPerSec.toFixed(0)} strict; ` +
      `Node worker_thread on ${wv.threadCount()} threads: ${inNode.samplesPerSec.toFixed(0)} samples/s (784-400-20, batch 128)`);
    await page.close();
    expect(consoleErrors, consoleErrors.join("\n")).toEqual([]);
  }, 120_000);

  it('trains a conditional conv VAE in a Web Worker, strict, bitwise equal to Node', async () => {
    const page = await openDemo();
    await page.evaluate(() => (window as any).wv.init({ strict: true }));
    const run = async (lib: any): Promise<string> => {
      const rng = new lib.Rng(13);
      const x = new Float32Array(160 * 2 * 12 * 12);
      for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
      const labels = Array.from({ length: 160 }, (_, i) => (i * 7) % 3);
      const vae = new lib.VAE({
        inputShape: [2, 12, 12], latentDim: 4, seed: 6, conditionDim: 3,
        encoder: [{ type: 'conv2d', filters: 8, kernelSize: 4, stride: 2, padding: 1 }, { type: 'conv2d', filters: 12, kernelSize: 3, padding: 'same' },
          { type: 'flatten' }, { type: 'dense', units: 24 }],
      });
      const { model } = await lib.fitInWorker(vae, x, { epochs: 2, batchSize: 64, condition: lib.oneHot(labels, 3) });
      const params = model.parameters();
      const out: Record<string, number[]> = {};
      for (const k of Object.keys(params)) out[k] = Array.from(params[k]);
      return JSON.stringify(out);
    };
    const inBrowser = await page.evaluate(`(${run.toString()})(window.wv)`) as string;
    await wv.init({ strict: true });
    const inNode = await run(wv);
    expect(hashParams(JSON.parse(inBrowser))).toBe(hashParams(JSON.parse(inNode)));
    await page.close();
    expect(consoleErrors, consoleErrors.join("\n")).toEqual([]);
  }, 120_000);

  it('trains from the page controls, explores the latent plane, loads a model file, and saves a screenshot', async () => {
    // a model file as `wavae train` writes it: 2-D latent so the explorer has something to show
    await wv.init();
    const mnist = await wv.datasets.mnist();
    const vae = new wv.VAE({ inputDim: 784, hiddenDims: [128], latentDim: 2, seed: 2 });
    await vae.fit(wv.matrix(3000, 784, mnist.train.images.data.subarray(0, 3000 * 784)), { epochs: 3, batchSize: 64 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-web-'));
    const file = path.join(dir, 'model.safetensors');
    await wv.saveFile(vae, file);
    vae.dispose();

    const page = await openDemo();
    await page.fill('#epochs', '1');
    await page.fill('#limit', '1000');
    await page.click('#train');
    await page.waitForFunction(() => /done: 1 epochs/.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 60_000 });
    expect(await page.isVisible('#save')).toBe(true);

    // the conv model, two epochs: samples and reconstructions are redrawn after each epoch, not only at the end
    const before = Number(await page.evaluate(() => document.body.dataset.refreshes ?? 0));
    await page.selectOption('#arch', 'conv');
    await page.fill('#epochs', '2');
    await page.fill('#limit', '512');
    await page.click('#train');
    await page.waitForFunction(() => /done: 2 epochs/.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 90_000 });
    expect(Number(await page.evaluate(() => document.body.dataset.refreshes)) - before).toBe(2);
    const lit = await page.evaluate(() => {
      const c = document.getElementById('samples') as HTMLCanvasElement;
      const d = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    expect(lit).toBeGreaterThan(100);

    await page.setInputFiles('#load', file);
    await page.waitForFunction(() => /loaded model.safetensors: vae, latent 2/.test(document.getElementById('status')?.textContent ?? ''));
    const plane = await page.$('#plane');
    await plane?.scrollIntoViewIfNeeded(); // mouse events reach only what is in the viewport
    const box = (await plane?.boundingBox()) as { x: number; y: number; width: number; height: number };
    const decoded = async (): Promise<string> => page.evaluate(() => (document.getElementById('decoded') as HTMLCanvasElement).toDataURL());
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.3);
    const first = await decoded();
    const z1 = await page.evaluate(() => document.getElementById('decoded')?.dataset.z);
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.7);
    const second = await decoded();
    expect(await page.evaluate(() => document.getElementById('decoded')?.dataset.z)).not.toBe(z1);
    expect(second).not.toBe(first); // another point of the plane, another digit
    fs.mkdirSync('test-output', { recursive: true });
    await page.screenshot({ path: 'test-output/demo.png', fullPage: true });
    await page.close();
    expect(consoleErrors, consoleErrors.join("\n")).toEqual([]);
  }, 120_000);
});

describe('the digit picker of the demo page', () => {
  /** What the picker's canvas shows: its digit and seed, and the grey level of every pixel of its 25 samples (5 x 5 grid, 2x scale). */
  const readDigits = async (page: Page): Promise<{ digit: number; seed: number; grey: number[] }> => page.evaluate(() => {
    const canvas = document.getElementById('digit-samples') as HTMLCanvasElement;
    const rgba = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data;
    const grey: number[] = [];
    const cell = 28 * 2 + 1;
    for (let k = 0; k < 25; k++) {
      for (let i = 0; i < 784; i++) {
        const x = 1 + (k % 5) * cell + 2 * (i % 28);
        const y = 1 + Math.floor(k / 5) * cell + 2 * Math.floor(i / 28);
        grey.push(rgba[(y * canvas.width + x) * 4]);
      }
    }
    return { digit: Number(canvas.dataset.digit), seed: Number(canvas.dataset.seed), grey };
  });

  /** The grey levels Node draws for the model: sample(25, { condition: oneHot(25 x digit), seed }), as the page rounds them. */
  const nodeDigits = (model: wv.VAE, digit: number, seed: number): number[] => {
    const samples = model.sample(25, { seed, condition: wv.oneHot(new Array(25).fill(digit), 10) });
    return Array.from(samples.data, (v) => Math.round(255 * Math.min(1, Math.max(0, v))));
  };

  /** Largest difference in grey levels (the page runs relaxed SIMD, Node strict: a few ulps apart, at most one level after rounding). */
  const maxDiff = (a: number[], b: number[]): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), a.length === b.length ? 0 : Infinity);

  /** Clicks digit d in the picker and waits until the canvas shows it. */
  const pick = async (page: Page, d: number): Promise<void> => {
    await page.click(`#digits button[data-digit="${d}"]`);
    await page.waitForFunction((digit) => document.getElementById('digit-samples')?.dataset.digit === String(digit), d);
  };

  const pickerState = async (page: Page) => page.evaluate(() => ({
    disabled: Array.from(document.querySelectorAll<HTMLButtonElement>('#digits button')).map((b) => b.disabled),
    note: document.getElementById('picker-note')?.textContent ?? '',
  }));

  it('is off until a conditional model exists, says an unconditional file cannot draw a digit, and draws sample({ condition: oneHot(digit) }) live', async () => {
    // two model files as Node writes them: an unconditional VAE, and a conditional one trained on 5,000 digits
    await wv.init();
    const mnist = await wv.datasets.mnist();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-picker-'));
    const plainFile = path.join(dir, 'plain.safetensors');
    const plain = new wv.VAE({ inputDim: 784, hiddenDims: [32], latentDim: 2, seed: 1 });
    await wv.saveFile(plain, plainFile);
    plain.dispose();
    const n = 5000;
    const cvae = new wv.VAE({ inputDim: 784, hiddenDims: [256], latentDim: 2, conditionDim: 10, seed: 3 });
    await cvae.fit(wv.matrix(n, 784, mnist.train.images.data.subarray(0, n * 784)), {
      epochs: 3, batchSize: 64, optimizer: { type: 'adam', lr: 3e-3 }, condition: wv.oneHot(mnist.train.labels.subarray(0, n), 10) });
    const cvaeFile = path.join(dir, 'digits.safetensors');
    await wv.saveFile(cvae, cvaeFile);

    const page = await openDemo();
    let state = await pickerState(page);
    expect(state.disabled).toEqual(new Array(10).fill(true));
    expect(state.note).toMatch(/train one with .conditional. checked, or load a conditional model file/);

    await page.setInputFiles('#load', plainFile);
    await page.waitForFunction(() => /loaded plain.safetensors: vae, latent 2/.test(document.getElementById('status')?.textContent ?? ''));
    state = await pickerState(page);
    expect(state.disabled).toEqual(new Array(10).fill(true));
    expect(state.note).toMatch(/^plain\.safetensors is unconditional: it was trained without labels, so it cannot draw a chosen digit/);

    // a conditional model trained from the page controls: the picker turns on as training starts, draws the
    // untrained model's 3s, redraws them after the epoch, and what it draws is that model's sample()
    await page.check('#conditional');
    await page.fill('#epochs', '1');
    await page.fill('#limit', '1000');
    await page.click('#train');
    await page.waitForSelector('#digits button:not([disabled])');
    state = await pickerState(page);
    expect(state.disabled).toEqual(new Array(10).fill(false));
    expect(state.note).toMatch(/^Pick a digit/);
    expect(await page.isHidden('#digit-samples')).toBe(true); // nothing drawn before a digit is picked
    await pick(page, 3);
    expect(await page.isVisible('#digit-samples')).toBe(true);
    // the untrained model's 3s, or the trained one's when the epoch on 1,000 images ended before the pick
    expect(await page.textContent('#digit-caption')).toMatch(/^25 samples of 3, seed \d+, from a model trained (0 epochs|1 epoch)$/);
    await page.waitForFunction(() => /done: 1 epochs/.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 60_000 });
    expect(await page.textContent('#digit-caption')).toMatch(/from a model trained 1 epoch$/);
    const three = await readDigits(page);
    expect(three.digit).toBe(3);
    const saved = await page.evaluate(() => { // the page's model file, base64 (an array of 800 K numbers takes seconds to cross)
      const bytes = (window as any).demo.model.save() as Uint8Array;
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(text);
    });
    const trainedHere = wv.load(new Uint8Array(Buffer.from(saved, 'base64'))) as wv.VAE;
    expect([trainedHere.conditionDim, trainedHere.epochsTrained]).toEqual([10, 1]);
    expect(maxDiff(three.grey, nodeDigits(trainedHere, 3, three.seed))).toBeLessThanOrEqual(1);
    trainedHere.dispose();

    // the model file made in Node: a 7, then a 1, each Node's samples of that digit and seed; fresh seeds every second
    await page.setInputFiles('#load', cvaeFile);
    await page.waitForFunction(() => /loaded digits.safetensors: conditional vae \(one-hot labels\), latent 2, 3 epochs/.test(document.getElementById('status')?.textContent ?? ''));
    await pick(page, 7);
    const seven = await readDigits(page);
    expect(seven.digit).toBe(7);
    expect(maxDiff(seven.grey, nodeDigits(cvae, 7, seven.seed))).toBeLessThanOrEqual(1);
    await page.waitForFunction((seed) => Number(document.getElementById('digit-samples')?.dataset.seed) > seed, seven.seed, { timeout: 5000 });
    const later = await readDigits(page);
    expect(later.digit).toBe(7);
    expect(later.grey).not.toEqual(seven.grey); // new samples of the same digit
    expect(maxDiff(later.grey, nodeDigits(cvae, 7, later.seed))).toBeLessThanOrEqual(1);
    await pick(page, 1);
    const one = await readDigits(page);
    expect(one.digit).toBe(1);
    expect(maxDiff(one.grey, nodeDigits(cvae, 1, one.seed))).toBeLessThanOrEqual(1);
    // the label decides the digit: 25 ones light far fewer pixels than 25 sevens
    const ink = (grey: number[]): number => grey.reduce((s, v) => s + v, 0);
    expect(ink(one.grey)).toBeLessThan(0.8 * ink(later.grey));
    await pick(page, 7);
    cvae.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync('test-output', { recursive: true });
    await page.screenshot({ path: 'test-output/demo-conditional.png', fullPage: true });
    await page.close();
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  }, 120_000);
});

describe('kernel threads in Chromium', () => {
  /** In the page: gradients of a batch large enough that GEMMs split, and Worker training, on `threads` threads. */
  const runOnThreads = async (threads: number, strict: boolean) => {
    const wv = (window as any).wv;
    await wv.init({ threads, strict });
    const rng = new wv.Rng(6);
    const x = new Float32Array(256 * 784).map(() => rng.uniform());
    const eps = new Float32Array(256 * 20).map(() => rng.normal());
    const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, seed: 4 });
    const g = vae.gradients(x, { eps }); // on the page's main thread: it spins while the other threads work
    const { model, history, threads: workerThreads } = await wv.fitInWorker(vae, x.subarray(0, 128 * 784 * 2), { epochs: 2, batchSize: 128 });
    const digest = (arrays: Float32Array[]) => {
      let h = 0x811c9dc5;
      for (const a of arrays) for (const b of new Uint8Array(a.buffer, a.byteOffset, a.byteLength)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
      return h.toString(16);
    };
    const params = model.parameters();
    return {
      threads: wv.threadCount(), workerThreads: workerThreads as number, variant: wv.kernelVariant(), fallback: wv.threadFallback(),
      grads: digest(Object.keys(g.grads).sort().map((k) => g.grads[k])), trained: digest(Object.keys(params).sort().map((k) => params[k])),
      samplesPerSec: history.samplesPerSec[1] as number,
    };
  };

  it('a cross-origin isolated page runs on the cores: page and Worker bitwise equal to one thread, relaxed and strict', async () => {
    const page = await openDemo();
    expect(await page.evaluate(() => [crossOriginIsolated, (window as any).wv.threadCount(), navigator.hardwareConcurrency]))
      .toEqual([true, Math.min(4, os.availableParallelism()), os.availableParallelism()]);
    expect(await page.textContent('#backend')).toMatch(/threads\.$/);
    const speeds: string[] = [];
    for (const strict of [false, true]) {
      const one = await page.evaluate(`(${runOnThreads.toString()})(1, ${strict})`) as Awaited<ReturnType<typeof runOnThreads>>;
      for (const threads of [2, 3]) {
        const many = await page.evaluate(`(${runOnThreads.toString()})(${threads}, ${strict})`) as Awaited<ReturnType<typeof runOnThreads>>;
        expect([many.threads, many.workerThreads, many.variant, many.fallback]).toEqual([threads, threads, strict ? 'simd' : 'relaxed-simd', null]);
        expect(many.grads).toBe(one.grads);
        expect(many.trained).toBe(one.trained);
        if (threads === 2) speeds.push(`${strict ? 'strict' : 'relaxed'}: ${one.samplesPerSec.toFixed(0)} on 1 thread, ${many.samplesPerSec.toFixed(0)} on 2`);
      }
    }
    console.log(`in-browser Worker training samples/s (784-400-20, batch 128, 256 samples): ${speeds.join('; ')}`);
    await page.close();
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  }, 120_000);

  it('a page that is not cross-origin isolated runs on one thread and says why', async () => {
    const plain = await serveDemo(0, '127.0.0.1', { isolated: false }) as Server;
    try {
      const page = await openDemo('', `http://127.0.0.1:${(plain.address() as { port: number }).port}`);
      const state = await page.evaluate(async () => {
        const wv = (window as any).wv;
        await wv.init({ threads: 2 });
        const vae = new wv.VAE({ inputDim: 784, hiddenDims: [64], latentDim: 2, seed: 1 });
        const { history } = await wv.fitInWorker(vae, new Float32Array(64 * 784).fill(0.5), { epochs: 1, batchSize: 32 });
        return { isolated: crossOriginIsolated, threads: wv.threadCount(), why: wv.threadFallback(), epochs: history.epoch.length };
      });
      expect(state).toMatchObject({ isolated: false, threads: 1, epochs: 1 });
      expect(state.why).toMatch(/^2 threads wanted, running on one: the page is not cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin/);
      expect(await page.textContent('#backend')).toMatch(/one thread \(the page is not cross-origin isolated/);
      await page.close();
    } finally {
      plain.close();
    }
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  }, 60_000);
});

describe('the relaxed-SIMD GEMM in Chromium', () => {
  it('gives the strict build\'s loss and gradients within float32 tolerance', async () => {
    const page = await openDemo();
    const result = await page.evaluate(async () => {
      const wv = (window as any).wv;
      const rng = new wv.Rng(3);
      const x = new Float32Array(64 * 784).map(() => rng.uniform());
      const eps = new Float32Array(64 * 20).map(() => rng.normal());
      const run = async (strict: boolean) => {
        await wv.init({ strict });
        const variant = wv.kernelVariant();
        const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, seed: 9 });
        const g = vae.gradients(x, { eps });
        const w = g.grads['encoder.0.weight'];
        let norm = 0;
        for (const v of w) norm += v * v;
        return { variant, loss: g.loss, norm: Math.sqrt(norm), first: Array.from(w.slice(0, 2000)) };
      };
      return { relaxed: await run(false), strict: await run(true) };
    }) as { relaxed: { variant: string; loss: number; norm: number; first: number[] }; strict: { variant: string; loss: number; norm: number; first: number[] } };
    expect([result.relaxed.variant, result.strict.variant]).toEqual(['relaxed-simd', 'simd']);
    expect(Math.abs(result.relaxed.loss - result.strict.loss)).toBeLessThan(1e-5 * result.strict.loss);
    let diff = 0;
    for (let i = 0; i < 2000; i++) diff = Math.max(diff, Math.abs(result.relaxed.first[i] - result.strict.first[i]));
    expect(diff).toBeLessThan(1e-4 * result.strict.norm); // GEMM rounding differs by at most a few ulps per product sum
    await page.close();
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  }, 60_000);
});

describe('the packed package in a user bundle', () => {
  it('npm pack, install, bundle `import * as wv from "wavae"` with esbuild, run it in Chromium', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-consumer-'));
    const tgz = execFileSync('npm', ['pack', '--pack-destination', dir, '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop() as string;
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=dev', path.join(dir, tgz)], { cwd: dir, stdio: 'pipe' });
    fs.writeFileSync(path.join(dir, 'app.js'), `
      import * as wv from 'wavae';
      const backend = await wv.init();
      const vae = new wv.VAE({ inputDim: 16, hiddenDims: [8], latentDim: 2, seed: 1 });
      const x = new Float32Array(64 * 16).map((_, i) => (i % 7) / 7);
      const { model, history } = await wv.fitInWorker(vae, x, { epochs: 2, batchSize: 16 });
      const y = model.decode(wv.matrix(1, 2, [0, 0]));
      let onnx = 'exported';
      try { model.toOnnx({ part: 'encoder' }); } catch (err) { onnx = err.code; } // the browser build carries no ONNX writer (protobufjs)
      document.title = JSON.stringify({ backend, epochs: history.epoch.length, finite: y.data.every(Number.isFinite), kind: wv.load(model.save()).kind, onnx });
    `);
    await esbuild.build({ entryPoints: [path.join(dir, 'app.js')], outfile: path.join(dir, 'www', 'app.js'), bundle: true, format: 'esm', platform: 'browser', minify: true, logLevel: 'error' });
    fs.writeFileSync(path.join(dir, 'www', 'index.html'), '<!doctype html><link rel="icon" href="data:,"><script type="module" src="app.js"></script>');
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
    // serve the folder with the demo server's static handler: copy into its root under a subpath
    const served = path.resolve('build', 'web', 'consumer');
    fs.rmSync(served, { recursive: true, force: true });
    fs.cpSync(path.join(dir, 'www'), served, { recursive: true });
    await page.goto(`${base}/consumer/index.html`);
    await page.waitForFunction(() => document.title.startsWith('{'), null, { timeout: 60_000 });
    expect(JSON.parse(await page.title())).toEqual({ backend: 'wasm', epochs: 2, finite: true, kind: 'vae', onnx: 'MISSING_DEPENDENCY' });
    expect(fs.statSync(path.join(dir, 'www', 'app.js')).size).toBeGreaterThan(50_000); // the kernels are inside the user's bundle
    expect(errors, errors.join('\n')).toEqual([]);
    await page.close();
  }, 180_000);
});
