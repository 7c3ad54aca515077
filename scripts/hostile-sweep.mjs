#!/usr/bin/env node
// Hostile-input sweep (issue 19, second round): builds hostile inputs in a temp folder and runs
// them against the built CLI (a child process per case, with a preload that reports its peak
// RSS), the library (dist/node.js, one child process per case so that a crash or a hang cannot
// take the sweep down) and the file readers (model files and data files, through both).
//
//   npm run build && node scripts/hostile-sweep.mjs [--only CLASS,...] [--keep] [--jobs N]
//
// Each case states what a clean outcome is: a refusal (exit != 0 with exactly one stderr line
// `wavae: error: ...`, no stack trace; from the library a WavaeError with a documented code), an
// acceptance (exit 0, the input being legitimately valid), or either. Anything else is a finding:
// a crash, a stack trace, a RangeError/TypeError, a timeout, a silent NaN, exit 0 on bad input,
// peak RSS over 600 MB, a refusal slower than 20 s, a partial output set. Prints a table per class
// and `cases: N, clean errors: A, valid accepted: B, findings: C`, then every finding.
// Takes 4-6 minutes on 2 busy cores (349 s measured at load average 5; 2 children at a time; --jobs N to change).
// --only CLASS,... runs the classes whose names start so (paths, bombs, data, model-files, outputs, options, lib).
// --verbose adds one line per case. It needs about 2 GB of free memory: some cases measure blow-ups past 1 GB. Runs as whatever user you are: as root,
// permission checks (read-only folders) do not bite, and the script says so in those cases.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..');
const BIN = path.join(ROOT, 'dist/cli/main.js');
const LIB = path.join(ROOT, 'dist/node.js');
const RSS_LIMIT_MB = 600;
const REFUSAL_SECONDS = 20;
const TIMEOUT_MS = 60_000;
const CODES = new Set(['INVALID_OPTION', 'UNKNOWN_OPTION', 'SHAPE_MISMATCH', 'OUT_OF_RANGE', 'NON_FINITE_INPUT', 'NON_FINITE_OUTPUT',
  'NOT_INITIALIZED', 'BACKEND_UNAVAILABLE', 'OUT_OF_MEMORY', 'CORRUPT_FILE', 'UNSUPPORTED_VERSION', 'DIVERGED', 'BUSY', 'WORKER_FAILED', 'ABORTED']);
