/** vrrp_instance, vrrp_sync_group, vrrp_script, track_file, vrrp_track_process (keepalived/vrrp/vrrp_parser.c). */
import { type IpAddress, parseSockaddr } from '../util/ip.js';
import { argInt, argScript, argSeconds, argWord, type FieldOf, flag, int, keepalivedDecimal, lenientInt, mark, need, script, seconds, str, table, unsupported, values, wholeSeconds } from './kw.js';
import { parseAddressEntry, parseUnicastPeer, trackRef } from './entries.js';
import { parseRouteEntry } from './route-entry.js';
import { parseRuleEntry } from './rule-entry.js';
import { trackGroupsSoFar, type TrackGroupDraft } from './track-group.js';
import type { Draftable, Keyword, Mutable, ParseCtx } from './parser.js';
import { setFieldLoc, type Loc } from './loc.js';
import { lineLoc, type Line } from './line.js';
import { parseVmacMac } from '../util/mac.js';
import type { GlobalDraft } from './keywords-global.js';
import type { GarpExtraIf, KeepalivedConfig, Script, TrackFile, TrackRef, TrackProcess, VrrpInstance, VrrpScript, VrrpSyncGroup } from './model.js';

// ------------------------------------------------------------------ drafts

/** The fields of a vrrp_instance that the completion fills (complete-vrrp.ts; `version` too): unset while it is read. */
export const COMPLETED_FIELDS = [
  'state', 'priority', 'advertIntMs', 'family', 'notifyPriorityChanges', 'smtpAlert', 'garpMasterDelayMs', 'garpMasterRepeat', 'garpMasterRefreshMs',
  'garpMasterRefreshRepeat', 'garpLowerPrioDelayMs', 'garpLowerPrioRepeat', 'downTimerAdverts', 'lowerPrioNoAdvert', 'higherPrioSendAdvert', 'accept',
  'strictMode', 'skipCheckAdvAddr', 'v3ChecksumAsV2',
] as const;
export type Completed = (typeof COMPLETED_FIELDS)[number];
type Instance = Draftable<VrrpInstance>;
type Authentication = NonNullable<VrrpInstance['authentication']>;

/** An authentication block being read: without auth_type it is no authentication (the completion drops it). */
export type AuthDraft = Omit<Mutable<Authentication>, 'authType'> & { authType?: Authentication['authType'] };

/**
 * A vrrp_instance being read: the model's instance, writable, with what the completion fills
 * not set yet, and what only the reading and the completion need. Types, not interfaces, so
 * the drafts are also Drafts (parser.ts).
 */
export type VrrpDraft = Omit<Instance, Completed | 'version' | 'authentication'> & Partial<Pick<Instance, Completed>> & {
  /** any version the reader took (2 or 3); the completion sets it when unset */
  version?: number;
  authentication?: AuthDraft;
  /** the first address-bearing keyword: it fixes the family (the completion makes it `family`) */
  familyFrom?: { family: IpAddress['family']; loc: Loc };
  /** a unicast keyword was written, even one refused (the completion makes it `unicastKeyword`) */
  unicastConfigured?: boolean;
  /** the deprecated lvs_sync_daemon_interface (complete.ts moves it to global_defs) */
  lvsSyncDaemonInterface?: { interface: string; loc: Loc };
};
export type SyncGroupDraft = Draftable<VrrpSyncGroup>;
export type VrrpScriptDraft = Draftable<VrrpScript>;
export type TrackFileDraft = Draftable<TrackFile>;
export type TrackProcessDraft = Draftable<TrackProcess>;

/**
 * What the VRRP keywords read and fill of the root draft (load.ts emptyRoot makes the lists that
 * are not optional): the static entries, the named blocks, the interfaces to check.
 */
export type VrrpRootDraft = Draftable<Pick<KeepalivedConfig, 'staticIpaddress' | 'staticRoutes' | 'staticRules' | 'interfaceChecks' | 'linkbeatInterfaces' | 'interfaceDelays'>> & {
  staticTrackGroups: TrackGroupDraft[];
  vrrpScripts: VrrpScriptDraft[];
  trackFiles: TrackFileDraft[];
  trackProcesses: TrackProcessDraft[];
  vrrpInstances: VrrpDraft[];
  vrrpSyncGroups: SyncGroupDraft[];
};
type InterfaceCheck = NonNullable<VrrpRootDraft['interfaceChecks']>[number];
/** The blocks whose objects have a weight and its direction (vrrp_script, track_file, vrrp_track_process). */
type Weighted = VrrpScriptDraft | TrackFileDraft | TrackProcessDraft;

// ------------------------------------------------------------------ vrrp_instance

