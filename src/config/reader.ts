/**
 * The preprocessor: keepalived's read_line() as a pull reader. It turns the main file and
 * everything it includes into logical lines (one keyword line, or a lone `{` / `}`), with
 * `@id` conditionals, `$NAME` parameters, `~SEQ` / `~LST` repetition and `include` applied,
 * and every word mapped back to its file, line and column.
 */
import { ConfigFiles, INCLUDE_B, INCLUDE_M, INCLUDE_R, INCLUDE_W } from './config-files.js';
import { Diagnostics } from './diagnostics.js';
import { decomment, tokenize } from './lex.js';
import { parseConditional, parseDefinition, parseInclude, parseList, parseSeqArgs, parseSequence } from './grammar.js';
import { Line, SourceFiles } from './line.js';
import { Definitions, type Definition } from './params.js';

/** The most lines one ~SEQ may produce (a configuration with more is a mistake). */
const MAX_SEQ_LINES = 65_536;

export { Line, SourceFiles, lineLoc } from './line.js';
export { INCLUDE_B, INCLUDE_M, INCLUDE_R, INCLUDE_W } from './config-files.js';

interface Seq {
  readonly name: string;
  readonly text: string;
  readonly loc: SrcPos;
  next: number;
  readonly step: number;
  readonly last: number;
  readonly hex: boolean;
}

interface Lst {
  readonly names: readonly string[];
  readonly sets: readonly (readonly string[])[];
  readonly text: string;
  readonly loc: SrcPos;
  index: number;
}

interface SrcPos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** The text is not from this line (a multi-line $NAME's later lines): every word is at `col`. */
  readonly sticky?: boolean;
  /** The multi-line definitions whose expansion produced this text (to refuse recursion). */
  readonly via?: readonly Definition[];
}

const MAX_LINE = 1024;

/** The words of a lone brace (shared: a line's words are never changed). */
const OPEN: readonly string[] = Object.freeze(['{']);
const CLOSE: readonly string[] = Object.freeze(['}']);

/**
 * What skipPlainLines looks for: first the marks of a line that needs the preprocessor (a
 * trailing backslash counts even in a comment), then the two comment characters.
 */
const SKIP_MARKS = ['"', '\\', '$', '@', '~', '\r', 'include', '#', '!'];
const SKIP_NEEDS_READER = 7;
const at = (i: number, none: number): number => (i === -1 ? none : i);

/**
 * The first `n` words as an array of exactly that length: an array grown by push from empty
 * holds 17 slots, and a big configuration has a million lines.
 */
function exactWords(w: string[], n: number): string[] {
  switch (n) {
    case 1: return [w[0]!];
    case 2: return [w[0]!, w[1]!];
    case 3: return [w[0]!, w[1]!, w[2]!];
    default: return w.slice(0, n);
  }
}

export interface ReaderOptions {
  /** For `@id` lines and ${_INSTANCE}. */
  readonly configId: string;
  /** Paths are shown relative to this directory when below it (default: process.cwd()). */
  readonly displayBase?: string;
  /** `-e/--all-config`: every include check. */
  readonly allIncludeChecks?: boolean;
  readonly random?: () => number;
  /** Files an earlier pass of the same command read, by absolute path (ConfigFiles). */
  readonly readBefore?: Map<string, string>;
}

export class Reader {
  readonly diagnostics: Diagnostics;
  private readonly files: ConfigFiles;
  private readonly queue: Line[] = [];
  private queueHead = 0;
  private queueLen = 0;
  /** plainLine's words while it scans a line (copied out at the exact length). */
  private readonly scratch: string[] = [];
  private readonly defs: Definitions;
  private readonly seqs: (Seq | Lst)[] = [];
  private multilineQueue: { text: string; pos: SrcPos }[] = [];
  private multilineSeqDepth = 0;

  constructor(
    mainFile: string,
    private readonly options: ReaderOptions,
    diagnostics?: Diagnostics,
  ) {
    this.diagnostics = diagnostics ?? new Diagnostics();
    this.files = new ConfigFiles(this.diagnostics, options.displayBase ?? process.cwd(), options.readBefore);
    const random = options.random ?? Math.random;
    this.defs = new Definitions({
      pwd: () => this.files.top()?.dir ?? process.cwd(),
      instance: () => this.options.configId,
      random,
    });
    if (options.allIncludeChecks) this.includeCheck = INCLUDE_R | INCLUDE_M | INCLUDE_W | INCLUDE_B;
    this.files.openMain(mainFile);
  }

  /** Raw lines of every file read, by display path (for diagnostics). */
  get sources(): SourceFiles {
    return this.files.sources;
  }

