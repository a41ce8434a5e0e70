/**
 * The announcer's routes (src/daemon/announcer.ts) on rtnetlink: `VIP/32 dev lo table N`,
 * protocol keepalived (18), the mark by which its own routes are found again in the table.
 */
import type { RouteEntry } from '../config/model.js';
import { RTPROT_KEEPALIVED } from '../netlink/constants.js';
import type { RouteLinks } from '../netlink/route.js';
import { parsePrefix } from '../util/ip.js';
import type { Rtnl } from './rtnl.js';
import type { AnnounceRoutes } from '../announce/plan.js';

/** The loopback's index in every network namespace. */
const LOOPBACK_INDEX = 1;
const LO: RouteLinks = { index: (n) => (n === 'lo' ? LOOPBACK_INDEX : undefined), vrfTable: (n) => (n === 'lo' ? 'not-vrf' : undefined) };

function hostRoute(prefix: string, family: 'inet' | 'inet6', table: number): RouteEntry {
  const to = parsePrefix(prefix);
  if (!to) throw new Error(`not a prefix: ${prefix}`);
  return { to, family, noTrack: false, words: [prefix, 'dev', 'lo', 'table', String(table)], loc: { file: 'announce', line: 0, col: 0 } };
}

export function rtnlAnnounceRoutes(rtnl: Rtnl): AnnounceRoutes {
  return {
    present: (table) => rtnl.routesInTable(table, RTPROT_KEEPALIVED),
    add: (prefix, family, table) => rtnl.addRoute(hostRoute(prefix, family, table), LO),
    remove: (prefix, family, table) => rtnl.deleteRoute(hostRoute(prefix, family, table), LO),
  };
}
