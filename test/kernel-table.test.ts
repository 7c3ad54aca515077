// The kernel table (src/backend/kernel-table.ts) against both backends: the AssemblyScript
// exports, the JS reference and the table name the same kernels with the same arguments, and
// each kernel does what the table says of its buffers: inputs are never written, outputs are
// overwritten without being read (or, with beta, out = beta out + result), as checked by calls
// generated from the table alone.
import { describe, expect, it } from 'vitest';
import type { Backend, Buf } from '../src/backend/index.js';
import { JsKernels } from '../src/backend/js.js';
import { kernelsWasmBytes } from '../src/backend/kernels-module.js';
import { KERNELS, KERNEL_NAMES, type ArgSpec, type KernelName, type KernelSpec } from '../src/backend/kernel-table.js';
import { SPLIT_OPS } from '../src/backend/split-ops.js';
import { Rng } from '../src/random.js';
import { backends, uniform } from './helpers.js';

const spec = (name: KernelName): KernelSpec => KERNELS[name];
/** Exports of the kernels module that are not kernels: the heap and the gemm workspace. */
const NOT_KERNELS = ['heap_base', 'gemm_workspace_floats', 'gemm_set_workspace', 'memory'];

const kernelsModuleBytes = await kernelsWasmBytes(); // inflated from what the build embeds

describe('the kernel table, the AssemblyScript exports and the JS reference agree', () => {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(kernelsModuleBytes), {});
  const exports = instance.exports as Record<string, unknown>;

  it('the wasm module exports exactly the kernels of the table, each with the table\'s number of arguments', () => {
    const kernels = Object.keys(exports).filter((n) => !NOT_KERNELS.includes(n)).sort();
    expect(kernels).toEqual([...KERNEL_NAMES].sort());
    for (const name of KERNEL_NAMES) expect([name, (exports[name] as () => void).length]).toEqual([name, spec(name).args.length]);
  });

  it('the JS reference has one method per kernel with the same number of arguments', () => {
    const js = new JsKernels() as unknown as Record<string, unknown>;
    for (const name of KERNEL_NAMES) {
      expect(typeof js[name], name).toBe('function');
      expect([name, (js[name] as () => void).length]).toEqual([name, spec(name).args.length]);
    }
  });

  it('argument names are unique, shapes name integer arguments, beta and alias name real arguments', () => {
    for (const name of KERNEL_NAMES) {
      const args = spec(name).args;
      const byName = new Map(args.map((a) => [a.name, a]));
      expect(byName.size, `${name}: duplicate argument names`).toBe(args.length);
      for (const a of args) {
        if (a.kind !== 'buf') continue;
        for (const d of a.shape) if (typeof d === 'string') expect(byName.get(d)?.kind, `${name}: ${a.name} shape ${d}`).toBe('int');
        if (a.beta) expect(byName.get(a.beta)?.kind, `${name}: ${a.name} beta`).toBe('f32');
        if (a.beta) expect(a.role, `${name}: ${a.name}`).toBe('out');
        for (const other of a.alias ?? []) expect(byName.get(other)?.kind, `${name}: ${a.name} alias ${other}`).toBe('buf');
      }
    }
  });

  it('every split op is a kernel of the table, in the table\'s order', () => {
    const order = SPLIT_OPS.map((op) => KERNEL_NAMES.indexOf(op.name));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(new Set(SPLIT_OPS.map((op) => op.name))).toEqual(new Set(KERNEL_NAMES.filter((n) => spec(n).split)));
  });
});

// ---- calls generated from the table ------------------------------------------------------------

/** Values of integer arguments for a generated call: distinct small sizes that are not multiples of 4; leading dimensions as the GEMMs' rule needs. */
function intValue(name: KernelName, a: ArgSpec, ints: Record<string, number>): number {
  if ((name === 'gemm_f32' || name === 'gemm_sparse_f32') && a.name.startsWith('ld')) {
    const { transA, transB, m, n, k } = ints;
    return a.name === 'lda' ? (transA ? m : k) : a.name === 'ldb' ? (transB ? k : n) : n;
  }
  if (name === 'im2col_f32' || name === 'col2im_f32') { // a convolution's geometry: output size as its rule needs
    const conv: Record<string, number> = { n: 2, c: 3, h: 7, w: 6, kh: 3, kw: 2, sh: 2, sw: 1, ph: 1, pw: 0 };
    if (a.name === 'ho') return Math.floor((ints.h + 2 * ints.ph - ints.kh) / ints.sh) + 1;
    if (a.name === 'wo') return Math.floor((ints.w + 2 * ints.pw - ints.kw) / ints.sw) + 1;
    return conv[a.name];
  }
  const sizes: Record<string, number> = { m: 5, n: 7, k: 9, rows: 3, cols: 6, len: 19 };
  return sizes[a.name] ?? 5;
}

