/**
 * Building IpvsTables and keeping one in step with the operations applied to the kernel, so a
 * daemon can reconcile the next change against what it last did instead of dumping again.
 */
import { destId, serviceId } from './keys.js';
import type { IpvsDest, IpvsOp, IpvsService, IpvsTable, IpvsVirtual } from './types.js';

/** A table from services and their destinations (later duplicates replace earlier ones). */
export function tableOf(entries: Iterable<{ readonly service: IpvsService; readonly dests: Iterable<IpvsDest> }>): Map<string, IpvsVirtual> {
  const t = new Map<string, IpvsVirtual>();
  for (const e of entries) {
    const dests = new Map<string, IpvsDest>();
    for (const d of e.dests) dests.set(destId(d), d);
    t.set(serviceId(e.service.key), { service: e.service, dests });
  }
  return t;
}

/**
 * Applies the operations that succeeded (those whose index is not in `failed`) to `table` in
 * place (its destination maps too), as the kernel applied them; returns the same map.
 */
export function applyToTable(table: Map<string, IpvsVirtual>, ops: readonly IpvsOp[], failed: ReadonlySet<number> = new Set()): Map<string, IpvsVirtual> {
  ops.forEach((op, i) => {
    if (failed.has(i)) return;
    switch (op.type) {
      case 'NEW_SERVICE':
        table.set(serviceId(op.service.key), { service: op.service, dests: new Map() });
        return;
      case 'SET_SERVICE': {
        const id = serviceId(op.service.key);
        table.set(id, { service: op.service, dests: table.get(id)?.dests ?? new Map() });
        return;
      }
      case 'DEL_SERVICE':
        table.delete(serviceId(op.key));
        return;
      default: {
        const v = table.get(serviceId(op.key));
        if (!v) return;
        const dests = v.dests as Map<string, IpvsDest>;
        if (op.type === 'DEL_DEST') dests.delete(destId(op.dest));
        else dests.set(destId(op.dest), op.dest);
      }
    }
  });
  return table;
}

/** Number of destinations in a table. */
export function destCount(t: IpvsTable): number {
  let n = 0;
  for (const v of t.values()) n += v.dests.size;
  return n;
}
