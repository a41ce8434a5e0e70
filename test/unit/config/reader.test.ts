// The preprocessor (src/config/reader.ts, keepalived's lib/parser.c read_line) on temporary
// files: $NAME parameters, standard definitions, @id conditionals, ~SEQ/~LST, include and its
// variants, brace splitting, and where every word came from.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { readAll, TmpDir, wordsOf, type LineData } from './helpers.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

/** Words of every logical line of a one-file config. */
const words = (text: string, configId = 'lb1'): string[] => wordsOf(readAll(tmp.conf(text), { configId }).lines);
const diags = (file: string, configId = 'lb1') => readAll(file, { configId }).reader.diagnostics;
/** `file:line:col` of each word of each line. */
const places = (lines: readonly LineData[]): string[][] => lines.map((l) => l.cols.map((c) => `${l.file}:${l.line}:${c}`));

describe('$NAME parameters', () => {
  it('$NAME and ${NAME} are replaced, also inside a word; undefined names are kept verbatim', () => {
    expect(words('$A=1\na $A ${A} ${A}b $UNDEF x$A')).toEqual(['a 1 1 1b $UNDEF x1']);
  });

  it('$NAME must be followed by a blank, `,`, `)` or the end of the line', () => {
    expect(words('$A=1\nw $A, ($A) $A.b $Ab $A\tz $A')).toEqual(['w 1, (1) $A.b $Ab 1 z 1']);
  });

  it('a value is substituted as text: two words stay two words', () => {
    expect(readAll(tmp.conf('$B=x   y\nb $B')).lines[0]!.words).toEqual(['b', 'x', 'y']);
  });

  it('a definition may use another one; a redefinition wins from its line on', () => {
    expect(words('$A=1\n$B=$A $A\nb $B\n$A=2\nb $B')).toEqual(['b 1 1', 'b 2 2']);
  });

  it("'$X =' (blank before '=') is not a definition but an ordinary line", () => {
    expect(words('$X =1')).toEqual(['$X =1']);
  });

  it('a multi-line definition expands into several logical lines', () => {
    const text = '$M=l1 p \\\n  l2 q\\\n l3\nstart\n$M\nend';
    expect(words(text)).toEqual(['start', 'l1 p', 'l2 q', 'l3', 'end']);
  });

  it('a multi-line definition is only expanded at the end of a line', () => {
    // keepalived: a multi-line $NAME is matched only when nothing follows it.
    expect(words('$M=a \\\nb\nx $M\n$M y')).toEqual(['x a', 'b', '$M y']);
  });

  it('regression: a multi-line definition used inside itself is refused instead of repeating forever', () => {
    // Found by the mutation property: the definition's last line is `$M` itself, so every
    // expansion queued the next one and the reader never ended (keepalived -t loops too).
    const file = tmp.conf('$M=a \\\nb \\\n$M\nx\n$M\ny\n');
    const reader = readAll(file, {}, { slow: false });
    expect(wordsOf(reader.lines)).toEqual(['x', 'a', 'b', '$M', 'y']);
    expect(reader.reader.diagnostics.list).toEqual([
      { code: 'CONFIG_VALUE', kaClass: 'GENERAL_ERROR', message: '$M is used inside its own multi-line definition - not expanded', loc: { file: 'keepalived.conf', line: 5, col: 1 } },
    ]);
  });

  it('a multi-line definition may use another one, also twice in a row', () => {
    expect(words('$A=a1 \\\na2\n$B=b1 \\\n$A\n$B\n$B\n')).toEqual(['b1', 'a1', 'a2', 'b1', 'a1', 'a2']);
  });

  it('a blank line ends a multi-line definition', () => {
    expect(words('$M=a \\\nb \\\n\nc\nx $M')).toEqual(['c', 'x a', 'b']);
  });
});