/** Note the first address-bearing keyword: it fixes the instance's family (§c.5). */
function noteFamily(ctx: ParseCtx, d: VrrpDraft, addr: IpAddress, line: Line, word: number): boolean {
  const fam = d.familyFrom;
  if (!fam) {
    d.familyFrom = { family: addr.family, loc: lineLoc(line, word) };
    return true;
  }
  if (fam.family !== addr.family) {
    ctx.report('CONFIG_CONFLICT', 'GENERAL_ERROR', `address family of '${line.words[word]}' does not match the instance's ${fam.family === 'inet' ? 'IPv4' : 'IPv6'} addresses - ignoring`, lineLoc(line, word));
    return false;
  }
  return true;
}

const familyIp = (field: FieldOf<VrrpDraft, IpAddress>): Keyword<VrrpDraft> => ({
  handler: (ctx, line, d) => {
    const w = need(ctx, line, 1);
    if (w === undefined) return;
    // row: parser.address-mask-dropped
    const a = parseSockaddr(w);
    if (!a) {
      ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid ${line.words[0]} address '${w}'`, lineLoc(line, 1));
      return;
    }
    if (noteFamily(ctx, d, a, line, 1)) {
      d[field] = a;
      setFieldLoc(d, field, line);
    }
  },
});

/** The track_* lists of an instance or a sync group. */
type TrackField = 'trackInterface' | 'trackScript' | 'trackFile' | 'trackProcess' | 'trackBfd';
/** keepalived's name of a track block, for its messages */
const TRACK_KIND: Record<TrackField, string> = { trackInterface: 'track_interface', trackScript: 'track_script', trackFile: 'track_file', trackProcess: 'track_process', trackBfd: 'track bfd' };
/** The root list a track entry names an object of (the others name interfaces or BFD instances). */
const TRACKED_LIST: Partial<Record<TrackField, [list: keyof VrrpRootDraft, what: string]>> = {
  trackScript: ['vrrpScripts', 'track script'], trackFile: ['trackFiles', 'track file'], trackProcess: ['trackProcesses', 'track process'],
};

/**
 * A track_* block. An entry naming a script, file or process not defined above it is dropped
 * with keepalived's words: keepalived looks the object up as it reads the entry, so one defined
 * further down the file is not tracked (and, a script tracked by nothing else, is then unused).
 */
const trackBlock = (field: TrackField, min: number, max: number): Keyword<VrrpDraft | SyncGroupDraft> => {
  const entry = trackRef(min, max, TRACK_KIND[field]);
  const lookup = TRACKED_LIST[field];
  return values<TrackRef, VrrpDraft | SyncGroupDraft>(field, (ctx, line, d) => {
    if (lookup && line.words[0] !== undefined && !ctx.defined(lookup[0], line.words[0])) {
      // row: vrrp.track-object-not-found
      ctx.report('CONFIG_REFERENCE', 'GENERAL_ERROR', `(${d.name}) ${lookup[1]} ${line.words[0]} not found, ignoring...`, lineLoc(line, 0), { row: 'vrrp.track-object-not-found' });
      return undefined;
    }
    return entry(ctx, line);
  });
};

/**
 * A notify script of an instance or sync group (vrrp_parser.c vrrp_notify_*_handler,
 * vrrp_gnotify_*_handler): a second one of the same kind is refused, the first kept.
 */
const notifyScript = <D extends VrrpDraft | SyncGroupDraft>(field: NoInfer<FieldOf<D, Script>>, group: boolean): Keyword<D> => ({
  handler: (ctx, line, d) => {
    const kw = line.words[0]!;
    if (d[field] !== undefined) {
      // keepalived's message reads the script's word without checking it is there: with none
      // (an unterminated quote, which it drops) the reading stops there
      if (line.words.length < 2) return void ctx.missingValue(line);
      const who = group ? `vrrp group ${d.name}:` : `(${d.name})`;
      ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', `${who} ${kw} script already specified - ignoring ${line.words[1] ?? ''}`, lineLoc(line, 1), { row: 'vrrp.notify-twice' });
      return;
    }
    script<D>(field).handler!(ctx, line, d);
  },
});

/** The notify scripts an instance and a sync group both have. */
const notifyKeywords = (group: boolean): Record<string, Keyword<VrrpDraft | SyncGroupDraft>> => ({
  notify_master: notifyScript('notifyMaster', group),
  notify_backup: notifyScript('notifyBackup', group),
  notify_fault: notifyScript('notifyFault', group),
  notify_stop: notifyScript('notifyStop', group),
  notify: notifyScript('notify', group),
});

/**
 * `notify_deleted [SCRIPT]` (vrrp_parser.c vrrp_notify_deleted_handler): a removed instance is
 * notified DELETED rather than FAULT, with SCRIPT if one is given; a second is refused.
 */
const notifyDeleted: Keyword<VrrpDraft> = {
  handler: (ctx, line, d) => {
    if (d.notifyDeleted !== undefined) {
      ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', `(${d.name}) notify_deleted already specified - ignoring ${line.words[1] ?? ''}`, lineLoc(line, 1), { row: 'vrrp.notify-twice' });
      return;
    }
    if (line.words.length === 1) d.notifyDeleted = true;
    else script<VrrpDraft>('notifyDeleted').handler!(ctx, line, d);
  },
};

/**
 * An instance's repeat counts as vrrp_parser.c reads them (read_unsigned with ignore_error):
 * `invalid` is keepalived's message for a refused word; with `raise0`, 0 runs 1 (kept from
 * before keepalived 2.0.7) with keepalived's complaint.
 */
const instanceCount = (field: FieldOf<VrrpDraft, number>, max: number, invalid: (inst: string, w: string) => string, raise0?: string): Keyword<VrrpDraft> => ({
  handler: (ctx, line, d) => {
    const inst = d.name;
    let v = argInt(ctx, line, 1, 0, max, 10, true);
    if (v === undefined) {
      if (line.words[1] !== undefined) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', invalid(inst, line.words[1]), lineLoc(line, 1));
      return;
    }
    if (v === 0 && raise0 !== undefined) {
      ctx.report('CONFIG_RANGE', 'GENERAL_ERROR', `(${inst}): ${raise0} must be greater than 0, setting to 1`, lineLoc(line, 1));
      v = 1;
    }
    d[field] = v;
    setFieldLoc(d, field, line);
  },
});

// keepalived takes up to UINT_MAX / INT_MAX and sends that many at once; kept at 65535 here
const MAX_REPEAT = 65535;

const garpKeywords: Record<string, Keyword<VrrpDraft>> = {
  garp_master_delay: wholeSeconds('garpMasterDelayMs', 0, 4294),
  garp_master_repeat: instanceCount('garpMasterRepeat', MAX_REPEAT, (i, w) => `(${i}): garp_master_repeat '${w}' invalid - ignoring`, 'garp_master_repeat'),
  garp_master_refresh: wholeSeconds('garpMasterRefreshMs', 0, 86400),
  garp_master_refresh_repeat: instanceCount('garpMasterRefreshRepeat', MAX_REPEAT, (i, w) => `(${i}): garp_master_refresh_repeat '${w}' invalid - ignoring`, 'garp_master_refresh_repeat'),
  garp_lower_prio_delay: wholeSeconds('garpLowerPrioDelayMs', 0, 4294),
  garp_lower_prio_repeat: instanceCount('garpLowerPrioRepeat', MAX_REPEAT, (i, w) => `(${i}): Invalid garp_lower_prio_repeat '${w}'`),
};

const authentication = table<AuthDraft>({
  auth_type: {
    handler: (ctx, line, d) => {
      const v = argWord(ctx, line, 1, ['PASS', 'AH']);
      if (v) d.authType = v;
    },
  },
  auth_pass: {
    handler: (ctx, line, d) => {
      const v = need(ctx, line, 1);
      if (v === undefined) return;
      if (Buffer.byteLength(v, 'latin1') > 8) {
        ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `password of more than 8 characters is truncated to 8`, lineLoc(line, 1));
      }
      d.authPass = v.slice(0, 8);
    },
  },
});

const virtualIps = (field: 'virtualIpaddress' | 'virtualIpaddressExcluded'): Keyword<VrrpDraft> => ({
  handler: (ctx, line, d) => {
    const list = d[field] ?? [];
    for (const l of ctx.readValueBlock(line)) {
      const e = parseAddressEntry(ctx, l);
      if (!e) continue;
      if (field === 'virtualIpaddress' && !noteFamily(ctx, d, e.address, l, 0)) continue;
      list.push(e);
    }
    d[field] = list;
  },
});

/** vrrp_parser.c dev_name_valid: what the kernel takes as an interface name. */
const devNameValid = (name: string): boolean => name !== '' && name.length < 16 && name !== '.' && name !== '..' && !/[/:\s]/.test(name);

/**
 * use_vmac [NAME] [MAC] (vrrp_parser.c vrrp_vmac_handler): the first two words, a word with a
 * ':' being the MAC (checked here, as keepalived does: src/util/mac.ts), any other the name.
 */
const useVmac: Keyword<VrrpDraft> = {
  handler: (ctx, line, d) => {
    const v: Mutable<NonNullable<VrrpDraft['useVmac']>> = { loc: lineLoc(line, 0) };
    line.words.slice(1, 3).forEach((w, k) => {
      if (w.includes(':')) {
        if (v.mac !== undefined) ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', 'VMAC interface address already specified', lineLoc(line, k + 1));
        else {
          const mac = parseVmacMac(w);
          // row: vrrp.vmac-mac-invalid
          if (mac.ok) v.mac = w;
          else ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', mac.error, lineLoc(line, k + 1), { row: 'vrrp.vmac-mac-invalid' });
        }
      } else if (v.name !== undefined) {
        ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', 'VMAC interface name already specified', lineLoc(line, k + 1));
      } else if (!devNameValid(w)) {
        // row: vrrp.vmac-name-invalid
        ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `VMAC interface name '${w}' too long or invalid characters - ignoring`, lineLoc(line, k + 1), { row: 'vrrp.vmac-name-invalid' });
      } else v.name = w;
    });
    d.useVmac = v;
    setFieldLoc(d, 'useVmac', line);
  },
};

const unicastSrcIp = familyIp('unicastSrcIp').handler!;

export const vrrpInstanceTable = table<VrrpDraft>({
  // vrrp_parser.c vrrp_state_handler: BACKUP never replaces MASTER, a word it does not know is BACKUP
  state: {
    handler: (ctx, line, d) => {
      const v = line.words[1];
      if (v === 'MASTER') d.state = v;
      else if (v === 'BACKUP') {
        // row: vrrp.state-master-kept
        if (d.state === 'MASTER') ctx.report('CONFIG_CONFLICT', 'GENERAL_ERROR', `(${d.name}) state previously set as MASTER - ignoring BACKUP`, lineLoc(line, 1), { row: 'vrrp.state-master-kept' });
        else d.state = v;
      } else {
        ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `(${d.name}) unknown state '${v ?? ''}', defaulting to BACKUP`, lineLoc(line, 1));
        d.state = 'BACKUP';
      }
    },
  },
  interface: str('interface'),
  virtual_router_id: int('virtualRouterId', 1, 255),
  priority: int('priority', 1, 255),
  advert_int: seconds('advertIntMs', 0.01, 255),
  version: lenientInt('version', 2, 3),
  authentication: { sub: authentication, open: (_ctx, line, d) => (d.authentication = { loc: lineLoc(line, 0) }) } satisfies Keyword<VrrpDraft, AuthDraft>,
  virtual_ipaddress: virtualIps('virtualIpaddress'),
  virtual_ipaddress_excluded: virtualIps('virtualIpaddressExcluded'),
  // (the parameters typed: kw.ts values cannot infer the draft from the table when they are not)
  virtual_routes: values('virtualRoutes', (ctx: ParseCtx, line: Line) => parseRouteEntry(ctx, line)),
  virtual_rules: values('virtualRules', (ctx: ParseCtx, line: Line) => parseRuleEntry(ctx, line)),
  // a unicast keyword even when its address is refused (vrrp_unicast_srcip_handler sets
  // VRRP_FLAG_UNICAST_CONFIGURED first)
  unicast_src_ip: { handler: (ctx, line, d) => { d.unicastConfigured = true; unicastSrcIp(ctx, line, d); } },
  unicast_peer: {
    handler: (ctx, line, d) => {
      const list = d.unicastPeer ?? [];
      for (const l of ctx.readValueBlock(line)) {
        const p = parseUnicastPeer(ctx, l);
        if (p && noteFamily(ctx, d, p.address, l, 0)) list.push(p);
      }
      d.unicastPeer = list;
      // a unicast keyword even when empty (keepalived's VRRP_FLAG_UNICAST_CONFIGURED)
      d.unicastConfigured = true;
    },
  },
  unicast_ttl: int('unicastTtl', 0, 255),
  unicast_fault_no_peer: mark('unicastFaultNoPeer'),
  check_unicast_src: mark('checkUnicastSrc'),
  old_unicast_checksum: unsupported(),
  mcast_src_ip: familyIp('mcastSrcIp'),
  mcast_dst_ip: familyIp('mcastDstIp'),
  // FAULT while the configured source address is not on the interface (src/daemon/engine-config.ts)
  track_src_ip: mark('trackSrcIp'),
  nopreempt: mark('nopreempt'),
  preempt: mark('nopreempt', false),
  preempt_delay: seconds('preemptDelayMs', 0, 1000),
  track_interface: trackBlock('trackInterface', -254, 254),
  track_script: trackBlock('trackScript', -253, 253),
  track_file: trackBlock('trackFile', -254, 254),
  track_process: trackBlock('trackProcess', -254, 254),
  track_bfd: trackBlock('trackBfd', -253, 253),
  dont_track_primary: mark('dontTrackPrimary'),
  ...notifyKeywords(false),
  notify_deleted: notifyDeleted,
  notify_master_rx_lower_pri: notifyScript('notifyMasterRxLowerPri', false),
  notify_priority_changes: flag('notifyPriorityChanges'),
  smtp_alert: flag('smtpAlert'),
  use_vmac: useVmac,
  vmac_xmit_base: mark('vmacXmitBase'),
  use_vmac_addr: unsupported(),
  use_ipvlan: unsupported(),
  ...garpKeywords,
  garp_extra_if: garpExtraIf(false),
  vmac_garp_intvl: garpExtraIf(false),
  down_timer_adverts: {
    handler: (ctx, line, d) => {
      const v = argInt(ctx, line, 1, 1, 100, 10, true);
      if (v !== undefined) {
        d.downTimerAdverts = v;
        setFieldLoc(d, 'downTimerAdverts', line);
      } else if (line.words[1] !== undefined) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `(${d.name}): Invalid down_timer_adverts [1:100] '${line.words[1]}'`, lineLoc(line, 1));
    },
  },
  lower_prio_no_advert: flag('lowerPrioNoAdvert'),
  higher_prio_send_advert: flag('higherPrioSendAdvert'),
  accept: mark('accept', true),
  no_accept: mark('accept', false),
  strict_mode: flag('strictMode'),
  skip_check_adv_addr: {
    // keepalived sets it for any valid boolean word, even 'false' (vrrp_parser.c quirk, kept).
    handler: (ctx, line, d) => {
      const v = line.words[1] === undefined ? true : (['on', 'off', 'true', 'false', 'yes', 'no'].includes(line.words[1]) ? true : undefined);
      if (v === undefined) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid skip_check_adv_addr value '${line.words[1]}'`, lineLoc(line, 1));
      else d.skipCheckAdvAddr = true;
    },
  },
  promote_secondaries: mark('promoteSecondaries'),
  v3_checksum_as_v2: flag('v3ChecksumAsV2'),
  native_ipv6: {
    handler: (ctx, line, d) => {
      ctx.report('CONFIG_DEPRECATED', 'OK', `native_ipv6 is deprecated; the family follows the addresses`, lineLoc(line, 0));
      d.familyFrom ??= { family: 'inet6', loc: lineLoc(line, 0) };
    },
  },
  vrf: unsupported(),
  kernel_rx_buf_size: unsupported(),
  // vrrp_parser.c vrrp_linkbeat_handler: still honoured, with a complaint
  linkbeat_use_polling: {
    handler: (ctx, line, d) => {
      d.linkbeatUsePolling = true;
      ctx.report('CONFIG_DEPRECATED', 'GENERAL_ERROR', `(${d.name}) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block`, lineLoc(line, 0));
    },
  },
  // vrrp_parser.c vrrp_debug_handler: a level 0..4 that keepalived 2.2.7 only shows in the data dump
  debug: {
    handler: (ctx, line, d) => {
      const v = argInt(ctx, line, 1, 0, 4, 10, true);
      if (v === undefined) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `(${d.name}) Debug value '${line.words[1] ?? ''}' not valid; must be between 0-4`, lineLoc(line, 1), { row: 'vrrp.debug-invalid' });
      else d.debug = v;
    },
  },
  // vrrp_parser.c vrrp_lvs_syncd_handler: deprecated, but still the sync daemon's interface
  // (this instance's), unless global_defs names one (complete.ts hoists it)
  lvs_sync_daemon_interface: {
    handler: (ctx, line, d) => {
      const ifname = need(ctx, line, 1);
      if (ifname === undefined) return;
      ctx.report('CONFIG_DEPRECATED', 'GENERAL_ERROR', `(${d.name}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.`, lineLoc(line, 0),
        { hint: 'Please use global lvs_sync_daemon', row: 'vrrp.lvs-sync-daemon-interface' });
      d.lvsSyncDaemonInterface = { interface: ifname, loc: lineLoc(line, 1) };
    },
  },
});

