/**
 * The IPVS generic netlink attributes as data: one table per attribute set of <linux/ip_vs.h>
 * (the command level, service, destination, sync daemon, statistics, info). ./codec.ts reads
 * these tables both to encode requests and to decode replies, so a number, a name or a wire
 * type is written down exactly once.
 *
 * Wire types: `u8` `u16` `u32` `s32` `u64` are host byte order; `be16` is a port in network
 * order; `addr` is a union nf_inet_addr (16 bytes, IPv4 in the first 4); `in4` a bare 4-byte
 * IPv4 address; `string` is NUL-terminated; `flags` is struct ip_vs_flags { u32 flags; u32 mask };
 * `nested` holds the attributes of `set`.
 */

export type AttrKind = 'u8' | 'u16' | 'u32' | 's32' | 'u64' | 'be16' | 'addr' | 'in4' | 'in6' | 'string' | 'flags' | 'nested';

export interface AttrSpec {
  readonly num: number;
  readonly name: string;
  readonly kind: AttrKind;
  readonly set?: AttrSet;
}

export interface AttrSet {
  readonly name: string;
  readonly attrs: readonly AttrSpec[];
  /** attrs indexed by number (built from `attrs`) */
  readonly byNum: readonly (AttrSpec | undefined)[];
}

function attrSet(name: string, rows: readonly (readonly [number, string, AttrKind, AttrSet?])[]): AttrSet {
  const attrs = rows.map(([num, n, kind, set]) => ({ num, name: n, kind, ...(set ? { set } : {}) }));
  const byNum: (AttrSpec | undefined)[] = [];
  for (const a of attrs) byNum[a.num] = a;
  return { name, attrs, byNum };
}

/** IPVS_STATS_ATTR_* inside IPVS_SVC_ATTR_STATS / IPVS_DEST_ATTR_STATS (32-bit counters, 64-bit bytes). */
export const STATS = attrSet('stats', [
  [1, 'conns', 'u32'],
  [2, 'inpkts', 'u32'],
  [3, 'outpkts', 'u32'],
  [4, 'inbytes', 'u64'],
  [5, 'outbytes', 'u64'],
  [6, 'cps', 'u32'],
  [7, 'inpps', 'u32'],
  [8, 'outpps', 'u32'],
  [9, 'inbps', 'u32'],
  [10, 'outbps', 'u32'],
]);

/** The same numbers inside IPVS_*_ATTR_STATS64, every value 64-bit. */
export const STATS64 = attrSet('stats64', STATS.attrs.map((a) => [a.num, a.name, 'u64'] as const));

/** IPVS_SVC_ATTR_* inside IPVS_CMD_ATTR_SERVICE. */
export const SERVICE = attrSet('service', [
  [1, 'af', 'u16'],
  [2, 'protocol', 'u16'],
  [3, 'addr', 'addr'],
  [4, 'port', 'be16'],
  [5, 'fwmark', 'u32'],
  [6, 'schedName', 'string'],
  [7, 'flags', 'flags'],
  [8, 'timeout', 'u32'],
  [9, 'netmask', 'u32'],
  [10, 'stats', 'nested', STATS],
  [11, 'peName', 'string'],
  [12, 'stats64', 'nested', STATS64],
]);

/** IPVS_DEST_ATTR_* inside IPVS_CMD_ATTR_DEST. */
export const DEST = attrSet('dest', [
  [1, 'addr', 'addr'],
  [2, 'port', 'be16'],
  [3, 'fwdMethod', 'u32'],
  [4, 'weight', 'u32'],
  [5, 'uThresh', 'u32'],
  [6, 'lThresh', 'u32'],
  [7, 'activeConns', 'u32'],
  [8, 'inactConns', 'u32'],
  [9, 'persistConns', 'u32'],
  [10, 'stats', 'nested', STATS],
  [11, 'addrFamily', 'u16'],
  [12, 'stats64', 'nested', STATS64],
  [13, 'tunType', 'u8'],
  [14, 'tunPort', 'be16'],
  [15, 'tunFlags', 'u16'],
]);

/** IPVS_DAEMON_ATTR_* inside IPVS_CMD_ATTR_DAEMON. The multicast port is in host order. */
export const DAEMON = attrSet('daemon', [
  [1, 'state', 's32'],
  [2, 'mcastIfn', 'string'],
  [3, 'syncId', 's32'],
  [4, 'syncMaxLen', 'u16'],
  [5, 'mcastGroup', 'in4'],
  [6, 'mcastGroup6', 'in6'],
  [7, 'mcastPort', 'u16'],
  [8, 'mcastTtl', 'u8'],
]);

/** IPVS_CMD_ATTR_*: the top level of every IPVS message. */
export const COMMAND = attrSet('command', [
  [1, 'service', 'nested', SERVICE],
  [2, 'dest', 'nested', DEST],
  [3, 'daemon', 'nested', DAEMON],
  [4, 'timeoutTcp', 'u32'],
  [5, 'timeoutTcpFin', 'u32'],
  [6, 'timeoutUdp', 'u32'],
]);

/** IPVS_INFO_ATTR_*: the top level of the GET_INFO reply. */
export const INFO = attrSet('info', [
  [1, 'version', 'u32'],
  [2, 'connTabSize', 'u32'],
]);

/** CTRL_ATTR_* of the generic netlink controller, the part used to find the IPVS family. */
export const CTRL = attrSet('ctrl', [
  [1, 'familyId', 'u16'],
  [2, 'familyName', 'string'],
  [3, 'version', 'u32'],
]);
