// Hostile input, third round (issue 19): what scripts/hostile-sweep.mjs found after the second
// round, one test per class. Compressed and .npy files are stopped at what their header says;
// widths are checked from the header before the data is read; a model file's scaling metadata is
// checked before use; IDX data errors name the file; long values are not echoed whole; loose
// option values and library options are refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectCleanFailure, runMeasured } from './cli-run.js';
import { expectError } from './helpers.js';
import { parseNpy } from '../src/data/tabular.js';
import * as wv from '../src/node.js';

let dir: string;
const run = (...args: string[]) => runMeasured(dir, args);
const write = (name: string, bytes: string | Uint8Array): void => fs.writeFileSync(path.join(dir, name), bytes);

/** Peak RSS bound of the refusals (60-110 MB measured alone; under the suite's load, more). */
const PEAK_KB = 600_000;

/** `count` bytes of zeros as concatenated gzip members: a few hundred KB for hundreds of MB. */
function gzipZeros(count: number, fill = 0): Buffer {
  const member = zlib.gzipSync(Buffer.alloc(4 << 20, fill));
  const parts = Array.from({ length: Math.floor(count / (4 << 20)) }, () => member);
  return Buffer.concat([...parts, zlib.gzipSync(Buffer.alloc(count % (4 << 20), fill))]);
}

/** A .npy v1.0 header for `descr` of `shape` (the text as given, so hostile shapes can be written). */
function npyHeader(descr: string, shape: string): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = Buffer.alloc(10 + header.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  return out;
}

/** An IDX header: type byte, then the dims (big-endian). */
function idxHeader(type: number, dims: number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b[2] = type;
  b[3] = dims.length;
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  return b;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-sweep-'));
  await wv.init({ backend: 'js' });
  const vae = new wv.VAE({ inputDim: 4, hiddenDims: [3], latentDim: 2, seed: 1 });
  const scaled = (scaling: string): Uint8Array => vae.save({ metadata: { scaling, data_source: 'test' } });
  write('model.safetensors', scaled('{"type":"none"}'));
  write('scaling-unknown.safetensors', scaled('{"type":"log"}'));
  write('scaling-no-type.safetensors', scaled('{"mean":[0,0,0,0]}'));
  write('scaling-short.safetensors', scaled('{"type":"standardize","mean":[0,0,0],"std":[1,1,1]}'));
  write('scaling-string.safetensors', scaled('{"type":"minmax","min":[0,0,0,0],"max":[1,1,1,"1"]}'));
  write('scaling-huge.safetensors', scaled('{"type":"standardize","mean":[1e39,0,0,0],"std":[1,1,1,1]}'));
  write('scaling-tiny-std.safetensors', scaled('{"type":"standardize","mean":[0,0,0,0],"std":[1e-45,1,1,1]}'));
  write('rows.csv', '0.1,0.2,0.3,0.4\n0.5,0.6,0.7,0.8\n');
  vae.dispose();
});

