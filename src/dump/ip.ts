/**
 * Addresses, routes and rules in keepalived.data as keepalived 2.2.7 writes them
 * (vrrp_ipaddress.c format_ipaddress, vrrp_iproute.c format_iproute, vrrp_iprule.c
 * format_iprule): what the entry means once parsed, not the words as written. Routes and
 * rules are read with the parsers the daemon installs them with (src/netlink/route.ts,
 * rule.ts); an entry those refuse is shown with its words and `(not installed: REASON)`.
 */
import type { AddressEntry, RouteEntry, RuleEntry } from '../config/model.js';
import type { LinkInfo } from '../netlink/types.js';
import { FR_ACT_GOTO, FR_ACT_NOP, FR_ACT_TO_TBL, RT_TABLE_MAIN, RTAX, RTN_UNICAST, RTPROT_KEEPALIVED } from '../netlink/constants.js';
import { DEFAULT_RT_NAMES, lookupName, ROUTE_TYPES, type RtNames } from '../netlink/names.js';
import { parseRouteWords, vrfTableOf, withVrfTable, type RouteLinks, type RouteSpec } from '../netlink/route.js';
import { mplsEntries } from '../netlink/route-encap.js';
import type { Encap } from '../config/route-encap.js';
import { parseRuleWords } from '../netlink/rule.js';
import { formatIp, parseIp, type IpPrefix } from '../util/ip.js';
import { printfG } from './common.js';

/** keepalived ipaddresstos: the address, `/len` unless a host prefix. */
export function prefixText(p: IpPrefix): string {
  const full = p.family === 'inet' ? 32 : 128;
  return formatIp(p.bytes) + (p.prefixLen !== full ? `/${p.prefixLen}` : '');
}

/** A number by its name in `names` (rt_scopes, rt_protos, ...), else the number. */
function nameOf(names: ReadonlyMap<string, number>, id: number): string {
  for (const [name, v] of names) if (v === id) return name;
  return String(id);
}

/** `brd +` / `brd -`: the prefix's broadcast or network address (keepalived: prefixes up to /30). */
function broadcastOf(a: AddressEntry): string | undefined {
  const b = a.broadcast;
  if (b === undefined || a.address.family !== 'inet') return undefined;
  if (b !== '+' && b !== '-') return parseIp(b) ? formatIp(parseIp(b)!.bytes) : b;
  if (a.peer !== undefined || a.address.prefixLen > 30) return undefined;
  const base = a.address.bytes.reduce((v, x) => (v << 8) | x, 0) >>> 0;
  const host = a.address.prefixLen === 0 ? 0xffffffff : (0xffffffff >>> a.address.prefixLen);
  const v = (b === '+' ? base | host : base & ~host) >>> 0;
  return formatIp(Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255));
}

export interface AddressPlace {
  /** the interface the address goes on (its `dev`, else the instance's, a VMAC with use_vmac) */
  readonly dev: string;
  /** the VMAC's base interface when `dev` is a VMAC */
  readonly base?: string;
  /** installed now */
  readonly set: boolean;
}

/** keepalived format_ipaddress: "10.0.0.1/24 dev eth0 scope global label eth0:1 set". */
export function formatAddress(a: AddressEntry, at: AddressPlace): string {
  let t = prefixText(a.address);
  const brd = broadcastOf(a);
  if (brd !== undefined && brd !== '0.0.0.0') t += ` brd ${brd}`;
  t += ` dev ${at.dev}`;
  if (at.base !== undefined && at.base !== at.dev) t += `@${at.base}`;
  if (a.useVmac) t += ' use_vmac';
  const scope = a.address.family === 'inet6' ? 0 : lookupName(DEFAULT_RT_NAMES.scopes, a.scope ?? 'global', 255) ?? 0;
  t += ` scope ${nameOf(DEFAULT_RT_NAMES.scopes, scope)}`;
  if (a.label !== undefined && a.address.family === 'inet') t += ` label ${a.label}`;
  if (a.peer !== undefined) t += ` peer ${formatIp(a.peer.bytes)}/${a.address.prefixLen}`;
  if (a.home) t += ' home';
  // keepalived adds IPv6 addresses without DAD; `-nodad` (shown) asks for DAD
  if (a.address.family === 'inet6' && !a.noDad) t += ' -nodad';
  if (a.noPrefixRoute) t += ' noprefixroute';
  if (a.noTrack) t += ' no_track';
  if (a.trackGroup !== undefined) t += ` track_group ${a.trackGroup}`;
  if (a.address.family === 'inet6') {
    // keepalived's default: deprecated for a /128, else forever
    const lft = a.preferredLft ?? (a.address.prefixLen === 128 ? 0 : 'forever');
    t += lft === 0 ? ' deprecated' : ` preferred_lft ${lft}`;
  }
  if (at.set) t += ' set';
  return t;
}

