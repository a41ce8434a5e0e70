/**
 * Failover timing, measured by the daemon itself: three histograms per instance, exported as
 * `keepalived_ts_failover_*_seconds` (src/control/metrics.ts).
 *
 * - detection: the last advert heard (or the start of the Master_Down timer, when this node
 *   entered BACKUP after that advert) -> this node enters MASTER. With no advert and no
 *   BACKUP before (an address owner starting as MASTER), nothing is observed.
 * - VIPs installed: MASTER entered -> every address of the instance added by netlink.
 * - first GARP: MASTER entered -> the first gratuitous ARP / unsolicited NA sent.
 *
 * Each of the two later figures is taken once per MASTER entry; leaving MASTER before they
 * happen drops the pending measurement. Times are the daemon's monotonic clock, in ms.
 */

/** Upper bounds of the buckets, in ms (detection at advert_int 1 s is about 3.6 s). */
export const FAILOVER_BUCKETS_MS: readonly number[] = [
  1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000,
];

/** A histogram as plain data: cumulative counts per bucket (the +Inf bucket is `count`). */
export interface HistogramData {
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly sum: number;
  readonly count: number;
}

export type FailoverPhase = 'detection' | 'vipsInstalled' | 'firstGarp';
export const FAILOVER_PHASES: readonly FailoverPhase[] = ['detection', 'vipsInstalled', 'firstGarp'];

/** instance -> phase -> histogram (ms) */
export type FailoverSnapshot = Readonly<Record<string, Readonly<Record<FailoverPhase, HistogramData>>>>;

class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(v: number): void {
    if (!Number.isFinite(v) || v < 0) return;
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) {
      if (v <= this.bounds[i]!) {
        this.counts[i]!++;
        break;
      }
    }
  }

  data(): HistogramData {
    let acc = 0;
    const buckets = this.bounds.map((le, i) => ({ le, count: (acc += this.counts[i]!) }));
    return { buckets, sum: this.sum, count: this.count };
  }
}

interface Track {
  /** last advert heard, or the Master_Down timer start (BACKUP entered) */
  lastHeardAt?: number;
  /** MASTER entered, while the VIP / GARP figures are still pending */
  vipsPendingSince?: number;
  garpPendingSince?: number;
  /** a GARP sent while nothing was pending: the first of a takeover whose state change is performed after it */
  garpUnclaimedAt?: number;
  readonly h: Record<FailoverPhase, Histogram>;
}

export class FailoverTiming {
  private readonly tracks = new Map<string, Track>();

  constructor(private readonly bounds: readonly number[] = FAILOVER_BUCKETS_MS) {}

  private track(instance: string): Track {
    let t = this.tracks.get(instance);
    if (!t) {
      const h = { detection: new Histogram(this.bounds), vipsInstalled: new Histogram(this.bounds), firstGarp: new Histogram(this.bounds) };
      this.tracks.set(instance, (t = { h }));
    }
    return t;
  }

  /** A valid advert for this instance (from the master, or any peer) was received. */
  advertReceived(instance: string, nowMs: number): void {
    this.track(instance).lastHeardAt = nowMs;
  }

  /** The instance entered BACKUP: its Master_Down timer starts now. */
  backupEntered(instance: string, nowMs: number): void {
    const t = this.track(instance);
    t.vipsPendingSince = undefined;
    t.garpPendingSince = undefined;
    if (t.lastHeardAt === undefined || nowMs > t.lastHeardAt) t.lastHeardAt = nowMs;
  }

  /**
   * The instance entered MASTER. `lastAdvertAtMs`: when the engine records the last advert
   * itself, it may be passed here instead of calling advertReceived() per packet.
   */
  enteredMaster(instance: string, nowMs: number, lastAdvertAtMs?: number): void {
    const t = this.track(instance);
    if (lastAdvertAtMs !== undefined && (t.lastHeardAt === undefined || lastAdvertAtMs > t.lastHeardAt)) t.lastHeardAt = lastAdvertAtMs;
    if (t.lastHeardAt !== undefined && t.lastHeardAt <= nowMs) t.h.detection.observe(nowMs - t.lastHeardAt);
    t.lastHeardAt = undefined;
    t.vipsPendingSince = nowMs;
    t.garpPendingSince = nowMs;
    // the takeover's first GARP goes out with its advert, before the state change is performed
    // (src/daemon/driver.ts): it is counted from the step that entered MASTER
    if (t.garpUnclaimedAt !== undefined && t.garpUnclaimedAt >= nowMs) this.garpSent(instance, t.garpUnclaimedAt);
    t.garpUnclaimedAt = undefined;
  }

  /** The instance left MASTER (BACKUP, FAULT, STOP): pending figures are dropped. */
  leftMaster(instance: string): void {
    const t = this.tracks.get(instance);
    if (!t) return;
    t.vipsPendingSince = undefined;
    t.garpPendingSince = undefined;
  }

  /** Every address of the instance is in the kernel (the install promise resolved). */
  vipsInstalled(instance: string, nowMs: number): void {
    const t = this.tracks.get(instance);
    if (t?.vipsPendingSince === undefined) return;
    t.h.vipsInstalled.observe(nowMs - t.vipsPendingSince);
    t.vipsPendingSince = undefined;
  }

  /** A gratuitous ARP or unsolicited NA of the instance went out. */
  garpSent(instance: string, nowMs: number): void {
    const t = this.tracks.get(instance);
    if (!t) return;
    if (t.garpPendingSince === undefined) {
      t.garpUnclaimedAt = nowMs;
      return;
    }
    t.h.firstGarp.observe(nowMs - t.garpPendingSince);
    t.garpPendingSince = undefined;
  }

  /** An instance left the configuration. */
  forget(instance: string): void {
    this.tracks.delete(instance);
  }

  /** The histograms, per instance (bounds and sums in ms). */
  observe(): FailoverSnapshot {
    const out: Record<string, Record<FailoverPhase, HistogramData>> = {};
    for (const [name, t] of this.tracks) {
      out[name] = { detection: t.h.detection.data(), vipsInstalled: t.h.vipsInstalled.data(), firstGarp: t.h.firstGarp.data() };
    }
    return out;
  }
}
