// The shared-memory form of a kernels module, derived from its bytes. The kernels use no atomics
// and no data segments, so the threaded build differs from the single-threaded one only in its
// memory: imported as `env.memory`, shared, with a maximum. Deriving it at load time (instead of
// embedding a second copy of every module) keeps the browser bundle small; the build checks that
// the result is byte for byte what asc emits for the shared-memory target.

/** Pages of the shared memory: initial, and the maximum (4 GiB, what wasm32 can address). */
export const SHARED_PAGES = { initial: 32, maximum: 65536 };

const MEMORY_SECTION = 5;
const START_SECTION = 8;
const DATA_SECTION = 11;
const IMPORT_SECTION = 2;
const MEMORY_KIND = 2;
const SHARED_WITH_MAX = 3;

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

/** Reads an unsigned LEB128 at pos; returns [value, next position]. */
function readLeb(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= bytes.length) throw new Error('truncated module');
    const byte = bytes[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(byte & 0x80)) return [value, pos];
  }
}

function name(text: string): number[] {
  return [...leb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
}

const SHARED_LIMITS = [SHARED_WITH_MAX, ...leb(SHARED_PAGES.initial), ...leb(SHARED_PAGES.maximum)];

interface Section { id: number; payload: Uint8Array }

const MAGIC = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]; // \0asm, version 1

function sections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('not a WebAssembly module');
  const out: Section[] = [];
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos];
    const [size, start] = readLeb(bytes, pos + 1);
    if (start + size > bytes.length) throw new Error('truncated module');
    // every thread instantiates the module on the same memory: data or a start function would run again in each
    if (id === DATA_SECTION || id === START_SECTION) throw new Error('a module with data or a start function cannot be shared by threads');
    out.push({ id, payload: bytes.subarray(start, start + size) });
    pos = start + size;
  }
  return out;
}

/** An import section's entries with every memory import's limits made shared (with a maximum). */
function shareImports(payload: Uint8Array): number[] {
  const [count, first] = readLeb(payload, 0);
  const out = [...leb(count)];
  let pos = first;
  for (let i = 0; i < count; i++) {
    const start = pos;
    for (let s = 0; s < 2; s++) { // module and field names
      const [len, at] = readLeb(payload, pos);
      pos = at + len;
    }
    const kind = payload[pos++];
    out.push(...payload.subarray(start, pos));
    if (kind !== MEMORY_KIND) throw new Error('the kernels import only their memory');
    const flags = payload[pos++];
    [, pos] = readLeb(payload, pos);
    if (flags & 1) [, pos] = readLeb(payload, pos);
    out.push(...SHARED_LIMITS);
  }
  return out;
}

/**
 * The module with its memory imported as a shared `env.memory` (SHARED_PAGES): a module that
 * defines its memory gets an import instead; one that imports it gets shared limits.
 */
export function sharedMemoryModule(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const all = sections(bytes);
  const memoryImport = [...leb(1), ...name('env'), ...name('memory'), MEMORY_KIND, ...SHARED_LIMITS];
  const out: number[] = [...bytes.subarray(0, 8)];
  const push = (id: number, payload: ArrayLike<number>): void => {
    out.push(id, ...leb(payload.length));
    for (let i = 0; i < payload.length; i++) out.push(payload[i]);
  };
  const defines = all.some((s) => s.id === MEMORY_SECTION);
  if (defines && all.some((s) => s.id === IMPORT_SECTION)) throw new Error('the kernels import nothing when they define their memory');
  let placed = !defines;
  for (const s of all) {
    if (!placed && s.id !== 0 && s.id > IMPORT_SECTION) {
      push(IMPORT_SECTION, memoryImport);
      placed = true;
    }
    if (s.id === MEMORY_SECTION) continue;
    push(s.id, s.id === IMPORT_SECTION ? shareImports(s.payload) : s.payload);
  }
  return new Uint8Array(out);
}
