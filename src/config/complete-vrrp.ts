/**
 * Completing a vrrp_instance into the configuration keepalived 2.2.7 would run
 * (vrrp/vrrp.c vrrp_complete_instance, the parts that need no kernel): every default the
 * instance inherits from global_defs is resolved here, and every adjustment keepalived makes
 * (strict mode, state/priority, authentication, preemption, intervals, accept mode, GARP and
 * advert options, tracking of the own interface) is made here, with keepalived's class and
 * words. Each adjustment carries the id of its row in docs/semantics.md, checked both ways by
 * test/unit/config/semantics-table.test.ts. Nothing downstream applies a default again.
 */
import { Diagnostics, type KaClass } from './diagnostics.js';
import type { ErrorCode } from '../errors/index.js';
import type { MachineView } from './validate.js';
import { fieldLoc, type Loc } from './loc.js';
import { formatIp } from '../util/ip.js';
import { NF_DEFAULT_TABLE, type GlobalDraft } from './keywords-global.js';
import { COMPLETED_FIELDS, type Completed, type SyncGroupDraft, type VrrpDraft, type VrrpRootDraft } from './keywords-vrrp.js';
import type { AddressEntry, VrrpInstance } from './model.js';

/** keepalived's largest address count in one advert (the field is 8 bits wide). */
const VRRP_MAX_ADDR = 255;
/** What an advert may carry on a 1500-byte Ethernet link (keepalived uses the interface MTU). */
const DEFAULT_MTU = 1500;

interface Ctx {
  readonly d: VrrpDraft;
  readonly g: GlobalDraft;
  readonly diags: Diagnostics;
  readonly name: string;
  readonly loc: Loc;
}

function report(c: Ctx, row: string, code: ErrorCode, cls: KaClass, msg: string, at: Loc | undefined = c.loc): void {
  c.diags.add(code, cls, `(${c.name}) ${msg}`, at, { row });
}

/**
 * The global settings an instance inherits, completed first (global_parser.c
 * vrrp_min_garp_handler, vrrp_complete_init): vrrp_min_garp lowers the GARP settings still at
 * their defaults; the lower-priority GARP settings default to the master ones.
 */
export function completeVrrpGlobals(g: GlobalDraft): void {
  // row: global.min-garp
  if (g.vrrpMinGarp) {
    if (g.vrrpGarpMasterRepeat === 5) g.vrrpGarpMasterRepeat = 1;
    if (g.vrrpGarpMasterRefreshRepeat === 1) g.vrrpGarpMasterRefreshRepeat = 0;
    if (g.vrrpGarpMasterDelayMs === 5000) g.vrrpGarpMasterDelayMs = 0;
  }
  // row: global.garp-lower-prio-default
  g.vrrpGarpLowerPrioRepeat ??= g.vrrpGarpMasterRepeat;
  g.vrrpGarpLowerPrioDelayMs ??= g.vrrpGarpMasterDelayMs;
}

/** notify_priority_changes: the instance's, else its sync group's, else the global one. */
export function inheritFromSyncGroups(instances: readonly VrrpDraft[], groups: readonly SyncGroupDraft[], g: GlobalDraft): void {
  const groupOf = new Map<string, SyncGroupDraft>();
  for (const sg of groups) for (const m of sg.group) if (!groupOf.has(m.name)) groupOf.set(m.name, sg);
  for (const d of instances) {
    // row: vrrp.notify-priority-changes-inherit
    d.notifyPriorityChanges ??= groupOf.get(d.name)?.notifyPriorityChanges ?? g.vrrpNotifyPriorityChanges;
  }
}

/**
 * The weight and reverse each track_script / track_file / track_process entry runs with
 * (vrrp_track.c alloc_track_script & co.): the object's weight and reverse, unless the entry
 * writes a weight (then its own) or `reverse` / `noreverse` (then its own): `chk weight 20`
 * of a `weight 10 reverse` script is `weight 20 reverse`. track_interface entries have no
 * object: unset reverse is false. (An entry naming no such object was dropped as it was read:
 * keywords-vrrp.ts trackBlock.)
 */
