// GEMM with a fused epilogue, for all transposes, on one fast path:
//
//   C (m, n) = act(alpha * op(A) (m, k) * op(B) (k, n) + beta * C + bias (n))
//
// op(A) is A (m, k) with row stride lda when transA == 0, or the transpose of A (k, m) when
// transA == 1; likewise op(B). Training uses NT (forward, X W^T), NN (input gradient, dY W) and
// TN (weight gradient, dY^T X). Every transpose goes through the same three named pieces:
//
//   packing     pack_a / pack_b copy a block of op(A) / op(B) into the layouts below, absorbing
//               the transpose and zero-padding partial panels;
//   parameters  MR x NR = 5 x 8 register tile, KC x NC block of B, MC x KC block of A;
//   microkernel gemm_f32_5x8_simd: 10 f32x4 accumulators, one k step = 2 loads of B,
//               5 splats of A, 10 mul + 10 add; writes alpha * acc + beta * C (+ epilogue).
//               10 accumulators, 2 B vectors and 1 A splat fit the 16 SIMD registers of
//               x64 and arm64 without spills (5 x 8 measured 8-10% faster than 4 x 8 in V8).
//
// Packed layouts (floats; q is the panel index):
//
//   Ap: panels of MR rows       Ap[q][p][r] = op(A)(ic + MR q + r, pc + p)   r < MR, p < kc
//   Bp: panels of NR columns    Bp[q][p][c] = op(B)(pc + p, jc + NR q + c)   c < NR, p < kc
//
//   Ap panel q:  p=0: r0 r1 r2 r3 r4 | p=1: r0 .. r4 | ...    (20 bytes per k step)
//   Bp panel q:  p=0: c0 .. c7    | p=1: c0 .. c7    | ...    (32 bytes per k step)
//
// Rows or columns past the edge are packed as zeros, so the microkernel always computes a full
// tile; partial tiles are stored through a scratch tile. k is split into equal blocks of at most
// KC; beta applies to the first block, the epilogue (bias, activation) to the last.
// The workspace (MC * KC + KC * NC + TILE_FLOATS) is planned by the TypeScript backend at start-up.
import { act_v } from './activations';

// @ts-ignore: decorator
@inline const MR = 5;
// @ts-ignore: decorator
@inline const NR = 8;
// @ts-ignore: decorator
@inline const KC = 256;
// @ts-ignore: decorator
@inline const MC = 130; // a multiple of MR: no partial panel inside a block
// @ts-ignore: decorator
@inline const NC = 1024;

let wsA: usize = 0; // packed A block, MC * KC floats
let wsB: usize = 0; // packed B block, KC * NC floats
let TILE: usize = 0; // partial tiles: acc MR x NR | C MR x NR (at TILE_C) | bias NR (at TILE_BIAS)
// The workspace belongs to one instance: with shared memory every thread sets its own.
// @ts-ignore: decorator
@inline const TILE_C: usize = MR * NR * 4;
// @ts-ignore: decorator
@inline const TILE_BIAS: usize = 2 * MR * NR * 4;
// @ts-ignore: decorator
@inline const TILE_FLOATS = 2 * MR * NR + NR;

/** Number of floats of workspace gemm_f32 needs (set with gemm_set_workspace). */
export function gemm_workspace_floats(): i32 {
  return MC * KC + KC * NC + TILE_FLOATS;
}

/** Sets the gemm workspace: ptr is a 16-byte aligned byte offset of gemm_workspace_floats() floats. */
export function gemm_set_workspace(ptr: usize): void {
  wsA = ptr;
  wsB = ptr + <usize>(MC * KC * 4);
  TILE = wsB + <usize>(KC * NC * 4);
}

// acc + a * b: two roundings with plain SIMD; one fused multiply-add in the relaxed-SIMD build
// (assembly/gemm_relaxed.ts), where the engine may fuse, so results differ within float32 rounding.
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

