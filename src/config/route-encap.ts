/**
 * The `encap` words of a route or of one of its nexthops (lightweight tunnel encapsulation),
 * read as keepalived 2.2.7 reads them (vrrp_iproute.c parse_encap and parse_encap_mpls / _ip /
 * _ip6 / _ila, vrrp_ip_rule_route_parser.c parse_mpls_address and get_addr64):
 *
 *   encap mpls LABEL[/LABEL]      at most two labels of 20 bits (C numbers: 16, 0x10, 020)
 *   encap ip  KEY VALUE...        id, dst, src (IPv4), tos, ttl, flags; needs dst or id
 *   encap ip6 KEY VALUE...        id, dst, src (IPv6), tc, hoplimit, flags; needs dst or id
 *   encap ila LOCATOR             four groups of up to four hex digits, `2001:0:0:1`
 *
 * That is all keepalived 2.2.7 knows: `seg6`, `seg6local`, `bpf`, `ioam6` are its "Unknown
 * encap type", and ILA options (`csum-mode`, `ident-type`, `hook-type`) are not read (the word
 * is then an unknown route keyword). id, ttl, hoplimit and flags are decimal (read_unsigned);
 * tos and tc are C numbers up to 255 or, for keepalived, names of rt_dsfield, which keepalived-ts
 * does not read (a problem marked `unsupported`).
 *
 * Shared by the config reader (src/config/entries.ts: problems with their place at -t) and the
 * route message (src/netlink/route.ts), so both read the words the same way.
 */
import { parseIp, type IpAddress } from '../util/ip.js';

export interface EncapMpls {
  readonly kind: 'mpls';
  /** label values, the outermost first */
  readonly labels: readonly number[];
}

export interface EncapIp {
  readonly kind: 'ip';
  readonly id?: bigint;
  readonly dst?: IpAddress;
  readonly src?: IpAddress;
  readonly tos?: number;
  readonly ttl?: number;
  readonly flags?: number;
}

export interface EncapIp6 {
  readonly kind: 'ip6';
  readonly id?: bigint;
  readonly dst?: IpAddress;
  readonly src?: IpAddress;
  /** traffic class */
  readonly tc?: number;
  readonly hoplimit?: number;
  readonly flags?: number;
}

export interface EncapIla {
  readonly kind: 'ila';
  /** the 64-bit locator, 8 bytes in network order */
  readonly locator: Uint8Array;
}

export type Encap = EncapMpls | EncapIp | EncapIp6 | EncapIla;

export interface EncapProblem {
  /** keepalived's words for it (keepalived-ts's own for what keepalived-ts does not read) */
  readonly message: string;
  /** the index of the word it is about */
  readonly at: number;
  /** keepalived accepts it; keepalived-ts cannot send it (a name from rt_dsfield) */
  readonly unsupported?: true;
}

export interface EncapRead {
  /** set when there is no problem */
  readonly encap?: Encap;
  readonly problem?: EncapProblem;
  /** the index of the word keepalived reads next (after a problem too) */
  readonly next: number;
}

/** MAX_MPLS_LABELS of keepalived 2.2.7 */
const MAX_MPLS_LABELS = 2;
const MPLS_LABEL_MAX = 0xfffff;
const U8 = 0xffn;
const U16 = 0xffffn;
const U64 = 0xffff_ffff_ffff_ffffn;

/** `encap` at words[i]: the encapsulation its words describe, or keepalived's problem with them. */
export function readEncap(words: readonly string[], i: number): EncapRead {
  const type = words[i + 1];
  if (type === undefined) return { problem: { message: 'Missing encap type', at: i }, next: words.length };
  const at = i + 2;
  if (type === 'ip' || type === 'ip6') return readIpEncap(type, words, i + 1);
  if (type === 'mpls' || type === 'ila') {
    const v = words[at];
    if (v === undefined) {
      return { problem: { message: type === 'mpls' ? 'missing address for MPLS encapsulation' : 'missing locator for ILA encapsulation', at: i + 1 }, next: words.length };
    }
    if (type === 'mpls') {
      const labels = mplsLabels(v);
      return labels ? { encap: { kind: 'mpls', labels }, next: at + 1 } : { problem: { message: `invalid mpls address ${v} for encapsulation`, at }, next: at + 1 };
    }
    const locator = ilaLocator(v);
    return locator ? { encap: { kind: 'ila', locator }, next: at + 1 } : { problem: { message: `invalid locator ${v} for ila encapsulation`, at }, next: at + 1 };
  }
  // keepalived also passes over the word after an unknown type
  return { problem: { message: `Unknown encap type - ${type}`, at: i + 1 }, next: at + 1 };
}

type IpField = 'id' | 'dst' | 'src' | 'dsfield' | 'hops' | 'flags';

