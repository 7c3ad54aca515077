// Layers as data: a model's encoder and decoder are stacks of plain JSON layer specs, checked
// when the model is built, stored in its file, and rebuilt from the file alone. hiddenDims is the
// shorthand for a dense stack and gives bitwise the same model as the specs it stands for.
import { beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { Rng } from '../src/random.js';
import { expectError } from './helpers.js';
import { checkAllGradients, toF64, vaeObjective, type Params } from './reference.js';

const bitwise = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const sameParameters = (a: wv.Model, b: wv.Model): boolean => {
  const [p, q] = [a.parameters(), b.parameters()];
  return Object.keys(p).length === Object.keys(q).length && Object.keys(p).every((k) => q[k] && bitwise(p[k], q[k]));
};
const rows = (n: number, d: number, seed = 3): Float32Array => {
  const r = new Rng(seed);
  return Float32Array.from({ length: n * d }, () => r.uniform());
};
const header = (bytes: Uint8Array): Record<string, string> => wv.readMetadata(bytes);

for (const backend of ['wasm', 'js'] as const) {
  describe(`layer specs on ${backend}`, () => {
    beforeAll(async () => {
      await wv.init({ backend });
    });

    it('dense layer specs give bitwise the model hiddenDims gives: parameters, training, outputs (VAE and Autoencoder)', async () => {
      const x = rows(40, 12);
      const pairs: [wv.Model, wv.Model][] = [
        [new wv.VAE({ inputDim: 12, hiddenDims: [9, 7], latentDim: 3, activation: 'tanh', seed: 4 }),
          new wv.VAE({ inputDim: 12, encoder: [{ type: 'dense', units: 9 }, { type: 'dense', units: 7 }], latentDim: 3, activation: 'tanh', seed: 4 })],
        [new wv.Autoencoder({ inputDim: 12, hiddenDims: [8], latentDim: 4, seed: 5 }),
          new wv.Autoencoder({ inputDim: 12, encoder: [{ type: 'dense', units: 8 }], decoder: [{ type: 'dense', units: 8 }, { type: 'dense', units: 12 }], latentDim: 4, seed: 5 })],
      ];
      for (const [short, specs] of pairs) {
        expect(specs.layout.tensors.map((t) => [t.name, t.shape])).toEqual(short.layout.tensors.map((t) => [t.name, t.shape]));
        expect(sameParameters(short, specs)).toBe(true);
        const fit = { epochs: 2, batchSize: 16, optimizer: { type: 'adam' as const, lr: 1e-2 } };
        const [h1, h2] = [await short.fit(x, fit), await specs.fit(x, fit)];
        expect(h2.loss).toEqual(h1.loss);
        expect(sameParameters(short, specs)).toBe(true);
        expect(bitwise(specs.reconstruct(x).data, short.reconstruct(x).data)).toBe(true);
        short.dispose();
        specs.dispose();
      }
    });

    it('an image input shape: the shorthand flattens and reshapes, the same numbers as flat rows', async () => {
      const flat = new wv.VAE({ inputDim: 12, hiddenDims: [6], latentDim: 2, seed: 6 });
      const image = new wv.VAE({ inputShape: [1, 3, 4], hiddenDims: [6], latentDim: 2, seed: 6 });
      expect(image.inputDim).toBe(12);
      expect(image.encoder.resolved.map((l) => l.spec.type)).toEqual(['flatten', 'dense']);
      expect(image.decoder.resolved.map((l) => l.spec.type)).toEqual(['dense', 'dense', 'reshape']);
      expect(image.decoder.resolved[2].output).toEqual([1, 3, 4]);
      expect(sameParameters(flat, image)).toBe(true);
      const x = rows(10, 12);
      await flat.fit(x, { epochs: 1, batchSize: 4 });
      await image.fit(x, { epochs: 1, batchSize: 4 });
      expect(bitwise(image.decode(wv.matrix(2, 2, Float32Array.of(0.1, -0.3, 1, 2))).data, flat.decode(wv.matrix(2, 2, Float32Array.of(0.1, -0.3, 1, 2))).data)).toBe(true);
      expect(image.config()).toMatchObject({ inputShape: [1, 3, 4], hiddenDims: [6] });
      expect(header(image.save()).format_version).toBe('2'); // inputShape needs version 2
      flat.dispose();
      image.dispose();
    });

    it('flatten and reshape inside a stack move no data: the same model as without them', () => {
      const plain = new wv.VAE({ inputDim: 12, encoder: [{ type: 'dense', units: 8 }, { type: 'dense', units: 6 }], latentDim: 2, seed: 7 });
      const shaped = new wv.VAE({
        inputDim: 12,
        encoder: [{ type: 'dense', units: 8 }, { type: 'reshape', shape: [2, 2, 2] }, { type: 'flatten' }, { type: 'dense', units: 6 }],
        decoder: [{ type: 'dense', units: 6 }, { type: 'reshape', shape: [3, 2] }, { type: 'flatten' }, { type: 'dense', units: 8 }, { type: 'dense', units: 12 }],
        latentDim: 2, seed: 7,
      });
      expect(shaped.layout.tensors.map((t) => t.name)).toEqual(plain.layout.tensors.map((t) => t.name)); // flatten and reshape take no number
      const x = rows(5, 12);
      const eps = rows(5, 2, 9);
      const [a, b] = [plain.gradients(x, { eps }), shaped.gradients(x, { eps })];
      expect(b.loss).toBe(a.loss);
      for (const name of Object.keys(a.grads)) expect(bitwise(b.grads[name], a.grads[name])).toBe(true);
      plain.dispose();
      shaped.dispose();
    });

    it('per-layer activations: the analytic gradients match central differences of an independent float64 model', () => {
      const [n, D, L] = [4, 6, 3];
      const vae = new wv.VAE({
        inputDim: D, latentDim: L, activation: 'relu', seed: 8, beta: 0.8, weightDecay: 0.01,
        encoder: [{ type: 'dense', units: 5, activation: 'tanh' }, { type: 'dense', units: 4 }],
        decoder: [{ type: 'dense', units: 4, activation: 'sigmoid' }, { type: 'dense', units: 5, activation: 'leaky_relu' }, { type: 'dense', units: D }],
      });
      const x = rows(n, D, 11);
      const eps = Float32Array.from({ length: n * L }, (_, i) => Math.sin(i + 1));
      const { loss, grads } = vae.gradients(x, { eps });
      const cfg = { hidden: 2, likelihood: 'bernoulli' as const, beta: 0.8, weightDecay: 0.01, act: 'relu' as const,
        encoderActs: ['tanh', 'relu'] as const, decoderActs: ['sigmoid', 'leaky_relu', 'identity'] as const };
      const objective = (p: Params): number => vaeObjective(p, cfg, Float64Array.from(x), Float64Array.from(eps), n);
      expect(Math.abs(loss - objective(toF64(vae.parameters())))).toBeLessThan(1e-4 * Math.max(1, loss));
      expect(checkAllGradients(grads, vae.parameters(), objective)).toBeLessThan(2e-3);
      vae.dispose();
    });

    it('the default decoder mirrors a dense encoder, its activations included', () => {
      const vae = new wv.VAE({ inputDim: 10, encoder: [{ type: 'dense', units: 8, activation: 'tanh' }, { type: 'dense', units: 6 }], latentDim: 2 });
      expect(vae.decoder.resolved.map((l) => l.spec)).toEqual([
        { type: 'dense', units: 6, activation: 'relu' }, { type: 'dense', units: 8, activation: 'tanh' }, { type: 'dense', units: 10, activation: 'identity' },
      ]);
      vae.dispose();
    });

    it('the file stores every layer spec, and rebuilds the model from the file alone (format version 2)', async () => {
      const ae = new wv.Autoencoder({
        inputShape: [2, 3, 2], latentDim: 3, loss: 'bce', seed: 9,
        encoder: [{ type: 'flatten' }, { type: 'dense', units: 7, activation: 'leaky_relu' }],
        decoder: [{ type: 'dense', units: 7 }, { type: 'dense', units: 12 }, { type: 'reshape', shape: [2, 3, 2] }],
      });
      await ae.fit(rows(20, 12), { epochs: 1, batchSize: 8 });
      const bytes = ae.save({ optimizer: true });
      const meta = header(bytes);
      expect(meta.format_version).toBe('2');
      const config = JSON.parse(meta.config);
      expect(config).toMatchObject({
        inputShape: [2, 3, 2],
        encoder: [{ type: 'flatten' }, { type: 'dense', units: 7, activation: 'leaky_relu' }],
        decoder: [{ type: 'dense', units: 7, activation: 'relu' }, { type: 'dense', units: 12, activation: 'identity' }, { type: 'reshape', shape: [2, 3, 2] }],
      });
      expect(config.hiddenDims).toBeUndefined();
      const again = wv.load(bytes);
      expect(again.config()).toEqual(ae.config());
      expect(sameParameters(again, ae)).toBe(true);
      expect(bitwise(again.reconstruct(rows(3, 12)).data, ae.reconstruct(rows(3, 12)).data)).toBe(true);
      expect(Buffer.from(again.save({ optimizer: true })).equals(Buffer.from(bytes))).toBe(true);
      ae.dispose();
      again.dispose();
    });

    it('dense models described by hiddenDims still write format version 1, readable by every wavae', () => {
      const vae = new wv.VAE({ inputDim: 8, hiddenDims: [5], latentDim: 2 });
      expect(header(vae.save())).toMatchObject({ format_version: '1', model: 'vae' });
      expect(JSON.parse(header(vae.save()).config)).toMatchObject({ inputDim: 8, hiddenDims: [5] });
      vae.dispose();
    });
  });
}

describe('layer specs that do not fit are INVALID_OPTION errors naming the layer and the shapes', () => {
  beforeAll(async () => {
    await wv.init({ backend: 'js' });
  });

  it('shapes that do not chain, decoders that miss the input shape', () => {
    expectError(() => new wv.VAE({ inputShape: [1, 4, 4], encoder: [{ type: 'dense', units: 8 }], latentDim: 2 }),
      'INVALID_OPTION', /VAE: encoder\[0\] \(dense\): dense needs a flat input, got shape \[1, 4, 4\]; add \{ type: 'flatten' \}/);
    expectError(() => new wv.VAE({ inputDim: 12, encoder: [{ type: 'dense', units: 8 }, { type: 'reshape', shape: [2, 2, 2] }], latentDim: 2 }),
      'INVALID_OPTION', /encoder must end flat .* got shape \[2, 2, 2\]/);
    expectError(() => new wv.VAE({ inputDim: 12, encoder: [{ type: 'reshape', shape: [5, 2] }], latentDim: 2 }),
      'INVALID_OPTION', /encoder\[0\] \(reshape\): cannot reshape \[12\] \(12 values\) to \[5, 2\] \(10 values\)/);
    expectError(() => new wv.VAE({ inputDim: 12, encoder: [{ type: 'dense', units: 8 }], decoder: [{ type: 'dense', units: 8 }, { type: 'dense', units: 11 }], latentDim: 2 }),
      'INVALID_OPTION', /decoder\[1\] \(dense\) ends at shape \[11\], but the decoder must end at the input shape \[12\]/);
    expectError(() => new wv.Autoencoder({ inputShape: [1, 2, 6], encoder: [{ type: 'flatten' }, { type: 'dense', units: 4 }], decoder: [{ type: 'dense', units: 12 }, { type: 'reshape', shape: [1, 6, 2] }], latentDim: 2 }),
      'INVALID_OPTION', /ends at shape \[1, 6, 2\], but the decoder must end at the input shape \[1, 2, 6\]/);
  });

  it('unknown types, unknown or bad options, an activation on the output layer', () => {
    expectError(() => new wv.VAE({ inputDim: 12, encoder: [{ type: 'conv3d' } as never], latentDim: 2 }),
      'INVALID_OPTION', /encoder\[0\] \(conv3d\): a layer spec needs a type, one of dense, conv2d, conv2dTranspose, flatten, reshape/);
    expectError(() => new wv.VAE({ inputDim: 12, encoder: [{ type: 'dense', unit: 8 } as never], latentDim: 2 }),
      'UNKNOWN_OPTION', /encoder\[0\] \(dense\): unknown option 'unit' \(did you mean 'units'\?\)/);
    expectError(() => new wv.VAE({ inputDim: 12, encoder: [{ type: 'dense', units: 0 }], latentDim: 2 }), 'INVALID_OPTION', /units must be an integer/);
    expectError(() => new wv.VAE({ inputDim: 12, encoder: [{ type: 'dense', units: 4, activation: 'gelu' }], latentDim: 2 }), 'INVALID_OPTION', /activation must be one of/);
    expectError(() => new wv.VAE({ inputDim: 12, encoder: [{ type: 'dense', units: 4 }], decoder: [{ type: 'dense', units: 12, activation: 'sigmoid' }], latentDim: 2 }),
      'INVALID_OPTION', /decoder\[0\] \(dense\): the last layer gives the logits or means .* takes no activation/);
    expectError(() => new wv.VAE({ inputDim: 12, encoder: 'dense' as never, latentDim: 2 }), 'INVALID_OPTION', /encoder must be an array of at most 128 layer specs/);
    expectError(() => new wv.VAE({ inputDim: 12, encoder: Array.from({ length: 129 }, () => ({ type: 'flatten' })), latentDim: 2 }), 'INVALID_OPTION', /at most 128/);
  });

  it('bounds: 126 hidden layers (the decoder adds one, an image encoder its flatten), 2^26 values per row of any layer', () => {
    const deep = new wv.VAE({ inputShape: [1, 4, 4], hiddenDims: Array(126).fill(3), latentDim: 2 });
    expect(deep.decoder.resolved.length).toBe(128); // 126 mirrored, the output layer, the reshape
    deep.dispose();
    expectError(() => new wv.VAE({ inputDim: 10, hiddenDims: Array(127).fill(3) }), 'INVALID_OPTION', /hiddenDims may list at most 126 layers/);
    expectError(() => new wv.VAE({ inputDim: 4, encoder: [{ type: 'dense', units: 4 }],
      decoder: [{ type: 'dense', units: 4 }, { type: 'reshape', shape: [1, 2, 2] }, { type: 'conv2dTranspose', filters: 64, kernelSize: 1024, stride: 1024 }, { type: 'flatten' }, { type: 'dense', units: 4 }] }),
    'INVALID_OPTION', /decoder\[2\] \(conv2dTranspose\): its output \[64, 2048, 2048\] from \[1, 2, 2\] has 268435456 values per row, more than 67108864/);
  });

  it('shorthand and specs together, a decoder without an encoder, inputDim against inputShape', () => {
    expectError(() => new wv.VAE({ inputDim: 12, hiddenDims: [4], encoder: [{ type: 'dense', units: 4 }] }), 'INVALID_OPTION', /hiddenDims .* or encoder\/decoder layer specs, not both/);
    expectError(() => new wv.VAE({ inputDim: 12, decoder: [{ type: 'dense', units: 12 }] }), 'INVALID_OPTION', /a decoder needs an encoder/);
    expectError(() => new wv.VAE({ inputDim: 10, inputShape: [1, 3, 4] }), 'INVALID_OPTION', /inputDim 10 is not the size of inputShape \[1, 3, 4\] \(12\)/);
    expectError(() => new wv.VAE({ inputShape: [1, 0, 4] }), 'INVALID_OPTION', /inputShape must be/);
  });

  it('a model file whose layer specs were tampered with is CORRUPT_FILE, never a model of another shape', () => {
    const vae = new wv.VAE({ inputDim: 12, encoder: [{ type: 'dense', units: 8 }], latentDim: 2 });
    const { tensors, metadata } = wv.decodeSafetensors(vae.save());
    const withConfig = (edit: (c: Record<string, any>) => void): Uint8Array => {
      const config = JSON.parse(metadata.config);
      edit(config);
      return wv.encodeSafetensors(tensors, { ...metadata, config: JSON.stringify(config) });
    };
    expectError(() => wv.load(withConfig((c) => { c.encoder[0].units = 9; })), 'CORRUPT_FILE', /'encoder.0.weight' has shape \[8, 12\], the architecture needs \[9, 12\]/);
    expectError(() => wv.load(withConfig((c) => { c.encoder[0].type = 'dence'; })), 'CORRUPT_FILE', /architecture is invalid: .*a layer spec needs a type/);
    expectError(() => wv.load(withConfig((c) => { c.encoder = Array.from({ length: 100000 }, () => ({ type: 'flatten' })); })), 'CORRUPT_FILE', /at most 128/);
    vae.dispose();
  });
});
