// HTTP_GET regex on JavaScript's RegExp, as keepalived matches it with PCRE2 (src/util/pcre.ts):
// the translations, the options, the offsets, and the constructs said to differ.
import { describe, expect, it } from 'vitest';
import { compileRegex, pcreDifferences, translatePattern } from '../../../src/util/pcre.js';

const body = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const test = (pattern: string, text: string, options: string[] = [], min?: number, max?: number): boolean => {
  const r = compileRegex({ pattern, options, ...(min !== undefined ? { minOffset: min } : {}), ...(max !== undefined ? { maxOffset: max } : {}) });
  if (!r.ok) throw new Error(r.error);
  return r.value.test(body(text));
};

describe('PCRE2 patterns on JavaScript RegExp', () => {
  it('$ also matches before a final newline, as PCRE2\'s does (not with dollar_endonly or multiline)', () => {
    expect(test('OK$', 'status OK\n')).toBe(true);
    expect(test('OK$', 'status OK\n', ['dollar_endonly'])).toBe(false);
    expect(test('OK$', 'OK\nmore')).toBe(false);
    expect(test('OK$', 'OK\nmore', ['multiline'])).toBe(true);
  });

  it('\\A, \\z, \\Z, (?P<name>), (?P=name), POSIX classes, \\h, \\R', () => {
    expect(test('\\Aup', 'up and running')).toBe(true);
    expect(test('\\Aup', 'going up')).toBe(false);
    expect(test('done\\z', 'done\n')).toBe(false);
    expect(test('done\\Z', 'done\n')).toBe(true);
    expect(test('(?P<w>ab)(?P=w)', 'xxabab')).toBe(true);
    expect(test('^[[:digit:]]+[[:space:]]ok', '200 ok')).toBe(true);
    expect(test('a\\hb', 'a\tb')).toBe(true);
    expect(test('a\\Rb', 'a\r\nb')).toBe(true);
    expect(translatePattern('[]a]', { extended: false, dollarEnd: true })).toBe('[\\]a]');
  });

  it('options: caseless, dotall, extended, firstline, utf; leading (?i)', () => {
    expect(test('healthy', 'HEALTHY', ['caseless'])).toBe(true);
    expect(test('(?i)healthy', 'HEALTHY')).toBe(true);
    expect(test('a.b', 'a\nb')).toBe(false);
    expect(test('a.b', 'a\nb', ['dotall'])).toBe(true);
    expect(test('a b c # letters', 'abc', ['extended'])).toBe(true);
    expect(test('ok', 'first\nok', ['firstline'])).toBe(false);
    expect(test('ok', 'first ok\nsecond', ['firstline'])).toBe(true);
    const utf = compileRegex({ pattern: '^é.$', options: ['utf'] });
    expect(utf.ok && utf.value.test(Buffer.from('éa', 'utf8'))).toBe(true);
    // without utf a byte is a character, as PCRE2 reads it
    const bytes = compileRegex({ pattern: '^..$', options: [] });
    expect(bytes.ok && bytes.value.test(Buffer.from('é', 'utf8'))).toBe(true);
  });

  it('regex_min_offset / regex_max_offset bound where a match may start; lookbehind sees before it', () => {
    expect(test('ok', 'ok.....ok', [], 3)).toBe(true);
    expect(test('ok', 'ok......', [], 3)).toBe(false);
    expect(test('ok', '....ok', [], 0, 3)).toBe(false);
    expect(test('ok', '...ok', [], 0, 3)).toBe(true);
    expect(test('(?<=x)ok', 'xok', [], 1)).toBe(true);
  });

  it('names what JavaScript cannot match as PCRE2 does', () => {
    expect(pcreDifferences('a++b', [])).toEqual(['a possessive quantifier']);
    expect(pcreDifferences('(?>ab)|\\Qa.b\\E', [])).toEqual(['an atomic group (?>...)', '\\Q...\\E quoting']);
    expect(pcreDifferences('x', ['ungreedy'])).toEqual(['the ungreedy option']);
    expect(pcreDifferences('(?i)ok$', ['caseless'])).toEqual([]);
    expect(pcreDifferences('a(?i)b', [])).toEqual(['an option setting inside the pattern']);
    expect(compileRegex({ pattern: '(unclosed', options: [] }).ok).toBe(false);
  });
});
