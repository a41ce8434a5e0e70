/**
 * use_vmac: the VMAC (a private-mode macvlan carrying the VRRP virtual MAC) of each instance
 * that asks for one, for the life of the daemon, as keepalived 2.2.7 does it (vrrp.c
 * vrrp_complete_instance / create_vmac_name, vrrp_vmac.c, vrrp_scheduler.c sockpool):
 *
 * - Name: a private macvlan that already exists on the base interface with the expected MAC is
 *   adopted whatever its name ("Found matching interface"); else the configured name, unless
 *   that is an interface which is not a private macvlan (then ignored) or an incompatible
 *   private macvlan (then replaced); else `vrrp.VRID`, then `vrrp1.VRID`, `vrrp2.VRID`, ...
 *   (IPv6: `vrrp6.VRID` first) while the name is taken by a link or another instance.
 * - MAC: 00:00:5e:00:01:VRID (IPv6 00:00:5e:00:02:VRID), or the configured one (five octets:
 *   the VRID is the sixth).
 * - Created at start before any socket (up, no IPv6 address generation), with keepalived's
 *   sysctls (src/io/rtnl-sysctl.ts); an IPv6 VMAC sending its own adverts gets the instance's
 *   link-local source address. The link stays up in every state. Deleted at stop, after the
 *   last advert, whether created or adopted (keepalived deletes every VMAC that is "ours").
 * - Same-family VIPs / eVIPs without `dev` (or with `dev` the base interface) live on the VMAC;
 *   adverts are sent and read on the VMAC (frames from the wire whose source MAC is one of this
 *   host's private macvlans reach that macvlan only, never the base), or on the base interface
 *   with `vmac_xmit_base`. Unicast peers force `vmac_xmit_base`; strict_mode clears it.
 *
 * Not done (keepalived does): recreating a VMAC deleted by someone else, use_vmac_addr /
 * per-address VMACs, vmac_prefix / vmac_addr_prefix, garp_extra_if.
 */
import type { Logger } from 'pino';
import type { Loc } from '../config/loc.js';
import type { AddressEntry, KeepalivedConfig, VrrpInstance } from '../config/model.js';
import { KtsError } from '../errors/index.js';
import type { LinkInfo } from '../io/rtnl.js';
import { VmacSysctls } from '../io/rtnl-sysctl.js';
import { vmacAddress, vmacName } from '../netlink/vmac.js';
import { formatMac, type Family } from '../util/ip.js';
import { parseVmacMac } from '../util/mac.js';
import type { FirewallVmac } from './firewall.js';
import type { LinkTable } from './links.js';

const MACVLAN_PRIVATE = 1;

/** What this module asks of rtnetlink (src/io/rtnl.ts Rtnl). */
export interface VmacRtnl {
  links(): Promise<LinkInfo[]>;
  createMacvlan(parentIndex: number, name: string, mac: Uint8Array, mode?: 'private'): Promise<number>;
  deleteLink(index: number): Promise<void>;
  setLinkUp(index: number, up: boolean): Promise<void>;
  addAddress(e: AddressEntry, ifindex: number): Promise<void>;
}

/** The VMAC one instance gets. */
export interface VmacPlan {
  readonly instance: string;
  readonly family: Family;
  /** the configured interface */
  readonly base: string;
  /** the macvlan's lower device (the base, or the base's own lower when it is a macvlan) */
  readonly lowerIndex: number;
  readonly name: string;
  readonly mac: Uint8Array;
  /** adverts out of (and read on) the base interface */
  readonly xmitBase: boolean;
  /** an existing matching macvlan, adopted */
  readonly adoptIndex?: number;
  /** an incompatible private macvlan with the configured name, deleted first */
  readonly replaceIndex?: number;
  /** an IPv4 VMAC keeps IPv6 on when the instance has IPv6 eVIPs */
  readonly ipv6: boolean;
  /** IPv6 VMAC sending its own adverts: the link-local address it sends from */
  readonly linkLocal?: Uint8Array;
  readonly loc: Loc;
}