export function vrrpInstanceDefaults(name: string, line: Line): VrrpDraft {
  return {
    name,
    loc: lineLoc(line, 1),
    virtualIpaddress: [],
    virtualIpaddressExcluded: [],
    virtualRoutes: [],
    virtualRules: [],
    unicastPeer: [],
    trackInterface: [],
    trackScript: [],
    trackFile: [],
    trackProcess: [],
    trackBfd: [],
    nopreempt: false,
    preemptDelayMs: 0,
    dontTrackPrimary: false,
    vmacXmitBase: false,
    checkUnicastSrc: false,
    unicastFaultNoPeer: false,
    promoteSecondaries: false,
    trackSrcIp: false,
    linkbeatUsePolling: false,
  };
}

// ------------------------------------------------------------------ vrrp_sync_group

export const syncGroupTable = table<SyncGroupDraft>({
  group: {
    handler: (ctx, line, d) => {
      // several names may stand on one line
      const list = (d.group ??= []);
      for (const l of ctx.readValueBlock(line)) list.push(...l.words.map((name, i) => ({ name, loc: lineLoc(l, i) })));
    },
  },
  track_interface: trackBlock('trackInterface', -254, 254),
  track_script: trackBlock('trackScript', -253, 253),
  track_file: trackBlock('trackFile', -254, 254),
  track_process: trackBlock('trackProcess', -254, 254),
  track_bfd: trackBlock('trackBfd', -253, 253),
  ...notifyKeywords(true),
  smtp_alert: flag('smtpAlert'),
  global_tracking: {
    handler: (ctx, line, d) => {
      ctx.report('CONFIG_DEPRECATED', 'OK', `global_tracking is deprecated, use track_interface/track_script/track_file on the group`, lineLoc(line, 0));
      d.syncGroupTrackingWeight = true;
    },
  },
  sync_group_tracking_weight: mark('syncGroupTrackingWeight'),
  notify_priority_changes: flag('notifyPriorityChanges'),
});