export function resolveTrackRefs(root: Pick<VrrpRootDraft, 'vrrpScripts' | 'trackFiles' | 'trackProcesses' | 'vrrpInstances' | 'vrrpSyncGroups'>): void {
  const objects = new Map<'trackScript' | 'trackFile' | 'trackProcess', Map<string, { weight: number; weightReverse: boolean }>>([
    ['trackScript', new Map(root.vrrpScripts.map((o) => [o.name, o]))],
    ['trackFile', new Map(root.trackFiles.map((o) => [o.name, o]))],
    ['trackProcess', new Map(root.trackProcesses.map((o) => [o.name, o]))],
  ]);
  for (const owner of [...root.vrrpInstances, ...root.vrrpSyncGroups]) {
    // row: vrrp.track-entry-inherits
    for (const [field, byName] of objects) {
      owner[field] = (owner[field] ?? []).map((r) => {
        const o = byName.get(r.name);
        return { ...r, weight: r.weight ?? o?.weight, reverse: r.reverse ?? o?.weightReverse ?? false };
      });
    }
    owner.trackInterface = (owner.trackInterface ?? []).map((r) => ({ ...r, reverse: r.reverse ?? false }));
  }
}

/**
 * Completes one instance in place; false when keepalived would refuse the whole configuration.
 * keepalived stops at a refused instance and runs nothing; the rest of the completion still
 * fills the model (what was read, every field set), without a word.
 */
export function completeVrrpInstance(d: VrrpDraft, g: GlobalDraft, diags: Diagnostics, machine?: MachineView): boolean {
  const first: Ctx = { d, g, diags, name: d.name, loc: d.loc };
  if (d.virtualRouterId === undefined) diags.add('CONFIG_MISSING', 'GENERAL_ERROR', `(${first.name}) the virtual router id must be set`, first.loc, { row: 'vrrp.vrid-missing' });
  const strict = d.strictMode ?? g.vrrpStrict;
  d.strictMode = strict;
  family(first, strict);
  const refused = !vips(first, strict);
  const c: Ctx = refused ? { ...first, diags: new Diagnostics() } : first;
  stateAndPriority(c, strict);
  authentication(c, strict);
  unicast(c);
  if (strict && d.useVmac?.mac !== undefined) {
    c.diags.add('CONFIG_CONFLICT', 'GENERAL_ERROR', `(${c.name}): cannot specify MAC address with strict mode - clearing`, fieldLoc(d, 'useVmac'), { row: 'vrrp.strict-vmac-mac' });
    const { mac: _mac, ...rest } = d.useVmac;
    d.useVmac = rest;
  }
  if (machine?.linkKind) linkKind(c, machine.linkKind.bind(machine));
  firstIpv6Vip(c, strict);
  preemption(c, strict);
  accept(c, strict);
  if (d.unicastPeer.length > 0 && d.mcastDstIp !== undefined) {
    report(c, 'vrrp.unicast-mcast-dst', 'CONFIG_CONFLICT', 'GENERAL_ERROR', 'multicast destination specified with unicast - ignoring', fieldLoc(d, 'mcastDstIp'));
    delete d.mcastDstIp;
  }
  advertOptions(c, strict);
  inherited(c);
  advertInterval(c);
  interfaces(c);
  return !refused;
}

/** What the completion leaves on every instance: the fields it fills set, the version one keepalived speaks. */
type CompletedDraft = VrrpDraft & Required<Pick<VrrpDraft, Completed>> & { version: 2 | 3; authentication?: VrrpInstance['authentication'] };

/**
 * A completed instance as the model's VrrpInstance: checked, not cast. An instance the
 * completion left unfinished is a bug in it, said as such.
 */
export function completedInstance(d: VrrpDraft): VrrpInstance {
  if (!isCompleted(d)) throw new Error(`internal error: vrrp_instance ${d.name} left incomplete by the completion`);
  return d;
}


function isCompleted(d: VrrpDraft): d is CompletedDraft {
  return (d.version === 2 || d.version === 3) && (d.authentication === undefined || d.authentication.authType !== undefined)
    && COMPLETED_FIELDS.every((f) => d[f] !== undefined);
}

function family(c: Ctx, strict: boolean): void {
  const { d, g } = c;
  const fam = d.familyFrom?.family ?? 'inet';
  delete d.familyFrom;
  d.family = fam;
  if (fam === 'inet6' && d.version === 2 && strict) {
    report(c, 'vrrp.strict-ipv6-v2', 'CONFIG_CONFLICT', 'GENERAL_ERROR', 'cannot use IPv6 with VRRP version 2; setting version 3', fieldLoc(d, 'version'));
    d.version = 3;
  }
  d.version ??= fam === 'inet6' ? 3 : g.vrrpVersion;
}

