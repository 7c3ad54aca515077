// The demo page: trains a VAE on MNIST in a Web Worker (fitInWorker), unconditional or
// conditional on the digit's label, draws the loss curve, samples and reconstructions after every
// epoch, a digit picker (a conditional model's samples of the chosen digit, redrawn live), a 2-D
// latent explorer, interpolations, and loads or saves model files (including ones written by
// `wavae train`). `window.wv` is the library, `window.demo` the page's model, for the console and
// the browser tests.
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
let modelSource = ''; // where the model came from, for the picker's messages: 'the model trained here', a file name
let test: wv.Matrix | null = null;
let testLabels: Uint8Array | null = null;
let codes: Float32Array | null = null; // latent means of the first 1,000 test digits

/** The page conditions on MNIST's labels: one-hot over the 10 digits. */
const CLASSES = 10;
const isConditional = (m: Model | null): m is Model => m !== null && m.conditionDim > 0;

/** The condition option of a call of the model for rows with these labels: none for an unconditional model. */
function given(m: Model, labels: ArrayLike<number>): wv.ConditionOption {
  return isConditional(m) ? { condition: wv.oneHot(labels, CLASSES) } : {};
}

const code = (m: Model, x: wv.Matrix, labels: ArrayLike<number>): wv.Matrix => m.codes(x, given(m, labels));

/** Redraws everything that depends on the model. */
function refresh(): void {
  if (!model || !test || !testLabels) return;
  document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes ?? 0) + 1); // how many models were drawn (tests read it)
  if (model instanceof wv.VAE) {
    // a conditional model: one row per digit, 0 to 9 (what `wavae sample --grid-by-label` draws)
    const labels = Array.from({ length: 8 * CLASSES }, (_, i) => Math.floor(i / 8));
    const n = isConditional(model) ? labels.length : 64;
    drawGrid($('samples'), model.sample(n, { seed: 1, ...given(model, labels) }).data, n, 8, 1);
    $('samples-note').textContent = isConditional(model) ? 'one row per digit, 0 to 9' : '';
  }
  const ten = wv.matrix(10, 784, test.data.subarray(0, 7840));
  const pairs = new Float32Array(20 * 784);
  pairs.set(ten.data, 0);
  pairs.set(model.reconstruct(ten, given(model, testLabels.subarray(0, 10))).data, 7840);
  drawGrid($('recon'), pairs, 20, 10, 1);
  codes = code(model, wv.matrix(1000, 784, test.data.subarray(0, 1000 * 784)), testLabels.subarray(0, 1000)).data;
  drawPlane();
  interpolate();
  updatePicker();
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
  drawGrid($('decoded'), model.decode(wv.matrix(1, z.length, z), given(model, [digit ?? 0])).data, 1, 1, 4);
  $('decoded').dataset.z = `${z[0].toFixed(3)},${(z[1] ?? 0).toFixed(3)}`;
}

/**
 * Decodes the line between the codes of two test digits. A conditional model's condition moves
 * along with the code, from the first digit's one-hot label to the second's (conditions are real
 * vectors: the blends in between are conditions the model never saw in training).
 */
function interpolate(): void {
  if (!model || !test || !testLabels) return;
  const n = test.rows;
  const i = Math.min(n - 1, Math.max(0, Number($<HTMLInputElement>('from').value)));
  const j = Math.min(n - 1, Math.max(0, Number($<HTMLInputElement>('to').value)));
  const c = code(model, wv.matrix(2, 784, Float32Array.from([...test.data.subarray(i * 784, (i + 1) * 784), ...test.data.subarray(j * 784, (j + 1) * 784)])), [testLabels[i], testLabels[j]]);
  const L = model.latentDim;
  const steps = 10;
  const blend = isConditional(model) ? { condition: wv.matrix(steps, CLASSES) } : {};
  for (let s = 0; s < steps && blend.condition; s++) {
    blend.condition.data[s * CLASSES + testLabels[i]] += 1 - s / (steps - 1);
    blend.condition.data[s * CLASSES + testLabels[j]] += s / (steps - 1);
  }
  drawGrid($('path'), model.interpolate(c.data.subarray(0, L), c.data.subarray(L), steps, blend).data, steps, steps, 1);
  $('path-note').textContent = isConditional(model) ? `the label blends from ${testLabels[i]} to ${testLabels[j]} along the way` : '';
}