  /** The reading ends (read to its end or given up): files still open are closed. */
  close(): void {
    this.files.closeAll();
  }

  /** The main file as diagnostics name it. */
  get mainDisplay(): string {
    return this.files.mainDisplay;
  }

  /** Set by `include_check` in global_defs. */
  get includeCheck(): number {
    return this.files.includeCheck;
  }

  set includeCheck(bits: number) {
    this.files.includeCheck = bits;
  }

  private enqueue(line: Line): void {
    this.queue[this.queueLen++] = line;
  }

  /** The next logical line, or undefined at the end of all input. */
  next(): Line | undefined {
    for (;;) {
      if (this.queueHead < this.queueLen) {
        const q = this.queue[this.queueHead++]!;
        if (this.queueHead === this.queueLen) {
          // the slots are written over by the next lines (emptying the array each time costs more)
          this.queueLen = 0;
          this.queueHead = 0;
        }
        return q;
      }
      if (this.plainLine()) continue;
      const src = this.nextText();
      if (!src) return undefined;
      this.process(src.text, src.pos);
    }
  }

  // ------------------------------------------------------------------ sources of text

  /**
   * The fast path for the common case: the next physical line of the current file holds only
   * words, braces and a comment (no quote, backslash, $, @, ~ or include). Such a line needs
   * none of the preprocessor; what it yields equals the general path's (lex.test.ts checks).
   */
  private plainLine(): boolean {
    if (this.defs.isCollecting || this.multilineQueue.length || this.seqs.length > this.multilineSeqDepth) return false;
    const file = this.files.top();
    if (!file || (file.pos >= file.content.length && !this.files.more(file))) return false;
    const src = file.content;
    const base = file.pos;
    let n = src.indexOf('\n', base);
    if (n === -1) n = src.length;
    if (n - base >= MAX_LINE) return false;
    // A trailing backslash counts even inside a comment (keepalived's decomment: `! c \` reads
    // as `\`), and the scan below stops at the comment: leave such lines to the general path.
    let last = n - 1;
    while (last >= base && src.charCodeAt(last) === 13) last--;
    if (last >= base && src.charCodeAt(last) === 92) return false;
    let i = base;
    while (i < n && (src.charCodeAt(i) === 32 || src.charCodeAt(i) === 9)) i++;
    const c0 = src.charCodeAt(i);
    if (i < n && (c0 === 64 /* @ */ || c0 === 126 /* ~ */ || (c0 === 105 /* i */ && src.startsWith('include', i)))) return false;
    // one pass: words and braces up to a comment; a quote, backslash, $ or CR before it sends
    // the line to the general path, and what was queued of it is dropped
    const lineNo = file.next + 1;
    const col0 = 1 - base;
    const display = file.display;
    const queued = this.queueLen;
    const scratch = this.scratch;
    let nw = 0;
    /** where the segment's first two words start */
    let at0 = -1;
    let at1 = -1;
    let segStart = i;
    let end = n;
    for (let j = i; j < n; ) {
      const c = src.charCodeAt(j);
      if (c === 32 || c === 9) {
        j++;
        continue;
      }
      if (c === 35 || c === 33) {
        end = j;
        break;
      }
      if (c === 123 || c === 125) {
        if (nw) this.enqueue(new Line(exactWords(scratch, nw), col0, display, lineNo, src, segStart, j, undefined, at0, nw > 1 ? at1 : -1));
        nw = 0;
        this.enqueue(new Line(c === 123 ? OPEN : CLOSE, col0, display, lineNo, src, j, j + 1, undefined, j));
        segStart = ++j;
        continue;
      }
      const start = j;
      while (j < n) {
        const d = src.charCodeAt(j);
        if (d === 32 || d === 9 || d === 123 || d === 125 || d === 35 || d === 33) break;
        if (d === 34 || d === 92 || d === 36 || d === 13) {
          this.queueLen = queued;
          return false;
        }
        j++;
      }
      if (nw === 0) at0 = start;
      else if (nw === 1) at1 = start;
      scratch[nw++] = src.slice(start, j);
    }
    file.pos = n + 1;
    file.next = lineNo;
    if (nw) this.enqueue(new Line(exactWords(scratch, nw), col0, display, lineNo, src, segStart, end, undefined, at0, nw > 1 ? at1 : -1));
    return true;
  }

