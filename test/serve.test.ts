// `wavae serve`, the real process on a free port: every route against the library's own answers,
// then what an attacker tries (a malformed request target, bad JSON and values, bodies too large
// with and without a length, slow clients, floods of requests and of stalled uploads), the
// operations (SIGHUP with a corrupt file and with a good one, SIGTERM under load) and startup
// mistakes (one line, exit code 2).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { Rng } from '../src/random.js';
import { BIN } from './cli-run.js';

const D = 16;
let dir: string;
let modelFile: string;
let vae: wv.VAE;
const running: ChildProcess[] = [];

interface Server {
  child: ChildProcess;
  url: string;
  port: number;
  /** Every line the server has logged (JSON). */
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
}

async function startServer(args: string[] = [], file = modelFile): Promise<Server> {
  const child = spawn(process.execPath, [BIN, 'serve', '--model', file, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let buffered = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      buffered += d;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>;
        buffered = buffered.slice(nl + 1);
        logs.push(line);
        if (line.event === 'listening') resolve(line.url as string);
      }
    });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d));
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  return { child, url, port: Number(new URL(url).port), logs, exited };
}

async function post(s: Server, route: string, body: unknown): Promise<{ status: number; json: any; headers: Headers }> {
  const r = await fetch(`${s.url}/${route}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null, headers: r.headers };
}

/** Sends raw bytes on a new connection; resolves with everything the server sent before closing (or after ms). */
function raw(port: number, send: (socket: net.Socket) => void, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    const done = (): void => {
      socket.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (d) => (got += d));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.on('error', () => undefined);
    socket.on('connect', () => send(socket));
  });
}

function rows(n: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: D }, () => Math.round(255 * rng.uniform())));
}

const scaled = (r: number[][]): wv.Matrix => wv.matrix(r.length, D, Float32Array.from(r.flat(), (v) => v / 255));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-serve-'));
  await wv.init();
  vae = new wv.VAE({ inputDim: D, hiddenDims: [12], latentDim: 3, seed: 2 });
  await vae.fit(scaled(rows(256, 1)), { epochs: 3, batchSize: 32 });
  vae.calibrate(scaled(rows(200, 2)), { quantile: 0.95 });
  modelFile = path.join(dir, 'model.safetensors');
  // the CLI's record of input scaling: the service scales rows as the training data was
  fs.writeFileSync(modelFile, vae.save({ metadata: { scaling: JSON.stringify({ type: 'divide255' }) } }));
}, 60_000);

afterAll(() => {
  for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('the routes answer what the library answers', () => {
  let s: Server;
  beforeAll(async () => {
    s = await startServer();
  }, 30_000);

  it('/score: the library\'s scores of the scaled rows, the saved threshold and which rows are above it', async () => {
    const r = rows(5, 3);
    const got = await post(s, 'score', { rows: r });
    expect(got.status).toBe(200);
    const want = vae.isAnomaly(scaled(r));
    expect(got.json.method).toBe('elbo');
    expect(got.json.threshold).toBe(want.threshold);
    got.json.scores.forEach((v: number, i: number) => expect(Math.abs(v - want.scores[i])).toBeLessThanOrEqual(1e-6 * Math.abs(want.scores[i])));
    expect(got.json.anomaly).toEqual(want.anomaly);
    const rec = await post(s, 'score', { rows: r, method: 'reconstruction' });
    expect(rec.json.threshold).toBeNull(); // the threshold is of another method
    expect(rec.json.anomaly).toBeNull();
    const iw = await post(s, 'score', { rows: r.slice(0, 2), method: 'iw', samples: 50 });
    expect(iw.json.scores[0]).toBeCloseTo(vae.score(scaled(r.slice(0, 1)), { method: 'iw', samples: 50 })[0], 4);
  });

  it('/encode, /decode, /reconstruct and /sample: the library\'s outputs, back in the data\'s units (x 255)', async () => {
    const r = rows(3, 4);
    const enc = await post(s, 'encode', { rows: r });
    const want = vae.encode(scaled(r));
    expect(enc.json.mean.flat()).toEqual(Array.from(want.mean.data, (v) => Number(v.toPrecision(9))));
    expect(enc.json.logVar.flat()).toEqual(Array.from(want.logVar.data, (v) => Number(v.toPrecision(9))));
    const dec = await post(s, 'decode', { codes: enc.json.mean });
    expect(dec.json.rows.flat().map((v: number) => v / 255)).toEqual(Array.from(vae.decode(want.mean).data).map((v) => expect.closeTo(v, 6)));
    const rec = await post(s, 'reconstruct', { rows: r });
    expect(rec.json.rows.flat()).toEqual(dec.json.rows.flat());
    const smp = await post(s, 'sample', { n: 4, seed: 9 });
    expect(smp.json.rows.flat().map((v: number) => v / 255)).toEqual(Array.from(vae.sample(4, { seed: 9 }).data).map((v) => expect.closeTo(v, 6)));
  });

  it('/health, /info (architecture, threshold, version), /metrics (Prometheus text)', async () => {
    expect(await (await fetch(`${s.url}/health`)).json()).toEqual({ status: 'ok' });
    const info = await (await fetch(`${s.url}/info`)).json();
    expect(info).toMatchObject({ kind: 'vae', architecture: '16-12-3', inputDim: D, latentDim: 3, scaling: 'divide255', version: '0.1.0', calibration: { threshold: vae.calibration?.threshold, method: 'elbo' } });
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/^# HELP wavae_requests_total/m);
    expect(metrics).toMatch(/^wavae_requests_total\{route="score",status="200"\} \d+$/m);
    expect(metrics).toMatch(/^wavae_request_duration_seconds_bucket\{route="score",le="\+Inf"\} \d+$/m);
    expect(metrics).toMatch(/^wavae_rows_total \d+$/m);
    expect(metrics).toMatch(/^wavae_queue_depth 0$/m);
  });

  it('requests that arrive together are batched into one forward pass; each gets its own rows', async () => {
    const before = await (await fetch(`${s.url}/metrics`)).text();
    const count = (text: string, name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    const all = rows(40, 5);
    const replies = await Promise.all(all.map((r) => post(s, 'score', { rows: [r], method: 'reconstruction' })));
    const want = vae.score(scaled(all), { method: 'reconstruction' });
    replies.forEach((got, i) => expect(Math.abs(got.json.scores[0] - want[i])).toBeLessThanOrEqual(1e-6 * want[i]));
    const after = await (await fetch(`${s.url}/metrics`)).text();
    const batches = count(after, 'wavae_batch_rows_count') - count(before, 'wavae_batch_rows_count');
    expect(batches).toBeLessThan(40);
  });

  it('bad requests get a 4xx with {"error": {code, message}} and the service goes on', async () => {
    const cases: [string, unknown, number, string, RegExp][] = [
      ['score', '{bad', 400, 'INVALID_OPTION', /not valid JSON/],
      ['score', '[1, 2]', 400, 'INVALID_OPTION', /a JSON object/],
      ['score', { rows: [[1, 2]] }, 400, 'SHAPE_MISMATCH', /rows\[0\] must be an array of 16 numbers/],
      ['score', { rows: [[...Array(15).fill(0), 'x']] }, 400, 'INVALID_OPTION', /rows\[0\]\[15\] must be a number, got "x"/],
      ['score', '{"rows": [[' + Array(15).fill(0).join(',') + ',1e39]]}', 400, 'NON_FINITE_INPUT', /rows\[0\]\[15\] is 1e\+39, beyond float32/],
      ['score', { rows: [Array(D).fill(3e38 * 255)].map((r) => r.map(() => 3e38)) }, 422, 'NON_FINITE_OUTPUT', /row 0 gives/],
      ['score', { rows: [] }, 400, 'INVALID_OPTION', /non-empty array/],
      ['score', { rows: rows(2, 1), method: 'mse' }, 400, 'INVALID_OPTION', /method must be one of/],
      ['score', { rows: rows(1, 1), method: 'iw', samples: 1e9 }, 400, 'INVALID_OPTION', /samples/],
      ['score', { rows: rows(1, 1), condition: [[1]] }, 400, 'INVALID_OPTION', /takes no condition/],
      ['score', { rowz: [] }, 400, 'UNKNOWN_OPTION', /unknown field "rowz"/],
      ['decode', { codes: [[1, 2]] }, 400, 'SHAPE_MISMATCH', /codes\[0\] must be an array of 3 numbers/],
      ['sample', { n: 1e6 }, 400, 'INVALID_OPTION', /n must be an integer in \[1, 1024\]/],
      ['sample', { n: 2, seed: -1 }, 400, 'INVALID_OPTION', /seed/],
      ['score', { rows: rows(1025, 1) }, 413, 'OUT_OF_MEMORY', /1025 rows, more than the 1024 of one request/],
    ];
    for (const [route, body, status, code, message] of cases) {
      const got = await post(s, route, body);
      expect(got.status, `${route} ${JSON.stringify(body).slice(0, 60)}`).toBe(status);
      expect(got.json.error.code).toBe(code);
      expect(got.json.error.message).toMatch(message);
    }
    const notFound = await fetch(`${s.url}/nope`);
    expect(notFound.status).toBe(404);
    expect((await notFound.json()).error.code).toBe('NOT_FOUND');
    const wrongMethod = await fetch(`${s.url}/score`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect((await fetch(`${s.url}/health`, { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await post(s, 'score', { rows: rows(1, 1) })).status).toBe(200);
  });

  it('a malformed request target, a garbage request line and oversized headers do not stop it (one request killed it before)', async () => {
    for (const target of ['//[', '/%', '/score?x=%zz', '*']) {
      const got = await raw(s.port, (sock) => sock.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
      expect(got, target).toMatch(/^HTTP\/1\.1 (400|404|405) /);
    }
    expect(await raw(s.port, (sock) => sock.write('BLAH\r\n\r\n'))).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw(s.port, (sock) => sock.write(`GET /health HTTP/1.1\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`))).toMatch(/^HTTP\/1\.1 431 /);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  it('a body over --max-body is a 413 that reaches the client, with a length or chunked (the socket closed first before)', async () => {
    const withLength = await raw(s.port, (sock) => {
      sock.write(`POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: ${64 * 2 ** 20}\r\n\r\n`);
      sock.write(Buffer.alloc(65536, 32));
    });
    expect(withLength).toMatch(/^HTTP\/1\.1 413 /);
    expect(withLength).toMatch(/"code":"OUT_OF_MEMORY"/);
    const chunked = await raw(s.port, (sock) => {
      sock.write('POST /score HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = Buffer.alloc(256 * 1024, 32);
      let sent = 0;
      const more = (): void => {
        while (sent < 24 && !sock.destroyed) {
          sent++;
          if (!sock.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)) return void sock.once('drain', more);
        }
      };
      more();
    }, 5000);
    expect(chunked).toMatch(/^HTTP\/1\.1 413 /);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });
});

describe('bounds under abuse (small limits to reach them)', () => {
  it('slow clients are dropped: headers never finished, and a body that trickles (408)', async () => {
    const s = await startServer(['--headers-timeout', '500', '--request-timeout', '1000']);
    const t0 = performance.now();
    const headers = await raw(s.port, (sock) => sock.write('POST /score HTTP/1.1\r\nHost: x\r\n'), 5000);
    expect(performance.now() - t0).toBeLessThan(4000);
    expect(headers).toMatch(/^(HTTP\/1\.1 408 |)/);
    const body = await raw(s.port, (sock) => {
      sock.write('POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"rows"');
    }, 5000);
    expect(body).toMatch(/^HTTP\/1\.1 408 /);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/^wavae_rejected_requests_total\{reason="timeout"\} [1-9]/m);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  }, 30_000);

  it('a full queue answers 503 with Retry-After; every request gets an answer', async () => {
    const s = await startServer(['--max-queue', '2']);
    const heavy = { rows: rows(20, 6), method: 'iw', samples: 2000 };
    const replies = await Promise.all(Array.from({ length: 12 }, () => post(s, 'score', heavy)));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((c) => c === 200).length).toBeGreaterThanOrEqual(2);
    const busy = replies.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    for (const r of busy) {
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.json.error.code).toBe('BUSY');
    }
    expect(statuses.every((c) => c === 200 || c === 503)).toBe(true);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  }, 60_000);

  it('80 stalled uploads hold at most --body-budget bytes, get 503 beyond it, and are dropped at --request-timeout (RSS stayed 600 MB up before)', async () => {
    const s = await startServer(['--body-budget', '8m', '--request-timeout', '2000', '--headers-timeout', '1000']);
    const rss = (): number => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${s.child.pid}/status`, 'utf8'))?.[1]) / 1024;
    const before = rss();
    const uploads = Array.from({ length: 80 }, () => raw(s.port, (sock) => {
      sock.write(`POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: ${4 * 2 ** 20}\r\n\r\n`);
      sock.write(Buffer.alloc(2 * 2 ** 20, 32)); // half the body, then nothing
    }, 6000));
    await new Promise((r) => setTimeout(r, 1000));
    const during = rss();
    const answers = await Promise.all(uploads);
    expect(during - before).toBeLessThan(120); // the budget (8 MB) and socket buffers, not 80 x 2 MB
    expect(answers.filter((a) => /^HTTP\/1\.1 503 /.test(a)).length).toBeGreaterThan(0);
    expect(answers.every((a) => /^HTTP\/1\.1 (503|408) /.test(a))).toBe(true);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/^wavae_body_bytes_in_flight 0$/m);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  }, 60_000);
});

