/**
 * Completing a virtual_server into what keepalived 2.2.7's checker process would run
 * (check/check_data.c validate_check_config), in its order: a server without real servers
 * is dropped; ha_suspend, protocol, one-packet scheduling, port and persistence, scheduler and
 * forwarding method get keepalived's defaults and corrections; duplicate real servers are
 * removed; the sorry server's inhibit follows a real server it duplicates; the quorum is
 * reduced to the total weight of the real servers and the hysteresis below it; real and sorry
 * server ports are reset or cleared as keepalived does. Each adjustment is a row of
 * docs/semantics.md (test/unit/config/semantics-table.test.ts checks the table both ways).
 */
import type { Diagnostics, KaClass } from './diagnostics.js';
import type { ErrorCode } from '../errors/index.js';
import type { RsDraft, VsDraft } from './keywords-lvs.js';
import { fieldLoc, type Loc } from './loc.js';
import type { GlobalDefs } from './model.js';
import type { LbKind, RealServer, VirtualServer, VsGroupEntry } from './model-lvs.js';
import { formatIp, type IpAddress } from '../util/ip.js';

/** keepalived's IPVS_SVC_PERSISTENT_TIMEOUT (6 minutes) */
const DEFAULT_PERSISTENCE_S = 360;

/** keepalived's FMT_VS: `[ip]:proto:port`, `FWM n` or `[group]:port`. */
export const vsName = (d: Pick<VsDraft, 'fwmark' | 'group' | 'port' | 'address' | 'protocol'>): string =>
  d.fwmark !== undefined
    ? `FWM ${d.fwmark}`
    : d.group !== undefined
      ? `[${d.group}]:${d.port ?? 0}`
      // neither a fwmark nor a group: openVirtualServer read an address
      : trio(d.address!, d.protocol, d.port);

/** A real server's address and port as one key: a number for IPv4 (no string per server). */
function key(a: IpAddress, port: number | undefined): string | number {
  const b = a.bytes;
  if (b.length === 4) return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) * 65536 + (port ?? 0);
  return `${formatIp(a)}:${port ?? 0}`;
}

/** keepalived's FMT_RS / the `[ip]:proto:port` part of FMT_VS */
export const trio = (a: IpAddress, protocol: string | undefined, port: number | undefined): string =>
  `[${formatIp(a)}]:${(protocol ?? 'none').toLowerCase()}:${port ?? 0}`;

