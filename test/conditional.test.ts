// Conditional VAEs and autoencoders (conditionDim): the first dense layer of the encoder (or the
// latent heads, or the code layer) takes [x, c] and the decoder's first layer [z, c], computed as
// two GEMMs into one output on the weight's two blocks of columns. Their analytic gradients match
// central differences of the float64 reference, which concatenates the inputs (one sum over all
// columns), dense and conv, on both backends; the backends agree; the condition is checked at
// every entry point; files keep it (PyTorch layout, format version 3) and resume exactly.
import { beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { Rng } from '../src/random.js';
import { expectError } from './helpers.js';
import { checkAllGradients, stackAeObjective, stackVaeObjective, toF64, type Params } from './reference.js';

const uniform = (len: number, seed: number): Float32Array => {
  const r = new Rng(seed);
  return Float32Array.from({ length: len }, () => r.uniform());
};

/** A condition that is not one-hot: real features exercise every column of W_c. */
const features = (n: number, C: number, seed: number): Float32Array => {
  const r = new Rng(seed);
  return Float32Array.from({ length: n * C }, () => 2 * r.uniform() - 1);
};

const VAE_CASES: { label: string; options: wv.VAEOptions; n: number }[] = [
  { label: 'dense 7-5-2, condition 3 (the encoder\'s first layer and the decoder\'s take it)', options: { inputDim: 7, hiddenDims: [5], latentDim: 2 }, n: 3 },
  { label: 'dense, two hidden layers, tanh, condition 1', options: { inputDim: 6, hiddenDims: [5, 4], latentDim: 3, activation: 'tanh' }, n: 2 },
  { label: 'no hidden layer: the latent heads take [x, c]', options: { inputDim: 5, hiddenDims: [], latentDim: 2 }, n: 3 },
  {
    label: 'conv: c joins after the flatten, at the dense layer', n: 2,
    options: { inputShape: [2, 6, 5], latentDim: 2, encoder: [{ type: 'conv2d', filters: 3, kernelSize: 3, stride: 2, padding: 1, activation: 'tanh' }, { type: 'flatten' }, { type: 'dense', units: 4 }] },
  },
  {
    label: 'conv without a dense layer: the heads take [h, c]; explicit conv decoder', n: 2,
    options: {
      inputShape: [1, 7, 7], latentDim: 2, encoder: [{ type: 'conv2d', filters: 2, kernelSize: 3, stride: 2, padding: 1 }, { type: 'flatten' }],
      decoder: [{ type: 'dense', units: 18, activation: 'sigmoid' }, { type: 'reshape', shape: [2, 3, 3] }, { type: 'conv2dTranspose', filters: 1, kernelSize: 3, stride: 2, padding: 0 }],
    },
  },
];
const CONDITION_DIMS = [3, 1, 4, 3, 2];

for (const backend of ['wasm', 'js'] as const) {
  describe(`conditional models on ${backend}: gradients against float64 central differences of [x, c] concatenated`, () => {
    beforeAll(async () => {
      await wv.init({ backend });
    });
    VAE_CASES.forEach((c, k) => {
      it(`VAE, ${c.label}`, () => {
        const C = CONDITION_DIMS[k];
        const vae = new wv.VAE({ ...c.options, conditionDim: C, beta: 0.8, seed: 31 });
        const L = vae.latentDim;
        const x = uniform(c.n * vae.inputDim, 5);
        const cond = features(c.n, C, 6);
        const eps = Float32Array.from({ length: c.n * L }, (_, i) => Math.cos(i + 0.5));
        const { loss, grads } = vae.gradients(x, { eps, condition: cond });
        const objective = (p: Params): number =>
          stackVaeObjective(p, vae.encoder.resolved, vae.decoder.resolved, 0.8, Float64Array.from(x), Float64Array.from(eps), c.n, Float64Array.from(cond));
        expect(Math.abs(loss - objective(toF64(vae.parameters())))).toBeLessThan(1e-4 * Math.max(1, loss));
        expect(checkAllGradients(grads, vae.parameters(), objective)).toBeLessThan(2e-3);
        vae.dispose();
      });
    });

    for (const loss of ['mse', 'bce'] as const) {
      it(`Autoencoder (${loss}), dense and conv; with no hidden layer the code layer takes [x, c]`, () => {
        const configs: wv.AutoencoderOptions[] = [
          { inputDim: 6, hiddenDims: [4], latentDim: 2 },
          { inputDim: 5, hiddenDims: [], latentDim: 3 },
          { inputShape: [2, 5, 5], latentDim: 2, encoder: [{ type: 'conv2d', filters: 2, kernelSize: 3, stride: 2, padding: 1 }, { type: 'flatten' }, { type: 'dense', units: 3, activation: 'tanh' }] },
        ];
        for (const options of configs) {
          const ae = new wv.Autoencoder({ ...options, conditionDim: 2, loss, seed: 8 });
          const n = 3;
          const x = uniform(n * ae.inputDim, 9);
          const cond = features(n, 2, 10);
          const { loss: value, grads } = ae.gradients(x, { condition: cond });
          const objective = (p: Params): number => stackAeObjective(p, ae.encoder.resolved, ae.decoder.resolved, loss, Float64Array.from(x), n, Float64Array.from(cond));
          expect(Math.abs(value - objective(toF64(ae.parameters())))).toBeLessThan(1e-4 * Math.max(1, value));
          expect(checkAllGradients(grads, ae.parameters(), objective)).toBeLessThan(2e-3);
          ae.dispose();
        }
      });
    }
  });
}

describe('conditional models: the backends agree', () => {
  it('wasm and js give the same losses, gradients and outputs to float32 rounding', async () => {
    const options: wv.VAEOptions = {
      inputShape: [1, 12, 12], latentDim: 4, conditionDim: 5, seed: 2,
      encoder: [{ type: 'conv2d', filters: 4, kernelSize: 4, stride: 2, padding: 1 }, { type: 'flatten' }, { type: 'dense', units: 33 }],
    };
    const n = 37;
    const x = uniform(n * 144, 3);
    const condition = wv.oneHot(Array.from({ length: n }, (_, i) => i % 5), 5);
    const eps = Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(i));
    const z = Float32Array.from({ length: n * 4 }, (_, i) => Math.cos(i));
    const run = async (backend: 'wasm' | 'js') => {
      await wv.init({ backend });
      const vae = new wv.VAE(options);
      const g = vae.gradients(x, { eps, condition });
      const out = { loss: g.loss, grads: g.grads, decoded: vae.decode(z, { condition }).data, mean: vae.encode(x, { condition }).mean.data };
      vae.dispose();
      return out;
    };
    const [a, b] = [await run('wasm'), await run('js')];
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5 * Math.abs(b.loss));
    const close = (p: Float32Array, q: Float32Array, label: string): void => {
      let scale = 1e-30;
      let worst = 0;
      for (let i = 0; i < q.length; i++) {
        scale = Math.max(scale, Math.abs(q[i]));
        worst = Math.max(worst, Math.abs(p[i] - q[i]));
      }
      expect(worst / scale, label).toBeLessThan(1e-4);
    };
    for (const name of Object.keys(b.grads)) close(a.grads[name], b.grads[name], name);
    close(a.decoded, b.decoded, 'decode');
    close(a.mean, b.mean, 'encode');
  });
});