/** Words in an error message that betray an engine error rather than a message about the input. */
const INTERNAL = /RangeError|TypeError|SyntaxError|ReferenceError|Maximum call stack|Cannot read propert|is not a function|Invalid array length|Array buffer allocation|Invalid typed array length|out of memory|undefined|\[object /;

/** Counts non-finite values anywhere in a result (Matrix, arrays, objects of numbers). */
function summarize(v) {
  let values = 0; let nonFinite = 0; let firstBad = null;
  const seen = new Set();
  const walk = (x, where) => {
    if (x === null || x === undefined || seen.has(x)) return;
    if (typeof x === 'number') { values++; if (!Number.isFinite(x)) { nonFinite++; firstBad ??= `${where}=${x}`; } return; }
    if (ArrayBuffer.isView(x)) {
      for (let i = 0; i < x.length; i++) { values++; if (!Number.isFinite(Number(x[i]))) { nonFinite++; firstBad ??= `${where}[${i}]=${x[i]}`; } }
      return;
    }
    if (typeof x !== 'object') return;
    seen.add(x);
    if (typeof x.save === 'function' && typeof x.encode === 'function') { walk(x.parameters?.(), `${where}.parameters()`); return; }
    for (const k of Object.keys(x)) walk(x[k], `${where}.${k}`);
  };
  walk(v, 'result');
  const shape = v && typeof v === 'object' && 'rows' in v ? `${v.rows}x${v.cols}` : Array.isArray(v) ? `array(${v.length})` : typeof v;
  return { values, nonFinite, firstBad, shape };
}

// ---------------------------------------------------------------------------------------------
// Hostile bytes
// ---------------------------------------------------------------------------------------------
const u8 = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const be32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
/** An IDX file: magic (type, rank), big-endian dims, data. */
const idx = (type, dims, data = Buffer.alloc(0)) => u8([0, 0, type, dims.length], ...dims.map(be32), data);
/** A .npy file (v1.0) with the given header dictionary text and data. */
function npy(dict, data = Buffer.alloc(0), major = 1) {
  let header = dict;
  const pre = major === 1 ? 10 : 12;
  while ((pre + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const len = Buffer.alloc(major === 1 ? 2 : 4);
  if (major === 1) len.writeUInt16LE(header.length); else len.writeUInt32LE(header.length);
  return u8([0x93], 'NUMPY', [major, 0], len, header, data);
}
/** gzip that inflates to `prefix` then `zeros` zero bytes, built from repeated gzip members (cheap to make). */
function gzipBomb(prefix, zeros) {
  const CHUNK = 16 << 20;
  const parts = [zlib.gzipSync(prefix)];
  const full = zlib.gzipSync(Buffer.alloc(CHUNK), { level: 9 });
  let left = zeros;
  while (left >= CHUNK) { parts.push(full); left -= CHUNK; }
  if (left > 0) parts.push(zlib.gzipSync(Buffer.alloc(left), { level: 9 }));
  return Buffer.concat(parts);
}
/** gzip that inflates to `prefix` then `bytes` copies of a one-byte filler (for text bombs). */
function gzipTextBomb(prefix, filler, bytes) {
  const CHUNK = 16 << 20;
  const parts = [zlib.gzipSync(prefix)];
  const full = zlib.gzipSync(Buffer.alloc(CHUNK, filler), { level: 9 });
  let left = bytes;
  while (left >= CHUNK) { parts.push(full); left -= CHUNK; }
  if (left > 0) parts.push(zlib.gzipSync(Buffer.alloc(left, filler), { level: 9 }));
  return Buffer.concat(parts);
}
/** A safetensors file from header text (given as a string: every trick is spelled by hand) and data. */
function st(headerText, data = Buffer.alloc(0), { lengthField, prefix = '' } = {}) {
  const h = Buffer.from(prefix + headerText, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthField ?? BigInt(h.length));
  return Buffer.concat([len, h, data]);
}
const f32 = (...v) => Buffer.from(new Float32Array(v).buffer);

// ---------------------------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------------------------
let TMP;
const PRELOAD = () => path.join(TMP, 'peak-rss.cjs');

function runChild(args, { cwd = TMP, timeout = TIMEOUT_MS, input } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--require', PRELOAD(), ...args], { cwd, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = ''; let stderr = ''; let stderrBytes = 0; let timedOut = false;
    child.stdout.on('data', (d) => { if (stdout.length < 200_000) stdout += d; });
    // keep the head and the tail of stderr (the preload's peak line comes last, after any huge message)
    child.stderr.on('data', (d) => { stderrBytes += d.length; stderr += d; if (stderr.length > 400_000) stderr = stderr.slice(0, 100_000) + stderr.slice(-100_000); });
    if (input !== undefined) { child.stdin.on('error', () => {}); child.stdin.end(input); }
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeout);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const m = /peak (\d+)\n?$/.exec(stderr);
      resolve({ code, signal, timedOut, stdout, stderrBytes, stderr: stderr.replace(/peak \d+\n?$/, ''), rssMb: m ? Number(m[1]) / 1024 : null, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/**
 * Judges a CLI run. expect: 'refuse' | 'accept' | 'either'. Returns { verdict: 'error'|'ok'|'finding', why }.
 */
function judgeCli(r, expect, check, bigOk = false) {
  const problems = [];
  const lines = r.stderr.trim() === '' ? [] : r.stderr.trim().split('\n');
  if (r.timedOut) problems.push(`timed out after ${TIMEOUT_MS / 1000} s`);
  else if (r.signal) problems.push(`killed by ${r.signal}`);
  if (r.rssMb !== null && r.rssMb > RSS_LIMIT_MB && !(bigOk && r.code === 0)) problems.push(`peak RSS ${r.rssMb.toFixed(0)} MB > ${RSS_LIMIT_MB} MB`);
  let verdict;
  if (!r.timedOut && !r.signal) {
    if (r.code !== 0) {
      const clean = lines.length === 1 && /^wavae: error: /.test(lines[0]) && !/\n\s+at /.test(r.stderr) && !INTERNAL.test(lines[0]);
      if (r.stderrBytes > 20_000) problems.push(`the error line is ${r.stderrBytes} bytes long (echoes the input?)`);
      if (!clean) problems.push(`unclean failure (exit ${r.code}): ${lines.length} stderr lines: ${JSON.stringify(r.stderr.slice(0, 300))}`);
      else if (expect === 'accept') problems.push(`refused valid input: ${lines[0]}`);
      if (r.seconds > REFUSAL_SECONDS) problems.push(`refusal took ${r.seconds.toFixed(1)} s > ${REFUSAL_SECONDS} s`);
      verdict = 'error';
    } else {
      if (expect === 'refuse') problems.push(`exit 0 on bad input${lines.length ? `; stderr ${JSON.stringify(r.stderr.slice(0, 200))}` : ''}; stdout ${JSON.stringify(r.stdout.slice(0, 160))}`);
      verdict = 'ok';
    }
  }
  if (check && !r.timedOut) { const c = check(r); if (c) problems.push(c); }
  if (r.rssMb === null && !r.timedOut && !r.signal) problems.push('no peak RSS reported (the process did not exit normally)');
  return problems.length ? { verdict: 'finding', why: problems.join('; ') } : { verdict, why: verdict === 'error' ? lines[0] : 'exit 0' };
}

function judgeLib(r, expect, check) {
  const problems = [];
  if (r.timedOut) problems.push(`timed out after ${TIMEOUT_MS / 1000} s`);
  else if (r.signal) problems.push(`killed by ${r.signal}`);
  if (r.rssMb !== null && r.rssMb > RSS_LIMIT_MB) problems.push(`peak RSS ${r.rssMb.toFixed(0)} MB > ${RSS_LIMIT_MB} MB`);
  let out = null;
  try { out = JSON.parse(r.stdout.trim().split('\n').pop()); } catch { /* judged below */ }
  let verdict;
  if (!r.timedOut && !r.signal) {
    if (!out) problems.push(`child crashed (exit ${r.code}): ${JSON.stringify((r.stderr || r.stdout).slice(0, 300))}`);
    else if (!out.ok) {
      verdict = 'error';
      const clean = out.error === 'WavaeError' && CODES.has(out.code) && !INTERNAL.test(out.message);
      if (r.stderrBytes > 20_000) problems.push(`the error line is ${r.stderrBytes} bytes long (echoes the input?)`);
      if (!clean) problems.push(`threw ${out.error}${out.code ? ` (${out.code})` : ''}: ${out.message} @ ${out.stack}`);
      else if (expect === 'accept') problems.push(`refused valid input: ${out.code}: ${out.message}`);
      if (r.seconds > REFUSAL_SECONDS) problems.push(`refusal took ${r.seconds.toFixed(1)} s > ${REFUSAL_SECONDS} s`);
    } else {
      verdict = 'ok';
      if (expect === 'refuse') problems.push(`returned (${out.shape}, ${out.values} values) instead of refusing`);
      if (out.nonFinite > 0) problems.push(`silent non-finite output: ${out.nonFinite} of ${out.values} values (first ${out.firstBad})`);
    }
    if (r.stderr.trim() !== '' && out) problems.push(`stderr: ${JSON.stringify(r.stderr.slice(0, 200))}`);
  }
  if (check && out) { const c = check(out, r); if (c) problems.push(c); }
  const why = out ? (out.ok ? `returned ${out.shape}` : `${out.code ?? out.error}: ${out.message}`) : '';
  return problems.length ? { verdict: 'finding', why: problems.join('; '), detail: why } : { verdict, why };
}

// ---------------------------------------------------------------------------------------------
// Library cases (run in a child each; defined here so that the child finds them by name)
// ---------------------------------------------------------------------------------------------
function libraryCases(tmp) {
  const cases = [];
  const add = (cls, name, expect, run, check) => cases.push({ cls, name, expect, run, check });
  const vae = (wv, o = {}) => new wv.VAE({ inputDim: 4, hiddenDims: [3], latentDim: 2, seed: 1, ...o });
  const ae = (wv, o = {}) => new wv.Autoencoder({ inputDim: 4, hiddenDims: [3], latentDim: 2, seed: 1, ...o });
  const x4 = (wv, n = 8, v = 0.5) => wv.matrix(n, 4, new Float32Array(n * 4).fill(v));

  // constructors
  const ctor = [
    ['VAE inputDim 0', { inputDim: 0 }], ['VAE inputDim -1', { inputDim: -1 }], ['VAE inputDim 1e9', { inputDim: 1e9 }],
    ['VAE inputDim NaN', { inputDim: NaN }], ['VAE inputDim "4"', { inputDim: '4' }], ['VAE latentDim 1e308', { latentDim: 1e308 }],
    ['VAE latentDim 0', { latentDim: 0 }], ['VAE hiddenDims [1e9]', { hiddenDims: [1e9] }], ['VAE hiddenDims [8388608] (CLI refuses --hidden 16777216)', { hiddenDims: [8388608] }],
    ['VAE hiddenDims [16777216,16777216]', { hiddenDims: [16777216, 16777216] }], ['VAE hiddenDims 1e6 layers', { hiddenDims: new Array(1e6).fill(1) }],
    ['VAE hiddenDims [0]', { hiddenDims: [0] }], ['VAE hiddenDims "abc"', { hiddenDims: 'abc' }], ['VAE inputDim 16777216 latent 16777216', { inputDim: 16777216, latentDim: 16777216, hiddenDims: [] }],
    ['VAE likelihood __proto__', { likelihood: '__proto__' }], ['VAE activation constructor', { activation: 'constructor' }],
    ['VAE beta NaN', { beta: NaN }], ['VAE beta -1', { beta: -1 }], ['VAE beta 1e308', { beta: 1e308 }], ['VAE seed NaN', { seed: NaN }],
    ['VAE seed 1e308', { seed: 1e308 }], ['VAE outputVariance 0', { likelihood: 'gaussian', outputVariance: 0 }],
    ['VAE outputVariance -1', { likelihood: 'gaussian', outputVariance: -1 }], ['VAE weightDecay Infinity', { weightDecay: Infinity }],
    ['VAE unknown option', { latentDimm: 3 }], ['VAE conditionDim 1e9', { conditionDim: 1e9 }],
    ['VAE inputShape [1e6,1e6,1e6]', { inputDim: undefined, inputShape: [1e6, 1e6, 1e6], encoder: [{ type: 'flatten' }, { type: 'dense', units: 4 }] }],
    ['VAE conv filters 16777216', { inputDim: undefined, hiddenDims: undefined, inputShape: [1, 8, 8], encoder: [{ type: 'conv2d', filters: 16777216, kernelSize: 3 }, { type: 'flatten' }] }],
    ['VAE conv kernelSize 1e9', { inputDim: undefined, hiddenDims: undefined, inputShape: [1, 8, 8], encoder: [{ type: 'conv2d', filters: 2, kernelSize: 1e9 }, { type: 'flatten' }] }],
    ['VAE conv stride 0', { inputDim: undefined, hiddenDims: undefined, inputShape: [1, 8, 8], encoder: [{ type: 'conv2d', filters: 2, kernelSize: 3, stride: 0 }, { type: 'flatten' }] }],
    ['VAE reshape [-1]', { inputDim: undefined, hiddenDims: undefined, inputShape: [1, 2, 2], encoder: [{ type: 'reshape', shape: [-1] }, { type: 'dense', units: 2 }] }],
    ['VAE encoder 200 dense layers', { hiddenDims: undefined, encoder: Array.from({ length: 200 }, () => ({ type: 'dense', units: 2 })) }],
  ];
  for (const [n, o] of ctor) add('lib-ctor', n, n === 'VAE beta 1e308' ? 'either' : 'refuse', (wv) => vae(wv, o));
  add('lib-ctor', 'AE loss __proto__', 'refuse', (wv) => ae(wv, { loss: '__proto__' }));
  add('lib-ctor', 'AE denoise mask prob 2', 'refuse', (wv) => ae(wv, { denoise: { type: 'mask', prob: 2 } }));
  add('lib-ctor', 'AE denoise gaussian std NaN', 'refuse', (wv) => ae(wv, { denoise: { type: 'gaussian', std: NaN } }));
  add('lib-ctor', 'AE hiddenDims [16777216] inputDim 784', 'refuse', (wv) => ae(wv, { inputDim: 784, hiddenDims: [16777216] }));
  add('lib-ctor', 'matrix(1e9, 1e9)', 'refuse', (wv) => wv.matrix(1e9, 1e9));
  add('lib-ctor', 'matrix(-1, 2)', 'refuse', (wv) => wv.matrix(-1, 2));
  add('lib-ctor', 'matrix(2, 2, short data)', 'refuse', (wv) => wv.matrix(2, 2, new Float32Array(3)));
  add('lib-ctor', 'oneHot([1e9], 1e9)', 'refuse', (wv) => wv.oneHot([1e9], 1e9));
  add('lib-ctor', 'oneHot([0.5], 2)', 'refuse', (wv) => wv.oneHot([0.5], 2));
  add('lib-ctor', 'oneHot([NaN], 2)', 'refuse', (wv) => wv.oneHot([NaN], 2));
  add('lib-ctor', 'init({ threads: 1e9 })', 'refuse', (wv) => wv.init({ threads: 1e9 }));
  add('lib-ctor', 'init({ backend: "gpu" })', 'refuse', (wv) => wv.init({ backend: 'gpu' }));

  // fit
  const fit = [
    ['epochs 1e12', { epochs: 1e12 }], ['epochs -1', { epochs: -1 }], ['epochs NaN', { epochs: NaN }], ['epochs 0', { epochs: 0 }, 'either'],
    ['batchSize 0', { batchSize: 0 }], ['batchSize 1e9', { epochs: 1, batchSize: 1e9 }, 'either'], ['batchSize 1.5', { batchSize: 1.5 }],
    ['lr NaN', { optimizer: { type: 'adam', lr: NaN } }], ['lr 1e308', { epochs: 2, optimizer: { type: 'sgd', lr: 1e308 } }, 'either'],
    ['lr -1', { optimizer: { type: 'adam', lr: -1 } }], ['optimizer __proto__', { optimizer: { type: '__proto__' } }],
    ['momentum 1e9', { optimizer: { type: 'sgd', lr: 0.1, momentum: 1e9 } }, 'either'], ['clipNorm 0', { clipNorm: 0 }],
    ['clipNorm NaN', { clipNorm: NaN }], ['schedule warmupSteps 1e308', { schedule: { type: 'cosine', warmupSteps: 1e308 } }, 'either'],
    ['schedule type toString', { schedule: { type: 'toString' } }], ['validationData wrong width', { validationData: null, __val: 5 }],
    ['earlyStopping patience -1', { earlyStopping: { patience: -1 } }], ['shuffle "yes"', { shuffle: 'yes' }], ['unknown fit option', { epoch: 3 }],
    ['condition on unconditional', { condition: null, __cond: true }],
  ];
  for (const [n, o, e = 'refuse'] of fit) {
    add('lib-fit', `fit ${n}`, e, async (wv) => {
      const m = vae(wv); const opts = { epochs: 1, batchSize: 4, ...o };
      if (opts.__val) { opts.validationData = wv.matrix(2, opts.__val, new Float32Array(2 * opts.__val)); delete opts.__val; }
      if (opts.__cond) { opts.condition = wv.oneHot([0, 1, 0, 1, 0, 1, 0, 1], 2); delete opts.__cond; }
      const h = await m.fit(x4(wv), opts);
      return { history: h, params: m.parameters() };
    });
  }
  add('lib-fit', 'fit x with NaN', 'refuse', (wv) => { const x = x4(wv); x.data[13] = NaN; return vae(wv).fit(x, { epochs: 1 }); });
  add('lib-fit', 'fit x 3e38 rows (overflow inside)', 'refuse', async (wv) => { const m = vae(wv); await m.fit(x4(wv, 8, 3e38), { epochs: 1 }); return m.parameters(); });
  add('lib-fit', 'fit x of 0 rows', 'refuse', (wv) => vae(wv).fit(wv.matrix(0, 4), { epochs: 1 }));
  add('lib-fit', 'fit x wrong cols', 'refuse', (wv) => vae(wv).fit(wv.matrix(2, 5, new Float32Array(10)), { epochs: 1 }));
  add('lib-fit', 'fit Float32Array not multiple', 'refuse', (wv) => vae(wv).fit(new Float32Array(7), { epochs: 1 }));
  add('lib-fit', 'fit x = plain array', 'refuse', (wv) => vae(wv).fit([[1, 2, 3, 4]], { epochs: 1 }));
  add('lib-fit', 'fit x = lying Matrix (rows 1e9)', 'refuse', (wv) => vae(wv).fit({ rows: 1e9, cols: 4, data: new Float32Array(8) }, { epochs: 1 }));
  add('lib-fit', 'fit bernoulli x in [-5, 5] (legit-ish)', 'either', async (wv) => { const m = vae(wv); const x = x4(wv); x.data.forEach((_, i) => { x.data[i] = (i % 11) - 5; }); await m.fit(x, { epochs: 1 }); return m.evaluate(x); });

  // inference
  const inf = [
    ['sample(1e9)', (wv, m) => m.sample(1e9)], ['sample(0)', (wv, m) => m.sample(0), 'either'], ['sample(-1)', (wv, m) => m.sample(-1)],
    ['sample(NaN)', (wv, m) => m.sample(NaN)], ['sample(2.5)', (wv, m) => m.sample(2.5)], ['sample(2, seed NaN)', (wv, m) => m.sample(2, { seed: NaN })],
    ['sample(2**27) (2^29 values)', (wv, m) => m.sample(2 ** 27)],
    ['interpolate(a, b, 1e9)', (wv, m) => m.interpolate(new Float32Array(2), new Float32Array(2), 1e9)],
    ['interpolate(a, b, 0)', (wv, m) => m.interpolate(new Float32Array(2), new Float32Array(2), 0)],
    ['interpolate wrong length', (wv, m) => m.interpolate(new Float32Array(3), new Float32Array(2), 4)],
    ['interpolate NaN code', (wv, m) => m.interpolate(new Float32Array([NaN, 0]), new Float32Array(2), 4)],
    ['interpolate 3e38 codes', (wv, m) => m.interpolate(new Float32Array([3e38, 3e38]), new Float32Array([-3e38, -3e38]), 4), 'either'],
    ['traverse steps 1e9', (wv, m) => m.traverse(new Float32Array(2), 0, { steps: 1e9 })],
    ['traverse dim 5', (wv, m) => m.traverse(new Float32Array(2), 5, { steps: 3 })],
    ['traverse dim -1', (wv, m) => m.traverse(new Float32Array(2), -1, { steps: 3 })],
    ['traverse range 1e308', (wv, m) => m.traverse(new Float32Array(2), 0, { steps: 3, range: 1e308 })],
    ['traverse range 1e30', (wv, m) => m.traverse(new Float32Array(2), 0, { steps: 3, range: 1e30 }), 'either'],
    ['decode 3e38 codes', (wv, m) => m.decode(wv.matrix(2, 2, new Float32Array(4).fill(3e38))), 'either'],
    ['decode wrong width', (wv, m) => m.decode(wv.matrix(2, 3, new Float32Array(6)))],
    ['decode 2^22 rows of a 1024-wide model (2^32 values out)', (wv) => new wv.VAE({ inputDim: 1024, hiddenDims: [], latentDim: 2, seed: 1 }).decode(wv.matrix(2 ** 22, 2))],
    ['encode 3e38 rows', (wv, m) => m.encode(x4(wv, 2, 3e38)), 'either'],
    ['encode -3e38 rows', (wv, m) => m.encode(x4(wv, 2, -3e38)), 'either'],
    ['encode Infinity', (wv, m) => m.encode(x4(wv, 2, Infinity))],
    ['encode 0 rows', (wv, m) => m.encode(wv.matrix(0, 4)), 'either'],
    ['evaluate 3e38 rows', (wv, m) => m.evaluate(x4(wv, 2, 3e38))],
    ['evaluate 1e30 rows', (wv, m) => m.evaluate(x4(wv, 2, 1e30))],
    ['evaluate 0 rows', (wv, m) => m.evaluate(wv.matrix(0, 4))],
    ['reconstruct 3e38', (wv, m) => m.reconstruct(x4(wv, 2, 3e38)), 'either'],
    ['logLikelihood samples 1e9', (wv, m) => m.logLikelihood(x4(wv, 2), { samples: 1e9 })],
    ['logLikelihood samples 0', (wv, m) => m.logLikelihood(x4(wv, 2), { samples: 0 })],
    ['logLikelihood 3e38', (wv, m) => m.logLikelihood(x4(wv, 2, 3e38), { samples: 4 })],
    ['logLikelihood 1e20 (finite input)', (wv, m) => m.logLikelihood(x4(wv, 2, 1e20), { samples: 4 })],
    ['gradients eps wrong length', (wv, m) => m.gradients(x4(wv, 2), { eps: new Float32Array(3) })],
    ['gradients eps NaN', (wv, m) => m.gradients(x4(wv, 2), { eps: new Float32Array(4).fill(NaN) })],
    ['gradients 3e38', (wv, m) => m.gradients(x4(wv, 2, 3e38), { eps: new Float32Array(4) })],
    ['gradients 1e20', (wv, m) => m.gradients(x4(wv, 2, 1e20), { eps: new Float32Array(4) })],
    ['score method __proto__', (wv, m) => m.score(x4(wv, 2), { method: '__proto__' })],
    ['score 3e38', (wv, m) => m.score(x4(wv, 2, 3e38))],
    ['score elbo samples 1e9', (wv, m) => m.score(x4(wv, 2), { method: 'elbo', samples: 1e9 })],
    ['calibrate quantile 2', (wv, m) => m.calibrate(x4(wv, 4), { quantile: 2 })],
    ['save({ optimizer: "x" })', (wv, m) => m.save({ optimizer: 'x' })],
    ['save({ metadata: { format_version: "9" } })', (wv, m) => wv.load(m.save({ metadata: { format_version: '9' } })), 'either'],
    ['save({ metadata: 1e6 entries })', (wv, m) => m.save({ metadata: Object.fromEntries(Array.from({ length: 1e6 }, (_, i) => [`k${i}`, 'v'])) })],
    ['save({ metadata: { k: 5 } })', (wv, m) => m.save({ metadata: { k: 5 } })],
    ['encode with condition on unconditional', (wv, m) => m.encode(x4(wv, 2), { condition: wv.oneHot([0, 1], 2) })],
  ];
  for (const [n, f, e = 'refuse'] of inf) add('lib-infer', n, e, (wv) => f(wv, vae(wv)));
  add('lib-infer', 'AE encode 3e38', 'either', (wv) => ae(wv).encode(x4(wv, 2, 3e38)));
  add('lib-infer', 'AE evaluate 3e38', 'refuse', (wv) => ae(wv).evaluate(x4(wv, 2, 3e38)));
  add('lib-infer', 'AE score 3e38', 'refuse', (wv) => ae(wv).score(x4(wv, 2, 3e38)));
  add('lib-infer', 'gaussian VAE decode 1e30 codes', 'either', (wv) => vae(wv, { likelihood: 'gaussian' }).decode(wv.matrix(1, 2, new Float32Array([1e30, 1e30]))));
  add('lib-infer', 'gaussian VAE evaluate 1e19 (overflow in the loss)', 'refuse', (wv) => vae(wv, { likelihood: 'gaussian' }).evaluate(x4(wv, 2, 1e19)));
  add('lib-infer', 'CVAE sample without condition', 'refuse', (wv) => vae(wv, { conditionDim: 2 }).sample(2));
  add('lib-infer', 'CVAE sample condition NaN', 'refuse', (wv) => vae(wv, { conditionDim: 2 }).sample(2, { condition: wv.matrix(2, 2, new Float32Array([NaN, 0, 0, 1])) }));
  add('lib-infer', 'CVAE sample condition 3e38', 'either', (wv) => vae(wv, { conditionDim: 2 }).sample(2, { condition: wv.matrix(2, 2, new Float32Array(4).fill(3e38)) }));
  add('lib-infer', 'dispose then encode', 'refuse', (wv) => { const m = vae(wv); m.dispose(); return m.encode(x4(wv, 2)); });

  // load / loadFile of hostile bytes (the files of the model-file class, through the library)
  add('lib-load', 'load(null)', 'refuse', (wv) => wv.load(null));
  add('lib-load', 'load("string")', 'refuse', (wv) => wv.load('abc'));
  add('lib-load', 'load(new Uint8Array(0))', 'refuse', (wv) => wv.load(new Uint8Array(0)));
  add('lib-load', 'load(ArrayBuffer)', 'either', (wv) => wv.load(vae(wv).save().buffer));
  add('lib-load', 'load(bytes, { config: { latentDim: 1e9 } })', 'refuse', (wv) => wv.load(vae(wv).save(), { config: { latentDim: 1e9 } }));
  add('lib-load', 'load(bytes, { bogus: 1 })', 'refuse', (wv) => wv.load(vae(wv).save(), { bogus: 1 }));
  add('lib-load', 'loadFile(/dev/zero)', 'refuse', (wv) => wv.loadFile('/dev/zero'));
  add('lib-load', 'loadFile(/dev/urandom)', 'refuse', (wv) => wv.loadFile('/dev/urandom'));
  add('lib-load', 'loadFile(FIFO)', 'refuse', (wv) => wv.loadFile(path.join(tmp, 'fifo')));
  add('lib-load', 'loadFile(directory)', 'refuse', (wv) => wv.loadFile(tmp));
  add('lib-load', 'loadFile(missing)', 'refuse', (wv) => wv.loadFile(path.join(tmp, 'nope.safetensors')));
  add('lib-load', 'loadFile(symlink to /dev/zero)', 'refuse', (wv) => wv.loadFile(path.join(tmp, 'zero-link.safetensors')));
  add('lib-load', 'readMetadata(1.2M empty tensors)', 'refuse', (wv) => wv.readMetadata(fs.readFileSync(path.join(tmp, 'st', 'empty-tensors-1.2M.safetensors'))));
  add('lib-load', 'decodeSafetensors(dup escaped name)', 'refuse', (wv) => wv.decodeSafetensors(fs.readFileSync(path.join(tmp, 'st', 'dup-escaped-name.safetensors'))));
  add('lib-load', 'saveFile to /proc/x', 'refuse', (wv) => wv.saveFile(vae(wv), '/proc/x/m.safetensors'));
  add('lib-load', 'saveFile to a directory', 'refuse', (wv) => wv.saveFile(vae(wv), tmp));
  add('lib-load', 'parseIdx(lying header)', 'refuse', (wv) => wv.parseIdx(new Uint8Array(idx(8, [0xffffffff, 0xffffffff, 0xffffffff]))));
  add('lib-load', 'parseIdx(rank 255, 8 bytes)', 'refuse', (wv) => wv.parseIdx(new Uint8Array(u8([0, 0, 8, 255], [0, 0, 0, 1]))));
  for (const f of stFiles()) add('lib-load', `loadFile(${f.name})`, f.expect, async (wv) => { const m = await wv.loadFile(path.join(tmp, 'st', f.name)); return f.use ? f.use(wv, m) : m; });
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Model files (safetensors) with every trick the issue lists. expect for wavae's reader.
// ---------------------------------------------------------------------------------------------
const CFG = JSON.stringify({ inputDim: 4, hiddenDims: [3], latentDim: 2, likelihood: 'bernoulli', activation: 'relu', beta: 1, klWarmupEpochs: 0, weightDecay: 0, seed: 1 });
const TENSORS = [['encoder.0.weight', [3, 4]], ['mean.weight', [2, 3]], ['logvar.weight', [2, 3]], ['decoder.0.weight', [3, 2]], ['decoder.1.weight', [4, 3]],
  ['encoder.0.bias', [3]], ['mean.bias', [2]], ['logvar.bias', [2]], ['decoder.0.bias', [3]], ['decoder.1.bias', [4]]];
/** A valid header (as text) and data, with hooks: meta entries, per-tensor edits, extra entries. */
function validModel({ meta = {}, metaText, tensorText = (n, s, o) => `${JSON.stringify(n)}:{"dtype":"F32","shape":${JSON.stringify(s)},"data_offsets":[${o[0]},${o[1]}]}`, extra = [], fill = 0.1, shift = 0 } = {}) {
  const m = { format: 'wavae', format_version: '1', model: 'vae', config: CFG, epochs_trained: '0', ...meta };
  const parts = [`"__metadata__":${metaText ?? JSON.stringify(m)}`];
  let at = shift;
  for (const [n, s] of TENSORS) { const len = s.reduce((a, b) => a * b, 1) * 4; parts.push(tensorText(n, s, [at, at + len])); at += len; }
  parts.push(...extra.map((e) => (typeof e === 'function' ? e(at) : e)));
  const data = Buffer.alloc(at); new Float32Array(data.buffer, data.byteOffset + shift, (at - shift) / 4).fill(fill);
  return { header: `{${parts.join(',')}}`, data, end: at };
}
function stFiles() {
  const F = [];
  const add = (name, expect, make, use) => F.push({ name, expect, make, use });
  const v = (o) => { const m = validModel(o); return st(m.header, m.data); };
  add('valid.safetensors', 'accept', () => v());
  add('trailing-bytes.safetensors', 'refuse', () => { const m = validModel(); return st(m.header, Buffer.concat([m.data, Buffer.alloc(16)])); });
  add('gap.safetensors', 'refuse', () => { const m = validModel({ tensorText: (n, s, o) => `${JSON.stringify(n)}:{"dtype":"F32","shape":${JSON.stringify(s)},"data_offsets":[${n === 'mean.weight' ? o[0] + 4 : o[0]},${n === 'mean.weight' ? o[1] + 4 : o[1]}]}` }); return st(m.header.replace(/"mean\.bias"/, '"mean.bias"'), Buffer.concat([m.data, Buffer.alloc(4)])); });
  add('offset-not-0.safetensors', 'refuse', () => { const m = validModel({ shift: 8 }); return st(m.header, m.data); });
  add('dup-escaped-name.safetensors', 'refuse', () => { const m = validModel({ extra: [(at) => `"mean.\\u0077eight":{"dtype":"F32","shape":[2,3],"data_offsets":[${at},${at + 24}]}`] }); return st(m.header, Buffer.concat([m.data, f32(9, 9, 9, 9, 9, 9)])); });
  add('dup-plain-name.safetensors', 'refuse', () => { const m = validModel({ extra: [(at) => `"mean.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[${at},${at + 24}]}`] }); return st(m.header, Buffer.concat([m.data, f32(9, 9, 9, 9, 9, 9)])); });
  add('dup-escaped-field.safetensors', 'refuse', () => { const m = validModel({ tensorText: (n, s, o) => `${JSON.stringify(n)}:{"dtype":"F32","shape":${JSON.stringify(s)},"data_offsets":[${o[0]},${o[1]}]${n === 'mean.bias' ? `,"data_\\u006fffsets":[${o[0]},${o[1]}]` : ''}}` }); return st(m.header, m.data); });
  add('dup-escaped-metadata.safetensors', 'refuse', () => { const m = validModel({ extra: ['"__m\\u0065tadata__":{"format":"x"}'] }); return st(m.header, m.data); });
  add('dup-metadata-key.safetensors', 'refuse', () => { const m = validModel({ metaText: `{"format":"wavae","format_version":"1","model":"vae","config":${JSON.stringify(CFG)},"epochs_trained":"0","form\\u0061t":"other"}` }); return st(m.header, m.data); });
  add('shape-1.0.safetensors', 'refuse', () => { const m = validModel(); return st(m.header.replace('"shape":[3,4]', '"shape":[3.0,4]'), m.data); });
  add('shape-1e0.safetensors', 'refuse', () => { const m = validModel(); return st(m.header.replace('"shape":[2]', '"shape":[2e0]'), m.data); });
  add('shape-neg0.safetensors', 'refuse', () => { const m = validModel(); return st(m.header.replace('"shape":[3,4]', '"shape":[3,4,-0]'), m.data); });
  add('shape-negative.safetensors', 'refuse', () => { const m = validModel(); return st(m.header.replace('"shape":[3,4]', '"shape":[-3,-4]'), m.data); });
  add('shape-string.safetensors', 'refuse', () => { const m = validModel(); return st(m.header.replace('"shape":[3,4]', '"shape":["3",4]'), m.data); });
  add('offset-48.0.safetensors', 'refuse', () => { const m = validModel(); return st(m.header.replace('"data_offsets":[0,48]', '"data_offsets":[0,48.0]'), m.data); });
  add('offset-string.safetensors', 'refuse', () => { const m = validModel(); return st(m.header.replace('"data_offsets":[0,48]', '"data_offsets":["0","48"]'), m.data); });
  add('offsets-3-entries.safetensors', 'refuse', () => { const m = validModel(); return st(m.header.replace('"data_offsets":[0,48]', '"data_offsets":[0,24,48]'), m.data); });
  add('offsets-reversed.safetensors', 'refuse', () => { const m = validModel(); return st(m.header.replace('"data_offsets":[0,48]', '"data_offsets":[48,0]'), m.data); });
  add('offset-2^64.safetensors', 'refuse', () => { const m = validModel(); return st(m.header.replace('"data_offsets":[0,48]', '"data_offsets":[0,18446744073709551616]'), m.data); });
  add('shape-overflow.safetensors', 'refuse', () => { const m = validModel({ extra: [(at) => `"x":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[${at},${at}]}`] }); return st(m.header, m.data); });
  add('shape-overflow-zero.safetensors', 'refuse', () => { const m = validModel({ extra: [(at) => `"x":{"dtype":"F32","shape":[18446744073709551615,18446744073709551615,0],"data_offsets":[${at},${at}]}`] }); return st(m.header, m.data); });
  add('shape-65-dims.safetensors', 'refuse', () => { const m = validModel({ extra: [(at) => `"x":{"dtype":"F32","shape":[${new Array(65).fill(1)}],"data_offsets":[${at},${at + 4}]}`] }); return st(m.header, Buffer.concat([m.data, f32(1)])); });
  add('bom.safetensors', 'refuse', () => { const m = validModel(); return st(m.header, m.data, { prefix: '\ufeff' }); });
  add('header-trailing-spaces.safetensors', 'accept', () => { const m = validModel(); return st(m.header + '        ', m.data); });
  add('header-leading-ws.safetensors', 'accept', () => { const m = validModel(); return st(' \n\t' + m.header, m.data); });
  add('header-len-100000001.safetensors', 'refuse', () => { const m = validModel(); return st(m.header, m.data, { lengthField: 100000001n }); });
  add('header-len-2^64-1.safetensors', 'refuse', () => { const m = validModel(); return st(m.header, m.data, { lengthField: 2n ** 64n - 1n }); });
  add('header-len-past-end.safetensors', 'refuse', () => { const m = validModel(); return st(m.header, m.data, { lengthField: BigInt(m.header.length + m.data.length + 1) }); });
  add('header-len-0.safetensors', 'refuse', () => st('', Buffer.alloc(8)));
  add('7-bytes.safetensors', 'refuse', () => Buffer.alloc(7));
  add('empty.safetensors', 'refuse', () => Buffer.alloc(0));
  add('header-not-json.safetensors', 'refuse', () => st('{"a":', Buffer.alloc(0)));
  add('header-array.safetensors', 'refuse', () => st('[1,2,3]'));
  add('header-nul-bytes.safetensors', 'refuse', () => st('\0'.repeat(64)));
  add('header-lone-surrogate-name.safetensors', 'refuse', () => { const m = validModel({ extra: [(at) => `"\\ud800":{"dtype":"F32","shape":[1],"data_offsets":[${at},${at + 4}]}`] }); return st(m.header, Buffer.concat([m.data, f32(1)])); });
  add('header-deep-nesting.safetensors', 'refuse', () => { const m = validModel(); return st(m.header.slice(0, -1) + ',"junk":' + '['.repeat(100000) + ']'.repeat(100000) + '}', m.data); });
  add('header-99MB-string.safetensors', 'either', () => { const m = validModel({ meta: { pad: 'a'.repeat(99_000_000) } }); return st(m.header, m.data); });
  add('header-99MB-escapes.safetensors', 'either', () => { const m = validModel({ metaText: undefined }); return st(m.header.slice(0, -1) + ',"__x":"' + '\\u0041'.repeat(16_000_000) + '"}', m.data); });
  add('metadata-null.safetensors', 'either', () => { const m = validModel({ metaText: 'null' }); return st(m.header, m.data); });
  add('metadata-value-data_offsets.safetensors', 'accept', () => v({ meta: { note: 'data_offsets' } }));
  add('metadata-number-value.safetensors', 'refuse', () => { const m = validModel({ metaText: `{"format":"wavae","format_version":1,"model":"vae","config":${JSON.stringify(CFG)}}` }); return st(m.header, m.data); });
  add('metadata-10001-entries.safetensors', 'refuse', () => v({ meta: Object.fromEntries(Array.from({ length: 10001 }, (_, i) => [`k${i}`, ''])) }));
  add('million-layer-config.safetensors', 'refuse', () => v({ meta: { config: JSON.stringify({ inputDim: 4, hiddenDims: new Array(1e6).fill(3), latentDim: 2 }) } }));
  add('huge-widths-config.safetensors', 'refuse', () => v({ meta: { config: JSON.stringify({ inputDim: 4, hiddenDims: [16777216, 16777216], latentDim: 2 }) } }));
  add('huge-input-config.safetensors', 'refuse', () => v({ meta: { config: JSON.stringify({ inputDim: 2 ** 40, hiddenDims: [3], latentDim: 2 }) } }));
  add('config-deep-json.safetensors', 'refuse', () => v({ meta: { config: '['.repeat(200000) + ']'.repeat(200000) } }));
  add('config-not-json.safetensors', 'refuse', () => v({ meta: { config: '{' } }));
  add('config-null.safetensors', 'refuse', () => v({ meta: { config: 'null' } }));
  add('config-proto.safetensors', 'refuse', () => v({ meta: { config: '{"__proto__":{"inputDim":4},"latentDim":2,"hiddenDims":[3]}' } }));
  add('config-latent-1e308.safetensors', 'refuse', () => v({ meta: { config: JSON.stringify({ inputDim: 4, hiddenDims: [3], latentDim: 1e308 }) } }));
  add('config-activation-constructor.safetensors', 'refuse', () => v({ meta: { config: JSON.stringify({ inputDim: 4, hiddenDims: [3], latentDim: 2, activation: 'constructor' }) } }));
  add('config-conv-huge.safetensors', 'refuse', () => v({ meta: { format_version: '2', config: JSON.stringify({ inputShape: [1, 8, 8], latentDim: 2, encoder: [{ type: 'conv2d', filters: 16777216, kernelSize: 8 }, { type: 'flatten' }] }) } }));
  add('config-200000-layer-specs.safetensors', 'refuse', () => v({ meta: { format_version: '2', config: JSON.stringify({ inputDim: 4, latentDim: 2, encoder: Array.from({ length: 200000 }, () => ({ type: 'dense', units: 3 })) }) } }));
  add('version-999.safetensors', 'refuse', () => v({ meta: { format_version: '999' } }));
  add('version-1.5.safetensors', 'refuse', () => v({ meta: { format_version: '1.5' } }));
  add('version-empty.safetensors', 'refuse', () => v({ meta: { format_version: '' } }));
  add('version-1e0.safetensors', 'refuse', () => v({ meta: { format_version: '1e0' } }));
  add('version-2^64.safetensors', 'refuse', () => v({ meta: { format_version: '18446744073709551616' } }));
  add('model-proto.safetensors', 'refuse', () => v({ meta: { model: '__proto__' } }));
  add('model-autoencoder-mismatch.safetensors', 'refuse', () => v({ meta: { model: 'autoencoder' } }));
  add('optimizer-step-neg.safetensors', 'either', () => v({ meta: { optimizer_step: '-1' } }));
  add('epochs-trained-NaN.safetensors', 'either', () => v({ meta: { epochs_trained: 'NaN' } }));
  add('dtype-F16.safetensors', 'refuse', () => { const m = validModel({ tensorText: (n, s, o) => `${JSON.stringify(n)}:{"dtype":"${n === 'mean.bias' ? 'F16' : 'F32'}","shape":${JSON.stringify(s)},"data_offsets":[${o[0]},${o[1]}]}` }); return st(m.header, m.data); });
  add('shape-vs-offsets.safetensors', 'refuse', () => { const m = validModel(); return st(m.header.replace('"shape":[3,4]', '"shape":[4,4]'), m.data); });
  add('extra-proto-tensor.safetensors', 'refuse', () => { const m = validModel({ extra: [(at) => `"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[${at},${at + 4}]}`] }); return st(m.header, Buffer.concat([m.data, f32(1)])); });
  add('extra-constructor-tensor.safetensors', 'refuse', () => { const m = validModel({ extra: [(at) => `"constructor":{"dtype":"F32","shape":[1],"data_offsets":[${at},${at + 4}]}`] }); return st(m.header, Buffer.concat([m.data, f32(1)])); });
  add('missing-tensor.safetensors', 'refuse', () => { const m = validModel(); return st(m.header.replace(/,"decoder\.1\.bias":\{[^}]*\}/, ''), m.data.subarray(0, m.data.length - 16)); });
  add('truncated.safetensors', 'refuse', () => { const m = validModel(); return st(m.header, m.data.subarray(0, m.data.length - 10)); });
  add('empty-tensors-1.2M.safetensors', 'refuse', () => { const parts = ['"__metadata__":{"format":"wavae"}']; for (let i = 0; i < 1_200_000; i++) parts.push(`"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`); return st(`{${parts.join(',')}}`); });
  add('tensors-100001.safetensors', 'refuse', () => { const parts = []; for (let i = 0; i < 100_001; i++) parts.push(`"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`); return st(`{${parts.join(',')}}`); });
  // finite-looking files whose weights are not finite: loading may accept them, using them must not give NaN silently
  add('weights-NaN.safetensors', 'refuse', () => v({ fill: NaN }), (wv, m) => m.encode(wv.matrix(1, 4, new Float32Array(4).fill(0.5))));
  add('weights-Inf.safetensors', 'refuse', () => v({ fill: Infinity }), (wv, m) => m.sample(2));
  add('weights-3e38.safetensors', 'refuse', () => v({ fill: 3e38 }), (wv, m) => m.evaluate(wv.matrix(1, 4, new Float32Array(4).fill(0.5))));
  return F;
}

// ---------------------------------------------------------------------------------------------
// Library child mode: `node hostile-sweep.mjs --lib CASE TMP` runs one library case, prints JSON.
// ---------------------------------------------------------------------------------------------
if (process.argv[2] === '--lib') {
  const [, , , name, tmp] = process.argv;
  const wv = await import(LIB);
  await wv.init({ threads: 1 });
  const fn = libraryCases(tmp).find((c) => c.name === name)?.run;
  let out;
  try {
    const value = await fn(wv);
    out = { ok: true, ...summarize(value) };
  } catch (err) {
    out = { ok: false, error: err?.name, code: err?.code, message: String(err?.message).slice(0, 400), stack: String(err?.stack ?? '').split('\n').slice(1, 3).join(' | ') };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
  wv.shutdown?.();
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Main: fixtures, then every case, two at a time
// ---------------------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1].split(',') : null;
const keep = argv.includes('--keep');
const JOBS = argv.includes('--jobs') ? Number(argv[argv.indexOf('--jobs') + 1]) : 2;
if (!fs.existsSync(BIN) || !fs.existsSync(LIB)) { console.error('hostile-sweep: build first (npm run build)'); process.exit(2); }
TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-hostile-'));
fs.writeFileSync(PRELOAD(), "process.on('exit', () => process.stderr.write('peak ' + process.resourceUsage().maxRSS + '\\n'));\n");
const T = (...p) => path.join(TMP, ...p);
const W = (name, bytes) => { fs.mkdirSync(path.dirname(T(name)), { recursive: true }); fs.writeFileSync(T(name), bytes); return T(name); };
const t0 = performance.now();
console.log(`hostile-sweep: wavae at ${ROOT}, temp ${TMP}, ${JOBS} at a time, running as uid ${process.getuid?.()}`);

// --- fixtures: tiny datasets and model files trained by the CLI itself
const rnd = (() => { let s = 12345; return () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32); })();
const images = Buffer.alloc(64 * 784); for (let i = 0; i < images.length; i++) images[i] = Math.floor(rnd() * 256);
W('fx/tiny-images-idx3-ubyte', idx(8, [64, 28, 28], images));
W('fx/tiny-labels-idx1-ubyte', idx(8, [64], Buffer.from(Array.from({ length: 64 }, (_, i) => i % 3))));
const csvRows = (n, cols = 3, f = (i, j) => ((i * 7 + j * 3) % 10) / 10) => Array.from({ length: n }, (_, i) => Array.from({ length: cols }, (_, j) => f(i, j)).join(',')).join('\n') + '\n';
W('fx/t3.csv', 'a,b,c\n' + csvRows(40));
W('fx/t3-nohead.csv', csvRows(40));
W('fx/labels3.csv', Array.from({ length: 40 }, (_, i) => i % 3).join('\n') + '\n');
W('fx/arch.json', JSON.stringify({ encoder: [{ type: 'flatten' }, { type: 'dense', units: 8 }] }));
execFileSync('mkfifo', [T('fifo')]);
fs.symlinkSync('/dev/zero', T('zero-link.safetensors'));
fs.symlinkSync('/dev/zero', T('zero-link.csv'));
fs.mkdirSync(T('adir.csv'));
const fixtureRuns = [
  ['m784', ['train', '--data', T('fx/tiny-images-idx3-ubyte'), '--hidden', '16', '--latent', '3', '--epochs', '1', '--no-pictures', '--quiet', '--threads', '1', '--out', T('fx/m784')]],
  ['t3', ['train', '--data', T('fx/t3.csv'), '--hidden', '4', '--latent', '2', '--epochs', '1', '--no-pictures', '--quiet', '--threads', '1', '--out', T('fx/t3')]],
  ['cvae', ['train', '--data', T('fx/tiny-images-idx3-ubyte'), '--condition', 'labels', '--hidden', '16', '--latent', '2', '--epochs', '1', '--no-pictures', '--quiet', '--threads', '1', '--out', T('fx/cvae')]],
];
await Promise.all(fixtureRuns.map(async ([name, args]) => {
  const r = await runChild([BIN, ...args]);
  if (r.code !== 0) { console.error(`fixture ${name} failed: ${r.stderr}`); process.exit(2); }
}));
const M784 = T('fx/m784/model.safetensors'); const MT3 = T('fx/t3/model.safetensors'); const MCV = T('fx/cvae/model.safetensors');

// --- model files
for (const f of stFiles()) W(`st/${f.name}`, f.make());
// CLI metadata tricks on a real CLI model file (image_shape, scaling, classes)
{
  const bytes = fs.readFileSync(M784); const n = Number(bytes.readBigUInt64LE(0));
  const head = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  const withMeta = (name, edit) => { const h = structuredClone(head); edit(h.__metadata__); W(`st/${name}`, st(JSON.stringify(h), bytes.subarray(8 + n))); };
  withMeta('cli-image-shape-huge.safetensors', (m) => { m.image_shape = '99999x99999'; });
  withMeta('cli-image-shape-garbage.safetensors', (m) => { m.image_shape = '1.5x-2'; });
  withMeta('cli-scaling-not-json.safetensors', (m) => { m.scaling = '{'; });
  withMeta('cli-scaling-unknown-type.safetensors', (m) => { m.scaling = '{"type":"banana"}'; });
  withMeta('cli-scaling-no-type.safetensors', (m) => { m.scaling = '{"how":"standardize","mean":[null],"std":[0]}'; });
  withMeta('cli-scaling-short-mean.safetensors', (m) => { m.scaling = '{"type":"standardize","mean":[0],"std":[1]}'; });
  withMeta('cli-scaling-minmax-max-string.safetensors', (m) => { m.scaling = JSON.stringify({ type: 'minmax', min: new Array(784).fill(0), max: 'abc' }); });
  withMeta('cli-scaling-mean-1e39.safetensors', (m) => { m.scaling = JSON.stringify({ type: 'standardize', mean: new Array(784).fill(1e39), std: new Array(784).fill(1) }); });
  withMeta('cli-scaling-std-1e-45.safetensors', (m) => { m.scaling = JSON.stringify({ type: 'standardize', mean: new Array(784).fill(0), std: new Array(784).fill(1e-45) }); });
  withMeta('cli-scaling-zero-std.safetensors', (m) => { m.scaling = JSON.stringify({ type: 'standardize', mean: new Array(784).fill(0), std: new Array(784).fill(0) }); });
  withMeta('cli-scaling-deep.safetensors', (m) => { m.scaling = '['.repeat(100000) + ']'.repeat(100000); });
  withMeta('cli-classes-1e9.safetensors', (m) => { m.condition = 'labels'; m.classes = '1000000000'; });
}

// --- data files
const D = {};
const data = (name, bytes) => { D[name] = W(`data/${name}`, bytes); return D[name]; };
// gzip bombs
data('bomb-342k-images-idx3-ubyte.gz', gzipBomb(idx(8, [342000, 28, 28]), 342000 * 784));
data('bomb-one-item-16384x16384-idx3-ubyte.gz', gzipBomb(idx(8, [1, 16384, 16384]), 16384 * 16384));
data('bomb-claims-2^32-images-idx3-ubyte.gz', gzipBomb(idx(8, [0xffffffff, 28, 28]), 1 << 20));
data('bomb-1GB-blank.csv.gz', gzipTextBomb('0.1,0.2,0.3\n', 0x0a, 1000 << 20));
data('bomb-300MB-spaces.json.gz', gzipTextBomb('[[0.1,0.2,0.3]', 0x20, 300 << 20));
data('bomb-npy-trailing-400MB.npy.gz', gzipBomb(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }", f32(0.1, 0.2, 0.3)), 400 << 20));
data('bomb-npy-200M-u1.npy.gz', gzipBomb(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (200000000,), }"), 200_000_000));
data('not-gzip.csv.gz', 'this is not gzip at all\n');
{ const gz = zlib.gzipSync(Buffer.from(csvRows(5000, 3, () => rnd().toFixed(6)))); data('truncated-gzip.csv.gz', gz.subarray(0, gz.length >> 1)); data('gzip-no-trailer.csv.gz', gz.subarray(0, gz.length - 8)); }
// IDX
data('idx-truncated-idx3-ubyte', idx(8, [100, 28, 28], Buffer.alloc(10 * 784)));
data('idx-lying-rank-idx3-ubyte', u8([0, 0, 8, 255], be32(1)));
data('idx-unknown-type-idx3-ubyte', idx(0x0f, [1, 28, 28], Buffer.alloc(784)));
data('idx-magic-ff.idx', u8([0xff, 0xff, 8, 3], be32(1), be32(28), be32(28), Buffer.alloc(784)));
data('idx-zero-items-idx3-ubyte', idx(8, [0, 28, 28]));
data('idx-zero-width-idx3-ubyte', idx(8, [5, 0, 28]));
data('idx-huge-dims-idx3-ubyte', idx(8, [0xffffffff, 0xffffffff, 0xffffffff]));
data('idx-trailing-bytes-idx3-ubyte', idx(8, [4, 28, 28], Buffer.alloc(4 * 784 + 999, 7)));
{ const b = Buffer.alloc(4 * 784 * 8); for (let i = 0; i < 4 * 784; i++) b.writeDoubleBE(i === 100 ? 1e39 : 0.5, i * 8); data('idx-f64-1e39.idx', idx(0x0e, [4, 28, 28], b)); }
{ const b = Buffer.alloc(4 * 784 * 4); for (let i = 0; i < 4 * 784; i++) b.writeFloatBE(i === 5 ? NaN : 0.5, i * 4); data('idx-f32-NaN.idx', idx(0x0d, [4, 28, 28], b)); }
{ const b = Buffer.alloc(4 * 784 * 4); for (let i = 0; i < 4 * 784; i++) b.writeFloatBE(3e38, i * 4); data('idx-f32-3e38.idx', idx(0x0d, [4, 28, 28], b)); }
data('idx-3-bytes.idx', Buffer.from([0, 0, 8]));
data('idx-empty-idx3-ubyte', Buffer.alloc(0));
// CSV
data('csv-300k-cols.csv', Array.from({ length: 300000 }, () => '1').join(',') + '\n');
data('csv-1,,3.csv', '1,,3\n' + csvRows(10));
data('csv-quoted-1,5.csv', '"1,5",2,3\n' + csvRows(10));
data('csv-1e39-line51.csv', csvRows(50) + '0.1,1e39,0.3\n' + csvRows(5));
for (const s of ['NaN', 'nan', 'inf', '-Infinity', '+inf', 'Infinity', '1e309', '-1e39', 'NAN', 'infinity']) data(`csv-nonfinite-${s}.csv`, csvRows(5) + `0.1,${s},0.3\n` + csvRows(3));
for (const s of ['0x10', '1_000', ' 1', '1 ', '1,5e', '١', '0b1', '.', '-', '1e', 'true', 'null']) data(`csv-odd-${encodeURIComponent(s)}.csv`, csvRows(5) + `0.1,${s},0.3\n`);
data('csv-header-only.csv', 'a,b,c\n');
data('csv-empty.csv', '');
data('csv-blank-lines.csv', '\n\n\n  \n');
data('csv-binary-garbage.csv', Buffer.from(Array.from({ length: 4096 }, () => Math.floor(rnd() * 256))));
data('csv-nul-bytes.csv', Buffer.alloc(4096));
data('csv-ragged.csv', csvRows(5) + '0.1,0.2\n' + csvRows(5));
data('csv-unclosed-quote.csv', csvRows(5) + '"0.1,0.2,0.3\n' + csvRows(5));
data('csv-bom.csv', '\ufeff' + csvRows(10));
data('csv-crlf.csv', csvRows(10).replace(/\n/g, '\r\n'));
data('csv-only-commas.csv', ',,\n,,\n');
data('csv-header-empty-cell.csv', 'a,,c\n' + csvRows(10));
data('csv-10M-one-line.csv', '1'.repeat(10_000_000) + ',2,3\n');
data('csv-long-row-ok-65536.csv', Array.from({ length: 65536 }, () => '0.5').join(',') + '\n');
// JSON
data('json-deep.json', '['.repeat(200000) + ']'.repeat(200000));
data('json-300k-row.json', '[[' + Array.from({ length: 300000 }, () => '1').join(',') + ']]');
data('json-ragged.json', '[[1,2,3],[1,2]]');
data('json-strings.json', '[["1","2","3"]]');
data('json-NaN.json', '[[1,NaN,3]]');
data('json-1e39.json', '[[1,1e39,3]]');
data('json-object.json', '{"a":1}');
data('json-empty-array.json', '[]');
data('json-empty-rows.json', '[[],[]]');
data('json-proto.json', '{"__proto__":[[1,2,3]]}');
data('json-trailing-garbage.json', '[[0.1,0.2,0.3]] xyz');
data('json-empty.json', '');
data('json-valid.json', JSON.stringify(Array.from({ length: 10 }, () => [0.1, 0.2, 0.3])));
// .npy
const NPY = (shape, descr = '<f4', fortran = 'False') => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
data('npy-valid.npy', npy(NPY('(2, 3)'), f32(0.1, 0.2, 0.3, 0.4, 0.5, 0.6)));
data('npy-lying-shape.npy', npy(NPY('(1000000, 3)'), f32(0.1, 0.2, 0.3)));
data('npy-huge-shape.npy', npy(NPY('(4294967296, 4294967296)'), f32(0.1)));
data('npy-shape-1e3.npy', npy(NPY('(1e0, 3)'), f32(0.1, 0.2, 0.3)));
data('npy-shape-1.0.npy', npy(NPY('(1.0, 3)'), f32(0.1, 0.2, 0.3)));
data('npy-shape-neg.npy', npy(NPY('(-1, 3)'), f32(0.1, 0.2, 0.3)));
data('npy-shape-5d.npy', npy(NPY('(1, 1, 1, 1, 3)'), f32(0.1, 0.2, 0.3)));
data('npy-shape-empty.npy', npy(NPY('()'), f32(0.1)));
data('npy-zero-rows.npy', npy(NPY('(0, 3)')));
data('npy-dtype-i8.npy', npy(NPY('(1, 3)', '<i8'), Buffer.alloc(24)));
data('npy-dtype-bigendian.npy', npy(NPY('(1, 3)', '>f4'), Buffer.alloc(12)));
data('npy-dtype-object.npy', npy(NPY('(1, 3)', '|O'), Buffer.alloc(24)));
data('npy-fortran.npy', npy(NPY('(1, 3)', '<f4', 'True'), f32(1, 2, 3)));
data('npy-NaN.npy', npy(NPY('(1, 3)'), f32(0.1, NaN, 0.3)));
data('npy-f8-1e39.npy', npy(NPY('(1, 3)', '<f8'), Buffer.from(new Float64Array([0.1, 1e39, 0.3]).buffer)));
data('npy-bad-magic.npy', Buffer.from('NUMPY not really'));
data('npy-header-len-past-end.npy', u8([0x93], 'NUMPY', [1, 0], [0xff, 0xff], "{'descr'"));
data('npy-v2-huge-header-len.npy', u8([0x93], 'NUMPY', [2, 0], [0xff, 0xff, 0xff, 0xff], "{'descr'"));
data('npy-version-9.npy', npy(NPY('(2, 3)'), f32(0.1, 0.2, 0.3, 0.4, 0.5, 0.6)).fill(9, 6, 7));
data('npy-garbage-header.npy', npy('hello world', f32(1)));
data('npy-trailing-data.npy', npy(NPY('(1, 3)'), f32(0.1, 0.2, 0.3, 7, 7, 7, 7)));
data('npy-two-descr.npy', npy("{'descr': '<f8', 'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }", f32(0.1, 0.2, 0.3)));
data('npy-shape-in-descr.npy', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), 'x': 'shape': (9, 9)}", f32(0.1, 0.2, 0.3)));
data('unknown.ext', 'x');

// ---------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------
const cases = [];
/** A CLI case: args after the binary. */
const cli = (cls, name, args, expect, check, opts = {}) => cases.push({ kind: 'cli', cls, name, args, expect, check, ...opts });
const T1 = ['--threads', '1'];
const hasLine = (re, what) => (r) => (r.code !== 0 && !re.test(r.stderr) ? `message does not ${what}: ${r.stderr.trim()}` : null);
const namesFile = (f) => hasLine(new RegExp(path.basename(f).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), `name the file ${path.basename(f)}`);

// (1) paths that are not regular files
for (const [what, p] of [['/dev/zero', '/dev/zero'], ['/dev/urandom', '/dev/urandom'], ['/dev/null', '/dev/null'], ['FIFO', T('fifo')], ['directory', TMP],
  ['dir named .csv', T('adir.csv')], ['symlink .csv -> /dev/zero', T('zero-link.csv')], ['missing', T('nope.csv')], ['/proc/self/status', '/proc/self/status'], ['/dev/stdin (pipe)', '/dev/stdin']]) {
  cli('paths', `eval --data ${what}`, ['eval', ...T1, '--model', MT3, '--data', p], 'refuse', null, what.startsWith('/dev/stdin') ? { input: '0.1,0.2,0.3\n'.repeat(5) } : {});
}
for (const [what, p] of [['/dev/zero', '/dev/zero'], ['/dev/urandom', '/dev/urandom'], ['FIFO', T('fifo')], ['directory', TMP], ['symlink -> /dev/zero', T('zero-link.safetensors')], ['/proc/self/maps', '/proc/self/maps']]) {
  cli('paths', `info --model ${what}`, ['info', '--model', p], 'refuse');
}
cli('paths', 'train --labels /dev/zero', ['train', ...T1, '--data', T('fx/t3.csv'), '--labels', '/dev/zero', '--condition', 'labels', '--epochs', '1', '--no-pictures', '--out', T('o/labels-zero')], 'refuse');
cli('paths', 'train --labels FIFO', ['train', ...T1, '--data', T('fx/t3.csv'), '--labels', T('fifo'), '--condition', 'labels', '--epochs', '1', '--no-pictures', '--out', T('o/labels-fifo')], 'refuse');
cli('paths', 'train --arch /dev/zero', ['train', ...T1, '--data', T('fx/tiny-images-idx3-ubyte'), '--arch', '/dev/zero', '--epochs', '1', '--out', T('o/arch-zero')], 'refuse');
cli('paths', 'train --arch FIFO', ['train', ...T1, '--data', T('fx/tiny-images-idx3-ubyte'), '--arch', T('fifo'), '--epochs', '1', '--out', T('o/arch-fifo')], 'refuse');
cli('paths', 'train --data FIFO', ['train', ...T1, '--data', T('fifo'), '--epochs', '1', '--out', T('o/data-fifo')], 'refuse');
cli('paths', 'train --data /dev/urandom', ['train', ...T1, '--data', '/dev/urandom', '--epochs', '1', '--out', T('o/data-urandom')], 'refuse');

// (2) gzip bombs and sizes from data files
cli('bombs', 'IDX.gz 342,000 images --limit 10 (train)', ['train', ...T1, '--data', D['bomb-342k-images-idx3-ubyte.gz'], '--limit', '10', '--hidden', '8', '--latent', '2', '--epochs', '1', '--no-pictures', '--quiet', '--out', T('o/bomb-limit')], 'accept');
cli('bombs', 'IDX.gz 342,000 images --limit 10 (eval)', ['eval', ...T1, '--model', M784, '--data', D['bomb-342k-images-idx3-ubyte.gz'], '--limit', '10'], 'accept');
cli('bombs', 'IDX.gz one item of 16384x16384 (eval, wrong width)', ['eval', ...T1, '--model', M784, '--data', D['bomb-one-item-16384x16384-idx3-ubyte.gz']], 'refuse');
cli('bombs', 'IDX.gz header claims 2^32 images', ['eval', ...T1, '--model', M784, '--data', D['bomb-claims-2^32-images-idx3-ubyte.gz']], 'refuse');
cli('bombs', 'IDX.gz header claims 2^32 images, --limit 5 (data truncated)', ['eval', ...T1, '--model', M784, '--data', D['bomb-claims-2^32-images-idx3-ubyte.gz'], '--limit', '5'], 'either');
cli('bombs', 'CSV.gz: one row then 1000 MB of newlines', ['eval', ...T1, '--model', MT3, '--data', D['bomb-1GB-blank.csv.gz']], 'refuse');
cli('bombs', 'CSV.gz: one row then 1000 MB of newlines, --limit 1', ['eval', ...T1, '--model', MT3, '--data', D['bomb-1GB-blank.csv.gz'], '--limit', '1'], 'either');
cli('bombs', 'JSON.gz: 300 MB of spaces', ['eval', ...T1, '--model', MT3, '--data', D['bomb-300MB-spaces.json.gz']], 'refuse');
cli('bombs', '.npy.gz (1,3) then 400 MB of trailing zeros', ['eval', ...T1, '--model', MT3, '--data', D['bomb-npy-trailing-400MB.npy.gz']], 'either');
cli('bombs', '.npy.gz of 200,000,000 uint8 values (eval, wrong width)', ['eval', ...T1, '--model', MT3, '--data', D['bomb-npy-200M-u1.npy.gz']], 'refuse');
cli('bombs', '.npy.gz of 200,000,000 uint8 values --limit 1', ['eval', ...T1, '--model', MT3, '--data', D['bomb-npy-200M-u1.npy.gz'], '--limit', '1'], 'refuse');
cli('bombs', 'not gzip .csv.gz', ['eval', ...T1, '--model', MT3, '--data', D['not-gzip.csv.gz']], 'refuse');
cli('bombs', 'gzip without its 8-byte trailer (CRC, size)', ['eval', ...T1, '--model', MT3, '--data', D['gzip-no-trailer.csv.gz']], 'refuse');
cli('bombs', 'truncated gzip .csv.gz', ['eval', ...T1, '--model', MT3, '--data', D['truncated-gzip.csv.gz']], 'refuse');

// (3) data files: IDX, CSV, JSON, .npy
const evalM784 = (f, expect, check) => cli('data-idx', `eval --data ${path.basename(f)}`, ['eval', ...T1, '--model', M784, '--data', f], expect, check);
for (const n of ['idx-truncated-idx3-ubyte', 'idx-lying-rank-idx3-ubyte', 'idx-unknown-type-idx3-ubyte', 'idx-magic-ff.idx', 'idx-zero-items-idx3-ubyte', 'idx-zero-width-idx3-ubyte',
  'idx-huge-dims-idx3-ubyte', 'idx-3-bytes.idx', 'idx-empty-idx3-ubyte']) evalM784(D[n], 'refuse', namesFile(D[n]));
evalM784(D['idx-trailing-bytes-idx3-ubyte'], 'either');
evalM784(D['idx-f64-1e39.idx'], 'refuse', namesFile(D['idx-f64-1e39.idx']));
evalM784(D['idx-f32-NaN.idx'], 'refuse', namesFile(D['idx-f32-NaN.idx']));
evalM784(D['idx-f32-3e38.idx'], 'refuse');
cli('data-idx', 'train --data idx-f64-1e39.idx', ['train', ...T1, '--data', D['idx-f64-1e39.idx'], '--epochs', '1', '--no-pictures', '--quiet', '--out', T('o/idx-1e39')], 'refuse', namesFile(D['idx-f64-1e39.idx']));
cli('data-idx', 'train --data idx-f32-NaN.idx', ['train', ...T1, '--data', D['idx-f32-NaN.idx'], '--epochs', '1', '--no-pictures', '--quiet', '--out', T('o/idx-nan')], 'refuse', namesFile(D['idx-f32-NaN.idx']));

const rowsOut = (n) => (r) => { if (r.code !== 0) return null; const lines = fs.readFileSync(r.outFile, 'utf8').trim().split('\n').filter((l) => !/^mean_/.test(l)); return lines.length !== n ? `encode wrote ${lines.length} rows, the file has ${n} data rows` : null; };
const encT3 = (f, expect, check, extra = []) => cli('data-csv', `encode --data ${path.basename(f)} ${extra.join(' ')}`.trim(), ['encode', ...T1, '--model', MT3, '--data', f, '--out', T('o', `enc-${path.basename(f)}.csv`), ...extra], expect, check, { outFile: T('o', `enc-${path.basename(f)}.csv`) });
encT3(D['csv-300k-cols.csv'], 'refuse');
encT3(D['csv-1,,3.csv'], 'refuse', hasLine(/:1:2/, 'point at line 1, column 2'));
encT3(D['csv-quoted-1,5.csv'], 'refuse', hasLine(/:1:1/, 'point at line 1, column 1'));
encT3(D['csv-1e39-line51.csv'], 'refuse', hasLine(/csv-1e39-line51\.csv:51:2/, 'name file:51:2'));
for (const s of ['NaN', 'nan', 'inf', '-Infinity', '+inf', 'Infinity', '1e309', '-1e39', 'NAN', 'infinity']) encT3(D[`csv-nonfinite-${s}.csv`], 'refuse', hasLine(/:6:2/, 'point at line 6, column 2'));
for (const s of ['0x10', '1_000', ' 1', '1 ', '1,5e', '١', '0b1', '.', '-', '1e', 'true', 'null']) encT3(D[`csv-odd-${encodeURIComponent(s)}.csv`], s.trim() === '1' ? 'either' : 'refuse', s.trim() === '1' ? rowsOut(6) : null);
encT3(D['csv-header-only.csv'], 'refuse');
encT3(D['csv-empty.csv'], 'refuse');
encT3(D['csv-blank-lines.csv'], 'refuse');
encT3(D['csv-binary-garbage.csv'], 'refuse');
encT3(D['csv-nul-bytes.csv'], 'refuse');
encT3(D['csv-ragged.csv'], 'refuse');
encT3(D['csv-unclosed-quote.csv'], 'refuse');
encT3(D['csv-bom.csv'], 'either', rowsOut(10));
encT3(D['csv-crlf.csv'], 'accept', rowsOut(10));
encT3(D['csv-only-commas.csv'], 'refuse');
encT3(D['csv-header-empty-cell.csv'], 'accept', rowsOut(10));
encT3(D['csv-10M-one-line.csv'], 'refuse');
encT3(D['csv-long-row-ok-65536.csv'], 'refuse'); // 65,536 columns is within the reader, but not the model's width
encT3(D['fx/t3.csv'] ?? T('fx/t3.csv'), 'accept', rowsOut(40));
encT3(T('fx/t3-nohead.csv'), 'accept', rowsOut(40));
encT3(T('fx/t3.csv'), 'refuse', null, ['--label-column', 'zzz']);
encT3(T('fx/t3.csv'), 'refuse', null, ['--label-column', '99']);
encT3(T('fx/t3.csv'), 'refuse', null, ['--label-column', '-1']);
encT3(T('fx/t3.csv'), 'refuse', null, ['--label-column', '']);
encT3(T('fx/t3.csv'), 'refuse', null, ['--header', 'maybe']);
encT3(T('fx/t3-nohead.csv'), 'accept', rowsOut(39), ['--header', 'yes']);
encT3(T('fx/t3.csv'), 'refuse', null, ['--header', 'no']);
const encJ = (f, expect, check) => cli('data-json', `encode --data ${path.basename(f)}`, ['encode', ...T1, '--model', MT3, '--data', f, '--out', T('o', `enc-${path.basename(f)}.csv`)], expect, check, { outFile: T('o', `enc-${path.basename(f)}.csv`) });
for (const n of ['json-deep.json', 'json-300k-row.json', 'json-ragged.json', 'json-strings.json', 'json-NaN.json', 'json-1e39.json', 'json-object.json', 'json-empty-array.json',
  'json-empty-rows.json', 'json-proto.json', 'json-trailing-garbage.json', 'json-empty.json']) encJ(D[n], 'refuse');
encJ(D['json-valid.json'], 'accept', rowsOut(10));
const encN = (f, expect, check) => cli('data-npy', `encode --data ${path.basename(f)}`, ['encode', ...T1, '--model', MT3, '--data', f, '--out', T('o', `enc-${path.basename(f)}.csv`)], expect, check, { outFile: T('o', `enc-${path.basename(f)}.csv`) });
encN(D['npy-valid.npy'], 'accept', rowsOut(2));
for (const n of ['npy-lying-shape.npy', 'npy-huge-shape.npy', 'npy-shape-neg.npy', 'npy-shape-5d.npy', 'npy-zero-rows.npy', 'npy-dtype-i8.npy', 'npy-dtype-bigendian.npy', 'npy-dtype-object.npy',
  'npy-fortran.npy', 'npy-NaN.npy', 'npy-f8-1e39.npy', 'npy-bad-magic.npy', 'npy-header-len-past-end.npy', 'npy-v2-huge-header-len.npy', 'npy-version-9.npy', 'npy-garbage-header.npy',
  'npy-two-descr.npy', 'npy-shape-1e3.npy', 'npy-shape-1.0.npy']) encN(D[n], 'refuse');
encN(D['npy-shape-in-descr.npy'], 'either', rowsOut(1));
encN(D['npy-shape-empty.npy'], 'refuse');
encN(D['npy-trailing-data.npy'], 'either', rowsOut(1));
cli('data-npy', 'encode --data unknown.ext', ['encode', ...T1, '--model', MT3, '--data', D['unknown.ext'], '--out', T('o/enc-unknown.csv')], 'refuse');

// (4) model files through the CLI (info reads the whole file; sample uses it)
for (const f of stFiles()) {
  const expect = f.use ? 'either' : f.expect; // info of a file with NaN weights may legitimately describe it
  cli('model-files', `info --model ${f.name}`, ['info', '--model', T('st', f.name)], expect);
}
for (const f of ['weights-NaN.safetensors', 'weights-Inf.safetensors', 'weights-3e38.safetensors']) {
  cli('model-files', `sample --model ${f}`, ['sample', ...T1, '--model', T('st', f), '--n', '4', '--out', T('o', `s-${f}.png`)], 'refuse');
}
for (const f of ['cli-image-shape-huge.safetensors', 'cli-image-shape-garbage.safetensors', 'cli-scaling-not-json.safetensors', 'cli-scaling-unknown-type.safetensors', 'cli-scaling-no-type.safetensors',
  'cli-scaling-short-mean.safetensors', 'cli-scaling-minmax-max-string.safetensors', 'cli-scaling-mean-1e39.safetensors', 'cli-scaling-std-1e-45.safetensors',
  'cli-scaling-zero-std.safetensors', 'cli-scaling-deep.safetensors', 'cli-classes-1e9.safetensors']) {
  cli('model-files', `sample --model ${f}`, ['sample', ...T1, '--model', T('st', f), '--n', '4', '--out', T('o', `s-${f}.png`)], f === 'cli-scaling-zero-std.safetensors' ? 'either' : 'refuse');
  cli('model-files', `eval --model ${f}`, ['eval', ...T1, '--model', T('st', f), '--data', T('fx/tiny-images-idx3-ubyte')], f === 'cli-scaling-zero-std.safetensors' ? 'either' : 'refuse');
}

// (5) outputs
fs.writeFileSync(T('existing-file'), 'x');
fs.mkdirSync(T('o/svgdir/loss.svg'), { recursive: true });
fs.mkdirSync(T('ro'), { recursive: true }); fs.chmodSync(T('ro'), 0o555);
const trainTiny = (out, extra = []) => ['train', ...T1, '--data', T('fx/t3.csv'), '--hidden', '4', '--latent', '2', '--epochs', '2', '--quiet', '--out', out, ...extra];
const noneWritten = (dir, before = []) => () => { if (!fs.existsSync(dir)) return null; const left = fs.readdirSync(dir).filter((n) => !before.includes(n)); return left.length ? `partial output set left in ${dir}: ${left.join(', ')}` : null; };
const fast = (s) => (r) => (r.code !== 0 && r.seconds > s ? `refused only after ${r.seconds.toFixed(1)} s (training ran first?)` : null);
cli('outputs', 'train --out an existing file', trainTiny(T('existing-file')), 'refuse', fast(8));
cli('outputs', 'train --out /proc/x', trainTiny('/proc/x'), 'refuse', fast(8));
cli('outputs', 'train --out /proc/self/x/y', trainTiny('/proc/self/x/y'), 'refuse', fast(8));
cli('outputs', 'train --out /dev/null', trainTiny('/dev/null'), 'refuse', fast(8));
cli('outputs', 'train --out dir where loss.svg is a directory', trainTiny(T('o/svgdir')), 'refuse', (r) => noneWritten(T('o/svgdir'), ['loss.svg'])() ?? fast(8)(r));
cli('outputs', `train --out read-only folder (uid ${process.getuid?.()}: ${process.getuid?.() === 0 ? 'root ignores the mode, so this may succeed' : 'should be refused'})`, trainTiny(T('ro/sub')), process.getuid?.() === 0 ? 'either' : 'refuse');
cli('outputs', 'train --out ""', trainTiny(''), 'refuse');
cli('outputs', 'train --out of 5000 chars', trainTiny(T('x'.repeat(5000))), 'refuse');
cli('outputs', 'sample --out an existing directory', ['sample', ...T1, '--model', M784, '--out', T('o')], 'refuse');
cli('outputs', 'sample --out /proc/x.png', ['sample', ...T1, '--model', M784, '--out', '/proc/x.png'], 'refuse');
cli('outputs', 'sample --out /dev/full', ['sample', ...T1, '--model', M784, '--out', '/dev/full'], 'refuse');
cli('outputs', 'encode --out file under a file', ['encode', ...T1, '--model', MT3, '--data', T('fx/t3.csv'), '--out', T('existing-file', 'codes.csv')], 'refuse');
cli('outputs', 'encode --out codes.txt (unknown extension)', ['encode', ...T1, '--model', MT3, '--data', T('fx/t3.csv'), '--out', T('o/codes.txt')], 'either');
cli('outputs', 'encode --out /proc/codes.csv', ['encode', ...T1, '--model', MT3, '--data', T('fx/t3.csv'), '--out', '/proc/codes.csv'], 'refuse');
cli('outputs', 'reconstruct --out ""', ['reconstruct', ...T1, '--model', M784, '--data', T('fx/tiny-images-idx3-ubyte'), '--out', ''], 'refuse');

// (6) absurd option values, every command
const ABSURD = ['0', '-1', '1e9', '1e308', 'NaN', '', 'x'.repeat(100_000)];
const trainOpts = ['--limit', '--classes', '--hidden', '--latent', '--beta', '--kl-warmup', '--weight-decay', '--denoise', '--lr', '--momentum', '--lr-step', '--lr-gamma',
  '--warmup-steps', '--clip-norm', '--batch-size', '--epochs', '--seed', '--validation-split', '--shape', '--output-variance', '--threads', '--scale', '--likelihood', '--header'];
/** Values that are legitimately valid for an option (exit 0 is then right). */
const legit = { '--beta': ['0', '1e9'], '--kl-warmup': ['0', '1e9'], '--weight-decay': ['0'], '--lr': [], '--momentum': ['0'], '--lr-step': ['1e9'], '--lr-gamma': ['0'],
  '--warmup-steps': ['0', '1e9'], '--clip-norm': ['1e9', '1e308'], '--batch-size': ['1e9'], '--seed': ['0', '1e9', '-1'], '--validation-split': ['0'], '--limit': ['1e9'],
  '--output-variance': ['1e9'], '--epochs': [], '--hidden': [''], '--clip-norm': ['1e9', '1e308'] };
// accepted and harmless: a limit past the rows reads them all; schedule settings without their --schedule are unused; huge warm-ups are slow schedules
for (const [o, vals] of [['--limit', ['1e308']], ['--kl-warmup', ['1e308']], ['--lr-step', ['0', '1e308']], ['--warmup-steps', ['1e308']], ['--lr-gamma', ['-1']]]) legit[o] = [...(legit[o] ?? []), ...vals];
const noNaNLoss = (r) => (r.code === 0 && /"(?:loss|valLoss|reconstruction|kl)":\s*(?:null|"?NaN|"?Infinity)|\bNaN\b/.test(r.stdout) ? `exit 0 with a non-finite loss in the output: ${r.stdout.slice(0, 200)}` : null);
for (const opt of trainOpts) {
  for (const val of ABSURD) {
    const extra = opt === '--classes' ? ['--condition', 'labels', '--labels', T('fx/labels3.csv')] : opt === '--output-variance' ? ['--likelihood', 'gaussian'] : opt === '--momentum' ? ['--optimizer', 'sgd'] : opt === '--denoise' ? ['--model', 'ae'] : [];
    const expect = (legit[opt] ?? []).includes(val) ? 'either' : (opt === '--lr' && ['1e9', '1e308'].includes(val)) || (opt === '--momentum' && val === '1e9') || (opt === '--output-variance' && val === '1e308') || (opt === '--beta' && val === '1e308') || (opt === '--lr-gamma' && ['1e9', '1e308'].includes(val)) || (opt === '--weight-decay' && ['1e9', '1e308'].includes(val)) ? 'either' : 'refuse';
    const shown = val.length > 20 ? `"x" x ${val.length}` : JSON.stringify(val);
    const optArgs = opt === '--threads' ? [opt, val] : [opt, val];
    const base = ['train', ...(opt === '--threads' ? [] : T1), '--data', T('fx/t3.csv'), '--hidden', '4', '--latent', '2', '--epochs', '2', '--json', '--no-pictures', '--out', T('o', `opt${opt}-${cases.length}`)];
    // later options win in commander: put the option under test last (an --epochs/--hidden/--latent test then overrides the base)
    cli('options-train', `train ${opt} ${shown}`, opt === '--threads' ? [optArgs[0], optArgs[1], ...base, ...extra] : [...base, ...extra, ...optArgs], expect, (r) => noNaNLoss(r) ?? fast(20)(r));
  }
}
const cmdOpts = [
  ['sample', ['--model', M784], ['--n', '--seed', '--cols', '--label', '--shape']],
  ['reconstruct', ['--model', M784, '--data', T('fx/tiny-images-idx3-ubyte')], ['--n', '--limit', '--label', '--shape']],
  ['interpolate', ['--model', M784, '--data', T('fx/tiny-images-idx3-ubyte')], ['--from', '--to', '--steps', '--cols', '--shape']],
  ['traverse', ['--model', M784], ['--index', '--dims', '--steps', '--range', '--shape']],
  ['eval', ['--model', M784, '--data', T('fx/tiny-images-idx3-ubyte')], ['--iw', '--limit', '--label']],
  ['encode', ['--model', MT3, '--data', T('fx/t3.csv')], ['--limit', '--label']],
];
const legitCmd = { '--seed': ['0', '1e9', '-1'], '--limit': ['1e9', '1e308'], '--range': ['0'], '--to': ['0'], '--from': ['0'], '--index': ['0'] };
for (const [cmd, base, opts] of cmdOpts) {
  for (const opt of opts) {
    for (const val of ABSURD) {
      const expect = (legitCmd[opt] ?? []).includes(val) ? 'either' : 'refuse';
      const shown = val.length > 20 ? `"x" x ${val.length}` : JSON.stringify(val);
      const out = cmd === 'eval' ? [] : ['--out', T('o', `${cmd}${opt}-${cases.length}.${cmd === 'encode' ? 'csv' : 'png'}`)];
      const extra = opt === '--index' ? ['--data', T('fx/tiny-images-idx3-ubyte')] : [];
      cli(`options-${cmd}`, `${cmd} ${opt} ${shown}`, [cmd, ...T1, ...base, ...extra, ...out, opt, val], expect, (r) => (r.code === 0 && /NaN/.test(r.stdout) ? `exit 0 with NaN in the output: ${r.stdout.slice(0, 200)}` : null));
    }
  }
}
// specific size cases named in the issue
cli('options-sizes', 'sample --n 1e9', ['sample', ...T1, '--model', M784, '--n', '1e9', '--out', T('o/n1e9.png')], 'refuse');
cli('options-sizes', 'sample --n 100000', ['sample', ...T1, '--model', M784, '--n', '100000', '--out', T('o/n1e5.png')], 'refuse');
cli('options-sizes', 'sample --n 10000 (the stated maximum)', ['sample', ...T1, '--model', M784, '--n', '10000', '--out', T('o/n1e4.png')], 'accept');
cli('options-sizes', 'sample --cols 1000000', ['sample', ...T1, '--model', M784, '--cols', '1000000', '--out', T('o/c1e6.png')], 'refuse');
cli('options-sizes', 'sample --n 10000 --cols 1 (a 280,000-pixel-tall PNG)', ['sample', ...T1, '--model', M784, '--n', '10000', '--cols', '1', '--out', T('o/tall.png')], 'either');
cli('options-sizes', 'sample --n 10000 --cols 1024 on cvae --grid-by-label', ['sample', ...T1, '--model', MCV, '--n', '10000', '--cols', '1024', '--grid-by-label', '--out', T('o/cv.png')], 'either');
cli('options-sizes', 'traverse --steps 1e8', ['traverse', ...T1, '--model', M784, '--steps', '1e8', '--out', T('o/t1e8.png')], 'refuse');
cli('options-sizes', 'traverse --steps 1024 --dims 1024 (a 1024x1024 grid of 28x28)', ['traverse', ...T1, '--model', M784, '--steps', '1024', '--dims', '1024', '--out', T('o/tmax.png')], 'either');
cli('options-sizes', 'interpolate --steps 1024 --cols 1024', ['interpolate', ...T1, '--model', M784, '--data', T('fx/tiny-images-idx3-ubyte'), '--steps', '1024', '--cols', '1024', '--out', T('o/imax.png')], 'either');
cli('options-sizes', 'traverse --range 1e308', ['traverse', ...T1, '--model', M784, '--range', '1e308', '--out', T('o/r.png')], 'refuse');
cli('options-sizes', 'traverse --range 1e6 (the maximum)', ['traverse', ...T1, '--model', M784, '--range', '1e6', '--out', T('o/r6.png')], 'either');
cli('options-sizes', 'traverse --range 1e6 on the gaussian-free cvae --label 0', ['traverse', ...T1, '--model', MCV, '--label', '0', '--range', '1e6', '--out', T('o/r6c.png')], 'either');
cli('options-sizes', 'train --epochs 1e12', ['train', ...T1, '--data', T('fx/t3.csv'), '--epochs', '1e12', '--out', T('o/e12')], 'refuse');
cli('options-sizes', 'eval --iw 1e9', ['eval', ...T1, '--model', M784, '--data', T('fx/tiny-images-idx3-ubyte'), '--iw', '1e9'], 'refuse');
cli('options-sizes', 'eval --iw 1000000 (the maximum) --limit 1', ['eval', ...T1, '--model', M784, '--data', T('fx/tiny-images-idx3-ubyte'), '--iw', '1000000', '--limit', '1'], 'either');
cli('options-sizes', 'train --hidden 16777216 (4 inputs)', ['train', ...T1, '--data', T('fx/t3.csv'), '--hidden', '16777216', '--epochs', '1', '--no-pictures', '--out', T('o/h16m')], 'refuse');
cli('options-sizes', 'train --hidden 16777216,16777216', ['train', ...T1, '--data', T('fx/t3.csv'), '--hidden', '16777216,16777216', '--epochs', '1', '--no-pictures', '--out', T('o/h16m2')], 'refuse');
cli('options-sizes', 'train --latent 16777216', ['train', ...T1, '--data', T('fx/t3.csv'), '--latent', '16777216', '--epochs', '1', '--no-pictures', '--out', T('o/l16m')], 'refuse');
cli('options-sizes', 'train --hidden of 126 layers x 4096 on 784 inputs', ['train', ...T1, '--data', T('fx/tiny-images-idx3-ubyte'), '--hidden', new Array(126).fill(4096).join(','), '--epochs', '1', '--no-pictures', '--out', T('o/deep')], 'either', fast(20));
cli('options-sizes', 'train --hidden of 1,000,000 layers', ['train', ...T1, '--data', T('fx/t3.csv'), '--hidden', new Array(20000).fill(1).join(','), '--epochs', '1', '--no-pictures', '--out', T('o/h1m')], 'refuse');
cli('options-sizes', 'train --batch-size 1e9 --limit 5', ['train', ...T1, '--data', T('fx/t3.csv'), '--batch-size', '1000000000', '--limit', '5', '--epochs', '1', '--no-pictures', '--quiet', '--out', T('o/bs')], 'either');
cli('options-sizes', 'train --shape 65536x65536 on t3', ['train', ...T1, '--data', T('fx/t3.csv'), '--shape', '65536x65536', '--epochs', '1', '--out', T('o/shape')], 'refuse');
cli('options-sizes', 'train --arch conv on a 1x4096x4096 --shape (4 cols)', ['train', ...T1, '--data', T('fx/t3.csv'), '--arch', 'conv', '--shape', '1x4096x4096', '--epochs', '1', '--out', T('o/convhuge')], 'refuse');
cli('options-sizes', 'train --arch huge conv json on 28x28', ['train', ...T1, '--data', T('fx/tiny-images-idx3-ubyte'), '--arch', W('fx/arch-huge.json', JSON.stringify({ encoder: [{ type: 'conv2d', filters: 16777216, kernelSize: 3 }, { type: 'flatten' }] })), '--epochs', '1', '--out', T('o/archhuge')], 'refuse');
cli('options-sizes', 'train --arch json 100 dense layers of 16M', ['train', ...T1, '--data', T('fx/tiny-images-idx3-ubyte'), '--arch', W('fx/arch-wide.json', JSON.stringify({ encoder: [{ type: 'flatten' }, ...Array.from({ length: 100 }, () => ({ type: 'dense', units: 16777216 }))] })), '--epochs', '1', '--out', T('o/archwide')], 'refuse');
cli('options-sizes', 'train --arch json deep nesting', ['train', ...T1, '--data', T('fx/tiny-images-idx3-ubyte'), '--arch', W('fx/arch-deep.json', '{"encoder":' + '['.repeat(400000) + ']'.repeat(400000) + '}'), '--epochs', '1', '--out', T('o/archdeep')], 'refuse');
cli('options-sizes', 'train --arch json __proto__', ['train', ...T1, '--data', T('fx/tiny-images-idx3-ubyte'), '--arch', W('fx/arch-proto.json', '{"encoder":[{"type":"flatten"},{"type":"dense","units":8}],"__proto__":{"x":1}}'), '--epochs', '1', '--out', T('o/archproto')], 'refuse');
cli('options-sizes', '--threads 1e9', ['--threads', '1e9', 'info', '--model', M784], 'refuse');
cli('options-sizes', '--threads 64', ['--threads', '64', 'eval', '--model', M784, '--data', T('fx/tiny-images-idx3-ubyte')], 'either');
cli('options-sizes', '--backend gpu', ['--backend', 'gpu', 'info', '--model', M784], 'refuse');
cli('options-sizes', 'unknown command', ['frobnicate'], 'refuse');
cli('options-sizes', 'unknown option', ['info', '--model', M784, '--bogus'], 'refuse');
cli('options-sizes', 'missing --model', ['info'], 'refuse');
cli('options-sizes', 'eval --label 99 on cvae', ['eval', ...T1, '--model', MCV, '--data', T('fx/tiny-images-idx3-ubyte'), '--label', '99'], 'refuse');
cli('options-sizes', 'sample --label 3 on unconditional', ['sample', ...T1, '--model', M784, '--label', '3', '--out', T('o/l3.png')], 'refuse');
cli('options-sizes', 'train --condition labels --classes 65537', ['train', ...T1, '--data', T('fx/t3.csv'), '--condition', 'labels', '--labels', T('fx/labels3.csv'), '--classes', '65537', '--epochs', '1', '--no-pictures', '--out', T('o/cl')], 'refuse');
cli('options-sizes', 'train --condition labels --classes 60000 (wide one-hot)', ['train', ...T1, '--data', T('fx/t3.csv'), '--condition', 'labels', '--labels', T('fx/labels3.csv'), '--classes', '60000', '--epochs', '1', '--quiet', '--out', T('o/cl6')], 'either', fast(20), { bigOk: true });
cli('options-sizes', 'interpolate --from 1e9', ['interpolate', ...T1, '--model', M784, '--data', T('fx/tiny-images-idx3-ubyte'), '--from', '1000000000', '--out', T('o/if.png')], 'refuse');

// library cases
for (const c of libraryCases(TMP)) cases.push({ kind: 'lib', cls: c.cls, name: c.name, expect: c.expect, check: c.check });

// ---------------------------------------------------------------------------------------------
// Run
// ---------------------------------------------------------------------------------------------
const todo = only ? cases.filter((c) => only.some((o) => c.cls.startsWith(o))) : cases;
const results = [];
let next = 0; let done = 0;
async function worker() {
  while (next < todo.length) {
    const c = todo[next++];
    let r; let j;
    if (c.kind === 'cli') {
      r = await runChild([BIN, ...c.args], { input: c.input });
      r.outFile = c.outFile;
      j = judgeCli(r, c.expect, c.check, c.bigOk);
    } else {
      r = await runChild([SELF, '--lib', c.name, TMP]);
      j = judgeLib(r, c.expect, c.check);
    }
    results.push({ c, r, j });
    if (++done % 50 === 0) console.log(`  ${done}/${todo.length} cases, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
}
await Promise.all(Array.from({ length: JOBS }, worker));

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------
const classes = [...new Set(todo.map((c) => c.cls))];
const pad = (s, n) => String(s).padEnd(n);
console.log(`\n${pad('class', 22)}${pad('cases', 7)}${pad('clean err', 11)}${pad('accepted', 10)}${pad('findings', 10)}${pad('max RSS MB', 12)}max s`);
for (const cls of classes) {
  const rs = results.filter((x) => x.c.cls === cls);
  const n = (v) => rs.filter((x) => x.j.verdict === v).length;
  const rss = Math.max(...rs.map((x) => x.r.rssMb ?? 0)); const secs = Math.max(...rs.map((x) => x.r.seconds));
  console.log(`${pad(cls, 22)}${pad(rs.length, 7)}${pad(n('error'), 11)}${pad(n('ok'), 10)}${pad(n('finding'), 10)}${pad(rss.toFixed(0), 12)}${secs.toFixed(1)}`);
}
const count = (v) => results.filter((x) => x.j.verdict === v).length;
const findings = results.filter((x) => x.j.verdict === 'finding');
console.log(`\nFINDINGS (${findings.length}; cases failing the same way are grouped, the first shown in full):`);
// the same failure of the same code path (an echoed option value, the same memory blow-up) is grouped; everything else is listed on its own
const groupKey = (j, c) => (/^the error line is \d+ bytes/.test(j.why) ? 'long error line' : /^peak RSS \d+ MB > \d+ MB$/.test(j.why) && c.cls === 'bombs' ? 'bomb RSS' : `${c.cls} ${c.name}`);
const groups = new Map();
for (const f of findings) { const k = groupKey(f.j, f.c); if (!groups.has(k)) groups.set(k, []); groups.get(k).push(f); }
const show = (c) => (c.kind === 'cli' ? `wavae ${c.args.map((a) => (a.length > 60 ? `<${a.length} chars>` : a.includes(' ') || a === '' ? JSON.stringify(a) : a)).join(' ').replaceAll(TMP, '$TMP')}` : `library: ${c.name}`);
for (const list of groups.values()) {
  const { c, r, j } = list[0];
  console.log(`- [${c.cls}] ${c.name}${list.length > 1 ? `  (+${list.length - 1} more like it)` : ''}\n    ${show(c)}\n    exit ${r.timedOut ? 'timeout' : r.signal ?? r.code}, peak RSS ${r.rssMb === null ? '?' : r.rssMb.toFixed(0)} MB, ${r.seconds.toFixed(1)} s\n    ${j.why.replaceAll(TMP, '$TMP').slice(0, 600)}${j.detail ? `\n    (${j.detail.replaceAll(TMP, '$TMP').slice(0, 300)})` : ''}`);
  if (list.length > 1) console.log(`    same for: ${list.slice(1).map(({ c: o, r: q }) => `${o.name} [${q.rssMb?.toFixed(0)} MB, ${q.seconds.toFixed(1)} s]`).join('; ')}`);
}
if (argv.includes('--verbose')) for (const { c, r, j } of results) console.log(`${j.verdict}\t${c.cls}\t${c.name}\t${r.rssMb?.toFixed(0)}MB\t${r.seconds.toFixed(1)}s\t${j.why.replaceAll(TMP, '$TMP').slice(0, 200)}`);
console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s`);
console.log(`cases: ${results.length}, clean errors: ${count('error')}, valid accepted: ${count('ok')}, findings: ${findings.length}`);
try { fs.chmodSync(T('ro'), 0o755); } catch { /* ignore */ }
if (!keep) fs.rmSync(TMP, { recursive: true, force: true }); else console.log(`kept ${TMP}`);
