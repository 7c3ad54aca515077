// Argument checks of every kernel call, derived from the kernel table (kernel-table.ts): buffer
// handles inside the heap, integer and float arguments, buffer lengths from the shapes, aliasing,
// and each kernel's own rule. A failing check throws a WavaeError naming the kernel and the
// argument; a passing one builds no message and allocates nothing but the offsets it returns.
import { WavaeError, checkFinite, checkInt } from '../errors.js';
import type { Buf } from './heap.js';
import { ACT_CODE } from './kernels.js';
import { KERNELS, type ArgSpec, type KernelName, type KernelSpec } from './kernel-table.js';

/** An argument as the checked Backend passes it: a buffer handle (or null for none), or a number. */
export type CallArg = Buf | number | null;

interface Plan {
  readonly spec: KernelSpec;
  readonly args: readonly ArgSpec[];
  /** For each buffer argument: positions of its shape's integer arguments (or the numbers). */
  readonly dims: readonly (readonly number[])[];
  /** For each strided buffer argument: the positions of its row stride and of its transpose flag (-1: none); null for others. */
  readonly strides: readonly (readonly [number, number] | null)[];
  /** Pairs [i, j] of buffer positions that may be the same buffer but must not otherwise overlap. */
  readonly aliases: readonly (readonly [number, number])[];
  /** Pairs [i, j] of buffer positions that must not overlap at all. */
  readonly disjoint: readonly (readonly [number, number])[];
  /** The arguments by name for the kernel's rule, reused call after call. */
  readonly values: Record<string, number>;
}

const ACT_CODES = Object.values(ACT_CODE);

function planOf(name: KernelName): Plan {
  const spec: KernelSpec = KERNELS[name];
  const args = spec.args;
  const pos = (n: string): number => args.findIndex((a) => a.name === n);
  const dims = args.map((a) => (a.kind === 'buf' ? a.shape.map((d) => (typeof d === 'number' ? -d - 1 : pos(d))) : []));
  const strides = args.map((a) => (a.kind === 'buf' && a.stride ? [pos(a.stride.ld), a.stride.trans ? pos(a.stride.trans) : -1] as const : null));
  const aliases: [number, number][] = [];
  const disjoint: [number, number][] = [];
  args.forEach((a, i) => {
    if (a.kind !== 'buf' || a.role === 'in') return;
    args.forEach((b, j) => {
      if (j === i || b.kind !== 'buf' || (b.role !== 'in' && j < i)) return; // each pair of outputs once
      const mayAlias = a.alias?.includes(b.name) || (b.role !== 'in' && b.alias?.includes(a.name));
      (mayAlias ? aliases : disjoint).push([i, j]);
    });
  });
  return { spec, args, dims, strides, aliases, disjoint, values: {} };
}

const PLANS = Object.fromEntries(Object.keys(KERNELS).map((n) => [n, planOf(n as KernelName)])) as Record<KernelName, Plan>;

function isBuf(b: unknown): b is Buf {
  return typeof b === 'object' && b !== null && Number.isInteger((b as Buf).off) && Number.isInteger((b as Buf).len);
}

function overlap(a: Buf, b: Buf): boolean {
  return a.off < b.off + b.len && b.off < a.off + a.len;
}

/**
 * Checks a call of kernel `name` against the table and returns its arguments with buffers as
 * float offsets (0 for an absent optional buffer), in place: `args` is the call's own array.
 * heapBase and heapFloats bound the buffers.
 */
