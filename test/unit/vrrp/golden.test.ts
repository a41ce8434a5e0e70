// Golden bytes: adverts captured from keepalived 2.2.7 (scripts/capture-golden.sh, config in
// the fixture). Our encoder, fed the same configuration, must produce the same bytes, and our
// decoder must read keepalived's. The fields that legitimately differ are named per case.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../../src/util/ip.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { addMs, skewTimeMs } from '../../../src/vrrp/timers.js';
import {
  decodeAdvert, encodeAdvert, ipv4HeaderChecksumOk, VRRP_GROUP_INET, VRRP_GROUP_INET6,
  type Advert, type RxExpect, type VrrpVersion,
} from '../../../src/vrrp/packet.js';

interface Frame { time: number; summary: string; hex: string }
const times = (c: Case): number[] => fixture.frames.filter((f) => f.summary.includes(`vrid ${c.vrid},`)).map((f) => Math.round(f.time * 1e6) / 1000);
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/packets/keepalived-2.2.7.json', import.meta.url), 'utf8'),
) as { frames: Frame[] };

const ip = (s: string): Uint8Array => parseIp(s)!.bytes;
const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Case {
  name: string; vrid: number; version: VrrpVersion; family: 'inet' | 'inet6'; priority: number;
  intervalMs: number; vips: string[]; password?: string; peers?: string[];
}
// Mirrors the vrrp_instance blocks of the capture config.
const cases: Case[] = [
  { name: 'v2 no auth, 2 VIPs', vrid: 51, version: 2, family: 'inet', priority: 150, intervalMs: 1000, vips: ['10.11.0.51', '10.11.0.151'] },
  { name: 'v2 PASS', vrid: 53, version: 2, family: 'inet', priority: 200, intervalMs: 1000, vips: ['10.11.0.53'], password: 'kts-pw' },
  { name: 'v3 IPv4', vrid: 52, version: 3, family: 'inet', priority: 120, intervalMs: 250, vips: ['10.11.0.52'] },
  { name: 'v3 IPv6', vrid: 54, version: 3, family: 'inet6', priority: 110, intervalMs: 500, vips: ['fe80::54', '2001:db8:11::54'] },
  { name: 'v3 unicast', vrid: 55, version: 3, family: 'inet', priority: 130, intervalMs: 1000, vips: ['10.11.0.55'], peers: ['10.11.0.2', '10.11.0.3'] },
  { name: 'v2 unicast', vrid: 56, version: 2, family: 'inet', priority: 140, intervalMs: 1000, vips: ['10.11.0.56'], peers: ['10.11.0.2'] },
];

const SRC4 = ip('10.11.0.1');
const SRC6 = ip('fe80::ff:fe00:a'); // link-local of veth0 (MAC 02:00:00:00:00:0a)

function framesOf(c: Case): Uint8Array[] {
  return fixture.frames
    .filter((f) => f.summary.includes(`vrid ${c.vrid},`))
    .map((f) => hex(f.hex).subarray(14)); // drop the Ethernet header
}

function password(pw: string | undefined): Uint8Array {
  const out = new Uint8Array(8);
  if (pw) out.set(new TextEncoder().encode(pw).subarray(0, 8));
  return out;
}

function expectFor(c: Case, src?: Uint8Array): RxExpect {
  return {
    family: c.family, version: c.version, vrid: c.vrid, authType: c.password ? 1 : 0,
    authData: password(c.password), adverIntervalMs: c.intervalMs, vips: c.vips.map(ip),
    unicast: c.peers !== undefined,
    unicastPeers: (src ? [src] : []).map((a) => ({ address: a, minTtl: 0, maxTtl: 255 })),
    checkUnicastSrc: src !== undefined, checksumAsV2: false, unicastChecksum: 'new',
  };
}