describe('standard definitions', () => {
  it('${_INSTANCE} is the config id, ${_PWD} the directory of the current file', () => {
    const file = tmp.conf('a ${_INSTANCE} ${_PWD}\ninclude sub/b.conf', { 'sub/b.conf': 'b ${_PWD}\n' });
    const dir = join(file, '..');
    expect(wordsOf(readAll(file, { configId: 'edge7' }).lines)).toEqual([`a edge7 ${dir}`, `b ${join(dir, 'sub')}`]);
  });

  it('${_HASH} and ${_BANG} give # and !, literal inside quotes', () => {
    expect(readAll(tmp.conf('a "x${_HASH}y${_BANG}z"')).lines[0]!.words).toEqual(['a', 'x#y!z']);
  });

  it('${_RANDOM lo hi} stays in range (random source at both ends)', () => {
    const file = tmp.conf('r ${_RANDOM 1 5} ${_RANDOM 7 7}\nr ${_RANDOM}');
    const lo = wordsOf(readAll(file, { random: () => 0 }).lines);
    const hi = wordsOf(readAll(file, { random: () => 0.999999 }).lines);
    expect(lo).toEqual(['r 1 7', 'r 0']);
    expect(hi).toEqual(['r 5 7', 'r 32767']);
    for (let k = 0; k < 50; k++) {
      const n = Number(readAll(file, { random: Math.random }).lines[0]!.words[1]);
      expect(Number.isInteger(n) && n >= 1 && n <= 5).toBe(true);
    }
  });
});

describe('@id conditionals', () => {
  const text = '@lb1 a\n@^lb1 b\n@lb2 c\n@^lb2 d\n@lb1\n@lb1lb2 e\n';
  it.each([
    ['lb1', ['a', 'd']],
    ['lb2', ['b', 'c']],
    ['other', ['b', 'd']],
  ])('config id %s', (id, want) => {
    expect(words(text, id)).toEqual(want);
  });

  it('a conditional line may use parameters, and a parameter may hold a conditional', () => {
    expect(words('$X=1\n@lb1 a $X\n$C=@lb1 c\n$C\n$D=@lb2 d\n$D')).toEqual(['a 1', 'c']);
  });
});

describe('~SEQ and ~LST', () => {
  it.each([
    ['~SEQ(i, 3) a $i', ['a 1', 'a 2', 'a 3']],
    ['~SEQ(i, 2, 4) a $i', ['a 2', 'a 3', 'a 4']],
    ['~SEQ(i, 10, -5, 0) a $i', ['a 10', 'a 5', 'a 0']],
    ['~SEQ(i, 0) a $i', ['a 1', 'a 0']],
    ['~SEQ(i, -2) a $i', ['a -1', 'a -2']],
    ['~SEQx(i, 9, 11) a $i', ['a 9', 'a a', 'a b']],
    ['~SEQx(i, 0xfe, 0x101) a ${i}', ['a fe', 'a ff', 'a 100', 'a 101']],
    ['~LST(v, p, q, r) a $v', ['a p', 'a q', 'a r']],
    ['~LST({x,y}, {1,2}, {3,4}) a $x $y', ['a 1 2', 'a 3 4']],
    ['~SEQ(i, 1, 2) ~SEQ(j, 1, 2) a $i $j', ['a 1 1', 'a 1 2', 'a 2 1', 'a 2 2']],
    ['~SEQ(i, 1, 3) ~SEQ(j, $i) a $i $j', ['a 1 1', 'a 2 1', 'a 2 2', 'a 3 1', 'a 3 2', 'a 3 3']],
    ['~SEQ(n, 2) ip 10.0.0.${n}/24', ['ip 10.0.0.1/24', 'ip 10.0.0.2/24']],
    ['~SEQ(n, 2) ip 10.0.0.$n/24', ['ip 10.0.0.$n/24', 'ip 10.0.0.$n/24']],
  ])('%s', (line, want) => {
    expect(words(line)).toEqual(want);
  });

  it('a multi-line template repeated by ~SEQ', () => {
    expect(words('$T=a $i \\\nb $i\n~SEQ(i, 2) $T')).toEqual(['a 1', 'b 1', 'a 2', 'b 2']);
  });

  it.each([
    ['~SEQx(i, -1, 2) b', '~SEQx is only valid for positive numbers'],
    ['~SEQ(i, 1, -1, 3) c', 'invalid ~SEQ values'],
    ['~SEQ(i, 1, 0, 3) c', 'invalid ~SEQ values'],
    ['~SEQ bad', 'invalid ~SEQ specification'],
    ['~SEQ(i, x) c', 'invalid ~SEQ definition'],
    ['~LST(a) x', 'invalid ~LST specification'],
    ['~LST(v, {1,2}) x', 'invalid ~LST specification'],
    // 'parser.seq-too-long': keepalived expands this for hours; refused here with an error
    ['~SEQx(H, 4294967296, 12) 2001:db8::${H}/64', 'more than 65536'],
  ])('bad: %s', (line, message) => {
    const d = diags(tmp.conf(`x\n${line}\n`));
    expect(d.list.map((x) => [x.code, x.kaClass, x.loc?.line, x.loc?.col])).toEqual([['CONFIG_SYNTAX', 'GENERAL_ERROR', 2, 1]]);
    expect(d.list[0]!.message).toContain(message);
    expect(d.configTestExitCode()).toBe(5);
  });
});