// ------------------------------------------------------------------ vrrp_script

const weightWithReverse = (min: number, max: number): Keyword<Weighted> => ({
  handler: (ctx, line, d) => {
    const v = argInt(ctx, line, 1, min, max, 10, true);
    if (v !== undefined) d.weight = v;
    if (line.words[2] === 'reverse') d.weightReverse = true;
    else if (line.words[2] !== undefined && line.words[2] !== 'noreverse') ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `unknown weight option '${line.words[2]}'`, lineLoc(line, 2));
  },
});

const userGroup = (field: FieldOf<VrrpScriptDraft, NonNullable<VrrpScript['user']>>): Keyword<VrrpScriptDraft> => ({
  handler: (ctx, line, d) => {
    const user = need(ctx, line, 1);
    if (user === undefined) return;
    d[field] = { user, ...(line.words[2] ? { group: line.words[2] } : {}) };
    setFieldLoc(d, field, line);
  },
});

export const vrrpScriptTable = table<VrrpScriptDraft>({
  script: { handler: (ctx, line, d) => { const s = argScript(ctx, line); if (s) d.script = s; } },
  // whole seconds, 0 raised to 1 (vrrp_vscript_interval_handler / _timeout_handler)
  interval: wholeSeconds('intervalMs', 0, 4294, (d) => `(${d.name}): vrrp script interval must be greater than 0, setting to 1`),
  timeout: wholeSeconds('timeoutMs', 0, 4294, (d) => `(${d.name}): vrrp script timeout must be greater than 0, setting to 1`),
  weight: weightWithReverse(-253, 253),
  rise: lenientInt('rise', 1, 2 ** 31 - 1),
  fall: lenientInt('fall', 1, 2 ** 31 - 1),
  user: userGroup('user'),
  init_fail: mark('initFail'),
});

