// Running the built `wavae` binary as a child process in tests: its exit code and output, its
// peak RSS (reported by a preload as it exits) and its time, and the shape of a clean failure.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

export const BIN = path.resolve('dist/cli/main.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Peak resident memory of the child, KB. */
  peakKb: number;
  seconds: number;
}

/** Runs `wavae ...args` in `cwd` with a preload that reports the process's peak RSS (KB) as it exits. */
export function runMeasured(cwd: string, args: string[], timeoutMs = 60_000): CliRun {
  const preload = path.join(cwd, 'peak-rss.cjs');
  fs.writeFileSync(preload, "process.on('exit', () => process.stderr.write('peak ' + process.resourceUsage().maxRSS + '\\n'));\n");
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', preload, BIN, ...args], { cwd, encoding: 'utf8', timeout: timeoutMs });
  const peak = /peak (\d+)\n$/.exec(r.stderr);
  expect(peak, `${args.join(' ')}: ${r.stderr}`).not.toBeNull();
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.replace(/peak \d+\n$/, ''), peakKb: Number((peak as RegExpExecArray)[1]), seconds: (performance.now() - t0) / 1000 };
}

/** A failure as the CLI must fail: non-zero exit, one line `wavae: error: ...` matching `message`, no stack trace. */
export function expectCleanFailure(r: { code: number; stdout: string; stderr: string }, message: RegExp): void {
  expect(r.code).not.toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines.length, r.stderr).toBe(1);
  expect(lines[0]).toMatch(/^wavae: error: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}
