/**
 * The AgentX protocol (RFC 2741) as a subagent speaks it: the PDUs a subagent sends (Open,
 * Register, AddAgentCaps, Notify, Ping, Response, Close) are encoded, those a master sends
 * (Get, GetNext, GetBulk, the Set phases, Close, and the Responses to our requests) decoded.
 * Pure: bytes in, values out. Decoding never throws; a PDU that cannot be read gives one
 * reason. Both byte orders are read (the NETWORK_BYTE_ORDER flag of each PDU); we always
 * write network byte order and say so in every header.
 *
 * Not handled: non-default contexts (a PDU with one is refused with reason 'context'),
 * IndexAllocate / IndexDeallocate (we never send them), range registrations.
 */
import { err, ok, type Result } from '../util/result.js';

export type Oid = readonly number[];

export const PDU = {
  open: 1, close: 2, register: 3, unregister: 4, get: 5, getNext: 6, getBulk: 7,
  testSet: 8, commitSet: 9, undoSet: 10, cleanupSet: 11, notify: 12, ping: 13,
  indexAllocate: 14, indexDeallocate: 15, addAgentCaps: 16, removeAgentCaps: 17, response: 18,
} as const;

const FLAG_NON_DEFAULT_CONTEXT = 0x08;
const FLAG_NETWORK_BYTE_ORDER = 0x10;
export const HEADER_LEN = 20;
/** a payload larger than this is not an AgentX PDU we could have asked for */
export const MAX_PAYLOAD = 1 << 20;

/** RFC 2741 §6.2.16 res.error values we use (0..18 are SNMP's own error-status values) */
export const AGENTX_ERROR = {
  noError: 0, genErr: 5, wrongType: 7, wrongValue: 10, noCreation: 11, commitFailed: 14, notWritable: 17, openFailed: 256, notOpen: 257, duplicateRegistration: 263,
  unknownRegistration: 264, parseError: 266, requestDenied: 267, processingError: 268,
} as const;

/** Close reasons (RFC 2741 §6.2.2) */
export const CLOSE_REASON = { other: 1, parseError: 2, protocolError: 3, timeouts: 4, shutdown: 5, byManager: 6 } as const;

/** A varbind value, in SNMP's types (the MIB module's own words). */
export type SnmpValue =
  | { readonly type: 'integer'; readonly value: number }
  | { readonly type: 'octets'; readonly value: Uint8Array }
  | { readonly type: 'oid'; readonly value: Oid }
  | { readonly type: 'ipAddress'; readonly value: Uint8Array }
  | { readonly type: 'counter32'; readonly value: number }
  | { readonly type: 'gauge32'; readonly value: number }
  | { readonly type: 'timeTicks'; readonly value: number }
  | { readonly type: 'counter64'; readonly value: bigint }
  | { readonly type: 'null' | 'noSuchObject' | 'noSuchInstance' | 'endOfMibView' };

export interface Varbind {
  readonly oid: Oid;
  readonly value: SnmpValue;
}

/** Opaque (RFC 2741 §5.4): a value we never send, skipped in what we are sent */
const OPAQUE = 68;

const TYPE_CODE: Record<SnmpValue['type'], number> = {
  integer: 2, octets: 4, null: 5, oid: 6, ipAddress: 64, counter32: 65, gauge32: 66, timeTicks: 67,
  counter64: 70, noSuchObject: 128, noSuchInstance: 129, endOfMibView: 130,
};

export interface Header {
  readonly type: number;
  readonly flags: number;
  readonly sessionId: number;
  readonly transactionId: number;
  readonly packetId: number;
  readonly payloadLength: number;
}

export interface SearchRange {
  readonly start: Oid;
  readonly include: boolean;
  /** empty: no upper bound */
  readonly end: Oid;
}

/** What a master sends us. */
export type MasterPdu =
  | { readonly kind: 'response'; readonly h: Header; readonly sysUpTime: number; readonly error: number; readonly index: number }
  | { readonly kind: 'get' | 'getNext'; readonly h: Header; readonly ranges: readonly SearchRange[] }
  | { readonly kind: 'getBulk'; readonly h: Header; readonly nonRepeaters: number; readonly maxRepetitions: number; readonly ranges: readonly SearchRange[] }
  /** testSet carries the varbinds to set; the later phases name the same transaction */
  | { readonly kind: 'set'; readonly h: Header; readonly phase: 'testSet' | 'commitSet' | 'undoSet' | 'cleanupSet'; readonly varbinds?: readonly SetVarbind[] }
  | { readonly kind: 'close'; readonly h: Header; readonly reason: number };

/** A varbind of a TestSet: its OID, its type code (RFC 2741 §5.4), and its value when an integer. */
export interface SetVarbind {
  readonly oid: Oid;
  readonly type: number;
  readonly integer?: number;
}

export type DecodeReason = 'short' | 'version' | 'type' | 'context' | 'oid' | 'length' | 'value';

// ---------------------------------------------------------------------------------------- decode

