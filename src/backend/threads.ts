// Kernel threads, whatever the platform: the kernels run on a shared WebAssembly.Memory, and a
// pool of threads (worker_threads in Node, Web Workers in browsers: the platform supplies a
// ThreadSpawner), each with its own instance and gemm workspace, splits every large GEMM by
// columns of C. The partition is fixed (chunks of whole 8-column tiles) and each element of C is
// computed by exactly one thread with the same arithmetic, so results are bitwise identical for
// any thread count. The calling thread computes its share, then waits on the control block:
// Atomics.wait where the engine lets it block (Node, Workers), a spin on Atomics.load where it
// does not (a page's main thread).
import { WavaeError } from '../errors.js';
import type { Kernels } from './kernels.js';
import { SHARED_PAGES } from './shared-module.js';
import { CONTROL_BLOCK_BYTES, WasmKernels, type GemmRunner } from './wasm.js';

/** What a kernel thread receives: modules, the shared memory, and where its state lives. */
export interface ThreadData {
  module: WebAssembly.Module;
  /** The relaxed-SIMD GEMM (shared-memory form) when the pool uses it. */
  relaxed: WebAssembly.Module | null;
  memory: WebAssembly.Memory;
  workspace: number;
  control: number;
  index: number;
  threads: number;
}

/** A started thread: it calls `onReady` once its instance exists, `onFailure` if it dies. */
export interface ThreadHandle {
  listen(onReady: () => void, onFailure: (message: string) => void): void;
  terminate(): void;
}

/** Starts a thread that runs `source` (a function expression) as `(source)(data, ready)`. */
export type ThreadSpawner = (source: string, data: ThreadData) => ThreadHandle;

/** A platform's threads: why they cannot run here (or null), the cores, how to start one. */
export interface ThreadPlatform {
  unavailable(): string | null;
  cores(): number;
  spawn: ThreadSpawner;
}

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

// control block (Int32 slots): generation, stop flag, finished threads, failed flag; the job as
// Float64 from byte 64 (16 slots); a failing thread's message as UTF-16 from byte 256
const GEN = 0;
const STOP = 1;
const DONE = 2;
const FAILED = 3;
const JOB = 64;
const MESSAGE = 256;
const MESSAGE_CHARS = 120;
if (MESSAGE + 2 * MESSAGE_CHARS > CONTROL_BLOCK_BYTES) throw new Error('the control block outgrew its reservation');

/** The body of every kernel thread, as source: it must not close over anything. */
const THREAD_SOURCE = `(data, ready) => {
  const partition = ${partition.toString()};
  const runShare = ${runShare.toString()};
  const { module, relaxed, memory, workspace, control, index, threads } = data;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  instance.exports.gemm_set_workspace(workspace);
  let gemm = instance.exports.gemm_f32;
  if (relaxed) {
    const fused = new WebAssembly.Instance(relaxed, { env: { memory } });
    fused.exports.gemm_set_workspace(workspace);
    gemm = fused.exports.gemm_f32;
  }
  const i32 = new Int32Array(memory.buffer, control, ${MESSAGE / 4});
  const job = new Float64Array(memory.buffer, control + ${JOB}, 16);
  const message = new Uint16Array(memory.buffer, control + ${MESSAGE}, ${MESSAGE_CHARS});
  ready();
  let seen = 0;
  for (;;) {
    Atomics.wait(i32, ${GEN}, seen);
    seen = Atomics.load(i32, ${GEN});
    if (Atomics.load(i32, ${STOP})) break;
    try {
      const [j0, j1] = partition(job[3], threads, index);
      runShare(gemm, job, j0, j1);
    } catch (err) {
      if (Atomics.compareExchange(i32, ${FAILED}, 0, index) === 0) {
        const text = 'kernel thread ' + index + ': ' + (err && err.message || String(err));
        for (let i = 0; i < ${MESSAGE_CHARS}; i++) message[i] = i < text.length ? text.charCodeAt(i) : 0;
      }
    }
    Atomics.add(i32, ${DONE}, 1);
    Atomics.notify(i32, ${DONE});
  }
}`;