// Stores the transpose of the 4x4 block with rows r0..r3 as 4 vectors at dst, dst + stride, ...
// @ts-ignore: decorator
@inline function store_transposed_4x4(dst: usize, stride: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = f32x4.shuffle(r0, r1, 0, 4, 1, 5); // r0[0] r1[0] r0[1] r1[1]
  const t1 = f32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t2 = f32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t3 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, f32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, f32x4.shuffle(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, f32x4.shuffle(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, f32x4.shuffle(t2, t3, 2, 3, 6, 7));
}

// Packs op(A)[ic : ic + mc, pc : pc + kc] into ap (layout Ap above). lda is in floats.
function pack_a(ap: usize, a: usize, lda: i32, transA: i32, ic: i32, pc: i32, mc: i32, kc: i32): void {
  const step: usize = MR * 4; // bytes per k step of a panel
  for (let q = 0; q < mc; q += MR) {
    const rows = min(MR, mc - q);
    const panel = ap + (<usize>q * <usize>kc << 2);
    if (transA == 0) {
      // op(A)(i, p) = a[i * lda + p]: rows 0-3 transposed 4 columns at a time, then row 4.
      const row0 = a + ((<usize>(ic + q) * <usize>lda + <usize>pc) << 2);
      const ldab = <usize>lda << 2;
      let p = 0;
      if (rows == MR) {
        const row4 = row0 + 4 * ldab;
        for (; p + 4 <= kc; p += 4) {
          const src = row0 + (<usize>p << 2);
          const dst = panel + <usize>p * step;
          store_transposed_4x4(dst, step,
            v128.load(src), v128.load(src + ldab), v128.load(src + 2 * ldab), v128.load(src + 3 * ldab));
          const src4 = row4 + (<usize>p << 2);
          store<f32>(dst, load<f32>(src4), 16);
          store<f32>(dst + step, load<f32>(src4, 4), 16);
          store<f32>(dst + 2 * step, load<f32>(src4, 8), 16);
          store<f32>(dst + 3 * step, load<f32>(src4, 12), 16);
        }
      }
      for (; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          const v: f32 = r < rows ? load<f32>(row0 + <usize>r * ldab + (<usize>p << 2)) : 0;
          store<f32>(panel + <usize>p * step + (<usize>r << 2), v);
        }
      }
    } else {
      // op(A)(i, p) = a[p * lda + i]: 5 consecutive floats per k step.
      for (let p = 0; p < kc; p++) {
        const src = a + ((<usize>(pc + p) * <usize>lda + <usize>(ic + q)) << 2);
        const dst = panel + <usize>p * step;
        if (rows == MR) {
          v128.store(dst, v128.load(src));
          store<f32>(dst, load<f32>(src, 16), 16);
        } else {
          for (let r = 0; r < MR; r++) store<f32>(dst + (<usize>r << 2), r < rows ? load<f32>(src + (<usize>r << 2)) : 0);
        }
      }
    }
  }
}

