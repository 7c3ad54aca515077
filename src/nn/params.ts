// One flat buffer per role: parameters, gradients and optimizer state share one layout, and
// every named tensor is a view (offset, shape) into it. Weights come first and are contiguous,
// so the L2 penalty is one sumsq and one axpy over a single range.
import type { Backend, Buf } from '../backend/index.js';
import { WavaeError } from '../errors.js';

/** A named tensor of the layout. */
export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** Weights take weight decay; biases and variances do not. */
  readonly decay: boolean;
}

/** Where a tensor lives in the flat buffers. */
export interface TensorView extends TensorSpec {
  readonly offset: number;
  readonly size: number;
}

/** The layout: decayed tensors first, then the rest, each in declaration order. */
export class ParamLayout {
  readonly tensors: readonly TensorView[];
  readonly size: number;
  /** Floats [0, decaySize) are the weights that take weight decay. */
  readonly decaySize: number;
  private readonly byName = new Map<string, TensorView>();

  constructor(specs: readonly TensorSpec[]) {
    const ordered = [...specs.filter((s) => s.decay), ...specs.filter((s) => !s.decay)];
    let offset = 0;
    const views: TensorView[] = [];
    for (const spec of ordered) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const view = { ...spec, offset, size };
      views.push(view);
      this.byName.set(spec.name, view);
      offset += size;
    }
    this.tensors = views;
    this.size = offset;
    this.decaySize = views.filter((v) => v.decay).reduce((s, v) => s + v.size, 0);
  }

  get(name: string): TensorView {
    const v = this.byName.get(name);
    if (!v) throw new WavaeError('INVALID_OPTION', `no parameter named '${name}'`);
    return v;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The tensor `name` as a Buf inside the flat buffer `flat`. */
  buf(flat: Buf, name: string): Buf {
    const v = this.get(name);
    return { off: flat.off + v.offset, len: v.size };
  }
}

/** Parameters and gradients of a model: two flat buffers with one layout. */
export class ParamStore {
  readonly params: Buf;
  readonly grads: Buf;

  constructor(readonly be: Backend, readonly layout: ParamLayout) {
    this.params = be.alloc(layout.size);
    this.grads = be.alloc(layout.size);
    be.fill_f32(this.grads, 0);
  }

  /** View of parameter `name`. */
  param(name: string): Buf {
    return this.layout.buf(this.params, name);
  }

  /** View of the gradient of `name`. */
  grad(name: string): Buf {
    return this.layout.buf(this.grads, name);
  }

  /** Copies of every parameter, by name, in declaration order of the layout. */
  read(which: 'params' | 'grads' = 'params'): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    const flat = this.be.read(which === 'params' ? this.params : this.grads);
    for (const t of this.layout.tensors) out[t.name] = flat.slice(t.offset, t.offset + t.size);
    return out;
  }

  /** Copy of the whole flat parameter buffer. */
  snapshot(): Float32Array {
    return this.be.read(this.params);
  }

  /** Restores a snapshot(). */
  restore(flat: Float32Array): void {
    this.be.write(this.params, flat);
  }

  free(): void {
    this.be.free(this.params);
    this.be.free(this.grads);
  }
}
