// What the tests against PyTorch fixtures share (torch-conv.test.ts, torch-conditional.test.ts;
// the fixtures are written by scripts/*-fixture.py through scripts/torch_wavae.py): the
// per-tensor check with its printout, the layers and specs PyTorch built as wavae resolves them,
// and the fixture's float32 inputs. Not a test file itself.
import { expect } from 'vitest';
import type * as wv from '../src/node.js';

/** A layer as the fixture scripts record what PyTorch built (Stack.layers in scripts/torch_wavae.py). */
export interface LayerShape {
  type: string;
  input: number[];
  output: number[];
  name: string | null;
  /** Condition columns the layer takes after its input's (absent: none). */
  condition?: number;
}

/** A resolved layer of wavae's, as much of it as the fixtures record. */
interface Resolved {
  readonly spec: wv.LayerSpec;
  readonly input: readonly number[];
  readonly output: readonly number[];
  readonly name: string | null;
  readonly condition?: number;
}

/** Every tensor must match torch to this, relative to its largest magnitude. */
export const TOLERANCE = 1e-5;
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
export function checkTensor(label: string, got: ArrayLike<number>, want: ArrayLike<number>): number {
  const { diff, scale, rel } = relativeDiff(got, want);
  const ok = rel <= TOLERANCE;
  console.log(`${ok ? 'OK    ' : 'NOT OK'} ${label.padEnd(34)} n ${String(want.length).padStart(5)}  max|torch| ${scale.toExponential(3)}  max|diff| ${diff.toExponential(3)}  rel ${rel.toExponential(2)}`);
  return rel;
}

/** The labels whose relative difference is above TOLERANCE (or NaN). */
export function overTolerance(rels: Record<string, number>): [string, number][] {
  return Object.entries(rels).filter(([, r]) => !(r <= TOLERANCE));
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

/** The specs PyTorch built, each with the activation scripts/torch_wavae.py gave it: its own, else the model's; the decoder's last parameterised layer linear. */
export function expectedSpecs(specs: wv.LayerSpec[], activation: string, lastLinear: boolean): Record<string, unknown>[] {
  let last = -1;
  specs.forEach((s, i) => { if (s.type === 'dense' || s.type === 'conv2d' || s.type === 'conv2dTranspose') last = i; });
  return specs.map((s, i) => normalised(s, lastLinear && i === last ? 'identity' : ((s.activation as string | undefined) ?? activation)));
}

/** wavae's resolved layers as the fixtures record PyTorch's: type, shapes, name, and the condition where one is taken. */
export function layerShapes(layers: readonly Resolved[]): LayerShape[] {
  return layers.map((l) => ({ type: l.spec.type, input: [...l.input], output: [...l.output], name: l.name, ...(l.condition ? { condition: l.condition } : {}) }));
}

/** wavae's resolved specs (defaults filled in), as plain objects. */
export function resolvedSpecs(layers: readonly Resolved[]): Record<string, unknown>[] {
  return layers.map((l) => ({ ...l.spec }));
}

/** Tensors (name, shape) keyed by name: the state_dict's order and wavae's layout (weights first) differ. */
export function shapesByName(tensors: readonly { name: string; shape: readonly number[] }[]): Record<string, number[]> {
  return Object.fromEntries(tensors.map((t) => [t.name, [...t.shape]]));
}

/** The fixture's numbers as float32; they were drawn in float32, so they read back exactly. */
export function f32(values: number[], what: string): Float32Array {
  const out = Float32Array.from(values);
  expect(out.every((v, i) => v === values[i]), `${what} is not float32-exact`).toBe(true);
  return out;
}
