/**
 * What the VRRP dumps (keepalived.data, keepalived.stats, keepalived.json) share: keepalived's
 * counters computed from ours, its state numbers, its text for a virtual address, and C's
 * printf conversions the files are written with.
 */
import type { AddressEntry, Script } from '../config/model.js';
import type { ScriptSpec } from '../io/script-runner.js';
import type { InstanceStats, VrrpState } from '../vrrp/types.js';
import { formatAddress, type AddressPlace } from './ip.js';
import type { HostView, InstanceView, VrrpView } from '../daemon/view.js';

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

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');

/** keepalived ctime_us_r: "Sun Nov 22 08:11:41.980094 2026" (local time). */
/** ctime's 24 characters, then `.` and the microseconds (keepalived's "%.24s.%6.6ld"). */
export function ctime24Us(ms: number): string {
  const d = new Date(Math.floor(ms));
  const us = String(Math.round(ms * 1000) % 1e6).padStart(6, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]}${String(d.getDate()).padStart(3, ' ')} `
    + `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}.${us}`;
}

export function ctimeUs(ms: number): string {
  const d = new Date(Math.floor(ms));
  const us = String(Math.round(ms * 1000) % 1e6).padStart(6, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]}${String(d.getDate()).padStart(3, ' ')} `
    + `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${us} ${d.getFullYear()}`;
}

/**
 * Where an instance's address goes: its `dev`, else the instance's interface; with use_vmac an
 * address of the instance's family on the configured interface goes on the VMAC (`@base`).
 */
export function vipPlace(a: AddressEntry, iv: InstanceView): AddressPlace {
  const set = iv.live.vipSet;
  const onBase = a.dev === undefined || a.dev === iv.baseInterface;
  if (iv.vmac !== undefined && onBase && a.address.family === iv.live.r.family) return { dev: iv.vmac, base: iv.baseInterface, set };
  return { dev: a.dev ?? iv.baseInterface, set };
}

/** keepalived format_ipaddress of an instance's VIP / eVIP. */
export function formatVip(a: AddressEntry, iv: InstanceView): string {
  return formatAddress(a, vipPlace(a, iv));
}

/** keepalived cmd_str: each word in single quotes (a leading redirection word unquoted). */
export function cmdStr(argv: readonly string[]): string {
  return argv.map((w, i) => (i === 0 && (w.startsWith('<') || w.startsWith('>')) ? w : `'${w}'`)).join(' ');
}

/** A script's "CMD, uid:gid U:G" as the script runner would run it. */
export function scriptWithUser(s: ScriptSpec, host: Pick<HostView, 'resolveScript'> | undefined): string {
  const r = host?.resolveScript(s);
  return `${cmdStr(r?.argv ?? s.argv)}, uid:gid ${r?.uid ?? 0}:${r?.gid ?? 0}`;
}

/**
 * keepalived dump_notify_script lines ("Master state transition script = ..."); a script refused
 * at start-up is left out, as keepalived drops a script it cannot run.
 */
export function notifyScriptLines(scripts: readonly (readonly [string, Script | undefined])[], host: HostView | undefined): string[] {
  const out: string[] = [];
  for (const [type, s] of scripts) {
    if (s && !host?.resolveScript(s).refused) out.push(`${type} state transition script = ${scriptWithUser(s, host)}`);
  }
  return out;
}

/** The accept mode keepalived runs the instance with: `accept`, else on unless vrrp_strict. */
export function acceptMode(iv: InstanceView, view: VrrpView): boolean {
  return iv.model.accept ?? !(iv.model.strictMode ?? view.config.globalDefs.vrrpStrict);
}
