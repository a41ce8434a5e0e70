// interface_up_down_delays (src/daemon/link-debounce.ts): keepalived's debounce of link flaps
// and its caps on the delays (keepalived_netlink.c update_interface_flags, vrrp.c
// check_debounce_timers), on a fake timer.
import { describe, expect, it } from 'vitest';
import { effectiveDelays, LinkDebounce, type DebounceNote } from '../../../src/daemon/link-debounce.js';
import type { KeepalivedConfig } from '../../../src/config/model.js';

type Cfg = Pick<KeepalivedConfig, 'interfaceDelays' | 'vrrpInstances'>;
const loc = { file: 'k.conf', line: 1, col: 1 } as never;
const cfg = (delays: [string, number, number][], instances: [string, number, number][]): Cfg => ({
  interfaceDelays: delays.map(([name, downMs, upMs]) => ({ name, downMs, upMs, loc })),
  vrrpInstances: instances.map(([iface, advertIntMs, downTimerAdverts]) => ({ interface: iface, advertIntMs, downTimerAdverts })) as never,
});

class FakeTimers {
  now = 0;
  private next = 1;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  set = (ms: number, fn: () => void): number => {
    const id = this.next++;
    this.due.set(id, { at: this.now + ms, fn });
    return id;
  };
  clear = (h: unknown): void => { this.due.delete(h as number); };
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const first = [...this.due.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!first) break;
      this.due.delete(first[0]);
      this.now = first[1].at;
      first[1].fn();
    }
    this.now = end;
  }
}

describe('interface_up_down_delays', () => {
  it('caps the delays below (down_timer_adverts - 1) * advert_int of each instance on the interface', () => {
    // advert 1 s, 3 adverts: the limit is 2 s, a delay reaching it becomes 2 s - 1/256 s
    expect(effectiveDelays(cfg([['eth0', 0.5e3, 1e3], ['eth1', 2e3, 0]], [['eth0', 1e3, 3]])))
      .toEqual(new Map([['eth0', { downMs: 500, upMs: 1000 }], ['eth1', { downMs: 2000, upMs: 0 }]]));
    expect(effectiveDelays(cfg([['eth0', 5e3, 2e3]], [['eth0', 1e3, 3]]))).toEqual(new Map([['eth0', { downMs: 1996.094, upMs: 1996.094 }]]));
    // the shortest advert_int of the instances there wins
    expect(effectiveDelays(cfg([['eth0', 5e3, 0]], [['eth0', 1e3, 3], ['eth0', 0.5e3, 3]])).get('eth0')!.downMs).toBe(998.047);
    // down_timer_adverts 1: no debounce at all
    expect(effectiveDelays(cfg([['eth0', 1e3, 1e3]], [['eth0', 1e3, 1]]))).toEqual(new Map());
  });

  it('a flap shorter than the delay never counts; a longer one counts once the delay is over', () => {
    const t = new FakeTimers();
    const notes: DebounceNote[] = [];
    let changes = 0;
    const d = new LinkDebounce(new Map([['eth0', { downMs: 1500, upMs: 500 }]]), t, () => { changes++; }, (n) => notes.push(n));
    expect(d.linkUp('eth0', true)).toBe(true);
    // down for 0.5 s: still up, then cancelled
    expect(d.linkUp('eth0', false)).toBe(true);
    expect(d.pending('eth0')).toBe(true);
    t.advance(500);
    expect(d.linkUp('eth0', true)).toBe(true);
    expect(d.pending('eth0')).toBe(false);
    t.advance(5000);
    expect(changes).toBe(0);
    expect(notes).toEqual([{ type: 'delayed', ifname: 'eth0', up: false, delayMs: 1500 }, { type: 'cancelled', ifname: 'eth0' }]);
    // down for good: counts after 1.5 s
    expect(d.linkUp('eth0', false)).toBe(true);
    t.advance(1499);
    expect(changes).toBe(0);
    t.advance(1);
    expect(changes).toBe(1);
    expect(d.linkUp('eth0', false)).toBe(false);
    // and up again after the up delay
    expect(d.linkUp('eth0', true)).toBe(false);
    t.advance(500);
    expect(changes).toBe(2);
    expect(d.linkUp('eth0', true)).toBe(true);
  });

  it('no delay before the interface has been seen up, and none for interfaces without delays', () => {
    const t = new FakeTimers();
    const d = new LinkDebounce(new Map([['eth0', { downMs: 1000, upMs: 1000 }]]), t, () => undefined);
    expect(d.linkUp('eth0', false)).toBe(false);
    expect(d.linkUp('eth0', true)).toBe(true);
    expect(d.linkUp('eth1', true)).toBe(true);
    expect(d.linkUp('eth1', false)).toBe(false);
  });

  it('forget() cancels what is pending', () => {
    const t = new FakeTimers();
    let changes = 0;
    const d = new LinkDebounce(new Map([['eth0', { downMs: 1000, upMs: 0 }]]), t, () => { changes++; });
    d.linkUp('eth0', true);
    d.linkUp('eth0', false);
    d.forget();
    t.advance(2000);
    expect(changes).toBe(0);
  });
});
