// The IPVS codec against known bytes: requests ipvsadm 1.31 sent to a 6.1 kernel (captured
// with strace in the UML guest, test/fixtures/ipvs/ipvsadm-requests.json: genlmsghdr +
// attributes) and bytes derived by hand from <linux/ip_vs.h>.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMAND } from '../../../src/ipvs/attr-spec.js';
import { decodeAttrs, NlWriter, type AttrRecord } from '../../../src/ipvs/codec.js';
import { parseDatagram, readGenl } from '../../../src/ipvs/frame.js';
import { destFromRecord, destStatsFromRecord, opAttrs, serviceFromRecord, statsFromRecord, writeOp } from '../../../src/ipvs/messages.js';
import type { IpvsDest, IpvsOp, IpvsService, ServiceKey } from '../../../src/ipvs/types.js';
import { parseIp, type IpAddress } from '../../../src/util/ip.js';

const fixtures = JSON.parse(readFileSync('test/fixtures/ipvs/ipvsadm-requests.json', 'utf8')) as Record<string, { command: string; payload: string }>;
const ip = (s: string): IpAddress => parseIp(s)!;
const FAMILY = 0x1c;

/** Our request for `op` as (nlmsghdr fields, genlmsghdr + attributes). */
function encode(op: IpvsOp, seq = 7, flags = 5): { type: number; flags: number; seq: number; payload: Buffer } {
  const w = new NlWriter(16);
  writeOp(w, FAMILY, seq, flags, op);
  const msgs = parseDatagram(Buffer.from(w.bytesWritten()));
  expect(msgs.ok).toBe(true);
  if (!msgs.ok) throw new Error(msgs.error);
  expect(msgs.value).toHaveLength(1);
  return msgs.value[0]!;
}

function fixture(name: string): { cmd: number; attrs: AttrRecord; bytes: Buffer } {
  const bytes = Buffer.from(fixtures[name]!.payload, 'hex');
  const r = decodeAttrs(COMMAND, bytes.subarray(4));
  if (!r.ok) throw new Error(r.error);
  return { cmd: bytes[0]!, attrs: r.value, bytes };
}

const tcp80: ServiceKey = { type: 'addr', protocol: 'TCP', address: ip('10.0.0.1'), port: 80 };
const fwm5: ServiceKey = { type: 'fwmark', fwmark: 5, family: 'inet' };
const v6: ServiceKey = { type: 'addr', protocol: 'TCP', address: ip('2001:db8::1'), port: 443 };
const svc = (key: ServiceKey, over: Partial<IpvsService> = {}): IpvsService => ({ key, scheduler: 'wlc', flags: 0, timeoutS: 0, netmaskPrefix: key.type === 'addr' && key.address.family === 'inet6' ? 128 : 32, ...over });
const dest = (a: string, port: number, over: Partial<IpvsDest> = {}): IpvsDest => ({ address: ip(a), port, fwd: 'NAT', weight: 1, uThreshold: 0, lThreshold: 0, ...over });

describe('service requests are byte-identical to ipvsadm', () => {
  it.each([
    ['new_service', { type: 'NEW_SERVICE', service: svc(tcp80, { scheduler: 'wrr' }) }],
    ['new_service_fwm', { type: 'NEW_SERVICE', service: svc(fwm5, { scheduler: 'sh', flags: 0x1 | 0x8 | 0x10, timeoutS: 300, netmaskPrefix: 24 }) }],
    ['new_service_v6', { type: 'NEW_SERVICE', service: svc(v6, { scheduler: 'rr', flags: 0x1, timeoutS: 60, netmaskPrefix: 64 }) }],
  ] as [string, IpvsOp][])('%s', (name, op) => {
    const m = encode(op);
    expect(m.type).toBe(FAMILY);
    expect(m.payload.toString('hex')).toBe(fixtures[name]!.payload);
  });
});