export const vrrpScriptDefaults = (name: string, line: Line): VrrpScriptDraft => ({ name, loc: lineLoc(line, 1), intervalMs: 1000, weight: 0, weightReverse: false, rise: 1, fall: 1, initFail: false });

// ------------------------------------------------------------------ track_file

/**
 * A tracker's file, process or weight set a second time (track_file.c track_file_file_handler
 * and _weight_handler, vrrp_parser.c vrrp_tprocess_process_handler and _weight_handler): refused
 * with keepalived's words, the first kept. keepalived counts a weight as set when it differs from
 * the default (1 for a track_file, 0 for a process), so `weight 1` may be followed by another.
 */
const setOnce = <D extends TrackFileDraft | TrackProcessDraft, K extends keyof D>(field: K, kw: Keyword<D>, what: string, unset: D[K], o: { readonly wordless?: 'abort' } = {}): Keyword<D> => ({
  handler: (ctx, line, d) => {
    if (d[field] !== unset) {
      // keepalived's `process` message reads the word without checking it is there; the others check first
      if (line.words[1] === undefined && o.wordless === 'abort') return void ctx.missingValue(line);
      if (line.words[1] !== undefined) {
        // row: vrrp.tracker-set-twice
        ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', `${what} ${d.name} - ignoring ${line.words[1]}`, lineLoc(line, 1), { row: 'vrrp.tracker-set-twice' });
        return;
      }
    }
    kw.handler!(ctx, line, d);
  },
});

