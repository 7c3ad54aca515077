// Every `npx wavae ...` example in README.md, run in order as the real binary. Training examples
// get `--limit 300 --epochs 1` appended (the same command on a subset, so the suite stays fast),
// and examples that read a whole dataset get a --limit; everything else runs verbatim.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const readme = fs.readFileSync('README.md', 'utf8');
const examples = readme.split('\n').filter((l) => l.startsWith('npx wavae ')).map((l) => l.replace(/\s+#.*$/, '').trim());
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wavae-readme-'));
const BIN = path.resolve('dist/cli/main.js');

// my.csv, as the README's CSV example expects: a header, a label column and numeric features
const lines = ['label,' + Array.from({ length: 10 }, (_, j) => `f${j}`).join(',')];
for (let i = 0; i < 200; i++) lines.push([i % 3, ...Array.from({ length: 10 }, (_, j) => (Math.sin(i * 0.37 + j) * 10).toFixed(3))].join(','));
fs.writeFileSync(path.join(dir, 'my.csv'), lines.join('\n') + '\n');

function split(command: string): string[] {
  return command.split(/\s+/).slice(2); // drop "npx wavae"
}

describe('README examples', () => {
  it('the README has the examples this test expects to run', () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
    for (const sub of ['train', 'eval', 'sample', 'reconstruct', 'interpolate', 'traverse', 'encode', 'info']) {
      expect(examples.some((e) => split(e)[0] === sub), sub).toBe(true);
    }
  });

  it.each(examples.map((e) => [e]))('%s', (example) => {
    const args = split(example);
    if (args[0] === 'train') args.push('--limit', '300', '--epochs', '1');
    if (['eval', 'encode', 'reconstruct'].includes(args[0])) args.push('--limit', '40');
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = args[args.indexOf('--out') + 1];
    if (args.includes('--out')) expect(fs.existsSync(path.join(dir, out)), out).toBe(true);
  });
});
