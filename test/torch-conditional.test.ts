// Conditional VAEs and autoencoders against PyTorch itself: test/fixtures/torch-conditional.json
// (written by scripts/conditional-fixture.py; regenerate with
// `/usr/bin/python3 scripts/conditional-fixture.py` and commit the JSON) holds small conditional
// models, dense and conv, built from wavae layer specs with Linear(in + C, out) on
// torch.cat([h, c], 1) where the condition joins (the encoder's first dense layer, after a conv
// encoder's flatten; the heads or the code layer when the encoder has none; the decoder's first
// layer), their parameters (drawn in float32), inputs x, a real-valued condition c and eps, and
// the loss, reconstruction, KL and every parameter gradient from autograd in float64. On each
// backend, wavae builds the same model from the same options, must name and shape its tensors as
// the state_dict does and give the condition to the same layers, and with the fixture's
// parameters its gradients(x, { eps, condition }) must give torch's numbers to 1e-5 relative:
// max|wavae - torch| <= 1e-5 max(max|torch|, tiny) per tensor, one printed line per tensor. The
// state_dict of a dense case, alone in a safetensors file, loads as the same conditional model
// (and, where the case's options are load's defaults, gives the same gradients).
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { TOLERANCE, checkTensor, expectedSpecs, f32, layerShapes, overTolerance, resolvedSpecs, shapesByName, type LayerShape } from './torch-fixture.js';

interface FixtureCase {
  name: string;
  kind: 'vae' | 'autoencoder';
  /** The options wavae takes (VAEOptions or AutoencoderOptions), conditionDim among them. */
  options: Record<string, unknown> & { latentDim: number; conditionDim: number; activation: string; inputDim?: number; inputShape?: number[] };
  /** The specs PyTorch built: the encoder's (an autoencoder's ends with its code layer) and the decoder's (the mirror, where options has none). */
  built: { encoder: wv.LayerSpec[]; decoder: wv.LayerSpec[] };
  /** What PyTorch built, layer by layer; heads: a VAE's mean and logvar. */
  layers: { encoder: LayerShape[]; heads?: LayerShape[]; decoder: LayerShape[] };
  tensors: { name: string; shape: number[] }[];
  n: number;
  params: Record<string, number[]>;
  x: number[];
  condition: number[];
  /** VAE only. */
  eps?: number[];
  loss: number;
  reconstruction: number;
  /** VAE only. */
  kl?: number;
  grads: Record<string, number[]>;
}

const fixture = JSON.parse(fs.readFileSync(new URL('./fixtures/torch-conditional.json', import.meta.url), 'utf8')) as { torch: string; dtype: string; cases: FixtureCase[] };

const inputDim = (c: FixtureCase): number => c.options.inputDim ?? (c.options.inputShape as number[]).reduce((a, b) => a * b, 1);

/** gradients(x, { eps, condition }) of model (holding the fixture's parameters) against torch's, one printed line per tensor; an autoencoder's evaluate() too. */
function matchesTorch(model: wv.VAE | wv.Autoencoder, c: FixtureCase, label: string): void {
  const x = f32(c.x, 'x');
  const condition = f32(c.condition, 'condition');
  console.log(`--- ${label}`);
  const rels: Record<string, number> = {};
  let grads: Record<string, Float32Array>;
  if (model instanceof wv.VAE) {
    const result = model.gradients(x, { eps: f32(c.eps as number[], 'eps'), condition });
    grads = result.grads;
    rels.loss = checkTensor('loss', [result.loss], [c.loss]);
    rels.reconstruction = checkTensor('reconstruction', [result.reconstruction], [c.reconstruction]);
    rels.kl = checkTensor('kl', [result.kl], [c.kl as number]);
  } else {
    const result = model.gradients(x, { condition }); // the loss with the L2 term
    grads = result.grads;
    rels.loss = checkTensor('loss', [result.loss], [c.loss]);
    rels.reconstruction = checkTensor('reconstruction (evaluate)', [model.evaluate(x, { condition }).reconstruction], [c.reconstruction]);
  }
  expect(Object.keys(grads).sort()).toEqual(c.tensors.map((t) => t.name).sort());
  for (const t of c.tensors) rels[`grad ${t.name}`] = checkTensor(`grad ${t.name}`, grads[t.name], c.grads[t.name]);
  expect(overTolerance(rels), `relative differences above ${TOLERANCE}`).toEqual([]);
}