export const trackFileTable = table<TrackFileDraft>({
  file: setOnce('file', str('file'), 'File already set for track file', undefined),
  weight: setOnce('weight', weightWithReverse(-254, 254), 'Weight already set for track file', 1),
  init_file: {
    handler: (ctx, line, d) => {
      let value = 0;
      let overwrite = false;
      for (let i = 1; i < line.words.length; i++) {
        if (line.words[i] === 'overwrite') overwrite = true;
        else {
          const v = argInt(ctx, line, i, -254, 254);
          if (v !== undefined) value = v;
        }
      }
      d.initFile = { value, overwrite };
    },
  },
});

export const trackFileDefaults = (name: string, line: Line): TrackFileDraft => ({ name, loc: lineLoc(line, 1), weight: 1, weightReverse: false });

// ------------------------------------------------------------------ vrrp_track_process

/**
 * vrrp_track_process's delay, fork_delay and terminate_delay (vrrp_parser.c
 * vrrp_tprocess_delay_general): 0.000001 to 3600 s; `delay` sets both of the others, so the
 * last one written wins; a bad value is ignored with keepalived's second message.
 */
function processDelay(...fields: ('forkDelayMs' | 'terminateDelayMs')[]): Keyword<TrackProcessDraft> {
  return {
    handler: (ctx, line, d) => {
      const w = line.words[1];
      let v = argSeconds(ctx, line, 1, 0.000001, 3600);
      if (v === undefined && w !== undefined && !w.startsWith('-')) {
        // a bad word keepalived reads a number in range from ("0.5x") is used, with its warning only
        const read = keepalivedDecimal(w, 6).value;
        if (read >= 1 && read <= 3600e6) v = read / 1e3;
      }
      if (v === undefined) {
        if (w !== undefined) {
          ctx.report('CONFIG_RANGE', 'GENERAL_ERROR', `${line.words[0]} (${w}) for vrrp_track_process ${String(d.name)} must be between [0.000001..3600] inclusive. Ignoring...`,
            lineLoc(line, 1), { row: 'vrrp.track-process-delay-range' });
        }
        return;
      }
      for (const f of fields) d[f] = v;
    },
  };
}

