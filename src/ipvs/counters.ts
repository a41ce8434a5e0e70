/**
 * IPVS counters added up: a virtual server of keepalived's is one service, or several (a
 * group's addresses and fwmarks), and its SNMP rows show their sums (check/ipvswrapper.c
 * ipvs_update_stats). Pure.
 */
import type { IpvsCounters, IpvsDestCounters } from './types.js';

export const ZERO_COUNTERS: IpvsDestCounters = {
  conns: 0n, inpkts: 0n, outpkts: 0n, inbytes: 0n, outbytes: 0n, cps: 0n, inpps: 0n, outpps: 0n, inbps: 0n, outbps: 0n,
  activeConns: 0, inactConns: 0, persistConns: 0,
};

/** One virtual server's counters, and its destinations' by destId() */
export interface VsCounters {
  readonly stats: IpvsCounters;
  readonly dests: ReadonlyMap<string, IpvsDestCounters>;
}

function add<T extends IpvsCounters>(a: T, b: IpvsCounters): IpvsCounters {
  return {
    conns: a.conns + b.conns, inpkts: a.inpkts + b.inpkts, outpkts: a.outpkts + b.outpkts, inbytes: a.inbytes + b.inbytes, outbytes: a.outbytes + b.outbytes,
    cps: a.cps + b.cps, inpps: a.inpps + b.inpps, outpps: a.outpps + b.outpps, inbps: a.inbps + b.inbps, outbps: a.outbps + b.outbps,
  };
}

/** The services of one virtual server, summed (a destination in several of them too). */
export function sumCounters(services: readonly VsCounters[]): VsCounters {
  let stats: IpvsCounters = ZERO_COUNTERS;
  const dests = new Map<string, IpvsDestCounters>();
  for (const s of services) {
    stats = add(stats, s.stats);
    for (const [id, d] of s.dests) {
      const had = dests.get(id) ?? ZERO_COUNTERS;
      dests.set(id, {
        ...add(had, d), activeConns: had.activeConns + d.activeConns, inactConns: had.inactConns + d.inactConns, persistConns: had.persistConns + d.persistConns,
      });
    }
  }
  return { stats, dests };
}
