// GEMM that skips the zeros of its data operand X, with gemm_f32's result bit for bit:
//
//   NT  C (m, n) = act(alpha * X (m, k) * W^T + beta * C + bias)   W (n, k): a dense layer's forward
//   TN  C (m, n) = act(alpha * D^T * X (k, n) + beta * C + bias)   D (k, m): its weight gradient dY^T X
//
// Each output is a sum over k of x * w where x runs over one row of X (NT) or one column of X
// (TN). The kernel makes, for each such row or column, a list of its nonzeros (k step p and
// value x, ascending p), then sums only those: on MNIST batches 19% of the pixels. The dense
// operand is packed into panels of up to PW = 40 of its rows (NT: W's rows; TN: D's columns) by
// k step, Pp[p][c], and one pass sums a list against a panel in 10 f32x4 accumulators:
//
//   for each (p, x) in the list:  acc[0..9] += splat(x) * Pp[p][0..39]   (10 loads, 10 madd)
//
// NT stores a pass as 40 outputs of one row of C; TN as 40 outputs of one column, so it runs 8
// columns (lists) against a panel, transposes the 8 x 40 sums and stores 8-wide row pieces.
// Narrower panels (32, 24, 16, 8) share out the last columns evenly (panel_width). 40 and 48 measured alike, 10% faster than 32.
// The epilogue is gemm_f32's (finish_row, through finish_small_row).
//
// Why the bits are gemm_f32's: gemm_f32 (gemm.ts) sums each output over its equal k blocks of at
// most KC, each from +0 in ascending p with madd (mul then add, or the relaxed build's fused
// multiply-add: this file is compiled into both modules), then applies alpha, beta (1 after the
// first block) and, after the last block, bias and activation. This kernel uses the same blocks,
// order, madd and epilogue; the tile shape does not enter any element's arithmetic. A skipped
// step would add x * w with x = +-0, which is +-0 when w is finite, and acc + (+-0) == acc for
// every acc but -0, which an accumulator that starts at +0 never becomes (a sum is -0 only when
// both addends are -0). A NaN or infinity in the dense operand breaks this (0 * inf = NaN in
// gemm_f32): a block whose packed dense operand holds one lists every step, so the result is
// gemm_f32's in every case, NaN included. The product is x * w here and w * x in gemm_f32's TN,
// equal in IEEE arithmetic (a NaN's payload aside, which is no part of the contract).
// Other transposes, and m <= MR (gemm_f32's unpacked small-m path sums in another order), run
// gemm_f32 itself, as does X denser than DENSE_ABOVE (counted in one vector pass) and a dense
// operand narrower than one panel (a VAE's 20-wide heads: 2.0x slower in passes of 16 and 8).
import { gemm_f32 } from './gemm';
import { KC, LISTS, LIST_CHUNK, LIST_INTS, MC, MR, NC, PW, TACC, TROWS, finish_row, finish_small_row, madd, store_transposed_4x4, wsB } from './gemm_tile';

/**
 * Share of nonzeros of X above which gemm_f32 runs: npm run bench:sparse (bench/sparse.ts) puts
 * the break-even with uniformly scattered zeros at 0.6 (TN) to 0.65 (NT) at the VAE's shapes, and
 * 0.55 at 1.07-1.13x; MNIST batches (0.19) run 2.4x faster in both on one thread.
 */
// @ts-ignore: decorator
@inline const DENSE_ABOVE: f64 = 0.6;

// @ts-ignore: decorator
@inline const LIST_BYTES: usize = LIST_INTS * 4;

/**
 * gemm_f32's result, bit for bit, summing only the nonzeros of X: NT (X = op(A)) and TN
 * (X = op(B)); every other call runs gemm_f32. Arguments as gemm_f32's.
 */
