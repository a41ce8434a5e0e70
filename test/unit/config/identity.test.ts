// loadIdentity: the root-level keywords that name the daemon (net_namespace, instance,
// use_pid_dir), read before the command starts without building the model (src/cli.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, loadIdentity } from '../../../src/config/load.js';
import { fakeMachine, TmpDir } from './helpers.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

const opts = { configId: 'lb1', machine: fakeMachine() };

describe('loadIdentity', () => {
  it('reads what the whole load reads, root-level and in an included file', () => {
    const file = tmp.conf(
      'global_defs {\n  router_id a\n}\n'
      + 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    10.0.0.1/24\n  }\n}\n'
      + 'instance blue\ninclude more.conf\n'
      + 'virtual_server 10.6.0.1 80 {\n  real_server 10.8.0.1 80 {\n    TCP_CHECK {\n    }\n  }\n}\n',
      { 'more.conf': 'net_namespace ns1\nuse_pid_dir\n' },
    );
    const id = loadIdentity(file, opts);
    expect(id).toEqual({ netNamespace: 'ns1', instance: 'blue', usePidDir: true });
    const c = loadConfig(file, opts).config;
    expect({ netNamespace: c.netNamespace, instance: c.instance, usePidDir: c.usePidDir }).toEqual(id);
  });

  it('a keyword inside another block is not root-level; the first of two is kept', () => {
    const file = tmp.conf('vrrp_instance VI_1 {\n  net_namespace inner\n}\ninstance one\ninstance two\n');
    expect(loadIdentity(file, opts)).toEqual({ instance: 'one' });
    expect(loadIdentity(tmp.conf('global_defs {\n}\n'), opts)).toEqual({});
  });

  it('skipping a block passes over its lines as the whole reading counts their braces', () => {
    // the skipped blocks' plain lines are passed over without being made into lines
    // (Reader.skipPlainLines); everything that needs the preprocessor is read as before
    const cases: [string, Record<string, unknown>][] = [
      ['vrrp_instance A {\n  # a brace in a comment }\n  ! and { here\n}\ninstance one\n', { instance: 'one' }],
      ['vrrp_instance A {\n  notify "/bin/echo }"\n}\ninstance two\n', { instance: 'two' }],
      ['$X=}\nvrrp_instance A {\n  $X\n  net_namespace n3\n}\ninstance three\n', { netNamespace: 'n3', instance: 'three' }],
      ['vrrp_instance A {\n  @lb1 }\n  @other }\n}\ninstance four\n', { instance: 'four' }],
      ['vrrp_instance A {\n  virtual_ipaddress {\n    10.0.0.1\n  } }\ninstance five\n', { instance: 'five' }],
      ['vrrp_instance A {\r\n  x {\r\n  }\r\n}\r\ninstance six\n', { instance: 'six' }],
      [`vrrp_instance A {\n  # ${'}'.repeat(1100)}\n  x ${'}'.repeat(1100)}\n}\ninstance seven\n`, { instance: 'seven' }],
      ['vrrp_instance A {\n  a { b { c\n  } } } instance eight\n', { instance: 'eight' }],
      ['vrrp_instance A {\n  x \\\n  }\n}\ninstance nine\n', { instance: 'nine' }],
    ];
    for (const [text, want] of cases) {
      const file = tmp.conf(text);
      const c = loadConfig(file, opts).config;
      expect(loadIdentity(file, opts), text).toEqual(want);
      expect({ netNamespace: c.netNamespace, instance: c.instance }, text).toEqual({ netNamespace: want.netNamespace, instance: want.instance });
    }
  });

  it('a file that cannot name the identity is not read for it, and says what the whole reading says', () => {
    // identityMayBeSet: only the searches for the keywords and for what could make them
    // (include, $, a backslash) decide; each text is read both ways
    const cases: [string, Record<string, unknown>][] = [
      ['vrrp_instance VI_1 {\n  interface eth0\n}\nvirtual_server 10.0.0.1 80 {\n  real_server 10.1.0.1 80 {\n  }\n}\n', {}],
      ['# the instance is chosen by the unit\nglobal_defs {\n}\n', {}],
      ['instance\tone\n', { instance: 'one' }],
      ['\tinstance two\r\n', { instance: 'two' }],
      ['vrrp_instance A {\n}\ninstance three\n', { instance: 'three' }],
      ['@lb1 instance four\n', { instance: 'four' }],
      ['"instance" five\n', { instance: 'five' }],
      ['$N=six\ninstance $N\n', { instance: 'six' }],
      ['inst\\\nance seven\n', {}],
    ];
    for (const [text, want] of cases) {
      const file = tmp.conf(text);
      const c = loadConfig(file, opts).config;
      expect(loadIdentity(file, opts), text).toEqual(want);
      expect({ instance: c.instance }, text).toEqual({ instance: want.instance });
    }
  });

  it('a file larger than the search window: a keyword across the windows, or far in, is found', () => {
    const MB = 1 << 20;
    for (const at of [MB - 4, MB - 8, MB + 3, 3 * MB]) {
      // a comment line up to `at`, then the keyword
      const text = `global_defs {\n}\n#${'x'.repeat(at - 18)}\ninstance far\n`;
      expect(text.indexOf('instance')).toBe(at);
      expect(loadIdentity(tmp.conf(text), opts), String(at)).toEqual({ instance: 'far' });
    }
  });
});
