/**
 * The desired-state reconciler: (desired table, kernel table, services owned before) -> the
 * shortest ordered list of operations that makes the kernel's table hold the desired services
 * exactly, touching nothing else.
 *
 * - Owned services are the desired ones plus `previouslyOwned` (what an earlier run or the
 *   previous configuration created); a previously owned service no longer desired is deleted
 *   (its destinations go with it), every other kernel service is left alone, even one with
 *   the same address in another protocol.
 * - A desired service already in the kernel (left by an earlier run, or added by hand) is taken
 *   over: scheduler, flags, persistence timeout / granularity / engine are changed in place
 *   with SET_SERVICE (never delete + add, which would drop its connections), and its
 *   destinations are made exactly the desired ones.
 * - A destination's weight, thresholds, forwarding method and tunnel parameters are changed
 *   with SET_DEST (the kernel updates all of them in place); a different port is a different
 *   destination.
 * - The hashing schedulers (sh, dh, mh) fill their lookup table going through the service's
 *   destinations in the kernel's list order, newest first, so two directors with the same
 *   live real servers map a flow to different ones when they added them in different orders
 *   (with `alpha`, the order their first checks passed). For these, the destinations are kept
 *   added in one canonical order (destId order, CANONICAL_ORDER_SCHEDULERS): a destination
 *   that has to go before ones already there is added after deleting those, which are then
 *   added back. IPVS keeps a deleted destination's connections and gives them back when it
 *   returns (its trash); their packets in between, a few operations of one batch, are dropped
 *   and retransmitted. A table's `dests` are in the order added, oldest first.
 * Order: deletions of services, then per desired service (in table order) NEW/SET_SERVICE,
 * DEL_DEST, SET_DEST, NEW_DEST.
 */
import { SVC_F_HASHED } from './constants.js';
import type { IpvsDest, IpvsOp, IpvsService, IpvsTable, IpvsVirtual } from './types.js';

export interface ReconcileOptions {
  /** serviceId()s of services keepalived-ts created before (earlier run, previous config) */
  readonly previouslyOwned?: Iterable<string>;
  /**
   * Look only at these serviceId()s (the services whose desired state changed): a checker
   * event on one virtual server then costs one service's work, not the whole table's.
   */
  readonly only?: Iterable<string>;
  /**
   * serviceId()s of desired services left out of `desired` because the kernel already holds
   * them as desired (from-config.ts desiredChanges): kept as they are, and not deleted as a
   * previously owned service no longer desired.
   */
  readonly settled?: ReadonlySet<string>;
}

export function sameService(a: IpvsService, b: IpvsService): boolean {
  return (
    a.scheduler === b.scheduler &&
    (a.flags & ~SVC_F_HASHED) === (b.flags & ~SVC_F_HASHED) &&
    a.timeoutS === b.timeoutS &&
    a.netmaskPrefix === b.netmaskPrefix &&
    (a.persistenceEngine ?? '') === (b.persistenceEngine ?? '')
  );
}

/** Equal in everything SET_DEST can change (the address and port are the key). */
export function sameDest(a: IpvsDest, b: IpvsDest): boolean {
  if (a.fwd !== b.fwd || a.weight !== b.weight || a.uThreshold !== b.uThreshold || a.lThreshold !== b.lThreshold) return false;
  if (a.fwd !== 'TUN') return true;
  const type = a.tunType ?? 'ipip';
  if (type !== (b.tunType ?? 'ipip') || (a.tunCsum ?? 'nocsum') !== (b.tunCsum ?? 'nocsum')) return false;
  return type !== 'gue' || (a.tunPort ?? 0) === (b.tunPort ?? 0);
}

export function reconcile(desired: IpvsTable, kernel: IpvsTable, opts: ReconcileOptions = {}): IpvsOp[] {
  const ops: IpvsOp[] = [];
  const scope = opts.only === undefined ? undefined : new Set(opts.only);
  for (const id of new Set(opts.previouslyOwned ?? [])) {
    if (scope && !scope.has(id)) continue;
    const k = kernel.get(id);
    if (k && !desired.has(id) && !opts.settled?.has(id)) ops.push({ type: 'DEL_SERVICE', key: k.service.key });
  }
  if (scope) {
    for (const id of scope) {
      const want = desired.get(id);
      if (want) service(want, kernel.get(id), ops);
    }
  } else for (const [id, want] of desired) service(want, kernel.get(id), ops);
  return ops;
}

/** Schedulers whose choice depends on the order destinations were added (see the header). */
export const CANONICAL_ORDER_SCHEDULERS: ReadonlySet<string> = new Set(['sh', 'dh', 'mh']);

function service(want: IpvsVirtual, have: IpvsVirtual | undefined, ops: IpvsOp[]): void {
  const key = want.service.key;
  const ordered = CANONICAL_ORDER_SCHEDULERS.has(want.service.scheduler);
  const wantOrder = ordered ? [...want.dests.keys()].sort() : [...want.dests.keys()];
  if (!have) {
    ops.push({ type: 'NEW_SERVICE', service: want.service });
    for (const did of wantOrder) ops.push({ type: 'NEW_DEST', key, dest: want.dests.get(did)! });
    return;
  }
  if (!sameService(want.service, have.service)) ops.push({ type: 'SET_SERVICE', service: want.service });
  const wantDests = want.dests;
  const haveDests = have.dests;
  for (const [did, dest] of haveDests) if (!wantDests.has(did)) ops.push({ type: 'DEL_DEST', key, dest });
  // the destinations kept in place: with a hashing scheduler, those added before the first one
  // out of the canonical order; the others are deleted and added back behind the new ones
  let kept: { has(did: string): boolean } = haveDests;
  if (ordered) {
    const haveOrder = [...haveDests.keys()].filter((did) => wantDests.has(did));
    let n = 0;
    while (n < haveOrder.length && haveOrder[n] === wantOrder[n]) n++;
    kept = new Set(haveOrder.slice(0, n));
    for (const did of haveOrder.slice(n)) ops.push({ type: 'DEL_DEST', key, dest: haveDests.get(did)! });
  }
  let news: IpvsOp[] | undefined;
  for (const did of wantOrder) {
    const dest = wantDests.get(did)!;
    const cur = kept.has(did) ? haveDests.get(did) : undefined;
    if (cur === undefined) (news ??= []).push({ type: 'NEW_DEST', key, dest });
    else if (cur !== dest && !sameDest(dest, cur)) ops.push({ type: 'SET_DEST', key, dest });
  }
  if (news) for (const op of news) ops.push(op);
}
