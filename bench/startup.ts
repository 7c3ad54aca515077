// Cold start (a fresh Node process: import wavae, init, build a VAE, decode one code) and the
// size of the library bundled for browsers with esbuild (minified, and gzipped), wasm included.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as esbuild from 'esbuild';

export interface StartupRow {
  /** import, init() (the default: threads on the cores), first decode */
  coldStartMs: number;
  /** the same with init({ threads: 1 }) */
  coldStartOneThreadMs: number;
  bundleBytes: number;
  bundleGzipBytes: number;
  wasmBytes: number;
  tfjsWasmBytes: { js: number; wasm: number; coreJs: number };
}

export async function benchStartup(runs: number, log: (s: string) => void = console.log): Promise<StartupRow> {
  const dist = path.resolve('dist/node.js');
  const median = (init: string): number => {
    const script = `const t0 = performance.now(); const wv = await import(${JSON.stringify(dist)}); await wv.init(${init});
      const vae = new wv.VAE({ inputDim: 784, hiddenDims: [400], latentDim: 20 }); vae.decode(wv.matrix(1, 20));
      console.log(performance.now() - t0);`;
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim()));
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  };
  const coldStartMs = median('');
  const coldStartOneThreadMs = median('{ threads: 1 }');
  const out = await esbuild.build({
    entryPoints: [path.resolve('src/index.ts')], bundle: true, minify: true, format: 'esm', platform: 'browser',
    external: ['node:*'], write: false, logLevel: 'silent',
  });
  const code = out.outputFiles[0].contents;
  const gz = zlib.gzipSync(code, { level: 9 }).length;
  const tfDir = path.resolve('node_modules/@tensorflow');
  const size = (p: string): number => fs.statSync(path.join(tfDir, p)).size;
  const row: StartupRow = {
    coldStartMs, coldStartOneThreadMs, bundleBytes: code.length, bundleGzipBytes: gz, wasmBytes: fs.statSync('build/kernels.wasm').size,
    tfjsWasmBytes: {
      js: size('tfjs-backend-wasm/dist/tf-backend-wasm.min.js'),
      wasm: size('tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'),
      coreJs: size('tfjs-core/dist/tf-core.min.js'),
    },
  };
  log(`cold start (import, init, first decode): median ${coldStartMs.toFixed(0)} ms (default threads), ${coldStartOneThreadMs.toFixed(0)} ms (one thread) of ${runs} processes`);
  log(`bundle: ${(row.bundleBytes / 1024).toFixed(1)} KB minified, ${(gz / 1024).toFixed(1)} KB gzipped (wasm ${(row.wasmBytes / 1024).toFixed(1)} KB inside)`);
  return row;
}
