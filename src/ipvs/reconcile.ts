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
    if (k && !desired.has(id)) ops.push({ type: 'DEL_SERVICE', key: k.service.key });
  }
  if (scope) {
    for (const id of scope) {
      const want = desired.get(id);
      if (want) service(want, kernel.get(id), ops);
    }
  } else for (const [id, want] of desired) service(want, kernel.get(id), ops);
  return ops;
}

function service(want: IpvsVirtual, have: IpvsVirtual | undefined, ops: IpvsOp[]): void {
  const key = want.service.key;
  if (!have) {
    ops.push({ type: 'NEW_SERVICE', service: want.service });
    for (const dest of want.dests.values()) ops.push({ type: 'NEW_DEST', key, dest });
    return;
  }
  if (!sameService(want.service, have.service)) ops.push({ type: 'SET_SERVICE', service: want.service });
  const wantDests = want.dests;
  const haveDests = have.dests;
  for (const [did, dest] of haveDests) if (!wantDests.has(did)) ops.push({ type: 'DEL_DEST', key, dest });
  let news: IpvsOp[] | undefined;
  for (const [did, dest] of wantDests) {
    const cur = haveDests.get(did);
    if (cur === undefined) (news ??= []).push({ type: 'NEW_DEST', key, dest });
    else if (cur !== dest && !sameDest(dest, cur)) ops.push({ type: 'SET_DEST', key, dest });
  }
  if (news) for (const op of news) ops.push(op);
}
