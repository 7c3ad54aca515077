// The demo page: trains a VAE on MNIST in a Web Worker (fitInWorker), draws the loss curve,
// samples and reconstructions after every epoch, a 2-D latent explorer, interpolations, and
// loads or saves model files (including ones written by `wavae train`). `window.wv` is the library,
// for the console and the browser tests.
import * as wv from '../src/index.js';

type Model = wv.VAE | wv.Autoencoder;
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = (text: string): void => {
  $('status').textContent = text;
};
const params = new URLSearchParams(location.search);

/** Draws grey images (values in [0, 1], 28x28 each) on a canvas in a grid, `scale` pixels per pixel. */
function drawGrid(canvas: HTMLCanvasElement, images: Float32Array, count: number, cols: number, scale: number): void {
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  const rows = Math.ceil(count / cols);
  const cell = 28 * scale + 1;
  canvas.width = cols * cell + 1;
  canvas.height = rows * cell + 1;
  ctx.fillStyle = '#333';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const img = ctx.createImageData(28, 28);
  const tmp = document.createElement('canvas');
  tmp.width = tmp.height = 28;
  const tctx = tmp.getContext('2d') as CanvasRenderingContext2D;
  ctx.imageSmoothingEnabled = false;
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < 784; i++) {
      const v = Math.round(255 * Math.min(1, Math.max(0, images[k * 784 + i])));
      img.data.set([v, v, v, 255], i * 4);
    }
    tctx.putImageData(img, 0, 0);
    ctx.drawImage(tmp, 1 + (k % cols) * cell, 1 + Math.floor(k / cols) * cell, 28 * scale, 28 * scale);
  }
}

function drawChart(losses: number[], valLosses: number[]): void {
  const canvas = $<HTMLCanvasElement>('chart');
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const all = [...losses, ...valLosses];
  if (all.length < 2) return;
  const [lo, hi] = [Math.min(...all), Math.max(...all)];
  const n = Math.max(losses.length, valLosses.length);
  const x = (i: number): number => 30 + (i * (canvas.width - 40)) / Math.max(1, n - 1);
  const y = (v: number): number => 10 + ((hi - v) * (canvas.height - 30)) / Math.max(1e-9, hi - lo);
  ctx.fillStyle = '#555';
  ctx.fillText(hi.toFixed(0), 2, 14);
  ctx.fillText(lo.toFixed(0), 2, canvas.height - 18);
  for (const [series, color] of [[losses, '#1f77b4'], [valLosses, '#ff7f0e']] as const) {
    ctx.strokeStyle = color;
    ctx.beginPath();
    series.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
    ctx.stroke();
  }
}

let model: Model | null = null;
let test: wv.Matrix | null = null;
let testLabels: Uint8Array | null = null;
let codes: Float32Array | null = null; // latent means of the first 1,000 test digits

const code = (m: Model, x: wv.Matrix): wv.Matrix => m.codes(x);

/** Redraws everything that depends on the model. */
function refresh(): void {
  if (!model || !test) return;
  document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes ?? 0) + 1); // how many models were drawn (tests read it)
  if (model instanceof wv.VAE) drawGrid($('samples'), model.sample(64, { seed: 1 }).data, 64, 8, 1);
  const ten = wv.matrix(10, 784, test.data.subarray(0, 7840));
  const pairs = new Float32Array(20 * 784);
  pairs.set(ten.data, 0);
  pairs.set(model.reconstruct(ten).data, 7840);
  drawGrid($('recon'), pairs, 20, 10, 1);
  codes = code(model, wv.matrix(1000, 784, test.data.subarray(0, 1000 * 784))).data;
  drawPlane();
  interpolate();
  const url = URL.createObjectURL(new Blob([model.save()], { type: 'application/octet-stream' }));
  const save = $<HTMLAnchorElement>('save');
  save.href = url;
  save.hidden = false;
}

const PLANE = 3; // the plane shows [-3, 3] in both latent dimensions
function drawPlane(): void {
  const canvas = $<HTMLCanvasElement>('plane');
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  ctx.fillStyle = '#111';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (!codes || !model || !testLabels) return;
  const L = model.latentDim;
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  for (let i = 0; i < 1000; i++) {
    const px = ((codes[i * L] + PLANE) / (2 * PLANE)) * canvas.width;
    const py = ((PLANE - (L > 1 ? codes[i * L + 1] : 0)) / (2 * PLANE)) * canvas.height;
    ctx.fillStyle = colors[testLabels[i]];
    ctx.fillRect(px - 1, py - 1, 2, 2);
  }
}

function explore(event: PointerEvent): void {
  if (!model) return;
  const canvas = $<HTMLCanvasElement>('plane');
  const rect = canvas.getBoundingClientRect();
  const z = new Float32Array(model.latentDim);
  z[0] = ((event.clientX - rect.left) / rect.width) * 2 * PLANE - PLANE;
  if (z.length > 1) z[1] = PLANE - ((event.clientY - rect.top) / rect.height) * 2 * PLANE;
  drawGrid($('decoded'), model.decode(wv.matrix(1, z.length, z)).data, 1, 1, 4);
  $('decoded').dataset.z = `${z[0].toFixed(3)},${(z[1] ?? 0).toFixed(3)}`;
}

function interpolate(): void {
  if (!model || !test) return;
  const n = test.rows;
  const i = Math.min(n - 1, Math.max(0, Number($<HTMLInputElement>('from').value)));
  const j = Math.min(n - 1, Math.max(0, Number($<HTMLInputElement>('to').value)));
  const c = code(model, wv.matrix(2, 784, Float32Array.from([...test.data.subarray(i * 784, (i + 1) * 784), ...test.data.subarray(j * 784, (j + 1) * 784)])));
  const L = model.latentDim;
  drawGrid($('path'), model.interpolate(c.data.subarray(0, L), c.data.subarray(L), 10).data, 10, 10, 1);
}