class Reader {
  private pos: number;
  constructor(private readonly b: Uint8Array, start: number, private readonly end: number, private readonly le: boolean) {
    this.pos = start;
  }
  private view(n: number): DataView | undefined {
    if (this.pos + n > this.end) return undefined;
    const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, n);
    this.pos += n;
    return v;
  }
  u8(): number | undefined { return this.view(1)?.getUint8(0); }
  /** false when fewer than `n` bytes are left */
  skip(n: number): boolean { return this.view(n) !== undefined; }
  u16(): number | undefined { return this.view(2)?.getUint16(0, this.le); }
  u32(): number | undefined { return this.view(4)?.getUint32(0, this.le); }
  done(): boolean { return this.pos >= this.end; }
  /** an OID with its include flag; undefined when it runs past the PDU */
  oid(): { oid: Oid; include: boolean } | undefined {
    const n = this.u8();
    const prefix = this.u8();
    const include = this.u8();
    if (n === undefined || prefix === undefined || include === undefined || this.u8() === undefined) return undefined;
    const out: number[] = prefix !== 0 ? [1, 3, 6, 1, prefix] : [];
    for (let i = 0; i < n; i++) {
      const s = this.u32();
      if (s === undefined) return undefined;
      out.push(s);
    }
    return { oid: out, include: include !== 0 };
  }
}

/** The header of the PDU at the start of `b`, if 20 bytes are there. */
export function decodeHeader(b: Uint8Array): Result<Header, DecodeReason> {
  if (b.length < HEADER_LEN) return err('short');
  if (b[0] !== 1) return err('version');
  const flags = b[2]!;
  const dv = new DataView(b.buffer, b.byteOffset, HEADER_LEN);
  const le = (flags & FLAG_NETWORK_BYTE_ORDER) === 0;
  return ok({
    type: b[1]!, flags, sessionId: dv.getUint32(4, le), transactionId: dv.getUint32(8, le),
    packetId: dv.getUint32(12, le), payloadLength: dv.getUint32(16, le),
  });
}

/** A TestSet's VarBindList; undefined when a varbind runs past the PDU or has a type of no known size. */
function setVarbinds(r: Reader): SetVarbind[] | undefined {
  const out: SetVarbind[] = [];
  const T = TYPE_CODE;
  while (!r.done()) {
    const type = r.u16();
    if (type === undefined || r.u16() === undefined) return undefined;
    const name = r.oid();
    if (!name) return undefined;
    let integer: number | undefined;
    if (type === T.integer || type === T.counter32 || type === T.gauge32 || type === T.timeTicks) {
      const v = r.u32();
      if (v === undefined) return undefined;
      integer = type === T.integer ? v | 0 : v;
    } else if (type === T.counter64) {
      if (!r.skip(8)) return undefined;
    } else if (type === T.octets || type === T.ipAddress || type === OPAQUE) {
      const n = r.u32();
      if (n === undefined || !r.skip(Math.ceil(n / 4) * 4)) return undefined;
    } else if (type === T.oid) {
      if (!r.oid()) return undefined;
    } else if (type !== T.null && type !== T.noSuchObject && type !== T.noSuchInstance && type !== T.endOfMibView) return undefined;
    out.push({ oid: name.oid, type, ...(integer !== undefined ? { integer } : {}) });
  }
  return out;
}

function ranges(r: Reader): SearchRange[] | undefined {
  const out: SearchRange[] = [];
  while (!r.done()) {
    const s = r.oid();
    const e = r.oid();
    if (!s || !e) return undefined;
    out.push({ start: s.oid, include: s.include, end: e.oid });
  }
  return out;
}

/** One whole PDU (header and payload, as `decodeHeader` framed it). */
export function decodePdu(b: Uint8Array): Result<MasterPdu, DecodeReason> {
  const hr = decodeHeader(b);
  if (!hr.ok) return hr;
  const h = hr.value;
  if (b.length < HEADER_LEN + h.payloadLength || h.payloadLength % 4 !== 0) return err('length');
  const le = (h.flags & FLAG_NETWORK_BYTE_ORDER) === 0;
  if ((h.flags & FLAG_NON_DEFAULT_CONTEXT) !== 0) return err('context');
  const r = new Reader(b, HEADER_LEN, HEADER_LEN + h.payloadLength, le);
  switch (h.type) {
    case PDU.response: {
      const sysUpTime = r.u32();
      const error = r.u16();
      const index = r.u16();
      if (sysUpTime === undefined || error === undefined || index === undefined) return err('length');
      return ok({ kind: 'response', h, sysUpTime, error, index });
    }
    case PDU.get:
    case PDU.getNext: {
      const rs = ranges(r);
      return rs ? ok({ kind: h.type === PDU.get ? 'get' : 'getNext', h, ranges: rs }) : err('oid');
    }
    case PDU.getBulk: {
      const nonRepeaters = r.u16();
      const maxRepetitions = r.u16();
      if (nonRepeaters === undefined || maxRepetitions === undefined) return err('length');
      const rs = ranges(r);
      return rs ? ok({ kind: 'getBulk', h, nonRepeaters, maxRepetitions, ranges: rs }) : err('oid');
    }
    case PDU.testSet: {
      const varbinds = setVarbinds(r);
      return varbinds ? ok({ kind: 'set', h, phase: 'testSet', varbinds }) : err('value');
    }
    case PDU.commitSet: return ok({ kind: 'set', h, phase: 'commitSet' });
    case PDU.undoSet: return ok({ kind: 'set', h, phase: 'undoSet' });
    case PDU.cleanupSet: return ok({ kind: 'set', h, phase: 'cleanupSet' });
    case PDU.close: {
      const reason = r.u8();
      return reason === undefined ? err('length') : ok({ kind: 'close', h, reason });
    }
    default:
      return err('type');
  }
}