export function gemm_sparse_f32(transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
  bias: usize, act: i32, actAlpha: f32): void {
  const nt = transA == 0 && transB == 1;
  const tn = transA == 1 && transB == 0;
  if (!(nt || tn) || (m <= MR && k <= MC * KC) || (nt ? n : m) < PW || (nt ? nonzero_share(a, m, k, lda) : nonzero_share(b, k, n, ldb)) > DENSE_ABOVE) {
    gemm_f32(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, actAlpha);
    return;
  }
  const blocks = (k + KC - 1) / KC;
  const kstep = (k + blocks - 1) / blocks; // gemm_f32's blocks
  if (nt) sparse_nt(m, n, k, kstep, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, actAlpha);
  else sparse_tn(m, n, k, kstep, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, actAlpha);
}

// NT: C (m, n) from X (m, k) rows ldx floats apart and W (n, k) rows ldw apart.
function sparse_nt(m: i32, n: i32, k: i32, kstep: i32, alpha: f32, x: usize, ldx: i32, w: usize, ldw: i32,
  beta: f32, c: usize, ldc: i32, bias: usize, act: i32, actAlpha: f32): void {
  const ldcb = <usize>ldc << 2;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kstep) {
      const kc = min(kstep, k - pc);
      const packed = pack_panels(wsB, w, ldw, 1, pc, jc, kc, nc);
      const skip = all_finite(wsB, kc * packed);
      const betaBlock: f32 = pc == 0 ? beta : 1;
      const actBlock = pc + kc >= k ? act : -1;
      for (let ic = 0; ic < m; ic += LIST_CHUNK) {
        const mc = min(LIST_CHUNK, m - ic);
        for (let r = 0; r < mc; r++) list_row(LISTS + <usize>r * LIST_BYTES, x + ((<usize>(ic + r) * <usize>ldx + <usize>pc) << 2), kc, skip);
        for (let q = 0; q < nc;) {
          const wd = panel_width(nc - q);
          const cols = min(wd, nc - q);
          const panel = wsB + (<usize>q * <usize>kc << 2);
          const biasP = bias ? bias + (<usize>(jc + q) << 2) : 0;
          const crow = c + <usize>ic * ldcb + (<usize>(jc + q) << 2);
          for (let r = 0; r < mc; r++) {
            list_pass(wd, LISTS + <usize>r * LIST_BYTES, panel, TACC);
            finish_small_row(crow + <usize>r * ldcb, TACC, cols, alpha, betaBlock, biasP, actBlock, actAlpha);
          }
          q += wd;
        }
      }
    }
  }
}

// TN: C (m, n) from D (k, m) rows ldd floats apart and X (k, n) rows ldx apart.
function sparse_tn(m: i32, n: i32, k: i32, kstep: i32, alpha: f32, d: usize, ldd: i32, x: usize, ldx: i32,
  beta: f32, c: usize, ldc: i32, bias: usize, act: i32, actAlpha: f32): void {
  const ldcb = <usize>ldc << 2;
  for (let ic = 0; ic < m; ic += NC) {
    const mc = min(NC, m - ic);
    for (let pc = 0; pc < k; pc += kstep) {
      const kc = min(kstep, k - pc);
      const packed = pack_panels(wsB, d, ldd, 0, pc, ic, kc, mc);
      const skip = all_finite(wsB, kc * packed);
      const betaBlock: f32 = pc == 0 ? beta : 1;
      const actBlock = pc + kc >= k ? act : -1;
      for (let jc = 0; jc < n; jc += LIST_CHUNK) {
        const ncc = min(LIST_CHUNK, n - jc);
        list_cols(x, ldx, pc, jc, kc, ncc, skip);
        for (let q = 0; q < mc;) {
          const wd = panel_width(mc - q);
          const rows = min(wd, mc - q);
          const panel = wsB + (<usize>q * <usize>kc << 2);
          const rowb = <usize>wd << 2; // bytes of one column's sums in TACC
          for (let j0 = 0; j0 < ncc; j0 += 8) {
            const cols = min(8, ncc - j0);
            for (let t = 0; t < cols; t++) list_pass(wd, LISTS + <usize>(j0 + t) * LIST_BYTES, panel, TACC + <usize>t * rowb);
            const biasP = bias ? bias + (<usize>(jc + j0) << 2) : 0;
            const ctile = c + <usize>(ic + q) * ldcb + (<usize>(jc + j0) << 2);
            if (cols == 8) {
              // TACC holds column t's sums at t * rowb: 4 rows at a time, transposed in registers
              const r4end = rows & ~3;
              for (let r4 = 0; r4 < r4end; r4 += 4) {
                finish_4x8(ctile + <usize>r4 * ldcb, ldcb, TACC + (<usize>r4 << 2), rowb, alpha, betaBlock, biasP, actBlock, actAlpha);
              }
              if (r4end == rows) continue;
            }
            // partial: transpose into TROWS, row r = 8 columns at r * 32 bytes, then store the valid part
            for (let r4 = 0; r4 < wd; r4 += 4) {
              for (let h = 0; h < 8; h += 4) {
                const src = TACC + <usize>h * rowb + (<usize>r4 << 2);
                store_transposed_4x4(TROWS + (<usize>r4 << 5) + (<usize>h << 2), 32,
                  v128.load(src), v128.load(src + rowb), v128.load(src + 2 * rowb), v128.load(src + 3 * rowb));
              }
            }
            for (let r = cols == 8 ? rows & ~3 : 0; r < rows; r++) finish_small_row(ctile + <usize>r * ldcb, TROWS + (<usize>r << 5), cols, alpha, betaBlock, biasP, actBlock, actAlpha);
          }
          q += wd;
        }
      }
    }
  }
}

