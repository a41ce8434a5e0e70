/**
 * The parsed configuration as IPVS: the kernel services of each virtual_server and the
 * destinations of the real servers the checkers consider alive (LiveDest, ./live-dest.ts).
 *
 * keepalived's rules (check/ipvswrapper.c, check_data.c; reference §e.1, §e.2):
 * - `virtual_server IP PORT` is one service, `fwmark N` one fwmark service (family from
 *   ip_family, else the real servers', else IPv4), `group NAME` one service per address of
 *   each range entry (port from the entry) and one per fwmark entry.
 * - The persistence flag, timeout, granularity (IPv4 mask / IPv6 prefix length) and engine
 *   come from persistence_*; a group with a port-0 address entry and no persistence becomes
 *   persistent for 360 s (as keepalived, which reports it).
 * - Scheduler flags: flag-1..3, ops (UDP and fwmark services only), hashed; sh-port /
 *   sh-fallback only with sh, mh-port / mh-fallback only with mh.
 * - Destination ports: DR / TUN forward to the service's port (0 for a fwmark service); NAT
 *   uses the real server's port, or the service's when it has none.
 * - A destination's forwarding method is the real server's `lvs_method` if set, else the
 *   virtual server's lb_kind; TUN takes the real server's tunnel options (its own, or the
 *   virtual server's: type ipip, gue port N or gre, and the checksum option), read and checked
 *   with the configuration (../config/lvs-values.ts).
 */
import { DEFAULT_TUNNEL } from '../config/lvs-values.js';
import type { KeepalivedConfig, LbKind, VirtualServer, VsGroupEntry } from '../config/model.js';
import { KtsError } from '../errors/index.js';
import { sameAddress, type Family, type IpAddress } from '../util/ip.js';
import * as C from './constants.js';
import { serviceId } from './keys.js';
import type { LiveDest } from './live-dest.js';
import { CANONICAL_ORDER_SCHEDULERS, sameService } from './reconcile.js';
import { tableOf } from './table.js';
import type { IpvsDest, IpvsService, IpvsTable, IpvsVirtual, ServiceKey } from './types.js';

/** At most this many addresses from one range entry of a virtual_server_group. */
export const MAX_GROUP_RANGE = 65536;

const where = (vs: VirtualServer): string => `${vs.loc.file}:${vs.loc.line}`;

/** The IP_VS_SVC_F_* scheduler flags of `vs` (one packet scheduling only where `opsAllowed`). */
export function schedFlags(vs: VirtualServer, opsAllowed: boolean): number {
  let f = 0;
  for (const flag of vs.schedFlags) {
    if (flag === 'flag-1') f |= C.SVC_F_SCHED1;
    else if (flag === 'flag-2') f |= C.SVC_F_SCHED2;
    else if (flag === 'flag-3') f |= C.SVC_F_SCHED3;
    else if (flag === 'hashed') f |= C.SVC_F_HASHED;
    else if (flag === 'ops' && opsAllowed) f |= C.SVC_F_ONEPACKET;
    else if (flag === 'sh-port' && vs.lbAlgo === 'sh') f |= C.SVC_F_SCHED_SH_PORT;
    else if (flag === 'sh-fallback' && vs.lbAlgo === 'sh') f |= C.SVC_F_SCHED_SH_FALLBACK;
    else if (flag === 'mh-port' && vs.lbAlgo === 'mh') f |= C.SVC_F_SCHED_MH_PORT;
    else if (flag === 'mh-fallback' && vs.lbAlgo === 'mh') f |= C.SVC_F_SCHED_MH_FALLBACK;
  }
  return f;
}

function serviceOf(vs: VirtualServer, key: ServiceKey, forcePersistence: boolean): IpvsService {
  const family = key.type === 'fwmark' ? key.family : key.address.family;
  const full = family === 'inet' ? 32 : 128;
  const timeoutS = vs.persistenceTimeoutS ?? (forcePersistence ? 360 : 0);
  // the granularity was read (src/config/lvs-values.ts) in the family of the virtual server; a
  // service of a group's other family keeps one client address
  const g = vs.persistenceGranularity;
  const netmaskPrefix = timeoutS > 0 && g !== undefined && g.family === family ? g.prefix : full;
  const opsAllowed = key.type === 'fwmark' || key.protocol === 'UDP';
  return {
    key,
    scheduler: vs.lbAlgo,
    flags: schedFlags(vs, opsAllowed) | (timeoutS > 0 ? C.SVC_F_PERSISTENT : 0),
    timeoutS,
    netmaskPrefix,
    ...(timeoutS > 0 && vs.persistenceEngine !== undefined ? { persistenceEngine: vs.persistenceEngine } : {}),
  };
}

