/**
 * What `keepalived-ts realserver` changed on this host, kept in a JSON state file
 * (/run/keepalived-ts/realserver.json by default) so that `--down` puts back exactly that:
 * the sysctls' values from before the first change, and only the addresses and devices it
 * added / created / brought up. Pure: parsing (errors as values), recording and the restore plan.
 *
 * Restoring a sysctl only happens when it still holds the value we set: if someone changed it
 * since, their value wins and `--down` says so.
 */
import { err, ok, type Result } from '../util/result.js';
import type { HostSnapshot, Mode, RsAction, SetSysctl } from './plan.js';
import { sysctlName } from '../netlink/vmac.js';

export const DEFAULT_STATE_FILE = '/run/keepalived-ts/realserver.json';

export interface AddedAddress {
  readonly dev: string;
  readonly family: 'inet' | 'inet6';
  readonly address: string;
  readonly prefixLen: number;
  readonly label?: string;
}

export interface RsState {
  readonly version: 1;
  readonly mode: Mode;
  readonly addresses: readonly AddedAddress[];
  /** In the order they were set; `previous` is the value before our first change. */
  readonly sysctls: readonly { readonly path: string; readonly previous: number; readonly value: number }[];
  readonly createdLinks: readonly string[];
  readonly upLinks: readonly string[];
}

export const emptyState = (mode: Mode): RsState => ({ version: 1, mode, addresses: [], sysctls: [], createdLinks: [], upLinks: [] });

const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
/** Interface names go into /proc/sys paths: no `/`, no `..`, at most 15 characters (IFNAMSIZ). */
export const validIfname = (n: string): boolean => /^[^\s/:]{1,15}$/.test(n) && n !== '.' && n !== '..';
const validPath = (p: string): boolean => /^net\/ipv4\/conf\/[^/\s]{1,15}\/(arp_ignore|arp_announce|rp_filter)$/.test(p) && !p.includes('/../') && !/\/\.\.?\//.test(p);

/** Reads a state file's text; anything unexpected is an error naming the field, never a throw. */
export function parseState(text: string): Result<RsState, string> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return err(`not JSON (${(e as Error).message})`);
  }
  const d = doc as Record<string, unknown>;
  if (typeof d !== 'object' || d === null || d.version !== 1) return err('not a version 1 realserver state');
  if (d.mode !== 'dr' && d.mode !== 'tun') return err('mode is not dr or tun');
  const arr = (k: string): unknown[] | undefined => (Array.isArray(d[k]) ? (d[k] as unknown[]) : undefined);
  const addresses = arr('addresses');
  const sysctls = arr('sysctls');
  const createdLinks = arr('createdLinks');
  const upLinks = arr('upLinks');
  if (!addresses || !sysctls || !createdLinks || !upLinks) return err('addresses, sysctls, createdLinks and upLinks must be lists');
  for (const a of addresses as Record<string, unknown>[]) {
    if (!a || !isStr(a.dev) || !validIfname(a.dev) || (a.family !== 'inet' && a.family !== 'inet6') || !isStr(a.address) || !isInt(a.prefixLen)) {
      return err(`bad address entry ${JSON.stringify(a)}`);
    }
  }
  for (const s of sysctls as Record<string, unknown>[]) {
    if (!s || !isStr(s.path) || !validPath(s.path) || !isInt(s.previous) || !isInt(s.value)) return err(`bad sysctl entry ${JSON.stringify(s)}`);
  }
  for (const l of [...createdLinks, ...upLinks]) if (!isStr(l) || !validIfname(l)) return err(`bad device name ${JSON.stringify(l)}`);
  return ok(d as unknown as RsState);
}

