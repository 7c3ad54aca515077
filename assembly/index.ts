// wavae kernels: the WebAssembly module's exports. Every export takes byte offsets into this
// module's memory, dimensions and numbers only; TypeScript (src/backend/wasm.ts) owns the heap.
// Every exported function of these files is a kernel of src/backend/kernel-table.ts (the gemm
// workspace functions aside); test/kernel-table.test.ts checks that the two lists agree.
export * from './gemm';
export * from './gemm_sparse';
export * from './elementwise';
export * from './losses';
export * from './optimizers';
export * from './conv';

/** First byte past the module's static data: the TypeScript heap starts here. */
export function heap_base(): usize {
  return __heap_base;
}