describe('the torch conditional fixture', () => {
  it('has dense and conv cases of both kinds, every tensor of each, and gradients of the same shapes', () => {
    const kinds = fixture.cases.map((c) => `${c.kind} ${c.options.inputShape && c.options.inputShape.length === 3 ? 'conv' : 'dense'}`);
    expect(new Set(kinds)).toEqual(new Set(['vae dense', 'vae conv', 'autoencoder dense', 'autoencoder conv']));
    for (const c of fixture.cases) {
      const names = c.tensors.map((t) => t.name);
      expect(Object.keys(c.params)).toEqual(names);
      expect(Object.keys(c.grads)).toEqual(names);
      for (const t of c.tensors) {
        const size = t.shape.reduce((a, b) => a * b, 1);
        expect(c.params[t.name].length, t.name).toBe(size);
        expect(c.grads[t.name].length, t.name).toBe(size);
      }
      expect(c.x.length).toBe(c.n * inputDim(c));
      expect(c.x.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(c.options.conditionDim).toBeGreaterThan(0);
      expect(c.condition.length).toBe(c.n * c.options.conditionDim);
      expect(c.condition.some((v) => v !== 0 && v !== 1), 'the condition is real-valued, not one-hot').toBe(true);
      if (c.kind === 'vae') expect(c.eps?.length).toBe(c.n * c.options.latentDim);
      // the condition joins two layers of PyTorch's model (or the two heads and the decoder's first)
      const taking = [...c.layers.encoder, ...(c.layers.heads ?? []), ...c.layers.decoder].filter((l) => l.condition);
      expect(taking.every((l) => l.condition === c.options.conditionDim)).toBe(true);
      expect(taking.length).toBeGreaterThanOrEqual(2);
      expect(c.layers.decoder[0].condition).toBe(c.options.conditionDim);
    }
  });
});

for (const backend of ['js', 'wasm'] as const) {
  describe(`conditional models on ${backend} against torch (${fixture.torch}, ${fixture.dtype})`, () => {
    beforeAll(async () => {
      await wv.init({ backend });
    });

    for (const c of fixture.cases) {
      it(`${c.kind === 'vae' ? 'VAE' : 'Autoencoder'}: ${c.name}`, () => {
        const model = c.kind === 'vae'
          ? new wv.VAE({ ...(c.options as wv.VAEOptions), seed: 1 })
          : new wv.Autoencoder({ ...(c.options as wv.AutoencoderOptions), seed: 1 });
        try {
          // names and shapes: the state_dict's keys and shapes (weights [out, in + C])
          expect(model.layout.tensors.length).toBe(c.tensors.length);
          expect(shapesByName(model.layout.tensors)).toEqual(shapesByName(c.tensors));
          // the layers PyTorch built, and which of them take the condition
          expect(layerShapes(model.encoder.resolved)).toEqual(c.layers.encoder);
          expect(layerShapes(model.decoder.resolved)).toEqual(c.layers.decoder);
          if (model instanceof wv.VAE) expect(layerShapes([model.meanHead.resolved, model.logVarHead.resolved])).toEqual(c.layers.heads);
          expect(resolvedSpecs(model.encoder.resolved)).toEqual(expectedSpecs(c.built.encoder, c.options.activation, false));
          expect(resolvedSpecs(model.decoder.resolved)).toEqual(expectedSpecs(c.built.decoder, c.options.activation, true));

          const params: Record<string, Float32Array> = {};
          for (const t of c.tensors) params[t.name] = f32(c.params[t.name], t.name);
          model.setParameters(params);
          matchesTorch(model, c, `${backend}: ${c.name}`);
        } finally {
          model.dispose();
        }
      });
    }

    // A PyTorch user's state_dict of a dense model, saved without wavae's metadata, loads as is:
    // the architecture (conditionDim too) read off the shapes, activation and loss at their defaults.
    for (const c of fixture.cases.filter((k) => k.options.hiddenDims)) {
      it(`the state_dict alone of the ${c.name} loads as a conditional ${c.kind === 'vae' ? 'VAE' : 'Autoencoder'}`, () => {
        const stateDict = Object.fromEntries(c.tensors.map((t) => [t.name, { shape: t.shape, data: f32(c.params[t.name], t.name) }]));
        const model = wv.load(wv.encodeSafetensors(stateDict));
        try {
          expect(model.kind).toBe(c.kind);
          const { inputDim, hiddenDims, latentDim, conditionDim } = c.options;
          expect(model.config()).toMatchObject({ inputDim, hiddenDims, latentDim, conditionDim });
          const defaults = c.kind === 'vae' ? { activation: 'relu', beta: 1 } : { activation: 'relu', loss: 'mse', weightDecay: 0 };
          if (Object.entries(defaults).every(([k, v]) => (c.options[k] ?? v) === v)) matchesTorch(model as wv.VAE | wv.Autoencoder, c, `${backend}: the state_dict of ${c.name}`);
        } finally {
          model.dispose();
        }
      });
    }
  });
}