export function checkCall(name: KernelName, args: CallArg[], heapBase: number, heapFloats: number): number[] {
  const plan = Object.hasOwn(PLANS, name) ? PLANS[name] : null;
  if (!plan) throw new WavaeError('INVALID_OPTION', `run: no kernel named ${String(name)}`);
  const specs = plan.args;
  if (args.length !== specs.length) throw new WavaeError('INVALID_OPTION', `${name}: takes ${specs.length} arguments, got ${args.length}`);
  // 1. buffer handles, inside the heap
  for (let i = 0; i < specs.length; i++) {
    const s = specs[i];
    if (s.kind !== 'buf') continue;
    const b = args[i];
    if (b === null && s.optional) continue;
    if (!isBuf(b)) {
      throw new WavaeError('INVALID_OPTION', `${name}: ${s.name} must be a buffer handle { off, len }, got ${b === null ? 'null' : typeof b}`);
    }
    if (b.len < 1) throw new WavaeError('SHAPE_MISMATCH', `${name}: ${s.name} has length ${b.len}; buffers hold at least one float`);
    if (b.off < heapBase || b.off + b.len > heapFloats) {
      throw new WavaeError('OUT_OF_RANGE', `${name}: ${s.name} [${b.off}, ${b.off + b.len}) lies outside the heap [${heapBase}, ${heapFloats})`);
    }
  }
  // 2. scalars
  for (let i = 0; i < specs.length; i++) {
    const s = specs[i];
    if (s.kind === 'buf') continue;
    const v = args[i] as number;
    if (s.kind === 'int') {
      if (!Number.isInteger(v) || v < (s.min ?? 1) || v > Number.MAX_SAFE_INTEGER) checkInt(`${name}: ${s.name}`, v, s.min ?? 1);
    } else if (s.kind === 'flag') {
      if (v !== 0 && v !== 1) throw new WavaeError('INVALID_OPTION', `${name}: ${s.name} must be 0 or 1, got ${String(v)}`);
    } else if (s.kind === 'act') {
      if (!ACT_CODES.includes(v)) throw new WavaeError('INVALID_OPTION', `${name}: ${s.name} must be an activation code, got ${String(v)}`);
    } else if (s.kind === 'number') {
      if (typeof v !== 'number') throw new WavaeError('INVALID_OPTION', `${name}: ${s.name} must be a number, got ${typeof v}`);
    } else { // the kernel sees float32: check the value it will see (1e39 is Infinity there, 1e-50 is 0, 0.999999999 is 1)
      const v32 = Math.fround(v);
      if (!Number.isFinite(v32)) checkFinite(`${name}: ${s.name}`, Number.isFinite(v) ? `${v} (beyond float32)` : v);
      if (s.min !== undefined && (s.minOpen ? !(v32 > s.min) : !(v32 >= s.min)) || s.max !== undefined && !(v32 < s.max)) {
        const range = s.max === undefined ? `> ${s.min}` : `in [${s.min}, ${s.max})`;
        throw new WavaeError('INVALID_OPTION', `${name}: ${s.name} must be ${range}, got ${v}${v32 !== v ? ` (${v32} in float32)` : ''}`);
      }
    }
  }
  // 3. lengths from the shapes
  for (let i = 0; i < specs.length; i++) {
    const s = specs[i];
    const b = args[i];
    if (s.kind !== 'buf' || b === null) continue;
    let len = 1;
    const stride = plan.strides[i];
    if (stride) { // (rows, cols) with rows ld floats apart (plain variables: a passing check allocates nothing)
      const dims = plan.dims[i];
      const d0 = dims[0] < 0 ? -dims[0] - 1 : (args[dims[0]] as number);
      const d1 = dims[1] < 0 ? -dims[1] - 1 : (args[dims[1]] as number);
      const trans = stride[1] >= 0 && args[stride[1]] === 1;
      const rows = trans ? d1 : d0;
      const cols = trans ? d0 : d1;
      const ld = args[stride[0]] as number;
      if (ld < cols) throw new WavaeError('INVALID_OPTION', `${name}: ${specs[stride[0]].name} ${ld} is less than the ${cols} columns of ${s.name}`);
      len = (rows - 1) * ld + cols;
    } else {
      for (const d of plan.dims[i]) len *= d < 0 ? -d - 1 : (args[d] as number);
    }
    if ((b as Buf).len !== len) throw new WavaeError('SHAPE_MISMATCH', `${name}: ${s.name} has ${(b as Buf).len} floats, expected ${len}`);
  }
  // 4. aliasing
  for (const [i, j] of plan.disjoint) {
    const a = args[i] as Buf | null;
    const b = args[j] as Buf | null;
    if (a && b && overlap(a, b)) throw new WavaeError('INVALID_OPTION', `${name}: ${specs[i].name} must not overlap ${specs[j].name}`);
  }
  for (const [i, j] of plan.aliases) {
    const a = args[i] as Buf | null;
    const b = args[j] as Buf | null;
    if (a && b && a.off !== b.off && overlap(a, b)) throw new WavaeError('INVALID_OPTION', `${name}: ${specs[i].name} must not overlap ${specs[j].name}`);
  }
  // buffers to offsets, then the kernel's own rule (on offsets and scalars)
  for (let i = 0; i < specs.length; i++) {
    if (specs[i].kind === 'buf') args[i] = args[i] === null ? 0 : (args[i] as Buf).off;
  }
  if (plan.spec.rule) {
    const values = plan.values;
    for (let i = 0; i < specs.length; i++) values[specs[i].name] = args[i] as number;
    const wrong = plan.spec.rule(values);
    if (wrong) throw new WavaeError('INVALID_OPTION', `${name}: ${wrong}`);
  }
  return args as number[];
}
