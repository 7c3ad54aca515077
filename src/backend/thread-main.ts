// The body of every kernel thread (threads.ts starts them). The build bundles this file into one
// self-contained script (generated/thread_source.ts, a global `wavaeKernelThread`), so what runs
// in the threads is wavae's own build output whatever toolchain bundles the rest.
//
// Control block (Int32 slots): generation, stop flag, finished threads, failed flag; the job as
// Float64 from byte JOB (op number and the kernel's arguments); a failing thread's message as
// UTF-16 from byte MESSAGE. The caller writes the job, then bumps the generation; each thread
// runs its part, then adds one to DONE (also when its part is empty or it failed).
import { PARTIALS, SPLIT_OPS, runPart, splitFns } from './split-ops.js';

export const GEN = 0;
export const STOP = 1;
export const DONE = 2;
export const FAILED = 3;
export const JOB = 64;
export const MESSAGE = 256;
export const MESSAGE_CHARS = 120;
export const JOB_SLOTS = (MESSAGE - JOB) / 8;
/** Bytes of the control block (WasmKernels reserves CONTROL_BLOCK_BYTES >= this). */
export const CONTROL_BYTES = MESSAGE + 2 * MESSAGE_CHARS;
/** Polls of the control block before a thread sleeps (Atomics.wait): tens of microseconds. */
export const SPIN = 20_000;


/** What a kernel thread receives: modules, the shared memory, and where its state lives. */
export interface ThreadData {
  module: WebAssembly.Module;
  /** The relaxed-SIMD GEMM (shared-memory form) when the pool uses it. */
  relaxed: WebAssembly.Module | null;
  memory: WebAssembly.Memory;
  workspace: number;
  control: number;
  /** Byte offset of PARTIALS float64 slots for block reductions. */
  partials: number;
  index: number;
  threads: number;
}

/** Writes a failure message into the control block (the first failing thread wins), naming the job's kernel and split. */
export function reportFailure(i32: Int32Array, message: Uint16Array, index: number, err: unknown, job: Float64Array): void {
  if (Atomics.compareExchange(i32, FAILED, 0, index + 1) !== 0) return;
  const op = SPLIT_OPS[job[0]];
  const text = `kernel thread ${index}: ${err instanceof Error ? err.message : String(err)}${op ? ` (${op.name}, split by ${op.kind})` : ''}`;
  for (let i = 0; i < MESSAGE_CHARS; i++) message[i] = i < text.length ? text.charCodeAt(i) : 0;
}

/** A kernel thread: instantiates the kernels on the shared memory, says it is ready, then runs its part of every job until stopped. */
export function main(data: ThreadData, ready: () => void): void {
  const { module, relaxed, memory, workspace, control, index, threads } = data;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  (instance.exports.gemm_set_workspace as (ptr: number) => void)(workspace);
  const fused = relaxed && new WebAssembly.Instance(relaxed, { env: { memory } });
  if (fused) (fused.exports.gemm_set_workspace as (ptr: number) => void)(workspace);
  const fns = splitFns(instance, fused || null);
  const i32 = new Int32Array(memory.buffer, control, MESSAGE / 4);
  const job = new Float64Array(memory.buffer, control + JOB, JOB_SLOTS);
  const message = new Uint16Array(memory.buffer, control + MESSAGE, MESSAGE_CHARS);
  const partials = new Float64Array(memory.buffer, data.partials, PARTIALS);
  ready();
  let seen = 0;
  for (;;) {
    // the next job of a training step usually follows within microseconds: spin a little before sleeping
    for (let spin = 0; spin < SPIN && Atomics.load(i32, GEN) === seen; spin++);
    Atomics.wait(i32, GEN, seen);
    seen = Atomics.load(i32, GEN);
    if (Atomics.load(i32, STOP)) break;
    try {
      runPart(fns, job, threads, index, partials);
    } catch (err) {
      reportFailure(i32, message, index, err, job);
    }
    Atomics.add(i32, DONE, 1);
    Atomics.notify(i32, DONE);
  }
}