describe('operations', () => {
  it('SIGHUP: a corrupt file keeps the old model and logs why; a good file replaces it', async () => {
    const file = path.join(dir, 'reloaded.safetensors');
    fs.copyFileSync(modelFile, file);
    const s = await startServer([], file);
    const r = rows(2, 7);
    const first = await post(s, 'score', { rows: r, method: 'reconstruction' });
    fs.writeFileSync(file, Buffer.from('not a model file at all'));
    s.child.kill('SIGHUP');
    await expect.poll(() => s.logs.find((l) => l.event === 'model reload failed; serving the model loaded before'), { timeout: 10_000 }).toBeTruthy();
    expect((await post(s, 'score', { rows: r, method: 'reconstruction' })).json.scores).toEqual(first.json.scores);
    const other = new wv.VAE({ inputDim: D, hiddenDims: [5], latentDim: 2, seed: 9 });
    fs.writeFileSync(file, other.save());
    s.child.kill('SIGHUP');
    await expect.poll(async () => (await (await fetch(`${s.url}/info`)).json()).architecture, { timeout: 10_000 }).toBe('16-5-2');
    const again = await post(s, 'score', { rows: rows(1, 8).map((x) => x.map((v) => v / 255)), method: 'reconstruction' });
    expect(again.json.scores[0]).toBeCloseTo(other.score(scaled(rows(1, 8)), { method: 'reconstruction' })[0], 4);
    expect(again.json.threshold).toBeNull(); // the new file has no calibration
    other.dispose();
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/wavae_model_reloads_total\{result="failed"\} 1/);
    expect(metrics).toMatch(/wavae_model_reloads_total\{result="ok"\} 1/);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  }, 60_000);

  it('SIGTERM under load: every request is answered whole (200, or 503 once draining), then exit 0', async () => {
    const s = await startServer();
    const body = { rows: rows(50, 9), method: 'iw', samples: 300 };
    const inFlight = Array.from({ length: 30 }, (_, i) => new Promise((r) => setTimeout(r, i * 5)).then(() => post(s, 'score', body).then((r) => r.status, (e: Error) => e.message)));
    await new Promise((r) => setTimeout(r, 60));
    s.child.kill('SIGTERM');
    const statuses = await Promise.all(inFlight);
    expect(await s.exited).toBe(0);
    // a request either got its whole answer or found the port closed (never a half answer)
    for (const st of statuses) expect([200, 503, 'fetch failed']).toContain(st);
    expect(statuses.filter((st) => st === 200).length).toBeGreaterThan(0);
    expect(s.logs.map((l) => l.event)).toEqual(expect.arrayContaining(['draining', 'stopped']));
    expect(s.logs.find((l) => l.event === 'stopped')?.answeredAll).toBe(true);
  }, 60_000);

  it('--calibrate computes the threshold at startup from a data file (an .npy read as .npy)', async () => {
    const npy = path.join(dir, 'normal.npy');
    const normal = rows(100, 10);
    fs.writeFileSync(npy, (await import('../src/data/tabular.js')).encodeNpy(wv.matrix(100, D, Float32Array.from(normal.flat()))));
    const s = await startServer(['--calibrate', npy, '--quantile', '0.9', '--method', 'reconstruction']);
    const info = await (await fetch(`${s.url}/info`)).json();
    const want = vae.score(scaled(normal), { method: 'reconstruction' });
    const sorted = Array.from(want).sort((a, b) => a - b);
    const at = 0.9 * 99;
    expect(info.calibration.threshold).toBeCloseTo(sorted[Math.floor(at)] + (sorted[Math.ceil(at)] - sorted[Math.floor(at)]) * (at - Math.floor(at)), 3);
    expect(info.calibration).toMatchObject({ quantile: 0.9, method: 'reconstruction', rows: 100 });
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  }, 30_000);
});