  /**
   * Inside a block being skipped by counting braces (`open` of them open): pass over whole
   * plain lines (see plainLine) without making their Lines, counting their braces. Stops before
   * a line that needs the preprocessor, before one on which the count would reach 0 (left to
   * next(), which splits it), and at the end of the file. Returns the count after the lines
   * passed over. For reading that keeps no diagnostics of the skipped lines (loadIdentity).
   */
  skipPlainLines(open: number): number {
    if (this.queueHead < this.queueLen || this.defs.isCollecting || this.multilineQueue.length || this.seqs.length) return open;
    const file = this.files.top();
    if (!file) return open;
    const src = file.content;
    const len = src.length;
    const marks = (file.marks ??= SKIP_MARKS.map(() => -2));
    /** Where the next SKIP_MARKS[k] at or after `from` is (len when none); found once each. */
    const mark = (k: number, from: number): number => {
      let m = marks[k]!;
      if (m < from && m !== len) {
        m = src.indexOf(SKIP_MARKS[k]!, from);
        marks[k] = m = m === -1 ? len : m;
      }
      return m;
    };
    let count = open;
    let nextOpen = -1;
    let nextClose = -1;
    /** the next mark of any kind: lines before it need no look at the marks one by one */
    let nextMark = -1;
    for (;;) {
      const base = file.pos;
      if (base >= len) return count;
      let n = src.indexOf('\n', base);
      if (n === -1) n = len;
      if (n - base >= MAX_LINE) return count;
      if (nextMark < base) {
        nextMark = len;
        for (let k = 0; k < SKIP_MARKS.length; k++) nextMark = Math.min(nextMark, mark(k, base));
      }
      let end = n;
      if (nextMark < n) {
        // a line that needs the preprocessor (a quote, backslash, $, @, ~, CR, include) is left to next()
        for (let k = 0; k < SKIP_NEEDS_READER; k++) if (mark(k, base) < n) return count;
        end = Math.min(n, mark(SKIP_NEEDS_READER, base), mark(SKIP_NEEDS_READER + 1, base));
      }
      if (nextOpen < base) nextOpen = at(src.indexOf('{', base), len);
      if (nextClose < base) nextClose = at(src.indexOf('}', base), len);
      let lineCount = count;
      for (;;) {
        if (nextOpen < end && nextOpen < nextClose) {
          lineCount++;
          nextOpen = at(src.indexOf('{', nextOpen + 1), len);
        } else if (nextClose < end) {
          if (--lineCount <= 0) return count;
          nextClose = at(src.indexOf('}', nextClose + 1), len);
        } else break;
      }
      file.pos = n + 1;
      file.next++;
      count = lineCount;
    }
  }

  private nextText(): { text: string; pos: SrcPos } | undefined {
    for (;;) {
      const top = this.seqs[this.seqs.length - 1];
      if (top && this.seqs.length > this.multilineSeqDepth) return this.nextSeqText(top);
      if (this.multilineQueue.length) {
        const next = this.multilineQueue.shift()!;
        if (!this.multilineQueue.length) this.multilineSeqDepth = 0;
        return next;
      }
      const file = this.files.top();
      if (!file) return undefined;
      if (file.pos >= file.content.length && !this.files.more(file)) {
        this.files.endFile();
        continue;
      }
      let nl = file.content.indexOf('\n', file.pos);
      if (nl === -1) nl = file.content.length;
      let raw = file.content.slice(file.pos, nl);
      file.pos = nl + 1;
      const lineNo = ++file.next;
      if (raw.endsWith('\r')) raw = raw.replace(/\r+$/, '');
      if (raw.length === 0) {
        this.defs.stopCollecting();
        continue;
      }
      if (raw.length >= MAX_LINE) {
        this.diagnostics.add('CONFIG_SYNTAX', 'GENERAL_ERROR', `line too long (${raw.length} characters, keepalived reads at most ${MAX_LINE - 1}) - ignoring`, { file: file.display, line: lineNo, col: 1 });
        continue;
      }
      const d = decomment(raw);
      if (d.unterminated) {
        this.diagnostics.add('CONFIG_SYNTAX', 'GENERAL_ERROR', `unterminated quote in '${d.text}'`, { file: file.display, line: lineNo, col: d.col + d.text.indexOf('"') });
      }
      const text = d.cont ? `${d.text}\\` : d.text;
      if (text.length === 0) {
        // keepalived's processes read the parent's consolidated copy of the configuration, where
        // a line that is only a comment is written empty: it ends a multi-line definition there
        // row: parser.comment-ends-definition
        this.defs.stopCollecting();
        continue;
      }
      return { text, pos: { file: file.display, line: lineNo, col: d.col } };
    }
  }