describe('sizes from headers, before the data is read or inflated', () => {
  it('a gzipped .npy of (1, 4) followed by 400 MB of zeros stops after its 16 bytes of data (877 MB before)', () => {
    write('trailing.npy.gz', Buffer.concat([zlib.gzipSync(Buffer.concat([npyHeader('<f4', '1, 4'), Buffer.alloc(16)])), gzipZeros(400e6)]));
    const r = run('eval', '--model', 'model.safetensors', '--data', 'trailing.npy.gz');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 rows/);
    expect(r.peakKb).toBeLessThan(PEAK_KB);
  });

  it('a gzipped .npy of 200,000,000 bytes of the wrong width is refused from its header (1,215 MB before); with --limit 1 only one row is inflated', () => {
    write('wide.npy.gz', Buffer.concat([zlib.gzipSync(npyHeader('|u1', '1000, 200000')), gzipZeros(200e6, 1)]));
    const r = run('eval', '--model', 'model.safetensors', '--data', 'wide.npy.gz');
    expectCleanFailure(r, /wide\.npy\.gz: rows of 200000 values \(shape \(1000, 200000\)\), expected 4/);
    expect(r.peakKb).toBeLessThan(PEAK_KB);
    write('long.npy.gz', Buffer.concat([zlib.gzipSync(npyHeader('|u1', '50000000, 4')), gzipZeros(200e6, 1)]));
    const limited = run('eval', '--model', 'model.safetensors', '--data', 'long.npy.gz', '--limit', '1');
    expect(limited.code, limited.stderr).toBe(0);
    expect(limited.stdout).toMatch(/1 rows/);
    expect(limited.peakKb).toBeLessThan(PEAK_KB);
  });

  it('a gzipped IDX of one 16384 x 16384 image is refused from its header when the model takes 4 values (1,370 MB before)', () => {
    write('huge-images-idx3-ubyte.gz', Buffer.concat([zlib.gzipSync(idxHeader(0x08, [1, 16384, 16384])), gzipZeros(16384 * 16384)]));
    const r = run('eval', '--model', 'model.safetensors', '--data', 'huge-images-idx3-ubyte.gz');
    expectCleanFailure(r, /huge-images-idx3-ubyte\.gz: rows of 268435456 values \(shape \[1, 16384, 16384\]\), expected 4/);
    expect(r.peakKb).toBeLessThan(PEAK_KB);
  });

  it('a gzipped JSON of 300 MB of spaces stops at the 256 MiB a gzipped text file may inflate to (973 MB before)', () => {
    write('spaces.json.gz', Buffer.concat([zlib.gzipSync('['), gzipZeros(300e6, 0x20), zlib.gzipSync('[1,2,3,4]]')]));
    const r = run('eval', '--model', 'model.safetensors', '--data', 'spaces.json.gz');
    expectCleanFailure(r, /spaces\.json\.gz: inflates to more than the 268435456 bytes/);
    expect(r.peakKb).toBeLessThan(PEAK_KB);
  });

  it('.npy shapes are plain integers: (1e3,) and (1.0, 4) are refused (read as 1000 and 1 before)', () => {
    for (const shape of ['1e3,', '1.0, 4', '0x10, 4', '-1, 4']) {
      expectError(() => parseNpy(new Uint8Array(Buffer.concat([npyHeader('<f4', shape), Buffer.alloc(4096)])), 'a.npy'), 'SHAPE_MISMATCH', /plain integers/);
    }
    expectError(() => parseNpy(new Uint8Array(npyHeader('<f4', '100000, 100000')), 'a.npy'), 'OUT_OF_MEMORY', /more than the 268435456 values/);
  });

  it('IDX files of no items or of empty items, and IDX floats that are not finite in float32, are errors that name the file and the item', () => {
    write('empty-images-idx3-ubyte', idxHeader(0x08, [0, 2, 2]));
    expectCleanFailure(run('eval', '--model', 'model.safetensors', '--data', 'empty-images-idx3-ubyte'), /empty-images-idx3-ubyte: no rows \(shape \[0, 2, 2\]\)/);
    write('flat-images-idx3-ubyte', idxHeader(0x08, [3, 0, 2]));
    expectCleanFailure(run('eval', '--model', 'model.safetensors', '--data', 'flat-images-idx3-ubyte'), /flat-images-idx3-ubyte: rows of no values/);
    const f64 = Buffer.alloc(8 * 8);
    f64.writeDoubleBE(1e39, 8 * 5);
    write('big.idx', Buffer.concat([idxHeader(0x0e, [2, 4]), f64]));
    expectCleanFailure(run('eval', '--model', 'model.safetensors', '--data', 'big.idx'), /big\.idx: item 1, value 1 is 1e\+39, beyond float32/);
    const f32 = Buffer.alloc(4 * 8);
    f32.writeFloatBE(NaN, 4 * 2);
    write('nan.idx', Buffer.concat([idxHeader(0x0d, [2, 4]), f32]));
    expectCleanFailure(run('train', '--data', 'nan.idx', '--out', 'never'), /nan\.idx: item 0, value 2 is NaN/);
    expect(fs.existsSync(path.join(dir, 'never'))).toBe(false);
  });
});

