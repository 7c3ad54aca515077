// Kernel threads, whatever the platform: the kernels run on a shared WebAssembly.Memory, and a
// pool of threads (worker_threads in Node, Web Workers in browsers: the platform supplies a
// ThreadSpawner), each with its own instance and gemm workspace, splits every large kernel as
// split-ops.ts says (GEMMs by tiles of C, optimizer updates by ranges, losses by rows, sums of
// squares by blocks). Each output element is computed by exactly one thread with the same
// arithmetic, so results are bitwise identical for any thread count. The threads run the
// script the build makes of thread-main.ts. The calling thread computes its share, then waits on
// the control block: Atomics.wait where the engine lets it block (Node, Workers), a spin on
// Atomics.load where it does not (a page's main thread). A closed pool (after init() or
// shutdown()) runs every job on the calling thread, so models built on it keep working.
import { WavaeError } from '../errors.js';
import type { Kernels } from './kernels.js';
import { SHARED_PAGES } from './shared-module.js';
import { PARTIALS, SPLIT_OPS, runPart, splitFns } from './split-ops.js';
import { CONTROL_BYTES, DONE, FAILED, GEN, JOB, JOB_SLOTS, MESSAGE, MESSAGE_CHARS, SPIN, STOP, reportFailure, type ThreadData } from './thread-main.js';
import { CONTROL_BLOCK_BYTES, WasmKernels, type KernelRunner } from './wasm.js';

export type { ThreadData } from './thread-main.js';

/** A started thread: it calls `onReady` once its instance exists, `onFailure` if it dies. */
export interface ThreadHandle {
  listen(onReady: () => void, onFailure: (message: string) => void): void;
  terminate(): void;
}

/**
 * Starts a thread that runs `source` (the script of thread-main.ts, defining the global
 * `wavaeKernelThread`) and then `wavaeKernelThread.main(data, ready)`, where ready() tells the
 * caller 'ready'; any other first message is a failure.
 */
export type ThreadSpawner = (source: string, data: ThreadData) => ThreadHandle;

/** A platform's threads: why they cannot run here (or null), the cores, how to start one. */
export interface ThreadPlatform {
  unavailable(): string | null;
  cores(): number;
  spawn: ThreadSpawner;
}

if (CONTROL_BYTES > CONTROL_BLOCK_BYTES) throw new Error('the control block outgrew its reservation');

/** What threadFallback() says when `wanted` threads cannot run, and why. */
export function oneThreadBecause(wanted: number, why: string): string {
  return `${wanted} threads wanted, running on one: ${why}`;
}

/** How long threads may take to start before init() gives up on them (and runs on one thread). */
const START_TIMEOUT_MS = 20_000;

