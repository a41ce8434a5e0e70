/**
 * One " VRRP Instance = NAME" block of keepalived.data, as keepalived 2.2.7 dump_vrrp writes it
 * (vrrp/vrrp_data.c): the same lines, indents and words (keepalived-exporter parses "Key =
 * value" lines under it). Values are the engine's: what the instance runs with (effective
 * priorities, resolved tracker weights, defaults applied), its state, timers and sockets.
 */
import type { RuleEntry } from '../config/model.js';
import type { TrackRef } from '../vrrp/config.js';
import { formatIp } from '../util/ip.js';
import { acceptMode, ctime24Us, ctimeUs, formatVip, notifyScriptLines, printfG, secUsec, type DumpTime } from './common.js';
import { formatRoute, formatRule, vrfTables } from './ip.js';
import { unicastSourceLocal } from './host.js';
import type { InstanceView, VrrpView } from '../daemon/view.js';

const onOff = (b: boolean): string => (b ? 'true' : 'false');
const secs = (ms: number): number => Math.floor(ms / 1000);

/** Whether keepalived's vrrp->flags has any bit set, and the lines it writes under "Flags:". */
function flags(iv: InstanceView, view: VrrpView): { any: boolean; lines: string[] } {
  const m = iv.model;
  const r = iv.live.r;
  // the instance's check_unicast_src counts as a unicast keyword; the global default does not
  const ownCheck = m.checkUnicastSrc && !view.config.globalDefs.vrrpCheckUnicastSrc;
  const unicastConfigured = m.unicastSrcIp !== undefined || m.unicastPeer.length > 0 || m.unicastKeyword === true || m.unicastFaultNoPeer
    || ownCheck || r.unicastChecksum !== 'auto';
  const evipOtherFamily = m.virtualIpaddressExcluded.some((a) => a.address.family !== r.family);
  const lines: string[] = [];
  if (r.unicast) lines.push('  Using unicast');
  else if (unicastConfigured) lines.push('  Unicast config option specified but using multicast');
  if (m.unicastFaultNoPeer) lines.push('  If unicast go to fault state if no peers');
  // VRRP_FLAG_CHECK_UNICAST_SRC: the instance's keyword or a peer's min_ttl / max_ttl; the global
  // vrrp_check_unicast_src is read at run time and sets no flag
  const checkFlag = ownCheck || m.unicastPeer.some((p) => p.minTtl !== undefined || p.maxTtl !== undefined);
  const any = unicastConfigured || m.unicastFaultNoPeer || m.dontTrackPrimary || r.skipCheckAdvAddr
    || m.mcastSrcIp !== undefined || m.trackSrcIp || checkFlag || m.promoteSecondaries || evipOtherFamily
    || r.nopreempt || m.useVmac !== undefined
    // VRRP_FLAG_VMAC_GARP_ALL_IF: garp_extra_if all, or vrrp_garp_extra_if all for an instance without its own
    || (m.garpExtraIf ?? view.config.globalDefs.vrrpGarpExtraIf)?.all === true;
  return { any, lines };
}

type Tracked = readonly TrackRef[] | undefined;

/** "Tracked ... :" and its lines; keepalived writes interfaces and scripts without a comma after the name. */
function trackedLines(title: string, refs: Tracked, sep: string): string[] {
  if (!refs?.length) return [];
  return [title, ...refs.map((t) => `  ${t.name}${sep} weight ${t.shownWeight ?? t.weight}${t.reverse ? ' reverse' : ''}`)];
}

function notifyLines(iv: InstanceView, view: VrrpView): string[] {
  const m = iv.model;
  return notifyScriptLines([
    ['Backup', m.notifyBackup], ['Master', m.notifyMaster], ['Fault', m.notifyFault], ['Stop', m.notifyStop],
    ['Deleted', m.notifyDeleted === true ? undefined : m.notifyDeleted], ['Generic', m.notify], ['Master rx lower pri', m.notifyMasterRxLowerPri],
  ], view.host);
}

function unicastLines(iv: InstanceView): string[] {
  const r = iv.live.r;
  if (!r.unicast) return [];
  const out: string[] = [];
  // keepalived: an IPv4 instance's TTL defaults to 255 (and is shown); IPv6 only when configured
  if (r.family === 'inet' || iv.model.unicastTtl !== undefined) out.push(`Unicast TTL = ${r.unicastTtl}`);
  out.push(`Check unicast src : ${r.checkUnicastSrc ? 'yes' : 'no'}`, 'Unicast Peer :');
  for (const p of r.peers) out.push(`  ${formatIp(p.address)} min_ttl ${p.minTtl} max_ttl ${p.maxTtl}`);
  // keepalived: "no" until an old-checksum advert switches it to "auto"
  const mode = iv.live.unicastChecksum;
  const compat = r.unicastChecksum === 'new' ? 'never' : r.unicastChecksum === 'old' ? 'config' : mode === 'old' ? 'auto' : 'no';
  out.push(`Unicast checksum compatibility = ${compat}`);
  return out;
}

