/**
 * keepalived.json (signal 36, SIGRTMIN+2): keepalived 2.2.7 vrrp_json.c, json_version 1: an
 * array with one `{ "data": {...}, "stats": {...} }` per instance, fields in keepalived's
 * order and with its value types (booleans where keepalived writes jsonw_bool, integers for
 * jsonw_uint, "%g" for its floats, "%f" for last_transition); compact, one line, '/' escaped
 * as "\/" like keepalived's writer. json_version 2 (keepalived >= 2.3) wraps the same array
 * as `{"vrrp":[...]}`.
 */
import { acceptMode, cmdStr, formatVip, keepalivedCounters, printfG, secUsec, STATE_NUMBER } from './common.js';
import type { InstanceView, VrrpView } from '../daemon/view.js';

type Json = { readonly raw: string };
const raw = (t: string): Json => ({ raw: t });
const uint = (n: number): Json => raw(String(Math.max(0, Math.trunc(n))));
const bool = (b: boolean): Json => raw(b ? 'true' : 'false');
const float = (n: number): Json => raw(printfG(n));

/** keepalived's jsonw_puts escapes, with a real escape for backslash and control characters. */
export function jsonString(s: string): string {
  let t = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') t += '\\"';
    else if (ch === '\\') t += '\\\\';
    else if (ch === '/') t += '\\/';
    else if (ch === '\n') t += '\\n';
    else if (ch === '\t') t += '\\t';
    else if (ch === '\r') t += '\\r';
    else if (ch === '\f') t += '\\f';
    else if (ch === '\b') t += '\\b';
    else if (c < 0x20) t += `\\u${c.toString(16).padStart(4, '0')}`;
    else t += ch;
  }
  return `${t}"`;
}
const str = (s: string): Json => raw(jsonString(s));
const arr = (items: readonly string[]): Json => raw(`[${items.map(jsonString).join(',')}]`);

function object(fields: readonly (readonly [string, Json | undefined])[]): string {
  return `{${fields.filter((f) => f[1] !== undefined).map(([k, v]) => `${jsonString(k)}:${v!.raw}`).join(',')}}`;
}

function dataObject(iv: InstanceView, view: VrrpView): string {
  const m = iv.model;
  const live = iv.live;
  const r = live.r;
  const g = view.config.globalDefs;
  const script = (s: { argv: readonly string[] } | undefined): Json | undefined => (s ? str(cmdStr(s.argv)) : undefined);
  const list = (items: readonly string[]): Json | undefined => (items.length ? arr(items) : undefined);
  const authType = r.authType;
  const authData = r.authData ? new TextDecoder().decode(r.authData).replace(/\0.*$/s, '') : m.authentication?.authPass ?? '';
  const trackScripts = m.trackScript.map((t) => {
    const s = view.config.vrrpScripts.find((x) => x.name === t.name)?.script;
    return s ? cmdStr(s.argv) : t.name;
  });
  return object([
    ['iname', str(iv.name)],
    ['dont_track_primary', uint(m.dontTrackPrimary ? 1 : 0)],
    ['skip_check_adv_addr', uint(r.skipCheckAdvAddr ? 1 : 0)],
    ['strict_mode', uint((m.strictMode ?? g.vrrpStrict) ? 1 : 0)],
    ['vmac_ifname', str(m.useVmac ? r.cfg.interface : '')],
    ['ifp_ifname', str(r.cfg.interface)],
    ['master_priority', uint(live.masterPriority)],
    ['last_transition', raw(secUsec(iv.lastTransitionAt ?? view.startedAt))],
    ['garp_delay', float(r.garpDelayMs / 1000)],
    ['garp_refresh', uint(Math.floor(r.garpRefreshMs / 1000))],
    ['garp_rep', uint(r.garpRepeat)],
    ['garp_refresh_rep', uint(r.garpRefreshRepeat)],
    ['garp_lower_prio_delay', uint(Math.floor(r.garpLowerPrioDelayMs / 1000))],
    ['garp_lower_prio_rep', uint(r.garpLowerPrioRepeat)],
    ['lower_prio_no_advert', uint(r.lowerPrioNoAdvert ? 1 : 0)],
    ['higher_prio_send_advert', uint(r.higherPrioSendAdvert ? 1 : 0)],
    ['vrid', uint(r.vrid)],
    ['base_priority', uint(live.basePriority)],
    ['effective_priority', uint(live.effectivePriority)],
    ['vipset', bool(live.vipSet)],
    ['promote_secondaries', bool(m.promoteSecondaries)],
    ['adver_int', float(r.adverIntervalMs / 1000)],
    ['master_adver_int', float(live.masterAdverIntervalMs / 1000)],
    ['accept', uint(acceptMode(iv, view) ? 1 : 0)],
    ['nopreempt', bool(r.nopreempt)],
    ['preempt_delay', uint(Math.floor(r.preemptDelayMs / 1000))],
    ['state', uint(STATE_NUMBER[live.state])],
    ['wantstate', uint(STATE_NUMBER[live.wantState])],
    ['version', uint(r.version)],
    ['smtp_alert', bool(m.smtpAlert ?? false)],
    ['notify_deleted', bool(m.notifyDeleted !== undefined)],
    ['script_backup', script(m.notifyBackup)],
    ['script_master', script(m.notifyMaster)],
    ['script_fault', script(m.notifyFault)],
    ['script_stop', script(m.notifyStop)],
    ['script_deleted', script(m.notifyDeleted === true ? undefined : m.notifyDeleted)],
    ['script', script(m.notify)],
    ['script_master_rx_lower_pri', script(m.notifyMasterRxLowerPri)],
    ['vips', list(m.virtualIpaddress.map((a) => formatVip(a, iv)))],
    ['evips', list(m.virtualIpaddressExcluded.map((a) => formatVip(a, iv)))],
    ['vroutes', list(m.virtualRoutes.map((x) => x.words.join(' ')))],
    ['vrules', list(m.virtualRules.map((x) => x.words.join(' ')))],
    ['track_ifp', list(m.trackInterface.map((t) => t.name))],
    ['track_script', list(trackScripts)],
    ['auth_type', uint(authType)],
    ['auth_data', authType ? str(authData) : undefined],
  ]);
}

function statsObject(iv: InstanceView): string {
  return object(Object.entries(keepalivedCounters(iv.live.stats)).map(([k, v]) => [k, uint(v)] as const));
}

/** The JSON dump; `version` is global_defs json_version (1 unless set). */
export function formatJson(view: VrrpView, version: 1 | 2 = 1): string {
  const items = view.instances.map((iv) => `{"data":${dataObject(iv, view)},"stats":${statsObject(iv)}}`);
  const list = `[${items.join(',')}]`;
  return `${version === 2 ? `{"vrrp":${list}}` : list}\n`;
}
