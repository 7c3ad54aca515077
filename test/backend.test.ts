// Backend selection, the heap (alignment, reuse, growth) and the shared random number generator.
import { describe, expect, it, vi } from 'vitest';
import * as wv from '../src/node.js';
import { createBackend, getBackend } from '../src/backend/index.js';
import { simdSupported } from '../src/backend/wasm.js';
import { Rng } from '../src/random.js';

describe('backend selection', () => {
  it('init() picks wasm where SIMD validates, and backendName() says so', async () => {
    expect(simdSupported()).toBe(true); // Node 20's V8 has SIMD: the default must be the fast path
    expect(await wv.init()).toBe('wasm');
    expect(wv.backendName()).toBe('wasm');
  });

  it('init({ backend }) forces a backend', async () => {
    expect(await wv.init({ backend: 'js' })).toBe('js');
    expect(wv.backendName()).toBe('js');
    expect(await wv.init({ backend: 'wasm' })).toBe('wasm');
  });

  it('unknown options and backends are errors', async () => {
    await expect(wv.init({ workers: 2 } as never)).rejects.toMatchObject({ code: 'UNKNOWN_OPTION', message: expect.stringMatching(/unknown option 'workers'; options are: backend, threads/) });
    await expect(wv.init({ backnd: 'js' } as never)).rejects.toMatchObject({ code: 'UNKNOWN_OPTION', message: expect.stringMatching(/did you mean 'backend'\?/) });
    await expect(wv.init({ backend: 'webgpu' } as never)).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/'wasm' or 'js', got "webgpu"/) });
    await expect(wv.init(null as never)).rejects.toBeInstanceOf(wv.WavaeError);
  });

  it('the kernels module imports no host functions', async () => {
    const { kernelsWasmBytes } = await import('../src/backend/kernels-module.js');
    const mod = new WebAssembly.Module(await kernelsWasmBytes());
    expect(WebAssembly.Module.imports(mod)).toEqual([]);
  });

  it('the embedded kernels inflate to exactly the module asc built', async () => {
    const { kernelsWasmBytes } = await import('../src/backend/kernels-module.js');
    const fs = await import('node:fs');
    expect(Buffer.from(await kernelsWasmBytes()).equals(fs.readFileSync('build/kernels.wasm'))).toBe(true);
  });

  it('an engine without DecompressionStream runs the js backend, and forcing wasm says why', async () => {
    const saved = globalThis.DecompressionStream;
    try {
      (globalThis as { DecompressionStream?: unknown }).DecompressionStream = undefined;
      expect(await wv.init()).toBe('js');
      expect(await wv.init({ threads: 2 })).toBe('js');
      expect(wv.threadFallback() ?? '').toMatch(/no DecompressionStream to unpack the kernels/);
      await expect(wv.init({ backend: 'wasm' })).rejects.toThrow(/needs DecompressionStream to unpack its kernels/);
      // an engine whose DecompressionStream refuses the format the build embeds
      (globalThis as { DecompressionStream?: unknown }).DecompressionStream = class extends saved {
        constructor(format: CompressionFormat) {
          if (format === 'deflate') throw new TypeError(`The argument 'format' is invalid. Received '${format}'`);
          super(format);
        }
      };
      expect(await wv.init({ threads: 1 })).toBe('js');
    } finally {
      globalThis.DecompressionStream = saved;
    }
    expect(await wv.init()).toBe('wasm');
  });
});

for (const name of ['wasm', 'js'] as const) {
  describe(`the ${name} heap`, () => {
    it('hands out 64-byte aligned buffers and reuses freed space', async () => {
      const be = await createBackend(name);
      const a = be.alloc(5);
      const b = be.alloc(100);
      expect(a.off % 16).toBe(0);
      expect(b.off % 16).toBe(0);
      expect(b.off).toBeGreaterThanOrEqual(a.off + 5);
      be.free(a);
      const c = be.alloc(3);
      expect(c.off).toBe(a.off);
      be.free(b);
      be.free(c);
      expect(be.allocatedFloats).toBe(0);
      const d = be.alloc(116); // the merged span fits again
      expect(d.off).toBe(a.off);
    });

    it('keeps contents and working kernels across heap growth', async () => {
      const be = await createBackend(name);
      const x = be.alloc(1000);
      be.write(x, Float32Array.from({ length: 1000 }, (_, i) => i));
      const before = be.heapBytes;
      const big = be.alloc(8_000_000); // forces growth; old views are replaced
      expect(be.heapBytes).toBeGreaterThan(before);
      expect(be.read(x)[999]).toBe(999);
      be.scale_f32(x, 2);
      expect(be.read(x)[999]).toBe(1998);
      be.fill_f32(big, 1);
      expect(be.sumsq_f32(big)).toBe(8_000_000);
    });

    it('grows only when buffers are allocated, never inside an op', async () => {
      const be = await createBackend(name);
      const [a, b, c] = [be.alloc(128 * 784), be.alloc(400 * 784), be.alloc(128 * 400)];
      const bytes = be.heapBytes;
      for (let i = 0; i < 3; i++) be.gemm_f32(false, true, 128, 400, 784, 1, a, b, 0, c, null, 'relu');
      expect(be.heapBytes).toBe(bytes);
    });
  });
}

describe('random numbers: one algorithm for every backend', () => {
  it('the same seed gives the same stream; different seeds differ', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(xs);
  });

  it('normals have mean 0 and variance 1 (100,000 samples, 5 standard errors)', () => {
    const rng = new Rng(7);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    let s4 = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.normal();
      s += x;
      s2 += x * x;
      s4 += x ** 4;
    }
    expect(Math.abs(s / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(s4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n)); // kurtosis of a Gaussian
  });

  it('randn writes the same samples on both backends', async () => {
    const [w, j] = [await createBackend('wasm'), await createBackend('js')];
    const [bw, bj] = [w.alloc(33), j.alloc(33)];
    w.randn(bw, new Rng(9));
    j.randn(bj, new Rng(9));
    expect(Array.from(w.read(bw))).toEqual(Array.from(j.read(bj)));
  });

  it('rejects seeds that are not 32-bit unsigned integers', () => {
    expect(() => new Rng(-1)).toThrow(wv.WavaeError);
    expect(() => new Rng(1.5)).toThrow(/seed must be an integer/);
  });

  it('using wavae before init() is a NOT_INITIALIZED error, not a crash', async () => {
    vi.resetModules(); // a fresh module graph: nothing initialized yet
    const fresh = await import('../src/backend/index.js');
    expect(() => fresh.backendName()).toThrow(expect.objectContaining({ code: 'NOT_INITIALIZED', message: expect.stringMatching(/await init\(\) first/) }));
    expect(getBackend()).toBeDefined(); // the already-initialized graph is unaffected
  });
});
