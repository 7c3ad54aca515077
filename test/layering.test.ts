// The layers of DESIGN.md ("Layers of the house"), as .dependency-cruiser.cjs states them: the
// source tree keeps them (what `npm run check:layers` checks in CI), and a small tree that breaks
// each rule once is reported rule by rule, so a rule that silently stopped matching (a path typo,
// `.js` imports no longer resolving to `.ts`, type-only imports no longer counted) fails here.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEPCRUISE = path.join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

interface Violation { rule: { name: string }; from: string; to: string; cycle?: { name: string }[] }

/** Runs dependency-cruiser over `src` in `cwd` with the repository's config. */
function depcruise(cwd: string, ...args: string[]): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG, ...args],
    { cwd, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return r;
}

/** The violations dependency-cruiser finds over `src` in `cwd`. */
function violationsIn(cwd: string): Violation[] {
  const r = depcruise(cwd, '--output-type', 'json');
  try {
    return (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
  } catch {
    throw new Error(`dependency-cruiser printed no JSON (exit ${r.status}): ${r.stderr}`);
  }
}

const show = (v: Violation): string => `${v.rule.name}: ${v.from} -> ${v.to}`;

describe('the import layers (.dependency-cruiser.cjs)', () => {
  it('the source tree keeps them', () => {
    expect(violationsIn(ROOT).map(show)).toEqual([]);
  });

  let tmp: string | undefined;
  afterAll(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

  it('a tree that breaks each rule is reported rule by rule, and allowed imports are not', () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-layers-'));
    const files: Record<string, string> = {
      'tsconfig.json': JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: [] },
        include: ['src/**/*.ts'],
      }),
      'assembly/index.ts': 'export function k(): i32 { return 1; }\n',
      // The backend's door, and the generated wasm module it may import.
      'src/backend/index.ts': "export { wasmBytes } from './generated/kernels_wasm.js';\nexport { internal } from './internal.js';\n",
      'src/backend/generated/kernels_wasm.ts': "export const wasmBytes = 'AGFzbQ==';\n",
      'src/backend/internal.ts': 'export const internal = 2;\n',
      // backend -> models
      'src/backend/x.ts': "import { y } from '../models/y.js';\nexport const x = y;\n",
      // a deep import of a backend internal (allowed: the door)
      'src/models/y.ts': "import { internal } from '../backend/internal.js';\nimport { wasmBytes } from '../backend/index.js';\nexport const y = internal + wasmBytes.length;\n",
      // the generated wasm module and assembly/ outside the backend
      'src/models/w.ts': "export { wasmBytes } from '../backend/generated/kernels_wasm.js';\nexport { k } from '../../assembly/index.js';\n",
      // io -> a model class, type-only (type imports count)
      'src/io/load.ts': "import type { Vae } from '../models/vae.js';\nexport type Loaded = Vae;\n",
      'src/models/vae.ts': 'export class Vae { n = 1; }\n',
      // nn -> models, train -> models
      'src/nn/dense.ts': "import { Vae } from '../models/vae.js';\nexport const dense = new Vae();\n",
      'src/train/fit.ts': "import type { Vae } from '../models/vae.js';\nexport const fit = (m: Vae): number => m.n;\n",
      // a circle with one type-only edge
      'src/nn/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\nexport const a = 1;\n",
      'src/nn/b.ts': "import { a } from './a.js';\nexport interface B { n: number }\nexport const b = a;\n",
      // the library -> cli, the library -> serve (cli -> serve is allowed)
      'src/cli/main.ts': "import { serve } from '../serve/http.js';\nexport const main = serve;\n",
      'src/serve/http.ts': "import fs from 'node:fs';\nexport const serve = fs.existsSync;\n",
      'src/data/csv.ts': "import { main } from '../cli/main.js';\nexport const csv = main;\n",
      'src/models/serving.ts': "import { serve } from '../serve/http.js';\nexport const serving = serve;\n",
      // a file that does not exist (a Node built-in is fine)
      'src/io/file.ts': "import path from 'node:path';\nimport { gone } from './missing.js';\nexport const file = path.join(gone);\n",
      // nothing wrong: nn on the backend's door, io on nn, train on nn
      'src/nn/ok.ts': "import { internal } from '../backend/index.js';\nexport const ok = internal;\n",
      'src/io/names.ts': "import { ok } from '../nn/ok.js';\nexport const names = ok;\n",
      'src/train/step.ts': "import { ok } from '../nn/ok.js';\nexport const step = ok;\n",
    };
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(tmp, name)), { recursive: true });
      fs.writeFileSync(path.join(tmp, name), text);
    }

    const violations = violationsIn(tmp);
    // The circle is reported once, from whichever of its files the cruise met first; its edge
    // a -> b is type-only.
    const circles = violations.filter((v) => v.rule.name === 'no-circular');
    expect(circles.map((v) => [v.from, ...(v.cycle ?? []).map((c) => c.name)].sort())).toEqual([
      ['src/nn/a.ts', 'src/nn/a.ts', 'src/nn/b.ts'].sort(),
    ]);
    expect(violations.filter((v) => v.rule.name !== 'no-circular').map(show).sort()).toEqual([
      'assembly-outside-backend: src/models/w.ts -> assembly/index.ts',
      'assembly-outside-backend: src/models/w.ts -> src/backend/generated/kernels_wasm.ts',
      'backend-deep-import: src/models/w.ts -> src/backend/generated/kernels_wasm.ts',
      'backend-deep-import: src/models/y.ts -> src/backend/internal.ts',
      'backend-imports-upper-layer: src/backend/x.ts -> src/models/y.ts',
      'io-imports-upper-layer: src/io/load.ts -> src/models/vae.ts',
      'library-imports-cli: src/data/csv.ts -> src/cli/main.ts',
      'library-imports-serve: src/models/serving.ts -> src/serve/http.ts',
      'nn-imports-upper-layer: src/nn/dense.ts -> src/models/vae.ts',
      'not-to-unresolvable: src/io/file.ts -> ./missing.js',
      'train-imports-upper-layer: src/train/fit.ts -> src/models/vae.ts',
    ]);
    // What `npm run check:layers` prints (the err reporter): it names the rules and exits non-zero.
    const err = depcruise(tmp);
    expect(err.status, err.stderr).not.toBe(0);
    expect(err.stdout).toMatch(/error backend-imports-upper-layer: src\/backend\/x\.ts → src\/models\/y\.ts/);
  });
});
