// Mlp: a stack of Dense layers with planned activation buffers. forward() keeps every layer's
// output; backward() walks the stack in reverse, starting from the gradient the caller wrote
// into outputGrad.
import type { Act, Backend, Buf } from '../backend/index.js';
import { Dense, type DenseSpec } from './dense.js';
import type { ParamStore } from './params.js';
import { Rows } from './rows.js';

/** Layer specs for dims [d0, d1, ..., dk]: hidden layers use `act`, the last uses `lastAct`. */
export function mlpSpecs(prefix: string, dims: readonly number[], act: Act, lastAct: Act, firstIndex = 0): DenseSpec[] {
  const specs: DenseSpec[] = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    specs.push({ name: `${prefix}.${firstIndex + i}`, nin: dims[i], nout: dims[i + 1], act: i + 2 === dims.length ? lastAct : act });
  }
  return specs;
}

/** Per-batch-size buffers of an Mlp: each layer's output and its gradient, (capacity, nout). */
export class MlpPlan {
  readonly outs: Rows[];
  readonly grads: Rows[];

  constructor(be: Backend, layers: readonly Dense[], capacity: number) {
    this.outs = layers.map((l) => new Rows(be, capacity, l.spec.nout));
    this.grads = layers.map((l) => new Rows(be, capacity, l.spec.nout));
  }

  free(): void {
    for (const r of [...this.outs, ...this.grads]) r.free();
  }
}

/** A stack of dense layers. */
export class Mlp {
  readonly layers: Dense[];

  constructor(specs: readonly DenseSpec[], store: ParamStore) {
    this.layers = specs.map((s) => new Dense(s, store));
  }

  get outDim(): number {
    return this.layers[this.layers.length - 1].spec.nout;
  }

  /** Runs the stack on inp (n, nin); returns the last layer's output view (n, nout). */
  forward(be: Backend, plan: MlpPlan, inp: Buf, n: number): Buf {
    let x = inp;
    for (let i = 0; i < this.layers.length; i++) {
      const out = plan.outs[i].rows(n);
      this.layers[i].forward(be, out, x, n);
      x = out;
    }
    return x;
  }

  /** The buffer the caller fills with dL/d(output) before backward(). */
  outputGrad(plan: MlpPlan, n: number): Buf {
    return plan.grads[this.layers.length - 1].rows(n);
  }

  /**
   * Backward through the stack after forward(plan, inp, n): parameter gradients are overwritten;
   * dinp (n, nin) receives dL/d(inp) (overwritten when dinpBeta = 0, added when 1), or null.
   */
  backward(be: Backend, plan: MlpPlan, inp: Buf, n: number, dinp: Buf | null, dinpBeta: 0 | 1): void {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const below = i > 0 ? plan.outs[i - 1].rows(n) : inp;
      const dbelow = i > 0 ? plan.grads[i - 1].rows(n) : dinp;
      this.layers[i].backward(be, dbelow, i > 0 ? 0 : dinpBeta, plan.grads[i].rows(n), below, plan.outs[i].rows(n), n);
    }
  }
}