/** The family of a fwmark virtual server: ip_family, else its real servers', else IPv4. */
function fwmarkFamily(vs: VirtualServer, entry?: VsGroupEntry): Family {
  return entry?.family ?? vs.ipFamily ?? vs.realServers[0]?.address.family ?? vs.sorryServer?.address.family ?? 'inet';
}

/** Every address of first..last (inclusive, network order). */
function* addressRange(first: IpAddress, last: IpAddress, vs: VirtualServer): Generator<IpAddress> {
  const cur = Uint8Array.from(first.bytes);
  for (let n = 0; ; n++) {
    if (n >= MAX_GROUP_RANGE) throw new KtsError('CONFIG_RANGE', `${where(vs)}: virtual_server_group range of more than ${MAX_GROUP_RANGE} addresses`);
    yield { family: first.family, bytes: Uint8Array.from(cur) };
    if (cur.every((b, i) => b === last.bytes[i])) return;
    let i = cur.length - 1;
    while (i >= 0 && cur[i] === 255) cur[i--] = 0;
    if (i < 0) return;
    cur[i]!++;
  }
}

/** The IPVS services of one virtual server (several for a group). */
export function servicesFor(cfg: KeepalivedConfig, vs: VirtualServer): IpvsService[] {
  if (vs.fwmark !== undefined) return [serviceOf(vs, { type: 'fwmark', fwmark: vs.fwmark, family: fwmarkFamily(vs) }, false)];
  if (vs.address !== undefined) return [serviceOf(vs, { type: 'addr', protocol: vs.protocol, address: vs.address, port: vs.port ?? 0 }, false)];
  const group = cfg.virtualServerGroups.find((g) => g.name === vs.group);
  if (!group) throw new KtsError('CONFIG_REFERENCE', `${where(vs)}: virtual_server_group ${vs.group ?? '?'} not defined`);
  const zeroPort = group.entries.some((e) => e.fwmark === undefined && !e.port);
  const out: IpvsService[] = [];
  for (const e of group.entries) {
    if (e.fwmark !== undefined) out.push(serviceOf(vs, { type: 'fwmark', fwmark: e.fwmark, family: fwmarkFamily(vs, e) }, zeroPort));
    else if (e.first && e.last) {
      for (const address of addressRange(e.first, e.last, vs)) out.push(serviceOf(vs, { type: 'addr', protocol: vs.protocol, address, port: e.port ?? 0 }, zeroPort));
    }
  }
  return out;
}

/**
 * The destinations of `live` (the real servers and sorry server that should be in the table) in
 * service `key` of `vs` (default: the virtual server's own address or fwmark service).
 */
export function destsFor(vs: VirtualServer, live: readonly LiveDest[], key?: ServiceKey): IpvsDest[] {
  const k: ServiceKey =
    key ??
    (vs.fwmark !== undefined
      ? { type: 'fwmark', fwmark: vs.fwmark, family: fwmarkFamily(vs) }
      : { type: 'addr', protocol: vs.protocol, address: vs.address ?? { family: 'inet', bytes: new Uint8Array(4) }, port: vs.port ?? 0 });
  const servicePort = k.type === 'fwmark' ? 0 : k.port;
  return live.map((l) => {
    const fwd = l.lvsMethod ?? vs.lbKind;
    const d: IpvsDest = {
      address: l.address,
      port: destPort(fwd, l, servicePort),
      fwd,
      weight: l.weight,
      uThreshold: l.uthreshold ?? 0,
      lThreshold: l.lthreshold ?? 0,
    };
    if (fwd !== 'TUN') return d;
    return { ...d, ...(l.tunnel ?? vs.tunnel ?? DEFAULT_TUNNEL) };
  });
}