export function completeVirtualServer(d: VsDraft, g: Pick<GlobalDefs, 'smtpAlert' | 'smtpAlertChecker'>, diags: Diagnostics, groups: ReadonlyMap<string, readonly VsGroupEntry[]>): VirtualServer | undefined {
  const loc = d.loc;
  const say = (row: string, code: ErrorCode, msg: string, at: Loc | undefined = loc, cls: KaClass = 'GENERAL_ERROR'): void =>
    diags.add(code, cls, msg, at, { row });
  const entries = d.group !== undefined ? groups.get(d.group) ?? [] : [];
  const groupAddrs = entries.filter((e) => e.fwmark === undefined);
  const groupMarks = entries.filter((e) => e.fwmark !== undefined);
  const fwmarkVs = d.fwmark !== undefined || (d.group !== undefined && groupAddrs.length === 0 && groupMarks.length > 0);
  // rs_end_handler: a real server of the other address family is dropped (unless it has its own
  // or the service's TUN forwarding); a fwmark or group service takes the family of its first real server
  let family = d.address?.family ?? d.ipFamily;
  d.realServers = d.realServers.filter((rs) => {
    const f = rs.address.family;
    if (rs.lvsMethod === 'TUN') return true; // its own method, or the virtual server's when it was opened
    family ??= f;
    if (f === family) return true;
    say('lvs.real-server-family', 'CONFIG_CONFLICT', `Address family of virtual server and real server ${formatIp(rs.address)} don't match - skipping real server.`, rs.loc);
    return false;
  });
  const rss = d.realServers;
  if (rss.length === 0) {
    say('lvs.no-real-servers', 'CONFIG_VALUE', `Virtual server ${vsName(d)} has no real servers - ignoring`);
    return undefined;
  }
  if (d.haSuspend && (d.fwmark !== undefined || groupMarks.length > 0)) {
    say('lvs.ha-suspend-fwmark', 'CONFIG_CONFLICT', `Virtual server ${vsName(d)}: cannot use ha_suspend with fwmarks - clearing ha_suspend`, fieldLoc(d, 'haSuspend'));
    d.haSuspend = false;
  }
  if (groupAddrs.length > 0 || (d.group === undefined && d.fwmark === undefined)) {
    if (d.protocol === undefined) {
      say('lvs.no-protocol', 'CONFIG_MISSING', `Virtual server ${vsName(d)}: no protocol set - defaulting to UDP`);
      d.protocol = 'UDP';
    }
    const flags = d.schedFlags;
    if (flags.includes('ops') && d.protocol !== 'UDP') {
      say('lvs.ops-not-udp', 'CONFIG_CONFLICT', `Virtual server ${vsName(d)}: one packet scheduling requires UDP - resetting`);
      d.schedFlags = flags.filter((f) => f !== 'ops');
    }
    if (d.persistenceTimeoutS === undefined && d.group === undefined && d.fwmark === undefined && !d.port) {
      say('lvs.zero-port', 'CONFIG_MISSING', `Virtual server ${vsName(d)}: zero port only valid for persistent services - setting`, fieldLoc(d, 'port'));
      d.persistenceTimeoutS = DEFAULT_PERSISTENCE_S;
    }
  }
  if (d.persistenceTimeoutS === undefined && groupAddrs.some((e) => !e.port)) {
    say('lvs.group-zero-port', 'CONFIG_MISSING', `Virtual server ${vsName(d)}: zero port only valid for persistent services - setting`);
    d.persistenceTimeoutS = DEFAULT_PERSISTENCE_S;
  }
  if (d.protocol !== undefined && fwmarkVs) {
    say('lvs.fwmark-protocol', 'CONFIG_CONFLICT', `Warning: Virtual server ${vsName(d)}: protocol specified for fwmark - protocol will be ignored`, fieldLoc(d, 'protocol'));
  }
  // keepalived names a fwmark service's servers with protocol "none"
  const shown = fwmarkVs ? undefined : d.protocol;
  // the IPVS service of a fwmark carries no protocol; TCP stands in for keepalived's "none"
  d.protocol ??= 'TCP';
  if (d.lbAlgo === undefined) {
    say('lvs.no-scheduler', 'CONFIG_VALUE', `Virtual server ${vsName(d)}: no scheduler set, setting default 'wlc'`);
    d.lbAlgo = 'wlc';
  }
  // row: lvs.smtp-alert-inherit
  d.smtpAlert ??= g.smtpAlertChecker ?? g.smtpAlert ?? false;
  let weightSum = 0;
  const seen = new Set<string | number>();
  const sorry = d.sorryServer;
  const kept: RsDraft[] = [];
  for (const rs of rss) {
    const at = rs.loc;
    const k = key(rs.address, rs.port ?? (d.fwmark === undefined ? d.port : undefined));
    if (seen.has(k)) {
      say('lvs.duplicate-real-server', 'CONFIG_DUPLICATE', `VS ${vsName(d)}: real server ${trio(rs.address, shown, rs.port)} is duplicated - removing second rs`, at);
      continue;
    }
    seen.add(k);
    kept.push(rs);
    if (rs.lvsMethod === undefined && d.lbKind === undefined) {
      say('lvs.no-forwarding-method', 'CONFIG_VALUE', `Virtual server ${vsName(d)}: no forwarding method set, setting default NAT`);
      d.lbKind = 'NAT';
    }
    rs.weight ??= d.weight;
    weightSum += rs.weight;
    if (sorry && key(sorry.address, sorry.port) === k) {
      const inhibit = rs.inhibitOnFailure ?? d.inhibitOnFailure;
      if (inhibit !== d.sorryServerInhibit) {
        say('lvs.sorry-matches-real-server', 'CONFIG_CONFLICT', `Virtual server ${vsName(d)}: real server ${trio(rs.address, shown, rs.port)} matches sorry server, but inhibit setting differs, ${inhibit ? 'sett' : 'clear'}ing on sorry server`, sorry.loc);
        d.sorryServerInhibit = inhibit;
      }
    }
  }
  d.realServers = kept;
  if (sorry && d.sorryServerLvsMethod === undefined && d.lbKind === undefined) {
    say('lvs.no-forwarding-method', 'CONFIG_VALUE', `Virtual server ${vsName(d)}: no forwarding method set, setting default NAT`);
    d.lbKind = 'NAT';
  }
  d.lbKind ??= 'NAT';
  if (d.quorum > weightSum) {
    say('lvs.quorum-above-weight', 'CONFIG_VALUE', `Warning - quorum ${d.quorum} for ${vsName(d)} exceeds total weight of real servers ${weightSum}, reducing quorum to ${weightSum}`, fieldLoc(d, 'quorum'));
    d.quorum = weightSum;
  }
  if (d.hysteresis >= d.quorum && d.quorum > 0) {
    say('lvs.hysteresis-not-below-quorum', 'CONFIG_VALUE', `Virtual server ${vsName(d)}: hysteresis ${d.hysteresis} >= quorum ${d.quorum}; setting hysteresis to ${d.quorum - 1}`, fieldLoc(d, 'hysteresis'));
    d.hysteresis = d.quorum - 1;
  }
  ports(d, say, shown);
  if (!isCompleted(d)) throw new Error(`internal error: virtual server ${vsName(d)} left incomplete by the completion`);
  return d;
}

