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
// A patch wholly inside the image is copied kernel row by kernel row (one f32x4 per row when
// kw = 4, the common 4x4 kernel); one at the border goes through the bounds-checked copy.
export function im2col_f32(col: usize, x: usize, n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, ho: i32, wo: i32): void {
  const planeB = <usize>(h * w) << 2;
  const lineB = <usize>w << 2;
  let dst = col;
  for (let b = 0; b < n; b++) {
    const img = x + <usize>b * <usize>c * planeB;
    for (let oy = 0; oy < ho; oy++) {
      const y0 = oy * sh - ph;
      const rowsInside = y0 >= 0 && y0 + kh <= h;
      for (let ox = 0; ox < wo; ox++) {
        const x0 = ox * sw - pw;
        if (rowsInside && x0 >= 0 && x0 + kw <= w) {
          let plane = img + (<usize>(y0 * w + x0) << 2);
          for (let ci = 0; ci < c; ci++, plane += planeB) {
            let line = plane;
            if (kw == 4) {
              for (let ky = 0; ky < kh; ky++, line += lineB, dst += 16) v128.store(dst, v128.load(line));
            } else {
              for (let ky = 0; ky < kh; ky++, line += lineB, dst += <usize>kw << 2) copy_run(dst, line, kw);
            }
          }
          continue;
        }
        const k0 = max(0, -x0); // the kernel columns inside the image: [k0, k1)
        const k1 = min(kw, w - x0);
        for (let ci = 0; ci < c; ci++) {
          const plane = img + <usize>ci * planeB;
          for (let ky = 0; ky < kh; ky++) {
            const y = y0 + ky;
            if (y < 0 || y >= h || k1 <= k0) {
              for (let kx = 0; kx < kw; kx++) store<f32>(dst + (<usize>kx << 2), 0);
            } else {
              const line = plane + (<usize>(y * w + x0) << 2);
              let kx = 0;
              for (; kx < k0; kx++) store<f32>(dst + (<usize>kx << 2), 0);
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

// dst[0 : len] = src[0 : len], f32x4 then floats.
// @ts-ignore: decorator
@inline function copy_run(dst: usize, src: usize, len: i32): void {
  let k = 0;
  for (; k + 4 <= len; k += 4) v128.store(dst + (<usize>k << 2), v128.load(src + (<usize>k << 2)));
  for (; k < len; k++) store<f32>(dst + (<usize>k << 2), load<f32>(src + (<usize>k << 2)));
}

// The adjoint of im2col: x (n, c, h, w) = beta x + the sum of every patch entry of col that
// reads it (beta 0 does not read x). Scattered in col's order: each pixel adds its entries in
// increasing (oy, ox), one fixed order whatever the thread count. Patches wholly inside the image
// take the fast path of im2col (the same additions, fewer bounds checks).
export function col2im_f32(x: usize, col: usize, n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, ph: i32, pw: i32, ho: i32, wo: i32, beta: f32): void {
  const size = <usize>n * <usize>(c * h * w);
  if (beta == 0) memory.fill(x, 0, size << 2);
  else if (beta != 1) for (let i: usize = 0; i < size; i++) store<f32>(x + (i << 2), beta * load<f32>(x + (i << 2)));
  const planeB = <usize>(h * w) << 2;
  const lineB = <usize>w << 2;
  let src = col;
  for (let b = 0; b < n; b++) {
    const img = x + <usize>b * <usize>c * planeB;
    for (let oy = 0; oy < ho; oy++) {
      const y0 = oy * sh - ph;
      const rowsInside = y0 >= 0 && y0 + kh <= h;
      for (let ox = 0; ox < wo; ox++) {
        const x0 = ox * sw - pw;
        if (rowsInside && x0 >= 0 && x0 + kw <= w) {
          let plane = img + (<usize>(y0 * w + x0) << 2);
          for (let ci = 0; ci < c; ci++, plane += planeB) {
            let line = plane;
            if (kw == 4) {
              for (let ky = 0; ky < kh; ky++, line += lineB, src += 16) v128.store(line, f32x4.add(v128.load(line), v128.load(src)));
            } else {
              for (let ky = 0; ky < kh; ky++, line += lineB, src += <usize>kw << 2) add_run(line, src, kw);
            }
          }
          continue;
        }
        const k0 = max(0, -x0);
        const k1 = min(kw, w - x0);
        for (let ci = 0; ci < c; ci++) {
          const plane = img + <usize>ci * planeB;
          for (let ky = 0; ky < kh; ky++) {
            const y = y0 + ky;
            if (y >= 0 && y < h && k0 < k1) add_run(plane + (<usize>(y * w + x0 + k0) << 2), src + (<usize>k0 << 2), k1 - k0);
            src += <usize>kw << 2;
          }
        }
      }
    }
  }
}

// dst[0 : len] += src[0 : len], f32x4 then floats.
// @ts-ignore: decorator
@inline function add_run(dst: usize, src: usize, len: i32): void {
  let k = 0;
  for (; k + 4 <= len; k += 4) {
    const at = dst + (<usize>k << 2);
    v128.store(at, f32x4.add(v128.load(at), v128.load(src + (<usize>k << 2))));
  }
  for (; k < len; k++) {
    const at = dst + (<usize>k << 2);
    store<f32>(at, load<f32>(at) + load<f32>(src + (<usize>k << 2)));
  }
}

// out (batch, cols, rows) = beta out + the transpose of each inp (batch, rows, cols) matrix:
// NCHW <-> NHWC. beta 0 does not read out. 4 x 4 blocks through registers (f32x4 shuffles),
// the edges one float at a time with the same arithmetic.
export function transpose_f32(out: usize, inp: usize, batch: i32, rows: i32, cols: i32, beta: f32): void {
  const size = <usize>rows * <usize>cols;
  const inB = <usize>cols << 2; // bytes per row of inp
  const outB = <usize>rows << 2; // bytes per row of out
  const vb = f32x4.splat(beta);
  const r4 = rows & ~3;
  const c4 = cols & ~3;
  for (let b = 0; b < batch; b++) {
    const src = inp + (<usize>b * size << 2);
    const dst = out + (<usize>b * size << 2);
    for (let i = 0; i < r4; i += 4) {
      const s = src + <usize>i * inB;
      for (let j = 0; j < c4; j += 4) {
        const a = s + (<usize>j << 2);
        const r0 = v128.load(a), r1 = v128.load(a + inB), r2 = v128.load(a + 2 * inB), r3 = v128.load(a + 3 * inB);
        const t0 = f32x4.shuffle(r0, r1, 0, 4, 1, 5); // r0[0] r1[0] r0[1] r1[1]
        const t1 = f32x4.shuffle(r2, r3, 0, 4, 1, 5);
        const t2 = f32x4.shuffle(r0, r1, 2, 6, 3, 7);
        const t3 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
        const d = dst + <usize>j * outB + (<usize>i << 2);
        store_scaled(d, f32x4.shuffle(t0, t1, 0, 1, 4, 5), beta, vb);
        store_scaled(d + outB, f32x4.shuffle(t0, t1, 2, 3, 6, 7), beta, vb);
        store_scaled(d + 2 * outB, f32x4.shuffle(t2, t3, 0, 1, 4, 5), beta, vb);
        store_scaled(d + 3 * outB, f32x4.shuffle(t2, t3, 2, 3, 6, 7), beta, vb);
      }
      for (let j = c4; j < cols; j++) for (let r = i; r < i + 4; r++) transpose_one(dst, src, r, j, rows, cols, beta);
    }
    for (let i = r4; i < rows; i++) for (let j = 0; j < cols; j++) transpose_one(dst, src, i, j, rows, cols, beta);
  }
}

// out = v, or beta out + v (beta != 0), four floats.
// @ts-ignore: decorator
@inline function store_scaled(at: usize, v: v128, beta: f32, vb: v128): void {
  v128.store(at, beta == 0 ? v : f32x4.add(f32x4.mul(vb, v128.load(at)), v));
}

// dst[j][i] = src[i][j], or beta dst[j][i] + src[i][j].
// @ts-ignore: decorator
@inline function transpose_one(dst: usize, src: usize, i: i32, j: i32, rows: i32, cols: i32, beta: f32): void {
  const at = dst + (<usize>(j * rows + i) << 2);
  const v = load<f32>(src + (<usize>(i * cols + j) << 2));
  store<f32>(at, beta == 0 ? v : beta * load<f32>(at) + v);
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
// Four channels at a time: four independent chains of additions, each in the order above.
export function chan_sum_f32(out: usize, inp: usize, n: i32, c: i32, hw: i32, beta: f32): void {
  const planeB = <usize>hw << 2;
  let ch = 0;
  for (; ch + 4 <= c; ch += 4) {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (let b = 0; b < n; b++) {
      const p0 = inp + (<usize>(b * c + ch) * planeB);
      const p1 = p0 + planeB, p2 = p1 + planeB, p3 = p2 + planeB;
      for (let j = 0; j < hw; j++) {
        const o = <usize>j << 2;
        s0 += load<f32>(p0 + o); s1 += load<f32>(p1 + o); s2 += load<f32>(p2 + o); s3 += load<f32>(p3 + o);
      }
    }
    store_chan(out, ch, s0, beta); store_chan(out, ch + 1, s1, beta); store_chan(out, ch + 2, s2, beta); store_chan(out, ch + 3, s3, beta);
  }
  for (; ch < c; ch++) {
    let s: f32 = 0;
    for (let b = 0; b < n; b++) {
      const plane = inp + (<usize>(b * c + ch) * planeB);
      for (let j = 0; j < hw; j++) s += load<f32>(plane + (<usize>j << 2));
    }
    store_chan(out, ch, s, beta);
  }
}

// out[ch] = s, or beta out[ch] + s (beta != 0).
// @ts-ignore: decorator
@inline function store_chan(out: usize, ch: i32, s: f32, beta: f32): void {
  const at = out + (<usize>ch << 2);
  store<f32>(at, beta == 0 ? s : beta * load<f32>(at) + s);
}
