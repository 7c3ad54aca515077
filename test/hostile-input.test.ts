// Hostile input, second round (issue 19): memory and time that follow the input (compressed IDX
// files, tables too wide), outputs checked before the work and written whole or not at all, CSV
// rows never dropped silently, and errors that name the file, line and column. The CLI runs as a
// child process with its peak RSS measured; the readers are also tested directly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsv, parseJsonRows } from '../src/data/tabular.js';
import { OutputSet } from '../src/cli/outputs.js';
import { expectCleanFailure, runMeasured } from './cli-run.js';
import { expectError } from './helpers.js';
import { WavaeError } from '../src/errors.js';
import * as wv from '../src/node.js';

let dir: string;
const run = (...args: string[]) => runMeasured(dir, args);
const write = (name: string, bytes: string | Uint8Array): void => fs.writeFileSync(path.join(dir, name), bytes);
const exists = (name: string): boolean => fs.existsSync(path.join(dir, name));

/** An IDX header for uint8 images: magic 0x0803, then n, h, w (big-endian). */
function idxHeader(n: number, h: number, w: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(0x0803, 0);
  b.writeUInt32BE(n, 4);
  b.writeUInt32BE(h, 8);
  b.writeUInt32BE(w, 12);
  return b;
}

/** Peak RSS bound of the refusals (60-110 MB measured alone; the suite's load on Node 24 has shown 329 MB). */
const PEAK_KB = 600_000;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-hostile-'));
  // 342,000 blank 28x28 images (268 MB) in 272 KB: gzip members of 1,000 images, concatenated
  const thousand = zlib.gzipSync(Buffer.alloc(784 * 1000));
  write('bomb-images-idx3-ubyte.gz', Buffer.concat([zlib.gzipSync(idxHeader(342_000, 28, 28)), ...Array.from({ length: 342 }, () => thousand)]));
  // a header that claims 4e9 images, followed by 100
  write('liar-images-idx3-ubyte.gz', zlib.gzipSync(Buffer.concat([idxHeader(4e9, 28, 28), Buffer.alloc(784 * 100, 7)])));
  // a gzip stream cut in half
  const whole = zlib.gzipSync(Buffer.concat([idxHeader(100, 28, 28), Buffer.from(Array.from({ length: 78_400 }, (_, i) => (i * 7919) % 251))]));
  write('cut-images-idx3-ubyte.gz', whole.subarray(0, whole.length >> 1));
  write('ok.csv', 'a,b,c\n1,2,3\n4,5,6\n7,8,9\n1,1,1\n');
});

describe('compressed IDX: inflated no further than the header and --limit say', () => {
  it('a 272 KB file of 342,000 images trains on --limit 10 in bounded memory (1.9 GB before: --limit came after inflating everything)', () => {
    const r = run('train', '--data', 'bomb-images-idx3-ubyte.gz', '--limit', '10', '--epochs', '1', '--out', 'bomb-out', '--no-pictures');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/on bomb-images-idx3-ubyte\.gz \(9 rows, 1 for validation\)/);
    expect(r.peakKb).toBeLessThan(PEAK_KB);
  });

  it('a header that claims more than wavae reads is refused before inflating, naming --limit; --limit reads the rows that are there', () => {
    const r = run('train', '--data', 'liar-images-idx3-ubyte.gz', '--epochs', '1', '--out', 'never');
    expectCleanFailure(r, /liar-images-idx3-ubyte\.gz: IDX dimensions \[4000000000, 28, 28\]: .* more than the 268435456 values wavae reads; at most 342392 items fit \(--limit\)/);
    expect(r.peakKb).toBeLessThan(PEAK_KB);
    expect(exists('never')).toBe(false);
    const ok = run('train', '--data', 'liar-images-idx3-ubyte.gz', '--limit', '20', '--epochs', '1', '--out', 'liar-out', '--no-pictures');
    expect(ok.code, ok.stderr).toBe(0);
    // more rows than the stream holds: the data ends early, which is a truncated file
    expectCleanFailure(run('train', '--data', 'liar-images-idx3-ubyte.gz', '--limit', '200', '--epochs', '1', '--out', 'never'),
      /liar-images-idx3-ubyte\.gz: truncated: the first 200 items of dimensions \[4000000000, 28, 28\] of uint8 need 156816 bytes, the file has 78416/);
  });

  it('a broken gzip stream is CORRUPT_FILE naming the file', () => {
    expectCleanFailure(run('train', '--data', 'cut-images-idx3-ubyte.gz', '--epochs', '1', '--out', 'never'), /cut-images-idx3-ubyte\.gz: (not a valid gzip file|truncated)/);
  });
});

