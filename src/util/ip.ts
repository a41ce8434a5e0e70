/**
 * IPv4 / IPv6 address parsing and formatting, without node:net (core folders use this).
 * Addresses are kept as their canonical text plus the raw bytes when needed.
 */

export type Family = 'inet' | 'inet6';

export interface IpAddress {
  readonly family: Family;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
}

export interface IpPrefix extends IpAddress {
  readonly prefixLen: number;
}


/** Strict dotted-quad: four decimal parts 0..255, no leading zeros (as inet_pton). */
export function parseIpv4(text: string): Uint8Array | undefined {
  const v = ipv4Value(text);
  return v === -1 ? undefined : new Uint8Array([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
}

/** parseIpv4's address as an unsigned 32-bit number (no buffer made), -1 when not one. */
function ipv4Value(text: string): number {
  let part = 0;
  let digits = 0;
  let value = 0;
  let out = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46;
    if (c === 46 /* . */) {
      if (digits === 0 || part > 3) return -1;
      out = out * 256 + value;
      part++;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return -1; // no leading zeros
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return -1;
    } else return -1;
  }
  return part === 4 ? out : -1;
}

/** RFC 4291 text form, including `::` and an embedded dotted quad; no zone id. */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const dbl = text.indexOf('::');
  if (dbl !== -1 && text.indexOf('::', dbl + 1) !== -1) return undefined;
  const head = dbl === -1 ? text : text.slice(0, dbl);
  const tail = dbl === -1 ? '' : text.slice(dbl + 2);
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === '' ? [] : tail.split(':');
  const words: number[] = [];
  const tailWords: number[] = [];
  const push = (parts: string[], into: number[], last: boolean): boolean => {
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (last && i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (!v4) return false;
        into.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return false;
      into.push(parseInt(p, 16));
    }
    return true;
  };
  if (!push(headParts, words, dbl === -1)) return undefined;
  if (!push(tailParts, tailWords, true)) return undefined;
  const total = words.length + tailWords.length;
  if (dbl === -1 ? total !== 8 : total > 7) return undefined;
  const all = [...words, ...new Array<number>(8 - total).fill(0), ...tailWords];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/**
 * The bytes of a parsed address are a view on a shared slab, not a buffer of their own: a
 * configuration holds one address per real server, and a buffer of its own costs some 150
 * bytes of heap for 4 bytes of data. The addresses netlink reports go there too (a director
 * with 50,000 local addresses, src/netlink/parse.ts). Every reader takes their byteOffset.
 */
const SLAB = 8192;
let slab = new Uint8Array(SLAB);
let slabUsed = 0;
/** A copy of an address's bytes on the slab. */
export function keep(bytes: Uint8Array): Uint8Array {
  const out = room(bytes.length);
  out.set(bytes);
  return out;
}

/** An IPv4 address (ipv4Value's number) on the slab. */
function keep4(v: number): Uint8Array {
  const out = room(4);
  out[0] = v >>> 24;
  out[1] = (v >>> 16) & 255;
  out[2] = (v >>> 8) & 255;
  out[3] = v & 255;
  return out;
}

function room(n: number): Uint8Array {
  if (slabUsed + n > SLAB) {
    slab = new Uint8Array(SLAB);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  slabUsed += n;
  return out;
}

/**
 * An address as keepalived's inet_stosockaddr reads it (lib/utils.c): the family is IPv6 when the
 * word has a ':' anywhere, and what follows the first '-' (else the first '/') is dropped, so
 * `10.0.0.1/24` and `10.0.0.1-9` are 10.0.0.1.
 */
export function parseSockaddr(text: string): IpAddress | undefined {
  const cut = text.indexOf('-') >= 0 ? text.indexOf('-') : text.indexOf('/');
  const head = cut >= 0 ? text.slice(0, cut) : text;
  if (text.includes(':')) {
    const v6 = parseIpv6(head);
    return v6 ? { family: 'inet6', bytes: keep(v6) } : undefined;
  }
  const v4 = ipv4Value(head);
  return v4 !== -1 ? { family: 'inet', bytes: keep4(v4) } : undefined;
}

export function parseIp(text: string): IpAddress | undefined {
  const v4 = ipv4Value(text);
  if (v4 !== -1) return { family: 'inet', bytes: keep4(v4) };
  const v6 = parseIpv6(text);
  if (v6) return { family: 'inet6', bytes: keep(v6) };
  return undefined;
}

/** `ADDR[/LEN]`; without a length the full host length is used. */
export function parsePrefix(text: string): IpPrefix | undefined {
  const slash = text.indexOf('/');
  const addr = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (!addr) return undefined;
  const max = addr.family === 'inet' ? 32 : 128;
  if (slash === -1) return { ...addr, prefixLen: max };
  const lenText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(lenText)) return undefined;
  const prefixLen = Number(lenText);
  if (prefixLen > max) return undefined;
  return { ...addr, prefixLen };
}

export function formatIp(addr: IpAddress | Uint8Array): string {
  const bytes = addr instanceof Uint8Array ? addr : addr.bytes;
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  // Longest run of zero words (length >= 2) becomes '::' (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (bestStart === -1) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

export function ipEquals(a: IpAddress, b: IpAddress): boolean {
  return sameAddress(a.bytes, b.bytes);
}

/** Two addresses' bytes are the same address (of the same family). */
export function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Numeric comparison of two addresses of one family: <0, 0, >0. */
export function compareIp(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

export function isMulticast(addr: IpAddress): boolean {
  return addr.family === 'inet' ? (addr.bytes[0]! & 0xf0) === 0xe0 : addr.bytes[0] === 0xff;
}

export function isLinkLocal6(addr: IpAddress): boolean {
  return addr.family === 'inet6' && addr.bytes[0] === 0xfe && (addr.bytes[1]! & 0xc0) === 0x80;
}

/** `aa:bb:cc:dd:ee:ff` -> 6 bytes. */
export function parseMac(text: string): Uint8Array | undefined {
  const m = /^([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})$/.exec(text);
  if (!m) return undefined;
  return Uint8Array.from(m.slice(1).map((h) => parseInt(h, 16)));
}

export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}
