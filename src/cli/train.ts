// `wavae train`: trains an AE or a VAE on MNIST or the user's data and writes the model, a
// training log (JSON lines) and pictures into the output folder; with --condition labels, a
// conditional model on the data's class labels, one-hot.
import { readFileSync, statSync } from 'node:fs';
import { plot } from 'asciichart';
import { WavaeError, checkKeys } from '../errors.js';
import { matrix, type Matrix } from '../matrix.js';
import { Autoencoder } from '../models/autoencoder.js';
import { CONV_RECIPE, DEFAULT_RECIPE } from '../models/recipes.js';
import type { LayerSpec } from '../nn/layer.js';
import { VAE } from '../models/vae.js';
import { Rng } from '../random.js';
import type { FitOptions } from '../train/fit.js';
import type { OptimizerConfig } from '../train/optimizers.js';
import type { ScheduleConfig } from '../train/schedules.js';
import { HOW_TO_GIVE_LABELS, checkLabels, labelCondition, samplesByLabel } from './condition.js';
import { loadData, type Dataset } from './files.js';
import { OutputSet } from './outputs.js';
import { gridPng, lossSvg, normalQuantile, scatterPng, undrawable } from './images.js';
import { architectureLine, given, latentCodes, modelMetadata, reconstructionPairs, type CliModel } from './model-file.js';
import { TrainingProgress, progressMode, say } from './progress.js';
import { applyScaling, defaultScaling, fitScaling, toDisplay, type Scaling } from '../data/scaling.js';
import { parseDims } from './args.js';
import { checkImageShape, parseShape, type ImageShape } from './image-shape.js';
import { threadFallback } from '../backend/index.js';
import { denseDefaults, scaledWarmup } from './defaults.js';

/** Options of `wavae train` as commander hands them over (strings are parsed here). */
export interface TrainArgs {
  data: string;
  labels?: string;
  labelColumn?: string;
  /** --header: a CSV's first row names the columns (auto, yes, no). */
  header?: 'auto' | 'yes' | 'no';
  limit?: number;
  /** 'labels': a conditional model on the data's labels, one-hot. */
  condition?: string;
  /** The class count of --condition labels (default: the largest label + 1). */
  classes?: number;
  model: string;
  hidden?: string;
  /** 'conv' (the conv recipe's layers, shaped from the data's image shape) or a JSON file of layer specs. */
  arch?: string;
  latent?: number;
  likelihood?: string;
  outputVariance?: string;
  loss?: string;
  activation?: string;
  beta?: number;
  klWarmup?: number;
  weightDecay?: number;
  denoise?: string;
  optimizer?: string;
  lr?: number;
  momentum?: number;
  schedule?: string;
  lrStep?: number;
  lrGamma?: number;
  warmupSteps?: number;
  clipNorm?: number;
  batchSize?: number;
  epochs?: number;
  seed: number;
  validationSplit?: number;
  scale?: string;
  shape?: string;
  out: string;
  quiet?: boolean;
  json?: boolean;
  pictures: boolean;
}

/** The files train may write into --out: a run replaces the earlier run's set, these names included. */
const TRAIN_OUTPUTS = ['model.safetensors', 'train-log.jsonl', 'loss.svg', 'samples.png', 'reconstructions.png', 'manifold.png', 'latent-scatter.png'];

/**
 * Trains and writes the output set into --out: the folder is made and checked before the data
 * is read, every output name before training, and the set is written whole or not at all.
 */
export async function train(args: TrainArgs): Promise<void> {
  const outputs = await OutputSet.prepare(args.out, '--out');
  try {
    await trainInto(outputs, args);
  } catch (err) {
    outputs.abandon();
    throw err;
  }
}

