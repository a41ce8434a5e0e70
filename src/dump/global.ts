/**
 * "Global definitions" of keepalived.data and keepalived_check.data, as keepalived 2.2.7
 * dump_global_data writes them (core/global_data.c): the same lines, order and words, for the
 * VRRP process or the checker process. Values are what keepalived-ts runs with (SNMP's from
 * the keywords and -x / -A). Settings keepalived-ts has no equivalent for (DBus, IPVS nftables,
 * the BFD process, netlink buffer sizes, ...) are accepted only as "not supported" keywords, so
 * their lines show keepalived's default: disabled, 0, unset. `libnftnl version` is left out (keepalived-ts links no libnftnl).
 *
 * What keepalived's checker process shows differently from its VRRP process: no startup or
 * shutdown script (only keepalived's parent keeps them; neither child shows them), no default
 * interface, the lower-priority gratuitous ARP settings as configured (the VRRP process fills
 * them in from the master ones; unset is 4294967295), an LVS sync daemon's instance by name,
 * and the checker's own real-time limit as the current one.
 */
import { fieldWritten } from '../config/loc.js';
import type { GlobalDefs, KeepalivedConfig, LvsSyncDaemon, NotifyFifo, Script } from '../config/model.js';
import { CHECKER_DEFAULT_NICE, DEFAULT_RLIMIT_RTTIME_US, DEFAULT_RT_PRIORITY, MIN_RLIMIT_RTTIME_US } from '../io/sched.js';
import { defaultEmailFrom } from '../io/smtp-alert.js';
import { formatIp, parseIp } from '../util/ip.js';
import { scriptWithUser } from './common.js';
import type { HostView } from '../daemon/view.js';
import { dumpSnmpCli } from './snmp-cli.js';

const onOff = (b: boolean): string => (b ? 'true' : 'false');
const secs = (ms: number): number => Math.floor(ms / 1000);
const tristate = (v: boolean | undefined): string => (v === undefined ? 'unset' : v ? 'on' : 'off');
/** keepalived's RT_RLIMIT_DEFAULT (µs): the BFD process's limit, a process keepalived-ts does not have */
const KEEPALIVED_RLIMIT_RTTIME_US = 10_000;
/** keepalived's PARAMETER_UNSET, printed with %u */
const PARAMETER_UNSET = 4294967295;

/** The keepalived process whose dump this is. */
export type DumpProcess = 'vrrp' | 'checker';

/** What the global section reads: the configuration, the host's script users, the scheduling in force. */
export interface GlobalSource {
  readonly config: KeepalivedConfig;
  /** the VRRP process's view has the links too (the default interface) */
  readonly host?: Pick<HostView, 'resolveScript' | 'defaultScriptUser'> & Partial<Pick<HostView, 'links'>>;
  /** this process's SCHED_RR priority (0: normal scheduling) */
  readonly sched?: { readonly rtPriority: number };
}

type ScriptHost = GlobalSource['host'];

/**
 * inet_aton's forms of an IPv4 address (a, a.b, a.b.c with the last part filling the rest;
 * each part decimal, 0-octal or 0x-hex), which keepalived's resolver takes for smtp_server:
 * `0.01` is 0.0.0.1.
 */
export function inetAton(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    const n = /^0x[0-9a-f]+$/i.test(p) ? parseInt(p.slice(2), 16) : /^0[0-7]*$/.test(p) ? parseInt(p, 8) : /^[1-9][0-9]*$/.test(p) ? Number(p) : NaN;
    if (!Number.isFinite(n)) return undefined;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 2 ** (8 * (4 - nums.length))) return undefined;
  const bytes = new Uint8Array(4);
  nums.forEach((n, i) => { bytes[i] = n; });
  for (let i = 3, v = last; i >= nums.length; i--, v = Math.floor(v / 256)) bytes[i] = v % 256;
  return bytes;
}

function smtpLines(g: GlobalDefs, hostname: string): string[] {
  const out: string[] = [];
  if (g.smtpServer) {
    const bytes = parseIp(g.smtpServer.host)?.bytes ?? inetAton(g.smtpServer.host);
    // a name: the address keepalived resolved it to when it read it
    out.push(` Smtp server = ${bytes ? formatIp(bytes) : g.smtpServer.address ?? g.smtpServer.host}`, ` Smtp server port = ${g.smtpServer.port}`);
  }
  // keepalived fills in the HELO name, the timeout and the sender only when there is a server
  const helo = g.smtpHeloName ?? (g.smtpServer ? hostname : undefined);
  if (helo !== undefined) out.push(` Smtp HELO name = ${helo}`);
  // (a timeout written in the configuration is shown without a server too)
  if (g.smtpServer || fieldWritten(g, 'smtpConnectTimeoutMs')) out.push(` Smtp server connection timeout = ${secs(g.smtpConnectTimeoutMs)}`);
  // keepalived's default sender comes with the server, whether or not anyone is to be mailed
  const from = g.notificationEmailFrom ?? (g.smtpServer ? defaultEmailFrom(hostname) : undefined);
  if (from !== undefined) {
    out.push(` Email notification from = ${from}`, ' Email notification to:');
    for (const to of g.notificationEmail) out.push(`   ${to}`);
  }
  return out;
}

