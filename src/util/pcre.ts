/**
 * HTTP_GET / SSL_GET `regex` as keepalived matches it with PCRE2 (check_http.c), on JavaScript's
 * RegExp: there is no maintained PCRE2 binding for Node. The pattern is translated where PCRE2
 * and JavaScript spell the same thing differently, and every construct that cannot be matched
 * the same way is named (pcreDifferences), so that `-t` and the start say so.
 *
 * Translated: `\A`, `\z`, `\Z`, PCRE2's `$` (it also matches before a final newline, unless
 * dollar_endonly or multiline), `(?P<name>` / `(?P=name)`, POSIX classes (`[[:digit:]]`),
 * leading option settings (`(?i)`, `(?s)`, `(?m)`, `(?x)`), `\h`, `\R`, the `extended` option
 * (white space and # comments dropped). Options: caseless, multiline, dotall, extended, utf
 * (the body is read as UTF-8 and the pattern with JavaScript's `u` flag; otherwise byte per
 * character, as PCRE2 without utf), firstline, dollar_endonly; the others change nothing a
 * JavaScript match would show, but ungreedy, which is named. The body is matched whole: a
 * match must start at regex_min_offset or later and before regex_max_offset (keepalived:
 * start_offset and PCRE2's offset limit), lookbehind may see before it.
 */
import { err, ok, type Result } from './result.js';

export interface RegexSpec {
  readonly pattern: string;
  /** regex_options words */
  readonly options: readonly string[];
  /** regex_min_offset: the first position a match may start at */
  readonly minOffset?: number;
  /** regex_max_offset: the last position a match may start at */
  readonly maxOffset?: number;
}

export interface CompiledRegex {
  /** Whether `body` matches, as keepalived's check would find it. */
  test(body: Uint8Array): boolean;
}

/** PCRE2 option words keepalived accepts whose effect a JavaScript match shows the same without them. */
const NO_EFFECT = new Set([
  'allow_empty_class', 'alt_bsux', 'auto_callout', 'dupnames', 'match_unset_backref', 'never_ucp', 'never_utf',
  'no_auto_capture', 'no_auto_possess', 'no_dotstar_anchor', 'no_start_optimize', 'ucp', 'never_backslash_c',
  'alt_circumflex', 'alt_verbnames', 'use_offset_limit',
]);