// ---------------------------------------------------------------------------------------- encode

class Writer {
  private readonly parts: number[] = [];
  u8(v: number): this { this.parts.push(v & 0xff); return this; }
  u16(v: number): this { return this.u8(v >>> 8).u8(v); }
  u32(v: number): this { return this.u8(v >>> 24).u8(v >>> 16).u8(v >>> 8).u8(v); }
  bytes(b: Uint8Array): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  oid(o: Oid, include = false): this {
    const prefixed = o.length >= 5 && o[0] === 1 && o[1] === 3 && o[2] === 6 && o[3] === 1 && o[4]! > 0 && o[4]! < 256;
    const rest = prefixed ? o.slice(5) : o;
    this.u8(rest.length).u8(prefixed ? o[4]! : 0).u8(include ? 1 : 0).u8(0);
    for (const s of rest) this.u32(s);
    return this;
  }
  octets(b: Uint8Array): this {
    this.u32(b.length).bytes(b);
    for (let i = b.length % 4; i !== 0 && i < 4; i++) this.u8(0);
    return this;
  }
  varbind(v: Varbind): this {
    const x = v.value;
    this.u16(TYPE_CODE[x.type]).u16(0).oid(v.oid);
    switch (x.type) {
      case 'integer': return this.u32(x.value | 0);
      case 'counter32':
      case 'gauge32':
      case 'timeTicks': return this.u32(x.value >>> 0);
      case 'counter64': return this.u32(Number((x.value >> 32n) & 0xffffffffn)).u32(Number(x.value & 0xffffffffn));
      case 'octets':
      case 'ipAddress': return this.octets(x.value);
      case 'oid': return this.oid(x.value);
      default: return this;
    }
  }
  get length(): number { return this.parts.length; }
  done(): Uint8Array { return Uint8Array.from(this.parts); }
}

export interface Ids {
  readonly sessionId: number;
  readonly transactionId?: number;
  readonly packetId: number;
}

function pdu(type: number, ids: Ids, body: Writer): Uint8Array {
  const w = new Writer().u8(1).u8(type).u8(FLAG_NETWORK_BYTE_ORDER).u8(0)
    .u32(ids.sessionId).u32(ids.transactionId ?? 0).u32(ids.packetId).u32(body.length);
  return Uint8Array.from([...w.done(), ...body.done()]);
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Open: `timeoutS` 0 leaves the master's default; `id` names the subagent (may be empty). */
export function encodeOpen(ids: Ids, timeoutS: number, id: Oid, descr: string): Uint8Array {
  return pdu(PDU.open, ids, new Writer().u8(timeoutS).u8(0).u8(0).u8(0).oid(id).octets(text(descr)));
}

export function encodeClose(ids: Ids, reason: number): Uint8Array {
  return pdu(PDU.close, ids, new Writer().u8(reason).u8(0).u8(0).u8(0));
}

/** Register a whole subtree (no range) at `priority` (127 is net-snmp's default). */
export function encodeRegister(ids: Ids, subtree: Oid, priority = 127, timeoutS = 0): Uint8Array {
  return pdu(PDU.register, ids, new Writer().u8(timeoutS).u8(priority).u8(0).u8(0).oid(subtree));
}

export function encodeAddAgentCaps(ids: Ids, id: Oid, descr: string): Uint8Array {
  return pdu(PDU.addAgentCaps, ids, new Writer().oid(id).octets(text(descr)));
}

export function encodePing(ids: Ids): Uint8Array {
  return pdu(PDU.ping, ids, new Writer());
}

/** Notify: the varbinds as given (sysUpTime.0 first if present, then snmpTrapOID.0). */
export function encodeNotify(ids: Ids, varbinds: readonly Varbind[]): Uint8Array {
  const w = new Writer();
  for (const v of varbinds) w.varbind(v);
  return pdu(PDU.notify, ids, w);
}

export function encodeResponse(ids: Ids, sysUpTime: number, error: number, index: number, varbinds: readonly Varbind[]): Uint8Array {
  const w = new Writer().u32(sysUpTime).u16(error).u16(index);
  for (const v of varbinds) w.varbind(v);
  return pdu(PDU.response, ids, w);
}

// ---------------------------------------------------------------------------------------- OIDs

/** <0, 0, >0 as SNMP orders OIDs (lexicographically, a prefix first). */
export function compareOid(a: Oid, b: Oid): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

export const oidText = (o: Oid): string => o.join('.');
export const parseOid = (s: string): Oid => s.replace(/^\./, '').split('.').map(Number);
