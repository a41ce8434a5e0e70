/**
 * `keepalived-ts realserver`: what an LVS real server needs for its forwarding method, as a pure
 * function of the options and a snapshot of the host. No I/O: src/commands/realserver.ts reads
 * the snapshot (rtnetlink, /proc/sys) and carries out the actions.
 *
 * What each mode needs (the LVS-HOWTO "ARP problem", keepalived's and Red Hat's LVS guides):
 *  - dr:  every VIP as a host address (/32, IPv6 /128 nodad) on `lo` (or a dummy device named by
 *         --dev), so the server accepts packets for it; and, for IPv4 VIPs, ARP kept quiet about
 *         it: net.ipv4.conf.all.arp_ignore=1 (answer ARP only for addresses of the interface the
 *         request came in on) and net.ipv4.conf.all.arp_announce=2 (never use the VIP as the
 *         source of our own ARP requests).
 *  - tun: the ipip device `tunl0` up with the VIPs on it, the same ARP settings, and reverse-path
 *         filtering off for it: net.ipv4.conf.{all,tunl0}.rp_filter=0 (the decapsulated packet
 *         comes from the client, whose route does not point at tunl0).
 *
 * Why `all` and not each interface: the kernel uses max(all, IF) for arp_ignore, arp_announce
 * and rp_filter. `all` therefore covers every interface, including those created later, with
 * one change to restore. An interface's own value is only touched when it would still defeat
 * `all` (arp_ignore 3..7 on an interface), and, for rp_filter, `all`=0 would silently turn
 * filtering off everywhere, so first every interface (and `default`) below the old `all` is
 * raised to it, as keepalived does for a VMAC (src/io/rtnl-sysctl.ts): only tunl0 loses it.
 * IPv6 needs no sysctl: the kernel answers neighbour solicitations only for addresses of the
 * interface they arrive on, so a VIP on lo is never announced.
 *
 * Order matters: the ARP sysctls are set before a VIP is added, so there is no moment where the
 * server answers ARP for it and steals the VIP from the director.
 */
import { formatIp, type IpPrefix } from '../util/ip.js';
import { sysctlName } from '../netlink/vmac.js';

export type Mode = 'dr' | 'tun';

export interface RsOptions {
  readonly mode: Mode;
  /** Host prefixes (/32, /128); src/realserver/args.ts refuses anything else. */
  readonly vips: readonly IpPrefix[];
  /** Device for the VIPs: default lo (dr) / tunl0 (tun). */
  readonly dev?: string;
}

export interface HostLink {
  readonly name: string;
  /** IFLA_INFO_KIND: `ipip`, `dummy`, `veth`, ...; absent for plain devices and lo. */
  readonly kind?: string;
  readonly up: boolean;
  /** IFF_LOOPBACK */
  readonly loopback: boolean;
}

export interface HostAddress {
  readonly dev: string;
  readonly family: 'inet' | 'inet6';
  /** canonical text (formatIp) */
  readonly address: string;
  readonly prefixLen: number;
  /** IFA_F_SECONDARY: not the interface's primary address of that subnet */
  readonly secondary: boolean;
  readonly label?: string;
}

export interface HostSnapshot {
  readonly links: readonly HostLink[];
  readonly addresses: readonly HostAddress[];
  /** /proc/sys paths (`net/ipv4/conf/all/arp_ignore`) -> value; a path missing was not readable. */
  readonly sysctls: ReadonlyMap<string, number>;
}

export interface SetSysctl {
  readonly type: 'set-sysctl';
  readonly path: string;
  readonly value: number;
  readonly previous: number;
  readonly reason: string;
}

export type RsAction =
  | { readonly type: 'create-link'; readonly dev: string; readonly kind: 'ipip' }
  | { readonly type: 'link-up'; readonly dev: string }
  | SetSysctl
  | { readonly type: 'add-address'; readonly dev: string; readonly address: string; readonly prefixLen: number; readonly family: 'inet' | 'inet6'; readonly label?: string };

/** One line of `--status`: a device, a VIP or a sysctl, whether it is as the mode needs. */
export interface RsCheck {
  readonly kind: 'device' | 'vip' | 'sysctl';
  readonly name: string;
  readonly ok: boolean;
  readonly have: string;
  readonly want: string;
}

