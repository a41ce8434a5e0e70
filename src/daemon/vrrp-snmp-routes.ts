/**
 * The routes and rules of KEEPALIVED-MIB's VRRP tables (src/snmp/vrrp-route-mib.ts) from the
 * configuration and the host: each entry's words read as keepalived reads them (the same
 * reading the kernel is sent and the dump shows), its interfaces' indexes, a `vrf`'s table, a
 * rule's preference from keepalived's numbering. An entry keepalived would have dropped
 * (words it refuses, a VRF that is not there) has no row, as in keepalived, whose lists do
 * not hold it.
 *
 * `set` is what the daemon holds: the static entries from the start, an instance's while it
 * holds its VIPs (keepalived marks each route and rule as the kernel accepts it; one the
 * kernel refused is shown set here).
 */
import type { RouteEntry, RuleEntry } from '../config/model.js';
import { DEFAULT_RT_NAMES, type RtNames } from '../netlink/names.js';
import { parseRouteWords, vrfTableOf, withVrfTable } from '../netlink/route.js';
import { defaultRulePreferences, parseRuleWords } from '../netlink/rule.js';
import type { SnmpRoute, SnmpRule } from '../snmp/vrrp-route-mib.js';
import type { HostLink } from './view.js';

export interface RouteRows {
  routes(entries: readonly RouteEntry[], set: boolean): SnmpRoute[];
  rules(entries: readonly RuleEntry[], set: boolean): SnmpRule[];
}

/** `all` / `any` / `default` after `from` or `to` (keepalived keeps the zero address) */
const ALL = new Set(['all', 'any', 'default']);

function everything(words: readonly string[], key: 'from' | 'to'): boolean {
  const i = words.lastIndexOf(key);
  return i >= 0 && ALL.has(words[i + 1] ?? '');
}

/**
 * Row builders for one snapshot. `allRules` are every rule of the configuration in its
 * order (static first), which keepalived's automatic preferences count through.
 */
export function routeRows(links: readonly HostLink[], names: RtNames = DEFAULT_RT_NAMES, allRules: readonly RuleEntry[] = []): RouteRows {
  const byName = new Map(links.map((l) => [l.link.name, l.link]));
  const index = (name: string | undefined): number => (name === undefined ? 0 : byName.get(name)?.index ?? 0);
  const vrfs = { vrfTable: (name: string) => vrfTableOf(byName.get(name)) };
  const prefs = defaultRulePreferences(allRules, names);
  const groupNames = new Map([...(names.groups ?? new Map<string, number>())].map(([n, v]) => [v, n]));
  return {
    routes: (entries, set) => entries.flatMap((r) => {
      const read = parseRouteWords(r.words, names);
      const spec = read.ok ? withVrfTable(read.value, vrfs) : read;
      if (!spec.ok) return [];
      const s = spec.value;
      // keepalived sets the protocol of a tracked route, and keeps one written
      const protocolShown = !s.noTrack || r.words.some((w) => w === 'protocol' || w === 'proto');
      return [{ spec: s, table: s.table, ifindex: index(s.dev), nexthopIfindex: s.nexthops.map((nh) => index(nh.dev)), protocolShown, set }];
    }),
    rules: (entries, set) => entries.flatMap((r) => {
      const read = parseRuleWords(r.words, names);
      if (!read.ok) return [];
      const s = read.value;
      const g = s.suppressIfgroup;
      return [{
        spec: s, fromAll: everything(r.words, 'from'), toAll: everything(r.words, 'to'),
        preference: s.preference ?? prefs.get(r) ?? 0, ...(g !== undefined ? { suppressGroup: groupNames.get(g) ?? String(g) } : {}), set,
      }];
    }),
  };
}
