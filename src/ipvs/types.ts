/**
 * The IPVS table as keepalived-ts sees it: services (virtual servers in the kernel) and their
 * destinations (real servers), in plain values. Addresses are `IpAddress` (bytes in network
 * order), ports are host numbers; the codec (./codec.ts, ./messages.ts) turns them into the
 * kernel's attributes and back.
 */
import type { TunnelCsum, TunnelType } from '../config/lvs-values.js';
import type { Family, IpAddress } from '../util/ip.js';

export type IpvsProtocol = 'TCP' | 'UDP' | 'SCTP';
/** Forwarding method (IP_VS_CONN_F_*): masquerading, direct routing, tunnelling, and two the kernel may report. */
export type FwdMethod = 'NAT' | 'DR' | 'TUN' | 'LOCAL' | 'BYPASS';
export type { TunnelCsum, TunnelType } from '../config/lvs-values.js';

/** What identifies a service: protocol + address + port, or a firewall mark + family. */
export type ServiceKey =
  | { readonly type: 'addr'; readonly protocol: IpvsProtocol; readonly address: IpAddress; readonly port: number }
  | { readonly type: 'fwmark'; readonly fwmark: number; readonly family: Family };

export interface IpvsService {
  readonly key: ServiceKey;
  /** scheduler module name without the `ip_vs_` prefix: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, mh, fo, ovf, sed, nq, twos */
  readonly scheduler: string;
  /** IP_VS_SVC_F_* (PERSISTENT, ONEPACKET, SCHED1..3); HASHED is the kernel's and never compared */
  readonly flags: number;
  /** persistence timeout in seconds, 0 when not persistent */
  readonly timeoutS: number;
  /** persistence granularity as a prefix length (32 / 128: one client address) */
  readonly netmaskPrefix: number;
  /** persistence engine (`sip`), if any */
  readonly persistenceEngine?: string;
}

export interface IpvsDest {
  readonly address: IpAddress;
  /** 0 for DR/TUN destinations of fwmark services */
  readonly port: number;
  readonly fwd: FwdMethod;
  readonly weight: number;
  readonly uThreshold: number;
  readonly lThreshold: number;
  /** tunnel parameters, meaningful only with fwd TUN (defaults ipip, port 0, nocsum) */
  readonly tunType?: TunnelType;
  readonly tunPort?: number;
  readonly tunCsum?: TunnelCsum;
}

/** IPVS counters and rates (IPVS_*_ATTR_STATS64, else the 32-bit STATS) */
export interface IpvsCounters {
  readonly conns: bigint;
  readonly inpkts: bigint;
  readonly outpkts: bigint;
  readonly inbytes: bigint;
  readonly outbytes: bigint;
  readonly cps: bigint;
  readonly inpps: bigint;
  readonly outpps: bigint;
  readonly inbps: bigint;
  readonly outbps: bigint;
}

/** A destination's counters and its connection counts */
export interface IpvsDestCounters extends IpvsCounters {
  readonly activeConns: number;
  readonly inactConns: number;
  readonly persistConns: number;
}

/** One service and its destinations, keyed by destId(). */
export interface IpvsVirtual {
  readonly service: IpvsService;
  readonly dests: ReadonlyMap<string, IpvsDest>;
}

/** A whole table (desired or the kernel's), keyed by serviceId(). */
export type IpvsTable = ReadonlyMap<string, IpvsVirtual>;

/** One change to the kernel's table. Dest operations name only their service's key. */
export type IpvsOp =
  | { readonly type: 'NEW_SERVICE' | 'SET_SERVICE'; readonly service: IpvsService }
  | { readonly type: 'DEL_SERVICE'; readonly key: ServiceKey }
  | { readonly type: 'NEW_DEST' | 'SET_DEST' | 'DEL_DEST'; readonly key: ServiceKey; readonly dest: IpvsDest };

/** GET_INFO */
export interface IpvsInfo {
  /** e.g. "1.2.1" */
  readonly version: string;
  readonly versionCode: number;
  readonly connTableSize: number;
}

/** GET_CONFIG / SET_CONFIG: connection timeouts in seconds (0 in SET_CONFIG leaves one unchanged). */
export interface IpvsTimeouts {
  readonly tcpS: number;
  readonly tcpFinS: number;
  readonly udpS: number;
}

/** A connection synchronisation daemon (lvs_sync_daemon). */
export interface IpvsDaemon {
  readonly state: 'MASTER' | 'BACKUP';
  readonly mcastIfn: string;
  readonly syncId: number;
  readonly syncMaxLen?: number;
  readonly mcastGroup?: IpAddress;
  readonly mcastPort?: number;
  readonly mcastTtl?: number;
}