// Finishes 4 rows x 8 columns of C at c (row stride ldcb bytes) from sums stored by column: column
// t's 4 values at sums + t * colb. Transposed in registers, then gemm_f32's finish_row per row.
function finish_4x8(c: usize, ldcb: usize, sums: usize, colb: usize, alpha: f32, beta: f32, bias: usize, act: i32, actAlpha: f32): void {
  const c0 = v128.load(sums), c1 = v128.load(sums + colb), c2 = v128.load(sums + 2 * colb), c3 = v128.load(sums + 3 * colb);
  const c4 = v128.load(sums + 4 * colb), c5 = v128.load(sums + 5 * colb), c6 = v128.load(sums + 6 * colb), c7 = v128.load(sums + 7 * colb);
  const l0 = f32x4.shuffle(c0, c1, 0, 4, 1, 5), l1 = f32x4.shuffle(c2, c3, 0, 4, 1, 5); // rows 0, 1 of columns 0-3
  const l2 = f32x4.shuffle(c0, c1, 2, 6, 3, 7), l3 = f32x4.shuffle(c2, c3, 2, 6, 3, 7); // rows 2, 3
  const h0 = f32x4.shuffle(c4, c5, 0, 4, 1, 5), h1 = f32x4.shuffle(c6, c7, 0, 4, 1, 5); // the same of columns 4-7
  const h2 = f32x4.shuffle(c4, c5, 2, 6, 3, 7), h3 = f32x4.shuffle(c6, c7, 2, 6, 3, 7);
  finish_row(c, c, f32x4.shuffle(l0, l1, 0, 1, 4, 5), f32x4.shuffle(h0, h1, 0, 1, 4, 5), alpha, beta, bias, act, actAlpha);
  finish_row(c + ldcb, c + ldcb, f32x4.shuffle(l0, l1, 2, 3, 6, 7), f32x4.shuffle(h0, h1, 2, 3, 6, 7), alpha, beta, bias, act, actAlpha);
  finish_row(c + 2 * ldcb, c + 2 * ldcb, f32x4.shuffle(l2, l3, 0, 1, 4, 5), f32x4.shuffle(h2, h3, 0, 1, 4, 5), alpha, beta, bias, act, actAlpha);
  finish_row(c + 3 * ldcb, c + 3 * ldcb, f32x4.shuffle(l2, l3, 2, 3, 6, 7), f32x4.shuffle(h2, h3, 2, 3, 6, 7), alpha, beta, bias, act, actAlpha);
}

// Width of the next panel when rem columns remain: the fewest panels of at most PW columns, as
// even as multiples of 8 allow (64 = 32 + 32, not 40 + 16 + 8; 400 = 10 x 40; 784 = 18 x 40 +
// 2 x 32): the passes of narrow panels are bound by their accumulators' latency.
// @ts-ignore: decorator
@inline function panel_width(rem: i32): i32 {
  const units = (rem + 7) >> 3;
  const panels = (units + PW / 8 - 1) / (PW / 8);
  return ((units + panels - 1) / panels) << 3;
}

