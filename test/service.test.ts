// examples/anomaly-service: started on a free port with a small trained model; good, anomalous
// and malformed requests; the service keeps serving after bad input.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';

let server: ChildProcess;
let base: string;
let test: wv.Matrix;

beforeAll(async () => {
  await wv.init();
  const mnist = await wv.datasets.mnist();
  test = mnist.test.images;
  const vae = new wv.VAE({ inputDim: 784, hiddenDims: [200], latentDim: 8, seed: 1 });
  await vae.fit(wv.matrix(4000, 784, mnist.train.images.data.subarray(0, 4000 * 784)), { epochs: 3, batchSize: 64 });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-svc-')), 'model.safetensors');
  fs.writeFileSync(file, vae.save());
  vae.dispose();
  server = spawn(process.execPath, ['examples/anomaly-service/server.mjs', '--model', file, '--port', '0', '--calibration-limit', '1000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout?.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    server.stderr?.on('data', (d) => reject(new Error(String(d))));
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}, 120_000);

afterAll(() => {
  server?.kill('SIGTERM');
});

async function post(body: string): Promise<{ status: number; json: any }> {
  const r = await fetch(`${base}/score`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: r.status, json: await r.json() };
}

const digit = (i: number): number[] => Array.from(test.data.subarray(i * 784, (i + 1) * 784));

describe('anomaly service', () => {
  it('reports health with the calibrated threshold', async () => {
    const r = await fetch(`${base}/health`);
    expect(r.status).toBe(200);
    const json = await r.json();
    expect(json).toMatchObject({ status: 'ok', model: 'vae', inputDim: 784 });
    expect(json.threshold).toBeGreaterThan(0);
  });

  it('scores test digits as normal and noise or inverted digits as anomalies, with latent codes', async () => {
    const good = await post(JSON.stringify({ vectors: [0, 1, 2, 3, 4, 5, 6, 7].map(digit) }));
    expect(good.status).toBe(200);
    expect(good.json.results).toHaveLength(8);
    expect(good.json.results.filter((r: { anomaly: boolean }) => r.anomaly).length).toBeLessThanOrEqual(1);
    expect(good.json.results[0].latent).toHaveLength(8);
    const noise = Array.from({ length: 784 }, (_, j) => (Math.sin(j * 12.9898) * 43758.5453) % 1 >= 0 ? 0.9 : 0.1);
    const inverted = digit(0).map((v) => 1 - v);
    const bad = await post(JSON.stringify({ vectors: [noise, inverted] }));
    expect(bad.json.results.map((r: { anomaly: boolean }) => r.anomaly)).toEqual([true, true]);
    expect(bad.json.results[1].error).toBeGreaterThan(5 * good.json.results[0].error);
  });

  it('answers malformed requests with 400 and a clear message, and keeps serving', async () => {
    const cases: [string, RegExp][] = [
      ['{not json', /not valid JSON/],
      [JSON.stringify({ vectors: [[1, 2, 3]] }), /vector 0 has 3 values, expected 784/],
      [JSON.stringify({ vector: digit(0).map((v, j) => (j === 5 ? 'x' : v)) }), /vector 0, value 5 is not a finite number/],
      [JSON.stringify({ data: [] }), /expected \{"vectors"/],
    ];
    for (const [body, message] of cases) {
      const r = await post(body);
      expect(r.status).toBe(400);
      expect(r.json.error).toMatch(message);
    }
    expect((await fetch(`${base}/score`)).status).toBe(405);
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
    const again = await post(JSON.stringify({ vector: digit(9) }));
    expect(again.status).toBe(200);
  });
});
