// The plain JavaScript rmsprop_f32, the reference of assembly/optimizers.ts's kernel of that name,
// written as src/backend/js.ts writes its kernels (float64 arithmetic on float32 storage, scalars
// rounded to float32 first, offsets in floats). Waiting here to move into JsKernels with the
// kernel table's row; not used by the library yet.

// Scalar arguments are float32 in the wasm kernels; rounding them here too keeps the semantics identical.
const f32 = Math.fround;

/**
 * RMSprop (torch.optim.RMSprop): g = grad + wd param; sq = alpha sq + (1 - alpha) g^2;
 * centered: gavg = alpha gavg + (1 - alpha) g, avg = sqrt(sq - gavg^2) + eps, else avg = sqrt(sq) + eps;
 * momentum > 0: buf = momentum buf + g / avg, param -= lr buf; else param -= lr g / avg.
 * param, sq, buf, gavg, grad: (len) float offsets into h; buf is used only when momentum > 0, gavg only when centered.
 */
export function rmsprop_f32_js(h: Float32Array, param: number, sq: number, buf: number, gavg: number, grad: number, len: number,
  lr: number, alpha: number, eps: number, wd: number, momentum: number, centered: number): void {
  lr = f32(lr); alpha = f32(alpha); eps = f32(eps); wd = f32(wd); momentum = f32(momentum);
  for (let i = 0; i < len; i++) {
    const g = h[grad + i] + wd * h[param + i];
    const s = alpha * h[sq + i] + (1 - alpha) * g * g;
    h[sq + i] = s;
    let avg: number;
    if (centered) {
      const ga = alpha * h[gavg + i] + (1 - alpha) * g;
      h[gavg + i] = ga;
      avg = Math.sqrt(s - ga * ga) + eps;
    } else {
      avg = Math.sqrt(s) + eps;
    }
    let step = g / avg;
    if (momentum > 0) {
      step = momentum * h[buf + i] + step;
      h[buf + i] = step;
    }
    h[param + i] -= lr * step;
  }
}
