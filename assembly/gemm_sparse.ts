// GEMM that skips the zeros of its data operand X, with gemm_f32's result bit for bit:
//
//   NT  C (m, n) = act(alpha * X (m, k) * W^T + beta * C + bias)   W (n, k): a dense layer's forward
//   TN  C (m, n) = act(alpha * D^T * X (k, n) + beta * C + bias)   D (k, m): its weight gradient dY^T X
//
// It is gemm_f32's packed path (gemm.ts: the same blocks, packing, 5x8 register tile, madd and
// epilogue, shared through gemm_tile.ts) with one change: the microkernel runs only the k steps
// of a list, those where X's slice of the tile is not all zeros: NT, the 5 values of a packed
// A panel (5 rows of X); TN, the 8 values of a packed B panel (8 columns of X). The lists are
// made from the packed panels (LISTS in the workspace). On MNIST batches about 40% of the steps
// remain (19% of the pixels are nonzero, but a step is skipped only when its whole slice is zero).
//
// Why the bits are gemm_f32's: every output sums its k block from +0 in ascending p with madd
// (mul then add, or the relaxed build's fused multiply-add: this file is compiled into both
// modules); a skipped step would add x * y with x = +-0, which is +-0 when y is finite, and
// acc + (+-0) == acc for every acc but -0, which an accumulator that starts at +0 never becomes
// (a sum is -0 only when both addends are -0). A NaN or infinity in the other operand breaks
// this (0 * inf = NaN in gemm_f32): a block whose packed other operand (W's block in NT, D's in
// TN) holds one skips nothing, so the result is gemm_f32's in every case, NaN included.
// Other transposes, and m <= MR (gemm_f32's unpacked small-m path sums in another order), run
// gemm_f32 itself, as does X denser than DENSE_ABOVE (counted in one vector pass), where the
// lists would save too little.
import { gemm_f32 } from './gemm';
import { KC, LISTS, MC, MR, NC, NR, gemm_f32_5x8_simd, madd, pack_a, pack_b, store_tile, wsA, wsB } from './gemm_tile';

/**
 * Share of nonzeros of X above which gemm_f32 runs: npm run bench:sparse (bench/sparse.ts) puts
 * the break-even with uniformly scattered zeros at 0.3 (TN) to 0.45 (NT) at the VAE's shapes;
 * MNIST batches (0.19) run 1.9x (NT) and 2.0x (TN) faster on one thread.
 */
// @ts-ignore: decorator
@inline const DENSE_ABOVE: f64 = 0.3;

/**
 * gemm_f32's result, bit for bit, without the k steps where X's slice of a tile is all zeros:
 * NT (X = op(A)) and TN (X = op(B)); every other call runs gemm_f32. Arguments as gemm_f32's.
 */
export function gemm_sparse_f32(transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
  bias: usize, act: i32, actAlpha: f32): void {
  const nt = transA == 0 && transB == 1;
  const tn = transA == 1 && transB == 0;
  if (!(nt || tn) || (m <= MR && k <= MC * KC) || (nt ? nonzero_share(a, m, k, lda) : nonzero_share(b, k, n, ldb)) > DENSE_ABOVE) {
    gemm_f32(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, actAlpha);
    return;
  }
  const blocks = (k + KC - 1) / KC;
  const kstep = (k + blocks - 1) / blocks; // gemm_f32's blocks
  const ldcb = <usize>ldc << 2;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kstep) {
      const kc = min(kstep, k - pc);
      pack_b(wsB, b, ldb, transB, pc, jc, kc, nc);
      // NT: W's block must be finite for any step to be skipped; TN: the lists of X's columns
      const bFinite = nt ? all_finite(wsB, kc * ((nc + NR - 1) / NR) * NR) : true;
      if (tn) for (let jr = 0; jr < nc; jr += NR) list_steps_b(LISTS + <usize>(jr / NR) * ((KC + 1) << 2), wsB + (<usize>jr * <usize>kc << 2), kc);
      const betaBlock: f32 = pc == 0 ? beta : 1;
      const actBlock = pc + kc >= k ? act : -1;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        pack_a(wsA, a, lda, transA, ic, pc, mc, kc);
        // TN: D's block must be finite for any step to be skipped; NT: the lists of X's rows
        const skip = nt ? bFinite : all_finite(wsA, kc * ((mc + MR - 1) / MR) * MR);
        if (nt) for (let ir = 0; ir < mc; ir += MR) list_steps_a(LISTS + <usize>(ir / MR) * ((KC + 1) << 2), wsA + (<usize>ir * <usize>kc << 2), kc, skip);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bpanel = wsB + (<usize>jr * <usize>kc << 2);
          const biasTile = bias ? bias + (<usize>(jc + jr) << 2) : 0;
          const ctile = c + <usize>ic * ldcb + (<usize>(jc + jr) << 2);
          const listB = LISTS + <usize>(jr / NR) * ((KC + 1) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const apanel = wsA + (<usize>ir * <usize>kc << 2);
            const ctileR = ctile + <usize>ir * ldcb;
            const mr = min(MR, mc - ir);
            if (nt) {
              gemm_f32_5x8_list_simd(LISTS + <usize>(ir / MR) * ((KC + 1) << 2), apanel, bpanel, ctileR, ldcb, alpha, betaBlock, mr, nr, biasTile, actBlock, actAlpha);
            } else if (skip) {
              gemm_f32_5x8_list_simd(listB, apanel, bpanel, ctileR, ldcb, alpha, betaBlock, mr, nr, biasTile, actBlock, actAlpha);
            } else {
              gemm_f32_5x8_simd(kc, apanel, bpanel, ctileR, ldcb, alpha, betaBlock, mr, nr, biasTile, actBlock, actAlpha); // every step: a TN block whose D holds a NaN or an infinity
            }
          }
        }
      }
    }
  }
}

