/**
 * The host sections of keepalived.data, as keepalived 2.2.7 writes them: "VRRP Sockpool"
 * (vrrp/vrrp_data.c dump_sock_pool: keepalived's socket per interface, family, protocol and
 * multicast group or unicast source, with the instances on it by VRID) and "Interfaces"
 * (vrrp/vrrp_if.c dump_if: every interface of the namespace as the daemon sees it, and the
 * instances that track it with their weights).
 */
import { groupTracking } from '../config/track-group.js';
import type { AddrInfo } from '../io/rtnl.js';
import { formatIp, sameAddress, type Family } from '../util/ip.js';
import { ctimeUs, printfG, vipPlace } from './common.js';
import { effectiveDelays } from '../daemon/link-debounce.js';
import type { HostLink, HostView, InstanceView, VrrpView } from '../daemon/view.js';

/** keepalived's weight for an interface an instance does not track (dont_track_primary). */
const NOT_TRACK_IF = 255;

interface PoolSocket {
  readonly dev: string;
  readonly family: Family;
  readonly proto: 'AH' | 'VRRP';
  readonly unicastSrc?: Uint8Array;
  readonly instances: InstanceView[];
}

/** keepalived vrrp_create_sockpool: one socket per (interface, family, protocol, group or unicast source). */
function socketPool(view: VrrpView): PoolSocket[] {
  const pool = new Map<string, PoolSocket>();
  for (const iv of view.instances) {
    const r = iv.live.r;
    // the instance's interface: its VMAC, unless vmac_xmit_base sends on the configured one
    const dev = r.cfg.interface;
    const proto = r.authType === 2 ? 'AH' : 'VRRP';
    const key = [dev, r.family, proto, r.unicast ? `u${formatIp(iv.sourceAddress)}` : `m${formatIp(r.mcastDst)}`].join(' ');
    const s = pool.get(key) ?? { dev, family: r.family, proto, ...(r.unicast ? { unicastSrc: iv.sourceAddress } : {}), instances: [] };
    s.instances.push(iv);
    pool.set(key, s);
  }
  return [...pool.values()];
}

/**
 * A unicast socket's source is a local address (keepalived binds the socket to it; when the
 * bind fails its fds are -1 and its instances FAULT): always true without the host's links.
 */
export function unicastSourceLocal(view: VrrpView, src: Uint8Array | undefined): boolean {
  const links = view.host?.links();
  if (!src || !links) return true;
  return links.some((l) => l.addresses.some((a) => sameAddress(a.address, src)));
}

export function sockpoolLines(view: VrrpView): string[] {
  const out: string[] = [];
  for (const s of socketPool(view)) {
    const sock = view.host?.socket(s.dev, s.family, s.proto === 'AH');
    const fd = unicastSourceLocal(view, s.unicastSrc) ? sock?.fd ?? -1 : -1;
    out.push(
      ` fd_in ${fd} fd_out = ${fd}`,
      `   Interface = ${s.dev}`,
      `   Family = ${s.family === 'inet' ? 'IPv4' : 'IPv6'}`,
      `   Protocol = ${s.proto}`,
      `   Type = ${s.unicastSrc ? 'Unicast' : 'Multicast'}`,
    );
    if (s.unicastSrc) out.push(`   Address = ${formatIp(s.unicastSrc)}`);
    out.push(`   Rx buf size = ${sock?.rxBufSize ?? 0}`, '   VRRP instances');
    for (const iv of [...s.instances].sort((a, b) => a.live.r.vrid - b.live.r.vrid)) out.push(`     ${iv.name} vrid ${iv.live.r.vrid}`);
  }
  return out.length ? ['------< VRRP Sockpool >------', ...out] : [];
}

interface Tracking {
  weight: number;
  reverse: boolean;
}

/**
 * keepalived's ifp->tracking_vrrp lists, built in its order (vrrp.c vrrp_complete_instance,
 * add_vrrp_to_interface): per instance its track_interface entries, its own interface, the
 * interfaces of its addresses, routes and rules; then the static entries' track groups
 * (static_track_group_init); then the sync groups' track_interface. An
 * instance appears once per interface: a later entry only replaces a weight that is not 0.
 */