/** Route metrics in format_iproute's order: field, word, whether `lock` applies. */
const ROUTE_METRICS: readonly [keyof RouteSpec['metrics'], string, boolean][] = [
  ['mtu', 'mtu', true], ['window', 'window', false], ['ssthresh', 'ssthresh', true], ['cwnd', 'cwnd', true],
  ['advmss', 'advmss', true], ['reordering', 'reordering', true], ['hoplimit', 'hoplimit', false],
  ['initcwnd', 'initcwnd', false], ['initrwnd', 'initrwnd', false], ['quickack', 'quickack', false],
];
/** rtt, rttvar, rto_min: the word, the kernel's units per millisecond */
const RTT_METRICS: readonly [keyof RouteSpec['metrics'], string, number][] = [['rtt', 'rtt', 8], ['rttvar', 'rttvar', 4], ['rtoMin', 'rto_min', 1]];
const PREF_NAMES: ReadonlyMap<number, string> = new Map([[3, 'low'], [0, 'medium'], [1, 'high']]);

/** keepalived's realms: `realms FROM/TO`, or `realm TO` when FROM is 0 (`decide` is the value whose FROM decides, keepalived's choice). */
function realmWords(realms: number, decide: number): string[] {
  return decide & 0xffff0000 ? ['realms', `${realms >>> 16}/${realms & 0xffff}`] : ['realm', String(realms & 0xffff)];
}

/**
 * keepalived print_encap: MPLS as its label stack entries in hex (`c8100` is label 200 with
 * the bottom-of-stack bit), flags in hex, an ILA locator as the decimal of its 8 network-order
 * bytes read as a host (little-endian) u64.
 */
export function encapWords(e: Encap): string[] {
  if (e.kind === 'mpls') return ['encap', 'mpls', mplsEntries(e.labels).map((v) => v.toString(16)).join('/')];
  if (e.kind === 'ila') return ['encap', 'ila', Buffer.from(e.locator).readBigUInt64LE().toString()];
  const [dsfield, hops] = e.kind === 'ip' ? [['tos', e.tos], ['ttl', e.ttl]] as const : [['tc', e.tc], ['hoplimit', e.hoplimit]] as const;
  return [
    'encap', e.kind,
    ...(e.id !== undefined ? ['id', e.id.toString()] : []),
    ...(e.dst ? ['dst', formatIp(e.dst.bytes)] : []),
    ...(e.src ? ['src', formatIp(e.src.bytes)] : []),
    ...(dsfield[1] !== undefined ? [dsfield[0], String(dsfield[1])] : []),
    ...(hops[1] !== undefined ? [hops[0], String(hops[1])] : []),
    ...(e.flags !== undefined ? ['flags', `0x${e.flags.toString(16)}`] : []),
  ];
}

/** No links known (a view without the host): a route with `vrf` cannot be shown with its table. */
const NO_LINKS: Pick<RouteLinks, 'vrfTable'> = { vrfTable: () => undefined };

/** The VRF tables of the host's links, for formatRoute. */
export function vrfTables(links: readonly { readonly link: LinkInfo }[] | undefined): Pick<RouteLinks, 'vrfTable'> {
  if (!links) return NO_LINKS;
  return { vrfTable: (name) => vrfTableOf(links.find((h) => h.link.name === name)?.link) };
}