/** No VIP; too many VIPs for one advert (the excess becomes eVIPs). */
function vips(c: Ctx, strict: boolean): boolean {
  const { d } = c;
  const list = d.virtualIpaddress;
  if (list.length === 0) {
    if (d.version === 3 || strict) {
      report(c, 'vrrp.no-vip-required', 'CONFIG_MISSING', 'GENERAL_ERROR', 'No VIP specified; at least one is required');
      return false;
    }
    report(c, 'vrrp.no-vip-sensible', 'CONFIG_MISSING', 'GENERAL_ERROR', 'No VIP specified; at least one is sensible');
  }
  // the VIPs of the instance's family are advertised; the others are eVIPs in effect
  const own = list.filter((a) => a.address.family === d.family).length;
  const header = d.family === 'inet' ? 14 + 20 + 8 + (d.version === 2 ? 8 : 0) : 14 + 40 + 8;
  const max = Math.min(VRRP_MAX_ADDR, Math.floor((DEFAULT_MTU - header) / (d.family === 'inet' ? 4 : 16)));
  if (own > max) {
    report(c, 'vrrp.vips-exceed-packet', 'CONFIG_VALUE', 'GENERAL_ERROR', `Number of VIPs (${own}) exceeds maximum/space available in packet (max ${max} addresses) - excess moved to eVIPs`);
    let kept = 0;
    const stay: AddressEntry[] = [];
    const moved: AddressEntry[] = [];
    for (const a of list) {
      if (a.address.family !== d.family || ++kept <= max) stay.push(a);
      else moved.push(a);
    }
    d.virtualIpaddress = stay;
    d.virtualIpaddressExcluded = [...d.virtualIpaddressExcluded, ...moved];
  }
  return true;
}

function stateAndPriority(c: Ctx, strict: boolean): void {
  const { d } = c;
  if (d.priority === undefined) d.priority = d.state === 'MASTER' ? 255 : 100;
  if (d.state === undefined) d.state = d.priority === 255 ? 'MASTER' : 'BACKUP';
  else if (strict && (d.state === 'MASTER') !== (d.priority === 255)) {
    report(c, 'vrrp.strict-state-owner', 'CONFIG_CONFLICT', 'GENERAL_ERROR', 'State MASTER must match being address owner', fieldLoc(d, 'state'));
    d.state = d.priority === 255 ? 'MASTER' : 'BACKUP';
  }
}

function authentication(c: Ctx, strict: boolean): void {
  const { d } = c;
  const auth = d.authentication;
  if (!auth) return;
  const at = auth.loc;
  const drop = (row: string, msg: string): void => {
    report(c, row, 'CONFIG_CONFLICT', 'GENERAL_ERROR', msg, at);
    delete d.authentication;
  };
  // an authentication block without auth_type is no authentication, and keepalived says nothing
  if (auth.authType === undefined) {
    delete d.authentication;
    return;
  }
  if (strict) drop('vrrp.strict-auth', 'Strict mode does not support authentication. Ignoring.');
  else if (d.version === 3) drop('vrrp.v3-auth', 'VRRP version 3 does not support authentication. Ignoring.');
  else if (!auth.authPass) {
    drop('vrrp.auth-no-pass', 'Authentication specified but no password given. Ignoring');
  } else if (d.family === 'inet6' && auth.authType === 'AH') drop('vrrp.auth-ah-ipv6', 'Cannot use AH authentication with IPv6. ignoring');
  else if (auth.authType === 'AH' && d.state === 'MASTER' && d.priority !== 255) {
    report(c, 'vrrp.auth-ah-master', 'CONFIG_CONFLICT', 'GENERAL_ERROR', 'Initial state master is incompatible with AH authentication - clearing', fieldLoc(d, 'state'));
    d.state = 'BACKUP';
  }
}

/**
 * The end of the block (vrrp_end_handler): unicast with a VMAC sends from the base interface;
 * unicast_ttl needs peers. Then a unicast keyword without peers (vrrp_complete_instance):
 * multicast (deprecated), or FAULT with unicast_fault_no_peer. unicast_ttl is not one of them.
 */