describe('a model file is checked before its metadata is used', () => {
  it('a scaling of an unknown type, without a type, of the wrong length, with a string, beyond float32 or with a std whose reciprocal overflows is CORRUPT_FILE (applied silently before)', () => {
    const cases: Array<[string, RegExp]> = [
      ['scaling-unknown', /has type "log", expected one of none, divide255, minmax, standardize/],
      ['scaling-no-type', /has type missing/],
      ['scaling-short', /"mean" must be an array of 4 numbers \(one per input column\), got 3 entries/],
      ['scaling-string', /"max" has 1 at column 3, not a finite float32 number/],
      ['scaling-huge', /"mean" has 1e\+39 at column 0/],
      ['scaling-tiny-std', /has std 1e-45 at column 0/],
    ];
    for (const [name, message] of cases) {
      for (const args of [['eval', '--data', 'rows.csv', '--header', 'no'], ['sample', '--n', '2', '--out', `${name}.png`]]) {
        const r = run(args[0], '--model', `${name}.safetensors`, ...args.slice(1));
        expectCleanFailure(r, new RegExp(`${name}\\.safetensors: the metadata "scaling" ${message.source}`));
        expect(fs.existsSync(path.join(dir, `${name}.png`))).toBe(false);
      }
    }
  });

  it("format_version is written as an integer and read only as one: '1e0' and '01' are CORRUPT_FILE", () => {
    const bytes = fs.readFileSync(path.join(dir, 'model.safetensors'));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = bytes.subarray(8, 8 + headerLength).toString();
    for (const version of ['1e0', '01', ' 3']) {
      const changed = header.replace(/"format_version":"\d+"/, `"format_version":"${version}"`);
      const out = Buffer.alloc(8 + changed.length + bytes.length - 8 - headerLength);
      out.writeBigUInt64LE(BigInt(changed.length), 0);
      out.write(changed, 8);
      bytes.copy(out, 8 + changed.length, 8 + headerLength);
      write(`version.safetensors`, out);
      expectCleanFailure(run('info', '--model', 'version.safetensors'), /invalid format_version/);
      expectError(() => wv.load(out), 'CORRUPT_FILE', /invalid format_version/);
    }
  });
});

describe('the CLI', () => {
  it('reads a model file whose JSON header starts with whitespace, as the reference reader does (refused as "not a model file" before)', () => {
    const bytes = fs.readFileSync(path.join(dir, 'model.safetensors'));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const out = Buffer.alloc(bytes.length + 2);
    out.writeBigUInt64LE(BigInt(headerLength + 2), 0);
    out.write(' \n', 8);
    bytes.copy(out, 10, 8);
    write('leading-space.safetensors', out);
    const r = run('info', '--model', 'leading-space.safetensors');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/VAE/);
  });


  it('does not echo a 100,000-character value whole: the error line stays short and says how much was left out', () => {
    const long = 'x'.repeat(100_000);
    for (const args of [['train', '--limit', long], ['train', '--hidden', long], ['sample', '--model', 'model.safetensors', '--n', long], ['train', '--scale', long]]) {
      const r = run(...args);
      expectCleanFailure(r, /\.\.\.\[\d+ characters\]\.\.\./);
      expect(r.stderr.length).toBeLessThan(2500);
    }
    write('one-cell.csv', `${'1'.repeat(10_000_000)},2,3\n`); // a 10 MB cell: the shortening is a scan (a regex overflowed the stack)
    const r = run('encode', '--model', 'model.safetensors', '--data', 'one-cell.csv', '--out', 'codes.csv');
    expectCleanFailure(r, /one-cell\.csv:1:1: .*\.\.\.\[\d+ characters\]\.\.\./);
    expect(r.stderr.length).toBeLessThan(2500);
  });

  it("refuses --out '' (train, export), --denoise '' and --clip-norm 0 before any work (accepted before)", () => {
    expectCleanFailure(run('train', '--data', 'rows.csv', '--out', ''), /--out <dir>.* expected a value, got an empty one/);
    expectCleanFailure(run('export', '--model', 'model.safetensors', '--out', ''), /--out <dir>.* expected a value, got an empty one/); // wrote into the working folder
    expect(fs.existsSync(path.join(dir, 'encoder.onnx'))).toBe(false);
    expectCleanFailure(run('train', '--data', 'rows.csv', '--model', 'ae', '--denoise', '', '--out', 'd'), /--denoise <spec>.* expected a value/);
    expectCleanFailure(run('train', '--data', 'rows.csv', '--clip-norm', '0', '--out', 'c'), /--clip-norm <n>.* expected a number > 0, got "0"/);
    expect(fs.existsSync(path.join(dir, 'd'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'c'))).toBe(false);
  });
});

