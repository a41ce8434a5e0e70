/** Logical lines (what the preprocessor yields) and the source files they came from. */
import { readFileSync } from 'node:fs';
import type { Loc } from './loc.js';

/**
 * One logical line: a keyword with its words, or a lone brace. A plain line (the reader's fast
 * path: words separated by blanks, no quote) keeps no column array: `cols` is the offset that
 * turns a place in `src` into its column, and a word's column is found again by scanning the
 * line when asked (most lines are never asked, or only for word 0 or 1).
 */
export class Line {
  private colArray: number[] | undefined;
  private readonly colBase: number;

  constructor(
    readonly words: readonly string[],
    /** 1-based column of each word in `file:line`, or (plain line) the column of src[0]. */
    cols: readonly number[] | number,
    readonly file: string,
    readonly line: number,
    private readonly src: string,
    private readonly start: number,
    private readonly end: number,
    /** Set when some word came from a "quoted string" (a quoted `{` is a word, not a brace). */
    readonly quoted?: boolean[],
    /** Plain line: where its first two words start in `src` (-1: not known), asked most. */
    private readonly at0 = -1,
    private readonly at1 = -1,
  ) {
    if (typeof cols === 'number') this.colBase = cols;
    else {
      this.colBase = 0;
      this.colArray = cols as number[];
    }
  }

  /** 1-based column of word `k` (of word 0 when there is no such word). */
  col(k = 0): number {
    const a = this.colArray;
    if (a) return a[k] ?? a[0] ?? 1;
    if (k === 0 && this.at0 !== -1) return this.at0 + this.colBase;
    if (k === 1 && this.at1 !== -1) return this.at1 + this.colBase;
    const src = this.src;
    let i = this.start;
    let found = -1;
    for (let w = 0; w <= k && i < this.end; w++) {
      while (i < this.end && (src.charCodeAt(i) === 32 || src.charCodeAt(i) === 9)) i++;
      if (i >= this.end) break;
      found = i;
      while (i < this.end && src.charCodeAt(i) !== 32 && src.charCodeAt(i) !== 9) i++;
    }
    if (found === -1 || k >= this.words.length) return k === 0 ? 1 : this.col(0);
    return found + this.colBase;
  }

  /** The column of every word. */
  get cols(): readonly number[] {
    return (this.colArray ??= this.words.map((_w, k) => this.col(k)));
  }

  /** The logical line's text after preprocessing (scripts re-split it with their own quoting). */
  get text(): string {
    return this.src.slice(this.start, this.end).trim();
  }

  /** The same line with other words (for handlers that re-read a line). */
  withWords(words: string[]): Line {
    return new Line(words, this.cols, this.file, this.line, this.src, this.start, this.end, this.quoted);
  }
}

/** The files read, by display path; their lines are read again only to print a diagnostic. */
export class SourceFiles {
  private readonly paths = new Map<string, string>();
  private readonly cache = new Map<string, string[]>();

  add(display: string, abs: string): void {
    this.paths.set(display, abs);
  }

  get(display: string): readonly string[] | undefined {
    const cached = this.cache.get(display);
    if (cached) return cached;
    const abs = this.paths.get(display);
    if (abs === undefined) return undefined;
    try {
      const lines = readFileSync(abs, 'latin1').split('\n');
      this.cache.set(display, lines);
      return lines;
    } catch {
      return undefined;
    }
  }
}

export const lineLoc = (l: Line, word = 0): Loc => ({ file: l.file, line: l.line, col: l.col(word) });
