/**
 * Our own small views of kernel links and addresses, and the events of the rtnetlink watch.
 * Built from netlink messages by ./parse.ts; consumers never see the `netlink` package's types.
 */

export interface LinkInfo {
  readonly index: number;
  readonly name: string;
  /** IFF_UP: administratively up. */
  readonly up: boolean;
  /** IFF_RUNNING: operationally up (RFC 2863 OPER_UP). */
  readonly running: boolean;
  /** IFF_LOWER_UP: carrier. */
  readonly lowerUp: boolean;
  /** IFLA_OPERSTATE (0 unknown .. 6 up), when the kernel sent it. */
  readonly operstate?: number;
  /** IFLA_ADDRESS; empty when the link has none. */
  readonly mac: Uint8Array;
  readonly mtu: number;
  /** IFLA_INFO_KIND (`veth`, `macvlan`, `bridge`, ...); absent for plain devices. */
  readonly kind?: string;
  /** IFLA_LINK: the parent of a macvlan/vlan/veth, when in this namespace. */
  readonly parentIndex?: number;
  /** IFLA_MACVLAN_MODE for a macvlan (1 private, 2 vepa, 4 bridge, 8 passthru, 16 source). */
  readonly macvlanMode?: number;
  /** IFLA_VRF_TABLE of a VRF device (kind `vrf`): the routing table its routes go in. */
  readonly vrfTable?: number;
  /** IFLA_MASTER (bridge, bond or VRF the link is enslaved to). */
  readonly master?: number;
  /** Raw IFF_* flags. */
  readonly flags: number;
  /**
   * The interface's `forwarding` sysctls (net.ipv4.conf.IF.forwarding, net.ipv6.conf.IF.forwarding)
   * from IFLA_AF_SPEC, when the kernel sent them. A change of the sysctl alone sends no link
   * notification: read links() again to refresh.
   */
  readonly forwarding?: { readonly inet?: boolean; readonly inet6?: boolean };
  /** ifi_type (ARPHRD_*: 1 ether, 772 loopback), as a number */
  readonly hwType?: number;
  /** IFLA_BROADCAST (the link-layer broadcast address) */
  readonly broadcast?: Uint8Array;
}

export interface AddrInfo {
  readonly index: number;
  readonly family: 'inet' | 'inet6';
  /** The local address (IFA_LOCAL, or IFA_ADDRESS when there is no IFA_LOCAL). */
  readonly address: Uint8Array;
  readonly prefixLen: number;
  /** The peer (IFA_ADDRESS) of a point-to-point address, when it differs from the local one. */
  readonly peer?: Uint8Array;
  readonly broadcast?: Uint8Array;
  readonly scope: number;
  /** IFA_F_* (from IFA_FLAGS when present, else ifa_flags). */
  readonly flags: number;
  readonly label?: string;
}

export type RtnlEvent =
  | { readonly type: 'link'; readonly link: LinkInfo; readonly deleted: boolean }
  | { readonly type: 'addr'; readonly addr: AddrInfo; readonly deleted: boolean };