// Packs op(B)[pc : pc + kc, jc : jc + nc] into bp (layout Bp above). ldb is in floats.
function pack_b(bp: usize, b: usize, ldb: i32, transB: i32, pc: i32, jc: i32, kc: i32, nc: i32): void {
  const ldbb = <usize>ldb << 2;
  for (let q = 0; q < nc; q += NR) {
    const cols = min(NR, nc - q);
    const panel = bp + (<usize>q * <usize>kc << 2);
    if (transB == 0) {
      // op(B)(p, j) = b[p * ldb + j]: 8 consecutive floats per k step.
      for (let p = 0; p < kc; p++) {
        const src = b + (<usize>(pc + p) * ldbb) + (<usize>(jc + q) << 2);
        const dst = panel + (<usize>p << 5);
        if (cols == NR) {
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
        } else {
          for (let c = 0; c < NR; c++) store<f32>(dst + (<usize>c << 2), c < cols ? load<f32>(src + (<usize>c << 2)) : 0);
        }
      }
    } else {
      // op(B)(p, j) = b[j * ldb + p]: 8 rows of b, transposed 4 x 4 at a time.
      const row0 = b + <usize>(jc + q) * ldbb + (<usize>pc << 2);
      let p = 0;
      if (cols == NR) {
        for (; p + 4 <= kc; p += 4) {
          const src = row0 + (<usize>p << 2);
          const dst = panel + (<usize>p << 5);
          store_transposed_4x4(dst, 32,
            v128.load(src), v128.load(src + ldbb), v128.load(src + 2 * ldbb), v128.load(src + 3 * ldbb));
          const src4 = src + 4 * ldbb;
          store_transposed_4x4(dst + 16, 32,
            v128.load(src4), v128.load(src4 + ldbb), v128.load(src4 + 2 * ldbb), v128.load(src4 + 3 * ldbb));
        }
      }
      for (; p < kc; p++) {
        for (let c = 0; c < NR; c++) {
          const v: f32 = c < cols ? load<f32>(row0 + <usize>c * ldbb + (<usize>p << 2)) : 0;
          store<f32>(panel + ((<usize>p * NR + c) << 2), v);
        }
      }
    }
  }
}

// Final value of 8 outputs of one row: alpha * acc + beta * C, then bias and activation when
// act >= 0 (last k block). beta == 0 never reads C.
// @ts-ignore: decorator
@inline function finish_row(dst: usize, cin: usize, x0: v128, x1: v128, alpha: f32, beta: f32, bias: usize, act: i32, actAlpha: f32): void {
  const va = f32x4.splat(alpha);
  x0 = f32x4.mul(x0, va);
  x1 = f32x4.mul(x1, va);
  if (beta != 0) {
    const vb = f32x4.splat(beta);
    x0 = f32x4.add(x0, f32x4.mul(v128.load(cin), vb));
    x1 = f32x4.add(x1, f32x4.mul(v128.load(cin, 16), vb));
  }
  if (act >= 0) {
    if (bias) {
      x0 = f32x4.add(x0, v128.load(bias));
      x1 = f32x4.add(x1, v128.load(bias, 16));
    }
    x0 = act_v(x0, act, actAlpha);
    x1 = act_v(x1, act, actAlpha);
  }
  v128.store(dst, x0);
  v128.store(dst, x1, 16);
}

// The 5x8 microkernel: C[0:mr, 0:nr] (row stride ldcb bytes) from a packed A panel ap and a
// packed B panel bp of depth kc. act < 0: no epilogue. bias points at the tile's first column.
function gemm_f32_5x8_simd(kc: i32, ap: usize, bp: usize, c: usize, ldcb: usize, alpha: f32, beta: f32,
  mr: i32, nr: i32, bias: usize, act: i32, actAlpha: f32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    a = v128.load32_splat(ap, 16);
    c40 = madd(a, b0, c40);
    c41 = madd(a, b1, c41);
    ap += MR * 4;
    bp += NR * 4;
  }
  if (mr == MR && nr == NR) {
    finish_row(c, c, c00, c01, alpha, beta, bias, act, actAlpha);
    finish_row(c + ldcb, c + ldcb, c10, c11, alpha, beta, bias, act, actAlpha);
    finish_row(c + 2 * ldcb, c + 2 * ldcb, c20, c21, alpha, beta, bias, act, actAlpha);
    finish_row(c + 3 * ldcb, c + 3 * ldcb, c30, c31, alpha, beta, bias, act, actAlpha);
    finish_row(c + 4 * ldcb, c + 4 * ldcb, c40, c41, alpha, beta, bias, act, actAlpha);
    return;
  }
  // Partial tile: gather the valid part of C and bias into the scratch tile, finish there with
  // the same vector code, then copy the valid part out.
  v128.store(TILE, c00); v128.store(TILE, c01, 16);
  v128.store(TILE, c10, 32); v128.store(TILE, c11, 48);
  v128.store(TILE, c20, 64); v128.store(TILE, c21, 80);
  v128.store(TILE, c30, 96); v128.store(TILE, c31, 112);
  v128.store(TILE, c40, 128); v128.store(TILE, c41, 144);
  const cin = TILE + TILE_C; // C values, MR x NR
  const bin = TILE + TILE_BIAS; // bias, NR
  if (beta != 0) {
    for (let r = 0; r < mr; r++) {
      for (let j = 0; j < nr; j++) store<f32>(cin + (<usize>(r * NR + j) << 2), load<f32>(c + <usize>r * ldcb + (<usize>j << 2)));
    }
  }
  if (bias) for (let j = 0; j < nr; j++) store<f32>(bin + (<usize>j << 2), load<f32>(bias + (<usize>j << 2)));
  for (let r = 0; r < mr; r++) {
    const t = TILE + (<usize>r << 5);
    finish_row(t, cin + (<usize>r << 5), v128.load(t), v128.load(t, 16), alpha, beta, bias ? bin : 0, act, actAlpha);
    for (let j = 0; j < nr; j++) store<f32>(c + <usize>r * ldcb + (<usize>j << 2), load<f32>(t + (<usize>j << 2)));
  }
}

