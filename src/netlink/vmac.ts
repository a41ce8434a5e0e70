/**
 * use_vmac: the macvlan keepalived 2.2.7 creates for an instance (vrrp_vmac.c, vrrp_if_config.c).
 *  - name `vrrp.VRID` (vmac_prefix), MAC 00:00:5e:00:01:VRID (IPv4) / 00:00:5e:00:02:VRID (IPv6);
 *  - macvlan mode private on the instance's interface (IFLA_LINK), created with
 *    NLM_F_CREATE|EXCL; then IPv6 address generation off (IN6_ADDR_GEN_MODE_NONE, a separate
 *    message because the kernel ignores IFLA_AF_SPEC on creation), then brought up;
 *  - IPv4 sysctls: on the VMAC arp_ignore=1, accept_local=1, rp_filter=0, promote_secondaries=1;
 *    on the base interface arp_ignore=1, arp_filter=1 (old values restored when the VMAC goes);
 *    net.ipv4.conf.all.rp_filter is cleared (see src/io/rtnl-sysctl.ts); IPv6 is disabled on an
 *    IPv4 VMAC (disable_ipv6=1) and enabled on an IPv6 one.
 */
import type { ifla, rt } from 'netlink';
import { attr, attrs, cstring, u32, u8 } from './attrs.js';
import {
  AF_INET6, IFLA_INET6_ADDR_GEN_MODE, IFLA_INFO_DATA, IFLA_INFO_KIND, IFLA_MACVLAN_MODE, IN6_ADDR_GEN_MODE_NONE,
  MACVLAN_MODE, NLM_F_CREATE, NLM_F_EXCL, type MacvlanMode,
} from './constants.js';

/** The VRRP virtual MAC of a VRID (RFC 5798 7.3). */
export function vmacAddress(vrid: number, family: 'inet' | 'inet6'): Uint8Array {
  return Uint8Array.from([0x00, 0x00, 0x5e, 0x00, family === 'inet' ? 0x01 : 0x02, vrid & 0xff]);
}

/** keepalived's default VMAC name. */
export function vmacName(vrid: number, prefix = 'vrrp'): string {
  return `${prefix}.${vrid}`;
}

export interface LinkRequest {
  readonly data: rt.Link;
  readonly attrs: ifla.LinkAttrs;
  readonly flags: number;
}

/** RTM_NEWLINK creating a macvlan `name` with `mac` on `parentIndex`. */
export function macvlanRequest(parentIndex: number, name: string, mac: Uint8Array, mode: MacvlanMode = 'private'): LinkRequest {
  const linkinfo = attrs(
    attr(IFLA_INFO_KIND, Buffer.from('macvlan')),
    attr(IFLA_INFO_DATA, attr(IFLA_MACVLAN_MODE, u32(MACVLAN_MODE[mode]))),
  );
  return {
    data: {},
    attrs: { ifname: name, link: u32(parentIndex), address: Buffer.from(mac), linkinfo },
    flags: NLM_F_CREATE | NLM_F_EXCL,
  };
}

/** RTM_NEWLINK turning off IPv6 link-local generation on `index` (RFC 5798 7.4). */
export function addrGenModeNoneRequest(index: number): LinkRequest {
  return {
    data: { index },
    attrs: { afSpec: new Map([[AF_INET6, attr(IFLA_INET6_ADDR_GEN_MODE, u8(IN6_ADDR_GEN_MODE_NONE))]]) },
    flags: 0,
  };
}

/** RTM_NEWLINK setting `index` up or down. */
export function linkUpRequest(index: number, up: boolean): LinkRequest {
  return { data: { index, change: { up: true }, flags: up ? { up: true } : {} }, attrs: {}, flags: 0 };
}

export interface SysctlSetting {
  /** Path under /proc/sys, e.g. `net/ipv4/conf/vrrp.51/arp_ignore`. */
  readonly path: string;
  readonly value: number;
}

const conf4 = (ifname: string, key: string): string => `net/ipv4/conf/${ifname}/${key}`;
const conf6 = (ifname: string, key: string): string => `net/ipv6/conf/${ifname}/${key}`;

/**
 * The settings keepalived makes on a VMAC of `family` and its base interface. IPv6 stays on for
 * an IPv6 VMAC, or an IPv4 one carrying IPv6 eVIPs (`ipv6: true`); else it is disabled.
 */
export function vmacSysctls(vmac: string, base: string, family: 'inet' | 'inet6', opts: { ipv6?: boolean } = {}): { readonly vmac: readonly SysctlSetting[]; readonly base: readonly SysctlSetting[] } {
  const ipv6 = { path: conf6(vmac, 'disable_ipv6'), value: family === 'inet6' || opts.ipv6 ? 0 : 1 };
  if (family === 'inet6') return { vmac: [ipv6], base: [] };
  return {
    vmac: [
      { path: conf4(vmac, 'arp_ignore'), value: 1 },
      { path: conf4(vmac, 'accept_local'), value: 1 },
      { path: conf4(vmac, 'rp_filter'), value: 0 },
      { path: conf4(vmac, 'promote_secondaries'), value: 1 },
      ipv6,
    ],
    base: [
      { path: conf4(base, 'arp_ignore'), value: 1 },
      { path: conf4(base, 'arp_filter'), value: 1 },
    ],
  };
}

/** `net/ipv4/conf/eth0/arp_ignore` -> `net.ipv4.conf.eth0.arp_ignore` (as sysctl prints it). */
export function sysctlName(path: string): string {
  return path
    .split('/')
    .map((p) => p.replace(/\./g, '/'))
    .join('.');
}
