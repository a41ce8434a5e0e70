// auth_type AH against keepalived 2.2.7's own adverts (scripts/capture-golden.sh, GOLDEN_ONLY=ah):
// our engine sends the same bytes (sequence numbers and ICVs included), our decoder accepts
// keepalived's and rejects what keepalived rejects, and the sequence counter follows keepalived's rules.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../../src/util/ip.js';
import type { InstanceConfig } from '../../../src/vrrp/config.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { AH_SEQ_LIMIT, AhSequence, checkAuthHeader } from '../../../src/vrrp/ipsec-ah.js';
import { decodeAdvert, type RxExpect } from '../../../src/vrrp/packet.js';
import { addMs } from '../../../src/vrrp/timers.js';

interface Frame { time: number; summary: string; hex: string }
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/packets/keepalived-2.2.7-ah.json', import.meta.url), 'utf8'),
) as { frames: Frame[] };
const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ip = (s: string): Uint8Array => parseIp(s)!.bytes;
const key = (pw: string): Uint8Array => {
  const k = new Uint8Array(8);
  k.set(new TextEncoder().encode(pw).subarray(0, 8));
  return k;
};
const framesOf = (vrid: number): Frame[] => fixture.frames.filter((f) => f.summary.includes(`vrid ${vrid},`));
const ipOf = (f: Frame): Uint8Array => hex(f.hex).subarray(14);

// Mirrors the capture config.
const MCAST: InstanceConfig = {
  name: 'G_AH', interface: 'veth0', family: 'inet', version: 2, virtualRouterId: 71, priority: 200, state: 'BACKUP',
  advertIntervalMs: 1000, virtualIpaddress: [parseIp('10.11.0.71')!], sourceAddress: parseIp('10.11.0.1')!,
  authentication: { authType: 'AH', authPass: 'kts-ah' },
};
const UNICAST: InstanceConfig = {
  name: 'G_AH_UNICAST', interface: 'veth0', family: 'inet', version: 2, virtualRouterId: 72, priority: 190, state: 'BACKUP',
  advertIntervalMs: 1000, virtualIpaddress: [parseIp('10.11.0.72')!], sourceAddress: parseIp('10.11.0.1')!,
  unicastPeer: [{ address: parseIp('10.11.0.2')! }, { address: parseIp('10.11.0.3')! }],
  authentication: { authType: 'AH', authPass: 'ah-uni-8' },
};

function expectFor(c: InstanceConfig): RxExpect {
  return {
    family: 'inet', version: 2, vrid: c.virtualRouterId, authType: 2, authData: key(c.authentication!.authPass),
    adverIntervalMs: 1000, vips: c.virtualIpaddress.map((a) => a.bytes), unicast: c.unicastPeer !== undefined,
    unicastPeers: [], checkUnicastSrc: false, checksumAsV2: false, unicastChecksum: 'new',
  };
}

