/**
 * Which VIPs this director asks its routing daemon to announce (active-active directors behind
 * routers with ECMP, issue 21). No BGP here: the announcer puts one host route per announced
 * VIP in a kernel routing table, which the routing daemon imports and redistributes (FRR
 * `ip import-table N` + `redistribute table N`, BIRD `protocol kernel { kernel table N; learn; }`).
 *
 * A VIP (`announce_vip ADDRESS [instance NAME]`) is announced while:
 * - every virtual server with that address has quorum (one that lost it would take its share
 *   of the flows the routers send here: the director stops attracting them all);
 * - with `instance NAME`, that VRRP instance is MASTER (a VRRP-backed mode);
 * - the director is not stopping (a clean stop withdraws first, then waits
 *   `announce_withdraw_delay` before the services go), nor handing the VIP over
 *   (`keepalived-ts handover VIP`: withdrawn until `--cancel`).
 * Pure: the facts come in, the decision and its reason go out.
 */
import type { AnnounceVip } from '../config/model.js';
import { formatIp } from '../util/ip.js';

/** The routes in the announce table, a port (src/io/announce-routes.ts on rtnetlink). */
export interface AnnounceRoutes {
  /** the destinations of our routes in `table` */
  present(table: number): Promise<string[]>;
  add(prefix: string, family: 'inet' | 'inet6', table: number): Promise<void>;
  remove(prefix: string, family: 'inet' | 'inet6', table: number): Promise<void>;
}

export interface AnnounceFacts {
  /** the quorum of each running virtual server with this address (none: empty) */
  quorums(address: string): readonly { readonly name: string; readonly up: boolean }[];
  /** a VRRP instance's state as the VRRP process last said ('MASTER', 'BACKUP', ...), undefined: not heard */
  instanceState(name: string): string | undefined;
  /** `keepalived-ts handover VIP`: withdrawn until --cancel */
  held(address: string): boolean;
  readonly stopping: boolean;
}

export interface AnnounceDecision {
  /** the host route's destination: `10.0.0.10/32`, `2001:db8::10/128` */
  readonly prefix: string;
  readonly family: 'inet' | 'inet6';
  readonly announce: boolean;
  /** why, for the log line of a change */
  readonly why: string;
}

/** The host prefix of an address. */
export function hostPrefix(v: AnnounceVip): string {
  return `${formatIp(v.address)}/${v.address.family === 'inet' ? 32 : 128}`;
}

export function decide(vips: readonly AnnounceVip[], facts: AnnounceFacts): AnnounceDecision[] {
  return vips.map((v) => {
    const prefix = hostPrefix(v);
    const family = v.address.family;
    const no = (why: string): AnnounceDecision => ({ prefix, family, announce: false, why });
    if (facts.stopping) return no('stopping');
    if (facts.held(formatIp(v.address))) return no('handed over, until keepalived-ts handover --cancel');
    const qs = facts.quorums(formatIp(v.address));
    if (qs.length === 0) return no('no virtual server with this address runs');
    const down = qs.filter((q) => !q.up);
    if (down.length > 0) return no(`no quorum on ${down.map((q) => q.name).join(', ')}`);
    if (v.instance !== undefined) {
      const state = facts.instanceState(v.instance);
      if (state !== 'MASTER') return no(`instance ${v.instance} is ${state ?? 'not known yet'}`);
    }
    const on = `quorum on ${qs.map((q) => q.name).join(', ')}${v.instance !== undefined ? `, ${v.instance} MASTER` : ''}`;
    return { prefix, family, announce: true, why: on };
  });
}

/** What to change in the table: routes to add, and ours to remove (desired vs present). */
export function routeChanges(wanted: ReadonlySet<string>, present: ReadonlySet<string>): { add: string[]; remove: string[] } {
  return { add: [...wanted].filter((p) => !present.has(p)), remove: [...present].filter((p) => !wanted.has(p)) };
}