/** A destination's port: NAT's the real server's (else the service's), DR and TUN the service's (0 for fwmark). */
const destPort = (fwd: LbKind, l: LiveDest, servicePort: number): number => (fwd === 'NAT' ? l.port ?? servicePort : servicePort);

/** The whole desired table: every service of every virtual server, with the destinations `liveByVs(index)` names. */
export function desiredTable(cfg: KeepalivedConfig, liveByVs: (vsIndex: number) => readonly LiveDest[]): Map<string, IpvsVirtual> {
  const entries: { service: IpvsService; dests: IpvsDest[] }[] = [];
  cfg.virtualServers.forEach((vs, i) => {
    const live = liveByVs(i);
    for (const service of servicesFor(cfg, vs)) entries.push({ service, dests: destsFor(vs, live, service.key) });
  });
  return tableOf(entries);
}

/**
 * Whether the kernel's service `have` holds what `service` and destsFor(vs, live, service.key)
 * ask, destination for destination in the same order. Only a yes is sure: on a no the service
 * is reconciled in full, which sorts out an order, a tunnel or a duplicate this leaves to it.
 * No object is made: a reload of an unchanged table of 50,000 real servers made one destination
 * object, key and map entry for each, and their pages were most of its IPVS step in a small VM.
 */
export function holdsAlready(vs: VirtualServer, service: IpvsService, live: readonly LiveDest[], have: IpvsVirtual | undefined): boolean {
  if (!have || have.dests.size !== live.length || !sameService(service, have.service)) return false;
  // these keep the kernel's list in one canonical order (reconcile.ts): left to the full reconcile
  if (CANONICAL_ORDER_SCHEDULERS.has(service.scheduler)) return false;
  const servicePort = service.key.type === 'fwmark' ? 0 : service.key.port;
  let k = 0;
  for (const d of have.dests.values()) {
    const l = live[k++]!;
    const fwd = l.lvsMethod ?? vs.lbKind;
    if (fwd === 'TUN' || d.fwd !== fwd || d.weight !== l.weight) return false;
    if (d.port !== destPort(fwd, l, servicePort)) return false;
    if (d.uThreshold !== (l.uthreshold ?? 0) || d.lThreshold !== (l.lthreshold ?? 0)) return false;
    if (d.address.family !== l.address.family || !sameAddress(d.address.bytes, l.address.bytes)) return false;
  }
  return true;
}

/**
 * The desired table split against the kernel's (`kernel`, as this process last left it):
 * `settled`, the serviceId()s of the services it already holds as desired (holdsAlready), and
 * `changed`, the others with their destinations, for reconcile() with `settled` passed on.
 * `servicesByVs[i]`: servicesFor() of virtual server i.
 */
export function desiredChanges(
  cfg: KeepalivedConfig,
  servicesByVs: readonly (readonly IpvsService[])[],
  liveByVs: (vsIndex: number) => readonly LiveDest[],
  kernel: IpvsTable,
): { readonly changed: Map<string, IpvsVirtual>; readonly settled: Set<string> } {
  // by serviceId, in the order of the whole table: the service's destinations, or undefined when
  // it is settled (a later virtual server with the same service replaces an earlier one, as in tableOf)
  const all = new Map<string, IpvsVirtual | undefined>();
  cfg.virtualServers.forEach((vs, i) => {
    const live = liveByVs(i);
    for (const service of servicesByVs[i] ?? []) {
      const id = serviceId(service.key);
      if (holdsAlready(vs, service, live, kernel.get(id))) all.set(id, undefined);
      else for (const [k, v] of tableOf([{ service, dests: destsFor(vs, live, service.key) }])) all.set(k, v);
    }
  });
  const changed = new Map<string, IpvsVirtual>();
  const settled = new Set<string>();
  for (const [id, v] of all) {
    if (v) changed.set(id, v);
    else settled.add(id);
  }
  return { changed, settled };
}

/** The serviceId()s of a configuration: what keepalived-ts owns once it applied it. */
export function ownedServiceIds(cfg: KeepalivedConfig): string[] {
  return cfg.virtualServers.flatMap((vs) => servicesFor(cfg, vs).map((s) => serviceId(s.key)));
}
