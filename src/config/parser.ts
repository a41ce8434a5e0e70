/**
 * keepalived's block processing (lib/parser.c process_stream) over the preprocessor's
 * logical lines, driven by keyword tables (src/config/keywords-*.ts). Handlers fill
 * draft objects; src/config/build.ts turns the drafts into the readonly model.
 */
import { Diagnostics, type KaClass } from './diagnostics.js';
import { ABORTS_WITHOUT_VALUE } from './missing-value.js';
import type { ErrorCode } from '../errors/index.js';
import type { Loc } from './loc.js';
import type { MachineView } from './validate.js';
import type { IpAddress } from '../util/ip.js';
import { lineLoc, type Line, type Reader } from './reader.js';
import { closestWord } from './suggest.js';

export type Draft = Record<string, unknown> & { loc?: Loc };

/** A model node being read: every field writable (a typed builder's draft starts from its model type). */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** Mutable, with its lists (optional ones too) growable arrays. */
export type Draftable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] | undefined ? E[] : T[K] };

/**
 * A keyword of a block whose draft is D; with a block of its own (`sub`), `open` makes the
 * draft C that block's keywords fill. Every table names its draft, derived from the model
 * node it becomes (GlobalDraft, VrrpDraft, VsDraft, BfdDraft, RootDraft, ...): a keyword that
 * writes a field its draft lacks, or a value of another type, does not compile. The block
 * processor below reads any table: to it a draft is the untyped Draft.
 */
export interface Keyword<D extends object = Draft, C extends object = Draft> {
  // methods, not function-valued fields: a keyword shared by blocks (Keyword<VrrpDraft |
  // SyncGroupDraft>) sits in either block's table, which needs the parameters compared both ways
  /** Called with the keyword line; may read a value block through ctx. */
  handler?(ctx: ParseCtx, line: Line, draft: D): void;
  /** A `{ ... }` block of its own keywords. `open` returns the draft its keywords fill. */
  readonly sub?: KeywordTable<C>;
  open?(ctx: ParseCtx, line: Line, parent: D): C | undefined;
  close?(ctx: ParseCtx, draft: C, parent: D): void;
}

export type KeywordTable<D extends object = Draft> = ReadonlyMap<string, Keyword<D>>;

/** The keywords of ABORTS_WITHOUT_VALUE, in any block (most one-word lines are none of them). */
const ABORTING_WORDS: ReadonlySet<string> = new Set([...ABORTS_WITHOUT_VALUE].map((k) => k.slice(k.indexOf('/') + 1)));

/** Keywords whose value is a command line (keepalived reads it from the raw line). */
const SCRIPT_KEYWORD = /^(notify\w*|script|misc_path|quorum_up|quorum_down|startup_script|shutdown_script)$/;

/** The keyword line has no value: nothing after the word, or an unterminated quote without a blank. */
function valueless(line: Line, word: string): boolean {
  const rest = line.text.slice(word.length).trim();
  return rest === '' || (/^"[^"\s]*$/.test(rest) && !SCRIPT_KEYWORD.test(word));
}

export class ParseCtx {
  private depth = 0;
  /** Open braces with the indentation of the line that opened them (for locating a missing '}'). */
  /** the open braces' lines (their place is made only for a diagnostic) */
  private readonly openLines: Line[] = [];
  private readonly openIndents: number[] = [];
  /** Braces that a less indented '}' skipped over: the likely unclosed ones. */
  private readonly suspects: Loc[] = [];
  /** The first logical line of the physical line being read (its indentation is the line's). */
  private physFirst: Line | undefined;
  private skip = 0;
  private lastLine: Line | undefined;
  /** The keywords of the blocks being read, outermost first. */
  private readonly blockPath: string[] = [];
  /** The drafts of the blocks being read, outermost first (the same places as blockPath). */
  private readonly draftPath: Draft[] = [];
  /** keepalived stopped reading here (a keyword without its value, lib/parser.c null_strvec). */
  private aborted = false;
  /** the named blocks read so far, by root list (vrrpScripts, trackFiles, ...) */
  private readonly named = new Map<string, Set<string>>();
  /** the inactive top-level keywords met (their blocks skipped unread) */
  readonly inactiveSeen = new Set<string>();
  /**
   * Real server addresses read so far, by their word: the same address in several virtual
   * servers (a pool behind ports 80 and 443) is one object, read once. An address is not
   * changed once read.
   */
  readonly realServerAddresses = new Map<string, IpAddress>();

