// Convolution lowering kernels: im2col and its adjoint col2im (the convolution's rows of
// patches, so that conv2d and conv2dTranspose run on the packed GEMM), a batched transpose
// between NCHW and NHWC, and per-channel bias + activation and sums. Pointers are byte offsets;
// dimensions are element counts; images are NCHW (one row per sample), patch rows are
// (sample, oy, ox) with columns (channel, ky, kx): PyTorch's weight order. No allocation, no
// bounds checks (the TypeScript backend checks every argument).
import { act_v } from './activations';
import { load_tail, store_tail } from './lanes';

// col (n*ho*wo, c*kh*kw) = the patches of x (n, c, h, w) for a kh x kw kernel, stride sh x sw,
// zero padding ph x pw: col[(b, oy, ox)][(ci, ky, kx)] = x[b][ci][oy*sh - ph + ky][ox*sw - pw + kx], or 0 outside.
export function im2col_f32(col: usize, x: usize, n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, ho: i32, wo: i32): void {
  let dst = col;
  for (let b = 0; b < n; b++) {
    const img = x + (<usize>b * <usize>(c * h * w) << 2);
    for (let oy = 0; oy < ho; oy++) {
      const y0 = oy * sh - ph;
      for (let ox = 0; ox < wo; ox++) {
        const x0 = ox * sw - pw;
        const k0 = max(0, -x0); // the kernel columns inside the image: [k0, k1)
        const k1 = min(kw, w - x0);
        for (let ci = 0; ci < c; ci++) {
          const plane = img + (<usize>(ci * h * w) << 2);
          for (let ky = 0; ky < kh; ky++) {
            const y = y0 + ky;
            if (y < 0 || y >= h || k1 <= k0) {
              for (let kx = 0; kx < kw; kx++) store<f32>(dst + (<usize>kx << 2), 0);
            } else {
              const line = plane + (<usize>(y * w + x0) << 2);
              let kx = 0;
              for (; kx < k0; kx++) store<f32>(dst + (<usize>kx << 2), 0);
              for (; kx + 4 <= k1; kx += 4) v128.store(dst + (<usize>kx << 2), v128.load(line + (<usize>kx << 2)));
              for (; kx < k1; kx++) store<f32>(dst + (<usize>kx << 2), load<f32>(line + (<usize>kx << 2)));
              for (; kx < kw; kx++) store<f32>(dst + (<usize>kx << 2), 0);
            }
            dst += <usize>kw << 2;
          }
        }
      }
    }
  }
}

// The adjoint of im2col: x (n, c, h, w) = beta x + the sum of every patch entry of col that
// reads it (beta 0 does not read x). Scattered in col's order: each pixel adds its entries in
// increasing (oy, ox), one fixed order whatever the thread count.
export function col2im_f32(x: usize, col: usize, n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, ho: i32, wo: i32, beta: f32): void {
  const size = <usize>n * <usize>(c * h * w);
  if (beta == 0) memory.fill(x, 0, size << 2);
  else if (beta != 1) for (let i: usize = 0; i < size; i++) store<f32>(x + (i << 2), beta * load<f32>(x + (i << 2)));
  let src = col;
  for (let b = 0; b < n; b++) {
    const img = x + (<usize>b * <usize>(c * h * w) << 2);
    for (let oy = 0; oy < ho; oy++) {
      const y0 = oy * sh - ph;
      for (let ox = 0; ox < wo; ox++) {
        const x0 = ox * sw - pw;
        const k0 = max(0, -x0);
        const k1 = min(kw, w - x0);
        for (let ci = 0; ci < c; ci++) {
          const plane = img + (<usize>(ci * h * w) << 2);
          for (let ky = 0; ky < kh; ky++) {
            const y = y0 + ky;
            if (y >= 0 && y < h) {
              const line = plane + (<usize>(y * w + x0) << 2);
              let kx = k0;
              for (; kx + 4 <= k1; kx += 4) {
                const at = line + (<usize>kx << 2);
                v128.store(at, f32x4.add(v128.load(at), v128.load(src + (<usize>kx << 2))));
              }
              for (; kx < k1; kx++) {
                const at = line + (<usize>kx << 2);
                store<f32>(at, load<f32>(at) + load<f32>(src + (<usize>kx << 2)));
              }
            }
            src += <usize>kw << 2;
          }
        }
      }
    }
  }
}

// out (batch, cols, rows) = beta out + the transpose of each inp (batch, rows, cols) matrix:
// NCHW <-> NHWC. beta 0 does not read out.
export function transpose_f32(out: usize, inp: usize, batch: i32, rows: i32, cols: i32, beta: f32): void {
  const size = <usize>rows * <usize>cols;
  for (let b = 0; b < batch; b++) {
    const src = inp + (<usize>b * size << 2);
    const dst = out + (<usize>b * size << 2);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const at = dst + (<usize>(j * rows + i) << 2);
        const v = load<f32>(src + (<usize>(i * cols + j) << 2));
        store<f32>(at, beta == 0 ? v : beta * load<f32>(at) + v);
      }
    }
  }
}

// out (n, c, hw) = act(inp (n, c, hw) + bias (c)): one bias per channel; out may equal inp.
export function chan_bias_act_f32(out: usize, inp: usize, bias: usize, n: i32, c: i32, hw: i32, act: i32, alpha: f32): void {
  const h4 = hw & ~3;
  const tail = hw - h4;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const plane = <usize>((b * c + ch) * hw) << 2;
      const bv = f32x4.splat(bias ? load<f32>(bias + (<usize>ch << 2)) : 0);
      let j = 0;
      for (; j < h4; j += 4) {
        const off = plane + (<usize>j << 2);
        v128.store(out + off, act_v(f32x4.add(v128.load(inp + off), bv), act, alpha));
      }
      if (tail) {
        const off = plane + (<usize>j << 2);
        store_tail(out + off, act_v(f32x4.add(load_tail(inp + off, tail, 0), bv), act, alpha), tail);
      }
    }
  }
}

// out (c) = beta out + the sum over samples and positions of inp (n, c, hw), in float32, in
// (sample, position) order; beta 0 does not read out. The bias gradient of a per-channel bias.
export function chan_sum_f32(out: usize, inp: usize, n: i32, c: i32, hw: i32, beta: f32): void {
  for (let ch = 0; ch < c; ch++) {
    let s: f32 = 0;
    for (let b = 0; b < n; b++) {
      const plane = inp + (<usize>((b * c + ch) * hw) << 2);
      for (let j = 0; j < hw; j++) s += load<f32>(plane + (<usize>j << 2));
    }
    const at = out + (<usize>ch << 2);
    store<f32>(at, beta == 0 ? s : beta * load<f32>(at) + s);
  }
}
