// wavae kernels: the WebAssembly module's exports. Every export takes byte offsets into this
// module's memory, dimensions and numbers only; TypeScript (src/backend/wasm.ts) owns the heap.
export { gemm_f32, gemm_workspace_floats, gemm_set_workspace } from './gemm';
export { bias_act_f32, act_backward_f32, col_sum_f32, scale_f32, axpy_f32, fill_f32, copy_f32, sumsq_f32 } from './elementwise';
export { bce_logits_f32, sse_f32, gauss_nll_f32, kl_normal_f32, reparam_f32, reparam_backward_f32 } from './losses';
export { sgd_f32, sgd_momentum_f32, adam_f32 } from './optimizers';

/** First byte past the module's static data: the TypeScript heap starts here. */
export function heap_base(): usize {
  return __heap_base;
}
