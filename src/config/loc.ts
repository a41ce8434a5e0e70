/** A place in the original configuration files (1-based line and column). */
export interface Loc {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

const FIELD_LOCS = Symbol('fieldLocs');
type WithLocs = { [FIELD_LOCS]?: Record<string, number | Loc>; loc?: Loc };
const COLS = 2048;
const MAX_PACKED_LINE = 2 ** 20;

/**
 * Remember where a field's value was written: a Loc, or a keyword line (its word 1). Kept
 * under a symbol so JSON dumps stay clean; a place in the node's own file packs into one small
 * integer (line, column), so big configs stay small in memory and cheap to collect.
 */
export function setFieldLoc(node: object, field: string, where: Loc | { readonly file: string; readonly line: number; readonly cols: readonly number[] }): void {
  const n = node as WithLocs;
  const col = 'col' in where ? where.col : (where.cols[where.cols.length > 1 ? 1 : 0] ?? 1);
  const packable = where.file === n.loc?.file && where.line < MAX_PACKED_LINE && col < COLS;
  (n[FIELD_LOCS] ??= {})[field] = packable ? where.line * COLS + col : { file: where.file, line: where.line, col };
}

/** Where a field's value was written, else the node's own loc. */
export function fieldLoc(node: object, field: string): Loc | undefined {
  const n = node as WithLocs;
  const w = n[FIELD_LOCS]?.[field];
  if (w === undefined) return n.loc;
  if (typeof w !== 'number') return w;
  return { file: n.loc!.file, line: Math.floor(w / COLS), col: w % COLS };
}

export const locString = (loc: Loc): string => `${loc.file}:${loc.line}:${loc.col}`;

/** Whether the configuration wrote this field (rather than a default or a completion filling it in). */
export function fieldWritten(node: object, field: string): boolean {
  return (node as WithLocs)[FIELD_LOCS]?.[field] !== undefined;
}