// Packs the dense operand's block into panels Pp[p][c] (panel_width columns, zero-padded), panel
// by panel at q * kc floats; returns the packed width. trans == 1: element (p, j) = src[j * ld + p]
// (W in NT); trans == 0: element (p, j) = src[p * ld + j] (D in TN). j runs over j0 .. j0 + cols.
function pack_panels(dst: usize, src: usize, ld: i32, trans: i32, pc: i32, j0: i32, kc: i32, cols: i32): i32 {
  const ldb = <usize>ld << 2;
  let q = 0;
  while (q < cols) {
    const wd = panel_width(cols - q);
    const valid = min(wd, cols - q);
    const panel = dst + (<usize>q * <usize>kc << 2);
    const step = <usize>wd << 2; // bytes per k step
    if (trans) {
      for (let c4 = 0; c4 < wd; c4 += 4) {
        const row0 = src + <usize>(j0 + q + c4) * ldb + (<usize>pc << 2);
        const col = panel + (<usize>c4 << 2);
        if (valid - c4 >= 4) {
          let p = 0;
          for (; p + 4 <= kc; p += 4) {
            const s = row0 + (<usize>p << 2);
            store_transposed_4x4(col + <usize>p * step, step, v128.load(s), v128.load(s + ldb), v128.load(s + 2 * ldb), v128.load(s + 3 * ldb));
          }
          for (; p < kc; p++) {
            for (let t = 0; t < 4; t++) store<f32>(col + <usize>p * step + (<usize>t << 2), load<f32>(row0 + <usize>t * ldb + (<usize>p << 2)));
          }
        } else {
          for (let p = 0; p < kc; p++) {
            for (let t = 0; t < 4; t++) {
              const v: f32 = c4 + t < valid ? load<f32>(row0 + <usize>t * ldb + (<usize>p << 2)) : 0;
              store<f32>(col + <usize>p * step + (<usize>t << 2), v);
            }
          }
        }
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const s = src + <usize>(pc + p) * ldb + (<usize>(j0 + q) << 2);
        const o = panel + <usize>p * step;
        if (valid == wd) {
          for (let c4 = 0; c4 < wd; c4 += 4) v128.store(o + (<usize>c4 << 2), v128.load(s + (<usize>c4 << 2)));
        } else {
          for (let t = 0; t < wd; t++) store<f32>(o + (<usize>t << 2), t < valid ? load<f32>(s + (<usize>t << 2)) : 0);
        }
      }
    }
    q += wd;
  }
  return q;
}

// Appends (p, v) to a list, keeping it when v is not zero (-0 is zero) or when skip is false:
// branch-free, the slot is overwritten when the step is dropped.
// @ts-ignore: decorator
@inline function append(list: usize, p: i32, v: f32, skip: bool): void {
  const cnt = load<i32>(list);
  const e = list + 4 + (<usize>cnt << 3);
  store<i32>(e, p);
  store<f32>(e, v, 4);
  store<i32>(list, cnt + <i32>(!skip || v != 0));
}

// The list of one row of X (kc floats at x): its nonzeros in ascending p; every step when skip is false.
function list_row(list: usize, x: usize, kc: i32, skip: bool): void {
  const zero = f32x4.splat(0);
  store<i32>(list, 0);
  let p = 0;
  for (; p + 4 <= kc; p += 4) {
    const at = x + (<usize>p << 2);
    if (skip && !v128.any_true(f32x4.ne(v128.load(at), zero))) continue; // 4 zeros
    append(list, p, load<f32>(at), skip);
    append(list, p + 1, load<f32>(at, 4), skip);
    append(list, p + 2, load<f32>(at, 8), skip);
    append(list, p + 3, load<f32>(at, 12), skip);
  }
  for (; p < kc; p++) append(list, p, load<f32>(x + (<usize>p << 2)), skip);
}