async function trainInto(outputs: OutputSet, args: TrainArgs): Promise<void> {
  const mode = progressMode(args);
  const recipe = args.arch === 'conv' ? CONV_RECIPE : DEFAULT_RECIPE; // --arch conv: the conv recipe's training too (measured in bench/results/*quality-conv*)
  if (args.condition !== undefined && args.condition !== 'labels') throw new WavaeError('INVALID_OPTION', `--condition must be 'labels', got ${JSON.stringify(args.condition)}`);
  if (args.classes !== undefined && args.condition === undefined) throw new WavaeError('INVALID_OPTION', '--classes needs --condition labels');
  const data = await loadData(args.data, { labels: args.labels, labelColumn: args.labelColumn, header: args.header, limit: args.limit, findLabels: args.condition === 'labels' });
  const classes = args.condition === 'labels' ? conditionClasses(data, args.classes) : null;
  const shape = args.shape ? parseShape(args.shape, data.x.cols) : data.shape;
  if (args.shape && shape) checkImageShape(shape, data.x.cols, `--shape ${args.shape}`, 'the data has', 'columns');
  const scaling: Scaling = fitScaling(args.scale ?? defaultScaling(data.x), data.x);
  let trainX = applyScaling(scaling, data.x);
  let trainLabels = data.labels;
  let valX: Matrix | null = data.test ? applyScaling(scaling, data.test.x) : null;
  let valLabels = data.test?.labels ?? null;
  if (!data.test && (args.validationSplit ?? 0.1) > 0) {
    ({ trainX, valX, trainLabels, valLabels } = split(trainX, data.labels, args.validationSplit ?? 0.1, args.seed));
  }
  // the condition rows of a conditional model: each split's own labels (checked by conditionClasses)
  const trainCondition = classes !== null && trainLabels ? labelCondition(trainLabels, classes) : null;
  const valCondition = classes !== null && valX && valLabels ? labelCondition(valLabels, classes) : null;

  const inputDim = data.x.cols;
  if (args.arch !== undefined && args.hidden !== undefined) throw new WavaeError('INVALID_OPTION', 'give --hidden (a dense stack) or --arch, not both');
  // sizes scaled to the data's columns (src/cli/defaults.ts), printed below with what else was chosen
  const sized = denseDefaults(args.model === 'ae' ? 'ae' : 'vae', inputDim);
  const chosen: string[] = [];
  const hiddenDims = args.hidden !== undefined ? parseDims(args.hidden) : [sized.hidden];
  if (args.hidden === undefined && args.arch === undefined) chosen.push(`hidden ${sized.hidden} (--hidden)`);
  const latentDim = args.latent ?? (args.arch === undefined ? sized.latent : args.model === 'ae' ? 32 : recipe.model.latentDim);
  if (args.latent === undefined) chosen.push(`latent ${latentDim} (--latent)`);
  const layers = args.arch !== undefined ? architectureOption(args.arch, shape) : { inputDim, hiddenDims };
  const common = {
    ...layers, ...(classes !== null ? { conditionDim: classes } : {}),
    activation: (args.activation ?? 'relu') as 'relu', weightDecay: args.weightDecay ?? 0, seed: args.seed,
  };
  let model: CliModel;
  if (args.model === 'vae') {
    const binary = scaling.type !== 'standardize' && trainX.data.every((v) => v >= 0 && v <= 1);
    const likelihood = (args.likelihood ?? (binary ? 'bernoulli' : 'gaussian')) as 'bernoulli' | 'gaussian';
    model = new VAE({
      ...common, latentDim, likelihood,
      ...(likelihood === 'gaussian' ? { outputVariance: args.outputVariance === undefined || args.outputVariance === 'learned' ? 'learned' : Number(args.outputVariance) } : {}),
      beta: args.beta ?? 1, klWarmupEpochs: args.klWarmup ?? 0,
    });
  } else if (args.model === 'ae') {
    model = new Autoencoder({
      ...common, latentDim, loss: (args.loss ?? 'mse') as 'mse',
      ...(args.denoise !== undefined ? { denoise: parseDenoise(args.denoise) } : {}),
    });
  } else {
    throw new WavaeError('INVALID_OPTION', `--model must be 'vae' or 'ae', got ${JSON.stringify(args.model)}`);
  }

  const epochs = args.epochs ?? recipe.epochs;
  const batchSize = args.batchSize ?? recipe.fit.batchSize ?? 128;
  const optimizer: OptimizerConfig = args.optimizer === undefined && args.lr === undefined
    ? (recipe.fit.optimizer as OptimizerConfig)
    : args.optimizer === 'sgd'
      ? { type: 'sgd', lr: args.lr ?? 0.01, momentum: args.momentum ?? 0 }
      : { type: (args.optimizer ?? 'adam') as 'adam', lr: args.lr ?? 1e-3 };
  const schedule: ScheduleConfig | undefined = args.schedule === undefined
    ? (args.optimizer === undefined && args.lr === undefined ? recipeSchedule(recipe.fit.schedule, args.warmupSteps, epochs * Math.ceil(trainX.rows / batchSize), chosen) : undefined)
    : parseSchedule(args);
  say(mode, `wavae train: ${model.kind} ${architectureLine(model)}${classes !== null ? ` given ${classes} classes (labels of ${data.labelsFrom})` : ''} on ${data.source} (${trainX.rows} rows${valX ? `, ${valX.rows} for validation` : ''}), ` +
    `${epochs} epochs of batch ${batchSize}, ${backendSummary(model)}`);
  if (chosen.length > 0) say(mode, `wavae train: defaults for ${inputDim} columns and ${epochs * Math.ceil(trainX.rows / batchSize)} steps: ${chosen.join(', ')}`);

  const tooBig = shape && undrawable(shape);
  const drawn = args.pictures && shape !== null && !tooBig;
  outputs.expect(['model.safetensors', 'train-log.jsonl', 'loss.svg', ...(drawn ? pictureNames(model, classes) : [])], TRAIN_OUTPUTS);

  const progress = new TrainingProgress(mode, epochs, Math.ceil(trainX.rows / batchSize));
  const log: Record<string, number>[] = [];
  const t0 = performance.now();
  let currentEpoch = 1;
  const fitOptions: FitOptions = {
    epochs, batchSize, optimizer, ...(schedule ? { schedule } : {}), ...(args.clipNorm ? { clipNorm: args.clipNorm } : {}),
    ...given(trainCondition), ...(valX ? { validationData: valX, ...(valCondition ? { validationCondition: valCondition } : {}) } : {}),
    onBatchEnd: (b, logs) => progress.batch(currentEpoch, b, logs.loss, logs.samplesPerSec),
    onEpochEnd: (epoch, logs) => {
      const record = { epoch, ...logs, seconds: (performance.now() - t0) / 1000 } as Record<string, number>;
      log.push(record);
      progress.epoch(record, `epoch ${epoch}/${epochs}  loss ${logs.loss.toFixed(2)}` +
        (logs.valLoss !== undefined ? `  ${data.test ? 'test' : 'validation'} ${logs.valLoss.toFixed(2)}` : '') +
        `  ${logs.samplesPerSec.toFixed(0)} samples/s  ${record.seconds.toFixed(1)} s`);
      currentEpoch = epoch + 1;
    },
  };
  try {
    await model.fit(trainX, fitOptions);
  } finally {
    progress.stop();
  }

  const set: [string, Uint8Array | string][] = [];
  set.push(['model.safetensors', model.save({ metadata: modelMetadata(scaling, shape, data.source, classes) })]);
  set.push(['train-log.jsonl', log.map((r) => JSON.stringify(r)).join('\n') + '\n']);
  const series = [{ name: 'train loss', values: log.map((r) => r.loss) }];
  if (valX) series.push({ name: data.test ? 'test loss' : 'validation loss', values: log.map((r) => r.valLoss) });
  set.push(['loss.svg', lossSvg(series, `${model.kind} on ${data.source}: loss (nats per sample) by epoch`)]);
  if (args.pictures && shape && tooBig) say(mode, `wavae train: ${tooBig}`);
  if (drawn) {
    const [x, labels, condition] = valX ? [valX, valLabels, valCondition] : [trainX, trainLabels, trainCondition];
    set.push(...pictures(model, scaling, shape, x, labels, condition, classes, args.seed));
  }
  const final = valX ? model.evaluate(valX, given(valCondition)) : null;
  const files = outputs.write(set);
  if (mode === 'json') {
    process.stdout.write(JSON.stringify({ event: 'done', files, ...(final ? { validation: final } : {}), seconds: (performance.now() - t0) / 1000 }) + '\n');
  } else if (mode !== 'quiet') {
    if (log.length > 1) say(mode, '\n' + plot(log.map((r) => r.loss), { height: 8, format: (x) => x.toFixed(1).padStart(8) }) + '\n          train loss by epoch\n');
    if (final) say(mode, `${data.test ? 'test' : 'validation'} loss ${final.loss.toFixed(2)} nats per sample (reconstruction ${final.reconstruction.toFixed(2)}, KL ${final.kl.toFixed(2)})`);
    say(mode, `wrote ${files.join(', ')}`);
  }
  model.dispose();
}

