// Runs a TypeScript entry point (bench/, scripts) under Node: bundles it with esbuild into
// build/run/<name>.mjs (dependencies stay external) and imports it, forwarding arguments.
//   node scripts/run-ts.mjs bench/run.ts --quick
import * as esbuild from 'esbuild';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <entry.ts> [args...]');
  process.exit(2);
}
const outfile = path.join(root, 'build', 'run', path.basename(entry).replace(/\.ts$/, '.mjs'));
await esbuild.build({
  entryPoints: [path.resolve(root, entry)],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
process.argv = [process.argv[0], outfile, ...rest];
await import(pathToFileURL(outfile).href);
