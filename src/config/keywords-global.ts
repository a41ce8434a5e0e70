/** global_defs (keepalived/core/global_parser.c): keywords, defaults. */
import { isMulticast, parseIp, parseSockaddr } from '../util/ip.js';
import { argInt, argScript, flag, int, lenientInt, mark, need, notHonoured, seconds, str, table, unsupported, argWord, wholeSeconds } from './kw.js';
import type { Keyword, Mutable, ParseCtx } from './parser.js';
import type { GlobalDefs, LvsSyncDaemon } from './model.js';
import { lineLoc, type Line } from './line.js';
import { setFieldLoc, type Loc } from './loc.js';
import { garpExtraIf } from './keywords-vrrp.js';

/** The knob disable_local_igmp turns off (keepalived vrrp_daemon.c). */
export const IGMP_LINK_LOCAL_REPORTS = '/proc/sys/net/ipv4/igmp_link_local_mcast_reports';

/** glibc's CPU_SETSIZE: the most CPUs an affinity set can name. */
const CPU_SETSIZE = 1024;


/**
 * global_defs being read: the model's GlobalDefs with every field writable. Its place is the
 * block's (the main file's when there is no block, set by the completion). A type, not an
 * interface, so it is also a Draft.
 */
export type GlobalDraft = Omit<Mutable<GlobalDefs>, 'loc'> & { loc?: Loc };
type FifoField = 'notifyFifo' | 'vrrpNotifyFifo' | 'lvsNotifyFifo';
type FifoScriptField = 'notifyFifoScript' | 'vrrpNotifyFifoScript' | 'lvsNotifyFifoScript';

export function globalDefaults(): GlobalDraft {
  return {
    notificationEmail: [],
    smtpConnectTimeoutMs: 30_000,
    enableScriptSecurity: false,
    vrrpSkipCheckAdvAddr: false,
    vrrpStrict: false,
    vrrpGarpMasterDelayMs: 5_000,
    vrrpGarpMasterRepeat: 5,
    vrrpGarpMasterRefreshMs: 0,
    vrrpGarpMasterRefreshRepeat: 1,
    vrrpGarpIntervalMs: 0,
    vrrpGnaIntervalMs: 0,
    vrrpMinGarp: false,
    vrrpHigherPrioSendAdvert: false,
    vrrpLowerPrioNoAdvert: false,
    vrrpVersion: 2,
    // RFC 5798's groups: literals that parse
    vrrpMcastGroup4: parseIp('224.0.0.18')!,
    vrrpMcastGroup6: parseIp('ff02::12')!,
    vrrpCheckUnicastSrc: false,
    vrrpStartupDelayMs: 0,
    vrrpDownTimerAdverts: 3,
    vrrpNotifyPriorityChanges: false,
    v3ChecksumAsV2: false,
    dynamicInterfaces: false,
    lvsFlush: false,
    reloadCheckConfig: false,
    childWaitTimeMs: 5_000,
    vrrpNfPriority: -1,
    vrrpNfIfindex: false,
    nfCounters: false,
    enableTraps: false,
    enableSnmpVrrp: false,
    enableSnmpRfcv2: false,
    enableSnmpRfcv3: false,
    enableSnmpChecker: false,
  };
}

/** A notify fifo, or its script (global_parser.c notify_fifo / notify_fifo_script): the first one given wins. */
const fifoTaken = (ctx: ParseCtx, line: Line, d: GlobalDraft, field: FifoField | FifoScriptField): boolean => {
  if (d[field] === undefined || line.words[1] === undefined) return false;
  // row: global.notify-fifo-twice
  ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', `${line.words[0]} already specified - ignoring ${line.words[1]}`, lineLoc(line, 1), { row: 'global.notify-fifo-twice' });
  return true;
};

const fifo = (field: FifoField): Keyword<GlobalDraft> => ({
  handler: (ctx, line, d) => {
    if (fifoTaken(ctx, line, d, field)) return;
    const path = need(ctx, line, 1);
    if (path === undefined) return;
    d[field] = { path, ...(line.words[2] ? { user: line.words[2] } : {}), ...(line.words[3] ? { group: line.words[3] } : {}), loc: lineLoc(line, 1) };
  },
});

