/**
 * Raw netlink attributes (struct rtattr / nlattr: u16 length, u16 type, payload padded to 4)
 * for the nested attributes the `netlink` package leaves as bytes (IFLA_LINKINFO, IFLA_AF_SPEC,
 * RTA_METRICS values). Integers are in host byte order, as netlink wants them.
 */

const align4 = (n: number): number => (n + 3) & ~3;
const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A u32 in host byte order. */
export function u32(v: number): Buffer {
  return Buffer.from(new Uint32Array([v >>> 0]).buffer);
}

/** A u16 in host byte order. */
export function u16(v: number): Buffer {
  return Buffer.from(new Uint16Array([v & 0xffff]).buffer);
}

/** A u8 payload. */
export function u8(v: number): Buffer {
  return Buffer.from([v & 0xff]);
}

/** A NUL-terminated string payload. */
export function cstring(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]);
}

/** One attribute with its header and padding. */
export function attr(type: number, payload: Uint8Array): Buffer {
  const len = 4 + payload.length;
  const out = Buffer.alloc(align4(len));
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint16(0, len, isLittleEndian);
  view.setUint16(2, type, isLittleEndian);
  out.set(payload, 4);
  return out;
}

/** Several attributes back to back (the payload of a nested attribute). */
export function attrs(...items: Buffer[]): Buffer {
  return Buffer.concat(items);
}

/**
 * Attributes of a payload by type (the last one wins; the nested flag bit is masked off).
 * Returns undefined when the bytes are not a well-formed attribute stream.
 */
export function parseAttrs(buf: Uint8Array): Map<number, Buffer> | undefined {
  const out = new Map<number, Buffer>();
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = view.getUint16(off, isLittleEndian);
    const type = view.getUint16(off + 2, isLittleEndian) & 0x3fff;
    if (len < 4 || off + len > buf.length) return undefined;
    out.set(type, Buffer.from(buf.buffer, buf.byteOffset + off + 4, len - 4));
    off += align4(len);
  }
  return out;
}

/** A host-order u32 payload, or undefined when it is not 4 bytes. */
export function readU32(b: Uint8Array | undefined): number | undefined {
  if (!b || b.length !== 4) return undefined;
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, isLittleEndian);
}

/** A string payload without its trailing NULs. */
export function readString(b: Uint8Array | undefined): string | undefined {
  if (!b) return undefined;
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return Buffer.from(b.buffer, b.byteOffset, end).toString('utf8');
}