// Small m (m <= MR: one sample at inference, or a tiny batch): packing B would cost as much
// as the product itself, so these paths read A and B in place. NT takes dot products of
// contiguous rows; NN/TN accumulate rows of B into the row of C. Each row then gets the same
// epilogue as the packed path (finish_row on 8-column chunks, partial chunks via the tile).

// Dot product of x (k) and y (k), 4 independent f32x4 accumulators.
// @ts-ignore: decorator
@inline function dot_f32(x: usize, y: usize, k: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let p = 0;
  for (; p + 16 <= k; p += 16) {
    const o = <usize>p << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(x + o), v128.load(y + o)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(x + o, 16), v128.load(y + o, 16)));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(x + o, 32), v128.load(y + o, 32)));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(x + o, 48), v128.load(y + o, 48)));
  }
  for (; p + 4 <= k; p += 4) {
    const o = <usize>p << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(x + o), v128.load(y + o)));
  }
  const s = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
  let r = (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3));
  for (; p < k; p++) r += load<f32>(x + (<usize>p << 2)) * load<f32>(y + (<usize>p << 2));
  return r;
}

// Applies alpha, beta, bias and act to row r of C, whose raw products are in acc (n floats).
function finish_small_row(c: usize, acc: usize, n: i32, alpha: f32, beta: f32, bias: usize, act: i32, actAlpha: f32): void {
  let j = 0;
  for (; j + NR <= n; j += NR) {
    const o = <usize>j << 2;
    finish_row(c + o, c + o, v128.load(acc + o), v128.load(acc + o, 16), alpha, beta, bias ? bias + o : 0, act, actAlpha);
  }
  if (j < n) {
    const nr = n - j;
    const o = <usize>j << 2;
    const cin = TILE + TILE_C;
    const bin = TILE + TILE_BIAS;
    for (let t = 0; t < NR; t++) {
      store<f32>(TILE + (<usize>t << 2), t < nr ? load<f32>(acc + o + (<usize>t << 2)) : 0);
      store<f32>(cin + (<usize>t << 2), t < nr && beta != 0 ? load<f32>(c + o + (<usize>t << 2)) : 0);
      store<f32>(bin + (<usize>t << 2), t < nr && bias ? load<f32>(bias + o + (<usize>t << 2)) : 0);
    }
    finish_row(TILE, cin, v128.load(TILE), v128.load(TILE, 16), alpha, beta, bias ? bin : 0, act, actAlpha);
    for (let t = 0; t < nr; t++) store<f32>(c + o + (<usize>t << 2), load<f32>(TILE + (<usize>t << 2)));
  }
}

