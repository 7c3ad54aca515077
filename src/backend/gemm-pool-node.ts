// Threads for the wasm backend in Node: the kernels run on a shared WebAssembly.Memory, and a
// pool of worker_threads, each with its own instance and gemm workspace, splits every large GEMM
// by columns of C. The partition is fixed (chunks of whole 8-column tiles) and each element of C
// is computed by exactly one thread with the same arithmetic, so results are bitwise identical
// for any thread count. The calling thread computes its share, then waits on the control block
// (Atomics.wait: fine in Node's main thread and in Workers).
import { Worker } from 'node:worker_threads';
import { WavaeError } from '../errors.js';
import { KERNELS_MT_WASM_BASE64 } from './generated/kernels_mt_wasm.js';
import { decodeBase64 } from './kernels-module.js';
import type { Kernels } from './kernels.js';
import { WasmKernels, type GemmRunner } from './wasm.js';

/** Columns [j0, j1) of an n-column GEMM for thread t of `threads`, whole 8-column tiles each. */
export function partition(n: number, threads: number, t: number): [number, number] {
  const chunk = Math.ceil(Math.ceil(n / threads) / 8) * 8;
  return [Math.min(n, t * chunk), Math.min(n, (t + 1) * chunk)];
}

/** Runs the columns [j0, j1) of the GEMM described by g (the export's arguments, byte offsets). */
function runShare(gemm: (...args: number[]) => void, g: Float64Array, j0: number, j1: number): void {
  if (j1 <= j0) return;
  const [transA, transB, m, , k, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, actAlpha] = g;
  const bOff = transB ? b + j0 * ldb * 4 : b + j0 * 4;
  gemm(transA, transB, m, j1 - j0, k, alpha, a, lda, bOff, ldb, beta, c + j0 * 4, ldc, bias ? bias + j0 * 4 : 0, act, actAlpha);
}

// control block (Int32 slots): 0 generation, 1 stop flag, 2 finished workers; Float64 slots from byte 64: the job
const GEN = 0;
const STOP = 1;
const DONE = 2;

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, workspace, control, index, threads } = workerData;
const partition = ${partition.toString()};
const runShare = ${runShare.toString()};
const instance = new WebAssembly.Instance(module, { env: { memory } });
instance.exports.gemm_set_workspace(workspace);
parentPort.postMessage('ready');
const i32 = new Int32Array(memory.buffer, control, 16);
const job = new Float64Array(memory.buffer, control + 64, 16);
let seen = 0;
for (;;) {
  Atomics.wait(i32, ${GEN}, seen);
  seen = Atomics.load(i32, ${GEN});
  if (Atomics.load(i32, ${STOP})) break;
  const [j0, j1] = partition(job[3], threads, index);
  runShare(instance.exports.gemm_f32, job, j0, j1);
  Atomics.add(i32, ${DONE}, 1);
  Atomics.notify(i32, ${DONE});
}
`;

/** The process's Node flags minus --input-type, which would make the eval'd script a module. */
export function scriptExecArgv(): string[] {
  return process.execArgv.filter((a, i, all) => !a.startsWith('--input-type') && all[i - 1] !== '--input-type');
}

class GemmPool implements GemmRunner {
  private readonly i32: Int32Array;
  private readonly job: Float64Array;
  private readonly workers: Worker[] = [];
  private failure: string | null = null;
  /** Resolves when every thread has its instance: a worker's start-up needs the caller's event loop, so wait for it before any Atomics.wait. */
  readonly ready: Promise<void>;

  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, kernels: WasmKernels,
    private readonly gemm0: (...args: number[]) => void, private readonly threads: number) {
    this.i32 = new Int32Array(memory.buffer, kernels.control, 16);
    this.job = new Float64Array(memory.buffer, kernels.control + 64, 16);
    this.i32.fill(0);
    const started: Promise<void>[] = [];
    for (let t = 1; t < threads; t++) {
      const worker = new Worker(WORKER, {
        eval: true, execArgv: scriptExecArgv(), workerData: { module, memory, workspace: kernels.threadWorkspaces[t - 1], control: kernels.control, index: t, threads },
      });
      worker.unref(); // idle threads never keep the process alive
      worker.on('error', (err) => { this.failure = `a kernel thread failed: ${err.message}`; });
      worker.on('exit', (code) => { this.failure ??= `a kernel thread exited (code ${code})`; });
      started.push(new Promise((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
      }));
      this.workers.push(worker);
    }
    this.ready = Promise.all(started).then(() => undefined);
  }

  gemm(g: Float64Array): void {
    if (this.failure) throw new WavaeError('WORKER_FAILED', this.failure);
    this.job.set(g);
    Atomics.store(this.i32, DONE, 0);
    Atomics.add(this.i32, GEN, 1);
    Atomics.notify(this.i32, GEN);
    const [j0, j1] = partition(g[3], this.threads, 0);
    runShare(this.gemm0, g, j0, j1);
    // wait for the others; a thread that died cannot answer, so give up after a generous time
    const deadline = Date.now() + 10_000 + (2 * g[2] * g[3] * g[4]) / 1e6;
    for (;;) {
      const done = Atomics.load(this.i32, DONE);
      if (done >= this.threads - 1) break;
      if (Atomics.wait(this.i32, DONE, done, 100) === 'timed-out' && Date.now() > deadline) {
        throw new WavaeError('WORKER_FAILED', this.failure ?? 'a kernel thread stopped answering');
      }
    }
  }

  close(): void {
    Atomics.store(this.i32, STOP, 1);
    Atomics.add(this.i32, GEN, 1);
    Atomics.notify(this.i32, GEN);
    for (const w of this.workers) void w.terminate();
  }
}

/** Kernels on shared memory with `threads` threads (the calling one included). */
export async function createThreadedWasmKernels(threads: number): Promise<{ kernels: Kernels; close: () => void }> {
  const module = await WebAssembly.compile(decodeBase64(KERNELS_MT_WASM_BASE64));
  const memory = new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const exports = instance.exports as unknown as ConstructorParameters<typeof WasmKernels>[0];
  const kernels = new WasmKernels(exports, threads);
  const pool = new GemmPool(module, memory, kernels, instance.exports.gemm_f32 as (...args: number[]) => void, threads);
  try {
    await pool.ready;
  } catch (err) {
    pool.close();
    throw new WavaeError('BACKEND_UNAVAILABLE', `init: the kernel threads failed to start: ${(err as Error).message}`);
  }
  kernels.runner = pool;
  return { kernels, close: () => pool.close() };
}