describe('ipvsadm requests decode to the values it was given', () => {
  it('NEW_SERVICE -A -f 5 -s sh -b sh-port,sh-fallback -p 300 -M 255.255.255.0', () => {
    const f = fixture('new_service_fwm');
    expect(f.cmd).toBe(1);
    const s = serviceFromRecord(f.attrs.service as AttrRecord);
    expect(s).toEqual({ ok: true, value: { key: fwm5, scheduler: 'sh', flags: 0x19, timeoutS: 300, netmaskPrefix: 24 } });
  });

  it('NEW_DEST -m -w 3 -x 100 -y 10: port in network order, thresholds', () => {
    const f = fixture('new_dest_nat');
    expect(f.cmd).toBe(5);
    expect(destFromRecord(f.attrs.dest as AttrRecord, 'inet')).toEqual({ ok: true, value: dest('10.0.1.1', 8080, { weight: 3, uThreshold: 100, lThreshold: 10 }) });
    // and ours carries the same destination attributes (ipvsadm also sends zero tunnel fields)
    const ours = decodeAttrs(COMMAND, encode({ type: 'NEW_DEST', key: tcp80, dest: dest('10.0.1.1', 8080, { weight: 3, uThreshold: 100, lThreshold: 10 }) }).payload.subarray(4));
    expect(ours.ok && ours.value.dest).toEqual({ ...(f.attrs.dest as AttrRecord), tunType: undefined, tunPort: undefined, tunFlags: undefined });
  });

  it('NEW_DEST on a fwmark service, gue tunnel with port 6080 and csum', () => {
    const f = fixture('new_dest_gue');
    const want = dest('10.0.2.1', 0, { fwd: 'TUN', weight: 2, tunType: 'gue', tunPort: 6080, tunCsum: 'csum' });
    expect(destFromRecord(f.attrs.dest as AttrRecord, 'inet')).toEqual({ ok: true, value: want });
    const ours = decodeAttrs(COMMAND, encode({ type: 'NEW_DEST', key: fwm5, dest: want }).payload.subarray(4));
    expect(ours.ok && ours.value.dest).toEqual(f.attrs.dest);
    expect(ours.ok && ours.value.service).toEqual({ af: 2, fwmark: 5 });
  });

  it('IPv6 DR destination', () => {
    const f = fixture('new_dest_v6_dr');
    expect(destFromRecord(f.attrs.dest as AttrRecord, 'inet6')).toEqual({ ok: true, value: dest('2001:db8::2', 443, { fwd: 'DR' }) });
    expect((f.attrs.dest as AttrRecord).addrFamily).toBe(10);
  });

  it('SET_DEST, DEL_DEST and DEL_SERVICE name the same keys as ipvsadm', () => {
    for (const [name, op, cmd] of [
      ['set_dest', { type: 'SET_DEST', key: tcp80, dest: dest('10.0.1.1', 8080, { weight: 7 }) }, 6],
      ['del_dest', { type: 'DEL_DEST', key: tcp80, dest: dest('10.0.1.1', 8080) }, 7],
      ['del_service', { type: 'DEL_SERVICE', key: tcp80 }, 3],
    ] as [string, IpvsOp, number][]) {
      const f = fixture(name);
      expect(f.cmd).toBe(cmd);
      const m = encode(op);
      expect(m.payload[0]).toBe(cmd);
      const ours = decodeAttrs(COMMAND, m.payload.subarray(4));
      if (!ours.ok) throw new Error(ours.error);
      const theirs = f.attrs.service as AttrRecord;
      for (const k of ['af', 'protocol', 'addr', 'port'] as const) expect((ours.value.service as AttrRecord)[k]).toEqual(theirs[k]);
      if (op.type !== 'DEL_SERVICE') {
        const td = f.attrs.dest as AttrRecord;
        for (const k of ['addr', 'port', 'addrFamily'] as const) expect((ours.value.dest as AttrRecord)[k]).toEqual(td[k]);
        if (op.type === 'SET_DEST') expect((ours.value.dest as AttrRecord).weight).toBe(7);
      }
    }
  });
});