describe('include', () => {
  it('a glob, sorted; relative to the including file; inside a block', () => {
    const file = tmp.conf('x {\ninclude sub/*.conf\n}\ny', {
      'sub/b.conf': 'B1\n',
      'sub/a.conf': 'A1\ninclude ../inc/c.conf\n',
      'inc/c.conf': 'C1 { z }\n',
    });
    const { lines } = readAll(file);
    expect(wordsOf(lines)).toEqual(['x', '{', 'A1', 'C1', '{', 'z', '}', 'B1', '}', 'y']);
    expect(lines.map((l) => `${l.file}:${l.line}`)).toEqual([
      'keepalived.conf:1', 'keepalived.conf:1', 'sub/a.conf:1', 'inc/c.conf:1', 'inc/c.conf:1', 'inc/c.conf:1', 'inc/c.conf:1',
      'sub/b.conf:1', 'keepalived.conf:3', 'keepalived.conf:4',
    ]);
  });

  it('braces: each alternative in the order written', () => {
    const file = tmp.conf('include {b,a}.conf', { 'a.conf': 'A\n', 'b.conf': 'B\n' });
    expect(wordsOf(readAll(file).lines)).toEqual(['B', 'A']);
  });

  it('a pattern may come from a parameter', () => {
    const file = tmp.conf('$F=part.conf\ninclude $F\nafter', { 'part.conf': 'P\n' });
    expect(wordsOf(readAll(file).lines)).toEqual(['P', 'after']);
  });

  // keepalived 2.2.7: a plain/includer/includem miss is a log line only (rc 0); includew with no
  // match, includeb with a missing alternative and includea with a missing file are fatal (rc 6).
  it.each([
    ['include nothere.conf', 'OK', false, 0, 'config files missing'],
    ['includer nothere.conf', 'OK', false, 0, 'config files missing'],
    ['includem nothere*.conf', 'OK', false, 0, 'no config files matched'],
    ['includew nothere*.conf', 'FILE_NOT_FOUND', true, 6, 'no config files matched'],
    ['includeb {a,b}.conf', 'FILE_NOT_FOUND', true, 6, 'config files missing'],
    ['includea nothere.conf', 'FILE_NOT_FOUND', true, 6, 'config files missing'],
  ] as const)('%s -> class %s', (line, kaClass, noConfig, exit, message) => {
    const d = diags(tmp.conf(`# head\n  ${line}\n`));
    expect(d.list).toHaveLength(1);
    const x = d.list[0]!;
    expect(x).toMatchObject({ code: 'CONFIG_INCLUDE', kaClass, loc: { file: 'keepalived.conf', line: 2, col: line.indexOf(' ') + 4 } });
    expect(x.message).toContain(message);
    expect(x.noConfig ?? false).toBe(noConfig);
    expect(d.configTestExitCode()).toBe(exit);
  });

  it('includea of a missing file through loadConfig: a noConfig diagnostic, -t exits 6', () => {
    const r = loadConfig(tmp.conf('includea missing.conf\n'), { configId: 'lb1' });
    expect(r.diagnostics.list.some((d) => d.noConfig && d.code === 'CONFIG_INCLUDE')).toBe(true);
    expect(r.diagnostics.configTestExitCode()).toBe(6);
    expect(r.diagnostics.cannotRun()).toBe(true);
  });

  it('includeb with one alternative missing reads nothing; plain include reads what exists', () => {
    const more = { 'a.conf': 'A\n' };
    expect(wordsOf(readAll(tmp.conf('includeb {a,b}.conf\nz', more)).lines)).toEqual(['z']);
    expect(wordsOf(readAll(tmp.conf('include {a,b}.conf\nz', more)).lines)).toEqual(['A', 'z']);
  });

  it('include_check of the reader turns a plain include miss into a fatal one', () => {
    const r = readAll(tmp.conf('include nothere.conf\n'), { allIncludeChecks: true });
    expect(r.reader.diagnostics.configTestExitCode()).toBe(6);
  });
});

