// The peers that run in child processes, shared by the training suites (bench/train.ts, the dense
// VAE; bench/conv.ts, the conv VAE): wavae on Node 24 (bench/node-row.ts on the binary of
// scripts/node24.mjs; relaxed SIMD is its default) and PyTorch in its fastest settings
// (bench/torch/train_vae.py). Each says why when it cannot run, and the suite goes on.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { node24 } from '../scripts/node24.mjs';

/** A training row: samples/s of one library in one setting. */
export interface PeerRow { library: string; detail: string; threads: number; samplesPerSec: number; msPerStep: number }

/** wavae's rows on 1 and 2 threads on Node 24, or why there are none. */
export function node24Rows(arch: 'dense' | 'conv' | 'gaussian', seconds: number, log: (s: string) => void): { rows: PeerRow[]; why: string | null } {
  const n24 = node24();
  if (!n24.path) {
    log(`${arch} train on Node 24: left out (${n24.why})`);
    return { rows: [], why: n24.why };
  }
  const rows: PeerRow[] = [];
  for (const threads of [1, 2]) {
    const r = spawnSync(n24.path, ['scripts/run-ts.mjs', 'bench/node-row.ts', '--arch', arch, '--threads', String(threads), '--seconds', String(seconds)],
      { encoding: 'utf8', timeout: (seconds * 20 + 120) * 1000 });
    let row: PeerRow | null = null;
    try {
      row = r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').pop() as string) as PeerRow : null;
    } catch { /* reported below */ }
    if (!row) {
      const why = `bench/node-row.ts failed on Node 24: ${(r.error?.message ?? r.stderr ?? '').trim().split('\n').slice(-1)[0] || 'no result'}`;
      log(`${arch} train on Node 24: left out (${why})`);
      return { rows, why };
    }
    rows.push(row);
    log(`${arch} train ${row.detail}: ${row.samplesPerSec.toFixed(0).padStart(6)} samples/s (${row.msPerStep.toFixed(2)} ms per batch)`);
  }
  return { rows, why: null };
}

/**
 * PyTorch's rows: its fastest setting on one core (one intra-op thread, OpenBLAS on one) and on
 * two (the faster of one intra-op thread with OpenBLAS on two, and two with one), or why there are
 * none. Each setting runs with the machine's OpenBLAS settings and, where the machine pins
 * OpenBLAS to an older core type (OPENBLAS_CORETYPE, for old builds' sake), without them too:
 * OpenBLAS then picks this CPU's own kernels. The fastest of each is kept.
 */
export function torchRows(arch: 'dense' | 'conv' | 'gaussian', seconds: number, log: (s: string) => void): { rows: PeerRow[]; why: string | null } {
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = 'PyTorch is not installed (apt-get install python3-torch libopenblas0-pthread); its rows are left out';
    log(`${arch} train torch: ${why}`);
    return { rows: [], why };
  }
  const pinned = process.env.OPENBLAS_CORETYPE !== undefined || process.env.OPENBLAS_L2_SIZE !== undefined;
  const run = (intra: number, blas: number, native: boolean): PeerRow => {
    const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(blas), OMP_NUM_THREADS: String(intra) };
    if (native) { delete env.OPENBLAS_CORETYPE; delete env.OPENBLAS_L2_SIZE; }
    const r = spawnSync(python, ['bench/torch/train_vae.py', '--arch', arch, '--threads', String(intra), '--seconds', String(seconds)], { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`bench/torch/train_vae.py failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    return { library: 'PyTorch', detail: `PyTorch ${out.torch}, ${intra} intra-op thread${intra > 1 ? 's' : ''}, OpenBLAS on ${blas} (${out.openblas})`, threads: Math.max(intra, blas), samplesPerSec: out.samplesPerSec, msPerStep: out.msPerStep };
  };
  const fastest = (runs: PeerRow[]): PeerRow => runs.sort((a, b) => b.samplesPerSec - a.samplesPerSec)[0];
  const settings = pinned ? [false, true] : [false];
  const rows = [fastest(settings.map((native) => run(1, 1, native))), fastest(settings.flatMap((native) => [run(1, 2, native), run(2, 1, native)]))];
  for (const r of rows) log(`${arch} train torch ${r.detail}: ${r.samplesPerSec.toFixed(0)} samples/s`);
  return { rows, why: null };
}
