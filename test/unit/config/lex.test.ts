// Line lexing (src/config/lex.ts) against the grammar (grammar/keepalived.peggy), and the
// Reader's inline fast path for plain lines against its general path. keepalived's rules are
// lib/parser.c read_line/decomment: a comment starts at '#' or '!' outside double quotes,
// `\#` and `\!` are literal, a trailing '\' only matters inside multi-line $NAME= definitions.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decomment, tokenize } from '../../../src/config/lex.js';
import { decommentLine, tokenizeLine } from '../../../src/config/grammar.js';
import { readAll, TmpDir } from './helpers.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

/** Characters that stress the lexer: every one of them means something to some rule. */
const ALPHABET = [...'abcXYZ019', ' ', '\t', '{', '}', '#', '!', '"', '\\', '$', '.', '/', '-'];
const lineArb = fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 40 });

describe('decomment() and tokenize() agree with the grammar', () => {
  it('decomment equals the Decomment rule on any line', () => {
    fc.assert(
      fc.property(lineArb, (raw) => {
        const g = decommentLine(raw);
        expect(g).toBeDefined();
        expect(decomment(raw)).toEqual(g);
      }),
      { numRuns: 2000 },
    );
  });

  it('tokenize equals the Tokens rule on any text, decommented or not', () => {
    fc.assert(
      fc.property(lineArb, (raw) => {
        expect(tokenize(raw)).toEqual(tokenizeLine(raw));
        const text = decommentLine(raw).text;
        expect(tokenize(text)).toEqual(tokenizeLine(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('the fast paths are really taken for plain lines (the property compares two paths)', () => {
    // Guard against a vacuous property: a plain line must not need the grammar at all. If
    // lex.ts ever routed everything to the grammar, both sides would be equal trivially.
    const plain = '  vrrp_instance VI_1 { # comment';
    expect(decomment(plain)).toEqual({ text: 'vrrp_instance VI_1 {', col: 3, cont: false, unterminated: false });
    expect(tokenize('a {b} c').map((t) => [t.value, t.offset])).toEqual([['a', 0], ['{', 2], ['b', 3], ['}', 4], ['c', 6]]);
  });
});

describe("keepalived's decomment rules", () => {
  const cases: [string, string, { text: string; col?: number; cont?: boolean; unterminated?: boolean }][] = [
    ['# starts a comment', 'priority 100 # the default', { text: 'priority 100' }],
    ['! starts a comment', 'priority 100 ! the default', { text: 'priority 100' }],
    ['a comment may start the line', '# only a comment', { text: '' }],
    ['# inside double quotes is text', 'script "/bin/echo #1" # real comment', { text: 'script "/bin/echo #1"' }],
    ['! inside double quotes is text', 'script "a ! b"', { text: 'script "a ! b"' }],
    ['\\# is a literal #', 'router_id a\\#b', { text: 'router_id a#b' }],
    ['\\! is a literal !', 'router_id a\\!b ! comment', { text: 'router_id a!b' }],
    ['other escapes are kept as written', 'x a\\tb', { text: 'x a\\tb' }],
    ['an escaped quote does not open a string', 'x \\" # c', { text: 'x \\"' }],
    ['a quote inside quotes may be escaped', 'x "a \\" # b" # c', { text: 'x "a \\" # b"' }],
    ['an open quote is flagged and swallows the comment', 'x "abc # d', { text: 'x "abc # d', unterminated: true }],
    ['a closed quote is not flagged', 'x "abc" "d"', { text: 'x "abc" "d"', unterminated: false }],
    ['a trailing backslash is flagged and removed', '$X=a \\', { text: '$X=a', cont: true }],
    ['a trailing escaped backslash is one escape, no continuation', 'x a\\\\', { text: 'x a\\\\', cont: false }],
    ['a backslash at the end of a comment still counts', 'x # c \\', { text: 'x', cont: true }],
    ['leading blanks set the column', ' \t  priority 1', { text: 'priority 1', col: 5 }],
    ['trailing blanks are removed', 'priority 1 \t ', { text: 'priority 1' }],
    ['a blank line is empty', ' \t ', { text: '', col: 4 }],
  ];
  it.each(cases)('%s', (_name, raw, want) => {
    const got = decomment(raw);
    expect(got.text).toBe(want.text);
    if (want.col !== undefined) expect(got.col).toBe(want.col);
    expect(got.cont).toBe(want.cont ?? false);
    expect(got.unterminated).toBe(want.unterminated ?? false);
  });

  it('tokenize: braces are tokens, quoted strings are one word, an open quote is unmatched', () => {
    const t = tokenize('a{"b c"}d "e');
    expect(t).toEqual([
      { value: 'a', offset: 0, quoted: false },
      { value: '{', offset: 1, quoted: false },
      { value: 'b c', offset: 2, quoted: true },
      { value: '}', offset: 7, quoted: false },
      { value: 'd', offset: 8, quoted: false },
      { value: 'e', offset: 10, quoted: true, unmatched: true },
    ]);
    expect(tokenize('"{"')).toEqual([{ value: '{', offset: 0, quoted: true }]);
  });
});

describe("Reader's plainLine() fast path yields what the general path yields", () => {
  // Fragments for whole lines: plain words and braces (fast path), plus everything that must
  // leave it (quotes, backslashes, $ definitions and uses, @ conditionals, ~SEQ/~LST, include,
  // a multi-line definition that swallows the next lines, CR line ends). Patterns of include
  // lines cannot name the config file itself ('%' is outside every fragment), so no sample
  // includes itself.
  const fragment = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...ALPHABET) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'vrrp_instance', 'priority', ' 100', '{', '}', 'include', 'include nofile', 'include_check', 'includes',
        '@lb1 ', '@^lb1 ', '@other ', '$X=1', '$X=a b', '$Y=p \\', '$Z=${X}', '$X', '${X}', '$Y', '$Z', '${_RANDOM 1 3}',
        '~SEQ(i, 2) ', '~SEQ(i, 1, 2) ', '~LST(v, p, q) ', '$i', '$v', '"q w"', '\r', ' # c', ' ! c',
      ),
    },
  );
  const physLine = fc.array(fragment, { maxLength: 6 }).map((parts) => parts.join(''));
  const fileArb = fc.array(physLine, { maxLength: 12 }).map((lines) => lines.join('\n'));

  it('same logical lines (words, cols, file, line, text) and diagnostics', () => {
    const dir = tmp.tree({});
    const file = join(dir, 'T%.conf');
    fc.assert(
      fc.property(fileArb, (text) => {
        writeFileSync(file, text);
        const fast = readAll(file);
        const slow = readAll(file, {}, { slow: true });
        expect(fast.lines).toEqual(slow.lines);
        expect(fast.reader.diagnostics.list).toEqual(slow.reader.diagnostics.list);
      }),
      { numRuns: 400 },
    );
  });

  it('the slow reader really bypasses the fast path (the switch is not a no-op)', () => {
    // A spy on the instance: with the bypass installed the prototype method is never reached.
    const file = tmp.conf('a b\nc { d }\n');
    const { lines } = readAll(file, {}, { slow: true });
    expect(lines.map((l) => l.words)).toEqual([['a', 'b'], ['c'], ['{'], ['d'], ['}']]);
    let calls = 0;
    const proto = Object.getPrototypeOf(readAll(file).reader) as { plainLine: () => boolean };
    const original = proto.plainLine;
    proto.plainLine = function (this: unknown) {
      calls++;
      return original.call(this);
    };
    try {
      readAll(file, {}, { slow: true });
      expect(calls).toBe(0);
      readAll(file);
      expect(calls).toBeGreaterThan(0);
    } finally {
      proto.plainLine = original;
    }
  });

  it('regression: a comment ending in a backslash leaves the fast path (keepalived reads `\\`)', () => {
    // Found by the property above: plainLine() stopped scanning at '!' and never saw the
    // trailing backslash, so `! c \` vanished, while keepalived's decomment() turns it into the
    // line `\` (and `x # c \` into `x\`). Also with a CR line end.
    const file = tmp.conf('! c \\\nx # c \\\r\ny\n');
    const want = [
      { words: ['\\'], cols: [1], file: 'keepalived.conf', line: 1, text: '\\' },
      { words: ['x\\'], cols: [1], file: 'keepalived.conf', line: 2, text: 'x\\' },
      { words: ['y'], cols: [1], file: 'keepalived.conf', line: 3, text: 'y' },
    ];
    expect(readAll(file).lines).toEqual(want);
    expect(readAll(file, {}, { slow: true }).lines).toEqual(want);
  });

  it('a plain line and the same line through the general path: identical Line fields', () => {
    const file = tmp.conf('\tvrrp_instance VI_1 {  # x\n  a{b}c\n');
    const fast = readAll(file).lines;
    expect(fast).toEqual(readAll(file, {}, { slow: true }).lines);
    expect(fast).toEqual([
      { words: ['vrrp_instance', 'VI_1'], cols: [2, 16], file: 'keepalived.conf', line: 1, text: 'vrrp_instance VI_1' },
      { words: ['{'], cols: [21], file: 'keepalived.conf', line: 1, text: '{' },
      { words: ['a'], cols: [3], file: 'keepalived.conf', line: 2, text: 'a' },
      { words: ['{'], cols: [4], file: 'keepalived.conf', line: 2, text: '{' },
      { words: ['b'], cols: [5], file: 'keepalived.conf', line: 2, text: 'b' },
      { words: ['}'], cols: [6], file: 'keepalived.conf', line: 2, text: '}' },
      { words: ['c'], cols: [7], file: 'keepalived.conf', line: 2, text: 'c' },
    ]);
  });
});