export function instanceLines(iv: InstanceView, view: VrrpView, time: DumpTime, rulePreference: (r: RuleEntry) => number | undefined): string[] {
  const m = iv.model;
  const live = iv.live;
  const r = live.r;
  const host = view.host;
  const out: string[] = [];
  const w = (...t: string[]): void => {
    for (const x of t) out.push(`   ${x}`);
  };
  out.push(` VRRP Instance = ${iv.name}`);
  w(`VRRP Version = ${r.version}`);
  if (live.sync) w(`Sync group = ${live.sync.name}`);
  if (r.family === 'inet6') w('Using Native IPv6');
  w(`State = ${live.state}`);
  if (live.state === 'BACKUP') {
    w(`Master router = ${live.masterSaddr ? formatIp(live.masterSaddr) : r.family === 'inet' ? '0.0.0.0' : '::'}`);
    w(`Master priority = ${live.masterPriority}`);
    if (r.version === 3) w(`Master advert int = ${(live.masterAdverIntervalMs / 1000).toFixed(2)} sec`);
  }
  const f = flags(iv, view);
  if (f.any) w('Flags:', ...f.lines);
  else w('Flags: none');
  w(`Wantstate = ${live.wantState}`);
  w(`Number of config faults = ${r.cfg.configFault !== undefined ? 1 : 0}`);
  w(`Number of interface and track script faults = ${live.numFault}`);
  w(`Number of track scripts init = ${live.numInit}`);
  const last = iv.lastTransitionAt ?? view.startedAt;
  w(`Last transition = ${secUsec(last)} (${ctimeUs(last)})`);
  if (!Number.isFinite(live.sands)) w('Read timeout = DISABLED');
  else {
    const at = time.wallMs + (live.sands - time.monoMs);
    w(`Read timeout = ${secUsec(at)} (${ctimeUs(at)})`);
  }
  w(`Master down timer = ${Math.floor(live.msDownTimerMs * 1000)} usecs`);
  // the socket's interface: the VMAC, or the configured one with vmac_xmit_base
  const dev = r.cfg.interface;
  if (iv.vmac !== undefined) {
    w(`Use VMAC, i/f name ${iv.vmac}, is_up = true, xmit_base = ${onOff(m.vmacXmitBase)}`);
    if (m.useVmac?.mac !== undefined) w(`  MAC = ${m.useVmac.mac}`);
    w(`Interface = ${iv.vmac}, vmac on ${iv.baseInterface}${m.vmacXmitBase ? ', xmit base i/f' : ''}`);
  } else w(`Interface = ${dev}`);
  if (m.dontTrackPrimary) w('VRRP interface tracking disabled');
  if (r.skipCheckAdvAddr) w('Skip checking advert IP addresses');
  if (m.strictMode ?? view.config.globalDefs.vrrpStrict) w('Enforcing strict VRRP compliance');
  const fromConfig = m.unicastSrcIp !== undefined || m.mcastSrcIp !== undefined;
  w(`Using src_ip = ${formatIp(iv.sourceAddress)}${fromConfig ? ' (from configuration)' : ''}`);
  if (!r.unicast) {
    if (r.family === 'inet') w(`Multicast address ${formatIp(r.mcastDst)}`);
    else {
      const ifindex = host?.links().find((l) => l.link.name === (iv.vmac ?? dev))?.link.index ?? 0;
      w(`Multicast address ${formatIp(r.mcastDst)}, ifindex ${ifindex}`);
    }
  }
  w(
    `Gratuitous ARP delay = ${secs(r.garpDelayMs)}`,
    `Gratuitous ARP repeat = ${r.garpRepeat}`,
    `Gratuitous ARP refresh = ${secs(r.garpRefreshMs)}`,
    `Gratuitous ARP refresh repeat = ${r.garpRefreshRepeat}`,
    `Gratuitous ARP lower priority delay = ${secs(r.garpLowerPrioDelayMs)}`,
    `Gratuitous ARP lower priority repeat = ${r.garpLowerPrioRepeat}`,
    `Down timer adverts = ${r.downTimerAdverts}`,
  );
  if (r.garpExtraIfMs > 0) {
    const all = (m.garpExtraIf ?? view.config.globalDefs.vrrpGarpExtraIf)?.all === true;
    const next = Number.isFinite(live.garpExtraIfAt) ? time.wallMs + (live.garpExtraIfAt - time.monoMs) : 0;
    w(`Gratuitous ARP for each secondary ${all ? 'i/f' : 'VMAC'} = ${r.garpExtraIfMs / 1000}`,
      `Next gratuitous ARP for such secondary = ${secUsec(next)} (${ctime24Us(next)})`);
  }
  w(
    `Send advert after receive lower priority advert = ${onOff(!r.lowerPrioNoAdvert)}`,
    `Send advert after receive higher priority advert = ${onOff(r.higherPrioSendAdvert)}`,
    `Virtual Router ID = ${r.vrid}`,
    `Priority = ${live.basePriority}`,
    `Effective priority = ${live.effectivePriority}`,
    `Total priority = ${live.basePriority + live.adjustment}`,
    `Advert interval = ${r.version === 2 ? `${secs(r.adverIntervalMs)} sec` : `${Math.floor(r.adverIntervalMs)} milli-sec`}`,
  );
  if (live.state === 'BACKUP' && r.version === 3) w(`Master advert interval = ${Math.floor(live.masterAdverIntervalMs)} milli-sec`);
  w(`Accept = ${acceptMode(iv, view) ? 'enabled' : 'disabled'}`);
  w(`Preempt = ${r.nopreempt ? 'disabled' : 'enabled'}`);
  if (r.preemptDelayMs) w(`Preempt delay = ${printfG(r.preemptDelayMs / 1000)} secs`);
  w(`Promote_secondaries = ${m.promoteSecondaries ? 'enabled' : 'disabled'}`);
  if (r.authType === 2) w('Authentication type = IPSEC_AH');
  else if (r.authType === 1) {
    w('Authentication type = SIMPLE_PASSWORD');
    w(`Password = ${Buffer.from(r.authData ?? []).toString('latin1').replace(/\0.*$/s, '')}`);
  } else if (r.version === 2) w('Authentication type = none');
  if (m.debug) w(`Debug level = ${m.debug}`);
  if (m.virtualIpaddress.length) {
    w(`Virtual IP (${m.virtualIpaddress.length}):`);
    for (const a of m.virtualIpaddress) w(`  ${formatVip(a, iv)}`);
  }
  if (m.virtualIpaddressExcluded.length) {
    w('Virtual IP Excluded :');
    for (const a of m.virtualIpaddressExcluded) w(`  ${formatVip(a, iv)}`);
  }
  w(...unicastLines(iv));
  const sock = host?.socket(dev, r.family, r.authType === 2);
  if (host && !sock) w('No sockets allocated');
  else {
    const fd = unicastSourceLocal(view, r.unicast ? iv.sourceAddress : undefined) ? sock?.fd ?? -1 : -1;
    w(`fd_in ${fd}, fd_out ${fd}`);
  }
  const vrfs = vrfTables(host?.links());
  if (m.virtualRoutes.length) w('Virtual Routes :', ...m.virtualRoutes.map((x) => `  ${formatRoute(x, view.rtNames, vrfs)}`));
  if (m.virtualRules.length) w('Virtual Rules :', ...m.virtualRules.map((x) => `  ${formatRule(x, rulePreference(x), view.rtNames)}`));
  // the engine also tracks the instance's own interface; keepalived lists only track_interface
  const configured = new Set(m.trackInterface.map((t) => t.name));
  w(
    ...trackedLines('Tracked interfaces :', r.cfg.trackInterface?.filter((t) => configured.has(t.name) && t.name !== iv.baseInterface), ''),
    ...trackedLines('Tracked scripts :', r.cfg.trackScript, ''),
    ...trackedLines('Tracked files :', r.cfg.trackFile, ','),
    ...trackedLines('Tracked processes :', r.cfg.trackProcess, ','),
    ...trackedLines('Tracked BFDs :', r.cfg.trackBfd, ':'),
  );
  w(`Using smtp notification = ${m.smtpAlert ? 'yes' : 'no'}`);
  w(`Notify deleted = ${m.notifyDeleted !== undefined ? 'Deleted' : 'Fault'}`);
  w(...notifyLines(iv, view));
  w(`Notify priority changes = ${onOff(r.notifyPriorityChanges)}`);
  return out;
}
