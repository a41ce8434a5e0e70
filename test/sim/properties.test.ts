// Property tests (fast-check): codec round trips, hostile bytes, and convergence of the
// simulated LAN after random loss and partitions heal.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeAdvert, encodeAdvert, VRRP_GROUP_INET, VRRP_GROUP_INET6, type Advert, type RxExpect,
} from '../../src/vrrp/packet.js';
import { masterDownIntervalMs } from '../../src/vrrp/timers.js';
import { SimLan, vi } from './lan.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

const advertArb = fc.oneof(
  fc.record({
    family: fc.constant('inet' as const), version: fc.constant(2 as const),
    vrid: fc.integer({ min: 0, max: 255 }), priority: fc.integer({ min: 0, max: 255 }),
    seconds: fc.integer({ min: 0, max: 255 }), addrs: fc.array(bytes(4), { maxLength: 20 }),
    authType: fc.constantFrom(0 as const, 1 as const), authData: bytes(8),
  }).map((r) => ({ family: r.family, advert: { version: r.version, vrid: r.vrid, priority: r.priority, adverIntervalMs: r.seconds * 1000, addrs: r.addrs, authType: r.authType, authData: r.authData } as Advert })),
  fc.record({
    family: fc.constantFrom('inet' as const, 'inet6' as const),
    vrid: fc.integer({ min: 0, max: 255 }), priority: fc.integer({ min: 0, max: 255 }),
    cs: fc.integer({ min: 0, max: 4095 }), n: fc.integer({ min: 0, max: 12 }), seed: bytes(16),
  }).map((r) => ({
    family: r.family,
    advert: {
      version: 3, vrid: r.vrid, priority: r.priority, adverIntervalMs: r.cs * 10, authType: 0, authData: undefined,
      addrs: Array.from({ length: r.n }, (_, i) => r.seed.slice(0, r.family === 'inet' ? 4 : 16).map((b) => b ^ i)),
    } as Advert,
  })),
);

describe('codec properties', () => {
  it('decode(encode(x)) == x for v2 / v3, IPv4 / IPv6', () => {
    fc.assert(fc.property(advertArb, bytes(16), fc.integer({ min: 0, max: 0xffff }), ({ family, advert }, addr, ipId) => {
      const src = family === 'inet' ? addr.slice(0, 4) : addr;
      const dst = family === 'inet' ? VRRP_GROUP_INET : VRRP_GROUP_INET6;
      const data = encodeAdvert(advert, { family, src, dst, ipId });
      const res = decodeAdvert(family === 'inet' ? { family, data } : { family, data, src, dst, hopLimit: 255 });
      expect(res.ok).toBe(true);
      if (!res.ok) return;
      const { version, vrid, priority, adverIntervalMs, addrs, authType, authData } = res.value;
      expect({ version, vrid, priority, adverIntervalMs, addrs: addrs.map((a) => [...a]), authType, authData: authData && [...authData] })
        .toEqual({ ...advert, addrs: advert.addrs.map((a) => [...a]), authData: advert.authData && [...advert.authData] });
      if (family === 'inet') expect(res.value.ipId).toBe(ipId);
    }), { numRuns: 300 });
  });

  it('random bytes never throw, with or without expectations', () => {
    const expect4: RxExpect = {
      family: 'inet', version: 2, vrid: 1, authType: 1, authData: new Uint8Array(8), adverIntervalMs: 1000, vips: [new Uint8Array(4)],
      unicast: true, unicastPeers: [], checkUnicastSrc: true, checksumAsV2: false, unicastChecksum: 'auto',
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), fc.integer({ min: 0, max: 255 }), (data, v6, vrid) => {
      const pkt = v6 ? { family: 'inet6' as const, data, src: new Uint8Array(16), dst: VRRP_GROUP_INET6 } : { family: 'inet' as const, data };
      // make the VRID match often so that deeper checks run
      if (data.length > 21) data[v6 ? 1 : 21] = vrid & 1;
      const e = { ...expect4, family: pkt.family, vrid: vrid & 1, version: (vrid & 2 ? 3 : 2) as 2 | 3 };
      const a = decodeAdvert(pkt);
      const b = decodeAdvert(pkt, e);
      expect(typeof a.ok).toBe('boolean');
      expect(typeof b.ok).toBe('boolean');
    }), { numRuns: 2000 });
  });
});

interface NodeSpec { priority: number; nopreempt: boolean; preemptDelayMs: number; intervalMs: number }

const scenarioArb = fc.record({
  version: fc.constantFrom(2 as const, 3 as const),
  nodes: fc.array(fc.record({
    priority: fc.integer({ min: 1, max: 255 }),
    nopreempt: fc.boolean(),
    preemptDelayMs: fc.constantFrom(0, 0, 2000),
    intervalMs: fc.constantFrom(100, 250, 1000),
  }), { minLength: 2, maxLength: 4 }),
  delayMs: fc.constantFrom(0, 1, 20),
  loss: fc.double({ min: 0, max: 0.6, noNaN: true }),
  seed: fc.integer(),
  chaos: fc.array(fc.record({
    atMs: fc.integer({ min: 0, max: 20_000 }),
    split: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  }), { maxLength: 4 }),
});

describe('simulated LAN properties', () => {
  it('after healing, at most (and exactly) one MASTER per VRID once settled for 3 x interval + skew', () => {
    fc.assert(fc.property(scenarioArb, (sc) => {
      const lan = new SimLan({ delayMs: sc.delayMs, lossRate: sc.loss, seed: sc.seed, trace: false });
      const names = sc.nodes.map((_, i) => `N${i}`);
      sc.nodes.forEach((n: NodeSpec, i) => {
        const addr = `10.0.0.${i + 1}`;
        // v2 requires one interval for the VRID; v3 lets each node advertise its own
        const intervalMs = sc.version === 2 ? 1000 : n.intervalMs;
        lan.addNode(names[i]!, addr, { instances: [vi('VI', 7, n.priority, addr, {
          version: sc.version, advertIntervalMs: intervalMs, nopreempt: n.nopreempt, preemptDelayMs: n.preemptDelayMs,
          state: n.priority === 255 ? 'MASTER' : 'BACKUP',
        })] });
      });
      lan.startAll();
      for (const c of [...sc.chaos].sort((a, b) => a.atMs - b.atMs)) {
        lan.runUntil(c.atMs);
        const left = names.filter((_, i) => c.split[i]);
        lan.partition(left, names.filter((n) => !left.includes(n)));
      }
      lan.runUntil(25_000);
      lan.heal();
      lan.lossRate = 0;
      // settle: the slowest Master_Down_Interval plus one advert interval to hear each other
      const settle = Math.max(...sc.nodes.map((n) => {
        const i = sc.version === 2 ? 1000 : n.intervalMs;
        return masterDownIntervalMs(sc.version, 3, i, n.priority) + i + sc.delayMs;
      }));
      lan.runFor(settle);
      for (let k = 0; k < 40; k++) {
        lan.runFor(97);
        expect(lan.inState('VI', 'MASTER').length).toBe(1);
      }
    }), { numRuns: 150 });
  });
});
