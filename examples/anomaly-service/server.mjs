#!/usr/bin/env node
// An anomaly-detection service on node:http: loads a wavae model file, calibrates a threshold on
// reconstruction errors of normal data, and answers POSTed vectors with their reconstruction
// error, an anomaly flag and their latent codes.
//
//   node examples/anomaly-service/server.mjs --model out/model.safetensors [--port 8080]
//        [--calibrate mnist|rows.npy|rows.csv] [--calibration-limit 2000] [--quantile 0.99]
//
//   POST /score  {"vectors": [[...784 numbers...], ...]}   (or {"vector": [...]})
//     -> {"threshold": t, "results": [{"error": e, "anomaly": bool, "latent": [...]}, ...]}
//   GET  /health -> {"status": "ok", "model": "vae", "inputDim": 784, "threshold": t}
//
// Vectors are in the model's input space (for MNIST models: pixels in [0, 1]).
import http from 'node:http';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import * as wv from 'wavae';

const { values: opts } = parseArgs({
  options: {
    model: { type: 'string' },
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    calibrate: { type: 'string', default: 'mnist' },
    'calibration-limit': { type: 'string', default: '2000' },
    quantile: { type: 'string', default: '0.99' },
  },
});

function fail(message) {
  process.stderr.write(`anomaly-service: error: ${message}\n`);
  process.exit(1);
}

if (!opts.model) fail('--model <file> is required');
const MAX_BODY = 16 * 2 ** 20;

await wv.init();
let model;
try {
  model = wv.load(new Uint8Array(fs.readFileSync(opts.model)));
} catch (err) {
  fail(`cannot load ${opts.model}: ${err.message}`);
}
const inputDim = model.inputDim;

/** Per-row squared reconstruction error, and the latent codes (means for a VAE). */
function score(x) {
  const codes = model.kind === 'vae' ? model.encode(x).mean : model.encode(x);
  const recon = model.decode(codes);
  const errors = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    let s = 0;
    for (let j = 0; j < inputDim; j++) s += (x.data[i * inputDim + j] - recon.data[i * inputDim + j]) ** 2;
    errors[i] = s;
  }
  return { errors, codes };
}

async function calibrationRows() {
  const limit = Number(opts['calibration-limit']);
  if (opts.calibrate === 'mnist') {
    const { train } = await wv.datasets.mnist();
    const n = Math.min(limit, train.images.rows);
    return wv.matrix(n, 784, train.images.data.subarray(0, n * 784));
  }
  const text = fs.readFileSync(opts.calibrate, 'utf8');
  const rows = text.trim().split(/\r?\n/).map((line) => line.split(',').map(Number));
  return wv.matrix(Math.min(limit, rows.length), inputDim, Float32Array.from(rows.slice(0, limit).flat()));
}

const calibration = await calibrationRows();
if (calibration.cols !== inputDim) fail(`calibration data has ${calibration.cols} columns, the model takes ${inputDim}`);
const sorted = Array.from(score(calibration).errors).sort((a, b) => a - b);
const threshold = sorted[Math.min(sorted.length - 1, Math.floor(Number(opts.quantile) * sorted.length))];

class BadRequest extends Error {}

function parseVectors(body) {
  let json;
  try {
    json = JSON.parse(body);
  } catch {
    throw new BadRequest('the body is not valid JSON');
  }
  const vectors = Array.isArray(json?.vectors) ? json.vectors : Array.isArray(json?.vector) ? [json.vector] : null;
  if (!vectors || vectors.length === 0) throw new BadRequest('expected {"vectors": [[...], ...]} or {"vector": [...]}');
  if (vectors.length > 10_000) throw new BadRequest(`at most 10000 vectors per request, got ${vectors.length}`);
  const data = new Float32Array(vectors.length * inputDim);
  vectors.forEach((v, i) => {
    if (!Array.isArray(v) || v.length !== inputDim) throw new BadRequest(`vector ${i} has ${Array.isArray(v) ? v.length : 'no'} values, expected ${inputDim}`);
    v.forEach((value, j) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new BadRequest(`vector ${i}, value ${j} is not a finite number`);
      data[i * inputDim + j] = value;
    });
  });
  return wv.matrix(vectors.length, inputDim, data);
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/health') {
    if (req.method !== 'GET') return send(res, 405, { error: 'use GET /health' });
    return send(res, 200, { status: 'ok', model: model.kind, inputDim, threshold });
  }
  if (url.pathname !== '/score') return send(res, 404, { error: `no route ${url.pathname}; use POST /score or GET /health` });
  if (req.method !== 'POST') return send(res, 405, { error: 'use POST /score' });
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) {
      send(res, 413, { error: `the body exceeds ${MAX_BODY} bytes` });
      req.destroy();
    } else chunks.push(chunk);
  });
  req.on('end', () => {
    if (res.writableEnded) return;
    try {
      const x = parseVectors(Buffer.concat(chunks).toString('utf8'));
      const { errors, codes } = score(x);
      const L = codes.cols;
      const results = Array.from(errors, (error, i) => ({ error, anomaly: error > threshold, latent: Array.from(codes.data.subarray(i * L, (i + 1) * L)) }));
      send(res, 200, { threshold, results });
    } catch (err) {
      if (err instanceof BadRequest) send(res, 400, { error: err.message });
      else send(res, 500, { error: 'internal error' });
    }
  });
});

server.listen(Number(opts.port), opts.host, () => {
  const { port } = server.address();
  process.stdout.write(`anomaly-service: ${model.kind} ${opts.model}, threshold ${threshold.toFixed(3)} (quantile ${opts.quantile} of ${calibration.rows} rows); listening on http://${opts.host}:${port}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
