// HTTP_GET's regex keywords as keepalived reads them (check_http.c): options, offsets, the
// end-of-url checks, and what -t says about a pattern JavaScript cannot match as PCRE2 does.
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { Checker } from '../../../src/config/model.js';
import { fakeMachine, TmpDir } from './helpers.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

const withUrl = (...lines: string[]): ReturnType<typeof loadConfig> => loadConfig(tmp.conf([
  'virtual_server 10.0.0.1 80 {', '  real_server 10.0.0.2 80 {', '    HTTP_GET {', '      url {', '        path /',
  ...lines.map((l) => `        ${l}`), '      }', '    }', '  }', '}',
].join('\n')), { configId: 'lb1', machine: fakeMachine() });
const url = (r: ReturnType<typeof loadConfig>) => (r.config.virtualServers[0]!.realServers[0]!.checkers[0] as Extract<Checker, { type: 'HTTP_GET' }>).url[0]!;
const messages = (r: ReturnType<typeof loadConfig>): string[] => r.diagnostics.list.map((d) => d.message);

describe('HTTP_GET regex keywords', () => {
  it('reads options (known words only) and offsets', () => {
    const r = withUrl('regex "^OK"', 'regex_options caseless bogus multiline', 'regex_min_offset 2', 'regex_max_offset 40');
    expect(url(r)).toMatchObject({ regex: '^OK', regexOptions: ['caseless', 'multiline'], regexMinOffset: 2, regexMaxOffset: 40 });
  });

  it('drops regex settings without a regex, and offsets that leave no room, with keepalived\'s words', () => {
    const a = withUrl('regex_no_match', 'regex_min_offset 2');
    expect(url(a)).toMatchObject({ regexNoMatch: false });
    expect(url(a).regexMinOffset).toBeUndefined();
    expect(messages(a)).toContain('regex parameters specified without regex');
    const b = withUrl('regex "x"', 'regex_min_offset 9', 'regex_max_offset 3');
    expect(url(b).regexMinOffset).toBeUndefined();
    expect(messages(b)).toContain('regex min offset 9 > regex_max_offset 3 - ignoring');
  });

  it('says when a pattern uses PCRE2 that JavaScript matches otherwise, and when it does not compile', () => {
    expect(messages(withUrl('regex "a++"')).some((m) => /uses a possessive quantifier: keepalived-ts matches with JavaScript's RegExp/.test(m))).toBe(true);
    expect(messages(withUrl('regex "(broken"')).some((m) => /^Invalid regex: '\(broken'/.test(m))).toBe(true);
    expect(messages(withUrl('regex "^HTTP.*OK$"')).filter((m) => /regex/i.test(m))).toEqual([]);
  });
});
