/**
 * Netlink attributes encoded and decoded from the tables in ./attr-spec.ts: one generic walker
 * each way, no per-attribute code. Records are plain objects keyed by the spec's names.
 *
 * Encoding writes straight into a growing buffer (NlWriter), so a batch of thousands of
 * requests is one allocation-light pass. Decoding never throws: a short or malformed attribute
 * gives `{ ok: false, error }` naming the set and the attribute.
 */
import { err, ok, type Result } from '../util/result.js';
import type { AttrSet, AttrSpec } from './attr-spec.js';

export type AttrValue = number | bigint | string | Uint8Array | FlagsValue | AttrRecord;
export interface FlagsValue {
  readonly flags: number;
  readonly mask: number;
}
export interface AttrRecord {
  readonly [name: string]: AttrValue | undefined;
}

export const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const align4 = (n: number): number => (n + 3) & ~3;
const NLA_F_MASK = 0x3fff; // strip NLA_F_NESTED / NLA_F_NET_BYTEORDER

/** A growing byte buffer with netlink-style writers (host order unless said otherwise). */
export class NlWriter {
  buf: Buffer;
  view: DataView;
  off = 0;

  constructor(initial = 4096) {
    this.buf = Buffer.allocUnsafe(initial);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  u8(v: number): void {
    this.ensure(1);
    this.view.setUint8(this.off, v);
    this.off += 1;
  }
  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.off, v, isLittleEndian);
    this.off += 2;
  }
  be16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.off, v, false);
    this.off += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.off, v >>> 0, isLittleEndian);
    this.off += 4;
  }
  s32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.off, v | 0, isLittleEndian);
    this.off += 4;
  }
  u64(v: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.off, v, isLittleEndian);
    this.off += 8;
  }
  bytes(b: Uint8Array, padTo = b.length): void {
    this.ensure(padTo);
    this.buf.set(b, this.off);
    if (padTo > b.length) this.buf.fill(0, this.off + b.length, this.off + padTo);
    this.off += padTo;
  }
  pad4(): void {
    const n = align4(this.off) - this.off;
    if (n === 0) return;
    this.ensure(n);
    this.buf.fill(0, this.off, this.off + n);
    this.off += n;
  }
  /** Writes a u32 (host order) at an earlier offset. */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, isLittleEndian);
  }
  patchU16(at: number, v: number): void {
    this.view.setUint16(at, v, isLittleEndian);
  }
  /** The bytes written so far (a view, not a copy). */
  bytesWritten(): Buffer {
    return this.buf.subarray(0, this.off);
  }
  reset(): void {
    this.off = 0;
  }
}

function fail(set: AttrSet, spec: AttrSpec, why: string): never {
  throw new TypeError(`${set.name}.${spec.name}: ${why}`);
}

function writePayload(w: NlWriter, set: AttrSet, spec: AttrSpec, v: AttrValue): void {
  switch (spec.kind) {
    case 'u8':
      return w.u8(v as number);
    case 'u16':
      return w.u16(v as number);
    case 'be16':
      return w.be16(v as number);
    case 'u32':
      return w.u32(v as number);
    case 's32':
      return w.s32(v as number);
    case 'u64':
      return w.u64(v as bigint);
    case 'addr': {
      const b = v as Uint8Array;
      if (b.length !== 4 && b.length !== 16) fail(set, spec, `address of ${b.length} bytes`);
      return w.bytes(b, 16);
    }
    case 'in4':
    case 'in6': {
      const b = v as Uint8Array;
      if (b.length !== (spec.kind === 'in4' ? 4 : 16)) fail(set, spec, `address of ${b.length} bytes`);
      return w.bytes(b);
    }
    case 'string': {
      const s = Buffer.from(v as string, 'utf8');
      w.bytes(s);
      return w.u8(0);
    }
    case 'flags': {
      const f = v as FlagsValue;
      w.u32(f.flags);
      return w.u32(f.mask);
    }
    case 'nested':
      return encodeAttrs(w, spec.set!, v as AttrRecord);
  }
}

/** Appends the attributes of `rec` present in `set`, in the table's order. Unknown names are a programming error. */
export function encodeAttrs(w: NlWriter, set: AttrSet, rec: AttrRecord): void {
  let written = 0;
  for (const spec of set.attrs) {
    const v = rec[spec.name];
    if (v === undefined) continue;
    written++;
    const start = w.off;
    w.ensure(4);
    w.off += 4;
    writePayload(w, set, spec, v);
    w.patchU16(start, w.off - start);
    w.patchU16(start + 2, spec.kind === 'nested' ? spec.num | 0x8000 : spec.num);
    w.pad4();
  }
  let given = 0;
  for (const name in rec) if (rec[name] !== undefined) given++;
  if (given !== written) {
    const unknown = Object.keys(rec).filter((n) => rec[n] !== undefined && !set.attrs.some((a) => a.name === n));
    throw new TypeError(`${set.name}: no attribute ${unknown.map((n) => `'${n}'`).join(', ')}`);
  }
}

const MIN_LEN: Readonly<Record<AttrSpec['kind'], number>> = { u8: 1, u16: 2, be16: 2, u32: 4, s32: 4, u64: 8, addr: 4, in4: 4, in6: 16, flags: 8, string: 0, nested: 0 };

function readPayload(set: AttrSet, spec: AttrSpec, b: Buffer, view: DataView, at: number, len: number): Result<AttrValue, string> {
  const need = MIN_LEN[spec.kind];
  if (len < need) return err(`${set.name} attribute ${spec.name}: ${len} bytes, want ${need}`);
  switch (spec.kind) {
    case 'u8':
      return ok(view.getUint8(at));
    case 'u16':
      return ok(view.getUint16(at, isLittleEndian));
    case 'be16':
      return ok(view.getUint16(at, false));
    case 'u32':
      return ok(view.getUint32(at, isLittleEndian));
    case 's32':
      return ok(view.getInt32(at, isLittleEndian));
    case 'u64':
      return ok(view.getBigUint64(at, isLittleEndian));
    case 'addr':
      return ok(Uint8Array.from(b.subarray(at, at + Math.min(len, 16))));
    case 'in4':
    case 'in6':
      return ok(Uint8Array.from(b.subarray(at, at + need)));
    case 'string': {
      let end = at;
      while (end < at + len && b[end] !== 0) end++;
      return ok(b.toString('utf8', at, end));
    }
    case 'flags':
      return ok({ flags: view.getUint32(at, isLittleEndian), mask: view.getUint32(at + 4, isLittleEndian) });
    case 'nested':
      return decodeAttrs(spec.set!, b, at, at + len);
  }
}

/**
 * Reads the attributes of `set` from b[start, end). Attributes the table does not know are
 * skipped (newer kernels add some); a truncated header or a payload too short for its type
 * is an error.
 */
export function decodeAttrs(set: AttrSet, b: Buffer, start = 0, end = b.length): Result<AttrRecord, string> {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Record<string, AttrValue> = {};
  let at = start;
  while (at + 4 <= end) {
    const len = view.getUint16(at, isLittleEndian);
    const num = view.getUint16(at + 2, isLittleEndian) & NLA_F_MASK;
    if (len < 4 || at + len > end) return err(`${set.name}: attribute ${num} length ${len} overruns its message`);
    const spec = set.byNum[num];
    if (spec) {
      const v = readPayload(set, spec, b, view, at + 4, len - 4);
      if (!v.ok) return v;
      out[spec.name] = v.value;
    }
    at += align4(len);
  }
  if (at < end) return err(`${set.name}: ${end - at} trailing bytes`);
  return ok(out);
}