  constructor(
    readonly reader: Reader,
    readonly diagnostics: Diagnostics,
    /** the machine's facts a keyword checks (CPU ids, a route's VRF), when the caller gives them */
    readonly machine?: Pick<MachineView, 'cpuCount' | 'writable' | 'interfaceExists' | 'isVrf' | 'resolvable' | 'resolve' | 'rtTableId'>,
    /**
     * Top-level keywords that this pass does not read (keepalived's inactive keywords, see
     * src/config/passes.ts): skipped by counting braces, as keepalived skips them.
     */
    private readonly inactive?: ReadonlySet<string>,
    /**
     * Read for running, not for `-t` (keepalived's CONFIG_TEST_BIT unset): some of keepalived's
     * number readers then take a bad number's numeric prefix (kw.ts argInt).
     */
    readonly runtime = false,
    /**
     * The top-level blocks of the process that does not run (-P: the checker's, -C: the VRRP
     * process's): a keyword without its value there stops that process's reading, not this
     * one's, which skips its keywords (keepalived's processes each read only their own).
     */
    private readonly otherProcess?: ReadonlySet<string>,
  ) {}

  /** The draft of the block around the one being read (a real server's virtual server). */
  enclosing(): Draft | undefined {
    return this.draftPath[this.draftPath.length - 2];
  }

  /** A named block (vrrp_script chk, ...) has been read: later references find it. */
  define(list: string, name: string): void {
    let names = this.named.get(list);
    if (!names) this.named.set(list, (names = new Set()));
    names.add(name);
  }

  /** A named block was read, and dropped at its end. */
  undefine(list: string, name: string): void {
    this.named.get(list)?.delete(name);
  }

  /**
   * Whether a named block was read before this point. keepalived resolves a track_script,
   * track_file or track_process entry when it reads it (vrrp_track.c alloc_track_script & co.),
   * so an object defined further down the file is not found.
   */
  defined(list: string, name: string): boolean {
    return this.named.get(list)?.has(name) ?? false;
  }

  /**
   * A handler of keepalived's reads the value without checking that it is there (lib/parser.c
   * null_strvec): the reading stops and -t exits 2, as for a keyword without its value. Not in
   * the other process's blocks (-P / -C), whose reading is not this one's.
   */
  missingValue(line: Line): void {
    if (this.otherProcess?.has(this.blockPath[0] ?? '')) return;
    this.abortMissing(line, line.words[0]!);
  }

  private abortMissing(line: Line, word: string): void {
    // keepalived exits 2 here and reads nothing more (lib/parser.c null_strvec)
    this.diagnostics.add('CONFIG_MISSING', 'MISSING_PARAMETER', `*** Configuration line starting \`${word}\` is missing a parameter after keyword \`${word}\` at word position 2`,
      lineLoc(line), { exitsWith: 2, row: 'parser.missing-value-abort' });
    this.aborted = true;
  }

  /** `extra`: a hint for the operator (a string), or the row of docs/semantics.md. */
  report(code: ErrorCode, kaClass: KaClass, message: string, loc?: Loc, extra?: string | { readonly hint?: string; readonly row?: string }): void {
    this.diagnostics.add(code, kaClass, message, loc ?? (this.lastLine && lineLoc(this.lastLine)), typeof extra === 'string' ? { hint: extra } : extra);
  }

  /**
   * Skipped blocks' plain lines are passed over without being made into Lines (Reader.
   * skipPlainLines): for a reading whose diagnostics are not kept (loadIdentity), since the
   * place of an unclosed brace in such lines is then not tracked.
   */
  skipWithoutLines = false;

  /** The next logical line, keeping keepalived's count of open braces. */
  nextLine(): Line | undefined {
    if (this.skipWithoutLines && this.skip > 0) {
      const after = this.reader.skipPlainLines(this.skip);
      this.depth += after - this.skip;
      this.skip = after;
    }
    const l = this.reader.next();
    if (!l) return undefined;
    const prev = this.lastLine;
    this.lastLine = l;
    if (!prev || prev.line !== l.line || prev.file !== l.file) this.physFirst = l;
    if (l.words.length === 1 && !l.quoted) {
      if (l.words[0] === '{') {
        this.depth++;
        this.openLines.push(l);
        this.openIndents.push(this.physFirst!.col(0));
      } else if (l.words[0] === '}') {
        if (this.depth < 1) {
          this.report('CONFIG_SYNTAX', 'UNEXPECTED_EOB', "extra '}' found", lineLoc(l));
          this.depth = 0;
        } else {
          this.depth--;
          this.closeBrace(this.physFirst!.col(0));
        }
      }
    }
    return l;
  }

  /**
   * keepalived only counts braces; to point at the brace that was never closed, a '}' is
   * matched with the open brace of the same indentation when there is one.
   */
  private closeBrace(indent: number): void {
    const indents = this.openIndents;
    let k = indents.length - 1;
    while (k > 0 && indents[k]! > indent && indents.lastIndexOf(indent, k - 1) !== -1) k--;
    if (k + 1 < indents.length) {
      for (const b of this.openLines.splice(k + 1)) this.suspects.push(lineLoc(b));
      indents.length = k + 1;
    }
    this.openLines.pop();
    indents.pop();
  }

