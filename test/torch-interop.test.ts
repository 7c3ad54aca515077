// wavae's model files through real PyTorch, both ways (interop/pytorch/wavae_torch.py, driven by
// test/torch-interop.py): a model trained in wavae, loaded with load_wavae, gives wavae's decoder
// outputs, encoder outputs, loss (objective, -ELBO, reconstruction, KL for given x and eps) and
// every gradient, and, through wavae's generator restated in Python, the same evaluate() and
// sample(); saved again it is the same bytes. A model trained in PyTorch and written with
// save_wavae loads in wavae with the same numbers and keeps training there. Broken files get the
// same errors on both sides. PyTorch computes in float64 on the float32 parameters, so every
// difference is wavae's float32 rounding: each tensor and scalar within 1e-5 relative to its
// largest magnitude (test/torch-fixture.ts prints one line each). Models: an MLP VAE with beta and
// weight decay, a conv VAE with a mirrored decoder (outputPadding), a conditional Gaussian VAE
// (learned variance), a conv Gaussian VAE with a fixed variance and 'same' padding, an MLP
// autoencoder (mse, weight decay) and a conditional conv autoencoder (bce).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { TOLERANCE, checkTensor } from './torch-fixture.js';
import { runPython } from './torch-python.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DRIVER = path.join(HERE, 'torch-interop.py');
const N = 24; // rows of x
const M = 6; // rows of z
const SAMPLES = 5;

interface Case {
  name: string;
  kind: 'vae' | 'autoencoder';
  options: Record<string, unknown>;
  /** Data in [0, 1] (Bernoulli, bce) rather than in [-1, 1]. */
  unit: boolean;
}

const conv = (filters: number, kernelSize: number, stride: number, padding: number | string) => ({ type: 'conv2d', filters, kernelSize, stride, padding });

const CASES: Case[] = [
  { name: 'mlp-vae', kind: 'vae', unit: true, options: { inputDim: 20, hiddenDims: [16, 8], latentDim: 4, beta: 0.7, weightDecay: 1e-4, seed: 1 } },
  {
    name: 'conv-vae', kind: 'vae', unit: true,
    options: { inputShape: [1, 10, 10], latentDim: 3, seed: 2, encoder: [conv(4, 4, 2, 1), conv(6, 3, 2, 1), { type: 'flatten' }, { type: 'dense', units: 12, activation: 'tanh' }] },
  },
  { name: 'gaussian-cvae', kind: 'vae', unit: false, options: { inputDim: 12, hiddenDims: [10], latentDim: 3, conditionDim: 4, likelihood: 'gaussian', activation: 'tanh', seed: 3 } },
  {
    name: 'fixed-variance-conv-vae', kind: 'vae', unit: false,
    options: {
      inputShape: [2, 6, 6], latentDim: 2, likelihood: 'gaussian', outputVariance: 0.5, activation: 'leaky_relu', seed: 4,
      encoder: [conv(3, 3, 1, 'same'), { type: 'flatten' }],
      decoder: [{ type: 'dense', units: 18 }, { type: 'reshape', shape: [2, 3, 3] }, { type: 'conv2dTranspose', filters: 2, kernelSize: 4, stride: 2, padding: 1 }],
    },
  },
  { name: 'mlp-ae', kind: 'autoencoder', unit: false, options: { inputDim: 10, hiddenDims: [8], latentDim: 3, loss: 'mse', weightDecay: 1e-3, seed: 5 } },
  { name: 'conv-cae', kind: 'autoencoder', unit: true, options: { inputShape: [1, 8, 8], latentDim: 3, conditionDim: 2, loss: 'bce', seed: 6, encoder: [conv(3, 3, 2, 1), { type: 'flatten' }] } },
];

/** Deterministic float32 values: in [0, 1) when unit, else in [-1, 1). */
function values(count: number, seed: number, unit: boolean): Float32Array {
  const rng = new wv.Rng(seed);
  return Float32Array.from({ length: count }, () => (unit ? rng.uniform() : 2 * rng.uniform() - 1));
}