describe('golden keepalived 2.2.7 adverts', () => {
  it('fixture holds every case, including the priority-0 adverts at shutdown', () => {
    for (const c of cases) {
      const frames = framesOf(c);
      expect(frames.length, c.name).toBeGreaterThanOrEqual(3);
      expect(fixture.frames.some((f) => f.summary.includes(`vrid ${c.vrid}, prio 0`)), c.name).toBe(true);
    }
  });

  for (const c of cases) {
    it(`${c.name}: our encoder produces keepalived's bytes`, () => {
      const frames = framesOf(c);
      const perRound = c.peers?.length ?? 1;
      frames.forEach((frame, i) => {
        const last = i >= frames.length - perRound;
        const advert: Advert = {
          version: c.version, vrid: c.vrid, priority: last ? 0 : c.priority, adverIntervalMs: c.intervalMs,
          addrs: c.vips.map(ip), authType: c.password ? 1 : 0,
          authData: c.version === 2 ? password(c.password) : undefined,
        };
        if (c.family === 'inet') {
          const dst = c.peers ? ip(c.peers[i % perRound]!) : VRRP_GROUP_INET;
          // IP ID: keepalived counts per instance from 1, once per round (all peers share it).
          const ours = encodeAdvert(advert, { family: 'inet', src: SRC4, dst, ipId: Math.floor(i / perRound) + 1 });
          expect(ipv4HeaderChecksumOk(frame)).toBe(true);
          expect(toHex(ours), `${c.name} frame ${i}`).toBe(toHex(frame));
        } else {
          // IPv6: the kernel writes the IPv6 header (flow label differs per socket), so we
          // compare the VRRP message, checksum included.
          const ours = encodeAdvert(advert, { family: 'inet6', src: SRC6, dst: VRRP_GROUP_INET6 });
          expect(toHex(ours), `${c.name} frame ${i}`).toBe(toHex(frame.subarray(40)));
        }
      });
    });

    it(`${c.name}: our decoder accepts keepalived's adverts and reads every field`, () => {
      const frame = framesOf(c)[0]!;
      const rx = c.family === 'inet'
        ? { family: 'inet' as const, data: frame }
        : { family: 'inet6' as const, data: frame.subarray(40), src: frame.subarray(8, 24), dst: frame.subarray(24, 40), hopLimit: frame[7]! };
      const res = decodeAdvert(rx, expectFor(c, c.peers ? SRC4 : undefined));
      expect(res.ok, JSON.stringify(res)).toBe(true);
      if (!res.ok) return;
      const a = res.value;
      expect([a.version, a.vrid, a.priority, a.adverIntervalMs]).toEqual([c.version, c.vrid, c.priority, c.intervalMs]);
      expect(a.addrs.map((x) => toHex(x))).toEqual(c.vips.map((v) => toHex(ip(v))));
      expect(a.ttl).toBe(255);
      if (c.version === 2) expect(toHex(a.authData!)).toBe(toHex(password(c.password)));
    });
  }

  it('a wrong password is rejected with reason auth', () => {
    const c = cases[1]!;
    const res = decodeAdvert({ family: 'inet', data: framesOf(c)[0]! }, { ...expectFor(c), authData: password('other') });
    expect(res.ok ? 'ok' : res.error.reason).toBe('auth');
  });

  it('the v3 unicast advert carries the peer address in its pseudo-header', () => {
    const c = cases[4]!;
    const frame = framesOf(c)[0]!;
    const old = decodeAdvert({ family: 'inet', data: frame }, { ...expectFor(c), unicastChecksum: 'old' });
    expect(old.ok ? 'ok' : old.error.reason).toBe('checksum');
    const auto = decodeAdvert({ family: 'inet', data: frame }, { ...expectFor(c), unicastChecksum: 'auto' });
    expect(auto.ok && auto.value.legacyUnicastChecksum).toBe(false);
  });

  for (const c of cases) {
    it(`${c.name}: our engine as BACKUP of keepalived follows its adverts, then its priority-0 advert`, () => {
      const me = c.family === 'inet' ? (c.peers ? c.peers[0]! : '10.11.0.2') : 'fe80::ff:fe00:b';
      const engine = new VrrpEngine({ instances: [{
        name: 'KTS', interface: 'veth1', family: c.family, version: c.version, virtualRouterId: c.vrid, priority: 50,
        state: 'BACKUP', advertIntervalMs: c.intervalMs, virtualIpaddress: c.vips.map((v) => parseIp(v)!),
        sourceAddress: parseIp(me)!, unicastPeer: c.peers ? [{ address: parseIp('10.11.0.1')! }] : undefined,
        checkUnicastSrc: c.peers !== undefined,
        authentication: c.password ? { authType: 'PASS', authPass: c.password } : undefined,
      }] });
      const frames = framesOf(c);
      const at = times(c);
      engine.handle(at[0]! - 1, { type: 'start' });
      let heard = 0;
      let lastHeard = 0;
      frames.forEach((frame, i) => {
        if (c.peers && toHex(frame.subarray(16, 20)) !== toHex(ip(me))) return; // sent to the other peer
        heard++;
        lastHeard = at[i]!;
        const packet = c.family === 'inet'
          ? { family: 'inet' as const, data: frame }
          : { family: 'inet6' as const, data: frame.subarray(40), src: frame.subarray(8, 24), dst: frame.subarray(24, 40), hopLimit: frame[7]! };
        const step = engine.handle(at[i]!, { type: 'packet', interface: 'veth1', packet });
        expect(step.effects.filter((e) => e.type === 'rxDrop'), `frame ${i}`).toEqual([]);
      });
      const inst = engine.instance('KTS')!;
      expect(inst.state).toBe('BACKUP');
      expect(inst.stats.advertsReceived).toBe(heard);
      expect(inst.stats.priZeroReceived).toBe(1);
      // the last frame is keepalived's priority-0 advert: we take over after Skew_Time
      expect(engine.deadline()).toBe(addMs(lastHeard, skewTimeMs(c.version, 50, c.intervalMs)));
      const step = engine.handle(engine.deadline()!, { type: 'tick' });
      expect(step.effects).toContainEqual(expect.objectContaining({ type: 'stateChange', to: 'MASTER', reason: 'master-down-timer' }));
    });
  }

  it('MASTER -> FAULT matches keepalived: same bytes, two priority-0 adverts, IP IDs continue', () => {
    const fault = JSON.parse(
      readFileSync(new URL('../../fixtures/packets/keepalived-2.2.7-fault.json', import.meta.url), 'utf8'),
    ) as { frames: Frame[] };
    const engine = new VrrpEngine({ instances: [{
      name: 'G_FAULT', interface: 'veth0', family: 'inet', version: 2, virtualRouterId: 61, priority: 200, state: 'BACKUP',
      advertIntervalMs: 1000, virtualIpaddress: [parseIp('10.11.0.61')!], sourceAddress: parseIp('10.11.0.1')!,
      trackInterface: [{ name: 'trk0', weight: 0 }],
    }] });
    const sent: { t: number; hex: string }[] = [];
    const run = (t: number, input: Parameters<VrrpEngine['handle']>[1]) => {
      for (const e of engine.handle(t, input).effects) if (e.type === 'sendAdvert') sent.push({ t, hex: toHex(e.data) });
    };
    run(0, { type: 'start' });
    const t0 = engine.deadline()!;
    const downAt = addMs(t0, fault.frames[2]!.time * 1000);
    while (engine.deadline()! <= downAt) run(engine.deadline()!, { type: 'tick' });
    run(downAt, { type: 'interface', name: 'trk0', up: false });
    expect(engine.instance('G_FAULT')!.state).toBe('FAULT');
    expect(sent.map((s) => s.hex)).toEqual(fault.frames.map((f) => f.hex.slice(28)));
    // keepalived's timing, give or take its scheduling jitter
    sent.forEach((s, i) => expect(Math.abs(s.t - t0 - fault.frames[i]!.time * 1000)).toBeLessThan(20));
  });
});
