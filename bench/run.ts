// npm run bench [-- --quick] [-- --only gemm]: runs the suites in one process and writes
// bench/results/<date>-<cpu>-<cores>c-<suite>.{json,md}.
import { benchGemm, squareShapes, VAE_SHAPES } from './gemm.js';
import { machineInfo, markdownTable, writeResults } from './machine.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : null;

const info = machineInfo();
console.log(`wavae bench: ${info.cpu}, ${info.cores} cores, Node ${info.node}${quick ? ' (quick)' : ''}\n`);

if (!only || only === 'gemm') {
  const time = quick ? 150 : 1000;
  const shapes = [...VAE_SHAPES, ...squareShapes(quick ? [256] : [64, 128, 256, 512, 1024])];
  const rows = await benchGemm(shapes, ['wasm', 'js'], time);
  const ratio = (r: (typeof rows)[number]): string => {
    const js = rows.find((x) => x.backend === 'js' && x.trans === r.trans && x.m === r.m && x.n === r.n && x.k === r.k);
    return js ? (r.gflops / js.gflops).toFixed(1) + 'x' : '-';
  };
  const md = `# gemm_f32, single thread (${info.date.slice(0, 10)}, ${info.cpu}, Node ${info.node})\n\n` +
    markdownTable(['shape (m x n x k)', 'op', 'role', 'wasm GFLOPS', 'js GFLOPS', 'wasm / js'],
      rows.filter((r) => r.backend === 'wasm').map((r) => {
        const js = rows.find((x) => x.backend === 'js' && x.trans === r.trans && x.m === r.m && x.n === r.n && x.k === r.k);
        return [`${r.m}x${r.n}x${r.k}`, r.trans, r.role, r.gflops.toFixed(1), js ? js.gflops.toFixed(2) : 'not run', ratio(r)];
      }));
  if (!quick) {
    const files = writeResults('gemm', info, rows, md);
    console.log(`\nwrote ${files.join(', ')}`);
  }
  console.log('\n' + md);
}