export interface RsPlan {
  readonly mode: Mode;
  readonly dev: string;
  /** Why this host must not be changed; when not empty, `actions` must not be carried out. */
  readonly refusals: readonly string[];
  readonly actions: readonly RsAction[];
  readonly checks: readonly RsCheck[];
  /** Nothing refused, nothing to do. */
  readonly ready: boolean;
}

export const ARP_IGNORE_OK = new Set([1, 2, 8]);
export const TUN_DEFAULT_DEV = 'tunl0';

export const conf4 = (dev: string, key: 'arp_ignore' | 'arp_announce' | 'rp_filter'): string => `net/ipv4/conf/${dev}/${key}`;

/** The IPv4 label of a VIP we add: `lo:kts`, `tunl0:kts` (IFNAMSIZ: 15 characters). */
export function vipLabel(dev: string): string | undefined {
  const l = `${dev}:kts`;
  return l.length <= 15 ? l : undefined;
}

export function describeAction(a: RsAction): string {
  switch (a.type) {
    case 'create-link': return `create ${a.kind} device ${a.dev}`;
    case 'link-up': return `set ${a.dev} up`;
    case 'set-sysctl': return `set ${sysctlName(a.path)} = ${a.value} (was ${a.previous}): ${a.reason}`;
    case 'add-address': return `add ${a.address}/${a.prefixLen} dev ${a.dev}${a.label ? ` label ${a.label}` : ''}${a.family === 'inet6' ? ' nodad' : ''}`;
  }
}

/** Why an address cannot be a VIP at all, or undefined. */
export function unusableVip(p: IpPrefix): string | undefined {
  const b = p.bytes;
  if (p.family === 'inet') {
    if (b[0] === 0) return 'is in 0.0.0.0/8 (this network)';
    if (b[0] === 127) return 'is a loopback address';
    if (b[0]! >= 224) return b[0]! < 240 ? 'is a multicast address' : 'is a reserved or broadcast address';
    if (b[0] === 169 && b[1] === 254) return 'is a link-local address';
    return undefined;
  }
  if (b.every((x) => x === 0)) return 'is the unspecified address';
  if (b.slice(0, 15).every((x) => x === 0) && b[15] === 1) return 'is the loopback address';
  if (b[0] === 0xff) return 'is a multicast address';
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'is a link-local address';
  return undefined;
}

const hostLen = (family: 'inet' | 'inet6'): number => (family === 'inet' ? 32 : 128);

