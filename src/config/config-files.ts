/**
 * The files a configuration is read from: the main file, then each `include` as keepalived
 * opens it (lib/parser.c): variants r / m / w / b / a and `include_check` decide which problems
 * are fatal, a glob's matches are read one after the other, and anything that is not a regular
 * non-executable file is skipped. The reader (reader.ts) pulls its lines from `top()`.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve, relative, isAbsolute } from 'node:path';
import type { Diagnostics } from './diagnostics.js';
import { glob } from './glob.js';
import { SourceFiles } from './line.js';
import type { Loc } from './loc.js';

/** include variants (lib/parser.h include_t). */
export const INCLUDE_R = 1;
export const INCLUDE_M = 2;
export const INCLUDE_W = 4;
export const INCLUDE_B = 8;

/**
 * A file up to this size is read at once; a larger one a piece of about this size at a time,
 * each piece whole lines (keepalived reads a line at a time). A 17 MB file held whole was a
 * seventh of `-t`'s peak RSS. A piece this small is a young string, done with before it would
 * be promoted, so a scavenge frees it: 2 MB pieces, kept off the heap, were promoted while
 * their lines were read and waited for a full collection (-t at 100,000 real servers: peak RSS
 * 123 MB whole, 118 MB in 2 MB pieces, 105 MB in these).
 */
const PIECE = 64 * 1024;

export interface OpenFile {
  readonly display: string;
  readonly dir: string;
  /** The file, or the piece of it being read (whole lines); lines are cut from it as they are read. */
  content: string;
  /** Offset of the next line in `content`. */
  pos: number;
  /**
   * What is left of a file read a piece at a time (ConfigFiles.more): its descriptor, open
   * until its end or the end of the reading (closeAll), and where the next piece starts.
   */
  rest?: { readonly fd: number; offset: number };
  /** Lines read so far (the number of the last one). */
  next: number;
  /** Remaining glob matches of the include that opened this file. */
  readonly pending: string[];
  readonly includeFlags: number;
  readonly savedIncludeCheck: number;
  /** Where the reader's skipping last found each character it looks for (Reader.skipPlainLines). */
  marks?: number[];
}

export class ConfigFiles {
  /** Raw lines of every file read, by display path (for diagnostics). */
  readonly sources = new SourceFiles();
  /** The main file as diagnostics name it. */
  mainDisplay = '';
  /** Set by `include_check` in global_defs (or -e); restored when an include ends. */
  includeCheck = 0;
  private readonly stack: OpenFile[] = [];

  constructor(
    private readonly diagnostics: Diagnostics,
    private readonly displayBase: string,
    /**
     * Files already read by the caller's earlier pass (the command reads the main file for its
     * identity, then at once again to load it), by absolute path; filled as files are read
     * (those read at once: a larger one is read again, a piece at a time).
     */
    private readonly readBefore?: Map<string, string>,
  ) {}

  /** The file being read (undefined at the end of all input). */
  top(): OpenFile | undefined {
    return this.stack[this.stack.length - 1];
  }

  private display(path: string): string {
    const rel = relative(this.displayBase, path);
    return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
  }

  /** Opens the main file (a problem with it is CONFIG_FILE). */
  openMain(path: string): void {
    const abs = resolve(path);
    this.mainDisplay = this.display(abs);
    const read = this.readContent(abs, path, INCLUDE_R | INCLUDE_M, undefined);
    if (read === undefined) return;
    this.stack.push({ display: this.display(abs), dir: dirname(abs), ...read, pos: 0, next: 0, pending: [], includeFlags: INCLUDE_R | INCLUDE_M, savedIncludeCheck: this.includeCheck });
  }

  /**
   * The file read a piece at a time: the next piece into `content` (false at its end). The
   * pieces come from the file as it was opened, as keepalived's reading of an open file: one
   * replaced meanwhile (a deployment's rename) is not mixed in.
   */
  more(file: OpenFile): boolean {
    const rest = file.rest;
    if (!rest) return false;
    let piece: { text: string; next: number | undefined };
    try {
      piece = readPiece(rest.fd, rest.offset);
    } catch {
      // a read error at this point ends the file, as it ends keepalived's fgets
      piece = { text: '', next: undefined };
    }
    file.content = piece.text;
    file.pos = 0;
    file.marks = undefined;
    if (piece.next === undefined) {
      closeSync(rest.fd);
      file.rest = undefined;
    } else rest.offset = piece.next;
    return piece.text.length > 0;
  }

  /** The reading ends (read to its end or given up): the descriptors still open are closed. */
  closeAll(): void {
    for (const f of this.stack) {
      if (!f.rest) continue;
      closeSync(f.rest.fd);
      f.rest = undefined;
    }
  }

  private readContent(abs: string, shown: string, flags: number, pos: Loc | undefined): Pick<OpenFile, 'content' | 'rest'> | undefined {
    try {
      const st = statSync(abs);
      if (!st.isFile() || (st.mode & 0o111) !== 0) {
        this.fileError(flags, INCLUDE_R, `configuration file '${shown}' is not a regular non-executable file - skipping`, pos);
        return undefined;
      }
      this.sources.add(this.display(abs), abs);
      const before = this.readBefore?.get(abs);
      if (before !== undefined) return { content: before };
      const fd = openSync(abs, 'r');
      let piece: { text: string; next: number | undefined };
      try {
        piece = readPiece(fd, 0);
      } catch (e) {
        closeSync(fd);
        throw e;
      }
      if (piece.next !== undefined) return { content: piece.text, rest: { fd, offset: piece.next } };
      closeSync(fd);
      this.readBefore?.set(abs, piece.text);
      return { content: piece.text };
    } catch (e) {
      this.fileError(flags, INCLUDE_R, `cannot read configuration file '${shown}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`, pos);
      return undefined;
    }
  }