/** keepalived format_iproute; `links` gives a `vrf`'s table (keepalived shows the table). */
export function formatRoute(r: RouteEntry, names: RtNames = DEFAULT_RT_NAMES, links: Pick<RouteLinks, 'vrfTable'> = NO_LINKS): string {
  const read = parseRouteWords(r.words, names);
  const parsed = read.ok ? withVrfTable(read.value, links) : read;
  if (!parsed.ok) return `${r.words.join(' ')} (not installed: ${parsed.error})`;
  const s = parsed.value;
  const typed = r.words.some((w) => ROUTE_TYPES.has(w));
  const explicitProto = r.words.some((w) => w === 'proto' || w === 'protocol');
  // keepalived: a route it cannot track (no interface) is not tracked; one it tracks carries
  // its protocol, and so does one written with a protocol
  const noTrack = s.noTrack || s.dev === undefined;
  const words: string[] = [s.mode === 'prepend' && typed ? 'add' : s.mode];
  if (s.type !== undefined && s.type !== RTN_UNICAST) words.push(nameOf(ROUTE_TYPES, s.type));
  // keepalived keeps `default` as the prefix matching everything
  words.push(s.dst ? prefixText(s.dst) : s.family === 'inet' ? '0.0.0.0/0' : '::/0');
  if (s.from) words.push('from', prefixText(s.from));
  if (s.prefSrc) words.push('src', formatIp(s.prefSrc.bytes));
  if (s.tos !== undefined) words.push('tos', String(s.tos));
  if (s.encap) words.push(...encapWords(s.encap));
  if (s.via) words.push('via', s.via.family, formatIp(s.via.bytes));
  if (s.dev !== undefined) words.push('dev', s.dev);
  if (s.table !== RT_TABLE_MAIN) words.push('table', String(s.table));
  if (!s.noTrack || explicitProto) words.push('proto', String(explicitProto ? s.protocol : RTPROT_KEEPALIVED));
  if (s.scope !== undefined) words.push('scope', String(s.scope));
  if (s.metric !== undefined) words.push('metric', String(s.metric));
  if (s.onlink && s.family === 'inet') words.push('onlink');
  if (s.realms) words.push(...realmWords(s.realms, s.realms));
  if (s.expires !== undefined) words.push('expires', `${s.expires}sec`);
  // keepalived writes the lock after the name, without a space ("cubiclock ")
  if (s.congctl !== undefined) words.push('congctl', `${s.congctl}${s.lock & (1 << RTAX.ccAlgo) ? 'lock ' : ''}`);
  for (const [key, word, perMs] of RTT_METRICS) {
    const v = s.metrics[key];
    if (v === undefined) continue;
    const locked = (s.lock & (1 << RTAX[key as keyof typeof RTAX])) !== 0;
    const text = v >= 1000 * perMs ? `${printfG(v / (1000 * perMs))}s` : perMs === 1 ? `${v}ms` : `${printfG(v / perMs)}ms`;
    words.push(word, ...(locked ? ['lock'] : []), text);
  }
  if (s.metrics.features) words.push('features', 'ecn');
  for (const [key, word, lockable] of ROUTE_METRICS) {
    const v = s.metrics[key];
    if (v === undefined) continue;
    const locked = lockable && (s.lock & (1 << RTAX[key as keyof typeof RTAX])) !== 0;
    words.push(word, ...(locked ? ['lock'] : []), String(v));
  }
  if (s.pref !== undefined) words.push('pref', PREF_NAMES.get(s.pref) ?? 'unknown');
  if (s.metrics.fastopenNoCookie !== undefined) words.push('fastopen_no_cookie', String(s.metrics.fastopenNoCookie));
  if (s.ttlPropagate !== undefined) words.push('ttl-propagate', s.ttlPropagate ? 'enabled' : 'disabled');
  for (const nh of s.nexthops) {
    words.push('nexthop');
    if (nh.via) words.push('via', nh.via.family, formatIp(nh.via.bytes));
    if (nh.dev !== undefined) words.push('dev', nh.dev);
    if (nh.weight !== undefined) words.push('weight', String(nh.weight));
    if (nh.onlink) words.push('onlink');
    if (nh.realms) words.push(...realmWords(nh.realms, s.realms ?? 0));
    if (nh.encap) words.push(...encapWords(nh.encap));
  }
  if (noTrack) words.push('no_track');
  if (r.trackGroup !== undefined) words.push('track_group', r.trackGroup);
  return words.join(' ');
}

