// Checks the package as npm would publish it: packs dist/ as built (npm pack --ignore-scripts,
// so no second build), then publint (package.json against the files) and @arethetypeswrong/cli
// (types and module formats under node10, node16 from CJS and ESM, and bundler resolution).
// attw's cjs-resolves-to-esm is ignored: wavae ships ES modules only, and engines names the Node
// versions whose require() loads them (20.19+, 22.12+; test/package.test.ts requires it).
//   node scripts/check-package.mjs
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-pack-'));
try {
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [info] = JSON.parse(out);
  const tgz = path.join(dir, info.filename);
  console.log(`${info.filename}: ${info.files.length} files, ${(info.size / 1000).toFixed(1)} kB packed, ${(info.unpackedSize / 1000).toFixed(1)} kB unpacked`);
  execFileSync(bin('publint'), ['run', tgz, '--strict'], { cwd: root, stdio: 'inherit' });
  execFileSync(bin('attw'), [tgz, '--ignore-rules', 'cjs-resolves-to-esm'], { cwd: root, stdio: 'inherit' });
} catch (err) {
  console.error(`wavae package check failed: ${err.message.split('\n')[0]}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
