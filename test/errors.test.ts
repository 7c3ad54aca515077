// Bad input at the backend boundary gets a WavaeError naming the argument, before any kernel
// runs: never a wasm trap, never silent garbage.
import { describe, it } from 'vitest';
import type { Backend, Buf } from '../src/backend/index.js';
import { backends, expectError } from './helpers.js';

for (const name of ['wasm', 'js'] as const) {
  describe(`bad input on ${name} gets a clear WavaeError`, () => {
    const setup = async (): Promise<{ be: Backend; a: Buf; b: Buf; c: Buf }> => {
      const be = (await backends())[name];
      return { be, a: be.alloc(12), b: be.alloc(20), c: be.alloc(15) };
    };

    it('zero, negative and fractional dimensions', async () => {
      const { be, a, b, c } = await setup();
      expectError(() => be.gemm_f32(false, false, 0, 5, 4, 1, a, b, 0, c), 'INVALID_OPTION', /gemm_f32: m must be an integer >= 1, got 0/);
      expectError(() => be.gemm_f32(false, false, 3, -5, 4, 1, a, b, 0, c), 'INVALID_OPTION', /gemm_f32: n .* got -5/);
      expectError(() => be.gemm_f32(false, false, 3, 5, 4.5, 1, a, b, 0, c), 'INVALID_OPTION', /gemm_f32: k .* got 4.5/);
      expectError(() => be.col_sum_f32(a, b, 0, 12), 'INVALID_OPTION', /col_sum_f32: rows/);
      expectError(() => be.alloc(0), 'INVALID_OPTION', /alloc: len/);
    });

    it('lengths that do not match the dimensions', async () => {
      const { be, a, b, c } = await setup();
      be.gemm_f32(false, false, 3, 5, 4, 1, a, b, 0, c); // the matching call works
      expectError(() => be.gemm_f32(false, false, 3, 5, 5, 1, a, b, 0, c), 'SHAPE_MISMATCH', /gemm_f32: a has 12 floats, expected 15/);
      expectError(() => be.gemm_f32(false, false, 3, 5, 4, 1, a, b, 0, c, a), 'SHAPE_MISMATCH', /gemm_f32: bias has 12 floats, expected 5/);
      expectError(() => be.axpy_f32(a, 1, b), 'SHAPE_MISMATCH', /axpy_f32: y has 12 floats, expected 20/);
      expectError(() => be.bce_logits_f32(null, null, b, c, 4, 5), 'SHAPE_MISMATCH', /bce_logits_f32: target has 15 floats, expected 20/);
      expectError(() => be.write(a, new Float32Array(13)), 'SHAPE_MISMATCH', /13 values do not fit in 12 floats/);
    });

    it('buffers outside the heap, or not buffers at all', async () => {
      const { be, a, b } = await setup();
      const huge: Buf = { off: 1e9, len: 12 };
      const low: Buf = { off: 0, len: 12 };
      expectError(() => be.scale_f32(huge, 2), 'OUT_OF_RANGE', /scale_f32: x \[1000000000, 1000000012\) lies outside the heap/);
      expectError(() => be.scale_f32(low, 2), 'OUT_OF_RANGE', /scale_f32: x .* outside the heap/);
      expectError(() => be.copy_f32(a, { off: 1.5, len: 12 }), 'INVALID_OPTION', /copy_f32: src must be a buffer handle/);
      expectError(() => be.copy_f32(a, null as unknown as Buf), 'INVALID_OPTION', /copy_f32: src must be a buffer handle .* got null/);
      expectError(() => be.view(b, 15, 6), 'INVALID_OPTION', /view: len must be an integer in \[1, 5\], got 6/);
    });

    it('non-finite scalars, unknown activations, bad hyper-parameters', async () => {
      const { be, a, b, c } = await setup();
      expectError(() => be.gemm_f32(false, false, 3, 5, 4, NaN, a, b, 0, c), 'INVALID_OPTION', /gemm_f32: alpha must be a finite number, got NaN/);
      expectError(() => be.scale_f32(a, Infinity), 'INVALID_OPTION', /scale_f32: alpha .* Infinity/);
      expectError(() => be.bias_act_f32(a, a, null, 3, 4, 'gelu' as never), 'INVALID_OPTION', /act must be one of identity, relu, leaky_relu, sigmoid, tanh, got gelu/);
      expectError(() => be.bias_act_f32(a, a, null, 3, 4, 'leaky_relu', 2), 'INVALID_OPTION', /leaky_relu slope must be in \[0, 1\), got 2/);
      expectError(() => be.adam_f32(a, be.alloc(12), be.alloc(12), be.alloc(12), 0, 1e-3), 'INVALID_OPTION', /adam_f32: t must be an integer >= 1, got 0/);
      expectError(() => be.adam_f32(a, be.alloc(12), be.alloc(12), be.alloc(12), 1, 1e-3, 1), 'INVALID_OPTION', /beta1 must be in \[0, 1\), got 1/);
    });

    it('float scalars are checked as the float32 the kernel sees', async () => {
      const { be, a } = await setup();
      expectError(() => be.scale_f32(a, 1e39), 'INVALID_OPTION', /scale_f32: alpha must be a finite number, got "1e\+39 \(beyond float32\)"/);
      const [m, v, g] = [be.alloc(12), be.alloc(12), be.alloc(12)];
      expectError(() => be.adam_f32(a, m, v, g, 1, 1e-3, 0.9, 0.999, 1e-50), 'INVALID_OPTION', /adam_f32: eps must be > 0, got 1e-50 \(0 in float32\)/);
      expectError(() => be.run('rmsprop_f32', [a, m, null, null, g, 12, 0.01, 0.999999999, 1e-8, 0, 0, 0]), 'INVALID_OPTION', /alpha must be in \[0, 1\), got 0.999999999 \(1 in float32\)/);
      expectError(() => be.run('no_such_kernel' as never, []), 'INVALID_OPTION', /no kernel named no_such_kernel/);
      expectError(() => be.run('toString' as never, []), 'INVALID_OPTION', /no kernel named toString/);
    });

    it('aliasing that would corrupt results', async () => {
      const { be, a, b } = await setup();
      const sq = be.alloc(16);
      expectError(() => be.gemm_f32(false, false, 4, 4, 4, 1, sq, be.view(b, 0, 16), 0, sq), 'INVALID_OPTION', /gemm_f32: c must not overlap a/);
      expectError(() => be.axpy_f32(be.view(b, 1, 12), 1, be.view(b, 0, 12)), 'INVALID_OPTION', /axpy_f32: y must not overlap x/);
      expectError(() => be.sgd_f32(a, a, 0.1), 'INVALID_OPTION', /sgd_f32: param must not overlap grad/);
    });

    it('freeing a buffer twice', async () => {
      const { be } = await setup();
      const x = be.alloc(4);
      be.free(x);
      expectError(() => be.free(x), 'INVALID_OPTION', /free: no live buffer/);
    });
  });
}