/** One valid call of kernel `name`: arguments, the buffers' initial contents, with every beta argument set to `beta`. */
function generate(be: Backend, name: KernelName, beta: number, fill: (len: number, role: string) => Float32Array): { args: (Buf | number)[]; bufs: Record<string, { buf: Buf; init: Float32Array }> } {
  const ints: Record<string, number> = {};
  const args: (Buf | number)[] = [];
  const bufs: Record<string, { buf: Buf; init: Float32Array }> = {};
  const betas = new Set(spec(name).args.flatMap((a) => (a.kind === 'buf' && a.beta ? [a.beta] : [])));
  for (const a of spec(name).args) {
    if (a.kind === 'buf') continue;
    ints[a.name] = a.kind === 'int' ? intValue(name, a, ints) : a.kind === 'flag' || a.kind === 'act' ? 0 : betas.has(a.name) ? beta : 0.5;
  }
  for (const a of spec(name).args) {
    if (a.kind !== 'buf') {
      args.push(ints[a.name]);
      continue;
    }
    const len = a.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : ints[d]), 1);
    const init = fill(len, a.role);
    const buf = be.alloc(len);
    be.write(buf, init);
    bufs[a.name] = { buf, init };
    args.push(buf);
  }
  return { args, bufs };
}

for (const backend of ['wasm', 'js'] as const) {
  describe(`${backend}: each kernel writes its buffers as the table says`, () => {
    for (const name of KERNEL_NAMES) {
      it(`${name}: inputs unchanged; outputs overwritten without being read (beta 0), or beta out + result (beta 1)`, async () => {
        const be = (await backends())[backend];
        const run = (beta: number, outFill: number | null): { ret: number; bufs: Record<string, { buf: Buf; init: Float32Array; after: Float32Array }> } => {
          const r = new Rng(7); // the same inputs on every run
          const { args, bufs } = generate(be, name, beta, (len, role) => (role === 'out' && outFill !== null ? new Float32Array(len).fill(outFill) : uniform(r, len, 0.1, 0.9)));
          const ret = be.run(name, args);
          const out: Record<string, { buf: Buf; init: Float32Array; after: Float32Array }> = {};
          for (const [n, b] of Object.entries(bufs)) {
            out[n] = { ...b, after: be.read(b.buf) };
            be.free(b.buf);
          }
          return { ret, bufs: out };
        };
        const returns = spec(name).returns === 'number';
        // beta 0: outputs prefilled with NaN or with 7 give the same results (never read)
        const a = run(0, NaN);
        const b = run(0, 7);
        expect(typeof a.ret === 'number', `${name} returns a number`).toBe(returns);
        for (const arg of spec(name).args) {
          if (arg.kind !== 'buf') continue;
          const [x, y] = [a.bufs[arg.name], b.bufs[arg.name]];
          if (arg.role === 'in') expect(Array.from(x.after), `${name}: input ${arg.name} was written`).toEqual(Array.from(x.init));
          if (arg.role === 'out') {
            expect(Array.from(x.after), `${name}: output ${arg.name} depends on its old contents`).toEqual(Array.from(y.after));
            expect(x.after.every(Number.isFinite), `${name}: output ${arg.name} was not written everywhere`).toBe(true);
          }
        }
        // beta 1: out = old out + (the result with beta 0), within one rounding
        const withBeta = spec(name).args.filter((arg) => arg.kind === 'buf' && arg.beta);
        if (withBeta.length === 0) return;
        const c = run(1, 7);
        for (const arg of withBeta) {
          const [base, acc] = [b.bufs[arg.name].after, c.bufs[arg.name].after];
          for (let i = 0; i < acc.length; i++) expect(Math.abs(acc[i] - (7 + base[i]))).toBeLessThanOrEqual(2 ** -22 * (7 + Math.abs(base[i])));
        }
      });
    }
  });
}
