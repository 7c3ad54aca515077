// Rows: a planned activation buffer of (capacity, cols) whose first n rows are handed out as
// cached views, so a partial last batch reuses the same memory without allocating.
import type { Backend, Buf } from '../backend/index.js';

/** A (capacity, cols) row-major buffer; rows(n) is the view of its first n rows. */
export class Rows {
  readonly full: Buf;
  private readonly views = new Map<number, Buf>();

  constructor(readonly be: Backend, readonly capacity: number, readonly cols: number) {
    this.full = be.alloc(capacity * cols);
    this.views.set(capacity, this.full);
  }

  /** The first n rows (1 <= n <= capacity); the same object for the same n. */
  rows(n: number): Buf {
    let v = this.views.get(n);
    if (!v) {
      v = this.be.view(this.full, 0, n * this.cols);
      this.views.set(n, v);
    }
    return v;
  }

  free(): void {
    this.be.free(this.full);
  }
}
