/**
 * keepalived's names for services in log lines (check_data.c `format_vs`, `format_rs`,
 * utils.c `inet_sockaddrtotrio`, `inet_sockaddrtopair`): `[10.0.0.1]:tcp:80`, `FWM 7`,
 * `[GROUP]:0`, `[10.0.1.1]:25`.
 */
import type { RealServer, VirtualServer } from '../config/model.js';
import { formatIp, type IpAddress } from '../util/ip.js';

/**
 * Built by join, not a template: a template makes a tree of string pieces that V8 keeps, and
 * every real server keeps its name (about 100 bytes more each).
 */
export function trio(addr: IpAddress, protocol: string, port: number | undefined): string {
  return ['[', formatIp(addr), ']:', protocol.toLowerCase(), ':', port ?? 0].join('');
}

export function pair(host: string, port: number): string {
  return `[${host}]:${port}`;
}

export function formatVs(vs: VirtualServer): string {
  if (vs.group !== undefined) return `[${vs.group}]:${vs.port ?? 0}`;
  if (vs.fwmark !== undefined) return `FWM ${vs.fwmark}`;
  return trio(vs.address!, vs.protocol, vs.port);
}

/**
 * The virtual servers' keys (types.ts VsKey), in configuration order: each one's name, with
 * ` inet6` for an IPv6 fwmark service (`FWM 7` names both families), and `#2`, `#3` for a
 * second and third written with the same name.
 */
export function vsKeys(list: readonly VirtualServer[]): string[] {
  const seen = new Map<string, number>();
  return list.map((vs) => {
    const base = vs.fwmark !== undefined && vs.ipFamily === 'inet6' ? `${formatVs(vs)} inet6` : formatVs(vs);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}

export function formatRs(rs: Pick<RealServer, 'address' | 'port'>, vs: VirtualServer): string {
  return trio(rs.address, vs.protocol, rs.port);
}
