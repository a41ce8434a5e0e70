/**
 * What a reload changes (keepalived vrrp_exist, clear_diff_vrrp_vip / _vroutes / _vrules,
 * reference §f.4), as plain data: which instance of the new configuration is which instance
 * of the old one, and which addresses, routes and rules a MASTER must add or delete so that
 * the ones present in both configurations are never touched.
 */
import type { Logger } from 'pino';
import { formatIp } from '../util/ip.js';
import type { AddressSet } from './addresses.js';
import type { MappedInstance } from './engine-config.js';

/**
 * keepalived's identity of an instance across reloads: VRID, family, the configured interface,
 * unicast or multicast, and the unicast source address or the multicast group and VMAC use.
 * The name does not matter.
 */
export function instanceIdentity(m: MappedInstance): string {
  const c = m.config;
  const unicast = (c.unicastPeer?.length ?? 0) > 0;
  const how = unicast
    ? `unicast ${formatIp(c.sourceAddress.bytes)}`
    : `multicast ${c.mcastDstIp ? formatIp(c.mcastDstIp.bytes) : ''}${m.model.useVmac ? ' vmac' : ''}`;
  return `${c.virtualRouterId} ${c.family} ${m.baseInterface} ${how}`;
}

/** new instance name -> old instance name, for every new instance that existed before. */
export function matchInstances(
  old: ReadonlyMap<string, MappedInstance>, next: ReadonlyMap<string, MappedInstance>,
): Map<string, string> {
  const byId = new Map<string, string>();
  for (const [name, m] of old) {
    const id = instanceIdentity(m);
    if (!byId.has(id)) byId.set(id, name);
  }
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const [name, m] of next) {
    const was = byId.get(instanceIdentity(m));
    if (was === undefined || taken.has(was)) continue;
    taken.add(was);
    out.set(name, was);
  }
  return out;
}

/** An entry's identity: every configured attribute and the interface it lands on. */
function keyOf(e: object, dev: string | undefined): string {
  return JSON.stringify(e, (k, v: unknown) => {
    if (k === 'loc') return undefined;
    if (v instanceof Uint8Array) return formatIp(v);
    return v;
  }) + (dev === undefined ? '' : ` @${dev}`);
}

export interface SetDiff {
  /** in the new set only: install */
  readonly added: AddressSet;
  /** in the old set only: delete */
  readonly removed: AddressSet;
}

/**
 * Split two sets of the same owner into what to add and what to delete. Entries equal in
 * every attribute (on the same interface) are in neither: they stay in the kernel untouched.
 * Rules are compared with their automatic preference (`pref` gives it).
 */
export function diffSets(old: AddressSet, next: AddressSet, pref: (rule: object) => number | undefined = () => undefined): SetDiff {
  const addrKey = (s: AddressSet) => (e: AddressSet['addresses'][number]): string => keyOf(e, e.dev ?? s.interface);
  const routeKey = (s: AddressSet) => (r: AddressSet['routes'][number]): string => keyOf({ words: r.words }, s.interface);
  const ruleKey = (r: AddressSet['rules'][number]): string => `${r.words.join(' ')} pref ${pref(r) ?? ''}`;
  const minus = <T>(a: readonly T[], ka: (x: T) => string, b: readonly T[], kb: (x: T) => string): T[] => {
    const keys = new Set(b.map(kb));
    return a.filter((x) => !keys.has(ka(x)));
  };
  return {
    added: {
      owner: next.owner, ...(next.interface !== undefined ? { interface: next.interface } : {}),
      addresses: minus(next.addresses, addrKey(next), old.addresses, addrKey(old)),
      routes: minus(next.routes, routeKey(next), old.routes, routeKey(old)),
      rules: minus(next.rules, ruleKey, old.rules, ruleKey),
    },
    removed: {
      owner: old.owner, ...(old.interface !== undefined ? { interface: old.interface } : {}),
      addresses: minus(old.addresses, addrKey(old), next.addresses, addrKey(next)),
      routes: minus(old.routes, routeKey(old), next.routes, routeKey(next)),
      rules: minus(old.rules, ruleKey, next.rules, ruleKey),
    },
  };
}

export function isEmptySet(s: AddressSet): boolean {
  return s.addresses.length + s.routes.length + s.rules.length === 0;
}

/**
 * The address side of a reload, for each instance the reload kept that holds its VIPs: removes
 * what the new configuration no longer has, installs what it adds (never touching what both
 * have), and the same for the static addresses, routes and rules. Returns the instances that
 * gained addresses (they send a GARP burst).
 */
export function applyReloadDiff(o: {
  readonly matches: ReadonlyMap<string, string>;
  /** the old instance of this name holds its VIPs */
  readonly wasMaster: (oldName: string) => boolean;
  readonly oldSets: ReadonlyMap<string, AddressSet>;
  readonly newSets: ReadonlyMap<string, AddressSet>;
  readonly oldStatic: AddressSet | undefined;
  readonly newStatic: AddressSet;
  readonly addresses: { remove(s: AddressSet): Promise<unknown>; install(s: AddressSet): Promise<unknown> };
  readonly pref: (rule: object) => number | undefined;
  readonly log: Logger;
}): Set<string> {
  const regarp = new Set<string>();
  for (const [name, was] of o.matches) {
    if (!o.wasMaster(was)) continue;
    const d = diffSets(o.oldSets.get(was)!, o.newSets.get(name)!, o.pref);
    if (!isEmptySet(d.removed)) {
      o.log.info({ inst: name, addresses: d.removed.addresses.length, routes: d.removed.routes.length, rules: d.removed.rules.length }, `(${name}) removing what the new configuration no longer has`);
      void o.addresses.remove(d.removed);
    }
    if (!isEmptySet(d.added)) {
      o.log.info({ inst: name, addresses: d.added.addresses.length, routes: d.added.routes.length, rules: d.added.rules.length }, `(${name}) adding what the new configuration adds`);
      void o.addresses.install(d.added);
      if (d.added.addresses.length > 0) regarp.add(name);
    }
  }
  if (o.oldStatic) {
    const d = diffSets(o.oldStatic, o.newStatic, o.pref);
    if (!isEmptySet(d.removed)) void o.addresses.remove(d.removed);
    if (!isEmptySet(d.added)) void o.addresses.install(d.added);
  }
  return regarp;
}
