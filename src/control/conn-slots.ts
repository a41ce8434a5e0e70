/**
 * Connection slots of one control listener (server.ts): who keeps a slot when the listener is
 * full. Sans-I/O: the caller says when a connection opens, advances and closes, with the time;
 * `admit` and `sweep` answer which connections to destroy.
 *
 * The policy, chosen so that `keepalived-ts status` (and a Prometheus scrape) gets through while
 * one client holds or opens many connections:
 * - A connection is *protected* while its request is being handled or answered, and during its
 *   first `graceMs` if it has sent nothing yet: its request may be in the kernel, not yet read
 *   (a burst of connections is accepted in one batch before any of them is read).
 * - Every other connection may be evicted: idle keep-alive connections first (longest idle
 *   first), then the oldest of those still sending their request (slow) or silent past their
 *   grace. A client that sends its request in one write, as every real client does, is
 *   handled before it can be evicted; only slow and silent connections lose their slot.
 * - Newcomers are admitted even over the limits, and a sweep (run `graceMs` after the limits
 *   are passed, and again while they are) evicts the excess: first the connections of each
 *   client over its share (`perClient`, per remote address on TCP: a client loses its own,
 *   never another's), then the listener's over `maxConnections`. In a burst of silent
 *   connections, a real request that arrived among them is answered while they are swept.
 *   Only at `hardMaxConnections` (a bound on file descriptors) does a newcomer take a slot at
 *   once, or get refused when every connection is protected.
 * - The Unix socket has no remote address and every client is local: one client, whose share
 *   is the whole listener; eviction alone keeps a slot for `status`.
 * Each connection also has a budget of its own (guard.ts): header and request
 * timeouts, an idle timeout and a body limit, so a slot is never held for long.
 */

export type ConnPhase =
  /** accepted; no complete request head yet (it may have sent part of one) */
  | 'open'
  /** request head in; its body is being read */
  | 'body'
  /** the handler runs or the answer is being written: never evicted */
  | 'busy'
  /** answered; waiting for the next request on a keep-alive connection */
  | 'idle';

export interface SlotLimits {
  /** slots of the listener: the sweep brings the connections back to this many */
  readonly maxConnections: number;
  /** at this many connections a newcomer evicts one at once, or is refused */
  readonly hardMaxConnections: number;
  /** slots one client may hold (Infinity: no per-client limit) */
  readonly perClient: number;
  /** a silent connection is protected this long after it was accepted */
  readonly graceMs: number;
}

interface Slot<T> {
  readonly conn: T;
  readonly client: string;
  readonly openedAtMs: number;
  phase: ConnPhase;
  /** when it entered its phase */
  sinceMs: number;
}

export interface Admission<T> {
  /** the new connection may stay (for now: `sweep` may evict it later) */
  readonly admitted: boolean;
  /** connections to destroy (already removed from the table) */
  readonly evict: readonly T[];
}

export class ConnSlots<T> {
  private readonly slots = new Map<T, Slot<T>>();
  private readonly perClientCount = new Map<string, number>();

  constructor(
    private readonly limits: SlotLimits,
    /** bytes received so far on a connection (a silent one has 0) */
    private readonly bytesRead: (conn: T) => number,
  ) {}

  get size(): number {
    return this.slots.size;
  }

  /** More connections than slots (overall or for some client): `sweep` has work to do. */
  get overLimit(): boolean {
    if (this.slots.size > this.limits.maxConnections) return true;
    for (const n of this.perClientCount.values()) if (n > this.limits.perClient) return true;
    return false;
  }

  /**
   * A connection was accepted. It is admitted even over the limits (`sweep` restores them once
   * the newcomers' grace is over), up to `hardMaxConnections`; there it takes the slot of the
   * first connection in eviction order, or is refused when every connection is protected.
   */
  admit(conn: T, client: string, nowMs: number): Admission<T> {
    const evict: T[] = [];
    if (this.slots.size >= this.limits.hardMaxConnections) {
      const v = this.victim(nowMs);
      if (v === undefined) return { admitted: false, evict };
      this.remove(v);
      evict.push(v);
    }
    this.slots.set(conn, { conn, client, openedAtMs: nowMs, phase: 'open', sinceMs: nowMs });
    this.perClientCount.set(client, (this.perClientCount.get(client) ?? 0) + 1);
    return { admitted: true, evict };
  }

  /**
   * Back within the limits, as far as unprotected connections allow: first each client over
   * its share loses its own, then the listener's oldest go. Call again `graceMs` later while
   * `overLimit`.
   */
  sweep(nowMs: number): T[] {
    const candidates = [...this.slots.values()].filter((s) => this.evictable(s, nowMs)).sort(evictionOrder);
    const evict: T[] = [];
    for (const s of candidates) {
      if ((this.perClientCount.get(s.client) ?? 0) <= this.limits.perClient) continue;
      this.remove(s.conn);
      evict.push(s.conn);
    }
    for (const s of candidates) {
      if (this.slots.size <= this.limits.maxConnections) break;
      if (!this.slots.has(s.conn)) continue;
      this.remove(s.conn);
      evict.push(s.conn);
    }
    return evict;
  }

  /** The connection moved on (request head in, handler started, answer written). */
  phase(conn: T, phase: ConnPhase, nowMs: number): void {
    const s = this.slots.get(conn);
    if (!s || s.phase === phase) return;
    s.phase = phase;
    s.sinceMs = nowMs;
  }

  /** The connection closed (or was destroyed). */
  remove(conn: T): void {
    const s = this.slots.get(conn);
    if (!s) return;
    this.slots.delete(conn);
    const n = (this.perClientCount.get(s.client) ?? 1) - 1;
    if (n > 0) this.perClientCount.set(s.client, n);
    else this.perClientCount.delete(s.client);
  }

  /** The first connection in eviction order. */
  private victim(nowMs: number): T | undefined {
    let best: Slot<T> | undefined;
    for (const s of this.slots.values()) {
      if (this.evictable(s, nowMs) && (!best || evictionOrder(s, best) < 0)) best = s;
    }
    return best?.conn;
  }

  private evictable(s: Slot<T>, nowMs: number): boolean {
    if (s.phase === 'busy') return false;
    if (s.phase !== 'open') return true;
    return this.bytesRead(s.conn) > 0 || nowMs - s.openedAtMs >= this.limits.graceMs;
  }
}

/** Idle keep-alive connections first (longest idle first), then the oldest connection. */
function evictionOrder<T>(a: Slot<T>, b: Slot<T>): number {
  const ai = a.phase === 'idle';
  const bi = b.phase === 'idle';
  if (ai !== bi) return ai ? -1 : 1;
  return ai ? a.sinceMs - b.sinceMs : a.openedAtMs - b.openedAtMs;
}