function unicast(c: Ctx): void {
  const { d } = c;
  const peers = d.unicastPeer.length > 0;
  const configured = peers || d.unicastConfigured === true || d.unicastSrcIp !== undefined || d.unicastFaultNoPeer === true || d.checkUnicastSrc === true;
  if (d.unicastConfigured === true) d.unicastKeyword = true;
  delete d.unicastConfigured;
  if (configured && d.useVmac && !d.vmacXmitBase && d.interface !== undefined) {
    report(c, 'vrrp.unicast-vmac-xmit-base', 'CONFIG_CONFLICT', 'GENERAL_ERROR', 'unicast with use_vmac requires vmac_xmit_base - setting', fieldLoc(d, 'useVmac'));
    d.vmacXmitBase = true;
  }
  if (!peers && d.unicastTtl !== undefined) {
    c.diags.add('CONFIG_CONFLICT', 'GENERAL_ERROR', `(${c.name}): Cannot use unicast_ttl without unicast peers - resetting`, fieldLoc(d, 'unicastTtl'), { row: 'vrrp.unicast-ttl-no-peers' });
    delete d.unicastTtl;
  }
  if (!configured || peers) return;
  if (d.unicastFaultNoPeer) {
    // keepalived logs this at start and keeps the instance in FAULT (a configuration fault)
    d.configFault = 'Cannot use unicast without any peers - going to fault state';
    c.diags.add('CONFIG_MISSING', 'OK', `(${c.name}) ${d.configFault}`, c.loc, { row: 'vrrp.unicast-fault-no-peer', atStart: true });
    return;
  }
  report(c, 'vrrp.unicast-no-peers', 'CONFIG_DEPRECATED', 'DEPRECATED',
    'A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.');
}

/**
 * What the instance's interface can carry (vrrp_complete_instance, for an interface that exists
 * when the configuration is read, `-t` included): a VMAC needs an Ethernet link, multicast
 * adverts a link with IFF_MULTICAST. Either lack disables the instance (a configuration fault:
 * FAULT for as long as it runs).
 */
const ARPHRD_ETHER = 1;

function linkKind(c: Ctx, kindOf: NonNullable<MachineView['linkKind']>): void {
  const { d } = c;
  const kind = d.interface === undefined ? undefined : kindOf(d.interface);
  if (!kind) return;
  if (d.useVmac !== undefined && kind.hwType !== ARPHRD_ETHER) {
    // keepalived clears every flag of the instance here; the VMAC is what matters
    c.diags.add('CONFIG_INTERFACE', 'GENERAL_ERROR', `(${c.name}): vmacs are only supported on Ethernet type interfaces`, fieldLoc(d, 'useVmac'), { row: 'vrrp.vmac-not-ethernet' });
    delete d.useVmac;
    d.configFault ??= 'vmacs are only supported on Ethernet type interfaces';
  }
  if (d.unicastPeer.length === 0 && !kind.multicast) {
    report(c, 'vrrp.interface-no-multicast', 'CONFIG_INTERFACE', 'GENERAL_ERROR', `interface ${d.interface} does not support multicast, specify unicast peers - disabling`, fieldLoc(d, 'interface'));
    d.configFault ??= `interface ${d.interface} does not support multicast, specify unicast peers - disabling`;
  }
}

function firstIpv6Vip(c: Ctx, strict: boolean): void {
  const { d } = c;
  if (d.family !== 'inet6' || d.unicastPeer.length > 0) return;
  const first = d.virtualIpaddress[0];
  if (!first || (first.address.bytes[0] === 0xfe && (first.address.bytes[1]! & 0xc0) === 0x80)) return;
  if (strict) report(c, 'vrrp.strict-ipv6-first-vip', 'CONFIG_VALUE', 'GENERAL_ERROR', 'the first IPv6 VIP address must be link local');
  else report(c, 'vrrp.ipv6-first-vip', 'CONFIG_VALUE', 'OK', `the first IPv6 VIP address should be link local (${formatIp(first.address)})`);
}

