/** A place in the original configuration files (1-based line and column). */
export interface Loc {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export const locString = (loc: Loc): string => `${loc.file}:${loc.line}:${loc.col}`;