const processPath: Keyword<TrackProcessDraft> = { handler: (ctx, line, d) => { if (need(ctx, line, 1) !== undefined) d.process = line.words.slice(1); } };

export const trackProcessTable = table<TrackProcessDraft>({
  process: setOnce('process', processPath, 'Process already set for track process', undefined, { wordless: 'abort' }),
  param_match: { handler: (ctx, line, d) => { const v = argWord(ctx, line, 1, ['initial', 'partial']); if (v) d.paramMatch = v; } },
  weight: setOnce('weight', weightWithReverse(-254, 254), 'Weight already set for track process', 0),
  quorum: lenientInt('quorum', 1, 65535),
  quorum_max: int('quorumMax', 1, 65535),
  delay: processDelay('terminateDelayMs', 'forkDelayMs'),
  fork_delay: processDelay('forkDelayMs'),
  terminate_delay: processDelay('terminateDelayMs'),
  full_command: mark('fullCommand'),
});

export const trackProcessDefaults = (name: string, line: Line): TrackProcessDraft => ({ name, loc: lineLoc(line, 1), weight: 0, weightReverse: false, quorum: 1, fullCommand: false });

// ------------------------------------------------------------------ static_*

export const staticKeywords = {
  static_ipaddress: {
    handler: (ctx, line, d) => {
      const list = d.staticIpaddress;
      for (const l of ctx.readValueBlock(line)) {
        const e = parseAddressEntry(ctx, l, trackGroupsSoFar(d));
        if (e) list.push(e);
      }
    },
  },
  static_routes: { handler: (ctx, line, d) => { for (const l of ctx.readValueBlock(line)) { const r = parseRouteEntry(ctx, l, trackGroupsSoFar(d)); if (r) d.staticRoutes.push(r); } } },
  static_rules: { handler: (ctx, line, d) => { for (const l of ctx.readValueBlock(line)) { const r = parseRuleEntry(ctx, l, trackGroupsSoFar(d)); if (r) d.staticRules.push(r); } } },
} satisfies Record<string, Keyword<VrrpRootDraft>>;

/**
 * `garp_extra_if [all] SECONDS` (instance; 0..86400) and `vrrp_garp_extra_if [all] SECONDS`
 * (global_defs; 1..86400): while MASTER, a gratuitous ARP / NA every SECONDS on the other
 * interfaces its VIPs are on (keepalived's VMACs; every interface with `all`). The names
 * before 2.2.3, `vmac_garp_intvl` / `vrrp_vmac_garp_intvl`, are deprecated aliases.
 */
