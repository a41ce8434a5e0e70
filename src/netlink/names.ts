/**
 * Names of routing tables, route protocols, scopes, realms and interface groups, as keepalived
 * resolves them: a number (decimal, 0x hex or 0 octal, like strtoul base 0), else a name from
 * the iproute2 files (`rt_tables`, `rt_protos`, `rt_scopes`, `rt_realms`, `group`), else
 * keepalived's built-in defaults.
 * The files are read by src/io/rtnl-names.ts; this module only parses their text.
 */
import {
  RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_NOWHERE, RT_SCOPE_SITE, RT_SCOPE_UNIVERSE,
  RT_TABLE_DEFAULT, RT_TABLE_LOCAL, RT_TABLE_MAIN, RTN_ANYCAST, RTN_BLACKHOLE, RTN_BROADCAST,
  RTN_LOCAL, RTN_MULTICAST, RTN_NAT, RTN_PROHIBIT, RTN_THROW, RTN_UNICAST, RTN_UNREACHABLE,
  RTN_XRESOLVE, RTPROT_KEEPALIVED,
} from './constants.js';

export interface RtNames {
  readonly tables: ReadonlyMap<string, number>;
  readonly protocols: ReadonlyMap<string, number>;
  readonly scopes: ReadonlyMap<string, number>;
  /** rt_realms (route and rule `realms`) */
  readonly realms?: ReadonlyMap<string, number>;
  /** `group` (rule `suppress_ifgroup`): keepalived has no built-in names for it */
  readonly groups?: ReadonlyMap<string, number>;
}

/** keepalived's bounds: a realm is 0..255 (find_rttables_realms), a group 0..INT32_MAX. */
export const REALM_MAX = 255;
export const GROUP_MAX = 0x7fffffff;

export const DEFAULT_RT_NAMES: RtNames = {
  tables: new Map([['default', RT_TABLE_DEFAULT], ['main', RT_TABLE_MAIN], ['local', RT_TABLE_LOCAL]]),
  protocols: new Map([
    ['none', 0], ['redirect', 1], ['kernel', 2], ['boot', 3], ['static', 4], ['gated', 8], ['ra', 9],
    ['mrt', 10], ['zebra', 11], ['bird', 12], ['dnrouted', 13], ['xorp', 14], ['ntk', 15], ['dhcp', 16],
    ['keepalived', RTPROT_KEEPALIVED], ['babel', 42],
  ]),
  realms: new Map([['cosmos', 0]]),
  scopes: new Map([
    ['global', RT_SCOPE_UNIVERSE], ['nowhere', RT_SCOPE_NOWHERE], ['host', RT_SCOPE_HOST],
    ['link', RT_SCOPE_LINK], ['site', RT_SCOPE_SITE],
  ]),
};

/** Route types by the words `ip route` uses (also the rule actions blackhole/unreachable/prohibit). */
export const ROUTE_TYPES: ReadonlyMap<string, number> = new Map([
  ['unicast', RTN_UNICAST], ['local', RTN_LOCAL], ['broadcast', RTN_BROADCAST], ['brd', RTN_BROADCAST],
  ['anycast', RTN_ANYCAST], ['multicast', RTN_MULTICAST], ['blackhole', RTN_BLACKHOLE],
  ['unreachable', RTN_UNREACHABLE], ['prohibit', RTN_PROHIBIT], ['throw', RTN_THROW], ['nat', RTN_NAT],
  ['xresolve', RTN_XRESOLVE],
]);

/** An unsigned number as strtoul(…, 0) reads it, or undefined if not a number or above max. */
export function parseUnsigned(word: string, max: number): number | undefined {
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(word)) v = parseInt(word.slice(2), 16);
  else if (/^0[0-7]*$/.test(word)) v = parseInt(word, 8);
  else if (/^[1-9][0-9]*$/.test(word)) v = Number(word);
  else return undefined;
  return Number.isSafeInteger(v) && v <= max ? v : undefined;
}

/** A number, or a name of `names`; undefined if neither (or the number is above max). */
export function lookupName(names: ReadonlyMap<string, number>, word: string, max: number): number | undefined {
  if (/^[0-9]/.test(word)) return parseUnsigned(word, max);
  return names.get(word);
}

/**
 * Text of an iproute2 names file (`ID NAME` per line, `#` comments) -> name to id.
 * Lines that are not exactly two words, or whose id is not a number up to max, are skipped
 * (as keepalived does).
 */
export function parseRtNamesFile(text: string, max: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const words = line.split(/\s+/);
    if (words.length !== 2) continue;
    const id = parseUnsigned(words[0]!, max);
    if (id !== undefined && !out.has(words[1]!)) out.set(words[1]!, id);
  }
  return out;
}

/**
 * `realms [FROM/]TO` as keepalived's get_realms reads it (numbers, or names of rt_realms, each
 * at most 255): FROM << 16 | TO; a single realm is TO. undefined if either part is not one.
 */
export function parseRealms(text: string, names: RtNames): number | undefined {
  const realm = (t: string): number | undefined => lookupName(names.realms ?? new Map(), t, REALM_MAX);
  const slash = text.indexOf('/');
  if (slash < 0) return realm(text);
  const from = realm(text.slice(0, slash));
  const to = realm(text.slice(slash + 1));
  return from === undefined || to === undefined ? undefined : ((from << 16) | to) >>> 0;
}

/** Names from files first, then the defaults whose id the files do not name (keepalived's rule). */
export function mergeNames(fromFile: ReadonlyMap<string, number>, defaults: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map(fromFile);
  const ids = new Set(fromFile.values());
  for (const [name, id] of defaults) if (!ids.has(id) && !out.has(name)) out.set(name, id);
  return out;
}
