// GarpSender (src/daemon/garp.ts) against a fake packet port: burst order (rounds of one frame
// per address), frames on each address's own interface with its MAC, and the spacing of
// vrrp_garp_interval / vrrp_gna_interval.
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AddressEntry } from '../../../src/config/model.js';
import { GarpSender } from '../../../src/daemon/garp.js';
import { LinkTable } from '../../../src/daemon/links.js';
import { parsePrefix } from '../../../src/util/ip.js';

const log = pino({ level: 'silent' });
const vip = (text: string, dev?: string): AddressEntry => ({
  loc: 0 as never, address: parsePrefix(text)!, ...(dev ? { dev } : {}), noDad: true, noPrefixRoute: false, home: false, noTrack: false, useVmac: false,
});
const mac = (n: number) => Uint8Array.of(2, 0, 0, 0, 0, n);
const links = () => new LinkTable([
  { index: 2, name: 'eth0', up: true, running: true, mac: mac(2), mtu: 1500 },
  { index: 3, name: 'eth1', up: true, running: true, mac: mac(3), mtu: 1500 },
] as never, []);

function fakePort() {
  const sent: { ifindex: number; target: string; srcMac: number; at: number }[] = [];
  return {
    sent,
    send(ifindex: number, frame: Uint8Array) {
      // ARP: target IP at 38..41; NA: target at 14+40+8..; source MAC at 6..11
      const target = frame[12] === 0x08 ? [...frame.subarray(38, 42)].join('.') : 'v6';
      sent.push({ ifindex, target, srcMac: frame[11]!, at: Date.now() });
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('GarpSender', () => {
  it('sends `repeat` rounds of one frame per address, each on its interface with its MAC', () => {
    const port = fakePort();
    const g = new GarpSender(port, links(), () => false, log);
    g.burst('VI_1', 'eth0', [vip('10.0.0.1/24'), vip('10.1.0.1/32', 'eth1'), vip('fd00::1/64')], 2);
    expect(port.sent.map((s) => `${s.ifindex} ${s.target} ${s.srcMac}`)).toEqual([
      '2 10.0.0.1 2', '3 10.1.0.1 3', '2 v6 2',
      '2 10.0.0.1 2', '3 10.1.0.1 3', '2 v6 2',
    ]);
    expect(g.stats).toEqual({ garpSent: 4, naSent: 2, errors: 0 });
  });

  it('spaces GARPs on one interface by vrrp_garp_interval, NAs by vrrp_gna_interval', () => {
    vi.useFakeTimers();
    const port = fakePort();
    const g = new GarpSender(port, links(), () => false, log, { garpMs: 100, gnaMs: 0 });
    g.burst('VI_1', 'eth0', [vip('10.0.0.1/24'), vip('10.0.0.2/24'), vip('fd00::1/64')], 1);
    // the NA is not rate-limited; the first GARP goes at once, the second 100 ms later
    expect(port.sent.map((s) => s.target)).toEqual(['10.0.0.1', 'v6']);
    vi.advanceTimersByTime(99);
    expect(port.sent.length).toBe(2);
    vi.advanceTimersByTime(1);
    expect(port.sent.map((s) => s.target)).toEqual(['10.0.0.1', 'v6', '10.0.0.2']);
  });

  it('with spacing, a repeat that finds its address still waiting folds into it (keepalived\'s pending flag)', () => {
    vi.useFakeTimers();
    const port = fakePort();
    const g = new GarpSender(port, links(), () => false, log, { garpMs: 100, gnaMs: 0 });
    g.burst('VI_1', 'eth0', [vip('10.0.0.1/24'), vip('10.0.0.2/24')], 3);
    vi.advanceTimersByTime(1000);
    // round 1: .1 at once, .2 waits; rounds 2 and 3: .1 waits once, .2 is already waiting
    expect(port.sent.map((s) => s.target)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.1']);
  });

  it('a garp_group spaces the frames of all its interfaces in one queue, with its own intervals', () => {
    vi.useFakeTimers();
    const port = fakePort();
    const groups = new Map([['eth0', { group: 0, garpMs: 200, gnaMs: 0 }], ['eth1', { group: 0, garpMs: 200, gnaMs: 0 }]]);
    const g = new GarpSender(port, links(), () => false, log, { garpMs: 0, gnaMs: 0, groups });
    g.burst('VI_1', 'eth0', [vip('10.0.0.1/24'), vip('10.1.0.1/32', 'eth1')], 1);
    expect(port.sent.map((s) => s.target)).toEqual(['10.0.0.1']);
    vi.advanceTimersByTime(200);
    expect(port.sent.map((s) => `${s.ifindex} ${s.target}`)).toEqual(['2 10.0.0.1', '3 10.1.0.1']);
    // without the group the global spacing (none) applies: both at once
    g.setSpacing({ garpMs: 0, gnaMs: 0 });
    g.burst('VI_1', 'eth0', [vip('10.0.0.1/24'), vip('10.1.0.1/32', 'eth1')], 1);
    expect(port.sent.length).toBe(4);
  });

  it('frames built ahead (prepare) are sent as they are, and rebuilt when the interface changes', () => {
    const port = { frames: [] as Uint8Array[], send(_i: number, f: Uint8Array) { this.frames.push(f); } };
    const table = links();
    let router = false;
    const g = new GarpSender(port, table, () => router, log);
    const entries = [vip('10.0.0.1/24'), vip('fd00::1/64')];
    g.prepare('VI_1', 'eth0', entries);
    g.burst('VI_1', 'eth0', entries, 1);
    g.burst('VI_1', 'eth0', entries, 1);
    expect(port.frames[2]).toBe(port.frames[0]); // the same frame, not built again
    expect(port.frames[3]).toBe(port.frames[1]);
    // a new MAC on eth0 (the link table holds a new object) and forwarding turned on
    table.apply({ type: 'link', deleted: false, link: { index: 2, name: 'eth0', up: true, running: true, mac: mac(9), mtu: 1500 } as never });
    router = true;
    g.burst('VI_1', 'eth0', entries, 1);
    expect(port.frames[4]![11]).toBe(9);
    expect(port.frames[5]).not.toEqual(port.frames[1]);
    expect(port.frames[5]![11]).toBe(9);
  });

  it('a failing send is counted, never thrown', () => {
    const g = new GarpSender({ send: () => { throw new Error('ENXIO'); } }, links(), () => false, log);
    g.burst('VI_1', 'eth0', [vip('10.0.0.1/24')], 3);
    expect(g.stats.errors).toBe(3);
  });
});