describe('tables too wide are refused as the first row is read (2.8 GB and 20 s before)', () => {
  it('a CSV row and a JSON row of 300,000 values: OUT_OF_MEMORY at once, saying to use .npy', () => {
    write('wide.csv', Array.from({ length: 300_000 }, () => '1').join(',') + '\n');
    write('wide.json', `[[${Array.from({ length: 300_000 }, () => '1').join(',')}]]`);
    for (const [file, message] of [['wide.csv', /wide\.csv:1: more than 65536 columns; .* \(store wider rows as \.npy\)/], ['wide.json', /wide\.json:1:2: a row of more than 65536 values; .*\.npy/]] as const) {
      const r = run('train', '--data', file, '--epochs', '1', '--out', 'never');
      expectCleanFailure(r, message);
      expect(r.peakKb, file).toBeLessThan(PEAK_KB);
      expect(r.seconds, file).toBeLessThan(20);
    }
  });
});

describe('outputs are checked before the work, and written whole or not at all', () => {
  // --epochs 1000000 of MNIST would run for days: these fail before the data is even read
  const forever = ['train', '--epochs', '1000000', '--data', 'mnist'];

  it('--out that is a file, under /proc, or a folder where loss.svg is a directory: one line before training, nothing written', () => {
    write('a-file', 'mine');
    fs.mkdirSync(path.join(dir, 'taken', 'loss.svg'), { recursive: true });
    const cases: [string, RegExp][] = [
      ['a-file', /--out a-file: cannot make the folder: .*a-file is a file, not a folder/],
      ['/proc/wavae-x', /--out \/proc\/wavae-x: cannot make the folder: ENOENT \(\/proc takes no new folders\)/],
      ['taken', /--out taken: cannot write taken\/loss\.svg: it is a directory/],
    ];
    for (const [out, message] of cases) {
      const r = run(...forever, '--out', out);
      expectCleanFailure(r, message);
      expect(r.seconds, out).toBeLessThan(20);
    }
    expect(fs.readFileSync(path.join(dir, 'a-file'), 'utf8')).toBe('mine');
    expect(fs.readdirSync(path.join(dir, 'taken'))).toEqual(['loss.svg']);
  });

  it('the picture and code commands check --out before the model runs', async () => {
    await wv.init({ threads: 1 });
    const vae = new wv.VAE({ inputDim: 3, hiddenDims: [4], latentDim: 2, seed: 1 });
    write('small.safetensors', vae.save());
    vae.dispose();
    fs.mkdirSync(path.join(dir, 'a-dir.png'), { recursive: true });
    write('a-file', 'mine');
    expectCleanFailure(run('sample', '--model', 'small.safetensors', '--shape', '1x3', '--out', 'a-dir.png'), /--out a-dir\.png: cannot write a-dir\.png: it is a directory/);
    expectCleanFailure(run('encode', '--model', 'small.safetensors', '--data', 'ok.csv', '--out', '/proc/wavae-y/codes.csv'),
      /--out \/proc\/wavae-y\/codes\.csv: cannot make the folder: ENOENT/);
    expectCleanFailure(run('reconstruct', '--model', 'small.safetensors', '--data', 'ok.csv', '--shape', '1x3', '--out', 'a-file/r.png'), /a-file is a file, not a folder/);
    // a folder made for --out is removed again when the work fails
    expectCleanFailure(run('reconstruct', '--model', 'missing.safetensors', '--data', 'ok.csv', '--out', 'new-folder/deeper/s.png'), /no such file: missing\.safetensors/);
    expect(exists('new-folder')).toBe(false);
  });

  it('a write that fails part way leaves none of the set and puts back the files it replaced', async () => {
    const out = path.join(dir, 'set');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'a.txt'), 'old a');
    const set = await OutputSet.prepare(out, '--out');
    set.expect(['a.txt', 'b.txt', 'c.txt']);
    fs.mkdirSync(path.join(out, 'c.txt')); // something in the way appears during the work
    expectError(() => set.write([['a.txt', 'new a'], ['b.txt', 'new b'], ['c.txt', 'new c']]), 'INVALID_OPTION', /cannot write .*c\.txt: it is a directory; wrote none of a\.txt, b\.txt, c\.txt/);
    expect(fs.readFileSync(path.join(out, 'a.txt'), 'utf8')).toBe('old a');
    expect(fs.readdirSync(out).sort()).toEqual(['a.txt', 'c.txt']); // no b.txt, no temporary file
  });

  it('a run replaces the earlier run\'s whole set: pictures the new run does not draw do not stay behind', () => {
    const csv = Array.from({ length: 40 }, (_, i) => Array.from({ length: 16 }, (_, j) => ((i * 16 + j) % 7) / 7).join(',')).join('\n') + '\n';
    write('tiles.csv', csv);
    expect(run('train', '--data', 'tiles.csv', '--shape', '4x4', '--epochs', '1', '--out', 'twice').code).toBe(0);
    expect(exists('twice/samples.png')).toBe(true);
    expect(run('train', '--data', 'tiles.csv', '--epochs', '1', '--out', 'twice', '--no-pictures').code).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'twice')).sort()).toEqual(['loss.svg', 'model.safetensors', 'train-log.jsonl']);
  });
});

