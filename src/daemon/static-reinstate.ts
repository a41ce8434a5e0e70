/**
 * keepalived's interface_up (vrrp_if.c, vrrp_static_track.c static_track_group_reinstate_config):
 * when an interface comes up (IFF_UP and IFF_RUNNING), the static addresses on it and the
 * static routes out of it, unless no_track, are added again ("Restoring deleted static
 * address / route"): the kernel removed the routes, and the IPv6 addresses, when it went down.
 * Static rules are left alone, as keepalived leaves them (the kernel keeps them).
 */
import type { LinkInfo } from '../netlink/types.js';
import type { AddressSet } from './addresses.js';

/** keepalived's FLAGS_UP: administratively up and running. */
export function flagsUp(link: Pick<LinkInfo, 'up' | 'running'> | undefined): boolean {
  return link !== undefined && link.up && link.running;
}

/** What of the static entries `set` goes back on `ifname` when it comes up; undefined: nothing. */
export function staticOnInterface(set: AddressSet, ifname: string): AddressSet | undefined {
  const addresses = set.addresses.filter((a) => !a.noTrack && a.dev === ifname);
  const routes = set.routes.filter((r) => !r.noTrack && r.dev === ifname);
  if (addresses.length === 0 && routes.length === 0) return undefined;
  return { owner: set.owner, addresses, routes, rules: [] };
}
