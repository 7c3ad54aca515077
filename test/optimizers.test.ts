// wavae's optimizers (src/train/optimizers.ts over both backends' kernels) against two oracles
// that share no code with them: the float64 transcription of torch.optim in
// optimizer-reference.ts, and torch.optim itself (test/fixtures/torch-optim.json, written by
// scripts/optim-fixture.py). Both backends compared with each other would agree on a shared
// mistake (say, a bias correction one step off); these checks do not.
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend, type BackendName } from '../src/backend/index.js';
import { Optimizer, resolveOptimizer, type OptimizerConfig } from '../src/train/optimizers.js';
import { firstMismatch } from './helpers.js';
import {
  adamStep, rmspropStep, sgdStep, type AdamOptions, type RmspropOptions, type SgdOptions,
} from './optimizer-reference.js';
import { adamBoundStep, exact, rmspropBoundStep, sgdBoundStep, type Approx } from './optimizer-error-bound.js';

/** Every optimizer config wavae supports, as a user writes it (left-out keys take wavae's defaults, checked against torch's). */
const CASES: { name: string; config: OptimizerConfig }[] = [
  { name: 'sgd', config: { type: 'sgd', lr: 0.1 } },
  { name: 'sgd, weight decay', config: { type: 'sgd', lr: 0.05, weightDecay: 0.1 } },
  { name: 'sgd, momentum', config: { type: 'sgd', lr: 0.05, momentum: 0.9 } },
  { name: 'sgd, momentum and weight decay', config: { type: 'sgd', lr: 0.02, momentum: 0.8, weightDecay: 0.01 } },
  { name: 'sgd, nesterov', config: { type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true } },
  { name: 'sgd, nesterov and weight decay', config: { type: 'sgd', lr: 0.03, momentum: 0.7, nesterov: true, weightDecay: 0.05 } },
  { name: 'adam, defaults', config: { type: 'adam' } },
  { name: 'adam', config: { type: 'adam', lr: 0.01 } },
  { name: 'adam, L2 weight decay and a large eps', config: { type: 'adam', lr: 0.005, beta1: 0.8, beta2: 0.99, eps: 1e-3, weightDecay: 0.1 } },
  { name: 'adamw, defaults', config: { type: 'adamw' } },
  { name: 'adamw', config: { type: 'adamw', lr: 0.01, beta1: 0.5, beta2: 0.9, eps: 1e-6, weightDecay: 0.5 } },
  { name: 'rmsprop, defaults', config: { type: 'rmsprop' } },
  { name: 'rmsprop, weight decay', config: { type: 'rmsprop', lr: 0.001, alpha: 0.9, eps: 1e-4, weightDecay: 0.1 } },
  { name: 'rmsprop, momentum', config: { type: 'rmsprop', lr: 0.001, momentum: 0.9 } },
  { name: 'rmsprop, centered', config: { type: 'rmsprop', lr: 0.001, alpha: 0.95, centered: true } },
  { name: 'rmsprop, centered with momentum and weight decay',
    config: { type: 'rmsprop', lr: 0.005, alpha: 0.9, eps: 1e-6, weightDecay: 0.05, momentum: 0.5, centered: true } },
];

/** The steps after which parameters are compared. */
const RECORD = [1, 2, 10];
const STEPS = 10;