/** True where this thread may block in Atomics.wait (not on a page's main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

class ThreadPool implements GemmRunner {
  private readonly i32: Int32Array;
  private readonly job: Float64Array;
  private readonly message: Uint16Array;
  private readonly handles: ThreadHandle[] = [];
  private readonly blocking = canBlock();
  private failure: string | null = null;
  /** Resolves when every thread has its instance: a thread's start-up needs the caller's event loop, so wait for it before any GEMM. */
  readonly ready: Promise<void>;

  constructor(spawn: ThreadSpawner, data: Omit<ThreadData, 'index' | 'workspace'>, workspaces: number[],
    private readonly gemm0: (...args: number[]) => void) {
    const { memory, control, threads } = data;
    this.i32 = new Int32Array(memory.buffer, control, MESSAGE / 4);
    this.job = new Float64Array(memory.buffer, control + JOB, 16);
    this.message = new Uint16Array(memory.buffer, control + MESSAGE, MESSAGE_CHARS);
    this.i32.fill(0);
    const started: Promise<void>[] = [];
    for (let t = 1; t < threads; t++) {
      const handle = spawn(THREAD_SOURCE, { ...data, index: t, workspace: workspaces[t - 1] });
      started.push(new Promise((resolve, reject) => {
        handle.listen(resolve, (message) => {
          this.failure ??= `kernel thread ${t} failed: ${message}`;
          reject(new Error(message));
        });
      }));
      this.handles.push(handle);
    }
    this.ready = Promise.all(started).then(() => undefined);
  }

  private get threads(): number {
    return this.handles.length + 1;
  }

  gemm(g: Float64Array): void {
    if (this.failure) throw new WavaeError('WORKER_FAILED', this.failure);
    this.job.set(g);
    Atomics.store(this.i32, DONE, 0);
    Atomics.add(this.i32, GEN, 1);
    Atomics.notify(this.i32, GEN);
    const [j0, j1] = partition(g[3], this.threads, 0);
    try {
      runShare(this.gemm0, g, j0, j1);
    } finally {
      this.waitForOthers(g);
    }
    if (Atomics.load(this.i32, FAILED)) {
      this.failure = String.fromCharCode(...this.message).replace(/\0+$/, '');
      throw new WavaeError('WORKER_FAILED', this.failure);
    }
  }

  /** Waits until every other thread finished the job; a thread that died cannot answer, so give up after a generous time. */
  private waitForOthers(g: Float64Array): void {
    const deadline = Date.now() + 10_000 + (2 * g[2] * g[3] * g[4]) / 1e6;
    const others = this.threads - 1;
    let spins = 0;
    for (;;) {
      const done = Atomics.load(this.i32, DONE);
      if (done >= others) return;
      if (this.blocking) {
        if (Atomics.wait(this.i32, DONE, done, 100) !== 'timed-out') continue;
      } else if (++spins % 65536 !== 0) {
        continue;
      }
      if (Date.now() > deadline) {
        this.failure ??= 'a kernel thread stopped answering';
        throw new WavaeError('WORKER_FAILED', this.failure);
      }
    }
  }

  close(): void {
    Atomics.store(this.i32, STOP, 1);
    Atomics.add(this.i32, GEN, 1);
    Atomics.notify(this.i32, GEN);
    for (const h of this.handles) h.terminate();
  }
}

/** The modules of a threaded backend: the kernels and optionally the relaxed GEMM, both in shared-memory form. */
export interface SharedModules {
  module: WebAssembly.Module;
  relaxed: WebAssembly.Module | null;
}

/** Kernels on shared memory with `threads` threads (the calling one included). */
export async function createThreadedWasmKernels(threads: number, spawn: ThreadSpawner, modules: SharedModules):
  Promise<{ kernels: Kernels; close: () => void }> {
  const { module, relaxed } = modules;
  const memory = new WebAssembly.Memory({ ...SHARED_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const kernels = new WasmKernels(instance.exports as unknown as ConstructorParameters<typeof WasmKernels>[0], threads);
  let gemm0 = instance.exports.gemm_f32 as (...args: number[]) => void;
  if (relaxed) {
    const fused = await WebAssembly.instantiate(relaxed, { env: { memory } });
    kernels.useRelaxedGemm(fused.exports as unknown as ConstructorParameters<typeof WasmKernels>[0]);
    gemm0 = fused.exports.gemm_f32 as (...args: number[]) => void;
  }
  const pool = new ThreadPool(spawn, { module, relaxed, memory, control: kernels.control, threads }, kernels.threadWorkspaces, gemm0);
  try {
    await pool.ready;
  } catch (err) {
    pool.close();
    throw new WavaeError('BACKEND_UNAVAILABLE', `init: the kernel threads failed to start: ${(err as Error).message}`);
  }
  kernels.runner = pool;
  return { kernels, close: () => pool.close() };
}
