// The relaxed-SIMD GEMM: the same source as gemm.ts compiled with relaxed SIMD enabled, so the
// microkernel uses f32x4.relaxed_madd (fused multiply-add where the CPU has it). It imports the
// memory of the main kernels module and replaces gemm_f32 and gemm_sparse_f32, which must use the
// same multiply-add (build target "relaxed"; kernel-table.ts marks them `relaxed`).
export { gemm_f32, gemm_workspace_floats, gemm_set_workspace } from './gemm';
export { gemm_sparse_f32 } from './gemm_sparse';