// The list of an A panel (Ap[p][r], 5 floats per step): count, then the steps p whose 5 values are
// not all zero (-0 is zero), ascending; every step when skip is false.
function list_steps_a(list: usize, ap: usize, kc: i32, skip: bool): void {
  const zero = f32x4.splat(0);
  let cnt = 0;
  for (let p = 0; p < kc; p++) {
    const at = ap + <usize>p * (MR * 4);
    const on = !skip || v128.any_true(f32x4.ne(v128.load(at), zero)) || load<f32>(at, 16) != 0;
    store<i32>(list + 4 + (<usize>cnt << 2), p);
    cnt += <i32>on; // branch-free: the slot is overwritten when the step is off
  }
  store<i32>(list, cnt);
}

// The list of a B panel (Bp[p][c], 8 floats per step), as list_steps_a.
function list_steps_b(list: usize, bp: usize, kc: i32): void {
  const zero = f32x4.splat(0);
  let cnt = 0;
  for (let p = 0; p < kc; p++) {
    const at = bp + (<usize>p << 5);
    const on = v128.any_true(v128.or(f32x4.ne(v128.load(at), zero), f32x4.ne(v128.load(at, 16), zero)));
    store<i32>(list + 4 + (<usize>cnt << 2), p);
    cnt += <i32>on;
  }
  store<i32>(list, cnt);
}

// True when the len floats at x (a packed block) hold no NaN and no infinity (v * 0 is then 0 exactly).
function all_finite(x: usize, len: i32): bool {
  const zero = f32x4.splat(0);
  let s0 = zero, s1 = zero;
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    const o = <usize>i << 2;
    s0 = f32x4.add(s0, f32x4.mul(v128.load(x + o), zero));
    s1 = f32x4.add(s1, f32x4.mul(v128.load(x + o, 16), zero));
  }
  for (; i < len; i++) s0 = f32x4.add(s0, f32x4.splat(load<f32>(x + (<usize>i << 2)) * 0));
  const s = f32x4.add(s0, s1);
  return !v128.any_true(f32x4.ne(s, s));
}

// Share of nonzero values (-0 counts as zero) in x (rows, cols), row stride ld floats.
function nonzero_share(x: usize, rows: i32, cols: i32, ld: i32): f64 {
  const zero = f32x4.splat(0);
  let nz: i32 = 0;
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize>r * <usize>ld << 2);
    let cnt = i32x4.splat(0);
    let p = 0;
    for (; p + 4 <= cols; p += 4) cnt = i32x4.sub(cnt, f32x4.ne(v128.load(row + (<usize>p << 2)), zero)); // ne is -1 per lane
    nz += i32x4.extract_lane(cnt, 0) + i32x4.extract_lane(cnt, 1) + i32x4.extract_lane(cnt, 2) + i32x4.extract_lane(cnt, 3);
    for (; p < cols; p++) if (load<f32>(row + (<usize>p << 2)) != 0) nz++;
  }
  return <f64>nz / (<f64>rows * <f64>cols);
}

// gemm_f32's 5x8 microkernel (gemm.ts) over the k steps of a list (count, then steps p) instead of
// 0..kc-1: the same madd per step, in the same ascending order, and the same store.
function gemm_f32_5x8_list_simd(list: usize, ap: usize, bp: usize, c: usize, ldcb: usize, alpha: f32, beta: f32,
  mr: i32, nr: i32, bias: usize, act: i32, actAlpha: f32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  const cnt = load<i32>(list);
  for (let t = 0; t < cnt; t++) {
    const p = <usize>load<i32>(list + 4 + (<usize>t << 2));
    const bq = bp + (p << 5);
    const aq = ap + p * (MR * 4);
    const b0 = v128.load(bq);
    const b1 = v128.load(bq, 16);
    let x = v128.load32_splat(aq);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.load32_splat(aq, 4);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.load32_splat(aq, 8);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.load32_splat(aq, 12);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    x = v128.load32_splat(aq, 16);
    c40 = madd(x, b0, c40);
    c41 = madd(x, b1, c41);
  }
  store_tile(c, ldcb, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, alpha, beta, mr, nr, bias, act, actAlpha);
}