describe('CSV: the header rule, no row dropped, errors at file:line:column', () => {
  it('the first row is a header when none of its cells is a number and some cell is not empty', () => {
    expect(parseCsv('x1,x2,label\n1,2,3\n').columns).toEqual(['x1', 'x2', 'label']);
    expect(parseCsv(',a,b\n1,2,3\n').columns).toEqual(['', 'a', 'b']); // pandas' index column
    expect(parseCsv('1,2,3\n4,5,6\n').x.rows).toBe(2);
    expect(parseCsv('"a","b"\n1,2\n').columns).toEqual(['a', 'b']);
    // header: true and false override the rule
    expect(parseCsv('1,2\n3,4\n', { header: true }).x.rows).toBe(1);
    expectError(() => parseCsv('a,b\n3,4\n', { header: false, name: 't.csv' }), 'INVALID_OPTION', /^t\.csv:1:1: "a" is not a finite number$/);
  });

  it('a first row with numbers is data: `1,,3` and `"1,5",2` are errors at their cell, not a dropped header (exit 0 before)', () => {
    const hint = /\(line 1 is read as data because it has numbers; --header yes reads it as a header\)/;
    expectError(() => parseCsv('1,,3\n4,5,6\n', { name: 'e.csv' }), 'INVALID_OPTION', /^e\.csv:1:2: an empty cell; every cell of a data row holds a number/);
    expectError(() => parseCsv('1,,3\n4,5,6\n', { name: 'e.csv' }), 'INVALID_OPTION', hint);
    expectError(() => parseCsv('"1,5",2\n3,4\n', { name: 'q.csv' }), 'INVALID_OPTION', /^q\.csv:1:1: "1,5" is not a finite number/);
    expectError(() => parseCsv('nan,1\n2,3\n', { name: 'n.csv' }), 'NON_FINITE_INPUT', /^n\.csv:1:1: "nan" is not a finite number/);
    write('empty-cell.csv', '1,,3\n4,5,6\n7,8,9\n');
    expectCleanFailure(run('train', '--data', 'empty-cell.csv', '--epochs', '1', '--out', 'never'), /empty-cell\.csv:1:2: an empty cell/);
    const yes = run('train', '--data', 'empty-cell.csv', '--header', 'yes', '--epochs', '1', '--out', 'header-yes', '--no-pictures');
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stdout).toMatch(/\(2 rows\)|\(1 rows, 1 for validation\)|2 rows/);
  });

  it('quoted cells follow RFC 4180: a comma or a line break inside quotes, "" for a quote', () => {
    const t = parseCsv('"name, first","the ""x"""\n"1",2\n3,"4"\n');
    expect(t.columns).toEqual(['name, first', 'the "x"']);
    expect(Array.from(t.x.data)).toEqual([1, 2, 3, 4]);
    expect(parseCsv('"a\nb",c\n1,2\n3,4\n').columns).toEqual(['a\nb', 'c']);
    expectError(() => parseCsv('1,2\n3,"4\n', { name: 'u.csv' }), 'CORRUPT_FILE', /^u\.csv:2:2: a quote that is never closed/);
    // lines are counted through a quoted line break
    expectError(() => parseCsv('"a\nb",c\n1,2\n3,x\n', { name: 'l.csv' }), 'INVALID_OPTION', /^l\.csv:4:2: "x"/);
  });

  it('a value beyond float32 names the file, line and column (was "fit: x: value Infinity at row 52" of the shuffled split)', () => {
    write('overflow.csv', Array.from({ length: 60 }, (_, i) => (i === 50 ? '1,1e39,3' : '1,2,3')).join('\n') + '\n');
    expectCleanFailure(run('train', '--data', 'overflow.csv', '--epochs', '1', '--out', 'never'), /^wavae: error: overflow\.csv:51:2: 1e39 is beyond float32 \(at most ±3\.4028235e38\)$/);
    expectError(() => parseCsv('1,-4e38\n', { name: 'o.csv' }), 'NON_FINITE_INPUT', /^o\.csv:1:2: -4e38 is beyond float32/);
    expectError(() => parseJsonRows('[[1, 2],\n [3, 1e39]]', 'o.json'), 'NON_FINITE_INPUT', /^o\.json:2:6: 1e39 is beyond float32/);
    expect(parseCsv('3.4e38\n').x.data[0]).toBeCloseTo(3.4e38, -33);
  });

  it('a header with no rows, and a label column that is not there, say so about the file', () => {
    write('header-only.csv', 'a,b,label\n');
    expectCleanFailure(run('train', '--data', 'header-only.csv', '--label-column', 'label', '--epochs', '1', '--out', 'never'), /header-only\.csv: a header \(line 1\) and no data rows/);
    expectError(() => parseCsv('a,b\n1,2\n', { name: 'h.csv', labelColumn: 'label' }), 'INVALID_OPTION', /h\.csv: no label column "label" \(columns: a, b\)/);
    expectError(() => parseCsv('1,2\n', { name: 'h.csv', labelColumn: 5 }), 'INVALID_OPTION', /h\.csv: no label column 5 \(2 columns, counted from 0\)/);
  });
});