  private nextSeqText(s: Seq | Lst): { text: string; pos: SrcPos } {
    if ('step' in s) {
      this.defs.set(s.name, s.hex ? s.next.toString(16) : String(s.next));
      const text = s.text;
      s.next += s.step;
      if ((s.step > 0 && s.next > s.last) || (s.step < 0 && s.next < s.last)) this.seqs.pop();
      return { text, pos: s.loc };
    }
    const set = s.sets[s.index]!;
    s.names.forEach((name, i) => this.defs.set(name, set[i] ?? ''));
    s.index++;
    if (s.index >= s.sets.length) this.seqs.pop();
    return { text: s.text, pos: s.loc };
  }

  // ------------------------------------------------------------------ one line of text

  private process(input: string, pos: SrcPos): void {
    let text = input;
    if (this.defs.isCollecting) {
      this.defs.continue(text);
      return;
    }
    // Column in pos.line of each character of `text`, once an `@id` prefix was removed or a
    // $NAME substituted (until then text[i] sits at pos.col + i): words keep their own column.
    let cols: number[] | undefined;
    const step = pos.sticky ? 0 : 1;
    const via = [...(pos.via ?? [])];
    const colAt = (i: number): number => (cols ? (cols[Math.min(i, cols.length - 1)] ?? pos.col) : pos.col + i * step);
    const mapped = (): number[] => (cols ??= Array.from(text, (_c, i) => pos.col + i * step));
    for (let guard = 0; guard < 64; guard++) {
      let recheck = false;
      if (text[0] === '@') {
        const c = parseConditional(text);
        if (!c || c.rest === '') return;
        const matches = c.id === this.options.configId;
        if (matches === c.negate) return;
        cols = mapped().slice(text.length - c.rest.length);
        text = c.rest;
      }
      if (text[0] === '$') {
        const def = parseDefinition(text);
        if (def) {
          this.defs.start(def.name, def.value);
          return;
        }
      }
      if (text.startsWith('~SEQ') || text.startsWith('~LST')) {
        if (text[1] === 'S') this.addSeq(text, { ...pos, col: colAt(0), via });
        else this.addLst(text, { ...pos, col: colAt(0), via });
        return;
      }
      if (text[0] === '~') break;
      if (this.defs.size && text.includes('$')) {
        const at = mapped();
        const replaced = this.replaceParams(text, pos, at, via);
        if (replaced === undefined) break;
        const d = decomment(replaced);
        cols = at.slice(d.col - 1);
        text = d.text;
        if (text[0] === '@' || text.includes('$')) recheck = true;
      }
      if (!recheck) break;
    }
    if (text.length === 0) return;
    if (/^include[rmwba]?[ \t]/.test(text)) {
      const inc = parseInclude(text);
      if (inc) {
        const pattern = inc.pattern.trim();
        this.files.include(inc.variant, pattern, { ...pos, col: colAt(Math.max(0, text.indexOf(pattern))) });
        return;
      }
    }
    this.emit(text, pos, colAt);
  }

  /** Tokenize and split at every brace (keepalived gives each brace a line of its own). */
  private emit(text: string, pos: SrcPos, colAt: (offset: number) => number = (i) => pos.col + i): void {
    const tokens = tokenize(text);
    let words: string[] = [];
    let cols: number[] = [];
    let quoted: boolean[] | undefined;
    let segStart = 0;
    const flush = (end: number) => {
      if (words.length) this.enqueue(new Line(words, cols, pos.file, pos.line, text, segStart, end, quoted));
      words = [];
      cols = [];
      quoted = undefined;
    };
    for (const t of tokens) {
      if (t.unmatched) {
        this.diagnostics.add('CONFIG_SYNTAX', 'UNMATCHED_QUOTE', `unmatched quote in '${text}'`, { file: pos.file, line: pos.line, col: colAt(t.offset) });
        break;
      }
      if (!t.quoted && (t.value === '{' || t.value === '}')) {
        flush(t.offset);
        this.enqueue(new Line([t.value], [colAt(t.offset)], pos.file, pos.line, text, t.offset, t.offset + 1));
        segStart = t.offset + 1;
        continue;
      }
      if (t.quoted) {
        quoted ??= words.map(() => false);
        quoted.push(true);
      } else if (quoted) quoted.push(false);
      words.push(t.value);
      cols.push(colAt(t.offset));
    }
    flush(text.length);
  }

  // ------------------------------------------------------------------ $NAME definitions

