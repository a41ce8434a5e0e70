// The AgentX codec (src/snmp/agentx.ts): what we send is checked byte for byte against an
// independent encoder, net-snmp's (the npm package, a devDependency), and against RFC 2741's
// layout written out by hand; what a master sends is decoded in both byte orders, and every
// malformed PDU gives its reason instead of throwing.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  compareOid, decodeHeader, decodePdu, encodeAddAgentCaps, encodeClose, encodeNotify, encodeOpen, encodePing, encodeRegister,
  encodeResponse, parseOid, PDU, type Varbind,
} from '../../../src/snmp/agentx.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const netSnmp = createRequire(import.meta.url)('net-snmp') as any;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const theirs = (vars: Record<string, unknown>): string => (netSnmp.AgentXPdu.createFromVariables(vars).toBuffer() as Buffer).toString('hex');
const T = netSnmp.ObjectType;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('encoding matches net-snmp\'s encoder', () => {
  it('Register', () => {
    expect(hex(encodeRegister({ sessionId: 7, packetId: 9 }, parseOid('1.3.6.1.4.1.9586.100.5.2'))))
      .toBe(theirs({ pduType: PDU.register, sessionID: 7, packetID: 9, oid: '1.3.6.1.4.1.9586.100.5.2', priority: 127, timeout: 0 }));
  });

  it('Response with each value type keepalived\'s MIBs use', () => {
    const vbs: Varbind[] = [
      { oid: parseOid('1.3.6.1.2.1.68.1.1.0'), value: { type: 'integer', value: -2 } },
      { oid: parseOid('1.3.6.1.4.1.9586.100.5.2.3.1.2.1'), value: { type: 'octets', value: text('VI_1') } },
      { oid: parseOid('1.3.6.1.4.1.9586.100.5.2.3.1.3.1'), value: { type: 'gauge32', value: 51 } },
      { oid: parseOid('1.3.6.1.2.1.68.2.1.0'), value: { type: 'counter32', value: 4000000000 } },
      { oid: parseOid('1.3.6.1.2.1.207.1.2.1.0'), value: { type: 'counter64', value: 5n } },
      { oid: parseOid('1.3.6.1.2.1.68.1.3.1.13.3.51'), value: { type: 'timeTicks', value: 608 } },
      { oid: parseOid('1.3.6.1.6.3.1.1.4.1.0'), value: { type: 'oid', value: parseOid('1.3.6.1.2.1.68.0.1') } },
      { oid: parseOid('1.3.6.1.2.1.68.2'), value: { type: 'endOfMibView' } },
    ];
    const ours = hex(encodeResponse({ sessionId: 7, transactionId: 3, packetId: 9 }, 0, 0, 0, vbs));
    expect(ours).toBe(theirs({
      pduType: PDU.response, sessionID: 7, transactionID: 3, packetID: 9,
      varbinds: [
        { oid: '1.3.6.1.2.1.68.1.1.0', type: T.Integer, value: -2 },
        { oid: '1.3.6.1.4.1.9586.100.5.2.3.1.2.1', type: T.OctetString, value: 'VI_1' },
        { oid: '1.3.6.1.4.1.9586.100.5.2.3.1.3.1', type: T.Gauge, value: 51 },
        { oid: '1.3.6.1.2.1.68.2.1.0', type: T.Counter, value: 4000000000 },
        { oid: '1.3.6.1.2.1.207.1.2.1.0', type: T.Counter64, value: 5 },
        { oid: '1.3.6.1.2.1.68.1.3.1.13.3.51', type: T.TimeTicks, value: 608 },
        { oid: '1.3.6.1.6.3.1.1.4.1.0', type: T.OID, value: '1.3.6.1.2.1.68.0.1' },
        { oid: '1.3.6.1.2.1.68.2', type: T.EndOfMibView, value: null },
      ],
    }));
  });

  it('Notify, AddAgentCaps, Ping, Close, Open', () => {
    const trap: Varbind[] = [
      { oid: parseOid('1.3.6.1.6.3.1.1.4.1.0'), value: { type: 'oid', value: parseOid('1.3.6.1.4.1.9586.100.5.2.10.0.2') } },
      { oid: parseOid('1.3.6.1.4.1.9586.100.5.2.3.1.2'), value: { type: 'octets', value: text('VI_1') } },
    ];
    expect(hex(encodeNotify({ sessionId: 7, packetId: 10 }, trap))).toBe(theirs({
      pduType: PDU.notify, sessionID: 7, packetID: 10, varbinds: [
        { oid: '1.3.6.1.6.3.1.1.4.1.0', type: T.OID, value: '1.3.6.1.4.1.9586.100.5.2.10.0.2' },
        { oid: '1.3.6.1.4.1.9586.100.5.2.3.1.2', type: T.OctetString, value: 'VI_1' },
      ],
    }));
    expect(hex(encodeAddAgentCaps({ sessionId: 7, packetId: 11 }, parseOid('1.3.6.1.2.1.68'), 'The MIB module for VRRP')))
      .toBe(theirs({ pduType: PDU.addAgentCaps, sessionID: 7, packetID: 11, oid: '1.3.6.1.2.1.68', descr: 'The MIB module for VRRP' }));
    expect(hex(encodePing({ sessionId: 7, packetId: 12 }))).toBe(theirs({ pduType: PDU.ping, sessionID: 7, packetID: 12 }));
    expect(hex(encodeClose({ sessionId: 7, packetId: 13 }, 5))).toBe(theirs({ pduType: PDU.close, sessionID: 7, packetID: 13 }));
    // net-snmp writes a null OID as 4 zero bytes, as we do for an empty one
    expect(hex(encodeOpen({ sessionId: 0, packetId: 14 }, 0, [], 'keepalived-ts')))
      .toBe(theirs({ pduType: PDU.open, sessionID: 0, packetID: 14, timeout: 0, oid: null, descr: 'keepalived-ts' }));
  });

  it('an IpAddress is a 4-byte octet string (RFC 2741 §5.4), which net-snmp 3.29.2 cannot encode', () => {
    const b = encodeResponse({ sessionId: 1, packetId: 1 }, 0, 0, 0, [{ oid: [1, 3, 6, 1, 2, 1, 68, 1, 3, 1, 7, 3, 51], value: { type: 'ipAddress', value: Uint8Array.of(10, 70, 0, 1) } }]);
    // header 20, res 8, type 0x0040, OID (4 + 8 subids * 4), length 4, bytes
    expect(hex(b.subarray(28, 32))).toBe('00400000');
    expect(hex(b.subarray(b.length - 8))).toBe('000000040a460001');
    expect(() => theirs({ pduType: PDU.response, sessionID: 1, packetID: 1, varbinds: [{ oid: '1.3.6.1.2.1.68.1.3.1.7.3.51', type: T.IpAddress, value: '10.70.0.1' }] })).toThrow();
  });
});