/** The names of the pictures that pictures() draws for this model (checked before training). */
function pictureNames(model: CliModel, classes: number | null): string[] {
  const names = 'sample' in model ? ['samples.png', 'reconstructions.png'] : ['reconstructions.png'];
  if (model.latentDim === 2) names.push(...(classes === null ? ['manifold.png'] : []), 'latent-scatter.png');
  return names;
}

/** The most classes a conditional model's samples.png shows (a row each). */
const PICTURE_CLASSES = 32;

/**
 * The pictures of a trained model on image data. A conditional model's samples.png has a row per
 * class (the first 32), reconstructions and codes are under the rows' labels, and it draws no
 * manifold.png (a manifold per class would be a picture per class).
 */
function pictures(model: CliModel, scaling: Scaling, shape: ImageShape, x: Matrix, labels: Float64Array | null, condition: Matrix | null,
  classes: number | null, seed: number): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  const show = (m: Matrix): Float32Array => toDisplay(scaling, m);
  if ('sample' in model) {
    if (classes === null) out.push(['samples.png', gridPng(show(model.sample(64, { seed })), 64, shape, 8)]);
    else {
      const shown = Array.from({ length: Math.min(classes, PICTURE_CLASSES) }, (_, k) => k);
      out.push(['samples.png', gridPng(show(samplesByLabel(model, shown, classes, 8, seed)), 8 * shown.length, shape, 8)]);
    }
  }
  const n = Math.min(16, x.rows);
  out.push(['reconstructions.png', gridPng(show(reconstructionPairs(model, x, n, condition)), 2 * n, shape, n)]);
  if (model.latentDim === 2) {
    if (classes === null) {
      const k = 20;
      const grid = new Float32Array(k * k * 2);
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          grid[(i * k + j) * 2] = normalQuantile((j + 0.5) / k);
          grid[(i * k + j) * 2 + 1] = normalQuantile(1 - (i + 0.5) / k);
        }
      }
      out.push(['manifold.png', gridPng(show(model.decode(matrix(k * k, 2, grid))), k * k, shape, k)]);
    }
    out.push(['latent-scatter.png', scatterPng(latentCodes(model, x, condition).data, labels)]);
  }
  return out;
}