  /**
   * Returns the substituted text, or undefined if nothing was substituted. `cols` (the column
   * of each character) is kept in step: a substituted value takes the column of its `$`.
   * `via` lists the multi-line definitions being expanded; one used inside its own expansion
   * would repeat forever, so it is refused (and `via` grows with each expansion done here).
   */
  private replaceParams(text: string, pos: SrcPos, cols?: number[], via: Definition[] = []): string | undefined {
    let out = text;
    let found = false;
    let i = out.indexOf('$');
    let steps = 0;
    while (i !== -1 && i + 1 < out.length) {
      const m = this.defs.match(out, i);
      if (!m) {
        i = out.indexOf('$', i + 1);
        continue;
      }
      if (m.def.multiline && via.includes(m.def)) {
        const name = out.slice(i, m.end);
        this.diagnostics.add('CONFIG_VALUE', 'GENERAL_ERROR', `${name} is used inside its own multi-line definition - not expanded`, { file: pos.file, line: pos.line, col: cols?.[i] ?? pos.col });
        break;
      }
      found = true;
      if (++steps > 1000 || out.length > 16 * MAX_LINE) {
        this.diagnostics.add('CONFIG_VALUE', 'GENERAL_ERROR', 'parameter substitution would exceed the maximum line length', { file: pos.file, line: pos.line, col: cols?.[i] ?? pos.col });
        return undefined;
      }
      let value = m.def.fn ? m.def.fn(m.params) : m.def.value;
      if (m.def.multiline) {
        const lines = value.split('\n');
        value = lines[0] ?? '';
        via.push(m.def);
        const at: SrcPos = { file: pos.file, line: pos.line, col: cols?.[i] ?? pos.col, sticky: true, via: [...via] };
        this.multilineQueue = [...lines.slice(1).map((t) => ({ text: t, pos: at })), ...this.multilineQueue];
        this.multilineSeqDepth = this.seqs.length;
      }
      out = out.slice(0, i) + value + out.slice(m.end);
      if (cols) cols.splice(i, m.end - i, ...new Array<number>(value.length).fill(cols[i] ?? pos.col));
      if (value.trimStart().startsWith('~')) break;
    }
    return found ? out : undefined;
  }

  // ------------------------------------------------------------------ ~SEQ / ~LST

  private addSeq(text: string, pos: SrcPos): void {
    const seq = parseSequence(text);
    const bad = (why: string) => this.diagnostics.add('CONFIG_SYNTAX', 'GENERAL_ERROR', `${why} '${text}'`, pos);
    if (!seq) return bad('invalid ~SEQ specification');
    const args = parseSeqArgs(this.replaceParams(seq.args, pos) ?? seq.args);
    if (!args || args.length > 3) return bad('invalid ~SEQ definition');
    let start: number;
    let step: number;
    let end: number;
    if (args.length === 1) {
      end = args[0]!;
      step = end < 1 ? -1 : 1;
      start = end < 0 ? -1 : 1;
    } else if (args.length === 2) {
      [start, end] = args as [number, number];
      step = start <= end ? 1 : -1;
    } else {
      [start, step, end] = args as [number, number, number];
      if (!step || (start < end && step < 0) || (start > end && step > 0)) return bad('invalid ~SEQ values');
    }
    if (seq.hex && (start < 0 || end < 0)) return bad('~SEQx is only valid for positive numbers');
    // keepalived has no limit (4294967296 down to 12 runs for hours, in memory too): refused here
    const count = Math.floor((end - start) / step) + 1;
    if (count > MAX_SEQ_LINES) {
      this.diagnostics.add('CONFIG_SYNTAX', 'GENERAL_ERROR', `~SEQ would repeat its line ${count} times (more than ${MAX_SEQ_LINES}): not expanded '${text}'`, pos, { row: 'parser.seq-too-long' });
      return;
    }
    this.seqs.push({ name: seq.name, text: seq.rest, loc: restPos(text, seq.rest, pos), next: start, step, last: end, hex: seq.hex });
  }

  private addLst(text: string, pos: SrcPos): void {
    const lst = parseList(text);
    if (!lst || lst.sets.some((s) => s.length > lst.names.length)) {
      this.diagnostics.add('CONFIG_SYNTAX', 'GENERAL_ERROR', `invalid ~LST specification '${text}'`, pos);
      return;
    }
    this.seqs.push({ names: lst.names, sets: lst.sets, text: lst.rest, loc: restPos(text, lst.rest, pos), index: 0 });
  }
}

/** Where the repeated text of a `~SEQ(...) rest` / `~LST(...) rest` line starts. */
const restPos = (line: string, rest: string, pos: SrcPos): SrcPos => (pos.sticky ? pos : { ...pos, col: pos.col + line.length - rest.length });