// C (m <= MR rows) without packing; acc is workspace for one row of up to KC * NC floats, so
// wide rows go in chunks of that many columns (the same arithmetic for every element, so the
// choice of this path never depends on n: threads that split n get the same bits).
function gemm_f32_small_m(transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f32, c: usize, ldc: i32, bias: usize, act: i32, actAlpha: f32): void {
  const acc = wsB;
  const ldab = <usize>lda << 2;
  const ldbb = <usize>ldb << 2;
  for (let i = 0; i < m; i++) {
    // op(A) row i; contiguous only when transA == 0, else gathered into wsA (k <= MC * KC is checked by the caller)
    let arow = a + <usize>i * ldab;
    if (transA) {
      for (let p = 0; p < k; p++) store<f32>(wsA + (<usize>p << 2), load<f32>(a + <usize>p * ldab + (<usize>i << 2)));
      arow = wsA;
    }
    for (let j0 = 0; j0 < n; j0 += KC * NC) {
      const nc = min(KC * NC, n - j0);
      if (transB) {
        // C(i, j) = dot(op(A) row i, B row j)
        for (let j = 0; j < nc; j++) store<f32>(acc + (<usize>j << 2), dot_f32(arow, b + <usize>(j0 + j) * ldbb, k));
      } else {
        // C(i, j0 : j0 + nc) = sum over p of op(A)(i, p) B(p, j0 : j0 + nc)
        memory.fill(acc, 0, <usize>nc << 2);
        for (let p = 0; p < k; p++) {
          const aip = load<f32>(arow + (<usize>p << 2));
          const va = f32x4.splat(aip);
          const brow = b + <usize>p * ldbb + (<usize>j0 << 2);
          let j = 0;
          for (; j + 4 <= nc; j += 4) {
            const o = <usize>j << 2;
            v128.store(acc + o, f32x4.add(v128.load(acc + o), f32x4.mul(va, v128.load(brow + o))));
          }
          for (; j < nc; j++) {
            const o = <usize>j << 2;
            store<f32>(acc + o, load<f32>(acc + o) + aip * load<f32>(brow + o));
          }
        }
      }
      finish_small_row(c + ((<usize>i * <usize>ldc + <usize>j0) << 2), acc, nc, alpha, beta, bias ? bias + (<usize>j0 << 2) : 0, act, actAlpha);
    }
  }
}

/**
 * C (m, n), row stride ldc = act(alpha * op(A) op(B) + beta * C + bias). Pointers are byte
 * offsets, strides are in floats, bias (n) may be 0, act is an activation code (0 = identity).
 * m, n, k >= 1 (checked by the TypeScript backend).
 */
export function gemm_f32(transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
  bias: usize, act: i32, actAlpha: f32): void {
  if (m <= MR && k <= MC * KC) {
    gemm_f32_small_m(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, actAlpha);
    return;
  }
  const blocks = (k + KC - 1) / KC;
  const kstep = (k + blocks - 1) / blocks; // equal blocks: no thin last block
  const ldcb = <usize>ldc << 2;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kstep) {
      const kc = min(kstep, k - pc);
      pack_b(wsB, b, ldb, transB, pc, jc, kc, nc);
      const betaBlock: f32 = pc == 0 ? beta : 1;
      const actBlock = pc + kc >= k ? act : -1;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        pack_a(wsA, a, lda, transA, ic, pc, mc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bpanel = wsB + (<usize>jr * <usize>kc << 2);
          const biasTile = bias ? bias + (<usize>(jc + jr) << 2) : 0;
          const ctile = c + <usize>ic * ldcb + (<usize>(jc + jr) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            gemm_f32_5x8_simd(kc, wsA + (<usize>ir * <usize>kc << 2), bpanel, ctile + <usize>ir * ldcb, ldcb,
              alpha, betaBlock, min(MR, mc - ir), nr, biasTile, actBlock, actAlpha);
          }
        }
      }
    }
  }
}