/** Constructs of PCRE2 that a JavaScript RegExp cannot match the same way, with how to spot them. */
const UNSUPPORTED: readonly [RegExp, string][] = [
  [/[*+?}]\+/, 'a possessive quantifier'],
  [/\(\?>/, 'an atomic group (?>...)'],
  [/\\Q/, '\\Q...\\E quoting'],
  [/\\[GKXN]|\\v/, 'an escape JavaScript does not know the same way (\\G, \\K, \\X, \\N, \\v)'],
  [/\(\?(?:R|[+-]?\d|&|P>)/, 'a recursion or subroutine call'],
  [/\(\?\(/, 'a conditional group'],
  [/\(\*[A-Z]/, 'a backtracking verb or start-of-pattern option'],
  [/\\[xo]\{|\\e|\\c/, 'a \\x{...}, \\o{...}, \\e or \\c escape'],
  [/\\[pP]/, 'a Unicode property (\\p, \\P)'],
  [/.\(\?[imsxnJU-]+\)/, 'an option setting inside the pattern'],
  [/\(\?[imsxnJU-]+:/, 'an option-setting group (?i:...)'],
  [/\(\?#/, 'a (?#...) comment'],
];

/** Why this pattern (with these options) may not match as PCRE2 would; empty when it will. */
export function pcreDifferences(pattern: string, options: readonly string[]): string[] {
  const out: string[] = [];
  const body = stripLeadingOptions(pattern).rest;
  for (const [re, what] of UNSUPPORTED) if (re.test(body)) out.push(what);
  if (options.includes('ungreedy') || /^\(\?[a-z]*U/.test(pattern)) out.push('the ungreedy option');
  return out;
}

/** `(?i)`, `(?ms)` ... at the very start: PCRE2 options for the whole pattern. */
function stripLeadingOptions(pattern: string): { flags: string; rest: string } {
  let flags = '';
  let rest = pattern;
  for (;;) {
    const m = /^\(\?([imsx]+)\)/.exec(rest);
    if (!m) break;
    flags += m[1];
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

const POSIX: Readonly<Record<string, string>> = {
  alnum: 'a-zA-Z0-9', alpha: 'a-zA-Z', ascii: '\\x00-\\x7f', blank: ' \\t', cntrl: '\\x00-\\x1f\\x7f', digit: '0-9',
  graph: '\\x21-\\x7e', lower: 'a-z', print: '\\x20-\\x7e', punct: '!-\\/:-@\\[-`{-~', space: ' \\t\\n\\r\\f\\v',
  upper: 'A-Z', word: '\\w', xdigit: '0-9A-Fa-f',
};

/**
 * The pattern in JavaScript's spelling. `extended` drops white space and # comments outside
 * classes; `dollarEnd` keeps `$` as the end only.
 */
export function translatePattern(pattern: string, o: { extended: boolean; dollarEnd: boolean }): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1] ?? '';
      i++;
      if (!inClass && n === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && n === 'z') out += '(?![\\s\\S])';
      else if (!inClass && n === 'Z') out += '(?=\\n?(?![\\s\\S]))';
      else if (n === 'h') out += inClass ? ' \\t\\xa0' : '[ \\t\\xa0]';
      else if (!inClass && n === 'R') out += '(?:\\r\\n|[\\n\\x0b\\f\\r\\x85])';
      else out += c + n;
      continue;
    }
    if (inClass) {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(i));
      if (posix && POSIX[posix[2]!] !== undefined && posix[1] === '') {
        out += POSIX[posix[2]!];
        i += posix[0].length - 1;
        continue;
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // a ] first in a class is a literal in PCRE2
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (o.extended && /\s/.test(c)) continue;
    if (o.extended && c === '#') {
      while (i < pattern.length && pattern[i] !== '\n') i++;
      continue;
    }
    if (c === '$' && !o.dollarEnd) {
      out += '(?=\\n?(?![\\s\\S]))';
      continue;
    }
    if (pattern.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    const backref = /^\(\?P=(\w+)\)/.exec(pattern.slice(i));
    if (backref) {
      out += `\\k<${backref[1]}>`;
      i += backref[0].length - 1;
      continue;
    }
    out += c;
  }
  return out;
}

/** Compiles `spec` for the checker; an error is the pattern's (JavaScript's message). */
export function compileRegex(spec: RegexSpec): Result<CompiledRegex, string> {
  const { flags: inline, rest } = stripLeadingOptions(spec.pattern);
  const opt = new Set(spec.options.filter((w) => !NO_EFFECT.has(w)));
  const has = (word: string, letter: string): boolean => opt.has(word) || inline.includes(letter);
  const multiline = has('multiline', 'm');
  const utf = opt.has('utf');
  let source: string;
  let re: RegExp;
  try {
    source = translatePattern(rest, { extended: has('extended', 'x'), dollarEnd: multiline || opt.has('dollar_endonly') });
    re = new RegExp(source, `g${has('caseless', 'i') ? 'i' : ''}${multiline ? 'm' : ''}${has('dotall', 's') ? 's' : ''}${utf ? 'u' : ''}`);
  } catch (e) {
    return err((e as Error).message);
  }
  const firstline = opt.has('firstline');
  const min = spec.minOffset ?? 0;
  const max = spec.maxOffset;
  return ok({
    test(body: Uint8Array): boolean {
      const text = Buffer.from(body).toString(utf ? 'utf8' : 'latin1');
      re.lastIndex = min;
      const m = re.exec(text);
      if (!m) return false;
      if (max !== undefined && m.index > max) return false;
      if (firstline) {
        const nl = text.indexOf('\n');
        if (nl !== -1 && m.index > nl) return false;
      }
      return true;
    },
  });
}