describe('hand-derived bytes (ip_vs.h)', () => {
  it('DEL_DEST names only the keys', () => {
    const m = encode({ type: 'DEL_DEST', key: tcp80, dest: dest('10.0.1.1', 8080) }, 0x01020304, 0x05);
    expect(m).toMatchObject({ type: FAMILY, flags: 0x05, seq: 0x01020304 });
    const hex = [
      '07010000', // genlmsghdr: cmd IPVS_CMD_DEL_DEST (7), version 1
      '30000180', // IPVS_CMD_ATTR_SERVICE (1) | NLA_F_NESTED, len 48
      '0600010002000000', // IPVS_SVC_ATTR_AF = AF_INET
      '0600020006000000', // IPVS_SVC_ATTR_PROTOCOL = IPPROTO_TCP
      '140003000a000001000000000000000000000000', // IPVS_SVC_ATTR_ADDR, 16 bytes
      '0600040000500000', // IPVS_SVC_ATTR_PORT = 80 (network order)
      '28000280', // IPVS_CMD_ATTR_DEST | NLA_F_NESTED, len 40
      '140001000a000101000000000000000000000000', // IPVS_DEST_ATTR_ADDR
      '060002001f900000', // IPVS_DEST_ATTR_PORT = 8080
      '06000b0002000000', // IPVS_DEST_ATTR_ADDR_FAMILY = AF_INET
    ].join('');
    expect(m.payload.toString('hex')).toBe(hex);
  });

  it('persistence engine and IPv4 netmask 255.255.0.0', () => {
    const a = opAttrs({ type: 'SET_SERVICE', service: svc(tcp80, { flags: 1, timeoutS: 360, netmaskPrefix: 16, persistenceEngine: 'sip' }) });
    const s = a.service as AttrRecord;
    expect(s.peName).toBe('sip');
    const w = new NlWriter();
    w.u32(s.netmask as number);
    expect(w.bytesWritten().toString('hex')).toBe('ffff0000');
  });

  it('a dest with an address of the wrong size is refused before anything is sent', () => {
    expect(() => writeOp(new NlWriter(), FAMILY, 1, 5, { type: 'NEW_DEST', key: tcp80, dest: { ...dest('10.0.0.1', 80), address: { family: 'inet', bytes: new Uint8Array(5) } } })).toThrow(/address of 5 bytes/);
  });
});

describe('decoding is total', () => {
  it('every truncation of a real reply is an error value or a shorter record, never a throw', () => {
    const bytes = Buffer.from(fixtures.new_dest_gue!.payload, 'hex').subarray(4);
    for (let n = 0; n < bytes.length; n++) {
      const r = decodeAttrs(COMMAND, bytes.subarray(0, n));
      if (r.ok) {
        const d = r.value.dest ? destFromRecord(r.value.dest as AttrRecord, 'inet') : undefined;
        expect(d === undefined || typeof d.ok === 'boolean').toBe(true);
      } else expect(r.error).toMatch(/command|service|dest/);
    }
  });

  it('a service without a scheduler, or with an unknown family, is an error', () => {
    expect(serviceFromRecord({ af: 2, fwmark: 1, flags: { flags: 0, mask: 0 }, timeout: 0, netmask: 0 })).toEqual({ ok: false, error: 'service: attribute SCHED_NAME missing' });
    expect(serviceFromRecord({ af: 99 }).ok).toBe(false);
    expect(destFromRecord({ addr: new Uint8Array(16), port: 1, fwdMethod: 0 }, 'inet')).toEqual({ ok: false, error: 'dest: attribute WEIGHT missing' });
  });

  it('unknown attributes (newer kernels) are skipped; a length overrunning the message is an error', () => {
    const ok = decodeAttrs(COMMAND, Buffer.from('0800630001000000' + '0800040084030000', 'hex'));
    expect(ok).toEqual({ ok: true, value: { timeoutTcp: 900 } });
    expect(decodeAttrs(COMMAND, Buffer.from('0c00040084030000', 'hex')).ok).toBe(false);
    expect(parseDatagram(Buffer.from('ff000000', 'hex')).ok).toBe(false);
    const genl = readGenl({ type: FAMILY, flags: 0, seq: 1, pid: 0, payload: Buffer.alloc(2) });
    expect(genl.ok).toBe(false);
  });
});

describe('the counters of a dump (SNMP)', () => {
  it('come from STATS64 when the kernel sends it, else from the 32-bit STATS, else are 0', () => {
    const s64: AttrRecord = { stats64: { conns: 3n, inpkts: 13n, outpkts: 0n, inbytes: 5_000_000_000n, outbytes: 1n, cps: 0n, inpps: 1n, outpps: 0n, inbps: 80n, outbps: 0n }, stats: { conns: 1 } };
    expect(statsFromRecord(s64)).toMatchObject({ conns: 3n, inbytes: 5_000_000_000n, inbps: 80n });
    expect(statsFromRecord({ stats: { conns: 2, inbytes: 7n } })).toMatchObject({ conns: 2n, inbytes: 7n, outbps: 0n });
    expect(statsFromRecord({})).toMatchObject({ conns: 0n, outbytes: 0n });
    expect(destStatsFromRecord({ activeConns: 4, inactConns: 1 })).toMatchObject({ activeConns: 4, inactConns: 1, persistConns: 0, conns: 0n });
  });
});