/** Rows with something to learn: row i is a_i sin(0.9 j + phase_i) over its columns j (two factors per row, and a little noise); in (0, 1) when unit, else in (-1, 1). */
function data(rows: number, cols: number, seed: number, unit: boolean): Float32Array {
  const rng = new wv.Rng(seed);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const a = 0.5 + 0.4 * rng.uniform();
    const phase = 2 * Math.PI * rng.uniform();
    for (let j = 0; j < cols; j++) {
      const v = a * Math.sin(0.9 * j + phase) + 0.05 * (2 * rng.uniform() - 1);
      out[i * cols + j] = unit ? 0.5 + 0.5 * v : v;
    }
  }
  return out;
}

function normals(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  new wv.Rng(seed).fillNormal(out, 0, count);
  return out;
}

function build(c: Case): wv.AnyModel {
  return c.kind === 'vae' ? new wv.VAE(c.options as wv.VAEOptions) : new wv.Autoencoder(c.options as wv.AutoencoderOptions);
}

/** The inputs of a case: x, its condition, eps, codes z and their condition. */
function inputs(c: Case, model: wv.AnyModel) {
  const C = model.conditionDim;
  return {
    x: data(N, model.inputDim, 100, c.unit),
    c: C ? values(N * C, 101, true) : null,
    eps: normals(N * model.latentDim, 102),
    z: normals(M * model.latentDim, 103),
    zc: C ? values(M * C, 104, true) : null,
  };
}

type Inputs = ReturnType<typeof inputs>;

interface Answer {
  kind: string;
  config: Record<string, unknown>;
  epochsTrained: number;
  metadata: Record<string, string>;
  resavedIdentical: boolean;
  decode: number[];
  mean?: number[];
  logVar?: number[];
  codes?: number[];
  evaluate: { loss: number; reconstruction: number; kl: number };
  sample?: number[];
  objective: number;
  loss: number;
  reconstruction: number;
  kl: number;
  grads: Record<string, number[]>;
  file?: string;
  firstObjective?: number;
  lastObjective?: number;
}

function request(c: Case, io: Inputs, file: string): Record<string, unknown> {
  const list = (a: Float32Array | null) => (a ? Array.from(a) : null);
  return { name: c.name, file, kind: c.kind, options: c.options, x: list(io.x), c: list(io.c), eps: list(io.eps), z: list(io.z), zc: list(io.zc), sampleN: SAMPLES, sampleSeed: 7 };
}

let dir: string;
/** The worst relative difference per quantity over every case and direction (printed at the end). */
const worst: Record<string, number> = {};

function note(what: string, rel: number): void {
  worst[what] = Math.max(worst[what] ?? 0, rel);
}

/** Checks wavae's model against PyTorch's answers: every quantity within TOLERANCE. */
function compare(label: string, model: wv.AnyModel, io: Inputs, a: Answer): void {
  const cond = (m: Float32Array | null, rows: number) => (m ? { condition: wv.matrix(rows, model.conditionDim, m) } : {});
  const rels: Record<string, number> = {};
  const check = (what: string, got: ArrayLike<number>, want: ArrayLike<number>) => {
    rels[what] = checkTensor(`${label} ${what}`, got, want);
    note(what.startsWith('grad ') ? 'gradients' : what, rels[what]);
  };
  check('decode', model.decode(io.z, cond(io.zc, M)).data, a.decode);
  const ev = model.evaluate(io.x, cond(io.c, N));
  check('evaluate loss', [ev.loss], [a.evaluate.loss]);
  check('evaluate reconstruction', [ev.reconstruction], [a.evaluate.reconstruction]);
  if (model instanceof wv.VAE) {
    const { mean, logVar } = model.encode(io.x, cond(io.c, N));
    check('encode mean', mean.data, a.mean as number[]);
    check('encode logVar', logVar.data, a.logVar as number[]);
    check('evaluate kl', [ev.kl], [a.evaluate.kl]);
    check('sample', model.sample(SAMPLES, { seed: 7, ...cond(io.zc && io.zc.subarray(0, SAMPLES * model.conditionDim), SAMPLES) }).data, a.sample as number[]);
    const g = model.gradients(io.x, { eps: io.eps, ...cond(io.c, N) });
    check('objective', [g.loss], [a.objective]);
    check('reconstruction', [g.reconstruction], [a.reconstruction]);
    check('kl', [g.kl], [a.kl]);
    for (const [name, want] of Object.entries(a.grads)) check(`grad ${name}`, g.grads[name], want);
  } else {
    check('encode codes', model.encode(io.x, cond(io.c, N)).data, a.codes as number[]);
    const g = model.gradients(io.x, cond(io.c, N));
    check('objective', [g.loss], [a.objective]);
    for (const [name, want] of Object.entries(a.grads)) check(`grad ${name}`, g.grads[name], want);
  }
  expect(Object.keys(a.grads).sort()).toEqual(Object.keys(model.parameters()).sort());
  expect(Object.entries(rels).filter(([, r]) => !(r <= TOLERANCE))).toEqual([]);
}

