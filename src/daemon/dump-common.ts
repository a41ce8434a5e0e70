/**
 * What the VRRP dumps (keepalived.data, keepalived.stats, keepalived.json) share: keepalived's
 * counters computed from ours, its state numbers, its text for a virtual address, and C's
 * printf conversions the files are written with.
 */
import type { AddressEntry } from '../config/model.js';
import type { InstanceStats, VrrpState } from '../vrrp/types.js';
import { formatIp } from '../util/ip.js';
import type { InstanceView, VrrpView } from './view.js';

/** Clocks a dump is taken at: the wall clock and the engine's (monotonic) clock. */
export interface DumpTime {
  /** ms since the epoch */
  readonly wallMs: number;
  /** the engine's clock (performance.now()), to turn its deadlines into wall-clock times */
  readonly monoMs: number;
}

/** keepalived's vrrp_stats, in the order keepalived.json writes them. */
export interface KeepalivedCounters {
  advert_rcvd: number;
  advert_sent: number;
  become_master: number;
  release_master: number;
  packet_len_err: number;
  advert_interval_err: number;
  ip_ttl_err: number;
  invalid_type_rcvd: number;
  addr_list_err: number;
  invalid_authtype: number;
  authtype_mismatch: number;
  auth_failure: number;
  pri_zero_rcvd: number;
  pri_zero_sent: number;
}

/**
 * Our counters as keepalived's. Decode reasons map onto keepalived's counter for the same
 * check (vrrp.c vrrp_check_packet): short -> packet_len_err, ttl -> ip_ttl_err, type ->
 * invalid_type_rcvd, interval -> advert_interval_err, naddr / addr-mismatch / dst (unicast vs
 * multicast) -> addr_list_err. The codec has one reason for every authentication failure, so
 * all of them count as auth_failure (keepalived splits invalid type / type mismatch / bad
 * password). version, checksum, vrid and src-not-peer have no counter in keepalived's files.
 */
export function keepalivedCounters(s: InstanceStats): KeepalivedCounters {
  const e = s.rxErrors;
  return {
    advert_rcvd: s.advertsReceived,
    advert_sent: s.advertsSent,
    become_master: s.becomeMaster,
    release_master: s.releaseMaster,
    packet_len_err: e.short,
    advert_interval_err: e.interval,
    ip_ttl_err: e.ttl,
    invalid_type_rcvd: e.type,
    addr_list_err: e.naddr + e['addr-mismatch'] + e.dst,
    invalid_authtype: 0,
    authtype_mismatch: 0,
    auth_failure: e.auth,
    pri_zero_rcvd: s.priZeroReceived,
    pri_zero_sent: s.priZeroSent,
  };
}

/** SIGRTMAX-1: zero what keepalived.stats shows (keepalived memsets its vrrp_stats). */
export function clearCounters(s: InstanceStats): void {
  s.advertsReceived = 0;
  s.advertsSent = 0;
  s.becomeMaster = 0;
  s.releaseMaster = 0;
  s.priZeroReceived = 0;
  s.priZeroSent = 0;
  for (const k of Object.keys(s.rxErrors) as (keyof InstanceStats['rxErrors'])[]) s.rxErrors[k] = 0;
}

/** keepalived's VRRP_STATE_* numbers (vrrp.h). */
export const STATE_NUMBER: Record<VrrpState, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98 };

/** C's printf("%g"): 6 significant digits, trailing zeros dropped, exponent form outside 1e-4..1e6. */
export function printfG(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mant, expText] = x.toExponential(5).split('e') as [string, string];
  const exp = Number(expText);
  const strip = (t: string): string => (t.includes('.') ? t.replace(/0+$/, '').replace(/\.$/, '') : t);
  if (exp < -4 || exp >= 6) return `${strip(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return strip(x.toFixed(5 - exp));
}

/** `sec.usec` of a time in ms since the epoch, as keepalived's "%ld.%6.6ld" and "%f". */
export function secUsec(ms: number): string {
  const us = Math.round(ms * 1000);
  return `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
}

/** The interface keepalived shows for the instance: the VMAC (with `@base`) or the interface. */
export function instanceDev(iv: InstanceView): string {
  return iv.live.r.cfg.interface;
}

/** keepalived format_ipaddress: "10.0.0.1/24 dev eth0 scope global label eth0:1 set". */
export function formatVip(a: AddressEntry, iv: InstanceView): string {
  const full = a.address.family === 'inet' ? 32 : 128;
  let t = formatIp(a.address.bytes) + (a.address.prefixLen !== full ? `/${a.address.prefixLen}` : '');
  if (a.address.family === 'inet' && a.broadcast !== undefined && a.broadcast !== '-') t += ` brd ${a.broadcast}`;
  const dev = a.dev ?? instanceDev(iv);
  t += ` dev ${dev}`;
  if (a.dev === undefined && dev !== iv.baseInterface) t += `@${iv.baseInterface}`;
  if (a.useVmac) t += ' use_vmac';
  t += ` scope ${a.scope ?? 'global'}`;
  if (a.label !== undefined) t += ` label ${a.label}`;
  if (a.peer !== undefined) t += ` peer ${formatIp(a.peer.bytes)}/${a.address.prefixLen}`;
  if (a.home) t += ' home';
  if (a.noDad) t += ' -nodad';
  if (a.noPrefixRoute) t += ' noprefixroute';
  if (a.noTrack) t += ' no_track';
  if (a.trackGroup !== undefined) t += ` track_group ${a.trackGroup}`;
  if (a.address.family === 'inet6') {
    const lft = a.preferredLft ?? 'forever';
    t += lft === 0 ? ' deprecated' : ` preferred_lft ${lft}`;
  }
  if (iv.live.vipSet) t += ' set';
  return t;
}

/** keepalived cmd_str: each word in single quotes (a leading redirection word unquoted). */
export function cmdStr(argv: readonly string[]): string {
  return argv.map((w, i) => (i === 0 && (w.startsWith('<') || w.startsWith('>')) ? w : `'${w}'`)).join(' ');
}

/** The accept mode keepalived runs the instance with: `accept`, else on unless vrrp_strict. */
export function acceptMode(iv: InstanceView, view: VrrpView): boolean {
  return iv.model.accept ?? !(iv.model.strictMode ?? view.config.globalDefs.vrrpStrict);
}