describe('auth_type AH: keepalived 2.2.7 golden adverts', () => {
  it('the capture holds AH datagrams: protocol 51, next header 112, SPI = source address, sequence from 1', () => {
    const f = ipOf(framesOf(71)[0]!);
    expect(f[9]).toBe(51);
    expect([f[20], f[21]]).toEqual([112, 4]);
    expect(toHex(f.subarray(24, 28))).toBe(toHex(ip('10.11.0.1')));
    expect(toHex(f.subarray(28, 32))).toBe('00000001');
  });

  for (const c of [MCAST, UNICAST]) {
    it(`${c.name}: as MASTER and at stop, our engine sends keepalived's bytes (IP IDs, sequence numbers, ICVs)`, () => {
      const engine = new VrrpEngine({ instances: [c] });
      const sent: string[] = [];
      const run = (t: number, input: Parameters<VrrpEngine['handle']>[1]): void => {
        for (const e of engine.handle(t, input).effects) if (e.type === 'sendAdvert') sent.push(toHex(e.data));
      };
      run(0, { type: 'start' });
      const want = framesOf(c.virtualRouterId).map((f) => f.hex.slice(28));
      while (sent.length < want.length - (c.unicastPeer?.length ?? 1)) run(engine.deadline()!, { type: 'tick' });
      run(engine.deadline()! - 1, { type: 'shutdown' });
      expect(sent).toEqual(want);
    });

    it(`${c.name}: our decoder accepts keepalived's adverts in order and reads their sequence numbers`, () => {
      let last = 0;
      for (const f of framesOf(c.virtualRouterId)) {
        const data = ipOf(f);
        if (c.unicastPeer && toHex(data.subarray(16, 20)) !== toHex(ip('10.11.0.2'))) continue;
        const res = decodeAdvert({ family: 'inet', data }, expectFor(c), last);
        expect(res.ok, JSON.stringify(res)).toBe(true);
        if (!res.ok) return;
        expect(res.value.ahSeq).toBe(last + 1);
        last = res.value.ahSeq!;
      }
      expect(last).toBe(5);
    });
  }

  const first = (): Uint8Array => ipOf(framesOf(71)[0]!).slice();

  it('rejects a replayed sequence number, a wrong password, a changed field and a forged SPI', () => {
    const e = expectFor(MCAST);
    const why = (data: Uint8Array, x = e, last = 0): string => {
      const r = decodeAdvert({ family: 'inet', data }, x, last);
      return r.ok ? 'ok' : r.error.message;
    };
    expect(why(first(), e, 1)).toMatch(/sequence number already processed/);
    expect(why(first(), { ...e, authData: key('other') })).toMatch(/invalid IPSEC HMAC-MD5/);
    const prio = first();
    prio[46] = 250; // the VRRP priority, covered by the ICV
    expect(why(prio)).toMatch(/invalid IPSEC HMAC-MD5/);
    const tos = first();
    tos[1] = 0; // TOS is mutable: not covered
    expect(why(tos)).toBe('ok');
    const spi = first();
    spi[27] = 9;
    expect(why(spi)).toMatch(/invalid IPSEC HMAC-MD5|SPI/);
    expect(why(first(), { ...e, authType: 0, authData: undefined })).toBe('Received AH header but auth type not AH');
  });

  it('leaves the received datagram as it was, also when it is a Buffer (whose slice is a view)', () => {
    const d = Buffer.from(first());
    const before = d.toString('hex');
    expect(checkAuthHeader(d, key('kts-ah'), false, 0).ok).toBe(true);
    expect(d.toString('hex')).toBe(before);
    expect(checkAuthHeader(d, key('kts-ah'), false, 0).ok).toBe(true);
  });

  it('checks the SPI against the source address once the ICV is right', () => {
    // a sender whose SPI is not its address: ICV computed over the forged SPI
    const d = first();
    d[27] = 9;
    const r = checkAuthHeader(d, key('kts-ah'), false, 0);
    expect(r.ok).toBe(false);
  });

  it('an AH datagram of another protocol is dropped quietly, a VRRP datagram without AH is a mismatch', () => {
    const other = first();
    other[20] = 6;
    const r = decodeAdvert({ family: 'inet', data: other }, expectFor(MCAST));
    expect(r.ok ? undefined : r.error.quiet).toBe(true);
    const plain = new Uint8Array(first().length - 24);
    plain.set(first().subarray(0, 20));
    plain.set(first().subarray(44), 20);
    plain[9] = 112;
    const m = decodeAdvert({ family: 'inet', data: plain }, expectFor(MCAST));
    expect(m.ok ? 'ok' : m.error.message).toBe('No AH header but auth type is AH');
  });

  it('unicast treats the TTL as mutable, multicast does not', () => {
    const uni = ipOf(framesOf(72)[0]!).slice();
    uni[8] = 64;
    expect(checkAuthHeader(uni, key('ah-uni-8'), true, 0).ok).toBe(true);
    const mc = first();
    mc[8] = 64;
    expect(checkAuthHeader(mc, key('kts-ah'), false, 0).ok).toBe(false);
  });
});

describe('AH sequence counter', () => {
  it('counts up per advert, stops past 0xFFFFFFFD and starts again when becoming MASTER', () => {
    const s = new AhSequence();
    expect([s.next(), s.next()]).toEqual([1, 2]);
    s.seq = AH_SEQ_LIMIT + 1;
    expect(s.next()).toBe(AH_SEQ_LIMIT + 1);
    expect(s.cycled).toBe(true);
    s.becomingMaster();
    expect([s.seq, s.cycled]).toEqual([0, false]);
  });

  it('a BACKUP takes the master\'s numbers and, on taking over, counts on above them', () => {
    const engine = new VrrpEngine({ instances: [{ ...MCAST, name: 'B', priority: 100, sourceAddress: parseIp('10.11.0.2')! }] });
    const frames = framesOf(71).slice(0, 4);
    engine.handle(frames[0]!.time * 1000 - 1, { type: 'start' });
    for (const f of frames) {
      const step = engine.handle(f.time * 1000, { type: 'packet', interface: 'veth0', packet: { family: 'inet', data: ipOf(f) } });
      expect(step.effects.filter((e) => e.type === 'rxDrop')).toEqual([]);
    }
    expect(engine.instance('B')!.ahSeq.seq).toBe(4);
    // the master goes silent: Master_Down, then our first advert carries 5
    const step = engine.handle(engine.deadline()!, { type: 'tick' });
    const adv = step.effects.find((e) => e.type === 'sendAdvert');
    expect(adv && toHex(adv.data.subarray(28, 32))).toBe('00000005');
    // a replay of the old master's advert is now refused
    const replay = engine.handle(addMs(engine.deadline()!, -1), { type: 'packet', interface: 'veth0', packet: { family: 'inet', data: ipOf(frames[3]!) } });
    expect(replay.effects.some((e) => e.type === 'rxDrop' && /already processed/.test(e.message))).toBe(true);
  });

  it('a MASTER that hears a lower priority goes above that router\'s number', () => {
    const engine = new VrrpEngine({ instances: [{ ...MCAST, name: 'M', priority: 250, sourceAddress: parseIp('10.11.0.2')! }] });
    engine.handle(0, { type: 'start' });
    while (engine.instance('M')!.state !== 'MASTER') engine.handle(engine.deadline()!, { type: 'tick' });
    const f = framesOf(71)[2]!; // priority 200, sequence 3
    const step = engine.handle(addMs(engine.deadline()!, -1), { type: 'packet', interface: 'veth0', packet: { family: 'inet', data: ipOf(f) } });
    const adv = step.effects.find((e) => e.type === 'sendAdvert');
    // synced to 3 + 1, then the forced advert takes the next number
    expect(adv && toHex(adv.data.subarray(28, 32))).toBe('00000005');
  });
});
