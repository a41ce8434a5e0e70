/**
 * Answers a master's Get / GetNext / GetBulk from a MIB given as varbinds sorted by OID
 * (RFC 2741 §7.2.3): Get wants the exact instance, GetNext the first instance after the
 * search range's start (at it, when `include`) and before its end, GetBulk GetNext repeated.
 * Pure: the caller builds the MIB view once per request.
 */
import { compareOid, type Oid, type SearchRange, type Varbind } from './agentx.js';

/** Index of the first varbind whose OID is > `oid` (>= when `include`). */
function firstAfter(mib: readonly Varbind[], oid: Oid, include: boolean): number {
  let lo = 0;
  let hi = mib.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareOid(mib[mid]!.oid, oid);
    if (c < 0 || (c === 0 && !include)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function get(mib: readonly Varbind[], r: SearchRange): Varbind {
  const i = firstAfter(mib, r.start, true);
  const v = mib[i];
  if (v && compareOid(v.oid, r.start) === 0) return v;
  // an OID beside instances we serve (same parent: a column without this row): noSuchInstance;
  // else noSuchObject. A guess without the MIB's object definitions; either ends a Get.
  const column = r.start.slice(0, -1);
  const near = (w: Varbind | undefined): boolean => w !== undefined && column.length > 0 && compareOid(w.oid.slice(0, column.length), column) === 0;
  const known = near(v) || near(mib[i - 1]);
  return { oid: r.start, value: { type: known ? 'noSuchInstance' : 'noSuchObject' } };
}

export function getNext(mib: readonly Varbind[], r: SearchRange): Varbind {
  const v = mib[firstAfter(mib, r.start, r.include)];
  if (v && (r.end.length === 0 || compareOid(v.oid, r.end) < 0)) return v;
  return { oid: r.start, value: { type: 'endOfMibView' } };
}

/** GetBulk: the non-repeaters once, then the repeaters row by row (RFC 2741 §7.2.3.2). */
export function getBulk(mib: readonly Varbind[], nonRepeaters: number, maxRepetitions: number, ranges: readonly SearchRange[], limit = 1000): Varbind[] {
  const out: Varbind[] = [];
  const n = Math.min(nonRepeaters, ranges.length);
  for (let i = 0; i < n; i++) out.push(getNext(mib, ranges[i]!));
  const rep: { start: Oid; include: boolean; end: Oid }[] = ranges.slice(n).map((r) => ({ start: r.start, include: r.include, end: r.end }));
  for (let k = 0; k < maxRepetitions && rep.length > 0 && out.length < limit; k++) {
    let allEnd = true;
    for (const r of rep) {
      const v = getNext(mib, r);
      out.push(v);
      if (v.value.type !== 'endOfMibView') {
        allEnd = false;
        r.start = v.oid;
        r.include = false;
      }
    }
    if (allEnd) break;
  }
  return out;
}
