/**
 * The typed configuration model, LVS side: virtual servers and their groups, real servers,
 * health checkers, the `SSL` block. Conventions as in model.ts, which re-exports all of it.
 */
import type { Family, IpAddress } from '../util/ip.js';
import type { Loc } from './loc.js';
import type { TunnelSpec } from './lvs-values.js';
import type { Node, Script } from './model.js';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type LbKind = 'NAT' | 'DR' | 'TUN';
export type { TunnelCsum, TunnelSpec, TunnelType } from './lvs-values.js';

export interface VsGroupEntry extends Node {
  /** An address range `first..last` (one address when equal), or a fwmark. */
  readonly first?: IpAddress;
  readonly last?: IpAddress;
  readonly port?: number;
  readonly fwmark?: number;
  readonly family?: 'inet' | 'inet6';
}

export interface VirtualServerGroup extends Node {
  readonly name: string;
  readonly entries: readonly VsGroupEntry[];
}

export interface CheckerCommon {
  readonly connectIp?: IpAddress;
  readonly connectPort?: number;
  readonly bindto?: IpAddress;
  readonly bindPort?: number;
  readonly bindIf?: string;
  readonly connectTimeoutMs?: number;
  readonly fwmark?: number;
  readonly retry?: number;
  readonly delayBeforeRetryMs?: number;
  readonly warmupMs?: number;
  readonly delayLoopMs?: number;
  readonly alpha?: boolean;
  readonly logAllFailures?: boolean;
}

export interface HttpUrl extends Node {
  readonly path?: string;
  readonly digest?: string;
  readonly statusCode: readonly { readonly from: number; readonly to: number }[];
  readonly virtualhost?: string;
  readonly regex?: string;
  readonly regexNoMatch: boolean;
  /** regex_options: PCRE2 option words (src/check/regex.ts) */
  readonly regexOptions?: readonly string[];
  /** regex_min_offset: where a match may start, at the earliest */
  readonly regexMinOffset?: number;
  /** regex_max_offset: where a match may start, at the latest */
  readonly regexMaxOffset?: number;
}

export type Checker =
  | (Node & CheckerCommon & { readonly type: 'TCP_CHECK' })
  | (Node & CheckerCommon & {
      readonly type: 'HTTP_GET' | 'SSL_GET';
      readonly url: readonly HttpUrl[];
      readonly httpProtocol?: '1.0' | '1.0C' | '1.1';
      readonly virtualhost?: string;
      readonly fastRecovery?: boolean;
      readonly enableSni?: boolean;
    })
  | (Node & CheckerCommon & { readonly type: 'MISC_CHECK'; readonly miscPath?: Script; readonly miscTimeoutMs?: number; readonly miscDynamic: boolean; readonly user?: { readonly user: string; readonly group?: string } })
  | (Node & CheckerCommon & { readonly type: 'SMTP_CHECK'; readonly heloName?: string })
  | (Node & CheckerCommon & { readonly type: 'DNS_CHECK'; readonly dnsType: string; readonly name: string })
  | (Node & CheckerCommon & { readonly type: 'UDP_CHECK'; readonly payload?: string; readonly requireReply?: string; readonly minReplyLength: number; readonly maxReplyLength: number })
  | (Node & CheckerCommon & { readonly type: 'PING_CHECK' })
  | (Node & CheckerCommon & { readonly type: 'FILE_CHECK'; readonly trackFile?: string; readonly weight?: number; readonly weightReverse: boolean })
  | (Node & CheckerCommon & { readonly type: 'BFD_CHECK'; readonly name?: string });

export type CheckerType = Checker['type'];

export interface RealServer extends Node {
  readonly address: IpAddress;
  readonly port?: number;
  readonly weight: number;
  /** its own `lvs_method`, or the virtual server's method when the real server was opened after it */
  readonly lvsMethod?: LbKind;
  /** with lvsMethod: the tunnel options it was given or took from the virtual server */
  readonly tunnel?: TunnelSpec;
  readonly notifyUp?: Script;
  readonly notifyDown?: Script;
  readonly uthreshold?: number;
  readonly lthreshold?: number;
  readonly inhibitOnFailure?: boolean;
  readonly alpha?: boolean;
  readonly retry?: number;
  readonly delayBeforeRetryMs?: number;
  readonly warmupMs?: number;
  readonly connectTimeoutMs?: number;
  readonly delayLoopMs?: number;
  readonly smtpAlert?: boolean;
  readonly virtualhost?: string;
  /** snmp_name: its name in KEEPALIVED-MIB's realServerTable */
  readonly snmpName?: string;
  readonly checkers: readonly Checker[];
}

export interface VirtualServer extends Node {
  /** `IP PORT`, `fwmark N` or `group NAME`. */
  readonly address?: IpAddress;
  readonly port?: number;
  readonly fwmark?: number;
  readonly group?: string;
  readonly ipFamily?: 'inet' | 'inet6';
  readonly lbAlgo: string;
  readonly lbKind: LbKind;
  /** the options of `lb_kind` (meaningful with TUN) */
  readonly tunnel?: TunnelSpec;
  readonly protocol: Protocol;
  readonly persistenceTimeoutS?: number;
  /** persistence_granularity as a prefix length, in the family it was read in */
  readonly persistenceGranularity?: { readonly family: Family; readonly prefix: number };
  readonly persistenceEngine?: string;
  readonly schedFlags: readonly string[];
  readonly haSuspend: boolean;
  readonly delayLoopMs: number;
  readonly connectTimeoutMs?: number;
  readonly retry?: number;
  readonly delayBeforeRetryMs?: number;
  readonly warmupMs?: number;
  readonly alpha: boolean;
  readonly omega: boolean;
  readonly quorum: number;
  readonly hysteresis: number;
  readonly quorumUp?: Script;
  readonly quorumDown?: Script;
  readonly sorryServer?: { readonly address: IpAddress; readonly port?: number; readonly loc: Loc };
  readonly sorryServerInhibit: boolean;
  readonly sorryServerLvsMethod?: LbKind;
  readonly sorryServerTunnel?: TunnelSpec;
  readonly inhibitOnFailure: boolean;
  readonly virtualhost?: string;
  readonly smtpAlert?: boolean;
  readonly weight: number;
  /** snmp_name: its name in KEEPALIVED-MIB's virtualServerTable */
  readonly snmpName?: string;
  readonly realServers: readonly RealServer[];
}

export interface SslContextConfig {
  readonly password?: string;
  readonly ca?: string;
  readonly certificate?: string;
  readonly key?: string;
}