describe('brace splitting and source locations', () => {
  it('`a { b } c` becomes five lines with the columns of the physical line', () => {
    const { lines } = readAll(tmp.conf('  a { b } c\nx{y}z'));
    expect(lines.map((l) => [l.words.join(' '), l.line, l.cols[0]])).toEqual([
      ['a', 1, 3], ['{', 1, 5], ['b', 1, 7], ['}', 1, 9], ['c', 1, 11],
      ['x', 2, 1], ['{', 2, 2], ['y', 2, 3], ['}', 2, 4], ['z', 2, 5],
    ]);
  });

  it('a quoted brace is a word, not a block', () => {
    const { lines } = readAll(tmp.conf('a "{" b'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ words: ['a', '{', 'b'], quoted: [false, true, false] });
  });

  it('words of included files carry their own file, line and column', () => {
    const file = tmp.conf('g {\n    include sub/x.conf\n}', { 'sub/x.conf': '# c\n\n\tprio 100\n' });
    const { lines } = readAll(file);
    expect(places(lines)).toEqual([['keepalived.conf:1:1'], ['keepalived.conf:1:3'], ['sub/x.conf:3:2', 'sub/x.conf:3:7'], ['keepalived.conf:3:1']]);
  });

  it('regression: words after a substitution keep their own column in the physical line', () => {
    // Before the fix, columns were offsets in the substituted text: `dev` below was reported
    // at column 18 of a 20-character line.
    const { lines } = readAll(tmp.conf('$P=10.0.0.1\n  vip   $P dev eth0\n'));
    expect(lines).toEqual([
      { words: ['vip', '10.0.0.1', 'dev', 'eth0'], cols: [3, 9, 12, 16], file: 'keepalived.conf', line: 2, text: 'vip   10.0.0.1 dev eth0' },
    ]);
  });

  it('regression: words after an @id prefix keep their column', () => {
    expect(places(readAll(tmp.conf('@lb1   prio $X 7\n')).lines)).toEqual([['keepalived.conf:1:8', 'keepalived.conf:1:13', 'keepalived.conf:1:16']]);
  });

  it('regression: lines of a multi-line expansion point at the $NAME that expanded them', () => {
    const { lines } = readAll(tmp.conf('$V=10.0.0.1 dev eth0 \\\n10.0.0.2  dev eth1\nvip {\n    $V\n}\n'));
    // Before the fix the second line's words sat at columns 1, 11, 15 of line 4 (offsets in the
    // definition's text), past the end of the 6-character line `    $V`.
    expect(places(lines.filter((l) => l.words[0]!.startsWith('10.')))).toEqual([
      ['keepalived.conf:4:5', 'keepalived.conf:4:5', 'keepalived.conf:4:5'],
      ['keepalived.conf:4:5', 'keepalived.conf:4:5', 'keepalived.conf:4:5'],
    ]);
  });

  it('regression: ~SEQ/~LST lines point into the repeated text, not at the ~', () => {
    const { lines } = readAll(tmp.conf('~SEQ(i, 2) ip ${i} x\n~LST(v, p) q $v y\n'));
    expect(places(lines)).toEqual([
      ['keepalived.conf:1:12', 'keepalived.conf:1:15', 'keepalived.conf:1:20'],
      ['keepalived.conf:1:12', 'keepalived.conf:1:15', 'keepalived.conf:1:20'],
      ['keepalived.conf:2:12', 'keepalived.conf:2:14', 'keepalived.conf:2:17'],
    ]);
  });

  it('an error on a substituted line points at the offending word', () => {
    const r = loadConfig(tmp.conf('$PRIO=300\nvrrp_instance V {\n  priority   $PRIO\n}\n'), { configId: 'lb1' });
    const range = r.diagnostics.list.find((d) => d.code === 'CONFIG_RANGE');
    expect(range?.loc).toEqual({ file: expect.stringMatching(/keepalived\.conf$/), line: 3, col: 14 });
  });

  it('an unterminated quote is reported at the quote, an over-long line is skipped', () => {
    const d = diags(tmp.conf(`x\n  y "abc\n${'b'.repeat(1100)}\nz`));
    expect(d.list.map((x) => [x.kaClass, x.loc?.line, x.loc?.col])).toEqual([
      ['GENERAL_ERROR', 2, 5],
      ['UNMATCHED_QUOTE', 2, 5],
      ['GENERAL_ERROR', 3, 1],
    ]);
  });

  it('CRLF line ends are accepted', () => {
    expect(readAll(tmp.conf('a b\r\nc\r\n')).lines.map((l) => l.words)).toEqual([['a', 'b'], ['c']]);
  });
});
