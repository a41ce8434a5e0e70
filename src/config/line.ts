/** Logical lines (what the preprocessor yields) and the source files they came from. */
import { readFileSync } from 'node:fs';
import type { Loc } from './loc.js';

/** One logical line: a keyword with its words, or a lone brace. */
export class Line {
  constructor(
    readonly words: string[],
    /** 1-based column of each word in `file:line`. */
    readonly cols: number[],
    readonly file: string,
    readonly line: number,
    private readonly src: string,
    private readonly start: number,
    private readonly end: number,
    /** Set when some word came from a "quoted string" (a quoted `{` is a word, not a brace). */
    readonly quoted?: boolean[],
  ) {}

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

export const lineLoc = (l: Line, word = 0): Loc => ({ file: l.file, line: l.line, col: l.cols[word] ?? l.cols[0] ?? 1 });