/**
 * keepalived keeps `from` / `to` written as all, any or default as a prefix matching everything
 * of the rule's family, and shows it so (0.0.0.0/0, ::/0).
 */
function writtenPrefix(words: readonly string[], word: string, family: 'inet' | 'inet6'): string | undefined {
  const i = words.indexOf(word);
  if (i < 0 || !['all', 'any', 'default'].includes(words[i + 1] ?? '')) return undefined;
  return family === 'inet' ? '0.0.0.0/0' : '::/0';
}

/** keepalived format_iprule; `preference` is the one the daemon numbered a rule without one with. */
export function formatRule(r: RuleEntry, preference: number | undefined, names: RtNames = DEFAULT_RT_NAMES): string {
  const parsed = parseRuleWords(r.words, names);
  if (!parsed.ok) return `${r.words.join(' ')} (not installed: ${parsed.error})`;
  const s = parsed.value;
  const words: string[] = [];
  if (!r.words.includes('from') && !r.words.includes('to') && s.family === 'inet6') words.push('inet6');
  if (s.invert) words.push('not');
  words.push('from', s.from ? prefixText(s.from) : writtenPrefix(r.words, 'from', s.family) ?? 'all');
  const to = s.to ? prefixText(s.to) : writtenPrefix(r.words, 'to', s.family);
  if (to !== undefined) words.push('to', to);
  const pref = s.preference ?? preference;
  if (pref !== undefined) words.push('priority', String(pref));
  words.push('tos', `0x${(s.tos ?? 0).toString(16)}`);
  if (s.fwmark !== undefined || s.fwmask !== undefined) {
    let mark = `0x${(s.fwmark ?? 0).toString(16)}`;
    if (s.fwmask !== undefined && s.fwmask !== 0xffffffff) mark += `/0x${s.fwmask.toString(16)}`;
    words.push('fwmark', mark);
  }
  if (s.iif !== undefined) words.push('iif', s.iif);
  if (s.oif !== undefined) words.push('oif', s.oif);
  if (s.suppressPrefixLength !== undefined) words.push('suppress_prefixlen', String(s.suppressPrefixLength));
  if (s.suppressIfgroup !== undefined) words.push('suppress_ifgroup', String(s.suppressIfgroup));
  if (s.tunnelId) words.push('tunnel-id', s.tunnelId.toString());
  if (s.uidRange) words.push('uidrange', `${s.uidRange.start}-${s.uidRange.end}`);
  if (s.l3mdev) words.push('l3mdev');
  words.push('protocol', String(s.protocol));
  if (s.ipProto !== undefined) words.push('ipproto', String(s.ipProto));
  if (s.sport) words.push('sport', `${s.sport.start}-${s.sport.end}`);
  if (s.dport) words.push('dport', `${s.dport.start}-${s.dport.end}`);
  if (s.realms) words.push('realms', `${s.realms >>> 16}/${s.realms & 0xffff}`);
  if (s.action === FR_ACT_TO_TBL) words.push('lookup', String(s.table ?? 0));
  else if (s.action === FR_ACT_GOTO) words.push('goto', String(s.gotoTarget ?? 0));
  else if (s.action === FR_ACT_NOP) words.push('nop');
  else words.push('type', nameOf(ROUTE_TYPES, s.action));
  if (s.noTrack) words.push('no_track');
  if (r.trackGroup !== undefined) words.push('track_group', r.trackGroup);
  return words.join(' ');
}
