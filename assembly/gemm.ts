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
// The parameters, workspace, multiply-add and epilogue live in gemm_tile.ts (shared with
// gemm_sparse.ts). The workspace (MC * KC + KC * NC + TILE_FLOATS, and LIST_FLOATS for gemm_sparse_f32) is planned by the TypeScript backend at start-up.
import { KC, LIST_FLOATS, MC, MR, NC, NR, TILE_FLOATS, finish_small_row, gemm_f32_5x8_simd, pack_a, pack_b, set_gemm_workspace, wsA, wsB } from './gemm_tile';

/** Number of floats of workspace gemm_f32 needs (set with gemm_set_workspace). */
export function gemm_workspace_floats(): i32 {
  return MC * KC + KC * NC + TILE_FLOATS + LIST_FLOATS;
}

/** Sets the gemm workspace: ptr is a 16-byte aligned byte offset of gemm_workspace_floats() floats. */
export function gemm_set_workspace(ptr: usize): void {
  set_gemm_workspace(ptr);
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
