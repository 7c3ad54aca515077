// The Python with PyTorch that the interop tests run (test/torch-interop.test.ts,
// test/torch-ddp.test.ts): $WAVAE_PYTHON, else Debian's /usr/bin/python3 (python3-torch installs
// for it; .ci/run installs the package when it is missing), else python3 on PATH. No PyTorch is an
// error, never a skip: these tests are the proof that the model files work in PyTorch. Not a test
// file itself.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

let found: string | null = null;

/** The first candidate interpreter that imports torch; throws (naming what was tried) when none does. */
export function torchPython(): string {
  if (found) return found;
  const candidates = [process.env.WAVAE_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);
  const tried: string[] = [];
  for (const python of candidates) {
    if (python.includes('/') && !fs.existsSync(python)) {
      tried.push(`${python}: no such file`);
      continue;
    }
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return (found = python);
    tried.push(`${python}: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`);
  }
  throw new Error(`no Python with PyTorch (tried ${tried.join('; ')}): install Debian's python3-torch (apt-get install python3-torch libopenblas0-pthread), or set WAVAE_PYTHON`);
}

/** Runs a Python program with torch on one intra-op thread; throws with its stderr when it fails. */
export function runPython(args: string[], options: { timeout?: number; env?: Record<string, string> } = {}): string {
  const r = spawnSync(torchPython(), args, {
    encoding: 'utf8', timeout: options.timeout ?? 120_000,
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', ...options.env },
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status ?? r.signal}:\n${r.stderr}${r.error ? String(r.error) : ''}`);
  return r.stdout;
}