  /** Run the whole input through the top-level table. */
  run(top: KeywordTable, root: Draft): void {
    try {
      this.processBlock(top, false, root, 0);
    } finally {
      // a reading that stopped early (a keyword without its value) leaves no file open
      this.reader.close();
    }
    if (this.depth > 0 && !this.aborted) {
      const open = this.openLines[this.openLines.length - 1];
      const first = this.suspects[0] ?? (open && lineLoc(open));
      this.report('CONFIG_SYNTAX', 'MISSING_EOB', `there ${this.depth === 1 ? "is 1 missing '}'" : `are ${this.depth} missing '}'s`} (block opened here is never closed)`, first);
    }
  }

  /** Returns true when the block ended inside a skipped sub-block (keepalived's ret_err). */
  private processBlock(table: KeywordTable, needBobIn: boolean, draft: Draft, level: number): boolean {
    let needBob = needBobIn;
    for (let line = this.nextLine(); line && !this.aborted; line = this.nextLine()) {
      const word = line.words[0]!;
      const brace = line.words.length === 1 && !line.quoted ? word : '';
      if (this.skip === -1) {
        if (brace === '{') {
          this.skip = 1;
          needBob = false;
          continue;
        }
        this.skip = 0;
      }
      if (this.skip) {
        if (brace === '{') this.skip++;
        else if (brace === '}') this.skip--;
        if (brace === '}' && this.skip === 0 && level > 0) return true;
        continue;
      }
      if (needBob) {
        needBob = false;
        if (brace === '{' && level > 0) continue;
        this.report('CONFIG_SYNTAX', 'MISSING_BOB', "missing '{' at the beginning of the block", lineLoc(line));
      } else if (brace === '{') {
        this.report('CONFIG_SYNTAX', 'UNEXPECTED_BOB', "unexpected '{' - ignoring", lineLoc(line));
        continue;
      }
      if (brace === '}' && level > 0) return false;
      const kw = table.get(word);
      if (!kw) {
        const suggestion = brace ? undefined : closestWord(word, table.keys());
        this.report('CONFIG_UNKNOWN_KEYWORD', 'UNKNOWN_KEYWORD', `unknown keyword '${word}'`, lineLoc(line), suggestion ? `did you mean '${suggestion}'?` : undefined);
        continue;
      }
      if (level === 0 && this.inactive?.has(word)) {
        // keepalived's inactive keyword (it has no keywords of its own in that process): a '{'
        // on the next line starts a block skipped by counting braces, whatever is in it;
        // anything else is read at this level again
        this.inactiveSeen.add(word);
        this.skip = -1;
        continue;
      }
      // A keyword keepalived reads its value for without checking that it is there (the value
      // is missing, or is an unterminated quote without a blank, which keepalived drops; not a
      // script keyword's, whose command it reads from the raw line)
      if (line.words.length === 1 && ABORTING_WORDS.has(word) && ABORTS_WITHOUT_VALUE.has(`${this.blockPath.at(-1) ?? '-'}/${word}`) && valueless(line, word)) {
        if (this.otherProcess?.has(this.blockPath[0] ?? '')) {
          // row: parser.missing-value-other-process
          if (kw.sub) this.skip = -1;
          return false;
        }
        this.abortMissing(line, word);
        return false;
      }
      kw.handler?.(this, line, draft);
      if (kw.sub) {
        // A block whose opening handler refuses it is skipped as a whole, as keepalived's
        // skip_block() does: its closing brace ends the skipped block, not this one.
        const child = kw.open ? kw.open(this, line, draft) : draft;
        if (!child) this.skip = -1;
        this.blockPath.push(word);
        this.draftPath.push(child ?? {});
        const skipped = this.processBlock(kw.sub, true, child ?? {}, level + 1);
        this.blockPath.pop();
        this.draftPath.pop();
        if (!skipped && child) kw.close?.(this, child, draft);
      }
    }
    return false;
  }

  /** Skip the `{ ... }` block that follows the current keyword line, if there is one. */
  skipBlock(): void {
    this.skip = -1;
  }

  /**
   * keepalived's alloc_value_block: every line up to the closing brace is one entry.
   * Returns the entry lines (braces removed).
   */
  readValueBlock(line: Line): Line[] {
    if (line.words.length > 1) {
      this.report('CONFIG_SYNTAX', 'GENERAL_ERROR', `block ${line.words[0]} has extra parameters ${line.words[1]} ...`, lineLoc(line, 1));
    }
    const entries: Line[] = [];
    let needBob = true;
    for (let l = this.nextLine(); l; l = this.nextLine()) {
      const brace = l.words.length === 1 && !l.quoted ? l.words[0] : '';
      if (needBob) {
        needBob = false;
        if (brace === '{') continue;
        this.report('CONFIG_SYNTAX', 'OK', `'{' missing from the beginning of block ${line.words[0]}`, lineLoc(l));
      }
      if (brace === '}') break;
      entries.push(l);
    }
    return entries;
  }
}
