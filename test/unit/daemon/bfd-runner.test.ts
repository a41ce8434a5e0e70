// The BFD sessions as the VRRP process runs them (src/daemon/bfd-runner.ts): two runners
// joined by an in-memory transport on fake timers come Up, report Up / Down to VRRP, detect a
// silent neighbour within the detection time, demultiplex by discriminator and by addresses,
// and count what they cannot use.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BfdInstance } from '../../../src/config/model.js';
import { BfdRunner, type BfdTransport } from '../../../src/daemon/bfd-runner.js';
import { parseIp } from '../../../src/util/ip.js';

const loc = { file: 'k.conf', line: 1, col: 1 } as never;
const inst = (name: string, neighbor: string, over: Partial<BfdInstance> = {}): BfdInstance => ({
  name, neighborIp: parseIp(neighbor)!, minRxUs: 100_000, minTxUs: 100_000, idleTxUs: 1_000_000, multiplier: 3, passive: false,
  ttl: 255, maxHops: 0, weight: 0, weightReverse: false, vrrp: true, checker: true, loc, ...over,
});

/** Two hosts, A (10.0.0.1) and B (10.0.0.2), and a wire between them that can be cut. */
function rig() {
  const lines: { msg: string }[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string }) });
  let cut = false;
  const reports: string[] = [];
  const runners: Record<'a' | 'b', BfdRunner> = {} as never;
  const transport = (addr: string, peer: 'a' | 'b'): BfdTransport => ({
    open: () => undefined,
    release: () => undefined,
    close: () => undefined,
    send: (_name, data, neighbor) => {
      // only the peer is on the wire
      if (cut || neighbor !== (peer === 'a' ? '10.0.0.1' : '10.0.0.2')) return;
      // delivered on the next turn of the loop, as a datagram would be
      setTimeout(() => runners[peer].receive({ data, src: addr, dst: peer === 'a' ? '10.0.0.1' : '10.0.0.2', ttl: 255 }), 0);
    },
  });
  const now = () => Date.now();
  runners.a = new BfdRunner(transport('10.0.0.1', 'b'), log, (n, up) => void reports.push(`a:${n}:${up ? 'up' : 'down'}`), now);
  runners.b = new BfdRunner(transport('10.0.0.2', 'a'), log, (n, up) => void reports.push(`b:${n}:${up ? 'up' : 'down'}`), now);
  return { runners, reports, lines, cutWire: () => { cut = true; } };
}

describe('BfdRunner', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('two runners come Up, report it, and a silent neighbour is Down within the detection time', async () => {
    const { runners, reports, lines, cutWire } = rig();
    runners.a.set([inst('to_b', '10.0.0.2')]);
    runners.b.set([inst('to_a', '10.0.0.1')]);
    // both start Down, and say so to VRRP
    expect(reports).toEqual(['a:to_b:down', 'b:to_a:down']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(reports).toEqual(expect.arrayContaining(['a:to_b:up', 'b:to_a:up']));
    expect(runners.a.states()[0]!.state).toBe('Up');
    expect(lines.map((l) => l.msg)).toContain('(to_b) Entering Up state');
    reports.length = 0;
    cutWire();
    // Detection Time 3 x 100 ms from the last packet, which came at most one interval before the cut
    await vi.advanceTimersByTimeAsync(3 * 100 + 1);
    expect(reports.sort()).toEqual(['a:to_b:down', 'b:to_a:down']);
    expect(lines.map((l) => l.msg)).toContain('(to_b) Entering Down state (Local diagnostic - Control Detection Time Expired, Remote diagnostic - No Diagnostic)');
    runners.a.stop();
    runners.b.stop();
  });

  it('counts what it cannot use: garbage, a packet for no session, the wrong source', async () => {
    const { runners } = rig();
    runners.a.set([inst('to_b', '10.0.0.2')]);
    runners.a.receive({ data: new Uint8Array([1, 2, 3]), src: '10.0.0.2', dst: '10.0.0.1', ttl: 255 });
    // a valid Down packet from an address no session has
    const down = new Uint8Array([0x20, 0x40, 3, 24, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x40, 0, 0x0f, 0x42, 0x40, 0, 0, 0, 0]);
    runners.a.receive({ data: down, src: '10.0.0.9', dst: '10.0.0.1', ttl: 255 });
    // naming the session's discriminator, from another address
    const discr = runners.a.states()[0]!.localDiscr;
    const named = down.slice();
    new DataView(named.buffer).setUint32(8, discr);
    runners.a.receive({ data: named, src: '10.0.0.9', dst: '10.0.0.1', ttl: 255 });
    // from the neighbour with TTL 254: the session drops it (GTSM)
    runners.a.receive({ data: down, src: '10.0.0.2', dst: '10.0.0.1', ttl: 254 });
    expect(Object.fromEntries(runners.a.dropped)).toEqual({ version: 1, 'no-session': 1, 'wrong-source': 1, ttl: 1 });
    runners.a.stop();
  });

  it('a reload keeps a session whose endpoints did not change, and ends one that left', async () => {
    const { runners, reports } = rig();
    runners.a.set([inst('to_b', '10.0.0.2')]);
    runners.b.set([inst('to_a', '10.0.0.1')]);
    await vi.advanceTimersByTimeAsync(5000);
    const discr = runners.a.states()[0]!.localDiscr;
    reports.length = 0;
    runners.a.set([inst('to_b', '10.0.0.2', { minTxUs: 50_000 }), inst('to_c', '10.0.0.3')]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(runners.a.states().find((s) => s.name === 'to_b')).toMatchObject({ state: 'Up', localDiscr: discr });
    expect(reports).not.toContain('a:to_b:down');
    runners.a.set([]);
    expect(runners.a.states()).toEqual([]);
    runners.a.stop();
    runners.b.stop();
  });

  it('shares wake-ups: sessions send together whenever their windows are open, each still every 75-100% of its interval', async () => {
    const log = pino({ level: 'silent' });
    const sent = new Map<string, number[]>();
    const transport: BfdTransport = {
      open: () => undefined, release: () => undefined, close: () => undefined,
      send: (name) => void sent.set(name, [...(sent.get(name) ?? []), Date.now()]),
    };
    const r = new BfdRunner(transport, log, () => undefined, () => Date.now());
    // no peer: every session stays Down and sends at the idle rate, 1 s
    r.set(Array.from({ length: 8 }, (_, i) => inst(`s${i}`, `10.0.1.${i + 1}`)));
    await vi.advanceTimersByTimeAsync(20_000);
    const all = [...sent.values()].flat();
    const wakeUps = new Set(all).size;
    expect(all.length).toBeGreaterThan(8 * 19);
    expect(wakeUps).toBeLessThan(all.length / 3);
    for (const times of sent.values()) {
      for (let i = 1; i < times.length; i++) {
        const gap = times[i]! - times[i - 1]!;
        expect(gap).toBeGreaterThanOrEqual(750);
        expect(gap).toBeLessThanOrEqual(1001);
      }
    }
    r.stop();
  });
});