function sysctlChecks(mode: Mode, dev: string, snap: HostSnapshot, ipv4: boolean, devExists: boolean): { checks: RsCheck[]; actions: SetSysctl[] } {
  const checks: RsCheck[] = [];
  const actions: SetSysctl[] = [];
  if (!ipv4) return { checks, actions };
  const get = (path: string): number | undefined => snap.sysctls.get(path);
  const need = (path: string, want: number, ok: (v: number) => boolean, reason: string, always: boolean): void => {
    const have = get(path);
    const good = have !== undefined && ok(have);
    if (good && !always) return;
    checks.push({ kind: 'sysctl', name: sysctlName(path), ok: good, have: have === undefined ? 'unreadable' : String(have), want: String(want) });
    if (!good && have !== undefined) actions.push({ type: 'set-sysctl', path, value: want, previous: have, reason });
  };
  // interfaces whose own value counts (max(all, IF)): every non-loopback one with IPv4 settings
  const ifaces = snap.links.filter((l) => !l.loopback && snap.sysctls.has(conf4(l.name, 'arp_ignore'))).map((l) => l.name);

  if (mode === 'tun') {
    const all = get(conf4('all', 'rp_filter'));
    if (all !== undefined && all > 0) {
      // keep every other interface's effective value when `all` goes to 0
      const keep = (path: string): void => {
        const v = get(path);
        if (v !== undefined && v < all) actions.push({ type: 'set-sysctl', path, value: all, previous: v, reason: `keeps its reverse-path filter (was max(all=${all}, ${v})) once all=0` });
      };
      keep(conf4('default', 'rp_filter'));
      for (const name of ifaces) if (name !== dev) keep(conf4(name, 'rp_filter'));
    }
    need(conf4('all', 'rp_filter'), 0, (v) => v === 0, `the kernel uses max(all, ${dev}) for rp_filter`, true);
    const devPath = conf4(dev, 'rp_filter');
    const devNow = get(devPath);
    if (devExists && devNow === 0 && actions.some((a) => a.path === conf4('default', 'rp_filter'))) {
      // writing `default` also changes every interface whose value was never written explicitly
      // (the kernel's devconf "state" bits): pin the device's 0 by writing it after `default`
      checks.push({ kind: 'sysctl', name: sysctlName(devPath), ok: true, have: '0', want: '0' });
      actions.push({ type: 'set-sysctl', path: devPath, value: 0, previous: 0, reason: `pinned: raising default would also raise ${dev}` });
    } else if (devExists) need(devPath, 0, (v) => v === 0, `decapsulated packets on ${dev} come from clients routed elsewhere`, true);
    else checks.push({ kind: 'sysctl', name: sysctlName(conf4(dev, 'rp_filter')), ok: false, have: `no device ${dev}`, want: '0' });
  }

  const allIgnore = get(conf4('all', 'arp_ignore'));
  need(conf4('all', 'arp_ignore'), 1, (v) => ARP_IGNORE_OK.has(v), 'answer ARP only for addresses of the receiving interface', true);
  const allIgnoreAfter = allIgnore !== undefined && ARP_IGNORE_OK.has(allIgnore) ? allIgnore : 1;
  for (const name of ifaces) {
    const own = get(conf4(name, 'arp_ignore'));
    if (own === undefined || ARP_IGNORE_OK.has(Math.max(allIgnoreAfter, own))) continue;
    checks.push({ kind: 'sysctl', name: sysctlName(conf4(name, 'arp_ignore')), ok: false, have: String(own), want: String(allIgnoreAfter) });
    actions.push({ type: 'set-sysctl', path: conf4(name, 'arp_ignore'), value: allIgnoreAfter, previous: own, reason: `${own} would override all=${allIgnoreAfter} (the kernel uses the larger)` });
  }
  need(conf4('all', 'arp_announce'), 2, (v) => v === 2, 'never use the VIP as the source of our ARP requests', true);
  return { checks, actions };
}