  private fileError(flags: number, kind: number, message: string, pos: Loc | undefined): void {
    const fatal = ((this.includeCheck | flags) & kind) !== 0;
    this.diagnostics.add(pos ? 'CONFIG_INCLUDE' : 'CONFIG_FILE', fatal ? 'FILE_NOT_FOUND' : 'OK', message, pos, fatal ? { noConfig: true } : undefined);
  }

  /** `include` (variant '' / r / m / w / b / a): opens the first readable match. */
  include(variant: string, pattern: string, pos: Loc): void {
    const flags =
      variant === 'r' ? INCLUDE_R
      : variant === 'a' ? INCLUDE_R | INCLUDE_M | INCLUDE_B | INCLUDE_W
      : variant === 'w' ? INCLUDE_R | INCLUDE_M | INCLUDE_W
      : variant === 'm' ? INCLUDE_R | INCLUDE_M
      : variant === 'b' ? INCLUDE_R | INCLUDE_B
      : 0;
    const cwd = this.top()?.dir ?? process.cwd();
    const g = glob(pattern, cwd);
    const braces = /(^|[^\\])\{/.test(pattern);
    if (g.paths.length === 0) {
      if (g.missing) this.fileError(flags, braces ? INCLUDE_B : INCLUDE_M, `config files missing '${pattern}'`, pos);
      else if (g.wildcards && ((this.includeCheck | flags) & INCLUDE_W)) this.fileError(flags, INCLUDE_W, `no config files matched '${pattern}'`, pos);
      else this.diagnostics.add('CONFIG_INCLUDE', 'OK', `no config files matched '${pattern}'`, pos);
      return;
    }
    if (g.missing) {
      this.fileError(flags, INCLUDE_B, `some config files missing: '${pattern}'`, pos);
      if ((this.includeCheck | flags) & INCLUDE_B) return;
    }
    const paths = g.paths.map((p) => resolve(cwd, p));
    this.openNext(paths, flags, pos);
  }

  private openNext(paths: string[], flags: number, pos: Loc | undefined): boolean {
    const saved = this.includeCheck;
    while (paths.length) {
      const abs = paths.shift()!;
      if (abs.endsWith('/')) {
        this.fileError(flags, INCLUDE_R, `configuration file '${this.display(abs)}' is a directory - skipping`, pos);
        continue;
      }
      const read = this.readContent(abs, this.display(abs), flags, pos);
      if (read === undefined) continue;
      this.stack.push({ display: this.display(abs), dir: dirname(abs), ...read, pos: 0, next: 0, pending: paths, includeFlags: flags, savedIncludeCheck: saved });
      return true;
    }
    return false;
  }

  /** The file on top is read to its end: back to the one that included it, or its next match. */
  endFile(): void {
    const f = this.stack.pop()!;
    if (f.rest) closeSync(f.rest.fd);
    this.includeCheck = f.savedIncludeCheck;
    if (f.pending.length) this.openNext(f.pending, f.includeFlags, undefined);
  }
}

/** Read by readPiece, and reused: its text is copied out. */
let pieceBuf: Buffer | undefined;

/**
 * The whole lines of the file from byte `offset` on, up to about PIECE bytes (at least one line
 * however long), as Latin-1 text; `next`: where the rest starts, undefined at the file's end.
 */
function readPiece(fd: number, offset: number): { text: string; next: number | undefined } {
  let buf = (pieceBuf ??= Buffer.allocUnsafe(PIECE));
  let len = 0;
  for (;;) {
    len = fill(fd, buf, len, offset);
    if (len < buf.length) return { text: buf.toString('latin1', 0, len), next: undefined };
    const nl = buf.lastIndexOf(10, len - 1);
    if (nl !== -1) return { text: buf.toString('latin1', 0, nl + 1), next: offset + nl + 1 };
    // one line longer than the buffer: a larger one, kept for the next piece
    const larger = Buffer.allocUnsafe(buf.length * 2);
    buf.copy(larger, 0, 0, len);
    buf = pieceBuf = larger;
  }
}

/**
 * Whether `test` finds something in some window of the file's bytes (windows of 1 MB that
 * overlap by `overlap` bytes, so a match that short is whole in one of them); true when the file
 * cannot be read (the reading says why). A search before the file is read: no buffer the size
 * of the file is made (at 17 MB its pages cost more than the search).
 */
export function fileHas(path: string, overlap: number, test: (window: Buffer) => boolean): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return true;
  }
  try {
    const buf = (windowBuf ??= Buffer.allocUnsafe(1 << 20));
    for (let offset = 0; ; ) {
      const len = fill(fd, buf, 0, offset);
      if (len > 0 && test(buf.subarray(0, len))) return true;
      if (len < buf.length) return false;
      offset += len - overlap;
    }
  } catch {
    return true;
  } finally {
    closeSync(fd);
  }
}

let windowBuf: Buffer | undefined;

/**
 * `buf` from byte `from` on filled with the file's bytes from `offset + from`, up to its end or
 * the file's; returns how many bytes `buf` then holds.
 */
function fill(fd: number, buf: Buffer, from: number, offset: number): number {
  let len = from;
  for (let n = -1; n !== 0 && len < buf.length; len += n) n = readSync(fd, buf, len, buf.length - len, offset + len);
  return len;
}
