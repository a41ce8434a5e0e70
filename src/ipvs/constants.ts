/**
 * Numbers of the IPVS generic netlink interface (<linux/ip_vs.h>) and of plain netlink framing
 * (<linux/netlink.h>, <linux/genetlink.h>) that the IPVS codec and client use.
 */

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

/** IPVS_CMD_* */
export const IpvsCmd = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  NEW_DAEMON: 9,
  DEL_DAEMON: 10,
  GET_DAEMON: 11,
  SET_CONFIG: 12,
  GET_CONFIG: 13,
  SET_INFO: 14,
  GET_INFO: 15,
  ZERO: 16,
  FLUSH: 17,
} as const;
export type IpvsCmdName = keyof typeof IpvsCmd;

/** IP_VS_SVC_F_* service flags. */
export const SVC_F_PERSISTENT = 0x0001;
export const SVC_F_HASHED = 0x0002;
export const SVC_F_ONEPACKET = 0x0004;
export const SVC_F_SCHED1 = 0x0008;
export const SVC_F_SCHED2 = 0x0010;
export const SVC_F_SCHED3 = 0x0020;
export const SVC_F_SCHED_SH_FALLBACK = SVC_F_SCHED1;
export const SVC_F_SCHED_SH_PORT = SVC_F_SCHED2;
export const SVC_F_SCHED_MH_FALLBACK = SVC_F_SCHED1;
export const SVC_F_SCHED_MH_PORT = SVC_F_SCHED2;

/** IP_VS_CONN_F_* forwarding methods (the FWD_MASK part of conn_flags). */
export const CONN_F_FWD_MASK = 0x0007;
export const CONN_F_MASQ = 0x0000;
export const CONN_F_LOCALNODE = 0x0001;
export const CONN_F_TUNNEL = 0x0002;
export const CONN_F_DROUTE = 0x0003;
export const CONN_F_BYPASS = 0x0004;

/** IP_VS_CONN_F_TUNNEL_TYPE_* */
export const TUNNEL_TYPE_IPIP = 0;
export const TUNNEL_TYPE_GUE = 1;
export const TUNNEL_TYPE_GRE = 2;

/** IP_VS_TUNNEL_ENCAP_FLAG_* */
export const TUNNEL_ENCAP_NOCSUM = 0;
export const TUNNEL_ENCAP_CSUM = 1;
export const TUNNEL_ENCAP_REMCSUM = 2;

/** IP_VS_STATE_* of the connection sync daemon. */
export const IPVS_STATE_MASTER = 1;
export const IPVS_STATE_BACKUP = 2;

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;

export const AF_INET = 2;
export const AF_INET6 = 10;

/** Plain netlink. */
export const NLMSG_HDRLEN = 16;
export const GENL_HDRLEN = 4;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;
export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_DUMP = 0x300;

/** The generic netlink controller. */
export const GENL_ID_CTRL = 16;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;
