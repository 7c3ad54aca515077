// GEMM throughput in GFLOPS for NN, NT and TN at the VAE's shapes (128x784x400: forward X W^T,
// input gradient dY W, weight gradient dY^T X) and at square sizes, wasm against js, measured
// side by side in one process with tinybench (median of the samples).
import { Bench } from 'tinybench';
import { createBackend, getBackend, init, type Backend, type Buf } from '../src/backend/index.js';
import '../src/node.js'; // registers the kernel threads
import { Rng } from '../src/random.js';
import { tfMatMul, useTf, type TfBackend } from './peers.js';

export interface GemmRow {
  kernel: 'gemm_f32' | 'tf.matMul';
  backend: string;
  trans: string;
  m: number;
  n: number;
  k: number;
  role: string;
  medianMs: number;
  gflops: number;
  samples: number;
}

interface Shape {
  trans: 'NN' | 'NT' | 'TN';
  m: number;
  n: number;
  k: number;
  role: string;
}

export const VAE_SHAPES: Shape[] = [
  { trans: 'NT', m: 128, n: 400, k: 784, role: 'forward X W^T (128x784 · 784x400)' },
  { trans: 'NN', m: 128, n: 784, k: 400, role: 'input gradient dY W' },
  { trans: 'TN', m: 400, n: 784, k: 128, role: 'weight gradient dY^T X' },
];

export function squareShapes(sizes: number[]): Shape[] {
  return sizes.flatMap((s) => (['NN', 'NT', 'TN'] as const).map((trans) => ({ trans, m: s, n: s, k: s, role: `square ${s}` })));
}

function setup(be: Backend, s: Shape): { run: () => void; free: () => void } {
  const rng = new Rng(1);
  const fill = (len: number): Buf => {
    const buf = be.alloc(len);
    be.write(buf, Float32Array.from({ length: len }, () => rng.uniform() - 0.5));
    return buf;
  };
  const [a, b, c] = [fill(s.m * s.k), fill(s.k * s.n), be.alloc(s.m * s.n)];
  const [ta, tb] = [s.trans[0] === 'T', s.trans[1] === 'T'];
  return {
    run: () => be.gemm_f32(ta, tb, s.m, s.n, s.k, 1, a, b, 0, c),
    free: () => [a, b, c].forEach((x) => be.free(x)),
  };
}

/** Runs every shape on every backend; time is the tinybench budget per task in ms. */
export async function benchGemm(shapes: Shape[], backends: ('wasm' | 'wasm-2t' | 'js' | 'active' | TfBackend)[], time: number,
  log: (line: string) => void = console.log): Promise<GemmRow[]> {
  const rows: GemmRow[] = [];
  for (const name of backends) {
    let be: Backend | null = null;
    if (name === 'wasm' || name === 'js') be = await createBackend(name);
    if (name === 'active') be = getBackend(); // whatever init() chose
    if (name === 'wasm-2t') {
      await init({ threads: 2 });
      be = getBackend();
    }
    if (!be) await useTf(name as TfBackend);
    for (const s of shapes) {
      // scalar JavaScript at 1024^3 takes seconds per call: cap its sizes (absent from the table)
      if ((name === 'js' || name === 'tfjs-cpu') && s.m * s.n * s.k > 600 ** 3) continue;
      const { run, free } = be ? setup(be, s) : tfMatMul(s.trans, s.m, s.n, s.k);
      const bench = new Bench({ time, warmupTime: Math.min(200, time), warmupIterations: 3, iterations: 3 });
      bench.add(`${name} ${s.trans} ${s.m}x${s.n}x${s.k}`, run);
      await bench.run();
      const result = bench.tasks[0].result;
      if (!('latency' in result)) throw new Error(`benchmark failed: ${JSON.stringify(result)}`);
      const ms = result.latency.p50;
      const row: GemmRow = {
        kernel: be ? 'gemm_f32' : 'tf.matMul', backend: name, trans: s.trans, m: s.m, n: s.n, k: s.k, role: s.role,
        medianMs: ms, gflops: (2 * s.m * s.n * s.k) / (ms * 1e6), samples: result.latency.samplesCount,
      };
      rows.push(row);
      log(`gemm_f32 ${name.padEnd(9)} ${s.trans} ${`${s.m}x${s.n}x${s.k}`.padEnd(14)} ${row.gflops.toFixed(2).padStart(7)} GFLOPS  (${ms.toFixed(3)} ms, ${row.samples} samples)`);
      free();
    }
  }
  return rows;
}
