/** A place in the original configuration files (1-based line and column). */
export interface Loc {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

const FIELD_LOCS = Symbol('fieldLocs');
type WithLocs = { [FIELD_LOCS]?: Record<string, number | Loc> };

/** File names by index, so a field's place packs into one number (file, line, column). */
const files: string[] = [];
const fileIndex = new Map<string, number>();
const LINE_BITS = 2 ** 22;
const COL_BITS = 2 ** 11;

function pack(file: string, line: number, col: number): number | Loc {
  let f = fileIndex.get(file);
  if (f === undefined) {
    f = files.push(file) - 1;
    fileIndex.set(file, f);
  }
  if (line >= LINE_BITS || col >= COL_BITS || f >= 2 ** 20) return { file, line, col };
  return (f * LINE_BITS + line) * COL_BITS + col;
}

function unpack(v: number): Loc {
  const col = v % COL_BITS;
  const rest = (v - col) / COL_BITS;
  const line = rest % LINE_BITS;
  return { file: files[(rest - line) / LINE_BITS]!, line, col };
}

/**
 * Remember where a field's value was written: a Loc, or a keyword line (its word 1). Kept
 * packed under a symbol, so JSON dumps stay clean and big configs stay small in memory.
 */
export function setFieldLoc(node: object, field: string, where: Loc | { readonly file: string; readonly line: number; readonly cols: readonly number[] }): void {
  const n = node as WithLocs;
  const col = 'col' in where ? where.col : (where.cols[where.cols.length > 1 ? 1 : 0] ?? 1);
  (n[FIELD_LOCS] ??= {})[field] = pack(where.file, where.line, col);
}

/** Where a field's value was written, else the node's own loc. */
export function fieldLoc(node: object, field: string): Loc | undefined {
  const w = (node as WithLocs)[FIELD_LOCS]?.[field];
  if (w === undefined) return (node as { loc?: Loc }).loc;
  return typeof w === 'number' ? unpack(w) : w;
}

export const locString = (loc: Loc): string => `${loc.file}:${loc.line}:${loc.col}`;