function lvsSyncLines(d: LvsSyncDaemon | undefined, cfg: KeepalivedConfig, proc: DumpProcess): string[] {
  if (!d) return [];
  const out: string[] = [];
  if (d.instance !== undefined) {
    // only the VRRP process resolves the instance
    const found = proc === 'vrrp' && cfg.vrrpInstances.some((vi) => vi.name === d.instance);
    out.push(found ? ` LVS syncd vrrp instance = ${d.instance}` : ` LVS syncd vrrp name = ${d.instance}`);
  }
  out.push(` LVS syncd interface = ${d.interface}`, ` LVS syncd syncid = ${d.syncId ?? 0}`);
  if (d.maxLen) out.push(` LVS syncd maxlen = ${d.maxLen}`);
  if (d.group) out.push(` LVS mcast group ${formatIp(d.group.bytes)}`);
  if (d.port) out.push(` LVS syncd mcast port = ${d.port}`);
  if (d.ttl) out.push(` LVS syncd mcast ttl = ${d.ttl}`);
  return out;
}

function fifoLines(title: string, fifo: NotifyFifo | undefined, script: Script | undefined, host: ScriptHost): string[] {
  if (!fifo) return [];
  // the FIFO's owner is resolved as a script's user is (keepalived: the default script user)
  const owner = host?.resolveScript({ argv: [fifo.path], ...(fifo.user !== undefined ? { user: fifo.user } : {}), ...(fifo.group !== undefined ? { group: fifo.group } : {}) });
  const out = [` ${title} = ${fifo.path}, uid:gid ${owner?.uid ?? 0}:${owner?.gid ?? 0}`];
  // the script runs with the FIFO's path as its last argument
  if (script) out.push(` ${title} script = ${scriptWithUser({ ...script, argv: [...script.argv, fifo.path] }, host)}`);
  return out;
}

/** One process's scheduling lines: nice, swap, SCHED_RR priority, CPUs, RLIMIT_RTTIME (µs). */
function processLines(name: string, nice: number, rtPriority: number, cpus: readonly number[] | undefined, rttimeUs: number): string[] {
  return [
    ` ${name} process priority = ${nice}`,
    ` ${name} don't swap = false`,
    ` ${name} realtime priority = ${rtPriority}`,
    // keepalived lists the CPUs in order, each followed by a space
    ...(cpus?.length ? [` ${name} CPU Affinity = ${[...new Set(cpus)].sort((a, b) => a - b).map((c) => `${c} `).join('')}`] : []),
    ` ${name} realtime limit = ${rttimeUs}`,
  ];
}

/** keepalived's SNMP lines: each enable_snmp_* (all with -x), traps, the socket (-A over snmp_socket). */
function snmpLines(g: GlobalDefs): string[] {
  // -x and -A of this process (keepalived sets its globals from them when it allocates them)
  const snmpCli = dumpSnmpCli();
  const x = snmpCli.snmp === true;
  const on = (b: boolean): string => (b || x ? 'enabled' : 'disabled');
  const socket = snmpCli.snmpSocket ?? g.snmpSocket;
  return [
    ` SNMP vrrp ${on(g.enableSnmpVrrp)}`, ` SNMP checker ${on(g.enableSnmpChecker)}`, ` SNMP RFCv2 ${on(g.enableSnmpRfcv2)}`,
    ` SNMP RFCv3 ${on(g.enableSnmpRfcv3)}`, ` SNMP traps ${g.enableTraps ? 'enabled' : 'disabled'}`,
    ` SNMP socket = ${socket ?? 'default (unix:/var/agentx/master)'}`,
  ];
}

/** The RLIMIT_RTTIME keepalived-ts sets: the configured one (default 2 s), never below 0.5 s. */
const rttimeOf = (us: number | undefined): number => Math.max(us ?? DEFAULT_RLIMIT_RTTIME_US, MIN_RLIMIT_RTTIME_US);