function interfaceTracking(view: VrrpView): Map<string, Map<string, Tracking>> {
  const byIf = new Map<string, Map<string, Tracking>>();
  const add = (ifname: string, inst: string, weight: number, reverse = false): void => {
    const list = byIf.get(ifname) ?? new Map<string, Tracking>();
    byIf.set(ifname, list);
    const had = list.get(inst);
    if (!had) list.set(inst, { weight, reverse });
    else if (had.weight !== 0 && weight !== NOT_TRACK_IF) Object.assign(had, { weight, reverse });
  };
  for (const iv of view.instances) {
    const m = iv.model;
    const own = iv.vmac ?? iv.baseInterface;
    const configured = new Set(m.trackInterface.map((t) => t.name));
    for (const t of iv.live.r.cfg.trackInterface ?? []) {
      if (configured.has(t.name) && t.name !== iv.baseInterface) add(t.name, iv.name, t.weight, t.reverse);
    }
    add(iv.baseInterface, iv.name, m.dontTrackPrimary ? NOT_TRACK_IF : 0);
    if (own !== iv.baseInterface) add(own, iv.name, m.dontTrackPrimary ? NOT_TRACK_IF : 0);
    for (const a of [...m.virtualIpaddress, ...m.virtualIpaddressExcluded]) {
      const dev = vipPlace(a, iv).dev;
      if (!a.noTrack && (!m.dontTrackPrimary || (dev !== own && dev !== iv.baseInterface))) add(dev, iv.name, 0);
    }
    for (const r of m.virtualRoutes) if (!r.noTrack && r.dev !== undefined) add(r.dev, iv.name, 0);
    for (const r of m.virtualRules) {
      if (r.noTrack) continue;
      if (r.iif !== undefined) add(r.iif, iv.name, 0);
      if (r.oif !== undefined) add(r.oif, iv.name, 0);
    }
  }
  for (const t of groupTracking(view.config)) add(t.ifname, t.instance, 0);
  for (const g of view.config.vrrpSyncGroups) {
    for (const t of g.trackInterface) for (const member of g.group) add(t.name, member.name, t.weight ?? 0, t.reverse);
  }
  return byIf;
}

const mac = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
const isLinkLocal6 = (a: AddrInfo): boolean => a.family === 'inet6' && a.scope === 253;

/** keepalived's interface addresses: the first of a family, then the others (its VIPs on this interface left out: `vips` holds "IFNAME ADDRESS"). */
function addressLines(l: HostLink, vips: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const family of ['inet', 'inet6'] as const) {
    // keepalived keeps only the link-local IPv6 addresses of an interface
    const list = l.addresses.filter((a) => a.family === family && (family === 'inet' || isLinkLocal6(a)) && !vips.has(`${l.link.name} ${formatIp(a.address)}`));
    const name = family === 'inet' ? 'IPv4' : 'IPv6';
    out.push(`   ${name} address = ${list[0] ? formatIp(list[0].address) : '(none)'}`);
    if (list.length > 1) out.push(`   Additional ${name} addresses :`, ...list.slice(1).map((a) => `     ${formatIp(a.address)}`));
  }
  return out;
}

const MACVLAN_MODES: Readonly<Record<number, string>> = { 1: 'private', 2: 'vepa', 4: 'bridge', 8: 'passthru', 16: 'source' };

// IFF_* flags keepalived's State line names
const IFF = { up: 0x1, broadcast: 0x2, loopback: 0x8, pointopoint: 0x10, running: 0x40, noarp: 0x80, multicast: 0x1000 };

function stateLine(flags: number): string {
  const on = (bit: number): boolean => (flags & bit) !== 0;
  return `   State = ${on(IFF.up) ? '' : 'not '}UP, ${on(IFF.running) ? '' : 'not '}RUNNING`
    + (on(IFF.broadcast) ? '' : ', no broadcast') + (on(IFF.loopback) ? ', loopback' : '')
    + (on(IFF.pointopoint) ? ', point to point' : '') + (on(IFF.noarp) ? ', no arp' : '')
    + (on(IFF.multicast) ? '' : ', no multicast');
}

function hwTypeLine(t: number | undefined): string {
  if (t === 772) return '   HW Type = LOOPBACK';
  if (t === 1) return '   HW Type = ETHERNET';
  return `   HW Type = UNKNOWN (${t ?? 0})`;
}

/**
 * keepalived set_default_garp_delay (vrrp_if.c): with a global vrrp_garp_interval or
 * vrrp_gna_interval, each interface an instance or its addresses use gets a delay group of its
 * own, in instance order.
 */
