// Where a benchmark ran: Node, CPU, cores; and where its results are written.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Facts about this machine that belong next to every number. */
export interface MachineInfo {
  date: string;
  node: string;
  v8: string;
  cpu: string;
  cores: number;
  platform: string;
}

export function machineInfo(): MachineInfo {
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    platform: `${os.platform()}-${os.arch()}`,
  };
}

/** bench/results/<date>-<hhmm>-<cpu>-<cores>c[-<suite>].{json,md} */
export function writeResults(suite: string | null, info: MachineInfo, data: unknown, markdown: string): string[] {
  const dir = path.resolve('bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const cpu = info.cpu.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  // one file per run (date and UTC time), so earlier runs stay beside it as the trend
  const stamp = `${info.date.slice(0, 10)}-${info.date.slice(11, 16).replace(':', '')}`;
  const base = path.join(dir, `${stamp}-${cpu}-${info.cores}c${suite ? `-${suite}` : ''}`);
  fs.writeFileSync(`${base}.json`, JSON.stringify({ suite, machine: info, results: data }, null, 2) + '\n');
  fs.writeFileSync(`${base}.md`, markdown);
  return [`${base}.json`, `${base}.md`];
}

/** A Markdown table from a header and rows. */
export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
}