/** The state after `a` was carried out: the first `previous` of a sysctl is kept. */
export function recordAction(st: RsState, a: RsAction): RsState {
  switch (a.type) {
    case 'create-link':
      return st.createdLinks.includes(a.dev) ? st : { ...st, createdLinks: [...st.createdLinks, a.dev] };
    case 'link-up':
      return st.upLinks.includes(a.dev) ? st : { ...st, upLinks: [...st.upLinks, a.dev] };
    case 'set-sysctl': {
      const old = st.sysctls.find((s) => s.path === a.path);
      if (!old) return { ...st, sysctls: [...st.sysctls, { path: a.path, previous: a.previous, value: a.value }] };
      return { ...st, sysctls: st.sysctls.map((s) => (s.path === a.path ? { ...s, value: a.value } : s)) };
    }
    case 'add-address': {
      const same = (x: AddedAddress): boolean => x.dev === a.dev && x.address === a.address && x.family === a.family;
      if (st.addresses.some(same)) return st;
      return { ...st, addresses: [...st.addresses, { dev: a.dev, family: a.family, address: a.address, prefixLen: a.prefixLen, ...(a.label ? { label: a.label } : {}) }] };
    }
  }
}

export type DownAction =
  | { readonly type: 'delete-address'; readonly entry: AddedAddress }
  | SetSysctl
  | { readonly type: 'link-down'; readonly dev: string }
  | { readonly type: 'delete-link'; readonly dev: string };

export function describeDown(a: DownAction): string {
  switch (a.type) {
    case 'delete-address': return `remove ${a.entry.address}/${a.entry.prefixLen} dev ${a.entry.dev}`;
    case 'set-sysctl': return `set ${sysctlName(a.path)} = ${a.value} (back from ${a.previous})`;
    case 'link-down': return `set ${a.dev} down`;
    case 'delete-link': return `delete device ${a.dev}`;
  }
}

export interface DownPlan {
  readonly actions: readonly DownAction[];
  /** What is left alone, and why (changed by someone else since, already gone). */
  readonly skipped: readonly string[];
}

/**
 * Undo in reverse: addresses first (nothing answers for the VIP any more), then sysctls from the
 * last set to the first, then devices we brought up or created.
 */
export function planDown(st: RsState, snap: HostSnapshot): DownPlan {
  const actions: DownAction[] = [];
  const skipped: string[] = [];
  for (const e of st.addresses) {
    const here = snap.addresses.some((a) => a.dev === e.dev && a.family === e.family && a.address === e.address);
    if (here) actions.push({ type: 'delete-address', entry: e });
    else skipped.push(`${e.address}/${e.prefixLen} dev ${e.dev}: already gone`);
  }
  for (const s of [...st.sysctls].reverse()) {
    const now = snap.sysctls.get(s.path);
    if (now === undefined) skipped.push(`${sysctlName(s.path)}: gone (device removed)`);
    else if (now === s.previous) continue;
    else if (now !== s.value) skipped.push(`${sysctlName(s.path)}: now ${now}, changed by someone else since we set ${s.value}: left alone (was ${s.previous})`);
    else actions.push({ type: 'set-sysctl', path: s.path, value: s.previous, previous: now, reason: 'restore' });
  }
  for (const dev of [...st.upLinks].reverse()) {
    if (st.createdLinks.includes(dev)) continue;
    const l = snap.links.find((x) => x.name === dev);
    if (l?.up) actions.push({ type: 'link-down', dev });
  }
  for (const dev of [...st.createdLinks].reverse()) {
    if (snap.links.some((x) => x.name === dev)) actions.push({ type: 'link-down', dev }, { type: 'delete-link', dev });
  }
  return { actions, skipped };
}

/** The state left after the down actions in `done` succeeded (empty lists: remove the file). */
export function forgetDone(st: RsState, done: readonly DownAction[]): RsState {
  const gone = (e: AddedAddress): boolean => done.some((d) => d.type === 'delete-address' && d.entry === e);
  return {
    ...st,
    addresses: st.addresses.filter((e) => !gone(e)),
    sysctls: st.sysctls.filter((s) => !done.some((d) => d.type === 'set-sysctl' && d.path === s.path)),
    createdLinks: st.createdLinks.filter((l) => !done.some((d) => d.type === 'delete-link' && d.dev === l)),
    upLinks: st.upLinks.filter((l) => !done.some((d) => (d.type === 'link-down' || d.type === 'delete-link') && d.dev === l)),
  };
}

export const stateIsEmpty = (st: RsState): boolean =>
  st.addresses.length === 0 && st.sysctls.length === 0 && st.createdLinks.length === 0 && st.upLinks.length === 0;
