/**
 * `ip route` / `ip rule` words of virtual and static routes and rules that keepalived 2.2.7
 * accepts and keepalived-ts cannot send yet (src/netlink/route.ts and rule.ts refuse them when
 * they build the request). Completion reports each such entry at `-t` and at start, with its
 * place, instead of letting it fail when the instance becomes MASTER.
 */
export const ROUTE_WORDS_NOT_SENT: ReadonlySet<string> = new Set(['as', 'vrf', 'track_group']);
export const RULE_WORDS_NOT_SENT: ReadonlySet<string> = new Set(['realms', 'suppress_ifgroup', 'sup_group', 'tunnel-id', 'track_group', 'nat', 'map-to']);