/** What `realserver --mode M --vip ...` must do on this host, and what `--status` reports. */
export function planRealserver(opts: RsOptions, snap: HostSnapshot): RsPlan {
  const mode = opts.mode;
  const dev = opts.dev ?? (mode === 'dr' ? 'lo' : TUN_DEFAULT_DEV);
  const refusals: string[] = [];
  const checks: RsCheck[] = [];
  const pre: RsAction[] = [];
  const post: RsAction[] = [];

  if (opts.vips.length === 0) refusals.push('no VIP given (--vip ADDR)');
  const link = snap.links.find((l) => l.name === dev);
  if (mode === 'dr') {
    if (!link) refusals.push(`no device ${dev} on this host`);
    else if (!link.loopback && link.kind !== 'dummy') {
      refusals.push(`${dev} is not a loopback or dummy device: a VIP there would be answered with ARP and taken from the director (DR VIPs go on lo)`);
    }
  } else {
    if (opts.vips.some((v) => v.family === 'inet6')) {
      refusals.push('IPv6 VIPs in tun mode are not supported (they need an ip6tnl device and IPVS IPv6-in-IPv6); use dr mode for IPv6 VIPs');
    }
    if (link && link.kind !== 'ipip') refusals.push(`${dev} is a ${link.kind ?? (link.loopback ? 'loopback' : 'plain')} device, not an ipip tunnel`);
    else if (!link && dev !== TUN_DEFAULT_DEV) refusals.push(`no ipip device ${dev} on this host (only ${TUN_DEFAULT_DEV} is created when missing)`);
  }
  if (!link) {
    checks.push({ kind: 'device', name: dev, ok: false, have: 'missing', want: mode === 'tun' ? 'ipip, up' : 'up' });
    if (mode === 'tun' && dev === TUN_DEFAULT_DEV) pre.push({ type: 'create-link', dev, kind: 'ipip' });
  } else {
    checks.push({ kind: 'device', name: dev, ok: link.up, have: link.up ? 'up' : 'down', want: 'up' });
  }
  if (mode === 'tun' && (!link || !link.up)) post.push({ type: 'link-up', dev });
  if (mode === 'dr' && link && !link.up) pre.push({ type: 'link-up', dev });

  for (const vip of opts.vips) {
    const text = formatIp(vip);
    const name = `${text}/${vip.prefixLen}`;
    const bad = unusableVip(vip);
    if (bad) {
      refusals.push(`${text} ${bad}: not a VIP`);
      checks.push({ kind: 'vip', name, ok: false, have: bad, want: `on ${dev}` });
      continue;
    }
    if (vip.prefixLen !== hostLen(vip.family)) {
      refusals.push(`${name}: a real server holds its VIPs as host addresses (/${hostLen(vip.family)}); a wider prefix on ${dev} would take the whole subnet`);
      continue;
    }
    const found = snap.addresses.filter((a) => a.family === vip.family && a.address === text);
    const elsewhere = found.filter((a) => a.dev !== dev && !snap.links.find((l) => l.name === a.dev)?.loopback);
    for (const a of elsewhere) {
      refusals.push(a.secondary
        ? `${text} is already an address of ${a.dev} (${a.address}/${a.prefixLen}): this host answers ARP for it, as a director or VRRP master does; remove it from ${a.dev} or run this on the real server`
        : `${text} is this host's own primary address on ${a.dev}: it cannot also be a VIP balanced to this host`);
    }
    const here = found.find((a) => a.dev === dev);
    if (here && here.prefixLen !== vip.prefixLen) {
      refusals.push(`${text} is already on ${dev} as /${here.prefixLen}, not /${vip.prefixLen}: remove it (ip addr del ${text}/${here.prefixLen} dev ${dev}) and run again`);
      checks.push({ kind: 'vip', name, ok: false, have: `on ${dev} as /${here.prefixLen}`, want: `on ${dev}` });
    } else if (here) {
      checks.push({ kind: 'vip', name, ok: elsewhere.length === 0, have: elsewhere.length ? `on ${dev} and ${elsewhere.map((a) => a.dev).join(', ')}` : `on ${dev}`, want: `on ${dev} only` });
    } else {
      checks.push({ kind: 'vip', name, ok: false, have: elsewhere.length ? `on ${elsewhere.map((a) => a.dev).join(', ')}` : 'missing', want: `on ${dev}` });
      const label = vip.family === 'inet' ? vipLabel(dev) : undefined;
      post.push({ type: 'add-address', dev, address: text, prefixLen: vip.prefixLen, family: vip.family, ...(label ? { label } : {}) });
    }
  }
  const ipv4 = opts.vips.some((v) => v.family === 'inet');
  const sys = sysctlChecks(mode, dev, snap, ipv4, link !== undefined);
  checks.push(...sys.checks);
  for (const c of sys.checks) if (c.have === 'unreadable') refusals.push(`cannot read ${c.name} (no IPv4 in this kernel, or /proc/sys not mounted)`);
  const actions: RsAction[] = [...pre, ...sys.actions, ...post];
  return { mode, dev, refusals, actions, checks, ready: refusals.length === 0 && actions.length === 0 && checks.every((c) => c.ok) };
}

/** `--status` as text: one line per device, VIP and sysctl, then what is refused. */
export function formatStatus(plan: RsPlan): string {
  const lines = [`realserver ${plan.mode} (VIPs on ${plan.dev}): ${plan.ready ? 'ready' : 'NOT READY'}`];
  for (const c of plan.checks) {
    const tag = c.ok ? 'ok     ' : 'MISSING';
    const what = c.kind === 'sysctl' ? c.name : `${c.kind} ${c.name}`;
    lines.push(c.ok ? `  ${tag} ${what}: ${c.have}` : `  ${tag} ${what}: ${c.have}, want ${c.want}`);
  }
  for (const r of plan.refusals) lines.push(`  REFUSED ${r}`);
  return lines.join('\n') + '\n';
}
