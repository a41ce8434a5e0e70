/**
 * Typed facade over the parser generated from grammar/keepalived.peggy.
 * Every function returns undefined when its rule does not match (never throws).
 */
import { parse as peggyParse } from './grammar.generated.js';

export interface DecommentResult {
  /** Text without comment, leading/trailing blanks; `\#`/`\!` resolved. */
  readonly text: string;
  /** 1-based column of text[0] in the physical line. */
  readonly col: number;
  /** The line ended with a backslash (multi-line $NAME= definitions). */
  readonly cont: boolean;
  /** A double quote was left open. */
  readonly unterminated: boolean;
}

export interface RawToken {
  readonly value: string;
  /** 0-based offset in the logical line's text. */
  readonly offset: number;
  readonly quoted: boolean;
  readonly unmatched?: boolean;
}

export interface DefinitionLine {
  readonly name: string;
  readonly value: string;
}

export interface ConditionalLine {
  readonly negate: boolean;
  readonly id: string;
  readonly rest: string;
}

export interface IncludeLine {
  readonly variant: '' | 'r' | 'm' | 'w' | 'b' | 'a';
  readonly pattern: string;
}

export interface SequenceLine {
  readonly hex: boolean;
  readonly name: string;
  readonly args: string;
  readonly rest: string;
}

export interface ListLine {
  readonly names: readonly string[];
  readonly sets: readonly (readonly string[])[];
  readonly rest: string;
}

type StartRule =
  | 'Decomment'
  | 'Tokens'
  | 'Definition'
  | 'Conditional'
  | 'Include'
  | 'Sequence'
  | 'SeqArgs'
  | 'List'
  | 'QuotedEscaped';

function run<T>(rule: StartRule, text: string): T | undefined {
  try {
    return peggyParse(text, { startRule: rule }) as T;
  } catch {
    return undefined;
  }
}

export const decommentLine = (raw: string): DecommentResult => run<DecommentResult>('Decomment', raw)!;
export const tokenizeLine = (text: string): RawToken[] => run<RawToken[]>('Tokens', text) ?? [];
export const parseDefinition = (text: string) => run<DefinitionLine>('Definition', text);
export const parseConditional = (text: string) => run<ConditionalLine>('Conditional', text);
export const parseInclude = (text: string) => run<IncludeLine>('Include', text);
export const parseSequence = (text: string) => run<SequenceLine>('Sequence', text);
export const parseSeqArgs = (text: string) => run<number[]>('SeqArgs', text);
export const parseList = (text: string) => run<ListLine>('List', text);
/** keepalived's quoted-and-escaped word splitting; undefined on an open quote. */
export const quotedEscapedWords = (text: string) => run<string[]>('QuotedEscaped', text);