/**
 * --condition labels: the class count (--classes, else the largest label + 1), after checking
 * every label (the training rows', then MNIST's test rows'), naming the first bad row.
 */
function conditionClasses(data: Dataset, classes: number | undefined): number {
  if (!data.labels) throw new WavaeError('INVALID_OPTION', `--condition labels: ${data.source} has no labels; give them with ${HOW_TO_GIVE_LABELS}`);
  let max = checkLabels(data.labels, data.labelsFrom ?? data.source, classes);
  if (data.test) {
    if (!data.test.labels) throw new WavaeError('INVALID_OPTION', `--condition labels: the test split of ${data.source} has no labels`);
    max = Math.max(max, checkLabels(data.test.labels, `${data.labelsFrom ?? data.source} (test)`, classes));
  }
  return classes ?? max + 1;
}

function split(x: Matrix, labels: Float64Array | null, fraction: number, seed: number): {
  trainX: Matrix; valX: Matrix | null; trainLabels: Float64Array | null; valLabels: Float64Array | null;
} {
  if (!(fraction >= 0 && fraction < 1)) throw new WavaeError('INVALID_OPTION', `--validation-split must be in [0, 1), got ${fraction}`);
  const nVal = Math.floor(x.rows * fraction);
  if (nVal === 0) return { trainX: x, valX: null, trainLabels: labels, valLabels: null };
  const idx = Uint32Array.from({ length: x.rows }, (_, i) => i);
  new Rng(seed).shuffle(idx);
  const take = (from: number, to: number): [Matrix, Float64Array | null] => {
    const d = new Float32Array((to - from) * x.cols);
    const l = labels ? new Float64Array(to - from) : null;
    for (let r = from; r < to; r++) {
      d.set(x.data.subarray(idx[r] * x.cols, (idx[r] + 1) * x.cols), (r - from) * x.cols);
      if (l && labels) l[r - from] = labels[idx[r]];
    }
    return [matrix(to - from, x.cols, d), l];
  };
  const [trainX, trainLabels] = take(0, x.rows - nVal);
  const [valX, valLabels] = take(x.rows - nVal, x.rows);
  return { trainX, valX, trainLabels, valLabels };
}