describe('the library refuses with a WavaeError, never a RangeError, a TypeError or a silent NaN', () => {
  it('matrix(1e9, 1e9) is OUT_OF_MEMORY (a RangeError before)', () => {
    expectError(() => wv.matrix(1e9, 1e9), 'OUT_OF_MEMORY', /is 1000000000000000000 values, more than the 1073741824/);
  });

  it("a schedule type that is a prototype key ('toString', 'constructor') is INVALID_OPTION (a TypeError before)", async () => {
    const vae = new wv.VAE({ inputDim: 4, hiddenDims: [3], latentDim: 2 });
    const x = wv.matrix(4, 4);
    for (const type of ['toString', 'constructor', '__proto__']) {
      await expect(vae.fit(x, { epochs: 1, schedule: { type } as never })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    }
    await expect(vae.fit(x, { epochs: 1, shuffle: 'yes' as never })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: /fit: shuffle must be true or false/ });
    vae.dispose();
  });

  it('save() and load() check their options (a string optimizer flag, unknown keys)', () => {
    const vae = new wv.VAE({ inputDim: 4, hiddenDims: [3], latentDim: 2 });
    expectError(() => vae.save({ optimizer: 'x' as never }), 'INVALID_OPTION', /save: optimizer must be true or false/);
    expectError(() => vae.save({ bogus: 1 } as never), 'UNKNOWN_OPTION', /save: unknown option 'bogus'/);
    const bytes = vae.save();
    expectError(() => wv.load(bytes, { bogus: 1 } as never), 'UNKNOWN_OPTION', /load: unknown option 'bogus'/);
    expectError(() => wv.load(bytes, { config: 'x' } as never), 'INVALID_OPTION', /load: config must be an object/);
    vae.dispose();
  });

  it('gradients() of finite inputs that overflow inside the model is NON_FINITE_OUTPUT naming the loss (NaN returned before)', () => {
    const vae = new wv.VAE({ inputDim: 4, hiddenDims: [3], latentDim: 2, seed: 1 });
    const x = wv.matrix(2, 4, new Float32Array(8).fill(1e20));
    expectError(() => vae.gradients(x, { eps: wv.matrix(2, 2) }), 'NON_FINITE_OUTPUT', /gradients: the loss is (NaN|-?Infinity)|gradients: \S+ has/);
    const ae = new wv.Autoencoder({ inputDim: 4, hiddenDims: [3], latentDim: 2, seed: 1 });
    expectError(() => ae.gradients(x), 'NON_FINITE_OUTPUT', /gradients: /);
    vae.dispose();
    ae.dispose();
  });

  it('an architecture of more than 2^26 parameters is OUT_OF_MEMORY before anything is allocated (2.1 GB before)', () => {
    expectError(() => new wv.VAE({ inputDim: 8, hiddenDims: [8388608], latentDim: 2 }), 'OUT_OF_MEMORY', /the architecture has \d+ parameters, more than the 67108864/);
  });
});