/** nopreempt / preempt_delay against the owner, state MASTER and strict mode. */
function preemption(c: Ctx, strict: boolean): void {
  const { d } = c;
  if (d.priority === 255 && d.nopreempt) {
    report(c, 'vrrp.owner-nopreempt', 'CONFIG_CONFLICT', 'GENERAL_ERROR', 'nopreempt is incompatible with priority 255. resetting nopreempt', fieldLoc(d, 'nopreempt'));
    d.nopreempt = false;
  }
  if (d.state === 'MASTER') {
    if (d.nopreempt) {
      report(c, 'vrrp.master-nopreempt', 'CONFIG_CONFLICT', 'GENERAL_ERROR', 'Warning - nopreempt will not work with initial state MASTER - clearing', fieldLoc(d, 'nopreempt'));
      d.nopreempt = false;
    }
    if (d.preemptDelayMs > 0) {
      report(c, 'vrrp.master-preempt-delay', 'CONFIG_CONFLICT', 'GENERAL_ERROR', 'Warning - preempt delay will not work with initial state MASTER - clearing', fieldLoc(d, 'preemptDelayMs'));
      d.preemptDelayMs = 0;
    }
  }
  if (d.preemptDelayMs > 0) {
    if (strict) {
      report(c, 'vrrp.strict-preempt-delay', 'CONFIG_CONFLICT', 'GENERAL_ERROR', 'preempt_delay is incompatible with strict mode - resetting', fieldLoc(d, 'preemptDelayMs'));
      d.preemptDelayMs = 0;
    }
    if (d.nopreempt) {
      report(c, 'vrrp.nopreempt-preempt-delay', 'CONFIG_CONFLICT', 'GENERAL_ERROR', 'preempt_delay is incompatible with nopreempt mode - resetting', fieldLoc(d, 'preemptDelayMs'));
      d.preemptDelayMs = 0;
    }
  }
  const adverts = d.downTimerAdverts ?? c.g.vrrpDownTimerAdverts;
  if (adverts !== 3 && strict) {
    report(c, 'vrrp.strict-down-timer-adverts', 'CONFIG_CONFLICT', 'GENERAL_ERROR', 'down_timer_adverts is incompatible with strict mode - resetting', fieldLoc(d, 'downTimerAdverts'));
    d.downTimerAdverts = 3;
  } else d.downTimerAdverts = adverts;
}

/** Accept mode: on unless strict (the owner always); off for a strict VRRPv2 non-owner. */
function accept(c: Ctx, strict: boolean): void {
  const { d } = c;
  // row: vrrp.strict-defaults (accept off for a strict non-owner)
  if (d.accept === undefined) d.accept = d.priority === 255 ? true : !strict;
  if (d.accept && d.priority !== 255 && strict && d.version === 2) {
    report(c, 'vrrp.strict-v2-accept', 'CONFIG_CONFLICT', 'GENERAL_ERROR', 'warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting', fieldLoc(d, 'accept'));
    d.accept = false;
  }
  if ((!d.accept || d.useVmac) && c.g.vrrpNfTable === undefined) {
    // keepalived drops traffic to the VIPs of a master without accept mode with an nftables
    // table (src/daemon/firewall.ts); it names one when the configuration does not
    c.g.vrrpNfTable = NF_DEFAULT_TABLE;
    c.diags.add('CONFIG_VALUE', 'OK', 'use_vmac or no_accept/strict specified, but no firewall configured - using nftables',
      fieldLoc(d, strict ? 'strictMode' : d.useVmac ? 'useVmac' : 'accept'), { advisory: true, row: 'vrrp.no-accept-firewall' });
  }
}

/** GARPs and adverts towards lower/higher priority routers: strict mode forces them off. */
function advertOptions(c: Ctx, strict: boolean): void {
  const { d, g } = c;
  // row: vrrp.strict-defaults (no lower-priority GARPs, no advert after a lower priority one)
  const pick = <K extends 'garpLowerPrioRepeat' | 'garpLowerPrioDelayMs' | 'lowerPrioNoAdvert' | 'higherPrioSendAdvert'>(field: K, globalValue: VrrpDraft[K], strictValue: VrrpDraft[K], row: string, msg: string): void => {
    if (d[field] === undefined) d[field] = strict ? strictValue : globalValue;
    else if (strict && d[field] !== strictValue) {
      report(c, row, 'CONFIG_CONFLICT', 'GENERAL_ERROR', msg, fieldLoc(d, field));
      d[field] = strictValue;
    }
  };
  pick('garpLowerPrioRepeat', g.vrrpGarpLowerPrioRepeat, 0, 'vrrp.strict-garp-lower-prio-repeat', 'Strict mode requires no repeat garps. resetting');
  pick('garpLowerPrioDelayMs', g.vrrpGarpLowerPrioDelayMs, 0, 'vrrp.strict-garp-lower-prio-delay', 'Strict mode requires no repeat garp delay. resetting');
  pick('lowerPrioNoAdvert', g.vrrpLowerPrioNoAdvert, true, 'vrrp.strict-lower-prio-no-advert', 'Strict mode requires no lower priority advert. resetting');
  pick('higherPrioSendAdvert', g.vrrpHigherPrioSendAdvert, false, 'vrrp.strict-higher-prio-send-advert', 'strict mode requires higher_prio_send_advert to be clear. resetting');
}