const mcastGroup = (field: 'vrrpMcastGroup4' | 'vrrpMcastGroup6', family: 'inet' | 'inet6'): Keyword<GlobalDraft> => ({
  handler: (ctx, line, d) => {
    const w = need(ctx, line, 1);
    if (w === undefined) return;
    const a = parseSockaddr(w);
    if (!a || a.family !== family || !isMulticast(a)) {
      ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `${line.words[0]} address '${w}' is not a valid ${family === 'inet' ? 'IPv4' : 'IPv6'} multicast address`, lineLoc(line, 1));
      return;
    }
    d[field] = a;
  },
});

function lvsSyncDaemon(ctx: ParseCtx, line: Line, d: GlobalDraft): void {
  const was = d.lvsSyncDaemon;
  if (was) {
    // global_parser.c lvs_syncd_handler: the first one is kept (keepalived-ts kept the last)
    // row: global.lvs-sync-daemon-twice
    ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', `lvs_sync_daemon has already been specified as ${was.interface} ${was.instance ?? ''} - ignoring`, lineLoc(line, 0),
      { row: 'global.lvs-sync-daemon-twice' });
    return;
  }
  const ifname = need(ctx, line, 1);
  if (ifname === undefined) return;
  const sd: Mutable<LvsSyncDaemon> = { interface: ifname, loc: lineLoc(line, 0) };
  let i = 2;
  if (line.words[i] && !['id', 'maxlen', 'port', 'ttl', 'group', 'inst'].includes(line.words[i]!)) sd.instance = line.words[i++];
  for (; i < line.words.length; i++) {
    const k = line.words[i]!;
    if (k === 'inst') sd.instance = line.words[++i];
    else if (k === 'id') sd.syncId = argInt(ctx, line, ++i, 0, 255);
    else if (k === 'maxlen') sd.maxLen = argInt(ctx, line, ++i, 1, 65535 - 20 - 8);
    else if (k === 'port') sd.port = argInt(ctx, line, ++i, 1, 65535);
    else if (k === 'ttl') sd.ttl = argInt(ctx, line, ++i, 1, 255);
    else if (k === 'group') {
      const a = parseSockaddr(line.words[++i] ?? '');
      if (!a) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid lvs_sync_daemon group '${line.words[i]}'`, lineLoc(line, i));
      else sd.group = a;
    } else ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `unknown lvs_sync_daemon option '${k}'`, lineLoc(line, i));
  }
  d.lvsSyncDaemon = sd;
}

/** keepalived's LVS_MAX_TIMEOUT: 31 days. */
const LVS_MAX_TIMEOUT_S = 31 * 24 * 3600;

/**
 * `lvs_timeouts [tcp N] [tcpfin N] [udp N]` (global_parser.c lvs_timeouts): each value
 * 0..31 days, a bad one ignored with keepalived's words; 0 leaves the kernel's value.
 */
function lvsTimeouts(ctx: ParseCtx, line: Line, d: GlobalDraft): void {
  const w = line.words;
  if (w.length < 3) return void ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', 'lvs_timeouts requires at least one option', lineLoc(line, 0));
  const t: Mutable<NonNullable<GlobalDraft['lvsTimeouts']>> = { ...d.lvsTimeouts };
  for (let i = 1; i < w.length; i++) {
    const k = w[i]!;
    if (k !== 'tcp' && k !== 'tcpfin' && k !== 'udp') {
      ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `Unknown option ${k} specified for lvs_timeouts`, lineLoc(line, i));
      continue;
    }
    const v = w[i + 1];
    if (v === undefined) {
      ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', `No value specified for lvs_timeout ${k} - ignoring`, lineLoc(line, i));
      continue;
    }
    i++;
    if (!/^[0-9]+$/.test(v) || Number(v) > LVS_MAX_TIMEOUT_S) ctx.report(/^[0-9]+$/.test(v) ? 'CONFIG_RANGE' : 'CONFIG_VALUE', 'GENERAL_ERROR', `Invalid lvs_timeout ${k} (${v}) - ignoring`, lineLoc(line, i));
    else t[`${k}S` as const] = Number(v);
  }
  d.lvsTimeouts = t;
}

/** `lvs_flush_on_stop [VS]`: flush the whole IPVS table at stop, or (VS) remove each virtual server without its real servers one by one. */
function lvsFlushOnStop(ctx: ParseCtx, line: Line, d: GlobalDraft): void {
  const v = line.words[1];
  if (v === undefined) d.lvsFlushOnStop = 'full';
  else if (v === 'VS') d.lvsFlushOnStop = 'VS';
  else ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `Unknown lvs_flush_on_stop type ${v}`, lineLoc(line, 1));
}

const scriptUser: Keyword<GlobalDraft> = {
  handler: (ctx, line, d) => {
    const user = need(ctx, line, 1);
    if (user === undefined) return;
    d.scriptUser = { user, ...(line.words[2] ? { group: line.words[2] } : {}) };
    setFieldLoc(d, 'scriptUser', line);
  },
};

const fifoScript = (field: FifoScriptField): Keyword<GlobalDraft> => ({
  handler: (ctx, line, d) => {
    if (fifoTaken(ctx, line, d, field)) return;
    const s = argScript(ctx, line);
    if (s) d[field] = s;
  },
});

/**
 * `startup_script` / `shutdown_script` (global_parser.c startup_shutdown_script): run by the
 * main process before anything starts and after everything stopped, with a timeout of 10 s
 * unless `<kind>_script_timeout` (1..1000 s) says otherwise.
 */
const lifecycleScript = (kind: 'startup' | 'shutdown'): Keyword<GlobalDraft> => ({
  handler: (ctx, line, d) => {
    if (d[`${kind}Script` as const] !== undefined) return void ctx.report('CONFIG_CONFLICT', 'GENERAL_ERROR', `${kind} script already specified`, lineLoc(line, 0));
    const s = argScript(ctx, line);
    if (!s) return;
    d[`${kind}Script` as const] = s;
    d[`${kind}ScriptTimeoutS` as const] ??= 10;
  },
});

const lifecycleTimeout = (kind: 'startup' | 'shutdown'): Keyword<GlobalDraft> => ({
  handler: (ctx, line, d) => {
    const v = line.words[1];
    if (v === undefined) return void ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', `${kind}_script_timeout requires value`, lineLoc(line, 0));
    if (!/^[0-9]+$/.test(v) || Number(v) < 1 || Number(v) > 1000) return void ctx.report('CONFIG_RANGE', 'GENERAL_ERROR', `${kind}_script_timeout '${v}' must be in [1, 1000] - ignoring`, lineLoc(line, 1));
    d[`${kind}ScriptTimeoutS` as const] = Number(v);
  },
});

/**
 * `<p>_rt_priority`, `<p>_rlimit_rttime` (and the deprecated `_rlimit_rtime`) and
 * `<p>_cpu_affinity` for the vrrp and checker processes, read as keepalived's global_parser
 * reads them (out-of-range priorities are clamped with an error). keepalived-ts only:
 * `<p>_rt_priority 0` is normal scheduling (keepalived clamps it to 1), the way to opt out of
 * the VRRP process's default SCHED_RR (src/io/sched.ts).
 */
function schedKeywords(p: 'vrrp' | 'checker'): Record<string, Keyword<GlobalDraft>> {
  const rttime: Keyword<GlobalDraft> = {
    handler: (ctx, line, d) => {
      if (line.words[0]!.endsWith('_rtime')) {
        ctx.report('CONFIG_DEPRECATED', 'OK', `keyword '${line.words[0]}' is deprecated - please use '${p}_rlimit_rttime'`, lineLoc(line, 0));
      }
      const v = argInt(ctx, line, 1, 1, 0xffffffff);
      if (v !== undefined) d[`${p}RlimitRttimeUs` as const] = Math.max(v, 2);
    },
  };
  return {
    [`${p}_rt_priority`]: {
      handler: (ctx, line, d) => {
        const v = argInt(ctx, line, 1, -Infinity, Infinity, 10, true);
        if (v === undefined) return;
        // a word read at its numeric prefix (`true` is 0) is raised to 1 as keepalived does; only
        // a written 0 keeps normal scheduling
        const written0 = v === 0 && /^[-+]?0+$/.test(line.words[1]!);
        const clamped = v < 0 || (v === 0 && !written0) ? 1 : v > 99 ? 99 : v;
        if (v < 1 || v > 99) {
          // keepalived raises 0 to 1 too; keepalived-ts keeps 0 as normal scheduling (docs/semantics.md)
          ctx.report('CONFIG_RANGE', 'GENERAL_ERROR', `${p} process real-time priority ${v} ${v < 1 ? 'less than minimum 1 - setting to minimum' : 'greater than maximum 99 - setting to maximum'}${written0 ? ' (keepalived-ts: 0 keeps normal scheduling)' : ''}`, lineLoc(line, 1), { row: 'global.rt-priority-range' });
        }
        d[`${p}RtPriority` as const] = clamped;
      },
    },
    [`${p}_rlimit_rttime`]: rttime,
    [`${p}_rlimit_rtime`]: rttime,
    [`${p}_cpu_affinity`]: {
      handler: (ctx, line, d) => {
        if (line.words.length < 2) {
          ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `No ${p} cpu_id set specified`, lineLoc(line, 0));
          return;
        }
        // the machine's CPUs (keepalived: _SC_NPROCESSORS_ONLN, src/io/host-machine.ts); without
        // a machine, any id a CPU set can hold (CPU_SETSIZE)
        const max = (ctx.machine?.cpuCount() ?? CPU_SETSIZE) - 1;
        const cpus: number[] = [];
        for (let i = 1; i < line.words.length; i++) {
          const v = argInt(ctx, line, i, 0, max);
          // keepalived: the first bad id empties the set
          if (v === undefined) return;
          if (!cpus.includes(v)) cpus.push(v);
        }
        d[`${p}CpuAffinity` as const] = cpus;
      },
    },
  };
}

/** keepalived's table when none is named (vrrp_nftables.h) */
export const NF_DEFAULT_TABLE = 'keepalived';
/** nftables' longest name, its terminating NUL included (NFT_NAME_MAXLEN) */
const NFT_NAME_MAXLEN = 256;

const UNSUPPORTED_GLOBAL = [
  // DBus
  'enable_dbus', 'dbus_service_name',
  // process scheduling knobs of keepalived's child processes
  'process_names', 'process_name', 'vrrp_process_name', 'checker_process_name', 'lvs_process_name',
  // firewalling for no_accept / VMAC
  'vrrp_ipsets', 'nftables_ipvs', 'nftables_ipvs_priority', 'nftables_ipvs_start_fwmark',
  // buffers and netlink tuning
  'vrrp_netlink_cmd_rcv_bufs', 'vrrp_netlink_cmd_rcv_bufs_force', 'vrrp_netlink_monitor_rcv_bufs', 'vrrp_netlink_monitor_rcv_bufs_force',
  'lvs_netlink_cmd_rcv_bufs', 'lvs_netlink_cmd_rcv_bufs_force', 'lvs_netlink_monitor_rcv_bufs', 'lvs_netlink_monitor_rcv_bufs_force',
  'process_monitor_rcv_bufs', 'process_monitor_rcv_bufs_force', 'vrrp_rx_bufs_policy', 'vrrp_rx_bufs_multiplier',
  // misc
  'vmac_prefix', 'vmac_addr_prefix', 'log_unknown_vrids',
  'fifo_write_vrrp_states_on_reload', 'checker_log_all_failures',
  'rs_init_notifies', 'reload_time_file', 'reload_repeat', 'reload_file', 'config_save_dir', 'tmp_config_directory', 'data_use_instance', 'net_namespace_ipvs',
];

/**
 * The scheduling of keepalived's BFD child. keepalived-ts runs the BFD sessions in the VRRP
 * process (src/daemon/bfd-runner.ts says why), so there is no process for these to act on:
 * the vrrp_* keywords schedule the sessions.
 */
const UNSUPPORTED_BFD_PROCESS = ['bfd_process_name', 'bfd_priority', 'bfd_no_swap', 'bfd_rt_priority', 'bfd_cpu_affinity', 'bfd_rlimit_rtime', 'bfd_rlimit_rttime'];
const BFD_IN_VRRP = 'BFD sessions run in the VRRP process, scheduled by its vrrp_* keywords';

export const globalDefsTable = table<GlobalDraft>({
  router_id: str('routerId'),
  notification_email: {
    handler: (ctx, line, d) => {
      const block = ctx.readValueBlock(line);
      if (block.length === 0) ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', 'Warning - empty notification_email block', lineLoc(line, 0), { row: 'global.empty-notification-email' });
      d.notificationEmail = [...d.notificationEmail, ...block.map((l) => l.words.join(' '))];
    },
  },
  // keepalived 2.2.7 as Debian builds it (nftables, no iptables) takes vrrp_iptables as nftables
  vrrp_iptables: {
    handler: (ctx, line, d) => {
      ctx.report('CONFIG_DEPRECATED', 'GENERAL_ERROR', "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option", lineLoc(line, 0), { row: 'global.vrrp-iptables' });
      d.vrrpNfTable = NF_DEFAULT_TABLE;
      d.vrrpNfPriority = -1;
    },
  },
  nftables: {
    handler: (ctx, line, d) => {
      if (d.vrrpNfTable !== undefined) return void ctx.report('CONFIG_CONFLICT', 'GENERAL_ERROR', 'nftables already specified - ignoring', lineLoc(line, 0));
      const name = line.words[1] ?? NF_DEFAULT_TABLE;
      if (name.length >= NFT_NAME_MAXLEN) return void ctx.report('CONFIG_RANGE', 'GENERAL_ERROR', 'nftables table name too long - ignoring', lineLoc(line, 1));
      d.vrrpNfTable = name;
      // as keepalived: naming the table puts the priority back to its default
      d.vrrpNfPriority = -1;
    },
  },
  nftables_priority: {
    handler: (ctx, line, d) => {
      const v = need(ctx, line, 1);
      if (v === undefined) return;
      const n = /^[-+]?[0-9]+$/.test(v) ? Number(v) : NaN;
      if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) return void ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid nftables chain priority '${v}'`, lineLoc(line, 1));
      d.vrrpNfPriority = n;
    },
  },
  nftables_ifindex: mark('vrrpNfIfindex'),
  nftables_counters: mark('nfCounters'),
  disable_local_igmp: {
    handler: (ctx, line, d) => {
      if (ctx.machine?.writable && !ctx.machine.writable(IGMP_LINK_LOCAL_REPORTS)) {
        return void ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `kernel does not support ${IGMP_LINK_LOCAL_REPORTS}`, lineLoc(line, 0));
      }
      d.disableLocalIgmp = true;
    },
  },
  notification_email_from: str('notificationEmailFrom'),
  // global_parser.c smtpserver_handler: an address, or a name resolved as keepalived reads it
  smtp_server: {
    handler: (ctx, line, d) => {
      const host = need(ctx, line, 1);
      if (host === undefined) return;
      const port = line.words[2] !== undefined ? argInt(ctx, line, 2, 1, 65535) : 25;
      const literal = parseIp(host) !== undefined;
      const address = literal ? undefined : ctx.machine?.resolve?.(host);
      if (!literal && ctx.machine?.resolvable && !ctx.machine.resolvable(host)) {
        ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `Invalid smtp server ${host} ${line.words[2] ?? '25'}`, lineLoc(line, 1), { row: 'global.smtp-server-unresolved' });
        return;
      }
      d.smtpServer = { host, port: port ?? 25, ...(address !== undefined ? { address } : {}) };
    },
  },
  smtp_helo_name: str('smtpHeloName'),
  smtp_connect_timeout: wholeSeconds('smtpConnectTimeoutMs', 0, 4294, () => 'smtp_conect_timeout must be greater than 0, setting to 1'),
  smtp_alert: flag('smtpAlert'),
  // SNMP (keepalived global_parser.c): served by src/daemon/vrrp-snmp.ts and check-snmp.ts
  snmp_socket: {
    handler: (ctx, line, d) => {
      if (line.words.length > 2) {
        ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', 'Too many parameters specified for snmp_socket - ignoring', lineLoc(line, 2));
        return;
      }
      const v = need(ctx, line, 1);
      if (v === undefined) return;
      if (d.snmpSocket !== undefined) {
        ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', `SNMP socket already set to ${String(d.snmpSocket)} - ignoring`, lineLoc(line, 1));
        return;
      }
      d.snmpSocket = v;
      setFieldLoc(d, 'snmpSocket', line);
    },
  },
  enable_traps: mark('enableTraps'),
  enable_snmp_vrrp: mark('enableSnmpVrrp'),
  enable_snmp_keepalived: mark('enableSnmpVrrp'),
  enable_snmp_rfc: { handler: (_ctx, line, d) => { d.enableSnmpRfcv2 = true; d.enableSnmpRfcv3 = true; setFieldLoc(d, 'enableSnmpRfcv2', line); } },
  enable_snmp_rfcv2: mark('enableSnmpRfcv2'),
  enable_snmp_rfcv3: mark('enableSnmpRfcv3'),
  // the checker process's MIB: src/daemon/check-snmp.ts
  enable_snmp_checker: mark('enableSnmpChecker'),
  no_email_faults: flag('noEmailFaults'),
  no_checker_emails: flag('noCheckerEmails'),
  smtp_alert_vrrp: flag('smtpAlertVrrp'),
  smtp_alert_checker: flag('smtpAlertChecker'),
  enable_script_security: mark('enableScriptSecurity'),
  script_user: scriptUser,
  vrrp_skip_check_adv_addr: mark('vrrpSkipCheckAdvAddr'),
  vrrp_strict: mark('vrrpStrict'),
  vrrp_garp_master_delay: wholeSeconds('vrrpGarpMasterDelayMs', 0, 4294),
  vrrp_garp_master_repeat: lenientInt('vrrpGarpMasterRepeat', 1, 65535),
  vrrp_garp_master_refresh: wholeSeconds('vrrpGarpMasterRefreshMs', 0, 86400),
  vrrp_garp_master_refresh_repeat: lenientInt('vrrpGarpMasterRefreshRepeat', 1, 65535),
  vrrp_garp_lower_prio_delay: wholeSeconds('vrrpGarpLowerPrioDelayMs', 0, 4294),
  vrrp_garp_lower_prio_repeat: lenientInt('vrrpGarpLowerPrioRepeat', 0, 65535),
  // 1 µs up to UINT_MAX µs; keepalived only logs that a second or more is very large
  vrrp_garp_extra_if: garpExtraIf(true),
  vrrp_vmac_garp_intvl: garpExtraIf(true),
  vrrp_garp_interval: seconds('vrrpGarpIntervalMs', 0.000001, 4294.967295),
  vrrp_gna_interval: seconds('vrrpGnaIntervalMs', 0.000001, 4294.967295),
  vrrp_min_garp: flag('vrrpMinGarp'),
  vrrp_higher_prio_send_advert: flag('vrrpHigherPrioSendAdvert'),
  vrrp_lower_prio_no_advert: flag('vrrpLowerPrioNoAdvert'),
  vrrp_version: lenientInt<GlobalDraft, 2 | 3>('vrrpVersion', 2, 3),
  vrrp_mcast_group4: mcastGroup('vrrpMcastGroup4', 'inet'),
  vrrp_mcast_group6: mcastGroup('vrrpMcastGroup6', 'inet6'),
  vrrp_check_unicast_src: mark('vrrpCheckUnicastSrc'),
  vrrp_startup_delay: seconds('vrrpStartupDelayMs', 0, 3600),
  vrrp_down_timer_adverts: lenientInt('vrrpDownTimerAdverts', 1, 100),
  vrrp_notify_priority_changes: flag('vrrpNotifyPriorityChanges'),
  v3_checksum_as_v2: flag('v3ChecksumAsV2'),
  default_interface: str('defaultInterface'),
  // an instance whose interface is missing waits for it in FAULT (src/daemon/vrrp-daemon.ts rebindIfReady)
  // global_parser.c dynamic_interfaces_handler: `allow_if_changes` is its one option
  dynamic_interfaces: {
    handler: (ctx, line, d) => {
      d.dynamicInterfaces = true;
      const opt = line.words[1];
      if (opt === 'allow_if_changes') d.allowIfChanges = true;
      else if (opt !== undefined) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `Unknown dynamic_interfaces option '${opt}'`, lineLoc(line, 1), { row: 'global.dynamic-interfaces-option' });
    },
  },
  notify_fifo: fifo('notifyFifo'),
  notify_fifo_script: fifoScript('notifyFifoScript'),
  vrrp_notify_fifo: fifo('vrrpNotifyFifo'),
  vrrp_notify_fifo_script: fifoScript('vrrpNotifyFifoScript'),
  lvs_notify_fifo: fifo('lvsNotifyFifo'),
  lvs_notify_fifo_script: fifoScript('lvsNotifyFifoScript'),
  lvs_sync_daemon: { handler: lvsSyncDaemon },
  lvs_flush: mark('lvsFlush'),
  lvs_flush_on_stop: { handler: lvsFlushOnStop },
  lvs_flush_onstop: { handler: lvsFlushOnStop },
  lvs_timeouts: { handler: lvsTimeouts },
  // a timer that fires more than min_auto_priority_delay late raises the VRRP thread's SCHED_RR
  // priority by one, up to this (src/io/sched.ts bumpRtPriority, src/daemon/vrrp-daemon.ts)
  max_auto_priority: {
    handler: (ctx, line, d) => {
      if (line.words[1] === undefined) return void (d.maxAutoPriority = 99);
      // read_int with ignore_error: a bad word runs its numeric prefix outside -t
      const v = argInt(ctx, line, 1, -1, 99, 10, true);
      if (v === undefined) return void ctx.report('CONFIG_RANGE', 'GENERAL_ERROR', `max_auto_priority '${line.words[1]}' must be in [0, 99] (or -1 to disable) - ignoring`, lineLoc(line, 1));
      d.maxAutoPriority = v;
    },
  },
  min_auto_priority_delay: {
    handler: (ctx, line, d) => {
      const w = line.words[1];
      if (w === undefined) return void ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', 'min_auto_priority_delay requires delay time', lineLoc(line, 0));
      const v = argInt(ctx, line, 1, 1, 10_000_000, 10, true);
      if (v === undefined) return void ctx.report('CONFIG_RANGE', 'GENERAL_ERROR', `min_auto_priority_delay '${w}' must be in [1, 10000000] - ignoring`, lineLoc(line, 1));
      d.minAutoPriorityDelayUs = v;
    },
  },
  startup_script: lifecycleScript('startup'),
  startup_script_timeout: lifecycleTimeout('startup'),
  shutdown_script: lifecycleScript('shutdown'),
  shutdown_script_timeout: lifecycleTimeout('shutdown'),
  reload_check_config: { handler: (_c, _l, d) => (d.reloadCheckConfig = true) },
  umask: {
    handler: (ctx, line, d) => {
      const w = need(ctx, line, 1);
      if (w === undefined) return;
      const n = /^0[0-7]*$|^[1-9][0-9]*$|^0x[0-9a-f]+$/i.test(w) ? Number(w.startsWith('0') && !/^0x/i.test(w) ? parseInt(w, 8) : w) : NaN;
      if (Number.isNaN(n) || n > 0o777) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid umask '${w}'`, lineLoc(line, 1));
      else d.umask = n;
    },
  },
  random_seed: notHonoured(int('randomSeed', 0, 0xffffffff), 'keepalived-ts does not seed its random delays from it'),
  vrrp_priority: int('vrrpPriority', -20, 19),
  checker_priority: int('checkerPriority', -20, 19),
  ...schedKeywords('vrrp'),
  ...schedKeywords('checker'),
  state_dump_file: str('stateDumpFile'),
  stats_dump_file: str('statsDumpFile'),
  json_dump_file: str('jsonDumpFile'),
  json_version: int<GlobalDraft, 1 | 2>('jsonVersion', 1, 2),
  // keepalived-ts only: the metrics and status HTTP listener (off unless given)
  metrics_listen: {
    handler: (ctx, line, d) => {
      const addr = line.words[1] ?? '127.0.0.1';
      const a = parseIp(addr);
      if (!a) {
        ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `metrics_listen address '${addr}' is not an IP address`, lineLoc(line, 1));
        return;
      }
      const port = line.words[2] === undefined ? 9650 : argInt(ctx, line, 2, 1, 65535);
      if (port !== undefined) d.metricsListen = { address: a, port };
    },
  },
  control_socket: str('controlSocket'),
  handover_on_stop: mark('handoverOnStop'),
  // active-active directors (src/daemon/announcer.ts): the kernel table routing daemons import
  // (0 and 253-255 are the kernel's unspec, default, main and local tables)
  announce_table: int('announceTable', 1, 252),
  announce_vip: {
    handler: (ctx, line, d) => {
      const a = parseIp(line.words[1] ?? '');
      if (!a) {
        ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `announce_vip address '${line.words[1] ?? ''}' is not an IP address`, lineLoc(line, 1));
        return;
      }
      let instance: string | undefined;
      if (line.words.length > 2) {
        if (line.words[2] !== 'instance' || line.words[3] === undefined || line.words.length > 4) {
          ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `announce_vip ${line.words[1]}: expected 'instance NAME' after the address`, lineLoc(line, 2));
          return;
        }
        instance = line.words[3];
      }
      d.announceVips = [...(d.announceVips ?? []), { address: a, ...(instance !== undefined ? { instance } : {}), loc: lineLoc(line, 0) }];
    },
  },
  announce_withdraw_delay: seconds('announceWithdrawDelayMs', 0, 3600),
  // the routing daemon watched (its name in /proc/PID/comm), to log its stops and returns;
  // `none` watches nothing
  announce_daemon: {
    handler: (ctx, line, d) => {
      const names = line.words.slice(1);
      if (names.length === 0) {
        ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', 'announce_daemon needs the routing daemon\'s process name (bgpd, bird, gobgpd) or none', lineLoc(line, 0));
        return;
      }
      const long = names.findIndex((n) => n.length > 15);
      if (long >= 0) {
        ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `announce_daemon '${names[long]}': a process name (/proc/PID/comm) has at most 15 characters`, lineLoc(line, long + 1));
        return;
      }
      d.announceDaemons = names.length === 1 && names[0] === 'none' ? [] : names;
    },
  },
  include_check: {
    handler: (ctx, line) => {
      let bits = line.words.length === 1 ? 15 : 0;
      for (let i = 1; i < line.words.length; i++) {
        const w = line.words[i]!.replace(/^[+-]/, '');
        const v = argWord(ctx, line, i, ['read', 'match', 'wildcard_match', 'brace_match']);
        const bit = w === 'read' ? 1 : w === 'match' ? 2 : w === 'wildcard_match' ? 4 : w === 'brace_match' ? 8 : 0;
        if (v !== undefined || bit) bits = line.words[i]!.startsWith('-') ? bits & ~bit : bits | bit;
      }
      ctx.reader.includeCheck = bits;
    },
  },
  ...Object.fromEntries(UNSUPPORTED_GLOBAL.map((k) => [k, unsupported()])),
  ...Object.fromEntries(UNSUPPORTED_BFD_PROCESS.map((k) => [k, unsupported(BFD_IN_VRRP)])),
  // V8 aborts when it returns locked pages to the system (src/io/sched.ts)
  vrrp_no_swap: unsupported('V8 cannot run with its memory locked'),
  checker_no_swap: unsupported('V8 cannot run with its memory locked'),
});