/** What the completion sets on every virtual server: the scheduler, the method, the protocol, each real server's weight. */
type CompletedVs = VsDraft & Pick<VirtualServer, 'lbAlgo' | 'lbKind' | 'protocol'> & { realServers: (RsDraft & Pick<RealServer, 'weight'>)[] };

/** A completed virtual server as the model's VirtualServer: checked, not cast. */
function isCompleted(d: VsDraft): d is CompletedVs {
  return d.lbAlgo !== undefined && d.lbKind !== undefined && d.protocol !== undefined && d.realServers.every((r) => r.weight !== undefined);
}

type Say = (row: string, code: ErrorCode, msg: string, at?: Loc) => void;

/** Unless NAT, real and sorry servers use the virtual server's port (none with a fwmark). */
function ports(d: VsDraft, say: Say, shown: string | undefined): void {
  if (d.group !== undefined) return; // keepalived only warns for groups (not reproduced here)
  const fwd = (rs: RsDraft): LbKind | undefined => rs.lvsMethod ?? d.lbKind;
  for (const rs of d.realServers) {
    // made only for a warning: one string per real server adds up at 100,000
    const name = (): string => trio(rs.address, shown, rs.port);
    if (fwd(rs) === 'NAT') {
      if (d.fwmark === undefined && !rs.port) rs.port = d.port;
      continue;
    }
    if (d.fwmark !== undefined) {
      if (rs.port) {
        say('lvs.fwmark-real-server-port', 'CONFIG_CONFLICT', `WARNING - fwmark virtual server ${vsName(d)}, real server ${name()} has port specified - clearing`, rs.loc);
        delete rs.port;
      }
    } else if (!rs.port) rs.port = d.port;
    else if (rs.port !== d.port) {
      say('lvs.real-server-port-mismatch', 'CONFIG_CONFLICT', `WARNING - virtual server ${vsName(d)} and real server ${name()} ports don't match - resetting`, rs.loc);
      rs.port = d.port;
    }
  }
  const sorry = d.sorryServer;
  if (!sorry || (d.sorryServerLvsMethod ?? d.lbKind) === 'NAT') return;
  if (d.fwmark !== undefined) {
    if (sorry.port) {
      say('lvs.fwmark-sorry-server-port', 'CONFIG_CONFLICT', `WARNING - virtual server ${vsName(d)}, sorry server has port specified - clearing`, sorry.loc);
      d.sorryServer = { address: sorry.address, loc: sorry.loc };
    }
  } else if (!sorry.port) d.sorryServer = { ...sorry, port: d.port };
  else if (sorry.port !== d.port) {
    say('lvs.sorry-server-port-mismatch', 'CONFIG_CONFLICT', `WARNING - virtual server ${vsName(d)} and sorry server ports don't match - resetting`, sorry.loc);
    d.sorryServer = { ...sorry, port: d.port };
  }
}