function garpDelayInterfaces(view: VrrpView): string[] {
  const g = view.config.globalDefs;
  if (!g.vrrpGarpIntervalMs && !g.vrrpGnaIntervalMs) return [];
  const out = new Set<string>();
  for (const iv of view.instances) out.add(iv.baseInterface);
  for (const iv of view.instances) {
    for (const a of [...iv.model.virtualIpaddress, ...iv.model.virtualIpaddressExcluded]) out.add(a.dev ?? iv.baseInterface);
  }
  return [...out];
}

function garpIntervalLines(garpMs: number, gnaMs: number): string[] {
  return [
    ...(garpMs ? [`   Gratuitous ARP interval ${Math.floor(garpMs)}ms`] : []),
    ...(gnaMs ? [`   Gratuitous NA interval ${Math.floor(gnaMs)}ms`] : []),
  ];
}

/**
 * The garp_groups as keepalived keeps them: per existing interface, the group it is in (the
 * first that names it), and each group's aggregation number (1, 2, ... for groups with an
 * `interfaces` block, in order; 0 otherwise).
 */
function garpGroupsOf(view: VrrpView): { byIf: Map<string, number>; aggregation: number[] } {
  const exists = new Set((view.host?.links() ?? []).map((l) => l.link.name));
  const byIf = new Map<string, number>();
  let n = 0;
  const aggregation = (view.config.garpGroups ?? []).map((g, idx) => {
    for (const i of g.interfaces) if (exists.has(i.name) && !byIf.has(i.name)) byIf.set(i.name, idx);
    return g.interfaces.some((i) => i.inBlock) ? ++n : 0;
  });
  return { byIf, aggregation };
}

/** "Gratuitous ARP delays": the garp_groups, then one group (aggregation group 0) per other interface in use. */
export function garpDelayLines(view: VrrpView): string[] {
  const { byIf, aggregation } = garpGroupsOf(view);
  const ifs = garpDelayInterfaces(view).filter((name) => !byIf.has(name));
  const groups = view.config.garpGroups ?? [];
  if (!ifs.length && !groups.length) return [];
  const g = view.config.globalDefs;
  const never = `0.000000 (${ctimeUs(0).slice(0, 19)}.000000)`;
  const out = ['------< Gratuitous ARP delays >------'];
  const linkOrder = (view.host?.links() ?? []).map((l) => l.link.name);
  groups.forEach((grp, idx) => {
    out.push(`------< GARP delay group ${aggregation[idx]} >------`);
    if (grp.garpIntervalMs !== undefined) out.push(` GARP interval = ${printfG(grp.garpIntervalMs / 1000)}`, ` GARP next time ${never}`);
    if (grp.gnaIntervalMs !== undefined) out.push(` GNA interval = ${printfG(grp.gnaIntervalMs / 1000)}`, ` GNA next time ${never}`);
    else if (grp.garpIntervalMs === undefined) out.push(' No configuration');
    out.push(' Interfaces', ...linkOrder.filter((name) => byIf.get(name) === idx).map((name) => `  ${name}`));
  });
  for (const name of ifs) {
    out.push('------< GARP delay group 0 >------');
    if (g.vrrpGarpIntervalMs) out.push(` GARP interval = ${printfG(g.vrrpGarpIntervalMs / 1000)}`, ` GARP next time ${never}`);
    if (g.vrrpGnaIntervalMs) out.push(` GNA interval = ${printfG(g.vrrpGnaIntervalMs / 1000)}`, ` GNA next time ${never}`);
    out.push(' Interfaces', `  ${name}`);
  }
  return out;
}

/** How keepalived reads the interface's link: from rtnetlink, or polled (linkbeat) and how. */
function nicLine(linkbeat: ReturnType<NonNullable<HostView['linkbeat']>>): string {
  switch (linkbeat) {
    case undefined: return '   NIC netlink status update';
    case 'MII': return '   NIC support MII regs';
    case 'ETHTOOL': return '   NIC support ETHTOOL GLINK interface';
    default: return '   NIC ioctl refresh polling';
  }
}