export function globalLines(view: GlobalSource, hostname: string, proc: DumpProcess = 'vrrp'): string[] {
  const cfg = view.config;
  const g = cfg.globalDefs;
  const host = view.host;
  const out = [
    '------< Global definitions >------',
    ` Network namespace = ${cfg.netNamespace ?? '(default)'}`,
    ' Network namespace ipvs = (main namespace)',
  ];
  if (cfg.instance !== undefined) out.push(` Instance name = ${cfg.instance}`);
  out.push(` Router ID = ${g.routerId ?? hostname}`, ...smtpLines(g, hostname));
  out.push(
    ` Default smtp_alert = ${tristate(g.smtpAlert)}`,
    ` Default smtp_alert_vrrp = ${tristate(g.smtpAlertVrrp)}`,
    ` Default smtp_alert_checker = ${tristate(g.smtpAlertChecker)}`,
    ' Checkers log all failures = false',
    g.reloadCheckConfig ? ' Test config before reload, log to /dev/null' : ' No test config before reload',
  );
  if (proc === 'vrrp') {
    if (g.startupScript) out.push(` Startup script = ${scriptWithUser(g.startupScript, host)}, timeout ${g.startupScriptTimeoutS ?? 10}`);
    if (g.shutdownScript) out.push(` Shutdown script = ${scriptWithUser(g.shutdownScript, host)} timeout ${g.shutdownScriptTimeoutS ?? 10}`);
  }
  out.push(` Dynamic interfaces = ${onOff(g.dynamicInterfaces)}`);
  if (g.dynamicInterfaces) out.push(` Allow interface changes = ${g.allowIfChanges ? 'true' : 'false'}`);
  if (g.noEmailFaults) out.push(' Send emails for fault transitions = off');
  const t = g.lvsTimeouts;
  if (t?.tcpS) out.push(` LVS TCP timeout = ${t.tcpS}`);
  if (t?.tcpfinS) out.push(` LVS TCP FIN timeout = ${t.tcpfinS}`);
  // keepalived 2.2.7 prints the UDP timeout with the TCP one's words
  if (t?.udpS) out.push(` LVS TCP timeout = ${t.udpS}`);
  if (proc === 'vrrp') {
    // keepalived names the default interface only once a static address without `dev` looked it
    // up (vrrp_ipaddress.c get_default_if), and only if it exists; eth0 otherwise
    const links = host?.links?.();
    const looked = cfg.staticIpaddress.some((a) => a.onDefaultInterface === true);
    const dflt = looked && g.defaultInterface !== undefined && links?.some((l) => l.link.name === g.defaultInterface) ? g.defaultInterface : 'eth0';
    out.push(` Default interface = ${links ? dflt : g.defaultInterface ?? 'eth0'}`);
  }
  out.push(` Disable local IGMP = ${g.disableLocalIgmp ? 'yes' : 'no'}`);
  out.push(...lvsSyncLines(g.lvsSyncDaemon, cfg, proc));
  out.push(` LVS flush = ${onOff(g.lvsFlush)}`, ` LVS flush on stop = ${g.lvsFlushOnStop ?? 'disabled'}`);
  out.push(
    ...fifoLines('Global notify fifo', g.notifyFifo, g.notifyFifoScript, host),
    ...fifoLines('VRRP notify fifo', g.vrrpNotifyFifo, g.vrrpNotifyFifoScript, host),
    ...fifoLines('LVS notify fifo', g.lvsNotifyFifo, g.lvsNotifyFifoScript, host),
  );
  out.push(
    ' FIFO write vrrp states on reload = false',
    ` VRRP notify priority changes = ${onOff(g.vrrpNotifyPriorityChanges)}`,
    ` VRRP IPv4 mcast group = ${formatIp(g.vrrpMcastGroup4.bytes)}`,
    ` VRRP IPv6 mcast group = ${formatIp(g.vrrpMcastGroup6.bytes)}`,
    ` Gratuitous ARP delay = ${secs(g.vrrpGarpMasterDelayMs)}`,
    ` Gratuitous ARP repeat = ${g.vrrpGarpMasterRepeat}`,
    ` Gratuitous ARP refresh timer = ${secs(g.vrrpGarpMasterRefreshMs)}`,
    ` Gratuitous ARP refresh repeat = ${g.vrrpGarpMasterRefreshRepeat}`,
    ...lowerPrioLines(g, proc),
    ` Num adverts before down = ${g.vrrpDownTimerAdverts}`,
    ` Gratuitous ARP for each secondary ${g.vrrpGarpExtraIf?.all ? 'i/f' : 'VMAC'} = ${(g.vrrpGarpExtraIf?.intervalMs ?? 0) / 1000}s`,
    ` Send advert after receive lower priority advert = ${onOff(!g.vrrpLowerPrioNoAdvert)}`,
    ` Send advert after receive higher priority advert = ${onOff(g.vrrpHigherPrioSendAdvert)}`,
    ` Gratuitous ARP interval = ${(g.vrrpGarpIntervalMs / 1000).toFixed(6)}`,
    ` Gratuitous NA interval = ${(g.vrrpGnaIntervalMs / 1000).toFixed(6)}`,
    ` VRRP default protocol version = ${g.vrrpVersion}`,
    ...(g.vrrpNfTable !== undefined ? [
      ` nftables table name = ${g.vrrpNfTable}`,
      ` nftables base chain priority = ${g.vrrpNfPriority}`,
      ` nftables ${g.vrrpNfIfindex ? '' : "don't "}force use ifindex for link local IPv6`,
    ] : []),
    ` nftables with${g.nfCounters ? '' : 'out'} counters`,
    ` VRRP check unicast_src = ${onOff(g.vrrpCheckUnicastSrc)}`,
    ` VRRP skip check advert addresses = ${onOff(g.vrrpSkipCheckAdvAddr)}`,
    ` VRRP strict mode = ${onOff(g.vrrpStrict)}`,
    ` Max auto priority = ${g.maxAutoPriority === -1 ? 'Disabled' : g.maxAutoPriority ?? 0}`,
    ` Min auto priority delay = ${g.minAutoPriorityDelayUs ?? 1_000_000} usecs`,
  );
  out.push(
    ...processLines('VRRP', g.vrrpPriority ?? 0, g.vrrpRtPriority ?? DEFAULT_RT_PRIORITY.vrrp, g.vrrpCpuAffinity, rttimeOf(g.vrrpRlimitRttimeUs)),
    ...processLines('Checker', g.checkerPriority ?? CHECKER_DEFAULT_NICE, g.checkerRtPriority ?? DEFAULT_RT_PRIORITY.checker, g.checkerCpuAffinity, rttimeOf(g.checkerRlimitRttimeUs)),
    ...processLines('BFD', 0, 0, undefined, KEEPALIVED_RLIMIT_RTTIME_US),
  );
  out.push(
    ...snmpLines(g), ' DBus disabled', ' DBus service name = ',
    ` Script security ${g.enableScriptSecurity ? 'enabled' : 'disabled'}`,
  );
  const user = host?.defaultScriptUser();
  if (user) out.push(` Default script uid:gid ${user.uid}:${user.gid}`);
  for (const p of ['vrrp_netlink_cmd', 'vrrp_netlink_monitor', 'process_monitor', 'lvs_netlink_cmd', 'lvs_netlink_monitor']) {
    out.push(` ${p}_rcv_bufs = 0`, ` ${p}_rcv_bufs_force = 0`);
  }
  out.push(
    ' rs_init_notifies = 0',
    ` no_checker_emails = ${g.noCheckerEmails ? 1 : 0}`,
    ' rx_bufs_multiples = 3',
    ` umask = 0${(g.umask ?? 0o177).toString(8)}`,
  );
  if (g.vrrpStartupDelayMs) out.push(` vrrp_startup_delay = ${g.vrrpStartupDelayMs / 1000}`);
  const sched = view.sched;
  if (sched?.rtPriority) {
    out.push(` current realtime priority = ${sched.rtPriority}`);
    out.push(` current realtime time limit = ${rttimeOf(proc === 'vrrp' ? g.vrrpRlimitRttimeUs : g.checkerRlimitRttimeUs)}`);
  }
  return out;
}

/**
 * The VRRP process fills the lower-priority GARP settings in from the master ones (as the
 * compiled configuration has them); the checker process shows only what was written.
 */
function lowerPrioLines(g: GlobalDefs, proc: DumpProcess): string[] {
  const asWritten = (field: 'vrrpGarpLowerPrioDelayMs' | 'vrrpGarpLowerPrioRepeat'): number | undefined =>
    (proc === 'vrrp' || fieldWritten(g, field) ? g[field] : undefined);
  const delayMs = asWritten('vrrpGarpLowerPrioDelayMs') ?? (proc === 'vrrp' ? g.vrrpGarpMasterDelayMs : undefined);
  const repeat = asWritten('vrrpGarpLowerPrioRepeat') ?? (proc === 'vrrp' ? g.vrrpGarpMasterRepeat : undefined);
  return [
    ` Gratuitous ARP lower priority delay = ${delayMs === undefined ? PARAMETER_UNSET : secs(delayMs)}`,
    ` Gratuitous ARP lower priority repeat = ${repeat ?? PARAMETER_UNSET}`,
  ];
}
