/**
 * A binary min-heap of (deadline, sequence) with lazy invalidation: an owner records the
 * deadline it last queued, and entries whose deadline no longer matches are skipped.
 */
export interface Queued {
  queuedAt: number;
}

interface Entry<T extends Queued> {
  readonly at: number;
  readonly seq: number;
  readonly owner: T;
}

export class DeadlineQueue<T extends Queued> {
  private heap: Entry<T>[] = [];
  private seq = 0;

  /** (Re)schedules `owner` at `at`; a non-finite `at` just cancels. */
  schedule(owner: T, at: number): void {
    if (owner.queuedAt === at) return;
    owner.queuedAt = at;
    if (!Number.isFinite(at)) return;
    const e: Entry<T> = { at, seq: this.seq++, owner };
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(e, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  /** The earliest live deadline, if any. */
  peek(): number | undefined {
    this.dropStale();
    return this.heap[0]?.at;
  }

  /** Removes and returns the owner of the earliest live entry due at or before `now`. */
  popDue(now: number): T | undefined {
    this.dropStale();
    const top = this.heap[0];
    if (!top || top.at > now) return undefined;
    this.pop();
    top.owner.queuedAt = Number.POSITIVE_INFINITY;
    return top.owner;
  }

  private dropStale(): void {
    while (this.heap.length > 0 && this.heap[0]!.at !== this.heap[0]!.owner.queuedAt) this.pop();
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && less(h[r]!, h[l]!) ? r : l;
      if (!less(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}

function less<T extends Queued>(a: Entry<T>, b: Entry<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