export function interfaceLines(view: VrrpView): string[] {
  const links = view.host?.links() ?? [];
  if (!links.length) return [];
  const tracking = interfaceTracking(view);
  // keepalived does not list the addresses it adds itself (VIPs, and static addresses it adds
  // before it listens to address notifications), on the interface it adds them to: the same
  // address on another interface is listed
  const cfg = view.config;
  const dflt = cfg.globalDefs.defaultInterface ?? 'eth0';
  const vips = new Set([
    ...cfg.staticIpaddress.map((a) => `${a.dev ?? dflt} ${formatIp(a.address.bytes)}`),
    ...view.instances.flatMap((iv) => [...iv.model.virtualIpaddress, ...iv.model.virtualIpaddressExcluded].map((a) => `${vipPlace(a, iv).dev} ${formatIp(a.address.bytes)}`)),
  ]);
  const garp = garpDelayInterfaces(view);
  const groupsOf = garpGroupsOf(view);
  const vmacs = new Set(view.instances.flatMap((iv) => (iv.vmac !== undefined ? [iv.vmac] : [])));
  // keepalived counts the IPv4 VMACs on a base interface whose arp_ignore / arp_filter it set
  const arpUsers = new Map<string, number>();
  for (const iv of view.instances) {
    if (iv.vmac !== undefined && iv.live.r.family === 'inet') arpUsers.set(iv.baseInterface, (arpUsers.get(iv.baseInterface) ?? 0) + 1);
  }
  const delays = effectiveDelays(cfg);
  const out = ['------< Interfaces >------'];
  for (const l of links) {
    const k = l.link;
    out.push(` Name = ${k.name}`, `   index = ${k.index}`, ...addressLines(l, vips));
    if (k.mac.some((b) => b !== 0)) out.push(`   MAC = ${mac(k.mac)}`, `   MAC broadcast = ${mac(k.broadcast ?? new Uint8Array(k.mac.length))}`);
    out.push(
      stateLine(k.flags),
      '   Seen up = 1',
      '   Delayed state change running = false',
      `   Up debounce timer = ${Math.round((delays.get(k.name)?.upMs ?? 0) * 1000)}us`,
      `   Down debounce timer = ${Math.round((delays.get(k.name)?.downMs ?? 0) * 1000)}us`,
    );
    if (k.kind === 'macvlan' && k.parentIndex !== undefined) {
      const base = links.find((x) => x.link.index === k.parentIndex)?.link;
      const mode = MACVLAN_MODES[k.macvlanMode ?? 0] ?? 'unknown';
      if (base) out.push(`   VMAC type ${mode}, underlying interface = ${base.name}, state = ${base.up ? '' : 'not '}UP, ${base.running ? '' : 'not '}RUNNING`);
    }
    if (vmacs.has(k.name)) out.push('   I/f created by keepalived');
    const conf = l.inetConf;
    out.push(`   MTU = ${k.mtu}`, hwTypeLine(k.hwType), nicLine(view.host?.linkbeat?.(k.name)));
    const group = groupsOf.byIf.get(k.name);
    if (group !== undefined) {
      const grp = cfg.garpGroups![group]!;
      out.push(...(grp.garpIntervalMs !== undefined ? [`   Gratuitous ARP interval ${Math.floor(grp.garpIntervalMs)}ms`] : []),
        ...(grp.gnaIntervalMs !== undefined ? [`   Gratuitous NA interval ${Math.floor(grp.gnaIntervalMs)}ms`] : []),
        ...(groupsOf.aggregation[group] ? [`   Gratuitous ARP aggregation group ${groupsOf.aggregation[group]}`] : []));
    } else if (garp.includes(k.name)) out.push(...garpIntervalLines(cfg.globalDefs.vrrpGarpIntervalMs, cfg.globalDefs.vrrpGnaIntervalMs));
    out.push(
      `   Reset ARP config counter ${arpUsers.get(k.name) ?? 0}`,
      `   Original arp_ignore ${conf?.arpIgnore ?? 0}`,
      `   Original arp_filter ${conf?.arpFilter ?? 0}`,
      `   Original promote_secondaries ${conf?.promoteSecondaries ?? 0}`,
      `   Reset promote_secondaries counter ${view.host?.promoteSecondaries?.(k.name) ?? 0}`,
    );
    const t = tracking.get(k.name);
    if (t?.size) {
      out.push('   Tracking VRRP instances :');
      for (const [inst, x] of t) out.push(`     ${inst}, weight ${x.weight}${x.reverse ? ' reverse' : ''}`);
    }
  }
  return out;
}
