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

interface LayerShape {
  type: string;
  input: number[];
  output: number[];
  name: string | null;
}

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

const TOLERANCE = 1e-5;
const TINY = 1e-30;

/** max|got - want| relative to max|want|. */
function relativeDiff(got: ArrayLike<number>, want: ArrayLike<number>): { diff: number; scale: number; rel: number } {
  expect(got.length).toBe(want.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    diff = d > diff || Number.isNaN(d) ? d : diff;
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return { diff, scale, rel: diff / Math.max(scale, TINY) };
}

/** Compares one tensor (or scalar) and prints its line; returns the relative difference. */
function checkTensor(label: string, got: ArrayLike<number>, want: ArrayLike<number>): number {
  const { diff, scale, rel } = relativeDiff(got, want);
  const ok = rel <= TOLERANCE;
  console.log(`${ok ? 'OK    ' : 'NOT OK'} ${label.padEnd(34)} n ${String(want.length).padStart(5)}  max|torch| ${scale.toExponential(3)}  max|diff| ${diff.toExponential(3)}  rel ${rel.toExponential(2)}`);
  return rel;
}

/** A kernelSize / stride / padding / outputPadding option as [h, w]. */
const pair = (v: unknown, dflt: number): number[] => (Array.isArray(v) ? v : [v ?? dflt, v ?? dflt]) as number[];

/** A spec as wavae resolves it (defaults filled in), for comparison with the specs PyTorch was built from. */
function normalised(spec: wv.LayerSpec, activation: string): Record<string, unknown> {
  switch (spec.type) {
    case 'dense':
      return { type: 'dense', units: spec.units, activation };
    case 'conv2d':
    case 'conv2dTranspose':
      return { type: spec.type, filters: spec.filters, kernelSize: pair(spec.kernelSize, NaN), stride: pair(spec.stride, 1), padding: pair(spec.padding, 0),
        ...(spec.outputPadding !== undefined ? { outputPadding: pair(spec.outputPadding, 0) } : {}), activation }; // outputPadding: only where not zero
    default:
      return { ...spec };
  }
}

/** The specs PyTorch built, each with the activation scripts/conv-fixture.py gave it: the model's, the decoder's last parameterised layer linear. */
function expectedSpecs(specs: wv.LayerSpec[], activation: string, lastLinear: boolean): Record<string, unknown>[] {
  let last = -1;
  specs.forEach((s, i) => { if (s.type === 'dense' || s.type === 'conv2d' || s.type === 'conv2dTranspose') last = i; });
  return specs.map((s, i) => normalised(s, lastLinear && i === last ? 'identity' : ((s.activation as string | undefined) ?? activation)));
}

const f32 = (values: number[], what: string): Float32Array => {
  const out = Float32Array.from(values);
  // the fixture's inputs were drawn in float32: they read back exactly
  expect(out.every((v, i) => v === values[i]), `${what} is not float32-exact`).toBe(true);
  return out;
};

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
          const byName = (ts: readonly { name: string; shape: readonly number[] }[]) => Object.fromEntries(ts.map((t) => [t.name, [...t.shape]]));
          expect(vae.layout.tensors.length).toBe(c.tensors.length);
          expect(byName(vae.layout.tensors)).toEqual(byName(c.tensors));
          // the layers PyTorch built: types, shapes, names, kernel geometry and activations
          const shapes = (stack: wv.VAE['encoder']): LayerShape[] => stack.resolved.map((l) => ({ type: l.spec.type, input: [...l.input], output: [...l.output], name: l.name }));
          expect(shapes(vae.encoder)).toEqual(c.layers.encoder);
          expect(shapes(vae.decoder)).toEqual(c.layers.decoder);
          const decoderSpecs = c.options.decoder ?? c.decoderMirror;
          expect(decoderSpecs, 'the fixture names the decoder PyTorch built').toBeDefined();
          expect(vae.encoder.resolved.map((l) => ({ ...l.spec }))).toEqual(expectedSpecs(c.options.encoder, c.options.activation as string, false));
          expect(vae.decoder.resolved.map((l) => ({ ...l.spec }))).toEqual(expectedSpecs(decoderSpecs as wv.LayerSpec[], c.options.activation as string, true));

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
          const over = Object.entries(rels).filter(([, r]) => !(r <= TOLERANCE));
          expect(over, `relative differences above ${TOLERANCE}`).toEqual([]);
        } finally {
          vae.dispose();
        }
      });
    }
  });
}
