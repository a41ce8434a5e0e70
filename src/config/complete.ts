/**
 * Completing the drafts into the model: keepalived's defaults and per-block rules
 * (vrrp_complete_instance, check_data.c validate_check_config), then the cross-block
 * checks of validate.ts. Problems are reported, never silently replaced.
 */
import type { Diagnostics } from './diagnostics.js';
import type { KeepalivedConfig, VrrpInstance, VirtualServer } from './model.js';
import type { Draft } from './parser.js';
import { fieldLoc, type Loc } from './loc.js';
import { formatIp, type IpAddress } from '../util/ip.js';
import { validate, type MachineView } from './validate.js';

export function complete(root: Draft, diags: Diagnostics, mainLoc: Loc, machine?: MachineView): KeepalivedConfig {
  const g = root.globalDefs as Draft;
  const instances = (root.vrrpInstances as Draft[]).map((d) => completeInstance(d, g, diags));
  const groups = new Map((root.virtualServerGroups as Draft[]).map((g) => [g.name as string, g.entries as Draft[]]));
  const servers = (root.virtualServers as Draft[]).flatMap((d) => completeVirtualServer(d, diags, groups) ?? []);
  const config = {
    ...root,
    // without a global_defs block the defaults belong to the main file as a whole
    globalDefs: { loc: mainLoc, ...g },
    vrrpInstances: instances,
    virtualServers: servers,
  } as unknown as KeepalivedConfig;
  validate(config, diags, machine);
  return config;
}

function completeInstance(d: Draft, g: Draft, diags: Diagnostics): VrrpInstance {
  const name = d.name as string;
  const loc = d.loc as Loc;
  const err = (msg: string, at: Loc = loc) => diags.add('CONFIG_VALUE', 'GENERAL_ERROR', `(${name}) ${msg}`, at);
  if (d.virtualRouterId === undefined) diags.add('CONFIG_MISSING', 'GENERAL_ERROR', `(${name}) the virtual router id must be set`, loc);
  if (d.priority === undefined) d.priority = d.state === 'MASTER' ? 255 : 100;
  if (d.state === undefined) d.state = d.priority === 255 ? 'MASTER' : 'BACKUP';
  const family = ((d.familyFrom as { family?: string } | undefined)?.family ?? 'inet') as 'inet' | 'inet6';
  d.family = family;
  d.version ??= family === 'inet6' ? 3 : g.vrrpVersion;
  if (family === 'inet6' && d.version === 2) {
    err('VRRP version 2 does not support IPv6; using version 3');
    d.version = 3;
  }
  let adv = (d.advertIntMs as number | undefined) ?? 1000;
  if (d.version === 2) {
    if (adv % 1000 !== 0) {
      err(`VRRPv2 advertisement interval ${(adv / 1000).toFixed(6)}s must be an integer. rounding`, fieldLoc(d, 'advertIntMs'));
      adv = Math.max(1000, Math.round(adv / 1000) * 1000);
    }
  } else {
    adv = Math.round(adv / 10) * 10;
    if (adv > 40950) {
      err(`VRRPv3 advertisement interval ${adv / 1000}s is more than the maximum 40.95s - setting to 40.95s`);
      adv = 40950;
    }
  }
  d.advertIntMs = adv;
  const auth = d.authentication as Draft | undefined;
  if (auth) {
    if (d.version === 3) {
      diags.add('CONFIG_CONFLICT', 'GENERAL_ERROR', `(${name}) VRRP version 3 does not support authentication. Ignoring.`, auth.loc as Loc);
      delete d.authentication;
    } else if (auth.authType === undefined || (auth.authType === 'PASS' && auth.authPass === undefined)) {
      err('authentication needs auth_type and auth_pass - ignoring', auth.loc as Loc);
      delete d.authentication;
    }
  }
  const vips = d.virtualIpaddress as unknown[];
  const strict = (d.strictMode as boolean | undefined) ?? (g.vrrpStrict as boolean);
  if (vips.length === 0) {
    if (d.version === 3 || strict) diags.add('CONFIG_MISSING', 'GENERAL_ERROR', `(${name}) No VIP specified; at least one is required`, loc);
    else diags.add('CONFIG_MISSING', 'GENERAL_ERROR', `(${name}) No VIP specified; at least one is sensible`, loc);
  }
  if ((d.unicastSrcIp !== undefined || d.unicastTtl !== undefined) && (d.unicastPeer as unknown[]).length === 0 && !d.unicastFaultNoPeer) {
    diags.add('CONFIG_DEPRECATED', 'DEPRECATED', `(${name}) a unicast keyword has been specified without any unicast peers; defaulting to multicast (deprecated usage)`, loc);
  }
  if (d.state === 'MASTER' && d.priority !== 255) {
    // keepalived: MASTER with priority < 255 waits like BACKUP; nopreempt/preempt_delay are cleared.
    if (d.nopreempt) diags.add('CONFIG_CONFLICT', 'OK', `(${name}) nopreempt is ignored with state MASTER`, loc);
  }
  if (d.priority === 255 && d.nopreempt) d.nopreempt = false;
  delete d.familyFrom;
  return d as unknown as VrrpInstance;
}