/** The keys of each kind, their field, and keepalived's words when the value is refused. */
const IP_KEYS: Readonly<Record<'ip' | 'ip6', ReadonlyMap<string, { field: IpField; bad: (v: string) => string }>>> = {
  ip: new Map([
    ['id', { field: 'id', bad: (v) => `encap id ${v} value is invalid` }],
    ['dst', { field: 'dst', bad: (v) => `Invalid encap ip dst ${v}` }],
    ['src', { field: 'src', bad: (v) => `Invalid encap ip src ${v}` }],
    ['tos', { field: 'dsfield', bad: (v) => `dsfield ${v} not valid for ip encapsulation` }],
    ['ttl', { field: 'hops', bad: (v) => `ttl ${v} is not valid for ip encapsulation` }],
    ['flags', { field: 'flags', bad: (v) => `flags ${v} is not valid for ip encapsulation` }],
  ]),
  ip6: new Map([
    ['id', { field: 'id', bad: (v) => `id ${v} value invalid for IPv6 encapsulation` }],
    ['dst', { field: 'dst', bad: (v) => `Invalid encap ip6 dst ${v}` }],
    ['src', { field: 'src', bad: (v) => `Invalid encap ip6 src ${v}` }],
    // keepalived 2.2.7 names the key here ("tc value tc is invalid"); the value says more
    ['tc', { field: 'dsfield', bad: (v) => `tc value ${v} is invalid for ip6 encapsulation` }],
    ['hoplimit', { field: 'hops', bad: (v) => `Invalid hoplimit ${v} specified for ip6 encapsulation` }],
    ['flags', { field: 'flags', bad: (v) => `flags ${v} is not valid for ip6 encapsulation` }],
  ]),
};

/** `encap ip|ip6` (the kind at words[typeAt]) and its KEY VALUE pairs, until a word that is not one of the kind's keys. */
function readIpEncap(kind: 'ip' | 'ip6', words: readonly string[], typeAt: number): EncapRead {
  let i = typeAt + 1;
  const keys = IP_KEYS[kind];
  const family = kind === 'ip' ? 'inet' : 'inet6';
  const got: { id?: bigint; dst?: IpAddress; src?: IpAddress; dsfield?: number; hops?: number; flags?: number } = {};
  // keepalived goes on at the key whose value it refused (then an unknown route keyword)
  const refuse = (message: string): EncapRead => ({ problem: { message, at: i + 1 }, next: i });
  // a name keepalived may know: read on as keepalived would, then say it
  let unsupported: EncapProblem | undefined;
  for (; i + 1 < words.length; i += 2) {
    const spec = keys.get(words[i]!);
    if (!spec) break;
    const v = words[i + 1]!;
    if (spec.field === 'dst' || spec.field === 'src') {
      const a = parseIp(v);
      if (!a) return refuse(spec.bad(v));
      if (a.family !== family) return refuse(`${kind === 'ip' ? 'IPv6' : 'IPv4'} address ${v} not valid for ${kind} encapsulation`);
      got[spec.field] = a;
    } else if (spec.field === 'dsfield') {
      const n = cNumber(v);
      if (n === undefined && !/^[-+]?[0-9]/.test(v)) {
        unsupported ??= { message: `${words[i]} '${v}' is a name from rt_dsfield, which keepalived-ts does not read`, at: i + 1, unsupported: true };
        continue;
      }
      if (n === undefined || n > 255) return refuse(spec.bad(v));
      got.dsfield = n;
    } else {
      const max = spec.field === 'id' ? U64 : spec.field === 'hops' ? U8 : U16;
      const n = decimal(v, max);
      if (n === undefined) return refuse(spec.bad(v));
      if (spec.field === 'id') got.id = n;
      else got[spec.field] = Number(n);
    }
  }
  if (got.dst === undefined && got.id === undefined) return { problem: { message: `address or id missing for ${kind} encapsulation`, at: typeAt }, next: i };
  if (unsupported) return { problem: unsupported, next: i };
  const common = { ...(got.id !== undefined ? { id: got.id } : {}), ...(got.dst ? { dst: got.dst } : {}), ...(got.src ? { src: got.src } : {}), ...(got.flags !== undefined ? { flags: got.flags } : {}) };
  const encap: Encap = kind === 'ip'
    ? { kind, ...common, ...(got.dsfield !== undefined ? { tos: got.dsfield } : {}), ...(got.hops !== undefined ? { ttl: got.hops } : {}) }
    : { kind, ...common, ...(got.dsfield !== undefined ? { tc: got.dsfield } : {}), ...(got.hops !== undefined ? { hoplimit: got.hops } : {}) };
  return { encap, next: i };
}

/** A decimal number up to max, as read_unsigned / read_unsigned64 read it. */
function decimal(text: string, max: bigint): bigint | undefined {
  if (!/^\+?[0-9]+$/.test(text)) return undefined;
  const n = BigInt(text);
  return n <= max ? n : undefined;
}

/** A number as strtoul(…, 0) reads it all (16, 0x10, 020), or undefined. */
function cNumber(text: string): number | undefined {
  const m = /^\+?(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(text);
  if (!m) return undefined;
  const n = m[1] !== undefined ? parseInt(m[1], 16) : m[2] !== undefined ? parseInt(m[2], 8) : Number(m[3]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** parse_mpls_address: LABEL[/LABEL], each a C number of 20 bits. */
function mplsLabels(text: string): number[] | undefined {
  const parts = text.split('/');
  if (parts.length > MAX_MPLS_LABELS) return undefined;
  const labels = parts.map(cNumber);
  return labels.every((l): l is number => l !== undefined && l <= MPLS_LABEL_MAX) ? labels : undefined;
}

/** get_addr64: four hex groups of 16 bits separated by ':'; the locator in network order. */
function ilaLocator(text: string): Uint8Array | undefined {
  const groups = text.split(':');
  if (groups.length !== 4) return undefined;
  const out = new Uint8Array(8);
  for (const [k, g] of groups.entries()) {
    // strtoul base 16 also takes a 0x prefix
    const m = /^(?:0[xX])?([0-9a-fA-F]+)$/.exec(g);
    const n = m ? parseInt(m[1]!, 16) : NaN;
    if (!(n <= 0xffff)) return undefined;
    out[2 * k] = n >> 8;
    out[2 * k + 1] = n & 0xff;
  }
  return out;
}