/** A master's PDU written by hand: header then payload, in either byte order. */
function masterPdu(type: number, payload: number[], le = false, flags = le ? 0 : 0x10): Uint8Array {
  const u32 = (v: number): number[] => (le ? [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24] : [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
  return Uint8Array.from([1, type, flags, 0, ...u32(5), ...u32(6), ...u32(7), ...u32(payload.length), ...payload]);
}
const oidBytes = (o: number[], include: boolean, le = false): number[] => {
  const u32 = (v: number): number[] => (le ? [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24] : [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
  const prefixed = o.length >= 5 && o.slice(0, 4).join('.') === '1.3.6.1';
  const rest = prefixed ? o.slice(5) : o;
  return [rest.length, prefixed ? o[4]! : 0, include ? 1 : 0, 0, ...rest.flatMap(u32)];
};

describe('decoding what a master sends', () => {
  it.each([false, true])('GetNext with its search ranges and include flag (little endian: %s)', (le) => {
    const start = [1, 3, 6, 1, 2, 1, 68];
    const end = [1, 3, 6, 1, 2, 1, 69];
    const r = decodePdu(masterPdu(PDU.getNext, [...oidBytes(start, true, le), ...oidBytes(end, false, le)], le));
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.kind !== 'getNext') throw new Error('not a GetNext');
    expect(r.value.h).toMatchObject({ sessionId: 5, transactionId: 6, packetId: 7 });
    expect(r.value.ranges).toEqual([{ start, include: true, end }]);
  });

  it('GetBulk, the Set phases, Close, a Response', () => {
    const bulk = decodePdu(masterPdu(PDU.getBulk, [0, 0, 0, 10, ...oidBytes([1, 3, 6, 1, 2, 1, 207], false), 0, 0, 0, 0]));
    expect(bulk.ok && bulk.value.kind === 'getBulk' && [bulk.value.nonRepeaters, bulk.value.maxRepetitions, bulk.value.ranges[0]!.end]).toEqual([0, 10, []]);
    expect(decodePdu(masterPdu(PDU.testSet, [])).ok && (decodePdu(masterPdu(PDU.testSet, [])) as { value: { kind: string } }).value.kind).toBe('set');
    const close = decodePdu(masterPdu(PDU.close, [5, 0, 0, 0]));
    expect(close.ok && close.value.kind === 'close' && close.value.reason).toBe(5);
    const resp = decodePdu(masterPdu(PDU.response, [0, 0, 0, 9, 1, 0x0b, 0, 0]));
    expect(resp.ok && resp.value.kind === 'response' && [resp.value.sysUpTime, resp.value.error]).toEqual([9, 267]);
  });

  it.each([
    ['short', Uint8Array.of(1, 6, 0x10, 0)],
    ['version', masterPdu(PDU.get, []).map((x, i) => (i === 0 ? 2 : x))],
    ['type', masterPdu(99, [])],
    ['context', masterPdu(PDU.get, [], false, 0x18)],
    ['length', masterPdu(PDU.get, [0, 0, 0]).subarray(0, 22)],
    ['oid', masterPdu(PDU.get, [9, 0, 0, 0, 0, 0, 0, 1])],
    ['length', masterPdu(PDU.close, [])],
  ])('a PDU with a bad %s gives that reason and never throws', (reason, bytes) => {
    const r = decodePdu(bytes);
    expect(r).toEqual({ ok: false, error: reason });
  });

  it('the header alone frames a stream', () => {
    const h = decodeHeader(masterPdu(PDU.get, [0, 0, 0, 0, 0, 0, 0, 0]));
    expect(h.ok && h.value.payloadLength).toBe(8);
  });
});

describe('OID order', () => {
  it.each([
    ['1.3.6.1.2.1.68', '1.3.6.1.2.1.68.1', -1],
    ['1.3.6.1.2.1.68.2', '1.3.6.1.2.1.68.1.9', 1],
    ['1.3.6.1.4.1.9586.100.5.2.3.1.10.2', '1.3.6.1.4.1.9586.100.5.2.3.1.2.1', 1],
    ['1.3.6.1', '1.3.6.1', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareOid(parseOid(a), parseOid(b)))).toBe(sign);
  });
});
