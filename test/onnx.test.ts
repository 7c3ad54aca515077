// ONNX export (model.toOnnx, `wavae export --format onnx`): ONNX Runtime (onnxruntime-node, CPU)
// runs each exported encoder and decoder and gives wavae's encode() / decode() to 1e-5 relative
// (the largest difference over the largest magnitude of the output), on a batch of 7 rows and of
// 1 (the batch dimension is symbolic): dense VAEs (Bernoulli, Gaussian), every activation, a conv
// VAE with a mirrored decoder (conv2dTranspose with outputPadding, odd image sizes), conditional
// dense and conv models (the condition joined by Concat), autoencoders (MSE and BCE). Each file is
// decoded back with protobufjs and held to the ONNX checker's rules that JS can check: opset 17,
// IR version 8, unique node names and outputs, every node input defined before its use, each
// initializer's data the size of its dims, and the graph inputs and outputs named and shaped.
// Then the errors, and the CLI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { decodeOnnx } from '../src/io/onnx.js';
import { onnxGraph } from '../src/models/onnx-graph.js';
import { BIN, expectCleanFailure } from './cli-run.js';

type AnyModel = wv.VAE | wv.Autoencoder;

interface Dim { dim_value?: number; dim_param?: string }
interface Value { name: string; type: { tensor_type: { elem_type: number; shape: { dim: Dim[] } } } }
interface Tensor { name: string; dims?: number[]; data_type: number; raw_data?: Uint8Array; int64_data?: number[]; float_data?: number[] }
interface Node { name: string; op_type: string; input?: string[]; output?: string[] }
interface Model { ir_version: number; opset_import: { domain?: string; version: number }[]; producer_name: string; graph: { node: Node[]; initializer: Tensor[]; input: Value[]; output: Value[] } }

/** The worst relative error seen per model type (printed at the end). */
const worst: Record<string, number> = {};

let seed = 1;
function rows(n: number, cols: number, lo = 0, hi = 1): Float32Array {
  const rng = new wv.Rng(seed++);
  return Float32Array.from({ length: n * cols }, () => lo + (hi - lo) * rng.uniform());
}

function oneHot(n: number, k: number): wv.Matrix {
  return wv.oneHot(Uint8Array.from({ length: n }, (_, i) => (i * 5 + 1) % k), k);
}

/** max |got - want| / max |want|. */
function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

/** The rules of the ONNX checker that a JS reader can check. */
function checkGraph(bytes: Uint8Array, inputs: [string, number][], outputs: [string, number][]): Model {
  const m = decodeOnnx(bytes) as unknown as Model;
  expect(m.ir_version).toBe(8); // the IR version of opset 17 (ONNX 1.13)
  expect(m.opset_import).toHaveLength(1);
  expect(m.opset_import[0].domain ?? '').toBe('');
  expect(m.opset_import[0].version).toBe(17);
  expect(m.producer_name).toBe('wavae');
  const g = m.graph;
  const defined = new Set<string>();
  const shapeOf = (v: Value): (string | number)[] => v.type.tensor_type.shape.dim.map((d) => d.dim_param ?? (d.dim_value as number));
  expect(g.input.map((v) => [v.name, shapeOf(v)])).toEqual(inputs.map(([name, cols]) => [name, ['N', cols]]));
  expect(g.output.map((v) => [v.name, shapeOf(v)])).toEqual(outputs.map(([name, cols]) => [name, ['N', cols]]));
  for (const v of [...g.input, ...g.output]) expect(v.type.tensor_type.elem_type).toBe(1); // float32
  for (const v of g.input) defined.add(v.name);
  for (const t of g.initializer) {
    expect(defined.has(t.name), `initializer ${t.name} named twice or like an input`).toBe(false);
    defined.add(t.name);
    const count = (t.dims ?? []).reduce((a, b) => a * b, 1);
    if (t.data_type === 1) expect(t.raw_data?.length, t.name).toBe(count * 4);
    else {
      expect(t.data_type, t.name).toBe(7); // int64 shapes
      expect(t.int64_data?.length, t.name).toBe(count);
    }
  }
  const nodeNames = new Set<string>();
  for (const n of g.node) {
    expect(nodeNames.has(n.name), `node name ${n.name}`).toBe(false);
    nodeNames.add(n.name);
    for (const i of n.input ?? []) expect(defined.has(i), `${n.name} (${n.op_type}) reads ${i} before it is defined`).toBe(true);
    for (const o of n.output ?? []) {
      expect(defined.has(o), `${n.name} writes ${o}, already defined`).toBe(false);
      defined.add(o);
    }
  }
  for (const v of g.output) expect(defined.has(v.name), `output ${v.name} is computed`).toBe(true);
  return m;
}

