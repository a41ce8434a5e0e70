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

/** A place as one small integer when it fits (line, column), else as a Loc. */
const pack = (file: string, line: number, col: number): number | Loc =>
  (line < MAX_PACKED_LINE && col < COLS ? line * COLS + col : { file, line, col });
const unpack = (file: string, at: number): Loc => ({ file, line: Math.floor(at / COLS), col: at % COLS });

/*
 * A node's own place, for the model's most numerous nodes (a real server and its checker):
 * its file and the line and column packed into one small integer, on symbols as the fields'
 * places are, and a Loc made when `loc` is read (a diagnostic, a dump). A Loc object each was a
 * fifth of a 100,000-server model: 10 MB to collect in `-t`, page faults in a reload.
 */
const NODE_FILE = Symbol('loc.file');
const NODE_AT = Symbol('loc.at');
type Packed = { [NODE_FILE]?: string; [NODE_AT]?: number | Loc };

/** Set a node's own place (once, in its constructor): a keyword line's word 0, or a Loc. */
export function packNodeLoc(node: object, where: Loc | { readonly file: string; readonly line: number; col(word: number): number }): void {
  const n = node as Packed;
  const col = typeof where.col === 'number' ? where.col : where.col(0);
  n[NODE_FILE] = where.file;
  n[NODE_AT] = pack(where.file, where.line, col);
}

/** The place packNodeLoc set, as a Loc. */
export function packedNodeLoc(node: object): Loc {
  const n = node as Packed;
  const at = n[NODE_AT]!;
  return typeof at === 'number' ? unpack(n[NODE_FILE]!, at) : at;
}

/** A node's file: the packed one, else its loc's (no Loc made for a packed node). */
const nodeFile = (n: WithLocs & Packed): string | undefined => n[NODE_FILE] ?? n.loc?.file;

/**
 * A packed node as JSON.stringify shows it: its own fields and `loc` (the `--print-config`
 * dump, and replacers that drop `loc`, see the same keys as for any other node).
 */
export function packedNodeJson(node: object): object {
  return { ...node, loc: packedNodeLoc(node) };
}

/** Remember where a field's value was written: a Loc, or a keyword line (its word 1). */
export function setFieldLoc(node: object, field: string, where: Loc | { readonly file: string; readonly line: number; col(word: number): number }): void {
  const n = node as WithLocs;
  const col = typeof where.col === 'number' ? where.col : where.col(1);
  // a place in another file than the node's (an include) keeps a Loc of its own
  n[fieldKey(field)] = where.file === nodeFile(n) ? pack(where.file, where.line, col) : { file: where.file, line: where.line, col };
}

/** Where a field's value was written, else the node's own loc. */
export function fieldLoc(node: object, field: string): Loc | undefined {
  const n = node as WithLocs;
  const w = n[fieldKey(field)];
  if (w === undefined) return n.loc;
  return typeof w === 'number' ? unpack(nodeFile(n)!, w) : w;
}

export const locString = (loc: Loc): string => `${loc.file}:${loc.line}:${loc.col}`;

/** Whether the configuration wrote this field (rather than a default or a completion filling it in). */
export function fieldWritten(node: object, field: string): boolean {
  return (node as WithLocs)[fieldKey(field)] !== undefined;
}