describe('conditional models: the contract', () => {
  beforeAll(async () => {
    await wv.init();
  });

  it('oneHot: one row per label; labels outside [0, k) name the first bad index', () => {
    const m = wv.oneHot(new Uint8Array([2, 0, 1]), 3);
    expect([m.rows, m.cols]).toEqual([3, 3]);
    expect(Array.from(m.data)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    expectError(() => wv.oneHot([0, 1, 3, 5], 3), 'INVALID_OPTION', /labels\[2\] is 3, not an integer in \[0, 3\)/);
    expectError(() => wv.oneHot([0, 1.5], 3), 'INVALID_OPTION', /labels\[1\] is 1.5/);
    expectError(() => wv.oneHot([0, -1], 3), 'INVALID_OPTION', /labels\[1\]/);
    expectError(() => wv.oneHot([0, Number.NaN], 3), 'INVALID_OPTION', /labels\[1\] is NaN/);
    expectError(() => wv.oneHot([0], 0), 'INVALID_OPTION', /oneHot: k/);
    expectError(() => wv.oneHot('abc' as unknown as number[], 3), 'INVALID_OPTION', /labels must be an array/);
    expectError(() => wv.oneHot(null as unknown as number[], 3), 'INVALID_OPTION', /labels must be/);
  });

  it('every call of a conditional model needs the condition; other models refuse one', async () => {
    const cvae = new wv.VAE({ inputDim: 6, hiddenDims: [4], latentDim: 2, conditionDim: 3, seed: 1 });
    const vae = new wv.VAE({ inputDim: 6, hiddenDims: [4], latentDim: 2, seed: 1 });
    const cae = new wv.Autoencoder({ inputDim: 6, hiddenDims: [4], latentDim: 2, conditionDim: 3, seed: 1 });
    const x = uniform(4 * 6, 1);
    const z = uniform(4 * 2, 2);
    const condition = wv.oneHot([0, 1, 2, 0], 3);
    const calls: [string, (o: { condition?: wv.Matrix }) => unknown][] = [
      ['evaluate', (o) => cvae.evaluate(x, o)], ['encode', (o) => cvae.encode(x, o)], ['decode', (o) => cvae.decode(z, o)],
      ['encode', (o) => cvae.reconstruct(x, o)], ['encode', (o) => cvae.codes(x, o)], ['sample', (o) => cvae.sample(4, o)],
      ['logLikelihood', (o) => cvae.logLikelihood(x, { ...o, samples: 3 })], ['gradients', (o) => cvae.gradients(x, { ...o, eps: z })],
      ['decode', (o) => cvae.interpolate([0, 0], [1, 1], 4, o)], ['decode', (o) => cvae.traverse([0, 0], 1, { ...o, steps: 4 })],
      ['evaluate', (o) => cae.evaluate(x, o)], ['encode', (o) => cae.encode(x, o)], ['decode', (o) => cae.decode(z, o)], ['gradients', (o) => cae.gradients(x, o)],
    ];
    for (const [where, call] of calls) {
      expectError(() => call({}), 'INVALID_OPTION', new RegExp(`${where}: this model is conditional \\(conditionDim 3\\): pass options.condition`));
      expect(() => call({ condition })).not.toThrow();
    }
    await expect(cvae.fit(x, { epochs: 1 })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/fit: this model is conditional/) });
    await expect(cvae.fit(x, { epochs: 1, condition, validationData: x })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/pass options.validationCondition/) });
    await expect(cvae.fit(x, { epochs: 1, condition, validationCondition: condition })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/validationCondition without validationData/) });
    await expect(vae.fit(x, { epochs: 1, condition })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/takes no condition/) });
    expectError(() => vae.encode(x, { condition }), 'INVALID_OPTION', /encode: this model takes no condition/);
    expectError(() => vae.sample(4, { condition }), 'INVALID_OPTION', /takes no condition/);
    // rows, width, values
    expectError(() => cvae.encode(x, { condition: wv.oneHot([0, 1, 2], 3) }), 'SHAPE_MISMATCH', /encode: condition has 3 rows, expected 4 \(one per row of x\)/);
    expectError(() => cvae.sample(5, { condition }), 'SHAPE_MISMATCH', /sample: condition has 4 rows, expected 5 \(one per sample\)/);
    expectError(() => cvae.encode(x, { condition: wv.oneHot([0, 1, 2, 3], 4) }), 'SHAPE_MISMATCH', /encode: condition: expected 3 columns, got 4/);
    expectError(() => cvae.encode(x, { condition: new Float32Array(13) }), 'SHAPE_MISMATCH', /condition: a Float32Array of length 13/);
    const bad = new Float32Array(12);
    bad[7] = Number.NaN;
    expectError(() => cvae.encode(x, { condition: bad }), 'NON_FINITE_INPUT', /encode: condition: value NaN at row 2, column 1/);
    await expect(cvae.fit(x, { epochs: 1, condition: bad })).rejects.toMatchObject({ code: 'NON_FINITE_INPUT', message: expect.stringMatching(/row 2, column 1/) });
    for (const m of [cvae, vae, cae]) m.dispose();
  });

  it('conditionDim is checked, and a conditional decoder must start with a dense layer', () => {
    expectError(() => new wv.VAE({ inputDim: 6, conditionDim: -1 }), 'INVALID_OPTION', /conditionDim/);
    expectError(() => new wv.VAE({ inputDim: 6, conditionDim: 1.5 }), 'INVALID_OPTION', /conditionDim/);
    expectError(() => new wv.VAE({ inputDim: 6, conditionDim: 2 ** 20 }), 'INVALID_OPTION', /conditionDim/);
    expectError(() => new wv.VAE({
      inputShape: [1, 4, 4], latentDim: 4, conditionDim: 2,
      encoder: [{ type: 'flatten' }, { type: 'dense', units: 3 }],
      decoder: [{ type: 'reshape', shape: [1, 2, 2] }, { type: 'conv2dTranspose', filters: 1, kernelSize: 2, stride: 2 }],
    }), 'INVALID_OPTION', /a conditional decoder starts with a dense layer, which takes \[z, c\]; decoder\[0\] is a reshape layer/);
  });

  it('the condition changes the output; the same condition gives the same output', () => {
    const cvae = new wv.VAE({ inputDim: 6, hiddenDims: [8], latentDim: 2, conditionDim: 3, seed: 4 });
    const z = new Float32Array(2 * 2);
    const [a, b] = [cvae.decode(z, { condition: wv.oneHot([0, 0], 3) }), cvae.decode(z, { condition: wv.oneHot([0, 2], 3) })];
    expect(Array.from(b.data.subarray(0, 6))).toEqual(Array.from(a.data.subarray(0, 6)));
    expect(Array.from(b.data.subarray(6))).not.toEqual(Array.from(a.data.subarray(6)));
    cvae.dispose();
  });

  it('files: PyTorch layout ([x, c] and [z, c] weights), conditionDim in the metadata, format version 3; save/load and a state_dict alone give the same model', () => {
    const cvae = new wv.VAE({ inputDim: 6, hiddenDims: [5], latentDim: 2, conditionDim: 3, seed: 4 });
    const shapes = Object.fromEntries(cvae.layout.tensors.map((t) => [t.name, t.shape]));
    expect(shapes['encoder.0.weight']).toEqual([5, 9]);
    expect(shapes['decoder.0.weight']).toEqual([5, 5]);
    expect(shapes['mean.weight']).toEqual([2, 5]);
    const bytes = cvae.save();
    const meta = wv.readMetadata(bytes);
    expect(meta.format_version).toBe('3');
    expect(JSON.parse(meta.config as string)).toMatchObject({ conditionDim: 3 });
    const x = uniform(4 * 6, 3);
    const condition = wv.oneHot([2, 1, 0, 2], 3);
    const expected = cvae.reconstruct(x, { condition }).data;
    const again = wv.load(bytes) as wv.VAE;
    expect(again.conditionDim).toBe(3);
    expect(Array.from(again.reconstruct(x, { condition }).data)).toEqual(Array.from(expected));
    // a state_dict without wavae metadata: the condition's width is read off decoder.0.weight
    const tensors = Object.fromEntries(cvae.layout.tensors.map((t) => [t.name, { shape: [...t.shape], data: cvae.parameters()[t.name] }]));
    const bare = wv.load(wv.encodeSafetensors(tensors)) as wv.VAE;
    expect(bare.conditionDim).toBe(3);
    expect(Array.from(bare.reconstruct(x, { condition }).data)).toEqual(Array.from(expected));
    const ae = new wv.Autoencoder({ inputDim: 6, hiddenDims: [5], latentDim: 2, conditionDim: 3, seed: 4 });
    const aeTensors = Object.fromEntries(ae.layout.tensors.map((t) => [t.name, { shape: [...t.shape], data: ae.parameters()[t.name] }]));
    expect((wv.load(wv.encodeSafetensors(aeTensors)) as wv.Autoencoder).conditionDim).toBe(3);
    for (const m of [cvae, again, bare, ae]) m.dispose();
  });

  it('training resumes exactly through a file with the optimizer state', async () => {
    const options: wv.VAEOptions = {
      inputShape: [1, 8, 8], latentDim: 3, conditionDim: 4, seed: 9,
      encoder: [{ type: 'conv2d', filters: 3, kernelSize: 3, stride: 2, padding: 1 }, { type: 'flatten' }, { type: 'dense', units: 10 }],
    };
    const x = uniform(50 * 64, 11);
    const condition = wv.oneHot(Array.from({ length: 50 }, (_, i) => (i * 7) % 4), 4);
    const straight = new wv.VAE(options);
    await straight.fit(x, { condition, epochs: 2, batchSize: 16 });
    const first = new wv.VAE(options);
    await first.fit(x, { condition, epochs: 1, batchSize: 16 });
    const resumed = wv.load(first.save({ optimizer: true })) as wv.VAE;
    await resumed.fit(x, { condition, epochs: 1, batchSize: 16 });
    const [a, b] = [straight.parameters(), resumed.parameters()];
    for (const name of Object.keys(a)) expect(Buffer.from(b[name].buffer).equals(Buffer.from(a[name].buffer)), name).toBe(true);
    for (const m of [straight, first, resumed]) m.dispose();
  });

  it('fit() evaluates the validation data under its own condition', async () => {
    const cvae = new wv.VAE({ inputDim: 6, hiddenDims: [4], latentDim: 2, conditionDim: 2, seed: 5 });
    const x = uniform(20 * 6, 12);
    const v = uniform(7 * 6, 13);
    const condition = wv.oneHot(Array.from({ length: 20 }, (_, i) => i % 2), 2);
    const validationCondition = wv.oneHot([1, 0, 1, 1, 0, 0, 1], 2);
    const history = await cvae.fit(x, { condition, validationData: v, validationCondition, epochs: 2, batchSize: 8 });
    expect(history.valLoss[1]).toBe(cvae.evaluate(v, { condition: validationCondition }).loss);
    cvae.dispose();
  });
});