export function garpExtraIf(global: true): Keyword<GlobalDraft>;
export function garpExtraIf(global: false): Keyword<VrrpDraft>;
// one handler for both: the draft has the field `global` names (the overloads say which draft)
export function garpExtraIf(global: boolean): Keyword<{ readonly name?: string; vrrpGarpExtraIf?: GarpExtraIf; garpExtraIf?: GarpExtraIf }> {
  return {
    handler: (ctx, line, d) => {
      const kw = line.words[0]!;
      const who = global ? '' : `(${d.name}): `;
      if (kw === 'vmac_garp_intvl' || kw === 'vrrp_vmac_garp_intvl') {
        ctx.report('CONFIG_DEPRECATED', 'DEPRECATED', `Keyword "${kw}" is deprecated - please use "${global ? 'vrrp_garp_extra_if' : 'garp_extra_if'}"`, lineLoc(line, 0));
      }
      let all = false;
      let seconds: number | undefined;
      for (let i = 1; i < line.words.length; i++) {
        const w = line.words[i]!;
        if (w === 'all') all = true;
        else if (/^\d+$/.test(w) && Number(w) >= (global ? 1 : 0) && Number(w) <= 86400) seconds = Number(w);
        else {
          ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `${who}${kw} '${w}' invalid - ignoring`, lineLoc(line, i));
          return;
        }
      }
      if (seconds === undefined || (global && seconds === 0)) {
        ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', `${who}${kw} specified without time - ignoring`, lineLoc(line, 0));
        return;
      }
      d[global ? 'vrrpGarpExtraIf' : 'garpExtraIf'] = { intervalMs: seconds * 1000, all };
      setFieldLoc(d, global ? 'vrrpGarpExtraIf' : 'garpExtraIf', line);
    },
  };
}

/**
 * `linkbeat_interfaces { IFNAME [MII|ETHTOOL|IOCTL] }` (vrrp_parser.c alloc_linkbeat_interface):
 * interfaces whose link state is polled every second instead of taken from rtnetlink
 * (src/daemon/linkbeat.ts). A missing interface is fatal class; anything else after the name,
 * or more than one word, is complained about, and a word that is not a method leaves the
 * method to be found.
 */
const linkbeatInterfaces: Keyword<VrrpRootDraft> = {
  handler: (ctx, line, root) => {
    const checks: InterfaceCheck[] = root.interfaceChecks ?? (root.interfaceChecks = []);
    const list: NonNullable<VrrpRootDraft['linkbeatInterfaces']> = root.linkbeatInterfaces ?? (root.linkbeatInterfaces = []);
    for (const l of ctx.readValueBlock(line)) {
      const name = l.words[0]!;
      checks.push({ name, what: 'linkbeat interface', loc: lineLoc(l, 0) });
      const w = l.words[1];
      const method = w === 'MII' || w === 'ETHTOOL' || w === 'IOCTL' ? w : undefined;
      if (w !== undefined && (!method || l.words.length > 2)) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `extra characters ${w} in linkbeat interface`, lineLoc(l, 1));
      list.push({ name, ...(method ? { method } : {}), loc: lineLoc(l, 0) });
    }
  },
};

/**
 * `interface_up_down_delays { IFNAME DOWN [UP] }` (seconds, 0..255, keepalived's read_timer):
 * a link change of IFNAME takes effect only once it has lasted that long (src/daemon/link-debounce.ts).
 * keepalived only logs an entry without timeouts, or with more than two, and drops one whose
 * delay does not read.
 */
const interfaceUpDownDelays: Keyword<VrrpRootDraft> = {
  handler: (ctx, line, root) => {
    const checks: InterfaceCheck[] = root.interfaceChecks ?? (root.interfaceChecks = []);
    const delays: NonNullable<VrrpRootDraft['interfaceDelays']> = root.interfaceDelays ?? (root.interfaceDelays = []);
    for (const l of ctx.readValueBlock(line)) {
      const name = l.words[0]!;
      checks.push({ name, what: 'up/down delay', loc: lineLoc(l, 0) });
      if (l.words.length < 2) {
        ctx.report('CONFIG_VALUE', 'OK', `No timeouts specified for ${name} up/down delays`, lineLoc(l, 0));
        continue;
      }
      if (l.words.length > 3) ctx.report('CONFIG_VALUE', 'OK', `Too many parameters for ${name} up/down delays`, lineLoc(l, 3));
      const downMs = argSeconds(ctx, l, 1, 0, 255);
      if (downMs === undefined) continue;
      const upMs = l.words.length === 2 ? 0 : argSeconds(ctx, l, 2, 0, 255);
      if (upMs === undefined) continue;
      delays.push({ name, downMs, upMs, loc: lineLoc(l, 0) });
    }
  },
};

export const unsupportedVrrpBlocks = {
  linkbeat_interfaces: linkbeatInterfaces,
  interface_up_down_delays: interfaceUpDownDelays,
};

