// The files a command writes into one folder, checked before its work and written as a set: the
// folder made and proven writable first, each name free or a file to replace, then every file
// written under a temporary name, fsynced, and renamed into place. A failure at any point
// removes what was written and puts back what was replaced: the whole set or none of it.
import fs from 'node:fs';
import path from 'node:path';
import { WavaeError } from '../errors.js';
import { makeFolders } from '../io/file.js';

/** A temporary name in the same folder (so that renaming it into place is atomic). */
const tempName = (dir: string, name: string, what: 'tmp' | 'old'): string =>
  path.join(dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}.${what}`);

const errno = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** An output folder: made (if missing) and checked by prepare, written once by write. */
export class OutputSet {
  private names: Set<string> = new Set();
  private stale: string[] = [];

  private constructor(
    /** The folder as given (for messages). */
    readonly dir: string,
    /** The topmost folder prepare made, removed again if nothing is written; null if it existed. */
    private made: string | null,
    /** The option and its value, as errors show them ('--out results'). */
    private readonly option: string,
  ) {}

  /**
   * Checks the folder `dir` before any work: made one level at a time if missing, then proven
   * writable by creating and removing a file in it. `option` names it in errors ('--out'), with
   * `shown` (the folder, or the file of an OutputFile).
   */
  static async prepare(dir: string, option: string, shown = dir): Promise<OutputSet> {
    let made: string | null;
    try {
      made = await makeFolders(dir);
    } catch (err) {
      throw new WavaeError('INVALID_OPTION', `${option} ${shown}: ${(err as Error).message.replace(/^cannot make the folder [^:]*: /, 'cannot make the folder: ')}`);
    }
    const set = new OutputSet(dir, made, `${option} ${shown}`);
    const probe = tempName(dir, 'wavae-probe', 'tmp');
    try {
      fs.closeSync(fs.openSync(probe, 'wx'));
      fs.rmSync(probe);
    } catch (err) {
      set.abandon();
      throw new WavaeError('INVALID_OPTION', `${option} ${shown}: cannot write files in ${dir} (${errno(err)})`);
    }
    return set;
  }

  /**
   * Checks the names the command will write, before its work: each is absent or a file (or a
   * link) that the set replaces. `replaces`: names of earlier runs' outputs this run does not
   * write, removed with the write so that the folder holds one run's set.
   */
  expect(names: string[], replaces: string[] = []): void {
    for (const name of names) {
      const kind = inTheWay(this.entryAt(name));
      if (kind !== null) {
        this.abandon();
        throw new WavaeError('INVALID_OPTION', `${this.option}: cannot write ${path.join(this.dir, name)}: it is ${kind}`);
      }
      this.names.add(name);
    }
    this.stale = replaces.filter((name) => {
      const stat = this.entryAt(name);
      return !this.names.has(name) && stat !== null && inTheWay(stat) === null;
    });
  }

  /**
   * Writes the files (each a name given to expect) as a set, and returns their paths: all are
   * written to temporary names first, then renamed into place; on any failure none stays and
   * the files they replaced are put back.
   */
  write(files: [string, Uint8Array | string][]): string[] {
    for (const [name] of files) if (!this.names.has(name)) throw new Error(`OutputSet: ${name} was not checked before the work`);
    const temps: string[] = [];
    const placed: { target: string; backup: string | null; moved: boolean }[] = [];
    let current = this.dir;
    try {
      for (const [name, bytes] of files) {
        current = path.join(this.dir, name);
        const tmp = tempName(this.dir, name, 'tmp');
        temps.push(tmp);
        const fd = fs.openSync(tmp, 'wx');
        try {
          fs.writeSync(fd, typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      }
      const stale = this.stale.filter((name) => this.entryAt(name) !== null);
      for (const [i, name] of [...files.map(([n]) => n), ...stale].entries()) {
        current = path.join(this.dir, name);
        const stat = this.entryAt(name);
        const why = inTheWay(stat); // something put there during the work
        if (why !== null) throw new Error(`it is ${why}`);
        const entry = { target: current, backup: stat ? tempName(this.dir, name, 'old') : null, moved: false };
        placed.push(entry);
        if (entry.backup) fs.renameSync(current, entry.backup);
        if (i < files.length) {
          fs.renameSync(temps[i], current);
          entry.moved = true;
        }
      }
    } catch (err) {
      for (const { target, backup, moved } of placed.reverse()) {
        if (moved) fs.rmSync(target, { force: true });
        if (backup) fs.renameSync(backup, target);
      }
      for (const tmp of temps) fs.rmSync(tmp, { force: true });
      this.abandon();
      throw new WavaeError('INVALID_OPTION', `cannot write ${current}: ${errno(err)}; wrote none of ${files.map(([n]) => n).join(', ')}`);
    }
    for (const { backup } of placed) if (backup) fs.rmSync(backup, { force: true });
    syncFolder(this.dir);
    this.made = null;
    return files.map(([name]) => path.join(this.dir, name));
  }

  /** After a failure: removes the folders prepare made, if they are still empty. */
  abandon(): void {
    if (this.made === null) return;
    const top = this.made;
    this.made = null;
    for (let at = path.resolve(this.dir); ; at = path.dirname(at)) {
      try {
        fs.rmdirSync(at);
      } catch {
        return; // not empty (someone else's files): leave it
      }
      if (at === top || path.dirname(at) === at) return;
    }
  }

  /** What is at a name: null for nothing, else its stat (of a link, the link's). */
  private entryAt(name: string): fs.Stats | null {
    try {
      return fs.lstatSync(path.join(this.dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new WavaeError('INVALID_OPTION', `${this.option}: cannot write ${path.join(this.dir, name)}: ${errno(err)}`);
    }
  }
}

/** Why an entry is in the way of an output ('a directory', ...), or null for a file or a link, which an output replaces. */
function inTheWay(stat: fs.Stats | null): string | null {
  if (stat === null || stat.isFile() || stat.isSymbolicLink()) return null;
  return stat.isDirectory() ? 'a directory' : stat.isFIFO() ? 'a FIFO (named pipe)' : stat.isSocket() ? 'a socket' : 'a device';
}

/** fsyncs a folder so that the renames survive a crash (best effort: not every system allows it). */
function syncFolder(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // a folder that cannot be opened or fsynced (some file systems): the renames still happened
  }
}

/**
 * Runs `work` with one output file (--out FILE) checked before it like a set of one: the folder
 * made and writable, the name free or a file to replace. If the work fails, the folders made for
 * it are removed again; `write` replaces the file atomically.
 */
export async function withOutputFile<T>(file: string, option: string, work: (write: (bytes: Uint8Array | string) => void) => Promise<T>): Promise<T> {
  const set = await OutputSet.prepare(path.dirname(file), option, file);
  const name = path.basename(file);
  try {
    set.expect([name]);
    return await work((bytes) => void set.write([[name, bytes]]));
  } catch (err) {
    set.abandon();
    throw err;
  }
}
