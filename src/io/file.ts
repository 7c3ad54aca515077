// Files on disk (Node only): writes go to a temporary file in the same folder, are fsynced, then
// renamed into place, so a crash mid-write leaves the previous file intact. Node modules are
// imported dynamically so that browser bundles of wavae never load them.
import { WavaeError } from '../errors.js';

/** Writes bytes to path atomically: temp file in the same folder, fsync, rename. */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
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

/** The bytes of a file (Node). */
export async function readFileBytes(file: string): Promise<Uint8Array> {
  const fs = await import('node:fs');
  try {
    return new Uint8Array(fs.readFileSync(file));
  } catch (err) {
    throw readError(file, err);
  }
}

/** The WavaeError for a file that could not be read: missing, or why not. */
export function readError(file: string, err: unknown): WavaeError {
  const code = (err as NodeJS.ErrnoException).code;
  return new WavaeError('INVALID_OPTION', code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file}: ${code ?? (err as Error).message}`);
}