describe('conditional models: hostile files and sizes', () => {
  beforeAll(async () => {
    await wv.init();
  });

  it('a state_dict whose decoder.0.weight implies a condition wider than 65,536 is CORRUPT_FILE naming the tensor', () => {
    const t = (shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    const bytes = wv.encodeSafetensors({
      'encoder.0.weight': t([3, 4 + 70000]), 'encoder.0.bias': t([3]), 'mean.weight': t([2, 3]), 'mean.bias': t([2]),
      'logvar.weight': t([2, 3]), 'logvar.bias': t([2]), 'decoder.0.weight': t([3, 2 + 70000]), 'decoder.0.bias': t([3]),
      'decoder.1.weight': t([4, 3]), 'decoder.1.bias': t([4]),
    });
    expectError(() => wv.load(bytes), 'CORRUPT_FILE', /decoder.0.weight takes 70002 inputs for a code of 2: a condition of 70000 values, more than 65536/);
  });

  it('a file of format version 1 or 2 cannot carry conditionDim', () => {
    const cvae = new wv.VAE({ inputDim: 6, hiddenDims: [5], latentDim: 2, conditionDim: 3, seed: 4 });
    const bytes = cvae.save();
    const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
    header.__metadata__.format_version = '2';
    const text = new TextEncoder().encode(JSON.stringify(header));
    const edited = new Uint8Array(8 + text.length + bytes.length - 8 - len);
    new DataView(edited.buffer).setBigUint64(0, BigInt(text.length), true);
    edited.set(text, 8);
    edited.set(bytes.subarray(8 + len), 8 + text.length);
    expectError(() => wv.load(edited), 'CORRUPT_FILE', /format version 2, which has no conditionDim/);
    cvae.dispose();
  });

  it('oneHot refuses a result past 2^28 values before allocating it', () => {
    expectError(() => wv.oneHot(new Uint8Array(70000), 65536), 'OUT_OF_MEMORY', /oneHot: 70000 labels of 65536 classes/);
    expectError(() => wv.oneHot({ length: 2 ** 40 } as ArrayLike<number>, 3), 'OUT_OF_MEMORY', /oneHot/);
  });
});