describe('JSON rows: no recursion, errors at line:column', () => {
  it('200,000 nested brackets are one clean error (was "Maximum call stack size exceeded")', () => {
    write('deep.json', '['.repeat(200_000) + ']'.repeat(200_000));
    expectCleanFailure(run('train', '--data', 'deep.json', '--epochs', '1', '--out', 'never'), /deep\.json:1:3: an array where a number was expected/);
    expectError(() => parseJsonRows('[[1, {"a": 1}]]', 'j.json'), 'SHAPE_MISMATCH', /^j\.json:1:6: an object where a number was expected/);
  });

  it('reads JSON numbers as JSON.parse does; anything else in a row is a WavaeError, never a SyntaxError', () => {
    expect(Array.from(parseJsonRows(' [ [1, -2.5e-1] ,\n[0, 3E2] ] ').x.data)).toEqual([1, -0.25, 0, 300]);
    for (const bad of ['[[1, 2]', '[[1, 2]] x', '[[01]]', '[[+1]]', '[[.5]]', '[[1,]]', '[[1] [2]]', '[]', '[[]]', '[[1], [1, 2]]', '[[NaN]]', '[[null]]', '[["1"]]', '{"rows": [[1]]}', '']) {
      expect(() => parseJsonRows(bad), bad).toThrow(WavaeError);
    }
  });
});