let digit: number | null = null; // the digit chosen in the picker
let draws = 0; // drawings of the chosen digit so far: drawing k samples with seed k
let live: ReturnType<typeof setInterval> | null = null;
const DIGIT_SAMPLES = 25; // a 5 x 5 grid
const digitButtons = (): HTMLButtonElement[] => Array.from(document.querySelectorAll<HTMLButtonElement>('#digits button'));

/** Draws DIGIT_SAMPLES fresh samples of the chosen digit: sample() under its one-hot label, with the next seed. */
function drawDigit(): void {
  if (!(model instanceof wv.VAE) || !isConditional(model) || digit === null) return;
  const seed = ++draws;
  const samples = model.sample(DIGIT_SAMPLES, { seed, condition: wv.oneHot(new Array<number>(DIGIT_SAMPLES).fill(digit), CLASSES) });
  const canvas = $<HTMLCanvasElement>('digit-samples');
  drawGrid(canvas, samples.data, DIGIT_SAMPLES, 5, 2);
  canvas.hidden = false;
  Object.assign(canvas.dataset, { digit: String(digit), seed: String(seed) }); // what is drawn (the tests redo it in Node)
  const epochs = model.epochsTrained;
  $('digit-caption').textContent = `${DIGIT_SAMPLES} samples of ${digit}, seed ${seed}, from a model trained ${epochs} epoch${epochs === 1 ? '' : 's'}`;
}

/** Hides the chosen digit's samples: the model cannot draw them. */
function clearDigit(): void {
  const canvas = $<HTMLCanvasElement>('digit-samples');
  canvas.hidden = true;
  delete canvas.dataset.digit;
  delete canvas.dataset.seed;
  $('digit-caption').textContent = '';
}

/** Chooses a digit in the picker and draws it. */
function pick(d: number): void {
  digit = d;
  for (const b of digitButtons()) b.setAttribute('aria-pressed', String(Number(b.dataset.digit) === d));
  drawDigit();
  updatePicker();
}

/** Enables the picker for a conditional model (and keeps its samples live), or says why it is off. */
function updatePicker(): void {
  const conditional = isConditional(model);
  for (const b of digitButtons()) b.disabled = !conditional;
  if (!conditional || !(model instanceof wv.VAE)) clearDigit();
  const liveOn = conditional && model instanceof wv.VAE && digit !== null && $<HTMLInputElement>('live').checked;
  if (liveOn && live === null) live = setInterval(drawDigit, 1000);
  if (!liveOn && live !== null) {
    clearInterval(live);
    live = null;
  }
  let note: string;
  if (!model) note = 'A conditional VAE draws the digit you pick: train one with \u201cconditional\u201d checked, or load a conditional model file.';
  else if (!conditional) {
    note = `${modelSource} is unconditional: it was trained without labels, so it cannot draw a chosen digit. ` +
      'Train with \u201cconditional\u201d checked, or load a conditional model file (conditionDim 10).';
  } else if (!(model instanceof wv.VAE)) note = 'A conditional autoencoder has no prior to sample from: the digit you pick is the condition of the latent explorer.';
  else if (digit === null) note = 'Pick a digit: the model draws samples of it, fresh ones every second (and after every epoch while it trains).';
  else note = '';
  $('picker-note').textContent = note;
  $('picker-note').hidden = note === '';
  $('explorer-note').textContent = conditional ? ` The model is conditional: the pointer decodes the digit picked above (${digit ?? 0}${digit === null ? ' until you pick one' : ''}).` : '';
}