export type VmacWarn = (instance: string, message: string) => void;

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** use_vmac's MAC (checked at reading: src/util/mac.ts): 6 octets, or 5 and the VRID. */
function configuredMac(text: string, vrid: number, warn: (m: string) => void): Uint8Array | undefined {
  const mac = parseVmacMac(text);
  if (!mac.ok) {
    warn(mac.error);
    return undefined;
  }
  return Uint8Array.from([...mac.octets, ...(mac.useVrid ? [vrid] : [])]);
}

/** EUI-64 link-local address from a MAC (keepalived make_link_local_address). */
function linkLocalFromMac(mac: Uint8Array): Uint8Array {
  const a = new Uint8Array(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  a.set([mac[0]! ^ 0x02, mac[1]!, mac[2]!, 0xff, 0xfe, mac[3]!, mac[4]!, mac[5]!], 8);
  return a;
}

/**
 * Decides the VMAC of every use_vmac instance from the configuration and the links present
 * (pure). `linkLocal(base)` is the base interface's IPv6 link-local address, if any.
 */
export function planVmacs(
  cfg: KeepalivedConfig,
  links: readonly LinkInfo[],
  linkLocal: (base: string) => Uint8Array | undefined,
  warn: VmacWarn,
): VmacPlan[] {
  const byName = new Map(links.map((l) => [l.name, l]));
  const byIndex = new Map(links.map((l) => [l.index, l]));
  const claimed = new Set<string>();
  const plans: VmacPlan[] = [];
  for (const vi of cfg.vrrpInstances) {
    if (!vi.useVmac || vi.virtualRouterId === undefined) continue;
    const w = (m: string): void => warn(vi.name, m);
    const base = vi.interface ?? cfg.globalDefs.defaultInterface;
    const baseLink = base === undefined ? undefined : byName.get(base);
    if (base === undefined || !baseLink) {
      throw new KtsError('DAEMON_INTERFACE', `(${vi.name}) interface ${base ?? '(none)'} does not exist`);
    }
    const vrid = vi.virtualRouterId;
    const lowerIndex = baseLink.kind === 'macvlan' && baseLink.parentIndex !== undefined ? baseLink.parentIndex : baseLink.index;
    const mac = (vi.useVmac.mac !== undefined ? configuredMac(vi.useVmac.mac, vrid, w) : undefined) ?? vmacAddress(vrid, vi.family);
    const xmitBase = xmitBaseOf(vi, w);

    const isPrivateMacvlan = (l: LinkInfo): boolean => l.kind === 'macvlan' && l.macvlanMode === MACVLAN_PRIVATE;
    let name: string | undefined;
    let adoptIndex: number | undefined;
    let replaceIndex: number | undefined;
    const match = links.find((l) => isPrivateMacvlan(l) && l.parentIndex === lowerIndex && sameBytes(l.mac, mac) && !claimed.has(l.name));
    if (match) {
      if (vi.useVmac.name !== undefined && vi.useVmac.name !== match.name) {
        w(`vmac name mismatch ${vi.useVmac.name} <=> ${match.name}. changing to ${match.name}.`);
      }
      name = match.name;
      adoptIndex = match.index;
    } else if (vi.useVmac.name !== undefined) {
      const wanted = vi.useVmac.name;
      const existing = byName.get(wanted);
      if (claimed.has(wanted)) w(`${wanted} is already used by another VRRP instance - ignoring name`);
      else if (existing && !isPrivateMacvlan(existing)) w(`interface ${wanted} already exists and is not a private macvlan; ignoring vmac if_name`);
      else {
        name = wanted;
        if (existing) {
          w(`VMAC ${wanted} already exists but is incompatible. It will be deleted/updated`);
          replaceIndex = existing.index;
        }
      }
    }
    name ??= freeName(vrid, vi.family, (n) => claimed.has(n) || byName.has(n));
    claimed.add(name);

    const ipv6 = vi.family === 'inet'
      && [...vi.virtualIpaddress, ...vi.virtualIpaddressExcluded].some((a) => a.address.family === 'inet6');
    let ll: Uint8Array | undefined;
    if (vi.family === 'inet6' && !xmitBase) {
      const src = vi.mcastSrcIp ?? vi.unicastSrcIp;
      ll = src?.family === 'inet6' ? src.bytes : linkLocal(base) ?? linkLocalFromMac(byIndex.get(lowerIndex)?.mac ?? baseLink.mac);
    }
    plans.push({
      instance: vi.name, family: vi.family, base, lowerIndex, name, mac, xmitBase, ipv6, loc: vi.useVmac.loc,
      ...(adoptIndex !== undefined ? { adoptIndex } : {}),
      ...(replaceIndex !== undefined ? { replaceIndex } : {}),
      ...(ll ? { linkLocal: ll } : {}),
    });
  }
  return plans;
}

/** keepalived: unicast peers need vmac_xmit_base (set), strict_mode forbids it (cleared). */
function xmitBaseOf(vi: VrrpInstance, warn: (m: string) => void): boolean {
  let xmitBase = vi.vmacXmitBase;
  if (vi.unicastPeer.length > 0 && !xmitBase) {
    warn('unicast with use_vmac requires vmac_xmit_base - setting');
    xmitBase = true;
  }
  if (vi.strictMode && xmitBase) {
    warn('xmit_base is incompatible with strict mode - resetting');
    xmitBase = false;
  }
  return xmitBase;
}

/** keepalived create_vmac_name: vrrp.VRID, then vrrpN.VRID (IPv6 tries N = 6 first). */
function freeName(vrid: number, family: Family, taken: (name: string) => boolean): string {
  let name = vmacName(vrid);
  let num = 0;
  while (taken(name)) {
    if (family === 'inet6') num = num === 0 ? 6 : num === 6 ? 1 : num + 1 === 6 ? 7 : num + 1;
    else num++;
    name = `vrrp${num}.${vrid}`;
  }
  return name;
}

/** The VMACs of a running daemon. */
export class Vmacs {
  private readonly byInstance = new Map<string, VmacPlan & { index: number }>();
  private released: Promise<void> | undefined;

  private constructor(
    private readonly rtnl: VmacRtnl,
    private readonly sysctls: VmacSysctls,
    private readonly log: Logger,
  ) {}

  /**
   * Creates (or adopts) every VMAC the configuration asks for and tells `links` about them.
   * On failure what was already created is removed again, then the error is thrown.
   */
  static async prepare(cfg: KeepalivedConfig, rtnl: VmacRtnl, links: LinkTable, log: Logger,
    sysctls = new VmacSysctls()): Promise<Vmacs> {
    const v = new Vmacs(rtnl, sysctls, log);
    if (!cfg.vrrpInstances.some((vi) => vi.useVmac)) return v;
    const plans = planVmacs(cfg, await rtnl.links(), (base) => links.primary(base, 'inet6'),
      (inst, m) => log.warn({ inst }, `(${inst}) ${m}`));
    if (plans.length === 0) return v;
    try {
      for (const p of plans) await v.setUp(p);
    } catch (e) {
      await v.release().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'VMAC clean-up failed'));
      throw e;
    }
    // the LinkTable must know the new links before any socket is opened on them
    const now = await rtnl.links();
    for (const l of now) if (v.owns(l.index)) links.apply({ type: 'link', link: l, deleted: false });
    return v;
  }

  private owns(index: number): boolean {
    return [...this.byInstance.values()].some((p) => p.index === index);
  }

  /**
   * A VMAC of ours that someone else deleted (keepalived_netlink.c: "If this was a vmac we
   * created, create it again"): forgotten here, so that nothing deletes its old index later;
   * its name, for the daemon to map the instances again (Vmacs.prepare creates it anew).
   */
  lost(index: number): { readonly instance: string; readonly name: string } | undefined {
    for (const [instance, p] of this.byInstance) {
      if (p.index !== index) continue;
      this.byInstance.delete(instance);
      return { instance, name: p.name };
    }
    return undefined;
  }

  private async setUp(p: VmacPlan): Promise<void> {
    const ctx = { inst: p.instance, vmac: p.name, base: p.base, mac: formatMac(p.mac) };
    let index: number;
    if (p.adoptIndex !== undefined) {
      this.log.info(ctx, `(${p.instance}) Found matching interface ${p.name}`);
      index = p.adoptIndex;
      await this.rtnl.setLinkUp(index, true);
    } else {
      if (p.replaceIndex !== undefined) await this.rtnl.deleteLink(p.replaceIndex);
      index = await this.rtnl.createMacvlan(p.lowerIndex, p.name, p.mac, 'private');
      this.log.info(ctx, `(${p.instance}) Success creating VMAC interface ${p.name}`);
    }
    this.byInstance.set(p.instance, { ...p, index });
    await this.sysctls.apply(p.name, p.base, p.family, { ipv6: p.ipv6 });
    if (p.linkLocal) {
      await this.rtnl.addAddress({
        address: { family: 'inet6', bytes: p.linkLocal, prefixLen: 64 }, noDad: true, noPrefixRoute: false,
        home: false, noTrack: true, useVmac: false, loc: p.loc,
      }, index);
    }
  }

  /** What the firewall needs to move the VMACs' IGMP / MLD reports to their base interfaces. */
  firewallVmacs(cfg: KeepalivedConfig): FirewallVmac[] {
    return [...this.byInstance.values()].map((p) => {
      const vi = cfg.vrrpInstances.find((i) => i.name === p.instance);
      // keepalived VRRP_FLAG_EVIP_OTHER_FAMILY
      const otherFamily = vi?.virtualIpaddressExcluded.some((a) => a.address.family !== p.family) ?? false;
      return { family: p.family, otherFamily, index: p.index, baseIndex: p.lowerIndex };
    });
  }

  /** The VMAC of an instance (where its VIPs live), if it has one. */
  vmacOf(instance: string): { readonly name: string; readonly xmitBase: boolean } | undefined {
    return this.byInstance.get(instance);
  }

  /** Interface holding the instance's VIPs without `dev`: its VMAC, else undefined. */
  interfaceFor(instance: string): string | undefined {
    return this.byInstance.get(instance)?.name;
  }

  /** Interface the instance's adverts leave by and are read on, when it has a VMAC. */
  sendInterfaceFor(instance: string): string | undefined {
    const p = this.byInstance.get(instance);
    return p && (p.xmitBase ? p.base : p.name);
  }

  /** After a reload: delete the VMACs the new set does not use (sysctls stay as they are). */
  async releaseUnused(next: Vmacs | undefined): Promise<void> {
    for (const p of this.byInstance.values()) {
      if (next?.owns(p.index)) continue;
      try {
        await this.rtnl.deleteLink(p.index);
        this.log.info({ inst: p.instance, vmac: p.name }, `(${p.instance}) Success removing VMAC interface ${p.name}`);
      } catch (e) {
        this.log.warn({ inst: p.instance, vmac: p.name, err: (e as Error).message }, `(${p.instance}) Error removing VMAC interface ${p.name}`);
      }
    }
  }

  /** At stop, after the last advert: delete every VMAC, put the sysctls back. Idempotent. */
  release(): Promise<void> {
    this.released ??= this.doRelease();
    return this.released;
  }

  private async doRelease(): Promise<void> {
    for (const p of this.byInstance.values()) {
      try {
        await this.rtnl.deleteLink(p.index);
        this.log.info({ inst: p.instance, vmac: p.name }, `(${p.instance}) Success removing VMAC interface ${p.name}`);
      } catch (e) {
        this.log.warn({ inst: p.instance, vmac: p.name, err: (e as Error).message }, `(${p.instance}) Error removing VMAC interface ${p.name}`);
      }
      if (p.family === 'inet') await this.sysctls.release(p.base).catch((e: unknown) => this.logSysctl(e));
    }
    await this.sysctls.restore().catch((e: unknown) => this.logSysctl(e));
  }

  private logSysctl(e: unknown): void {
    this.log.warn({ err: (e as Error).message }, 'VMAC sysctls not restored');
  }
}