function parseDenoise(s: string): { type: 'gaussian'; std: number } | { type: 'mask'; prob: number } {
  const m = /^(gaussian|mask):([0-9.eE+-]+)$/.exec(s);
  if (!m) throw new WavaeError('INVALID_OPTION', `--denoise must be gaussian:STD or mask:PROB, got ${JSON.stringify(s)}`);
  return m[1] === 'gaussian' ? { type: 'gaussian', std: Number(m[2]) } : { type: 'mask', prob: Number(m[2]) };
}

/** The recipe's schedule with its warm-up scaled to the run's steps, or --warmup-steps when given. */
function recipeSchedule(schedule: ScheduleConfig | undefined, warmupSteps: number | undefined, totalSteps: number, chosen: string[]): ScheduleConfig | undefined {
  if (schedule === undefined || schedule.warmupSteps === undefined) return schedule;
  if (warmupSteps !== undefined) return { ...schedule, warmupSteps };
  const steps = scaledWarmup(schedule.warmupSteps, totalSteps);
  chosen.push(`learning-rate warm-up ${steps} steps (--warmup-steps)`);
  return { ...schedule, warmupSteps: steps };
}

function parseSchedule(args: TrainArgs): ScheduleConfig {
  const warm = args.warmupSteps !== undefined ? { warmupSteps: args.warmupSteps } : {};
  switch (args.schedule) {
    case 'constant': return { type: 'constant', ...warm };
    case 'cosine': return { type: 'cosine', ...warm };
    case 'step': return { type: 'step', stepSize: args.lrStep ?? 1, gamma: args.lrGamma ?? 0.5, ...warm };
    case 'exponential': return { type: 'exponential', gamma: args.lrGamma ?? 0.9, ...warm };
    default: throw new WavaeError('INVALID_OPTION', `--schedule must be constant, step, exponential or cosine, got ${JSON.stringify(args.schedule)}`);
  }
}

/** "wasm backend (simd, 2 threads)", with the reason when threads were wanted but could not run. */
function backendSummary(model: CliModel): string {
  const be = model.be;
  const threads = be.threads === 1 ? 'one thread' : `${be.threads} threads`;
  const why = threadFallback();
  return `${be.name} backend (${be.variant}, ${threads}${why ? `: ${why.replace(/^.*running on one: /, '')}` : ''})`;
}

/**
 * --arch: 'conv' (the conv recipe's encoder on the image shape [C, H, W]) or a JSON file
 * { "encoder": [...], "decoder": [...]?, "inputShape": [...]? } of layer specs (inputShape
 * defaults to the image shape). The shape holds the data's columns (checked by train).
 */
function architectureOption(arch: string, shape: ImageShape | null): { inputShape: number[]; encoder: LayerSpec[]; decoder?: LayerSpec[] } {
  const imageShape = (): number[] => {
    if (!shape) throw new WavaeError('INVALID_OPTION', `--arch needs the data's image shape: IDX or .npy images (n, h, w) or (n, c, h, w), MNIST, or --shape CxHxW`);
    return [...shape];
  };
  if (arch === 'conv') return { inputShape: imageShape(), encoder: CONV_RECIPE.model.encoder as LayerSpec[] };
  let spec: unknown;
  try {
    const stat = statSync(arch);
    if (!stat.isFile() || stat.size > 1 << 20) throw new Error(stat.isFile() ? 'more than 1 MiB' : 'not a regular file');
    spec = JSON.parse(readFileSync(arch, 'utf8'));
  } catch (err) {
    throw new WavaeError('INVALID_OPTION', `--arch ${arch}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not a JSON file of layer specs (${(err as Error).message})`}`);
  }
  if (typeof spec !== 'object' || spec === null || !Array.isArray((spec as { encoder?: unknown }).encoder)) {
    throw new WavaeError('INVALID_OPTION', `--arch ${arch}: expected { "encoder": [layer specs], "decoder": [layer specs] (optional) }`);
  }
  checkKeys(`--arch ${arch}`, spec, ['encoder', 'decoder', 'inputShape']);
  const o = spec as { encoder: LayerSpec[]; decoder?: LayerSpec[]; inputShape?: number[] }; // the model checks every spec
  return { inputShape: o.inputShape ?? imageShape(), encoder: o.encoder, ...(o.decoder !== undefined ? { decoder: o.decoder } : {}) };
}