interface FixtureCase {
  name: string;
  config: Record<string, unknown>;
  /** The hyperparameters torch ran with (its defaults filled in), in wavae's names. */
  torch: { optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' } & Record<string, number | boolean>;
  /** Flat parameters after step t, t in RECORD. */
  params: Record<string, number[]>;
}
interface Fixture { torch: string; sizes: number[]; param0: number[]; grads: number[][]; cases: FixtureCase[] }

const fixture = JSON.parse(fs.readFileSync(new URL('./fixtures/torch-optim.json', import.meta.url), 'utf8')) as Fixture;
const SIZES = [7, 23]; // two torch tensors, one flat buffer in wavae
const N = SIZES[0] + SIZES[1];

// The inputs, as in scripts/optim-fixture.py: small-integer formulas, exact in both languages.
const param0 = Float32Array.from({ length: N }, (_, i) => ((i * 37 + 11) % 101 - 50) / 40);
/** The gradient of step t (1-based); the second tensor's are 64x smaller. */
const gradAt = (t: number): Float32Array =>
  Float32Array.from({ length: N }, (_, i) => ((i * 53 + t * 29 + 7) % 97 - 48) / (i < SIZES[0] ? 32 : 2048));

/** The reference's parameters and their error bounds after each step in RECORD. */
interface ReferenceRun { values: Record<number, Float64Array>; bounds: Record<number, Float64Array>; boundValues: Record<number, Float64Array> }

/** Runs the float64 reference and the error bound side by side, with torch's hyperparameters. */
function runReference(c: FixtureCase): ReferenceRun {
  const zeros = (): Float64Array => new Float64Array(N);
  const approx = (x: ArrayLike<number>): Approx[] => Array.from(x, exact);
  const param = Float64Array.from(param0);
  const paramB = approx(param0);
  let step: (t: number, g: Float32Array) => void;
  const h = c.torch;
  if (h.optimizer === 'SGD') {
    const s = { param, momentumBuffer: zeros() };
    const b = { param: paramB, momentumBuffer: approx(zeros()) };
    const o = h as unknown as SgdOptions;
    step = (t, g) => { sgdStep(s, g, t, o); sgdBoundStep(b, g, t, o); };
  } else if (h.optimizer === 'Adam' || h.optimizer === 'AdamW') {
    const s = { param, expAvg: zeros(), expAvgSq: zeros() };
    const b = { param: paramB, expAvg: approx(zeros()), expAvgSq: approx(zeros()) };
    const o = h as unknown as AdamOptions;
    const decoupled = h.optimizer === 'AdamW';
    step = (t, g) => { adamStep(s, g, t, o, decoupled); adamBoundStep(b, g, t, o, decoupled); };
  } else {
    const s = { param, squareAvg: zeros(), momentumBuffer: zeros(), gradAvg: zeros() };
    const b = { param: paramB, squareAvg: approx(zeros()), momentumBuffer: approx(zeros()), gradAvg: approx(zeros()) };
    const o = h as unknown as RmspropOptions;
    step = (t, g) => { rmspropStep(s, g, t, o); rmspropBoundStep(b, g, t, o); };
  }
  const run: ReferenceRun = { values: {}, bounds: {}, boundValues: {} };
  for (let t = 1; t <= STEPS; t++) {
    step(t, gradAt(t));
    if (RECORD.includes(t)) {
      run.values[t] = param.slice();
      run.bounds[t] = Float64Array.from(paramB, (a) => a.e);
      run.boundValues[t] = Float64Array.from(paramB, (a) => a.v);
    }
  }
  return run;
}

/** wavae's parameters after each step in RECORD: one flat buffer, Optimizer.update with the config's lr. */
function runWavae(be: Backend, config: unknown): Record<number, Float32Array> {
  const resolved = resolveOptimizer(config);
  const params = be.alloc(N);
  const grads = be.alloc(N);
  be.write(params, param0);
  const opt = new Optimizer(be, resolved, params, grads);
  const out: Record<number, Float32Array> = {};
  try {
    for (let t = 1; t <= STEPS; t++) {
      be.write(grads, gradAt(t));
      opt.update(resolved.lr);
      if (RECORD.includes(t)) out[t] = be.read(params);
    }
  } finally {
    opt.free();
    be.free(grads);
    be.free(params);
  }
  return out;
}

// Tolerances, derived (optimizer-error-bound.ts). A float32 implementation rounds every
// operation (wasm: each f32x4 op; torch: each tensor op; the js kernels: only on each store, so
// less) and gets its hyperparameters as float32: f32(0.999) is 1.3e-5 relative away from 0.999
// once 1 - beta2 is taken. The bound e(t, i) follows each parameter through the t steps: every
// rounding adds u = 2^-24 times the magnitude it rounds, earlier errors propagate through the
// state (m, v, buffers) with the sensitivities of the formulas. So it is a few ulps, times the
// operations per step, times the steps, times the magnitudes involved (|p|, the state, the
// update), with cancellations accounted for. It follows torch's order of operations; wavae's
// kernels use the same operations in another order (sqrt(v) * (1 / sqrt(bc2)) for
// sqrt(v) / sqrt(bc2), (g g) c2 for (c2 g) g), each rounding at the same magnitudes, hence
//   vs the float64 reference: 2 e;    vs torch.optim (itself within 2 e of the reference): 4 e.
// The float64 reference's own error (~1e-16 relative) is far below either.
const REFERENCE_FACTOR = 2;
const TORCH_FACTOR = 4;

/** Checks got against want after each step in RECORD with tolerance factor x bound; names the worst element on failure. */
function expectClose(got: Record<number, ArrayLike<number>>, want: Record<number, ArrayLike<number>>,
  bound: Record<number, Float64Array>, factor: number, what: string): void {
  for (const t of RECORD) {
    const mismatch = firstMismatch(got[t], want[t], (i) => factor * bound[t][i]);
    expect(mismatch, `${what}, after step ${t}`).toBeNull();
  }
}

const fixtureCase = (name: string): FixtureCase => {
  const c = fixture.cases.find((x) => x.name === name);
  if (!c) throw new Error(`test/fixtures/torch-optim.json has no case '${name}': run scripts/optim-fixture.py`);
  return c;
};

describe('the torch.optim fixture', () => {
  it('has exactly the configs of this table, and the inputs of these formulas', () => {
    expect(fixture.cases.map((c) => ({ name: c.name, config: c.config }))).toEqual(CASES);
    expect(fixture.sizes).toEqual(SIZES);
    expect(fixture.param0).toEqual(Array.from(param0));
    expect(fixture.grads).toEqual(Array.from({ length: STEPS }, (_, k) => Array.from(gradAt(k + 1))));
  });
});

describe('the float64 reference is torch.optim, to float32 rounding', () => {
  it.each(CASES)('$name: the parameters after steps 1, 2 and 10', ({ name }) => {
    const c = fixtureCase(name);
    const ref = runReference(c);
    for (const t of RECORD) expect(ref.boundValues[t], 'the error bound follows the reference\'s values').toEqual(ref.values[t]);
    // torch is one float32 implementation: within 2 e of the exact values
    expectClose(c.params, ref.values, ref.bounds, REFERENCE_FACTOR, `torch ${fixture.torch} vs the float64 reference`);
  });
});

for (const backend of ['js', 'wasm'] as BackendName[]) {
  describe(`${backend}: wavae's optimizers step like torch.optim`, () => {
    let be: Backend;
    beforeAll(async () => {
      be = await createBackend(backend);
    });

    it.each(CASES)('$name: matches the float64 reference after steps 1, 2 and 10', ({ name, config }) => {
      const ref = runReference(fixtureCase(name));
      expectClose(runWavae(be, config), ref.values, ref.bounds, REFERENCE_FACTOR, `${backend} vs the float64 reference`);
    });

    it.each(CASES)('$name: matches torch.optim after steps 1, 2 and 10', ({ name, config }) => {
      const c = fixtureCase(name);
      const ref = runReference(c);
      expectClose(runWavae(be, config), c.params, ref.bounds, TORCH_FACTOR, `${backend} vs torch ${fixture.torch}`);
    });
  });
}
