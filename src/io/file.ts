// Files on disk (Node only): writes go to a temporary file in the same folder, are fsynced, then
// renamed into place, so a crash mid-write leaves the previous file intact. Node modules are
// imported dynamically so that browser bundles of wavae never load them.
import { WavaeError } from '../errors.js';

/** Writes bytes to path atomically: temp file in the same folder, fsync, rename. */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const dir = path.dirname(path.resolve(file));
  await makeFolders(dir);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  let fd: number | null = null;
  try {
    fd = fs.openSync(tmp, 'w');
    fs.writeSync(fd, typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== null) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw new WavaeError('INVALID_OPTION', `cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The largest file wavae reads (2 GiB): model and data files alike. */
export const MAX_FILE_BYTES = 2 ** 31;

type Fs = typeof import('node:fs');

/** What a path is, for messages: 'a directory', 'a FIFO', ... */
function kindOf(stat: import('node:fs').Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The bytes of a regular file of at most `max` bytes, read with that bound: a directory, a FIFO
 * (which would block), a device such as /dev/zero (which never ends) or a larger file is refused
 * before reading, and a file that grows past the bound while read is refused too. `stopAt`, given
 * the bytes read so far, may say where the useful bytes end (null while it cannot tell yet, as
 * before a header is complete): the file is read no further (and a claim past `max` is refused).
 */
export function readRegularFile(fs: Fs, file: string, max = MAX_FILE_BYTES, stopAt?: (head: Uint8Array) => number | null): Uint8Array {
  let fd: number | null = null;
  const tooBig = (): WavaeError => new WavaeError('OUT_OF_MEMORY', `cannot read ${file}: more than the ${max} bytes wavae reads`);
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new WavaeError('INVALID_OPTION', `cannot read ${file}: it is ${kindOf(stat)}; give a regular file`);
    if (stat.size > max && !stopAt) throw new WavaeError('OUT_OF_MEMORY', `cannot read ${file}: ${stat.size} bytes, more than the ${max} wavae reads`);
    fd = fs.openSync(file, 'r');
    // read until EOF (or stop), at most max + 1 bytes (files of /proc report size 0; a file may grow meanwhile)
    let buf = new Uint8Array(stopAt ? 1 << 16 : Math.max(stat.size, 1 << 16));
    let n = 0;
    let stop: number | null = null;
    for (;;) {
      if (n === buf.length) {
        if (n > max) throw tooBig();
        const next = new Uint8Array(stop ?? Math.min(Math.max(buf.length * 2, stat.size), max + 1));
        next.set(buf);
        buf = next;
      }
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (stopAt && stop === null) {
        stop = stopAt(buf.subarray(0, n));
        if (stop !== null && stop > max) throw tooBig();
      }
      if (stop !== null && n >= stop) return buf.subarray(0, stop);
    }
    if (n > max) throw tooBig();
    return buf.subarray(0, n);
  } catch (err) {
    if (err instanceof WavaeError) throw err;
    throw readError(file, err);
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** The bytes of a file (Node): a regular file of at most MAX_FILE_BYTES. */
export async function readFileBytes(file: string): Promise<Uint8Array> {
  return readRegularFile(await import('node:fs'), file);
}

/** The WavaeError for a file that could not be read: missing, or why not. */
export function readError(file: string, err: unknown): WavaeError {
  const code = (err as NodeJS.ErrnoException).code;
  return new WavaeError('INVALID_OPTION', code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file}: ${code ?? (err as Error).message}`);
}

/**
 * Makes a folder and its missing parents one level at a time; returns the topmost folder made
 * (null if the folder existed). Node's mkdirSync({ recursive }) loops forever where mkdir says
 * ENOENT under a parent that exists (/proc/x); here that, or a file in the way, is one error.
 */
export async function makeFolders(dir: string): Promise<string | null> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    let stat: import('node:fs').Stats | undefined;
    try {
      stat = fs.statSync(at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' || path.dirname(at) === at) throw new WavaeError('INVALID_OPTION', `cannot make the folder ${dir}: ${code === 'ENOTDIR' ? 'a file is in the way' : code}`);
    }
    if (stat) {
      if (!stat.isDirectory()) throw new WavaeError('INVALID_OPTION', `cannot make the folder ${dir}: ${at} is ${stat.isFile() ? 'a file' : kindOf(stat)}, not a folder`);
      break;
    }
    missing.push(at);
    at = path.dirname(at);
  }
  for (const folder of missing.reverse()) {
    try {
      fs.mkdirSync(folder);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' || !fs.statSync(folder).isDirectory()) {
        throw new WavaeError('INVALID_OPTION', `cannot make the folder ${dir}: ${code}${code === 'ENOENT' ? ` (${path.dirname(folder)} takes no new folders)` : ''}`);
      }
    }
  }
  return missing[0] ?? null;
}
