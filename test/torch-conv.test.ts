// Conv VAEs against PyTorch itself: test/fixtures/torch-conv-vae.json (written by
// scripts/conv-fixture.py) holds small conv VAEs built from wavae layer specs with Conv2d, Linear
// and ConvTranspose2d, their parameters (drawn in float32), inputs x and eps, and the loss,
// reconstruction, KL and every parameter gradient from autograd in float64. On each backend, wavae
// builds the same model from the same specs, must name and shape its tensors as the state_dict
// does and resolve the same layers, and with the fixture's parameters its gradients() must give
// torch's numbers to 1e-5 relative: max|wavae - torch| <= 1e-5 max(max|torch|, tiny) per tensor.
// One line per tensor shows the difference (as llm.c's check_tensor does).
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { TOLERANCE, checkTensor, expectedSpecs, f32, layerShapes, overTolerance, resolvedSpecs, shapesByName, type LayerShape } from './torch-fixture.js';

interface FixtureCase {
  name: string;
  options: { inputShape: number[]; latentDim: number; activation: wv.VAEOptions['activation']; beta: number; encoder: wv.LayerSpec[]; decoder?: wv.LayerSpec[] };
  /** The decoder PyTorch built when options has none: wavae's mirror of the encoder. */
  decoderMirror?: wv.LayerSpec[];
  layers: { encoder: LayerShape[]; decoder: LayerShape[] };
  tensors: { name: string; shape: number[] }[];
  n: number;
  params: Record<string, number[]>;
  x: number[];
  eps: number[];
  loss: number;
  reconstruction: number;
  kl: number;
  grads: Record<string, number[]>;
}

const fixture = JSON.parse(fs.readFileSync(new URL('./fixtures/torch-conv-vae.json', import.meta.url), 'utf8')) as { torch: string; dtype: string; cases: FixtureCase[] };

describe('the torch conv VAE fixture', () => {
  it('has the cases, every tensor of each, and gradients of the same shapes', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(2);
    for (const c of fixture.cases) {
      const names = c.tensors.map((t) => t.name);
      expect(Object.keys(c.params)).toEqual(names);
      expect(Object.keys(c.grads)).toEqual(names);
      for (const t of c.tensors) {
        const size = t.shape.reduce((a, b) => a * b, 1);
        expect(c.params[t.name].length, t.name).toBe(size);
        expect(c.grads[t.name].length, t.name).toBe(size);
      }
      expect(c.x.length).toBe(c.n * c.options.inputShape.reduce((a, b) => a * b, 1));
      expect(c.eps.length).toBe(c.n * c.options.latentDim);
      expect(c.x.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
  });
});

for (const backend of ['js', 'wasm'] as const) {
  describe(`conv VAEs on ${backend} against torch (${fixture.torch}, ${fixture.dtype})`, () => {
    beforeAll(async () => {
      await wv.init({ backend });
    });

    for (const c of fixture.cases) {
      it(c.name, () => {
        const vae = new wv.VAE({ ...c.options, seed: 1 });
        try {
          // names and shapes: the state_dict's keys and shapes (as a set: wavae's flat layout stores the weights first)
          expect(vae.layout.tensors.length).toBe(c.tensors.length);
          expect(shapesByName(vae.layout.tensors)).toEqual(shapesByName(c.tensors));
          // the layers PyTorch built: types, shapes, names, kernel geometry and activations
          expect(layerShapes(vae.encoder.resolved)).toEqual(c.layers.encoder);
          expect(layerShapes(vae.decoder.resolved)).toEqual(c.layers.decoder);
          const decoderSpecs = c.options.decoder ?? c.decoderMirror;
          expect(decoderSpecs, 'the fixture names the decoder PyTorch built').toBeDefined();
          expect(resolvedSpecs(vae.encoder.resolved)).toEqual(expectedSpecs(c.options.encoder, c.options.activation as string, false));
          expect(resolvedSpecs(vae.decoder.resolved)).toEqual(expectedSpecs(decoderSpecs as wv.LayerSpec[], c.options.activation as string, true));

          const params: Record<string, Float32Array> = {};
          for (const t of c.tensors) params[t.name] = f32(c.params[t.name], t.name);
          vae.setParameters(params);
          const x = f32(c.x, 'x');
          const eps = f32(c.eps, 'eps');
          const { loss, reconstruction, kl, grads } = vae.gradients(x, { eps });

          console.log(`--- ${backend}: ${c.name}`);
          const rels: Record<string, number> = {
            loss: checkTensor('loss', [loss], [c.loss]),
            reconstruction: checkTensor('reconstruction', [reconstruction], [c.reconstruction]),
            kl: checkTensor('kl', [kl], [c.kl]),
          };
          expect(Object.keys(grads).sort()).toEqual(c.tensors.map((t) => t.name).sort());
          for (const t of c.tensors) rels[`grad ${t.name}`] = checkTensor(`grad ${t.name}`, grads[t.name], c.grads[t.name]);
          expect(overTolerance(rels), `relative differences above ${TOLERANCE}`).toEqual([]);
        } finally {
          vae.dispose();
        }
      });
    }
  });
}
