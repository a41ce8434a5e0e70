/**
 * An indexed binary min-heap of owners keyed by (deadline, insertion sequence). Each owner is
 * in the heap at most once; rescheduling moves it in place (no stale entries, no per-schedule
 * allocation), so thousands of periodic owners cost O(log n) per reschedule. Owners with the
 * same deadline come out in the order they were scheduled. Used by the VRRP engine (instances)
 * and the checker engine (probe units).
 */
export interface HeapOwner {
  /** deadline the owner is queued at (Infinity when not queued); maintained by the heap */
  heapAt: number;
  /** position in the heap, -1 when not queued; maintained by the heap */
  heapIndex: number;
  /** tie-break for equal deadlines; maintained by the heap */
  heapSeq: number;
}

export class DeadlineHeap<T extends HeapOwner> {
  private readonly items: T[] = [];
  private seq = 0;

  /** (Re)schedules `owner` at `at`; a non-finite `at` takes it out. */
  schedule(owner: T, at: number): void {
    if (owner.heapAt === at) return;
    if (!Number.isFinite(at)) {
      this.remove(owner);
      return;
    }
    owner.heapAt = at;
    owner.heapSeq = this.seq++;
    if (owner.heapIndex < 0) {
      owner.heapIndex = this.items.length;
      this.items.push(owner);
      this.up(owner.heapIndex);
    } else {
      this.up(owner.heapIndex);
      this.down(owner.heapIndex);
    }
  }

  /** Takes `owner` out of the heap (no-op when not queued). */
  remove(owner: T): void {
    owner.heapAt = Number.POSITIVE_INFINITY;
    const i = owner.heapIndex;
    if (i < 0) return;
    owner.heapIndex = -1;
    const last = this.items.pop()!;
    if (last === owner) return;
    this.items[i] = last;
    last.heapIndex = i;
    this.up(i);
    this.down(last.heapIndex);
  }

  /** The earliest deadline, or undefined when empty. */
  peek(): number | undefined {
    return this.items[0]?.heapAt;
  }

  /** The owner due first at or before `now`, left in place (reschedule or remove it). */
  peekDue(now: number): T | undefined {
    const top = this.items[0];
    return top && top.heapAt <= now ? top : undefined;
  }

  /** Removes and returns the owner due first at or before `now`. */
  popDue(now: number): T | undefined {
    const top = this.items[0];
    if (!top || top.heapAt > now) return undefined;
    this.remove(top);
    return top;
  }

  get size(): number {
    return this.items.length;
  }

  clear(): void {
    for (const o of this.items) {
      o.heapIndex = -1;
      o.heapAt = Number.POSITIVE_INFINITY;
    }
    this.items.length = 0;
  }

  private up(start: number): void {
    const h = this.items;
    let i = start;
    const e = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!before(e, parent)) break;
      h[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    h[i] = e;
    e.heapIndex = i;
  }

  private down(start: number): void {
    const h = this.items;
    const n = h.length;
    let i = start;
    const e = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(h[r]!, h[l]!) ? r : l;
      const child = h[c]!;
      if (!before(child, e)) break;
      h[i] = child;
      child.heapIndex = i;
      i = c;
    }
    h[i] = e;
    e.heapIndex = i;
  }
}

function before(a: HeapOwner, b: HeapOwner): boolean {
  return a.heapAt < b.heapAt || (a.heapAt === b.heapAt && a.heapSeq < b.heapSeq);
}