/** Settings an instance takes from global_defs (or its sync group) when it does not set them. */
function inherited(c: Ctx): void {
  const { d, g } = c;
  d.garpMasterDelayMs ??= g.vrrpGarpMasterDelayMs;
  d.garpMasterRepeat ??= g.vrrpGarpMasterRepeat;
  d.garpMasterRefreshMs ??= g.vrrpGarpMasterRefreshMs;
  d.garpMasterRefreshRepeat ??= g.vrrpGarpMasterRefreshRepeat;
  d.skipCheckAdvAddr ??= g.vrrpSkipCheckAdvAddr;
  d.v3ChecksumAsV2 ??= g.v3ChecksumAsV2;
  // row: vrrp.check-unicast-src-global
  d.checkUnicastSrc = d.checkUnicastSrc || g.vrrpCheckUnicastSrc;
  // row: vrrp.smtp-alert-inherit
  d.smtpAlert ??= g.smtpAlertVrrp ?? g.smtpAlert ?? false;
  if (d.mcastDstIp === undefined && d.unicastPeer.length === 0) {
    d.mcastDstIp = d.family === 'inet' ? g.vrrpMcastGroup4 : g.vrrpMcastGroup6;
  }
  // row: vrrp.track-src-ip-cleared: track_src_ip only means something with a configured source address
  if (d.trackSrcIp && d.unicastSrcIp === undefined && d.mcastSrcIp === undefined) d.trackSrcIp = false;
}

function advertInterval(c: Ctx): void {
  const { d } = c;
  let adv = d.advertIntMs ?? 1000;
  const at = fieldLoc(d, 'advertIntMs');
  const secs = (ms: number): string => (ms / 1000).toFixed(6);
  // (the parser already refuses a VRRPv2 interval above 255 s: keepalived's range check here cannot fire)
  if (d.version === 2) {
    if (adv % 1000 !== 0) {
      report(c, 'vrrp.v2-interval-integer', 'CONFIG_VALUE', 'GENERAL_ERROR', `VRRPv2 advertisement interval ${secs(adv)}s must be an integer. rounding`, at);
      adv = Math.max(1000, Math.round(adv / 1000) * 1000);
    }
  } else if (adv >= 40_960) {
    report(c, 'vrrp.v3-interval-range', 'CONFIG_RANGE', 'GENERAL_ERROR', `VRRPv3 advertisement interval ${(adv / 1000).toFixed(2)}s is out of range. Must be less than 40.96s. Setting to 40.95s`, at);
    adv = 40_950;
  } else if (Math.round(adv * 1000) % 10_000 !== 0) {
    report(c, 'vrrp.v3-interval-10ms', 'CONFIG_VALUE', 'GENERAL_ERROR', `VRRPv3 advertisement interval ${secs(adv)}s must be in units of 10ms - rounding`, at);
    adv = Math.max(10, Math.round(adv / 10) * 10);
  }
  d.advertIntMs = adv;
}

/** The own interface in track_interface; VMAC-only options without a VMAC. */
function interfaces(c: Ctx): void {
  const { d } = c;
  const own = d.interface;
  if (own !== undefined) {
    const tracked = d.trackInterface;
    const self = tracked.filter((t) => t.name === own);
    for (const t of self) {
      report(c, 'vrrp.track-own-interface', 'CONFIG_CONFLICT', 'GENERAL_ERROR', `Ignoring track_interface ${own} since own interface`, t.loc);
    }
    if (self.length > 0) d.trackInterface = tracked.filter((t) => t.name !== own);
  }
  if (d.useVmac) {
    if (d.promoteSecondaries) {
      report(c, 'vrrp.vmac-promote-secondaries', 'CONFIG_CONFLICT', 'GENERAL_ERROR', 'promote_secondaries is automatically set for vmacs - ignoring', fieldLoc(d, 'promoteSecondaries'));
      d.promoteSecondaries = false;
    }
    if (d.strictMode && d.vmacXmitBase) {
      report(c, 'vrrp.strict-vmac-xmit-base', 'CONFIG_CONFLICT', 'GENERAL_ERROR', 'xmit_base is incompatible with strict mode - resetting', fieldLoc(d, 'vmacXmitBase'));
      d.vmacXmitBase = false;
    }
  } else if (d.vmacXmitBase) {
    report(c, 'vrrp.xmit-base-without-vmac', 'CONFIG_CONFLICT', 'GENERAL_ERROR', 'vmac_xmit_base is only valid with a vmac', fieldLoc(d, 'vmacXmitBase'));
    d.vmacXmitBase = false;
  }
}
