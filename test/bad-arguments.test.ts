// A table of bad arguments to every public entry point, each asserting the error code (and that
// it is a WavaeError, never a TypeError, a wasm trap or a silent NaN).
import { beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';

interface Case {
  name: string;
  run: () => unknown;
  code: wv.WavaeErrorCode;
}

const cases: Case[] = [];
const add = (name: string, code: wv.WavaeErrorCode, run: () => unknown): void => {
  cases.push({ name, run, code });
};

// values that are not what a numeric option wants, and the code each must get
const NOT_A_COUNT: [string, unknown][] = [['0', 0], ['-1', -1], ['1.5', 1.5], ['NaN', NaN], ['Infinity', Infinity], ['"8"', '8'], ['null', null], ['[]', []], ['{}', {}], ['true', true]];
const NOT_A_RATE: [string, unknown][] = [['-1', -1], ['NaN', NaN], ['Infinity', Infinity], ['"0.1"', '0.1'], ['null', null], ['{}', {}]];

let vae: wv.VAE;
let ae: wv.Autoencoder;
const x = new Float32Array(4 * 6).fill(0.5);

beforeAll(async () => {
  await wv.init();
  vae = new wv.VAE({ inputDim: 6, hiddenDims: [5], latentDim: 2 });
  ae = new wv.Autoencoder({ inputDim: 6, hiddenDims: [5], latentDim: 2 });
});

// ---- constructors ------------------------------------------------------------------------
for (const [Model, label] of [[wv.VAE, 'VAE'], [wv.Autoencoder, 'Autoencoder']] as const) {
  const make = (o: Record<string, unknown>) => () => new (Model as new (o: unknown) => unknown)({ inputDim: 6, ...o });
  for (const key of ['inputDim', 'latentDim']) for (const [v, value] of NOT_A_COUNT) add(`${label} ${key} = ${v}`, 'INVALID_OPTION', make({ [key]: value }));
  for (const [v, value] of [['-0.1', -0.1], ['NaN', NaN], ['"1e-4"', '1e-4'], ['Infinity', Infinity]] as [string, unknown][]) add(`${label} weightDecay = ${v}`, 'INVALID_OPTION', make({ weightDecay: value }));
  for (const [v, value] of [['-1', -1], ['1.5', 1.5], ['2 ** 32', 2 ** 32], ['"1"', '1']] as [string, unknown][]) add(`${label} seed = ${v}`, 'INVALID_OPTION', make({ seed: value }));
  for (const [v, value] of [['[0]', [0]], ['[400, -1]', [400, -1]], ['"400"', '400'], ['[1.5]', [1.5]], ['400', 400]] as [string, unknown][]) add(`${label} hiddenDims = ${v}`, 'INVALID_OPTION', make({ hiddenDims: value }));
  for (const v of ['gelu', 'Relu', '', 3]) add(`${label} activation = ${JSON.stringify(v)}`, 'INVALID_OPTION', make({ activation: v }));
  for (const key of ['latentDims', 'hidden', 'input_dim', 'lr', 'epochs']) add(`${label} unknown option ${key}`, 'UNKNOWN_OPTION', make({ [key]: 1 }));
  for (const v of [null, undefined, 784, 'vae', []]) add(`${label} options = ${JSON.stringify(v) ?? 'undefined'}`, 'INVALID_OPTION', () => new (Model as new (o: unknown) => unknown)(v));
}
for (const v of ['poisson', 'normal', '', 1]) add(`VAE likelihood = ${JSON.stringify(v)}`, 'INVALID_OPTION', () => new wv.VAE({ inputDim: 6, likelihood: v as never }));
for (const [v, value] of [['0', 0], ['-1', -1], ['"learnt"', 'learnt'], ['NaN', NaN]] as [string, unknown][]) add(`VAE outputVariance = ${v}`, 'INVALID_OPTION', () => new wv.VAE({ inputDim: 6, likelihood: 'gaussian', outputVariance: value as never }));
add('VAE outputVariance with bernoulli', 'INVALID_OPTION', () => new wv.VAE({ inputDim: 6, outputVariance: 1 }));
for (const [v, value] of NOT_A_RATE) add(`VAE beta = ${v}`, 'INVALID_OPTION', () => new wv.VAE({ inputDim: 6, beta: value as never }));
for (const [v, value] of NOT_A_RATE) add(`VAE klWarmupEpochs = ${v}`, 'INVALID_OPTION', () => new wv.VAE({ inputDim: 6, klWarmupEpochs: value as never }));
for (const v of ['mae', 'BCE', 0]) add(`Autoencoder loss = ${JSON.stringify(v)}`, 'INVALID_OPTION', () => new wv.Autoencoder({ inputDim: 6, loss: v as never }));
for (const v of [{ type: 'gaussian', std: 0 }, { type: 'gaussian', std: -1 }, { type: 'mask', prob: 1 }, { type: 'mask', prob: -0.1 }, { type: 'dropout', prob: 0.5 }, 'mask', { type: 'mask', prob: 0.5, std: 1 }]) {
  add(`Autoencoder denoise = ${JSON.stringify(v)}`, v && typeof v === 'object' && 'std' in v && 'prob' in v ? 'UNKNOWN_OPTION' : 'INVALID_OPTION', () => new wv.Autoencoder({ inputDim: 6, denoise: v as never }));
}

// ---- data arguments of every method -------------------------------------------------------
const badData: [string, () => unknown, wv.WavaeErrorCode][] = [
  ['a Float32Array of 7 values', () => new Float32Array(7), 'SHAPE_MISMATCH'],
  ['an empty Float32Array', () => new Float32Array(0), 'SHAPE_MISMATCH'],
  ['a Matrix with 5 columns', () => wv.matrix(2, 5), 'SHAPE_MISMATCH'],
  ['a Matrix whose data is too short', () => ({ rows: 3, cols: 6, data: new Float32Array(12) }), 'SHAPE_MISMATCH'],
  ['a Matrix of a plain array', () => ({ rows: 1, cols: 6, data: [0, 0, 0, 0, 0, 0] }), 'INVALID_OPTION'],
  ['NaN in the data', () => Float32Array.of(0, 0, 0, 0, NaN, 0), 'NON_FINITE_INPUT'],
  ['Infinity in the data', () => Float32Array.of(0, 0, Infinity, 0, 0, 0), 'NON_FINITE_INPUT'],
  ['a number', () => 6, 'INVALID_OPTION'],
  ['a string', () => 'x', 'INVALID_OPTION'],
  ['null', () => null, 'INVALID_OPTION'],
  ['a plain array of numbers', () => [0, 0, 0, 0, 0, 0], 'INVALID_OPTION'],
];
const dataMethods: [string, (d: unknown) => unknown][] = [
  ['vae.evaluate', (d) => vae.evaluate(d as never)],
  ['vae.encode', (d) => vae.encode(d as never)],
  ['vae.reconstruct', (d) => vae.reconstruct(d as never)],
  ['vae.logLikelihood', (d) => vae.logLikelihood(d as never, { samples: 2 })],
  ['vae.gradients', (d) => vae.gradients(d as never, { eps: new Float32Array(2) })],
  ['ae.evaluate', (d) => ae.evaluate(d as never)],
  ['ae.encode', (d) => ae.encode(d as never)],
  ['ae.reconstruct', (d) => ae.reconstruct(d as never)],
  ['ae.gradients', (d) => ae.gradients(d as never)],
];
for (const [method, call] of dataMethods) for (const [label, make, code] of badData) add(`${method}(${label})`, code, () => call(make()));
for (const [label, make, code] of badData.filter(([l]) => !l.includes('5 columns'))) {
  if (label.includes('7 values') || label.includes('too short')) continue; // latent width differs; covered below
  add(`vae.decode(${label})`, code, () => vae.decode(make() as never));
}
add('vae.decode(a Matrix with 3 columns)', 'SHAPE_MISMATCH', () => vae.decode(wv.matrix(1, 3)));
add('ae.decode(a Float32Array of 3 values)', 'SHAPE_MISMATCH', () => ae.decode(new Float32Array(3)));

// ---- other method arguments --------------------------------------------------------------
for (const [v, value] of NOT_A_COUNT) add(`vae.sample(${v})`, 'INVALID_OPTION', () => vae.sample(value as never));
for (const [v, value] of NOT_A_COUNT) add(`vae.logLikelihood samples = ${v}`, 'INVALID_OPTION', () => vae.logLikelihood(x, { samples: value as never }));
add('vae.gradients without eps', 'INVALID_OPTION', () => vae.gradients(x, {} as never));
add('vae.gradients eps rows mismatch', 'SHAPE_MISMATCH', () => vae.gradients(x, { eps: new Float32Array(2) }));
add('vae.interpolate wrong code length', 'SHAPE_MISMATCH', () => vae.interpolate([0], [0, 0], 3));
add('vae.interpolate steps 1', 'INVALID_OPTION', () => vae.interpolate([0, 0], [1, 1], 1));
add('vae.traverse dim 2', 'INVALID_OPTION', () => vae.traverse([0, 0], 2));
add('vae.traverse dim -1', 'INVALID_OPTION', () => vae.traverse([0, 0], -1));
add('vae.traverse steps 0', 'INVALID_OPTION', () => vae.traverse([0, 0], 0, { steps: 0 }));
add('setParameters missing tensor', 'INVALID_OPTION', () => vae.setParameters({}));
add('setParameters wrong size', 'SHAPE_MISMATCH', () => vae.setParameters({ ...vae.parameters(), 'mean.bias': new Float32Array(3) }));
add('setParameters NaN', 'NON_FINITE_INPUT', () => vae.setParameters({ ...vae.parameters(), 'mean.bias': Float32Array.of(NaN, 0) }));
add('setParameters unknown tensor', 'INVALID_OPTION', () => vae.setParameters({ ...vae.parameters(), 'head.bias': new Float32Array(2) }));
add('matrix rows -1', 'INVALID_OPTION', () => wv.matrix(-1, 2));
add('matrix cols 0', 'INVALID_OPTION', () => wv.matrix(1, 0));
add('matrix data too long', 'SHAPE_MISMATCH', () => wv.matrix(1, 2, [1, 2, 3]));
add('binarize mode', 'INVALID_OPTION', () => wv.binarize(wv.matrix(1, 2), { mode: 'random' as never }));
add('parseIdx garbage', 'CORRUPT_FILE', () => wv.parseIdx(Uint8Array.of(1, 2, 3, 4, 5)));
add('load a string', 'INVALID_OPTION', () => wv.load('model.safetensors' as never));
add('load empty bytes', 'CORRUPT_FILE', () => wv.load(new Uint8Array(0)));
add('load a PNG', 'CORRUPT_FILE', () => wv.load(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13)));
add('matrix 1e9 x 1e9', 'OUT_OF_MEMORY', () => wv.matrix(1e9, 1e9));
add('load options not an object', 'INVALID_OPTION', () => wv.load(vae.save(), 'x' as never));
add('load unknown option', 'UNKNOWN_OPTION', () => wv.load(vae.save(), { bogus: 1 } as never));
add('load config an array', 'INVALID_OPTION', () => wv.load(vae.save(), { config: [] } as never));
add('save optimizer "x"', 'INVALID_OPTION', () => vae.save({ optimizer: 'x' as never }));
add('save optimizer 1', 'INVALID_OPTION', () => vae.save({ optimizer: 1 as never }));
add('save unknown option', 'UNKNOWN_OPTION', () => vae.save({ optimzer: true } as never));
add('save options null', 'INVALID_OPTION', () => vae.save(null as never));
add('VAE of 2^26 + parameters', 'OUT_OF_MEMORY', () => new wv.VAE({ inputDim: 8, hiddenDims: [8388608], latentDim: 2 }));
add('Autoencoder of 2^26 + parameters', 'OUT_OF_MEMORY', () => new wv.Autoencoder({ inputDim: 4096, hiddenDims: [16384], latentDim: 2 }));
add('vae.gradients of 1e20 rows', 'NON_FINITE_OUTPUT', () => vae.gradients(new Float32Array(6).fill(1e20), { eps: new Float32Array(2) }));
add('ae.gradients of 3e38 rows', 'NON_FINITE_OUTPUT', () => ae.gradients(new Float32Array(6).fill(3e38)));
for (const v of [-1, 1.5, 2 ** 32, NaN]) add(`Rng seed ${v}`, 'INVALID_OPTION', () => new wv.Rng(v));

