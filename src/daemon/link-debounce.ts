/**
 * interface_up_down_delays: keepalived's debounce of link flaps (keepalived_netlink.c
 * update_interface_flags). Once an interface has been seen up, a change of its link state
 * (up and running) counts only when it has lasted the interface's down (or up) delay; a flap
 * back within the delay cancels it ("Delay timer for eth0 cancelled") and nothing happens.
 *
 * The delays are capped per interface so that a debounced failure still comes before the
 * peer's takeover (vrrp.c check_debounce_timers): below (down_timer_adverts - 1) * advert_int
 * of every instance on it, at that minus advert_int / 256, and both are 0 when an instance
 * there has down_timer_adverts 1. (keepalived lowers them again when a VRRPv3 master adverts
 * a shorter interval; here the configured advert_int decides.)
 */
import type { KeepalivedConfig } from '../config/model.js';

export interface Delays {
  readonly downMs: number;
  readonly upMs: number;
}

/** The delays that apply, by interface name (interfaces without delays are absent). */
export function effectiveDelays(cfg: Pick<KeepalivedConfig, 'interfaceDelays' | 'vrrpInstances'>): Map<string, Delays> {
  const out = new Map<string, { downUs: number; upUs: number }>();
  for (const d of cfg.interfaceDelays ?? []) out.set(d.name, { downUs: Math.round(d.downMs * 1000), upUs: Math.round(d.upMs * 1000) });
  for (const vi of cfg.vrrpInstances) {
    const d = vi.interface === undefined ? undefined : out.get(vi.interface);
    if (!d) continue;
    if (vi.downTimerAdverts === 1) {
      d.downUs = 0;
      d.upUs = 0;
      continue;
    }
    const advUs = Math.round(vi.advertIntMs * 1000);
    const limit = (vi.downTimerAdverts - 1) * advUs;
    const capped = limit - Math.floor(advUs / 256);
    if (d.upUs >= limit) d.upUs = capped;
    if (d.downUs >= limit) d.downUs = capped;
  }
  const result = new Map<string, Delays>();
  for (const [name, d] of out) if (d.downUs > 0 || d.upUs > 0) result.set(name, { downMs: d.downUs / 1000, upMs: d.upUs / 1000 });
  return result;
}

export interface DebounceTimers {
  set(ms: number, fn: () => void): unknown;
  clear(handle: unknown): void;
}

export type DebounceNote =
  | { type: 'delayed'; ifname: string; up: boolean; delayMs: number }
  | { type: 'cancelled'; ifname: string };

interface LinkState {
  /** the state that counts */
  up: boolean;
  seenUp: boolean;
  pending?: { up: boolean; handle: unknown };
}

/** The link states that count, per interface, with the delays applied. */
export class LinkDebounce {
  private readonly links = new Map<string, LinkState>();

  constructor(
    private delays: Map<string, Delays>,
    private readonly timers: DebounceTimers,
    /** a delayed change took effect: look at the interfaces again */
    private readonly onChange: () => void,
    private readonly note: (n: DebounceNote) => void = () => undefined,
  ) {}

  /** New delays (a reload); a pending change keeps its timer. */
  setDelays(delays: Map<string, Delays>): void {
    this.delays = delays;
  }

  /** The link state of `ifname` that counts, given what the kernel says now (`raw`). */
  linkUp(ifname: string, raw: boolean): boolean {
    let s = this.links.get(ifname);
    if (!s) {
      s = { up: raw, seenUp: raw };
      this.links.set(ifname, s);
      return raw;
    }
    if (s.pending) {
      if (s.pending.up === raw) return s.up;
      // back to where it was before the delay ran out: the change never happened
      this.timers.clear(s.pending.handle);
      s.pending = undefined;
      this.note({ type: 'cancelled', ifname });
    }
    if (raw === s.up) return s.up;
    const d = this.delays.get(ifname);
    const delayMs = d ? (raw ? d.upMs : d.downMs) : 0;
    if (s.seenUp && delayMs > 0) {
      const state = s;
      const handle = this.timers.set(delayMs, () => {
        state.pending = undefined;
        state.up = raw;
        if (raw) state.seenUp = true;
        this.onChange();
      });
      s.pending = { up: raw, handle };
      this.note({ type: 'delayed', ifname, up: raw, delayMs });
      return s.up;
    }
    s.up = raw;
    if (raw) s.seenUp = true;
    return raw;
  }

  /** Whether a delayed change of `ifname` is waiting (the data dump's "Delayed state change running"). */
  pending(ifname: string): boolean {
    return this.links.get(ifname)?.pending !== undefined;
  }

  /** Forget an interface that is gone; cancel everything at stop. */
  forget(ifname?: string): void {
    for (const [name, s] of this.links) {
      if (ifname !== undefined && name !== ifname) continue;
      if (s.pending) this.timers.clear(s.pending.handle);
      this.links.delete(name);
    }
  }
}
