/**
 * An indexed binary min-heap of owners keyed by (deadline, sequence): each owner sits in the
 * heap at most once and rescheduling moves it in place, so there are no stale entries.
 * Equal deadlines run in the order they were scheduled.
 */
export interface Queued {
  /** deadline the owner is queued at (Infinity = not queued) */
  queuedAt: number;
  /** position in the heap, -1 when not queued (maintained by the queue) */
  heapIndex: number;
  /** tie-break for equal deadlines (maintained by the queue) */
  queuedSeq: number;
}

export class DeadlineQueue<T extends Queued> {
  private readonly heap: T[] = [];
  private seq = 0;

  /** (Re)schedules `owner` at `at`; a non-finite `at` removes it. */
  schedule(owner: T, at: number): void {
    if (owner.queuedAt === at) return;
    if (!Number.isFinite(at)) {
      this.remove(owner);
      return;
    }
    owner.queuedAt = at;
    owner.queuedSeq = this.seq++;
    if (owner.heapIndex < 0) {
      owner.heapIndex = this.heap.length;
      this.heap.push(owner);
      this.up(owner.heapIndex);
    } else {
      this.up(owner.heapIndex);
      this.down(owner.heapIndex);
    }
  }

  /** The earliest deadline, if any. */
  peek(): number | undefined {
    return this.heap[0]?.queuedAt;
  }

  /** The owner due first at or before `now`, left in place (reschedule or remove it). */
  peekDue(now: number): T | undefined {
    const top = this.heap[0];
    return top && top.queuedAt <= now ? top : undefined;
  }

  /** Removes and returns the owner due first at or before `now`. */
  popDue(now: number): T | undefined {
    const top = this.heap[0];
    if (!top || top.queuedAt > now) return undefined;
    this.remove(top);
    return top;
  }

  get size(): number {
    return this.heap.length;
  }

  private remove(owner: T): void {
    owner.queuedAt = Number.POSITIVE_INFINITY;
    const i = owner.heapIndex;
    if (i < 0) return;
    owner.heapIndex = -1;
    const last = this.heap.pop()!;
    if (last === owner) return;
    this.heap[i] = last;
    last.heapIndex = i;
    this.up(i);
    this.down(last.heapIndex);
  }

  private up(start: number): void {
    const h = this.heap;
    let i = start;
    const e = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!less(e, parent)) break;
      h[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    h[i] = e;
    e.heapIndex = i;
  }

  private down(start: number): void {
    const h = this.heap;
    const n = h.length;
    let i = start;
    const e = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && less(h[r]!, h[l]!) ? r : l;
      const child = h[c]!;
      if (!less(child, e)) break;
      h[i] = child;
      child.heapIndex = i;
      i = c;
    }
    h[i] = e;
    e.heapIndex = i;
  }
}

function less(a: Queued, b: Queued): boolean {
  return a.queuedAt < b.queuedAt || (a.queuedAt === b.queuedAt && a.queuedSeq < b.queuedSeq);
}