let controller: AbortController | null = null;

/** A new model of the architecture chosen on the page: dense 784-256-2, or the conv encoder with a 2-D latent. */
function newModel(): wv.VAE {
  if ($<HTMLSelectElement>('arch').value !== 'conv') return new wv.VAE({ inputDim: 784, hiddenDims: [256], latentDim: 2, seed: 1 });
  return new wv.VAE({
    inputShape: [1, 28, 28], latentDim: 2, seed: 1,
    encoder: [{ type: 'conv2d', filters: 16, kernelSize: 4, stride: 2, padding: 1 }, { type: 'conv2d', filters: 32, kernelSize: 4, stride: 2, padding: 1 },
      { type: 'flatten' }, { type: 'dense', units: 128 }],
  });
}

/** True when model has the architecture chosen on the page (training then continues it). */
const isChosen = (m: Model | null): m is wv.VAE => m instanceof wv.VAE && ($<HTMLSelectElement>('arch').value === 'conv') === (m.hiddenDims === null);

/**
 * Trains epoch by epoch, each in a Worker (fitInWorker resumes exactly from the model file it hands
 * back), so that samples and reconstructions refresh after every epoch while the page stays live.
 */
async function train(trainX: wv.Matrix): Promise<void> {
  const epochs = Number($<HTMLInputElement>('epochs').value);
  const limit = Math.min(trainX.rows, Number($<HTMLInputElement>('limit').value));
  const x = wv.matrix(limit, 784, trainX.data.subarray(0, limit * 784));
  if (!isChosen(model)) {
    model?.dispose();
    model = newModel();
  }
  controller = new AbortController();
  $<HTMLButtonElement>('train').disabled = true;
  $<HTMLButtonElement>('stop').disabled = false;
  const losses: number[] = [];
  const valLosses: number[] = [];
  const t0 = performance.now();
  let stopped = false;
  try {
    for (let e = 0; e < epochs && !stopped; e++) {
      const result: wv.WorkerFitResult<wv.VAE> = await wv.fitInWorker(model as wv.VAE, x, {
        epochs: 1, batchSize: 128, optimizer: { type: 'adam', lr: 2e-3 }, validationData: wv.matrix(1000, 784, (test as wv.Matrix).data.subarray(0, 784_000)),
        signal: controller.signal,
        onBatchEnd: (batch, logs) => {
          if (batch % 20 === 0) status(`training in a Worker: epoch ${e + 1}, batch ${batch + 1}, loss ${logs.loss.toFixed(1)}, ${logs.samplesPerSec.toFixed(0)} samples/s`);
        },
        onEpochEnd: (epoch, logs) => {
          losses.push(logs.loss);
          valLosses.push(logs.valLoss ?? NaN);
          drawChart(losses, valLosses);
          status(`epoch ${epoch}: loss ${logs.loss.toFixed(2)}, test ${logs.valLoss?.toFixed(2)}, ${logs.samplesPerSec.toFixed(0)} samples/s`);
        },
      });
      model?.dispose();
      model = result.model;
      refresh(); // samples, reconstructions and the latent plane of this epoch's model
      stopped = result.history.stopped === 'aborted';
    }
    const last = valLosses[valLosses.length - 1];
    status(`${stopped ? 'stopped' : 'done'}: ${losses.length} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s, test loss ${last?.toFixed(2)} nats`);
  } catch (err) {
    status(`training failed: ${(err as Error).message}`);
  } finally {
    $<HTMLButtonElement>('train').disabled = false;
    $<HTMLButtonElement>('stop').disabled = true;
  }
}

async function loadModelFile(bytes: Uint8Array, name: string): Promise<void> {
  try {
    const loaded = wv.load(bytes);
    if (loaded.inputDim !== 784) throw new Error(`this demo shows 28x28 images; ${name} takes ${loaded.inputDim} inputs`);
    model?.dispose();
    model = loaded;
    refresh();
    status(`loaded ${name}: ${loaded.kind}, latent ${loaded.latentDim}, ${loaded.epochsTrained} epochs trained`);
  } catch (err) {
    status(`cannot load ${name}: ${(err as Error).message}`);
  }
}

async function main(): Promise<void> {
  const backend = await wv.init();
  const threads = wv.threadCount();
  const why = wv.threadFallback();
  $('backend').textContent = `Backend: ${backend} (${wv.kernelVariant()}), ${threads === 1 ? 'one thread' : `${threads} threads`}` +
    (why ? ` (${why.replace(/^.*running on one: /, '')}).` : '.');
  Object.assign(window, { wv, demo: { get model() { return model; }, refresh } });
  const data = await wv.datasets.mnist({ baseUrl: params.get('mnist') ?? 'mnist' });
  test = data.test.images;
  testLabels = data.test.labels;
  status(`MNIST: ${data.train.images.rows} training images. Train a model, or load a model file (wavae train writes one).`);
  $('train').addEventListener('click', () => void train(data.train.images));
  $('stop').addEventListener('click', () => controller?.abort());
  $('plane').addEventListener('pointermove', explore);
  $('interp').addEventListener('click', interpolate);
  $<HTMLInputElement>('load').addEventListener('change', async (event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (file) await loadModelFile(new Uint8Array(await file.arrayBuffer()), file.name);
  });
  const pretrained = params.get('model');
  if (pretrained) {
    const res = await fetch(pretrained);
    await loadModelFile(new Uint8Array(await res.arrayBuffer()), pretrained);
  }
  document.body.dataset.ready = 'true';
}

main().catch((err) => status(`error: ${(err as Error).message}`));