const vsName = (d: Draft): string =>
  d.fwmark !== undefined
    ? `FWM ${d.fwmark as number}`
    : d.group !== undefined
      ? `[${d.group as string}]`
      : `[${formatIp(d.address as IpAddress)}]:${((d.protocol as string | undefined) ?? 'none').toLowerCase()}:${(d.port as number | undefined) ?? 0}`;

function completeVirtualServer(d: Draft, diags: Diagnostics, groups: ReadonlyMap<string, readonly Draft[]>): VirtualServer | undefined {
  const loc = d.loc as Loc;
  const gen = (msg: string) => diags.add('CONFIG_VALUE', 'GENERAL_ERROR', msg, loc);
  const fwmarkOnlyGroup = d.group !== undefined && groups.get(d.group as string)?.every((e) => e.fwmark !== undefined);
  if (d.protocol === undefined && d.fwmark === undefined && !fwmarkOnlyGroup) {
    diags.add('CONFIG_MISSING', 'GENERAL_ERROR', `virtual server ${vsName(d)}: no protocol set - defaulting to UDP`, loc);
    d.protocol = 'UDP';
  }
  d.protocol ??= 'TCP';
  const rss = d.realServers as Draft[];
  if (rss.length === 0) {
    gen(`virtual server ${vsName(d)} has no real servers - ignoring`);
    return undefined;
  }
  if (d.lbAlgo === undefined) {
    gen(`virtual server ${vsName(d)}: no scheduler set, setting default 'wlc'`);
    d.lbAlgo = 'wlc';
  }
  if (d.lbKind === undefined) {
    gen(`virtual server ${vsName(d)}: no forwarding method set, setting default NAT`);
    d.lbKind = 'NAT';
  }
  if (d.address !== undefined && d.port === 0 && d.persistenceTimeoutS === undefined) {
    diags.add('CONFIG_MISSING', 'GENERAL_ERROR', `virtual server ${vsName(d)}: zero port only valid for persistent services - setting persistence_timeout 360`, fieldLoc(d, 'port'));
    d.persistenceTimeoutS = 360;
  }
  if ((d.hysteresis as number) >= (d.quorum as number) && (d.hysteresis as number) > 0) {
    gen(`virtual server ${vsName(d)}: hysteresis ${d.hysteresis as number} must be less than quorum ${d.quorum as number} - setting ${(d.quorum as number) - 1}`);
    d.hysteresis = (d.quorum as number) - 1;
  }
  const seen = new Set<string>();
  d.realServers = rss.filter((rs) => {
    rs.weight ??= d.weight;
    if (d.lbKind !== 'NAT' && d.fwmark === undefined && d.port !== undefined && rs.port !== undefined && rs.port !== d.port) {
      diags.add('CONFIG_CONFLICT', 'GENERAL_ERROR', `virtual server ${vsName(d)} and real server ${formatIp(rs.address as IpAddress)}:${rs.port as number} ports don't match - resetting (${d.lbKind as string} forwards to the virtual server's port)`, rs.loc as Loc);
      rs.port = d.port;
    }
    if (rs.port === undefined && d.fwmark === undefined) rs.port = d.port;
    const key = `${formatIp(rs.address as IpAddress)}:${(rs.port as number | undefined) ?? 0}`;
    if (seen.has(key)) {
      diags.add('CONFIG_DUPLICATE', 'GENERAL_ERROR', `real server ${key} listed twice in virtual server ${vsName(d)} - removing the duplicate`, rs.loc as Loc);
      return false;
    }
    seen.add(key);
    return true;
  });
  return d as unknown as VirtualServer;
}
