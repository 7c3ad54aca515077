// The service under load: `wavae serve` (a child process, as deployed) with the 784-400-20 MNIST
// VAE, loaded by autocannon on 127.0.0.1: POST /score with one row per request at 1, 16 and 64
// connections, and 256 rows per request; /health probed during the 64-connection run (the HTTP
// thread must stay free while the model works); the server's RSS after warm-up and after the
// long run.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import * as wv from '../src/node.js';

export interface ServeRow {
  scenario: string;
  connections: number;
  rowsPerRequest: number;
  seconds: number;
  requestsPerSec: number;
  rowsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export interface ServeResult {
  rows: ServeRow[];
  rssAfterWarmupMb: number;
  rssAfterLongRunMb: number;
  longRunSeconds: number;
  healthMaxMs: number;
  healthP99Ms: number;
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function start(model: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['dist/cli/main.js', 'serve', '--model', model, '--port', '0', '--calibrate', 'mnist', '--calibrate-limit', '2000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d;
      const m = /"event":"listening","url":"([^"]+)"/.exec(out);
      if (m) resolve(m[1]);
    });
    child.stderr?.on('data', (d: Buffer) => reject(new Error(String(d))));
    child.on('exit', (code) => reject(new Error(`wavae serve exited with ${code}: ${out}`)));
  });
  return { child, url };
}

function load(url: string, connections: number, seconds: number, bodies: string[]): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/score`, connections, duration: seconds, method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: bodies.map((body) => ({ method: 'POST', path: '/score', body })),
  });
}

export async function benchServe(test: wv.Matrix, options: { quick?: boolean } = {}): Promise<ServeResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-bench-serve-'));
  await wv.init();
  const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20, seed: 1 });
  await vae.fit(wv.matrix(10_000, 784, test.data.subarray(0, 10_000 * 784)), { epochs: 1 });
  const model = path.join(dir, 'model.safetensors');
  fs.writeFileSync(model, vae.save());
  vae.dispose();
  const rowOf = (i: number): number[] => Array.from(test.data.subarray(i * 784, (i + 1) * 784), (v) => Number(v.toPrecision(4)));
  const single = Array.from({ length: 64 }, (_, i) => JSON.stringify({ rows: [rowOf(i)] }));
  const batch = [JSON.stringify({ rows: Array.from({ length: 256 }, (_, i) => rowOf(100 + i)) })];
  const { child, url } = await start(model);
  const pid = child.pid as number;
  const short = options.quick ? 3 : 10;
  const long = options.quick ? 5 : 60;
  const rows: ServeRow[] = [];
  const record = (scenario: string, connections: number, perRequest: number, r: autocannon.Result): void => {
    const row: ServeRow = {
      scenario, connections, rowsPerRequest: perRequest, seconds: r.duration, requestsPerSec: r.requests.average, rowsPerSec: r.requests.average * perRequest,
      p50Ms: r.latency.p50, p99Ms: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx,
    };
    rows.push(row);
    console.log(`serve: ${scenario.padEnd(28)} ${String(connections).padStart(3)} conn  ${row.requestsPerSec.toFixed(0).padStart(6)} req/s  ${row.rowsPerSec.toFixed(0).padStart(7)} rows/s  p50 ${row.p50Ms} ms  p99 ${row.p99Ms} ms  errors ${row.errors}  non-2xx ${row.non2xx}`);
  };
  try {
    // warm-up at the long run's load, long enough for the collector to take back startup's garbage
    // (the calibration data): RSS after it is the steady state the long run is held to
    await load(url, 64, options.quick ? 2 : 15, single);
    const rssAfterWarmupMb = rssMb(pid);
    record('/score, 1 row per request', 1, 1, await load(url, 1, short, single));
    record('/score, 1 row per request', 16, 1, await load(url, 16, short, single));
    // /health while 64 connections keep the model busy
    const health: number[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const t0 = performance.now();
        await fetch(`${url}/health`).then((r) => r.text());
        health.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    record('/score, 1 row per request', 64, 1, await load(url, 64, long, single));
    probing = false;
    await probe;
    const rssAfterLongRunMb = rssMb(pid);
    record('/score, 256 rows per request', 4, 256, await load(url, 4, short, batch));
    health.sort((a, b) => a - b);
    return {
      rows, rssAfterWarmupMb, rssAfterLongRunMb, longRunSeconds: long,
      healthMaxMs: health[health.length - 1] ?? 0, healthP99Ms: health[Math.floor(0.99 * (health.length - 1))] ?? 0,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