/** True where this thread may block in Atomics.wait (not on a page's main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

class ThreadPool implements KernelRunner {
  private readonly i32: Int32Array;
  private readonly job: Float64Array;
  private readonly message: Uint16Array;
  private readonly partials: Float64Array;
  private readonly handles: ThreadHandle[] = [];
  private readonly blocking = canBlock();
  private failure: string | null = null;
  private closed = false;
  /** Resolves when every thread has its instance: a thread's start-up needs the caller's event loop, so wait for it before any GEMM. */
  readonly ready: Promise<void>;

  constructor(spawn: ThreadSpawner, source: string, data: Omit<ThreadData, 'index' | 'workspace'>, workspaces: number[],
    private readonly fns: ((...args: number[]) => number)[]) {
    const { memory, control, threads } = data;
    this.partials = new Float64Array(memory.buffer, data.partials, PARTIALS);
    this.i32 = new Int32Array(memory.buffer, control, MESSAGE / 4);
    this.job = new Float64Array(memory.buffer, control + JOB, JOB_SLOTS);
    this.message = new Uint16Array(memory.buffer, control + MESSAGE, MESSAGE_CHARS);
    this.i32.fill(0);
    const started: Promise<void>[] = [];
    for (let t = 1; t < threads; t++) {
      let handle: ThreadHandle;
      try {
        handle = spawn(source, { ...data, index: t, workspace: workspaces[t - 1] });
      } catch (err) { // the platform refused a thread (a content security policy, say): stop the others
        this.close();
        throw err;
      }
      started.push(new Promise((resolve, reject) => {
        handle.listen(resolve, (message) => {
          this.failure ??= `kernel thread ${t} failed: ${message}`;
          reject(new Error(message));
        });
      }));
      this.handles.push(handle);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not started after ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    });
    this.ready = Promise.race([Promise.all(started), timeout]).then(() => undefined).finally(() => clearTimeout(timer));
  }

  private get threads(): number {
    return this.handles.length + 1;
  }

  run(op: number, args: Float64Array, work: number): void {
    if (this.failure) throw new WavaeError('WORKER_FAILED', this.failure);
    this.job[0] = op;
    this.job.set(args.subarray(0, SPLIT_OPS[op].args), 1);
    if (this.closed) { // shut down (init() or shutdown() since): models built before still work, on this thread, with the same bits
      runPart(this.fns, this.job, 1, 0, this.partials);
      return;
    }
    Atomics.store(this.i32, DONE, 0);
    Atomics.add(this.i32, GEN, 1);
    Atomics.notify(this.i32, GEN);
    try {
      runPart(this.fns, this.job, this.threads, 0, this.partials);
    } catch (err) {
      reportFailure(this.i32, this.message, 0, err, this.job);
    }
    this.waitForOthers(work);
    if (Atomics.load(this.i32, FAILED)) {
      this.failure = String.fromCharCode(...this.message).replace(/\0+$/, '');
      throw new WavaeError('WORKER_FAILED', this.failure);
    }
  }

  /**
   * Waits until every other thread finished the job (`work`: about its flops). A thread that dies
   * during a job cannot answer (and its exit event needs this thread's event loop), so give up
   * after a generous time: 10 s plus a microsecond per kiloflop.
   */
  private waitForOthers(work: number): void {
    const deadline = performance.now() + 10_000 + work / 1e6;
    const others = this.threads - 1;
    for (let spins = 0; ; spins++) {
      const done = Atomics.load(this.i32, DONE);
      if (done >= others) return;
      if (spins < SPIN) continue; // the others usually finish within microseconds of this thread
      if (this.blocking) {
        if (Atomics.wait(this.i32, DONE, done, 100) !== 'timed-out') continue;
      } else if (spins % 65536 !== 0) {
        continue;
      }
      if (performance.now() > deadline) {
        this.failure ??= 'a kernel thread stopped answering';
        throw new WavaeError('WORKER_FAILED', this.failure);
      }
    }
  }

  /** Stops the threads; later calls run on the calling thread alone. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.i32, STOP, 1);
    Atomics.add(this.i32, GEN, 1);
    Atomics.notify(this.i32, GEN);
    for (const h of this.handles) h.terminate();
  }
}

/**
 * What the threads of a backend run: the kernels and optionally the relaxed GEMM, both in
 * shared-memory form, and the thread script (THREAD_SOURCE from generated/thread_source.ts,
 * passed in so that a training worker receives it rather than carrying a second copy).
 */
export interface SharedModules {
  module: WebAssembly.Module;
  relaxed: WebAssembly.Module | null;
  source: string;
}

/** A shared memory: 4 GiB of address space reserved, or 1 GiB where the engine cannot reserve that much (32-bit devices). */
function sharedMemory(): WebAssembly.Memory {
  try {
    return new WebAssembly.Memory({ ...SHARED_PAGES, shared: true });
  } catch {
    return new WebAssembly.Memory({ initial: SHARED_PAGES.initial, maximum: SHARED_PAGES.maximum / 4, shared: true });
  }
}

/**
 * Kernels on shared memory with `threads` threads (the calling one included); BACKEND_UNAVAILABLE
 * when the memory or a thread cannot be had.
 */
export async function createThreadedWasmKernels(threads: number, spawn: ThreadSpawner, modules: SharedModules):
  Promise<{ kernels: Kernels; close: () => void }> {
  const { module, relaxed, source } = modules;
  let pool: ThreadPool | null = null;
  try {
    const memory = sharedMemory();
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const kernels = new WasmKernels(instance.exports as unknown as ConstructorParameters<typeof WasmKernels>[0], threads);
    const fused = relaxed && await WebAssembly.instantiate(relaxed, { env: { memory } });
    if (fused) kernels.useRelaxedGemm(fused.exports as unknown as ConstructorParameters<typeof WasmKernels>[0]);
    const fns = splitFns(instance, fused || null);
    pool = new ThreadPool(spawn, source, { module, relaxed, memory, control: kernels.control, partials: kernels.partials, threads }, kernels.threadWorkspaces, fns);
    await pool.ready;
    kernels.runner = pool;
    const started = pool;
    return { kernels, close: () => started.close() };
  } catch (err) {
    pool?.close();
    throw new WavaeError('BACKEND_UNAVAILABLE', `the kernel threads failed to start: ${(err as Error).message}`);
  }
}
