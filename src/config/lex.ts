/**
 * Line lexing: the grammar's Decomment and Tokens rules, with a fast path for plain lines
 * (no double quote, no backslash), which are most of any real config. The fast path must
 * give exactly what the grammar gives; test/unit/config/lex.test.ts checks that.
 */
import { decommentLine, tokenizeLine, type DecommentResult, type RawToken } from './grammar.js';

const NEEDS_GRAMMAR = /["\\]/;

export function decomment(raw: string): DecommentResult {
  if (NEEDS_GRAMMAR.test(raw)) return decommentLine(raw);
  let start = 0;
  while (start < raw.length && (raw[start] === ' ' || raw[start] === '\t')) start++;
  let end = raw.length;
  for (let i = start; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 35 /* # */ || c === 33 /* ! */) {
      end = i;
      break;
    }
  }
  while (end > start && (raw[end - 1] === ' ' || raw[end - 1] === '\t')) end--;
  return { text: raw.slice(start, end), col: start + 1, cont: false, unterminated: false };
}

export function tokenize(text: string): RawToken[] {
  if (text.includes('"')) return tokenizeLine(text);
  const out: RawToken[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    if (c === 123 || c === 125) {
      out.push({ value: c === 123 ? '{' : '}', offset: i, quoted: false });
      i++;
      continue;
    }
    const start = i;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === 32 || d === 9 || d === 123 || d === 125) break;
      i++;
    }
    out.push({ value: text.slice(start, i), offset: start, quoted: false });
  }
  return out;
}