async function run(bytes: Uint8Array, feeds: Record<string, [Float32Array, number]>): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes);
  const tensors = Object.fromEntries(Object.entries(feeds).map(([name, [data, cols]]) => [name, new ort.Tensor('float32', data, [data.length / cols, cols])]));
  const out = await session.run(tensors);
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, t.data as Float32Array]));
}

/** Exports both parts of a model, checks them, runs them on n rows in ONNX Runtime, and compares with encode() / decode(). */
async function expectSameAsWavae(type: string, model: AnyModel, n: number): Promise<void> {
  const C = model.conditionDim;
  const cond = C > 0 ? oneHot(n, C) : null;
  const cFeed: Record<string, [Float32Array, number]> = cond ? { c: [cond.data, C] } : {};
  const cIn: [string, number][] = C > 0 ? [['c', C]] : [];
  const given = cond ? { condition: cond } : {};
  const x = rows(n, model.inputDim);
  const z = rows(n, model.latentDim, -2, 2);
  const L = model.latentDim;

  const enc = model.toOnnx({ part: 'encoder' });
  const dec = model.toOnnx({ part: 'decoder' });
  const errors: number[] = [];
  if (model instanceof wv.VAE) {
    checkGraph(enc, [['x', model.inputDim], ...cIn], [['mean', L], ['logvar', L]]);
    const got = await run(enc, { x: [x, model.inputDim], ...cFeed });
    const want = model.encode(x, given);
    errors.push(relativeError(got.mean, want.mean.data), relativeError(got.logvar, want.logVar.data));
  } else {
    checkGraph(enc, [['x', model.inputDim], ...cIn], [['code', L]]);
    const got = await run(enc, { x: [x, model.inputDim], ...cFeed });
    errors.push(relativeError(got.code, model.encode(x, given).data));
  }
  checkGraph(dec, [['z', L], ...cIn], [['x_mean', model.inputDim]]);
  const got = await run(dec, { z: [z, L], ...cFeed });
  errors.push(relativeError(got.x_mean, model.decode(z, given).data));
  const e = Math.max(...errors);
  worst[type] = Math.max(worst[type] ?? 0, e);
  expect(e, `${type}: worst relative error`).toBeLessThan(1e-5);
}

/** Trains a little so that the weights are not the initial ones (and a Gaussian VAE learns its variance). */
async function trained<M extends AnyModel>(model: M, epochs = 2): Promise<M> {
  const x = rows(64, model.inputDim);
  const condition = model.conditionDim > 0 ? { condition: oneHot(64, model.conditionDim) } : {};
  await model.fit(x, { epochs, batchSize: 16, seed: 1, ...condition });
  return model;
}

const CONV_ENCODER: wv.LayerSpec[] = [
  { type: 'conv2d', filters: 4, kernelSize: 3, stride: 2, padding: 1 },
  { type: 'conv2d', filters: 6, kernelSize: [3, 2], stride: 2, padding: [1, 0] },
  { type: 'flatten' },
  { type: 'dense', units: 16 },
];

beforeAll(async () => {
  await wv.init();
});

