/**
 * keepalived.data (SIGUSR1) of the VRRP process: keepalived 2.2.7 dump_data_vrrp, the parts we
 * have: "Global definitions" (the settings we support, keepalived's wording and order) and
 * "VRRP Topology" (every line of dump_vrrp we hold the data for, same words, same indents:
 * keepalived-exporter parses "Key = value" lines under " VRRP Instance = NAME").
 * Left out: socket descriptors (fd_in/fd_out), the socket pool, sync groups, scripts and the
 * interface list (see docs/errors.md, "Deliberate differences").
 */
import type { GlobalDefs } from '../config/model.js';
import { formatIp } from '../util/ip.js';
import { acceptMode, cmdStr, formatVip, secUsec, type DumpTime } from './dump-common.js';
import type { InstanceView, VrrpView } from './view.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');

/** keepalived ctime_us_r: "Sun Nov 22 08:11:41.980094 2026" (local time). */
export function ctimeUs(ms: number): string {
  const d = new Date(Math.floor(ms));
  const us = String(Math.round(ms * 1000) % 1e6).padStart(6, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]}${String(d.getDate()).padStart(3, ' ')} `
    + `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${us} ${d.getFullYear()}`;
}

const onOff = (b: boolean): string => (b ? 'true' : 'false');
const secs = (ms: number): number => Math.floor(ms / 1000);

function globalLines(g: GlobalDefs, view: VrrpView, hostname: string): string[] {
  return [
    '------< Global definitions >------',
    ` Network namespace = ${view.config.netNamespace ?? '(default)'}`,
    ` Router ID = ${g.routerId ?? hostname}`,
    ` Dynamic interfaces = ${onOff(g.dynamicInterfaces)}`,
    ` Default interface = ${g.defaultInterface ?? 'eth0'}`,
    ` VRRP IPv4 mcast group = ${formatIp(g.vrrpMcastGroup4.bytes)}`,
    ` VRRP IPv6 mcast group = ${formatIp(g.vrrpMcastGroup6.bytes)}`,
    ` Gratuitous ARP delay = ${secs(g.vrrpGarpMasterDelayMs)}`,
    ` Gratuitous ARP repeat = ${g.vrrpGarpMasterRepeat}`,
    ` Gratuitous ARP refresh timer = ${secs(g.vrrpGarpMasterRefreshMs)}`,
    ` Gratuitous ARP refresh repeat = ${g.vrrpGarpMasterRefreshRepeat}`,
    ` Gratuitous ARP lower priority delay = ${secs(g.vrrpGarpLowerPrioDelayMs ?? g.vrrpGarpMasterDelayMs)}`,
    ` Gratuitous ARP lower priority repeat = ${g.vrrpGarpLowerPrioRepeat ?? g.vrrpGarpMasterRepeat}`,
    ` Send advert after receive lower priority advert = ${onOff(!g.vrrpLowerPrioNoAdvert)}`,
    ` Send advert after receive higher priority advert = ${onOff(g.vrrpHigherPrioSendAdvert)}`,
    ` Gratuitous ARP interval = ${(g.vrrpGarpIntervalMs / 1000).toFixed(6)}`,
    ` Gratuitous NA interval = ${(g.vrrpGnaIntervalMs / 1000).toFixed(6)}`,
    ` VRRP default protocol version = ${g.vrrpVersion}`,
    ` VRRP check unicast_src = ${onOff(g.vrrpCheckUnicastSrc)}`,
    ` VRRP skip check advert addresses = ${onOff(g.vrrpSkipCheckAdvAddr)}`,
    ` VRRP strict mode = ${onOff(g.vrrpStrict)}`,
    ` VRRP process priority = ${g.vrrpPriority ?? 0}`,
    ` Script security ${g.enableScriptSecurity ? 'enabled' : 'disabled'}`,
    ` umask = 0${(g.umask ?? 0o177).toString(8)}`,
  ];
}

function instanceLines(iv: InstanceView, view: VrrpView, time: DumpTime): string[] {
  const m = iv.model;
  const live = iv.live;
  const r = live.r;
  const out: string[] = [];
  const w = (t: string): number => out.push(`   ${t}`);
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
  const flagged = r.unicast || m.unicastFaultNoPeer || m.dontTrackPrimary || r.skipCheckAdvAddr || r.checkUnicastSrc
    || m.promoteSecondaries || r.nopreempt || m.trackSrcIp;
  if (flagged) {
    w('Flags:');
    if (r.unicast) w('  Using unicast');
    if (m.unicastFaultNoPeer) w('  If unicast go to fault state if no peers');
  } else w('Flags: none');
  w(`Wantstate = ${live.wantState}`);
  w('Number of config faults = 0');
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
  if (m.useVmac) {
    w(`Use VMAC, i/f name ${r.cfg.interface}, is_up = true, xmit_base = ${onOff(m.vmacXmitBase)}`);
    w(`Interface = ${r.cfg.interface}, vmac on ${iv.baseInterface}${m.vmacXmitBase ? ', xmit base i/f' : ''}`);
  } else w(`Interface = ${r.cfg.interface}`);
  if (m.dontTrackPrimary) w('VRRP interface tracking disabled');
  if (r.skipCheckAdvAddr) w('Skip checking advert IP addresses');
  if (m.strictMode ?? view.config.globalDefs.vrrpStrict) w('Enforcing strict VRRP compliance');
  const fromConfig = m.unicastSrcIp !== undefined || m.mcastSrcIp !== undefined;
  w(`Using src_ip = ${formatIp(iv.sourceAddress)}${fromConfig ? ' (from configuration)' : ''}`);
  if (!r.unicast) w(`Multicast address ${formatIp(r.mcastDst)}`);
  w(`Gratuitous ARP delay = ${secs(r.garpDelayMs)}`);
  w(`Gratuitous ARP repeat = ${r.garpRepeat}`);
  w(`Gratuitous ARP refresh = ${secs(r.garpRefreshMs)}`);
  w(`Gratuitous ARP refresh repeat = ${r.garpRefreshRepeat}`);
  w(`Gratuitous ARP lower priority delay = ${secs(r.garpLowerPrioDelayMs)}`);
  w(`Gratuitous ARP lower priority repeat = ${r.garpLowerPrioRepeat}`);
  w(`Down timer adverts = ${r.downTimerAdverts}`);
  w(`Send advert after receive lower priority advert = ${onOff(!r.lowerPrioNoAdvert)}`);
  w(`Send advert after receive higher priority advert = ${onOff(r.higherPrioSendAdvert)}`);
  w(`Virtual Router ID = ${r.vrid}`);
  w(`Priority = ${live.basePriority}`);
  w(`Effective priority = ${live.effectivePriority}`);
  w(`Total priority = ${live.basePriority + live.adjustment}`);
  w(`Advert interval = ${r.version === 2 ? `${secs(r.adverIntervalMs)} sec` : `${Math.floor(r.adverIntervalMs)} milli-sec`}`);
  if (live.state === 'BACKUP' && r.version === 3) w(`Master advert interval = ${Math.floor(live.masterAdverIntervalMs)} milli-sec`);
  w(`Accept = ${acceptMode(iv, view) ? 'enabled' : 'disabled'}`);
  w(`Preempt = ${r.nopreempt ? 'disabled' : 'enabled'}`);
  if (r.preemptDelayMs) w(`Preempt delay = ${r.preemptDelayMs / 1000} secs`);
  w(`Promote_secondaries = ${m.promoteSecondaries ? 'enabled' : 'disabled'}`);
  if (m.authentication?.authType === 'AH') w('Authentication type = IPSEC_AH');
  else if (r.authType === 1) {
    w('Authentication type = SIMPLE_PASSWORD');
    w(`Password = ${new TextDecoder().decode(r.authData).replace(/\0.*$/s, '')}`);
  } else if (r.version === 2) w('Authentication type = none');
  if (m.virtualIpaddress.length) {
    w(`Virtual IP (${m.virtualIpaddress.length}):`);
    for (const a of m.virtualIpaddress) w(`  ${formatVip(a, iv)}`);
  }
  if (m.virtualIpaddressExcluded.length) {
    w('Virtual IP Excluded :');
    for (const a of m.virtualIpaddressExcluded) w(`  ${formatVip(a, iv)}`);
  }
  if (r.unicast) {
    w(`Unicast TTL = ${r.unicastTtl}`);
    w(`Check unicast src : ${r.checkUnicastSrc ? 'yes' : 'no'}`);
    w('Unicast Peer :');
    for (const p of r.peers) w(`  ${formatIp(p.address)} min_ttl ${p.minTtl} max_ttl ${p.maxTtl}`);
    w(`Unicast checksum compatibility = ${r.unicastChecksum === 'new' ? 'never' : r.unicastChecksum === 'old' ? 'config' : 'auto'}`);
  }
  if (m.virtualRoutes.length) {
    w('Virtual Routes :');
    for (const x of m.virtualRoutes) w(`  ${x.words.join(' ')}`);
  }
  if (m.virtualRules.length) {
    w('Virtual Rules :');
    for (const x of m.virtualRules) w(`  ${x.words.join(' ')}`);
  }
  const tracked = (title: string, refs: readonly { name: string; weight?: number; reverse: boolean }[]): void => {
    if (!refs.length) return;
    w(title);
    for (const t of refs) w(`  ${t.name} weight ${t.weight ?? 0}${t.reverse ? ' reverse' : ''}`);
  };
  tracked('Tracked interfaces :', m.trackInterface);
  tracked('Tracked scripts :', m.trackScript);
  tracked('Tracked files :', m.trackFile);
  tracked('Tracked processes :', m.trackProcess);
  w(`Using smtp notification = ${m.smtpAlert ? 'yes' : 'no'}`);
  w(`Notify deleted = ${m.notifyDeleted !== undefined ? 'Deleted' : 'Fault'}`);
  const scripts: [string, { argv: readonly string[] } | undefined][] = [
    ['Backup', m.notifyBackup], ['Master', m.notifyMaster], ['Fault', m.notifyFault], ['Stop', m.notifyStop],
    ['Deleted', m.notifyDeleted], ['Generic', m.notify], ['Master rx lower pri', m.notifyMasterRxLowerPri],
  ];
  for (const [type, s] of scripts) if (s) w(`${type} state transition script = ${cmdStr(s.argv)}`);
  w(`Notify priority changes = ${onOff(r.notifyPriorityChanges)}`);
  return out;
}

/** The VRRP process's state dump. `hostname` is the router_id default. */
export function formatData(view: VrrpView, time: DumpTime, hostname = ''): string {
  const out = globalLines(view.config.globalDefs, view, hostname);
  if (view.instances.length) {
    out.push('------< VRRP Topology >------');
    for (const iv of view.instances) out.push(...instanceLines(iv, view, time));
  }
  return `${out.join('\n')}\n`;
}