// The lists of columns jc .. jc + ncc of X's rows pc .. pc + kc (list t for column jc + t).
function list_cols(x: usize, ldx: i32, pc: i32, jc: i32, kc: i32, ncc: i32, skip: bool): void {
  const zero = f32x4.splat(0);
  for (let t = 0; t < ncc; t++) store<i32>(LISTS + <usize>t * LIST_BYTES, 0);
  for (let p = 0; p < kc; p++) {
    const row = x + ((<usize>(pc + p) * <usize>ldx + <usize>jc) << 2);
    let t = 0;
    for (; t + 4 <= ncc; t += 4) {
      const at = row + (<usize>t << 2);
      if (skip && !v128.any_true(f32x4.ne(v128.load(at), zero))) continue;
      const list = LISTS + <usize>t * LIST_BYTES;
      append(list, p, load<f32>(at), skip);
      append(list + LIST_BYTES, p, load<f32>(at, 4), skip);
      append(list + 2 * LIST_BYTES, p, load<f32>(at, 8), skip);
      append(list + 3 * LIST_BYTES, p, load<f32>(at, 12), skip);
    }
    for (; t < ncc; t++) append(LISTS + <usize>t * LIST_BYTES, p, load<f32>(row + (<usize>t << 2)), skip);
  }
}

// One pass: out[0 .. wd) = sum over the list's (p, x) of x * panel[p][0 .. wd), each sum from +0
// in list order with madd. wd is a multiple of 8 up to PW (panel_width), a constant in each instance.
// @ts-ignore: decorator
@inline function list_pass_w(wd: i32, list: usize, panel: usize, out: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0), a4 = f32x4.splat(0);
  let a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0), a8 = f32x4.splat(0), a9 = f32x4.splat(0);
  let e = list + 4;
  const end = e + (<usize>load<i32>(list) << 3);
  const step = <usize>wd << 2;
  for (; e < end; e += 8) {
    const bq = panel + <usize>load<i32>(e) * step;
    const xv = v128.load32_splat(e, 4);
    a0 = madd(xv, v128.load(bq), a0);
    a1 = madd(xv, v128.load(bq, 16), a1);
    if (wd >= 16) {
      a2 = madd(xv, v128.load(bq, 32), a2);
      a3 = madd(xv, v128.load(bq, 48), a3);
    }
    if (wd >= 24) {
      a4 = madd(xv, v128.load(bq, 64), a4);
      a5 = madd(xv, v128.load(bq, 80), a5);
    }
    if (wd >= 32) {
      a6 = madd(xv, v128.load(bq, 96), a6);
      a7 = madd(xv, v128.load(bq, 112), a7);
    }
    if (wd >= 40) {
      a8 = madd(xv, v128.load(bq, 128), a8);
      a9 = madd(xv, v128.load(bq, 144), a9);
    }
  }
  v128.store(out, a0);
  v128.store(out, a1, 16);
  if (wd >= 16) {
    v128.store(out, a2, 32);
    v128.store(out, a3, 48);
  }
  if (wd >= 24) {
    v128.store(out, a4, 64);
    v128.store(out, a5, 80);
  }
  if (wd >= 32) {
    v128.store(out, a6, 96);
    v128.store(out, a7, 112);
  }
  if (wd >= 40) {
    v128.store(out, a8, 128);
    v128.store(out, a9, 144);
  }
}

function list_pass_40(list: usize, panel: usize, out: usize): void { list_pass_w(40, list, panel, out); }
function list_pass_32(list: usize, panel: usize, out: usize): void { list_pass_w(32, list, panel, out); }
function list_pass_24(list: usize, panel: usize, out: usize): void { list_pass_w(24, list, panel, out); }
function list_pass_16(list: usize, panel: usize, out: usize): void { list_pass_w(16, list, panel, out); }
function list_pass_8(list: usize, panel: usize, out: usize): void { list_pass_w(8, list, panel, out); }

// @ts-ignore: decorator
@inline function list_pass(wd: i32, list: usize, panel: usize, out: usize): void {
  if (wd == 40) list_pass_40(list, panel, out);
  else if (wd == 32) list_pass_32(list, panel, out);
  else if (wd == 24) list_pass_24(list, panel, out);
  else if (wd == 16) list_pass_16(list, panel, out);
  else list_pass_8(list, panel, out);
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