describe('startup mistakes: one line on stderr, exit code 2, no stack trace', () => {
  it('each is refused before it listens', async () => {
    fs.writeFileSync(path.join(dir, 'rows.csv'), 'a,b\n1,2\n');
    const taken = await startServer();
    const cases: [string[], RegExp][] = [
      [['--model', modelFile, '--port', '99999'], /--port .* expected an integer in \[0, 65535\]/],
      [['--model', modelFile, '--port', 'abc'], /--port/],
      [['--model', modelFile, '--quantile', 'abc'], /--quantile .* expected a number/],
      [['--model', modelFile, '--quantile', '0'], /--quantile/],
      [['--model', path.join(dir, 'missing.safetensors')], /no such file/],
      [['--model', path.join(dir, 'rows.csv')], /rows\.csv|safetensors|header/],
      [['--model', modelFile, '--calibrate', path.join(dir, 'missing.csv')], /no such file/],
      [['--model', modelFile, '--calibrate', path.join(dir, 'rows.csv')], /2 columns, the model takes 16/],
      [['--model', modelFile, '--max-body', '12zb'], /--max-body .* expected a size in bytes/],
      [['--model', modelFile, '--port', String(taken.port)], /cannot listen on 127\.0\.0\.1:\d+: the address is in use/],
      [['--model', modelFile, '--method', 'mse'], /--method/],
      [['--model', modelFile, '--bogus'], /unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = spawnSync(process.execPath, [BIN, 'serve', ...args], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines.length, r.stderr).toBe(1);
      expect(lines[0]).toMatch(/^wavae: error: /);
      expect(lines[0]).toMatch(message);
    }
    taken.child.kill('SIGTERM');
    expect(await taken.exited).toBe(0);
  }, 120_000);
});
