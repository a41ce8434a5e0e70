/** A place in the original configuration files (1-based line and column). */
export interface Loc {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/**
 * Where each field's value was written is kept on the node itself, under a symbol per field
 * name (so JSON dumps stay clean): a place in the node's own file packs into one small integer
 * (line, column), else a Loc. No object of its own: a big configuration has two nodes per real
 * server, and a map object for each was a sixth of the model's memory and of its collections.
 */
const FIELD_LOC_KEYS = new Map<string, symbol>();
const fieldKey = (field: string): symbol => {
  let k = FIELD_LOC_KEYS.get(field);
  if (k === undefined) FIELD_LOC_KEYS.set(field, (k = Symbol(`loc:${field}`)));
  return k;
};
type WithLocs = { [key: symbol]: number | Loc | undefined; loc?: Loc };
const COLS = 2048;
const MAX_PACKED_LINE = 2 ** 20;

/** Remember where a field's value was written: a Loc, or a keyword line (its word 1). */
export function setFieldLoc(node: object, field: string, where: Loc | { readonly file: string; readonly line: number; col(word: number): number }): void {
  const n = node as WithLocs;
  const col = typeof where.col === 'number' ? where.col : where.col(1);
  const packable = where.file === n.loc?.file && where.line < MAX_PACKED_LINE && col < COLS;
  n[fieldKey(field)] = packable ? where.line * COLS + col : { file: where.file, line: where.line, col };
}

/** Where a field's value was written, else the node's own loc. */
export function fieldLoc(node: object, field: string): Loc | undefined {
  const n = node as WithLocs;
  const w = n[fieldKey(field)];
  if (w === undefined) return n.loc;
  if (typeof w !== 'number') return w;
  return { file: n.loc!.file, line: Math.floor(w / COLS), col: w % COLS };
}

export const locString = (loc: Loc): string => `${loc.file}:${loc.line}:${loc.col}`;

/** Whether the configuration wrote this field (rather than a default or a completion filling it in). */
export function fieldWritten(node: object, field: string): boolean {
  return (node as WithLocs)[fieldKey(field)] !== undefined;
}