let controller: AbortController | null = null;

/** The conditionDim chosen on the page: 10 (one-hot labels) when "conditional" is checked. */
const chosenConditionDim = (): number => ($<HTMLInputElement>('conditional').checked ? CLASSES : 0);

/** A new model of the architecture chosen on the page: dense 784-256-2, or the conv encoder with a 2-D latent; conditional if checked. */
function newModel(): wv.VAE {
  const conditionDim = chosenConditionDim();
  if ($<HTMLSelectElement>('arch').value !== 'conv') return new wv.VAE({ inputDim: 784, hiddenDims: [256], latentDim: 2, conditionDim, seed: 1 });
  return new wv.VAE({
    inputShape: [1, 28, 28], latentDim: 2, conditionDim, seed: 1,
    encoder: [{ type: 'conv2d', filters: 16, kernelSize: 4, stride: 2, padding: 1 }, { type: 'conv2d', filters: 32, kernelSize: 4, stride: 2, padding: 1 },
      { type: 'flatten' }, { type: 'dense', units: 128 }],
  });
}

/** True when model has the architecture chosen on the page, conditional or not (training then continues it). */
const isChosen = (m: Model | null): m is wv.VAE => m instanceof wv.VAE && ($<HTMLSelectElement>('arch').value === 'conv') === (m.hiddenDims === null) &&
  m.conditionDim === chosenConditionDim();

/**
 * Trains epoch by epoch, each in a Worker (fitInWorker resumes exactly from the model file it hands
 * back), so that samples and reconstructions refresh after every epoch while the page stays live.
 */
async function train(trainX: wv.Matrix, trainLabels: Uint8Array): Promise<void> {
  const epochs = Number($<HTMLInputElement>('epochs').value);
  const limit = Math.min(trainX.rows, Number($<HTMLInputElement>('limit').value));
  const x = wv.matrix(limit, 784, trainX.data.subarray(0, limit * 784));
  if (!isChosen(model)) {
    model?.dispose();
    model = newModel();
    modelSource = 'The model trained here';
    updatePicker(); // a conditional model draws the chosen digit from now on: noise until the first epoch ends
    drawDigit();
  }
  // a conditional model learns p(x | z, label): the labels of the training and the validation digits, one-hot
  const labels = model.conditionDim > 0
    ? { condition: wv.oneHot(trainLabels.subarray(0, limit), CLASSES), validationCondition: wv.oneHot((testLabels as Uint8Array).subarray(0, 1000), CLASSES) }
    : {};
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
        signal: controller.signal, ...labels,
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
      refresh(); // samples, reconstructions, the latent plane and the chosen digit's samples of this epoch's model
      drawDigit();
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
    if (loaded.conditionDim !== 0 && loaded.conditionDim !== CLASSES) {
      throw new Error(`this demo conditions on MNIST's ${CLASSES} digit labels, one-hot; ${name} takes a condition of ${loaded.conditionDim} values`);
    }
    model?.dispose();
    model = loaded;
    modelSource = name;
    drawChart([], []); // the curve of an earlier training is not this model's
    refresh();
    drawDigit();
    const kind = loaded.conditionDim ? `conditional ${loaded.kind} (one-hot labels)` : loaded.kind;
    status(`loaded ${name}: ${kind}, latent ${loaded.latentDim}, ${loaded.epochsTrained} epochs trained`);
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
  Object.assign(window, { wv, demo: { get model() { return model; }, refresh, pick } });
  const data = await wv.datasets.mnist({ baseUrl: params.get('mnist') ?? 'mnist' });
  test = data.test.images;
  testLabels = data.test.labels;
  status(`MNIST: ${data.train.images.rows} training images. Train a model, or load a model file (wavae train writes one).`);
  $('train').addEventListener('click', () => void train(data.train.images, data.train.labels));
  for (const b of digitButtons()) b.addEventListener('click', () => pick(Number(b.dataset.digit)));
  $('live').addEventListener('change', updatePicker);
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