// ---- fit options (async) -------------------------------------------------------------------
const fitCases: [string, Record<string, unknown>, wv.WavaeErrorCode][] = [];
for (const key of ['epochs', 'batchSize']) for (const [v, value] of NOT_A_COUNT) fitCases.push([`${key} = ${v}`, { [key]: value }, 'INVALID_OPTION']);
for (const [v, value] of [['0', 0], ['-1', -1], ['NaN', NaN], ['"0.01"', '0.01']] as [string, unknown][]) fitCases.push([`clipNorm = ${v}`, { clipNorm: value }, 'INVALID_OPTION']);
for (const opt of [{ type: 'adagrad' }, { type: 'adam', lr: 0 }, { type: 'adam', lr: -1 }, { type: 'adam', beta1: 1 }, { type: 'adam', beta2: -0.1 }, { type: 'adam', eps: 0 },
  { type: 'sgd', momentum: 1 }, { type: 'sgd', nesterov: true }, { type: 'sgd', nesterov: 'yes' }, { type: 'adamw', weightDecay: -1 }, 'adam', null]) {
  fitCases.push([`optimizer ${JSON.stringify(opt)}`, { optimizer: opt }, 'INVALID_OPTION']);
}
fitCases.push(['optimizer { type: adam, momentum }', { optimizer: { type: 'adam', momentum: 0.9 } }, 'UNKNOWN_OPTION']);
for (const sch of [{ type: 'linear' }, { type: 'step' }, { type: 'step', stepSize: 0 }, { type: 'exponential' }, { type: 'exponential', gamma: 2 }, { type: 'cosine', minLr: -1 }, { type: 'constant', warmupSteps: 1.5 }, 'cosine',
  { type: 'toString' }, { type: 'constructor' }, { type: 'hasOwnProperty' }, { type: '__proto__' }]) {
  fitCases.push([`schedule ${JSON.stringify(sch)}`, { schedule: sch }, 'INVALID_OPTION']);
}
fitCases.push(['schedule { type: step, size }', { schedule: { type: 'step', stepSize: 1, size: 2 } }, 'UNKNOWN_OPTION']);
fitCases.push(['earlyStopping patience -1', { earlyStopping: { patience: -1 } }, 'INVALID_OPTION']);
fitCases.push(['earlyStopping { wait }', { earlyStopping: { wait: 2 } }, 'UNKNOWN_OPTION']);
for (const minDelta of [-1, NaN, Infinity, '0.1', null]) fitCases.push([`earlyStopping minDelta ${String(minDelta)}`, { earlyStopping: { minDelta } }, 'INVALID_OPTION']);
for (const early of [5, true, null, [1]]) fitCases.push([`earlyStopping ${JSON.stringify(early)}`, { earlyStopping: early }, 'INVALID_OPTION']);
for (const restoreBest of ['yes', 1, null]) fitCases.push([`earlyStopping restoreBest ${JSON.stringify(restoreBest)}`, { earlyStopping: { restoreBest } }, 'INVALID_OPTION']);
fitCases.push(['onEpochEnd not a function', { onEpochEnd: 'log' }, 'INVALID_OPTION']);
fitCases.push(['validationData wrong width', { validationData: new Float32Array(5) }, 'SHAPE_MISMATCH']);
fitCases.push(['validationData NaN', { validationData: Float32Array.of(NaN, 0, 0, 0, 0, 0) }, 'NON_FINITE_INPUT']);
fitCases.push(['seed -1', { seed: -1 }, 'INVALID_OPTION']);
for (const shuffle of ['yes', 1, 0, null]) fitCases.push([`shuffle ${JSON.stringify(shuffle)}`, { shuffle }, 'INVALID_OPTION']);
for (const key of ['epoch', 'batch_size', 'lr', 'callbacks', 'verbose']) fitCases.push([`unknown option ${key}`, { [key]: 1 }, 'UNKNOWN_OPTION']);

describe('bad arguments to every public entry point', () => {
  it(`the table has at least 200 cases (${cases.length + fitCases.length + 4})`, () => {
    expect(cases.length + fitCases.length + 4).toBeGreaterThanOrEqual(200);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    let caught: unknown;
    try {
      c.run();
    } catch (err) {
      caught = err;
    }
    expect(caught, 'expected a WavaeError').toBeInstanceOf(wv.WavaeError);
    expect((caught as wv.WavaeError).code, (caught as Error).message).toBe(c.code);
  });

  it.each(fitCases)('fit %s', async (_name, options, code) => {
    await expect(vae.fit(x, options as never)).rejects.toMatchObject({ code });
  });

  it('init: unknown options, unknown backends, wrong types', async () => {
    await expect(wv.init({ workers: 2 } as never)).rejects.toMatchObject({ code: 'UNKNOWN_OPTION' });
    await expect(wv.init({ threads: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(wv.init({ backend: 'gpu' } as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(wv.init('wasm' as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(wv.init(null as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await wv.init();
  });
});
