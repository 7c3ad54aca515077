// Convolutional models: conv2d and conv2dTranspose layers (src/nn/conv.ts) on the lowering
// kernels and the GEMM. The analytic gradients of whole conv VAEs match central differences of
// an independent float64 implementation (test/reference.ts, PyTorch's definitions written as
// loops), on awkward shapes; im2col and col2im are each other's adjoint; shapes are checked.
import { beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { Rng } from '../src/random.js';
import { expectError } from './helpers.js';
import { checkAllGradients, stackVaeObjective, toF64, type Params } from './reference.js';

const rows = (n: number, d: number, seed: number): Float32Array => {
  const r = new Rng(seed);
  return Float32Array.from({ length: n * d }, () => r.uniform());
};

const CASES: { label: string; inputShape: number[]; encoder: wv.LayerSpec[]; decoder?: wv.LayerSpec[]; n: number }[] = [
  {
    label: '1 channel 9x9, kernel 3 stride 2 padding 1, then kernel 1; transposed back', inputShape: [1, 9, 9], n: 2,
    encoder: [{ type: 'conv2d', filters: 3, kernelSize: 3, stride: 2, padding: 1, activation: 'tanh' }, { type: 'conv2d', filters: 2, kernelSize: 1 }, { type: 'flatten' }],
  },
  {
    label: '3 channels 7x6, kernel [3, 2], stride [1, 2], padding same-like; explicit decoder', inputShape: [3, 7, 6], n: 3,
    encoder: [{ type: 'conv2d', filters: 4, kernelSize: [3, 2], stride: [1, 2], padding: [1, 0], activation: 'sigmoid' }, { type: 'flatten' }, { type: 'dense', units: 5 }],
    decoder: [{ type: 'dense', units: 36, activation: 'tanh' }, { type: 'reshape', shape: [4, 3, 3] }, { type: 'conv2dTranspose', filters: 3, kernelSize: [3, 2], stride: [2, 2], padding: [0, 0] }],
  },
  {
    label: '2 channels 11x11, kernel 5 stride 3 padding 2; transposed kernels 4 stride 3, then 2', inputShape: [2, 11, 11], n: 1,
    encoder: [{ type: 'conv2d', filters: 3, kernelSize: 5, stride: 3, padding: 2, activation: 'leaky_relu' }, { type: 'flatten' }],
    decoder: [{ type: 'dense', units: 27 }, { type: 'reshape', shape: [3, 3, 3] }, { type: 'conv2dTranspose', filters: 2, kernelSize: 4, stride: 3, padding: 0, activation: 'tanh' }, { type: 'conv2dTranspose', filters: 2, kernelSize: 2, padding: 0 }],
  },
  {
    label: 'padding same, 17 channels', inputShape: [17, 5, 5], n: 2,
    encoder: [{ type: 'conv2d', filters: 2, kernelSize: 3, padding: 'same' }, { type: 'flatten' }],
  },
  {
    label: 'odd sizes: stride 2 rounds 8x7 down to 4x4, the mirror gives it back with outputPadding [1, 0]', inputShape: [2, 8, 7], n: 2,
    encoder: [{ type: 'conv2d', filters: 3, kernelSize: 3, stride: 2, padding: 1 }, { type: 'flatten' }],
  },
  {
    label: 'outputPadding [2, 1] on stride [3, 2], explicit decoder', inputShape: [1, 9, 6], n: 2,
    encoder: [{ type: 'flatten' }, { type: 'dense', units: 4 }],
    decoder: [{ type: 'dense', units: 18 }, { type: 'reshape', shape: [2, 3, 3] }, { type: 'conv2dTranspose', filters: 1, kernelSize: 3, stride: [3, 2], padding: 1, outputPadding: [2, 1] }],
  },
];

for (const backend of ['wasm', 'js'] as const) {
  describe(`conv VAEs on ${backend}: gradients against float64 central differences`, () => {
    beforeAll(async () => {
      await wv.init({ backend });
    });
    for (const c of CASES) {
      it(c.label, () => {
        const vae = new wv.VAE({ inputShape: c.inputShape, encoder: c.encoder, ...(c.decoder ? { decoder: c.decoder } : {}), latentDim: 2, beta: 0.9, seed: 21, activation: 'relu' });
        const D = vae.inputDim;
        const x = rows(c.n, D, 5);
        const eps = Float32Array.from({ length: c.n * 2 }, (_, i) => Math.cos(i + 0.5));
        const { loss, grads } = vae.gradients(x, { eps });
        const objective = (p: Params): number => stackVaeObjective(p, vae.encoder.resolved, vae.decoder.resolved, 0.9, Float64Array.from(x), Float64Array.from(eps), c.n);
        expect(Math.abs(loss - objective(toF64(vae.parameters())))).toBeLessThan(1e-4 * Math.max(1, loss));
        expect(checkAllGradients(grads, vae.parameters(), objective)).toBeLessThan(2e-3);
        vae.dispose();
      });
    }
  });
}

describe('conv layers: shapes, names, defaults, errors', () => {
  beforeAll(async () => {
    await wv.init({ backend: 'js' });
  });

  it("the issue's MNIST conv VAE: PyTorch's names and layouts, the mirrored decoder", () => {
    const vae = new wv.VAE({
      inputShape: [1, 28, 28], latentDim: 20,
      encoder: [{ type: 'conv2d', filters: 32, kernelSize: 4, stride: 2, padding: 1 }, { type: 'conv2d', filters: 64, kernelSize: 4, stride: 2, padding: 1 },
        { type: 'flatten' }, { type: 'dense', units: 256 }],
    });
    expect(vae.layout.tensors.filter((t) => t.name.endsWith('weight')).map((t) => [t.name, t.shape])).toEqual([
      ['encoder.0.weight', [32, 1, 4, 4]], ['encoder.1.weight', [64, 32, 4, 4]], ['encoder.2.weight', [256, 3136]],
      ['mean.weight', [20, 256]], ['logvar.weight', [20, 256]],
      ['decoder.0.weight', [256, 20]], ['decoder.1.weight', [3136, 256]], ['decoder.2.weight', [64, 32, 4, 4]], ['decoder.3.weight', [32, 1, 4, 4]],
    ]);
    expect(vae.decoder.resolved.map((l) => [l.spec.type, l.output])).toEqual([
      ['dense', [256]], ['dense', [3136]], ['reshape', [64, 7, 7]], ['conv2dTranspose', [32, 14, 14]], ['conv2dTranspose', [1, 28, 28]],
    ]);
    expect(vae.decoder.resolved[4].spec.activation).toBe('identity');
    vae.dispose();
  });

  it('specs that do not fit name the layer and the shapes', () => {
    expectError(() => new wv.VAE({ inputDim: 784, encoder: [{ type: 'conv2d', filters: 8, kernelSize: 3 }, { type: 'flatten' }] }),
      'INVALID_OPTION', /encoder\[0\] \(conv2d\): conv2d needs an image input \[channels, height, width\], got shape \[784\]/);
    expectError(() => new wv.VAE({ inputShape: [1, 4, 4], encoder: [{ type: 'conv2d', filters: 8, kernelSize: 5 }, { type: 'flatten' }] }),
      'INVALID_OPTION', /leaves no output of input \[1, 4, 4\]/);
    expectError(() => new wv.VAE({ inputShape: [1, 8, 8], encoder: [{ type: 'conv2d', filters: 8, kernelSize: 3, stride: 2, padding: 'same' }, { type: 'flatten' }] }),
      'INVALID_OPTION', /padding 'same' needs conv2d with stride 1/);
    expectError(() => new wv.VAE({ inputShape: [1, 8, 8], encoder: [{ type: 'conv2d', filters: 8, kernelSize: 3, padding: 3 }, { type: 'flatten' }] }),
      'INVALID_OPTION', /padding \[3,3\] must be smaller than kernelSize/);
    expectError(() => new wv.VAE({ inputShape: [1, 8, 8], encoder: [{ type: 'conv2d', filters: 8, kernelSize: 3 }] }),
      'INVALID_OPTION', /encoder must end flat .* got shape \[8, 6, 6\]/);
    expectError(() => new wv.VAE({ inputShape: [1, 8, 8], encoder: [{ type: 'conv2d', filters: 2, kernelSize: 3, stride: 2 }, { type: 'flatten' }],
      decoder: [{ type: 'dense', units: 18 }, { type: 'reshape', shape: [2, 3, 3] }, { type: 'conv2dTranspose', filters: 1, kernelSize: 3, stride: 2 }] }),
      'INVALID_OPTION', /decoder\[2\] \(conv2dTranspose\) ends at shape \[1, 7, 7\], but the decoder must end at the input shape \[1, 8, 8\]/);
    expectError(() => new wv.VAE({ inputShape: [1, 8, 8], encoder: [{ type: 'conv2d', filters: 2, kernelSize: 3, dilation: 2 } as never] }),
      'UNKNOWN_OPTION', /unknown option 'dilation'/);
    expectError(() => new wv.VAE({ inputShape: [1, 8, 8], encoder: [{ type: 'conv2d', filters: 2, kernelSize: 3, outputPadding: 1 }, { type: 'flatten' }] }),
      'UNKNOWN_OPTION', /unknown option 'outputPadding'/);
    expectError(() => new wv.VAE({ inputShape: [1, 8, 8], encoder: [{ type: 'conv2d', filters: 2, kernelSize: 3, stride: 2 }, { type: 'flatten' }],
      decoder: [{ type: 'dense', units: 18 }, { type: 'reshape', shape: [2, 3, 3] }, { type: 'conv2dTranspose', filters: 1, kernelSize: 3, stride: 2, outputPadding: 2 }] }),
      'INVALID_OPTION', /decoder\[2\] \(conv2dTranspose\): outputPadding \[2,2\] must be smaller than the stride \[2,2\]/);
  });

  it('a mirrored decoder gives odd sizes back with outputPadding, as PyTorch would need output_padding', () => {
    const vae = new wv.VAE({ inputShape: [1, 28, 28], latentDim: 4, seed: 1, encoder: [
      { type: 'conv2d', filters: 4, kernelSize: 4, stride: 2, padding: 1 }, { type: 'conv2d', filters: 4, kernelSize: 4, stride: 2, padding: 1 },
      { type: 'conv2d', filters: 4, kernelSize: 3, stride: 2, padding: 1 }, { type: 'flatten' }] }); // 28 -> 14 -> 7 -> 4
    const convs = vae.decoder.resolved.filter((r) => r.spec.type === 'conv2dTranspose');
    expect(convs.map((r) => [r.input, r.output, r.spec.outputPadding ?? null])).toEqual([
      [[4, 4, 4], [4, 7, 7], null], // (4 - 1) 2 - 2 + 3 = 7
      [[4, 7, 7], [4, 14, 14], null],
      [[4, 14, 14], [1, 28, 28], null],
    ]);
    const odd = new wv.VAE({ inputShape: [1, 27, 28], latentDim: 4, seed: 1, encoder: [{ type: 'conv2d', filters: 4, kernelSize: 4, stride: 2, padding: 1 }, { type: 'flatten' }] });
    const back = odd.decoder.resolved.find((r) => r.spec.type === 'conv2dTranspose')!;
    expect([back.input, back.output, back.spec.outputPadding]).toEqual([[4, 13, 14], [1, 27, 28], [1, 0]]);
    const again = wv.load(odd.save()) as wv.VAE; // the resolved spec with its outputPadding is in the file
    expect(again.decoder.resolved.map((l) => l.spec)).toEqual(odd.decoder.resolved.map((l) => l.spec));
  });

  it('a conv model file rebuilds the model bitwise, and trains on after loading', async () => {
    const vae = new wv.VAE({ inputShape: [1, 8, 8], latentDim: 2, seed: 3, encoder: [{ type: 'conv2d', filters: 4, kernelSize: 4, stride: 2, padding: 1 }, { type: 'flatten' }] });
    const x = rows(12, 64, 8);
    await vae.fit(x, { epochs: 1, batchSize: 5 });
    const again = wv.load(vae.save({ optimizer: true }));
    expect(again.config()).toEqual(vae.config());
    expect(Array.from(again.reconstruct(x).data)).toEqual(Array.from(vae.reconstruct(x).data));
    const [h1, h2] = [await vae.fit(x, { epochs: 1, batchSize: 5 }), await again.fit(x, { epochs: 1, batchSize: 5 })];
    expect(h2.loss).toEqual(h1.loss);
    vae.dispose();
    again.dispose();
  });
});

describe('the lowering kernels: col2im is the adjoint of im2col', () => {
  it('<col2im(C), X> = <C, im2col(X)> on both backends, awkward geometries', async () => {
    for (const backend of ['js', 'wasm'] as const) {
      await wv.init({ backend, threads: 1 });
      const { getBackend } = await import('../src/backend/index.js');
      const be = getBackend();
      for (const [n, c, h, w, k, s, p] of [[1, 1, 5, 5, 3, 1, 1], [2, 3, 7, 6, 4, 2, 1], [1, 2, 11, 9, 5, 3, 2], [3, 1, 4, 4, 1, 1, 0]]) {
        const [ho, wo] = [Math.floor((h + 2 * p - k) / s) + 1, Math.floor((w + 2 * p - k) / s) + 1];
        const geometry = [n, c, h, w, k, k, s, s, p, p, ho, wo];
        const [X, C] = [rows(n * c * h * w, 1, 1), rows(n * ho * wo * c * k * k, 1, 2)];
        const [bx, bc, out1, out2] = [be.alloc(X.length), be.alloc(C.length), be.alloc(C.length), be.alloc(X.length)];
        be.write(bx, X);
        be.write(bc, C);
        be.run('im2col_f32', [out1, bx, ...geometry]);
        be.run('col2im_f32', [out2, bc, ...geometry, 0]);
        const [A, B] = [be.read(out1), be.read(out2)];
        let lhs = 0;
        let rhs = 0;
        for (let i = 0; i < X.length; i++) lhs += B[i] * X[i];
        for (let i = 0; i < C.length; i++) rhs += C[i] * A[i];
        expect(Math.abs(lhs - rhs)).toBeLessThan(1e-5 * Math.abs(rhs));
        for (const b of [bx, bc, out1, out2]) be.free(b);
      }
    }
  });
});

describe('conv VAEs on kernel threads', () => {
  it('training is bitwise the same on 1, 2 and 3 threads (the lowering kernels and GEMMs split by samples and tiles)', async () => {
    const x = rows(150, 2 * 16 * 16, 12);
    const trained: Record<string, Float32Array>[] = [];
    for (const threads of [1, 2, 3]) {
      await wv.init({ backend: 'wasm', threads, strict: true });
      expect(wv.threadCount()).toBe(threads);
      const vae = new wv.VAE({
        inputShape: [2, 16, 16], latentDim: 4, seed: 2,
        encoder: [{ type: 'conv2d', filters: 8, kernelSize: 4, stride: 2, padding: 1 }, { type: 'conv2d', filters: 16, kernelSize: 4, stride: 2, padding: 1 }, { type: 'flatten' }, { type: 'dense', units: 32 }],
      });
      await vae.fit(x, { epochs: 2, batchSize: 64, optimizer: { type: 'adam', lr: 3e-3 } });
      trained.push(vae.parameters());
      vae.dispose();
    }
    for (const t of [1, 2]) for (const name of Object.keys(trained[0])) expect(Array.from(trained[t][name]), name).toEqual(Array.from(trained[0][name]));
    wv.shutdown();
  });
});