function python(command: string, body: unknown): unknown {
  const req = path.join(dir, `${command}-request.json`);
  const ans = path.join(dir, `${command}-answer.json`);
  fs.writeFileSync(req, JSON.stringify(body));
  runPython([DRIVER, command, req, ans]);
  return JSON.parse(fs.readFileSync(ans, 'utf8'));
}

beforeAll(async () => {
  await wv.init({ backend: 'js' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-torch-'));
});

afterAll(() => {
  console.log(`worst relative difference to PyTorch (float64), over ${CASES.length} models both ways:\n` +
    Object.entries(worst).map(([k, v]) => `  ${k.padEnd(26)} ${v.toExponential(2)}`).join('\n'));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('wavae -> PyTorch: a wavae-trained model file loads with load_wavae and computes the same', () => {
  const models: Record<string, { model: wv.AnyModel; io: Inputs }> = {};
  let answers: Record<string, Answer>;

  beforeAll(async () => {
    const cases = [];
    for (const c of CASES) {
      const model = build(c);
      const io = inputs(c, model);
      await model.fit(io.x, { epochs: 3, batchSize: 8, optimizer: { type: 'adam', lr: 1e-2 }, ...(io.c ? { condition: wv.matrix(N, model.conditionDim, io.c) } : {}) });
      const file = path.join(dir, `${c.name}.safetensors`);
      await wv.saveFile(model, file, { metadata: { note: 'from wavae' } });
      models[c.name] = { model, io };
      cases.push(request(c, io, file));
    }
    answers = python('check', { cases }) as Record<string, Answer>;
  });

  for (const c of CASES) {
    it(`${c.name}: decoder outputs, encoder outputs, loss for given x and eps, gradients, evaluate() and sample() match to 1e-5`, () => {
      const { model, io } = models[c.name];
      compare(`wavae->torch ${c.name}`, model, io, answers[c.name]);
    });

    it(`${c.name}: PyTorch reads wavae's kind, config, epochs and extra metadata, and save_wavae writes the same bytes back`, () => {
      const a = answers[c.name];
      const { model } = models[c.name];
      expect(a.kind).toBe(model.kind);
      expect(a.config).toEqual(model.config());
      expect(a.epochsTrained).toBe(3);
      expect(a.metadata).toEqual({ note: 'from wavae' });
      expect(a.resavedIdentical).toBe(true);
    });
  }
});

describe('PyTorch -> wavae: a model trained in PyTorch and written by save_wavae loads in wavae, computes the same, and keeps training', () => {
  let answers: Record<string, Answer>;
  const io: Record<string, Inputs> = {};

  beforeAll(() => {
    const cases = CASES.map((c) => {
      const shape = build(c); // only for the sizes of the inputs
      io[c.name] = inputs(c, shape);
      shape.dispose();
      return { ...request(c, io[c.name], ''), seed: 11, steps: 30, lr: 1e-2 };
    });
    answers = python('train', { cases, dir }) as Record<string, Answer>;
  });

  for (const c of CASES) {
    it(`${c.name}: loads with PyTorch's numbers, and wavae's training lowers its loss from there`, async () => {
      const a = answers[c.name];
      expect(a.lastObjective as number).toBeLessThan(a.firstObjective as number); // PyTorch trained it
      const model = await wv.loadFile(a.file as string);
      expect(model.kind).toBe(c.kind);
      expect(model.config()).toEqual(a.config);
      expect(model.epochsTrained).toBe(30);
      compare(`torch->wavae ${c.name}`, model, io[c.name], a);

      // the objective training minimises (beta, the L2 term), for the fixed eps of the comparison
      const { x, eps } = io[c.name];
      const condition = io[c.name].c ? { condition: wv.matrix(N, model.conditionDim, io[c.name].c as Float32Array) } : {};
      const objective = () => (model instanceof wv.VAE ? model.gradients(x, { eps, ...condition }) : model.gradients(x, condition)).loss;
      const before = objective();
      await model.fit(x, { epochs: 10, batchSize: 8, optimizer: { type: 'adam', lr: 1e-2 }, ...condition });
      expect(objective()).toBeLessThan(before);
      expect(model.epochsTrained).toBe(40);
      const again = wv.load(model.save());
      expect(again.parameters()).toEqual(model.parameters());
    });
  }
});

describe('broken files get the same clear errors in PyTorch and in wavae', () => {
  interface Broken { file: string; torch: { type: string; message: string } | null }
  let a: Record<string, Broken> & {
    plain: { file: string; config: Record<string, unknown>; decode: number[] };
    stateDictMissing: Broken['torch']; stateDictShape: Broken['torch']; saveShape: Broken['torch']; saveShapeWrote: boolean; badOption: Broken['torch'];
  };
  let z: Float32Array;

  beforeAll(async () => {
    const c = CASES[0];
    const model = build(c);
    const file = path.join(dir, 'good.safetensors');
    await wv.saveFile(model, file);
    z = normals(M * model.latentDim, 103);
    a = python('bad', { file, dir, z: Array.from(z) }) as typeof a;
  });

  async function wavaeError(file: string): Promise<wv.WavaeError> {
    const err = await wv.loadFile(file).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(wv.WavaeError);
    return err as wv.WavaeError;
  }

  it('a missing tensor, a tensor of another shape, an extra tensor: the same message, word for word', async () => {
    for (const [name, words] of [['missing', "no tensor 'decoder.1.bias'"], ['shape', "tensor 'mean.weight' has shape [4, 9], the architecture needs [4, 8]"], ['extra', "unexpected tensor 'decoder.9.weight'"]]) {
      const err = await wavaeError(a[name].file);
      expect(err.code).toBe('CORRUPT_FILE');
      expect(err.message).toContain(words);
      expect(a[name].torch).toEqual({ type: 'WavaeFileError', message: err.message });
    }
  });

  it('a newer format version, an unknown kind, a NaN, float64 tensors: both refuse, naming it', async () => {
    for (const [name, code, words] of [['newer', 'UNSUPPORTED_VERSION', '99'], ['kind', 'CORRUPT_FILE', 'gan'], ['nan', 'CORRUPT_FILE', "'logvar.bias'[0] is NaN"], ['f64', 'CORRUPT_FILE', 'F64']]) {
      const err = await wavaeError(a[name].file);
      expect(err.code).toBe(code);
      expect(err.message).toContain(words);
      expect(a[name].torch?.type).toBe('WavaeFileError');
      expect(a[name].torch?.message).toContain(words);
    }
  });

  it("a state_dict with a missing key or a wrong shape is refused by the model's load_state_dict with wavae's message; save_wavae refuses a tensor that no longer fits and writes nothing", async () => {
    const missing = await wavaeError(a.missing.file);
    expect(a.stateDictMissing).toEqual({ type: 'WavaeFileError', message: missing.message });
    expect(a.stateDictShape?.message).toBe("load: tensor 'mean.weight' has shape [1, 1], the architecture needs [4, 8]");
    expect(a.saveShape?.message).toBe("load: tensor 'mean.weight' has shape [4, 3], the architecture needs [4, 8]");
    expect(a.saveShapeWrote).toBe(false);
    expect(a.badOption?.message).toContain("unknown option 'latentDims'");
  });

  it('a plain state_dict (no metadata, torch\'s order) loads on both sides with the architecture read off its shapes', async () => {
    const model = await wv.loadFile(a.plain.file);
    expect(model.config()).toMatchObject({ inputDim: 20, hiddenDims: [16, 8], latentDim: 4 });
    expect(a.plain.config).toMatchObject({ inputDim: 20, hiddenDims: [16, 8], latentDim: 4 });
    note('decode', checkTensor('plain state_dict decode', model.decode(z).data, a.plain.decode));
    expect(worst.decode).toBeLessThanOrEqual(TOLERANCE);
  });
});
