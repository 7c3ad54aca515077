// The float32 heap's allocator: first-fit over a sorted free list, with neighbours merged on
// free. Every block starts on a 64-byte boundary (16 floats) so SIMD loads stay within cache
// lines. Models allocate when they plan their buffers, never inside a training step.
import { WavaeError } from '../errors.js';

/** A buffer handle: `len` floats starting at float offset `off` of the heap. */
export interface Buf {
  readonly off: number;
  readonly len: number;
}

const ALIGN = 16; // floats

interface Span {
  off: number;
  len: number;
}

/** Hands out aligned spans of [base, limit); grows limit through `grow` when full. */
export class HeapAllocator {
  private free: Span[] = [];
  private readonly sizes = new Map<number, number>(); // off -> allocated length (rounded)
  private top: number; // first float never handed out

  constructor(base: number, private readonly grow: (floats: number) => boolean) {
    this.top = Math.ceil(base / ALIGN) * ALIGN;
  }

  /** Floats handed out and not freed. */
  get inUse(): number {
    let s = 0;
    for (const len of this.sizes.values()) s += len;
    return s;
  }

  alloc(len: number): Buf {
    const size = Math.max(ALIGN, Math.ceil(len / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const span = this.free[i];
      if (span.len >= size) {
        const off = span.off;
        span.off += size;
        span.len -= size;
        if (span.len === 0) this.free.splice(i, 1);
        this.sizes.set(off, size);
        return { off, len };
      }
    }
    const off = this.top;
    if (off + size > 2 ** 30 || !this.grow(off + size)) {
      throw new WavaeError('OUT_OF_MEMORY', `cannot grow the heap to ${((off + size) * 4 / 2 ** 20).toFixed(1)} MiB for a buffer of ${len} floats`);
    }
    this.top = off + size;
    this.sizes.set(off, size);
    return { off, len };
  }

  /** Grows the heap so that `floats` more floats fit above everything handed out; false if it cannot. */
  reserve(floats: number): boolean {
    return this.top + floats <= 2 ** 30 && this.grow(this.top + floats);
  }

  release(buf: Buf): void {
    const size = this.sizes.get(buf.off);
    if (size === undefined) {
      throw new WavaeError('INVALID_OPTION', `free: no live buffer starts at offset ${buf.off}`);
    }
    this.sizes.delete(buf.off);
    let i = 0;
    while (i < this.free.length && this.free[i].off < buf.off) i++;
    this.free.splice(i, 0, { off: buf.off, len: size });
    // merge with the next and the previous span
    if (i + 1 < this.free.length && this.free[i].off + this.free[i].len === this.free[i + 1].off) {
      this.free[i].len += this.free[i + 1].len;
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1].off + this.free[i - 1].len === this.free[i].off) {
      this.free[i - 1].len += this.free[i].len;
      this.free.splice(i, 1);
    }
  }
}
