/**
 * rtnetlink numbers from the Linux uapi headers (linux/rtnetlink.h, if_addr.h, fib_rules.h,
 * if_link.h, netlink.h), as plain constants so the pure helpers need no value import of the
 * `netlink` package.
 */

export const AF_INET = 2;
export const AF_INET6 = 10;

export const familyNumber = (f: 'inet' | 'inet6'): number => (f === 'inet' ? AF_INET : AF_INET6);

/** nlmsghdr flags for NEW requests. */
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;

/** rtnetlink message types the watch understands. */
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;

/** rt_scope_t */
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_SITE = 200;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RT_SCOPE_NOWHERE = 255;

/** rt_class_t */
export const RT_TABLE_UNSPEC = 0;
export const RT_TABLE_DEFAULT = 253;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;

/** Routes and rules keepalived installs carry this protocol (RTPROT_KEEPALIVED). */
export const RTPROT_KEEPALIVED = 18;

/** rtm_type */
export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;
export const RTN_BROADCAST = 3;
export const RTN_ANYCAST = 4;
export const RTN_MULTICAST = 5;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;
export const RTN_PROHIBIT = 8;
export const RTN_THROW = 9;
export const RTN_NAT = 10;
export const RTN_XRESOLVE = 11;

/** rtnh_flags carried in rtm_flags */
export const RTNH_F_ONLINK = 4;

/** RTAX_* (nested in RTA_METRICS) */
export const RTAX = {
  lock: 1, mtu: 2, window: 3, rtt: 4, rttvar: 5, ssthresh: 6, cwnd: 7, advmss: 8, reordering: 9,
  hoplimit: 10, initcwnd: 11, features: 12, rtoMin: 13, initrwnd: 14, quickack: 15, ccAlgo: 16,
  fastopenNoCookie: 17,
} as const;
export const RTAX_FEATURE_ECN = 1;

/** fib rule actions (FR_ACT_*) */
export const FR_ACT_TO_TBL = 1;
export const FR_ACT_GOTO = 2;
export const FR_ACT_NOP = 3;
export const FR_ACT_BLACKHOLE = 6;
export const FR_ACT_UNREACHABLE = 7;
export const FR_ACT_PROHIBIT = 8;
export const FIB_RULE_INVERT = 2;

/** IFA_F_* (the u32 IFA_FLAGS attribute) */
export const IFA_F_SECONDARY = 0x01;
export const IFA_F_NODAD = 0x02;
export const IFA_F_HOMEADDRESS = 0x10;
export const IFA_F_DEPRECATED = 0x20;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_PERMANENT = 0x80;
export const IFA_F_NOPREFIXROUTE = 0x200;

/** IFF_* */
export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;
export const IFF_LOWER_UP = 0x10000;

/** IFLA_LINKINFO nesting */
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_MACVLAN_MODE = 1;
/** IFLA_INFO_DATA of a VRF device: its table (linux/if_link.h) */
export const IFLA_VRF_TABLE = 1;
export const MACVLAN_MODE = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 } as const;
export type MacvlanMode = keyof typeof MACVLAN_MODE;
/** IFLA_AF_SPEC / AF_INET / IFLA_INET_CONF and AF_INET6 / IFLA_INET6_CONF: devconf arrays whose
 * first entry is `forwarding` (IPV4_DEVCONF_FORWARDING - 1, DEVCONF_FORWARDING). */
export const IFLA_INET_CONF = 1;
export const IFLA_INET6_CONF = 2;
/** IFLA_AF_SPEC / AF_INET6 / IFLA_INET6_ADDR_GEN_MODE = IN6_ADDR_GEN_MODE_NONE */
export const IFLA_INET6_ADDR_GEN_MODE = 8;
export const IN6_ADDR_GEN_MODE_NONE = 1;

/** The lifetime value the kernel reads as "forever". */
export const INFINITY_LIFE_TIME = 0xffffffff;