afterAll(() => {
  console.log(`onnx: worst relative error per model type: ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
});

describe('ONNX Runtime gives what encode() and decode() give', () => {
  it('a dense Bernoulli VAE, on 7 rows and on 1', async () => {
    const vae = await trained(new wv.VAE({ inputDim: 13, hiddenDims: [11, 6], latentDim: 3, seed: 2 }));
    await expectSameAsWavae('dense VAE bernoulli', vae, 7);
    await expectSameAsWavae('dense VAE bernoulli', vae, 1);
  });

  it('a dense Gaussian VAE (the decoder mean: no sigmoid)', async () => {
    const vae = await trained(new wv.VAE({ inputDim: 9, hiddenDims: [8], latentDim: 2, likelihood: 'gaussian', seed: 3 }));
    await expectSameAsWavae('dense VAE gaussian', vae, 7);
  });

  it.each(['relu', 'leaky_relu', 'tanh', 'sigmoid', 'identity'] as const)('every activation: %s (leaky_relu with slope 0.01)', async (activation) => {
    const vae = new wv.VAE({ inputDim: 10, hiddenDims: [12, 7], latentDim: 3, activation, seed: 4 });
    vae.setParameters(Object.fromEntries(Object.entries(vae.parameters()).map(([k, v]) => [k, v.map((w) => w * 3)]))); // wider pre-activations: both sides of 0, tails of tanh and sigmoid
    await expectSameAsWavae(`activation ${activation}`, vae, 7);
  });

  it('a conv VAE on 11 x 8 images (stride 2 rounds 11 -> 6 -> 3) with its mirrored decoder (conv2dTranspose with outputPadding)', async () => {
    const vae = await trained(new wv.VAE({ inputShape: [2, 11, 8], latentDim: 4, encoder: CONV_ENCODER, activation: 'leaky_relu', seed: 5 }), 1);
    const decoder = vae.config().decoder as { type: string; outputPadding?: number[] }[];
    expect(decoder.filter((l) => l.type === 'conv2dTranspose' && l.outputPadding).length).toBeGreaterThan(0);
    await expectSameAsWavae('conv VAE', vae, 7);
    await expectSameAsWavae('conv VAE', vae, 1);
  });

  it('a conv VAE with its own decoder (dense, reshape, conv2dTranspose) and a Gaussian likelihood', async () => {
    const vae = new wv.VAE({
      inputShape: [1, 8, 8], latentDim: 3, likelihood: 'gaussian', seed: 6,
      encoder: [{ type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh' }, { type: 'flatten' }],
      decoder: [{ type: 'dense', units: 48 }, { type: 'reshape', shape: [3, 4, 4] }, { type: 'conv2dTranspose', filters: 1, kernelSize: 4, stride: 2, padding: 1 }],
    });
    await expectSameAsWavae('conv VAE', vae, 7);
  });

  it('a conditional dense VAE (Concat of c before the first dense layer of each side)', async () => {
    const vae = await trained(new wv.VAE({ inputDim: 12, hiddenDims: [10], latentDim: 3, conditionDim: 4, seed: 7 }));
    await expectSameAsWavae('conditional dense VAE', vae, 7);
  });

  it('a conditional conv VAE', async () => {
    const vae = await trained(new wv.VAE({ inputShape: [1, 9, 9], latentDim: 3, conditionDim: 3, encoder: CONV_ENCODER, seed: 8 }), 1);
    await expectSameAsWavae('conditional conv VAE', vae, 7);
  });

  it('a conditional conv VAE whose encoder has no dense layer (the heads take c)', async () => {
    const vae = new wv.VAE({ inputShape: [1, 6, 6], latentDim: 2, conditionDim: 2, encoder: [{ type: 'conv2d', filters: 2, kernelSize: 3, stride: 2 }, { type: 'flatten' }], seed: 9 });
    await expectSameAsWavae('conditional conv VAE', vae, 7);
  });

  it('autoencoders: dense MSE, BCE (sigmoid), conditional conv', async () => {
    await expectSameAsWavae('Autoencoder', await trained(new wv.Autoencoder({ inputDim: 11, hiddenDims: [9], latentDim: 4, seed: 10 })), 7);
    await expectSameAsWavae('Autoencoder', new wv.Autoencoder({ inputDim: 8, hiddenDims: [6], latentDim: 2, loss: 'bce', activation: 'tanh', seed: 11 }), 7);
    await expectSameAsWavae('Autoencoder', await trained(new wv.Autoencoder({ inputShape: [1, 9, 9], latentDim: 5, conditionDim: 3, encoder: CONV_ENCODER, seed: 12 }), 1), 7);
  });
});

describe('the graph', () => {
  it('keeps the parameters under their model-file names, as float32 initializers, and metadata_props', () => {
    const vae = new wv.VAE({ inputDim: 6, hiddenDims: [5], latentDim: 2, seed: 1 });
    const m = decodeOnnx(vae.toOnnx({ part: 'encoder', metadata: { note: 'hi' } })) as unknown as Model & { metadata_props: { key: string; value: string }[] };
    const floats = m.graph.initializer.filter((t) => t.data_type === 1).map((t) => t.name).sort();
    expect(floats).toEqual(['encoder.0.bias', 'encoder.0.weight', 'logvar.bias', 'logvar.weight', 'mean.bias', 'mean.weight']);
    const w = m.graph.initializer.find((t) => t.name === 'encoder.0.weight') as Tensor;
    expect(w.dims).toEqual([5, 6]);
    const raw = w.raw_data as Uint8Array;
    expect(Array.from(new Float32Array(raw.slice().buffer))).toEqual(Array.from(vae.parameters()['encoder.0.weight']));
    expect(m.metadata_props).toEqual(expect.arrayContaining([{ key: 'wavae_kind', value: 'vae' }, { key: 'wavae_part', value: 'encoder' }, { key: 'note', value: 'hi' }]));
    expect(m.graph.node.map((n) => n.op_type)).toEqual(['Gemm', 'Relu', 'Gemm', 'Gemm']);
  });
});

describe('errors', () => {
  const vae = (): wv.VAE => new wv.VAE({ inputDim: 6, hiddenDims: [5], latentDim: 2 });

  it('options: part must be encoder or decoder; unknown keys; metadata of strings', () => {
    const m = vae();
    expect(() => m.toOnnx({ part: 'both' as 'encoder' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringMatching(/part must be 'encoder' or 'decoder', got "both"/) }));
    expect(() => (m.toOnnx as (o?: unknown) => Uint8Array)()).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => m.toOnnx({ part: 'encoder', opset: 18 } as never)).toThrow(expect.objectContaining({ code: 'UNKNOWN_OPTION' }));
    expect(() => m.toOnnx({ part: 'encoder', metadata: { a: 1 } as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('a disposed model', () => {
    const m = vae();
    m.dispose();
    expect(() => m.toOnnx({ part: 'decoder' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringMatching(/disposed/) }));
  });

  it('a layer type without an ONNX form, and a missing parameter, name the layer', () => {
    const src = {
      kind: 'vae', inputShape: [4], inputDim: 4, latentDim: 2, conditionDim: 0, heads: null, sigmoid: false, params: {},
      encoder: [{ spec: { type: 'dropout' }, input: [4], output: [4], name: null }], decoder: [],
    };
    expect(() => onnxGraph(src, { part: 'encoder' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringMatching(/"dropout" has no ONNX form/) }));
    const dense = { ...src, encoder: [{ spec: { type: 'dense', units: 2, activation: 'relu' }, input: [4], output: [2], name: 'encoder.0' }] };
    expect(() => onnxGraph(dense, { part: 'encoder' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringMatching(/no parameter 'encoder.0.weight' of shape \[2, 4\]/) }));
  });
});

describe('wavae export', () => {
  let dir: string;
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-onnx-'));
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes encoder.onnx and decoder.onnx that ONNX Runtime runs as the model does', async () => {
    const vae = await trained(new wv.VAE({ inputShape: [1, 7, 7], latentDim: 3, conditionDim: 2, encoder: CONV_ENCODER, seed: 13 }), 1);
    await wv.saveFile(vae, path.join(dir, 'm.safetensors'));
    const r = cli('export', '--model', 'm.safetensors', '--format', 'onnx', '--out', 'onnx/deep');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/encoder\.onnx \(x \[N, 49\], c \[N, 2\] -> mean \[N, 3\], logvar \[N, 3\]\) and .*decoder\.onnx \(z \[N, 3\], c \[N, 2\] -> x_mean \[N, 49\]\)/);
    expect(fs.readdirSync(path.join(dir, 'onnx/deep')).sort()).toEqual(['decoder.onnx', 'encoder.onnx']);
    const enc = new Uint8Array(fs.readFileSync(path.join(dir, 'onnx/deep/encoder.onnx')));
    expect(enc).toEqual(vae.toOnnx({ part: 'encoder' }));
    const x = rows(5, 49);
    const cond = oneHot(5, 2);
    const got = await run(enc, { x: [x, 49], c: [cond.data, 2] });
    expect(relativeError(got.mean, vae.encode(x, { condition: cond }).mean.data)).toBeLessThan(1e-5);
    const dec = new Uint8Array(fs.readFileSync(path.join(dir, 'onnx/deep/decoder.onnx')));
    checkGraph(dec, [['z', 3], ['c', 2]], [['x_mean', 49]]);
  });

  it('--format other than onnx, a bad --out, a missing or broken model: one clear line, nothing written', async () => {
    await wv.saveFile(new wv.Autoencoder({ inputDim: 5, hiddenDims: [4], latentDim: 2 }), path.join(dir, 'ae.safetensors'));
    expectCleanFailure(cli('export', '--model', 'ae.safetensors', '--format', 'tflite', '--out', 'x1'), /--format must be one of onnx, got "tflite"/);
    expect(fs.existsSync(path.join(dir, 'x1'))).toBe(false);
    fs.writeFileSync(path.join(dir, 'a-file'), 'not a folder');
    expectCleanFailure(cli('export', '--model', 'ae.safetensors', '--out', 'a-file'), /--out a-file/);
    fs.mkdirSync(path.join(dir, 'x2/encoder.onnx'), { recursive: true });
    expectCleanFailure(cli('export', '--model', 'ae.safetensors', '--out', 'x2'), /cannot write x2\/encoder\.onnx: it is a directory/);
    expect(fs.readdirSync(path.join(dir, 'x2'))).toEqual(['encoder.onnx']);
    for (const model of ['missing.safetensors', 'a-file']) {
      const info = cli('info', '--model', model);
      const exported = cli('export', '--model', model, '--out', 'x3');
      expectCleanFailure(exported, /./);
      expect(exported.stderr).toBe(info.stderr);
      expect(fs.existsSync(path.join(dir, 'x3'))).toBe(false);
    }
    // a bare state_dict (no wavae metadata): load() guesses its activation and likelihood, an export must not
    const bare = wv.decodeSafetensors(new Uint8Array(fs.readFileSync(path.join(dir, 'ae.safetensors'))));
    fs.writeFileSync(path.join(dir, 'bare.safetensors'), wv.encodeSafetensors(bare.tensors));
    expectCleanFailure(cli('export', '--model', 'bare.safetensors', '--out', 'x5'), /bare\.safetensors has no wavae metadata \(a bare state_dict\): its activation and likelihood are not in the file/);
    expect(fs.existsSync(path.join(dir, 'x5'))).toBe(false);
    const ok = cli('export', '--model', 'ae.safetensors', '--out', 'x4');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/x \[N, 5\] -> code \[N, 2\]/);
  });
});
