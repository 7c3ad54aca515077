// Elementwise kernels at the VAE's shapes, wasm against js: fused bias + activation, activation
// backward, the BCE loss with its gradient, and the Adam update over all 652,824 parameters.
import { Bench } from 'tinybench';
import { createBackend, type Backend, type Buf } from '../src/backend/index.js';
import { Rng } from '../src/random.js';

export interface KernelRow {
  kernel: string;
  backend: string;
  shape: string;
  medianUs: number;
  gbPerSec: number;
}

interface Case {
  kernel: string;
  shape: string;
  bytes: number; // bytes read + written per call
  setup: (be: Backend, fill: (n: number, lo?: number, hi?: number) => Buf) => () => void;
}

const P = 652_824;
const CASES: Case[] = [
  { kernel: 'bias_act_f32', shape: '128x400 relu', bytes: 128 * 400 * 8 + 1600,
    setup: (be, fill) => { const [x, b] = [fill(128 * 400), fill(400)]; return () => be.bias_act_f32(x, x, b, 128, 400, 'relu'); } },
  { kernel: 'bias_act_f32', shape: '128x400 sigmoid', bytes: 128 * 400 * 8 + 1600,
    setup: (be, fill) => { const [x, b] = [fill(128 * 400), fill(400)]; return () => be.bias_act_f32(x, x, b, 128, 400, 'sigmoid'); } },
  { kernel: 'act_backward_f32', shape: '128x400 relu', bytes: 128 * 400 * 12,
    setup: (be, fill) => { const [d, y] = [fill(128 * 400), fill(128 * 400, 0, 1)]; return () => be.act_backward_f32(d, d, y, 'relu'); } },
  { kernel: 'bce_logits_f32', shape: '128x784', bytes: 128 * 784 * 12,
    setup: (be, fill) => { const [l, t, d] = [fill(128 * 784, -5, 5), fill(128 * 784, 0, 1), fill(128 * 784)]; return () => { be.bce_logits_f32(d, null, l, t, 128, 784, 1 / 128); }; } },
  { kernel: 'adam_f32', shape: `${P} params`, bytes: P * 28,
    setup: (be, fill) => { const [p, m, v, g] = [fill(P), fill(P, 0, 0), fill(P, 0, 0), fill(P)]; let t = 0; return () => be.adam_f32(p, m, v, g, ++t, 1e-3); } },
];

export async function benchKernels(time: number, log: (s: string) => void = console.log): Promise<KernelRow[]> {
  const rows: KernelRow[] = [];
  for (const name of ['wasm', 'js'] as const) {
    const be = await createBackend(name);
    const rng = new Rng(2);
    const fill = (n: number, lo = -1, hi = 1): Buf => {
      const buf = be.alloc(n);
      be.write(buf, Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform()));
      return buf;
    };
    for (const c of CASES) {
      const run = c.setup(be, fill);
      const bench = new Bench({ time, warmupTime: Math.min(100, time), iterations: 5 });
      bench.add(c.kernel, run);
      await bench.run();
      const r = bench.tasks[0].result;
      if (!('latency' in r)) throw new Error(`${c.kernel} failed`);
      const us = r.latency.p50 * 1000;
      rows.push({ kernel: c.kernel, backend: name, shape: c.shape, medianUs: us, gbPerSec: c.bytes / (us * 1e3) });
      log(`${c.kernel.padEnd(17)} ${name.padEnd(4)} ${c.shape.padEnd(18)} ${us.toFixed(1).padStart(9)} us  ${(c.bytes / (us * 1e3)).toFixed(2)} GB/s`);
    }
  }
  return rows;
}
