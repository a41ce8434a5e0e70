// keepalived's one reading per process (src/config/passes.ts): where a stray or missing brace
// makes a brace counter and a block reader part ways, the configuration is what each of
// keepalived's processes reads, with keepalived 2.2.7's `-t` status (checked against the real
// binary by bad/146-stray-brace.conf in test/netns/config-oracle.test.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { fakeMachine, TmpDir } from './helpers.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());
const load = (text: string) => loadConfig(tmp.conf(text), { machine: fakeMachine() });
const messages = (r: ReturnType<typeof load>) => r.diagnostics.list.map((d) => d.message);

describe('one pass per keepalived process', () => {
  it('a stray { in global_defs hides the vrrp_script after it from the VRRP process (no abort on its missing value)', () => {
    const r = load('global_defs {\n    router_id {\n}\nvrrp_script chk {\n    interval\n}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.168.50.10/24\n    }\n}\n');
    expect(r.diagnostics.configTestExitCode()).toBe(5);
    expect(messages(r).some((m) => m.startsWith('*** Configuration line'))).toBe(false);
    // the VRRP process skipped everything after global_defs while counting braces
    expect(r.config.vrrpScripts).toEqual([]);
    expect(r.config.vrrpInstances).toEqual([]);
    expect(messages(r)).toContain("unexpected '{' - ignoring");
  });

  it('the parent reads global_defs up to the brace that closes it for the block reader', () => {
    const r = load('global_defs {\n    router_id {\n}\nvrrp_version 3\n}\n');
    // the '}' on line 3 closes global_defs: vrrp_version is an unknown top-level keyword
    expect(messages(r)).toContain("unknown keyword 'vrrp_version'");
    expect(r.config.globalDefs.vrrpVersion).toBe(2);
  });

  it('each section comes from the pass of the process that owns it', () => {
    // the stray '{' is in a virtual server: the checker's pass ignores it, the VRRP pass counts
    // it and so skips the vrrp_instance that follows; the parent's pass reads global_defs
    const r = load([
      'global_defs {', '    router_id LVS_A', '}',
      'virtual_server 10.0.0.1 80 {', '    foo {', '}',
      'vrrp_instance VI_1 {', '    interface eth0', '    virtual_router_id 51', '    virtual_ipaddress {', '        192.168.50.10/24', '    }', '}',
    ].join('\n') + '\n');
    expect(r.config.globalDefs.routerId).toBe('LVS_A');
    // the checker's pass read the virtual server (and drops it: no real servers)
    expect(messages(r)).toContain('Virtual server [10.0.0.1]:none:80 has no real servers - ignoring');
    expect(r.config.vrrpInstances).toEqual([]);
  });

  it('balanced braces are read once, as before', () => {
    const r = load('global_defs {\n    router_id A\n}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.168.50.10/24\n    }\n}\n');
    expect(r.diagnostics.configTestExitCode()).toBe(0);
    expect(r.config.vrrpInstances.map((i) => i.name)).toEqual(['VI_1']);
  });

  it('a diagnostic several passes make is kept once; a pass that stops the reading ends it', () => {
    const r = load('global_defs {\n    router_id {\n}\nfoo_top\nvrrp_script chk {\n    interval\n}\n');
    expect(messages(r).filter((m) => m.includes("'foo_top'"))).toHaveLength(1);
    // the parent's pass: the '}' of line 3 closes global_defs, so `umask` is an unknown
    // top-level keyword, not a global one without its value; the VRRP pass then stops at
    // `priority` (keepalived 2.2.7 exits 2 there, after the parent's words)
    const stop = load('global_defs {\n    router_id {\n    }\n    umask\n}\nvrrp_instance VI_1 {\n    priority\n}\n');
    expect(stop.diagnostics.configTestExitCode()).toBe(2);
    expect(messages(stop)).toContain("unknown keyword 'umask'");
    expect(messages(stop).filter((m) => m.startsWith('*** Configuration line'))).toEqual([
      '*** Configuration line starting `priority` is missing a parameter after keyword `priority` at word position 2',
    ]);
    // a pass that stops ends the reading: the parent's pass stops at umask, and the VRRP
    // pass, which would stop at priority, never runs
    const first = load('global_defs {\n    router_id {\n    umask\n}\n}\nvrrp_instance VI_1 {\n    priority\n}\n');
    expect(first.diagnostics.configTestExitCode()).toBe(2);
    expect(messages(first).filter((m) => m.startsWith('*** Configuration line'))).toEqual([
      '*** Configuration line starting `umask` is missing a parameter after keyword `umask` at word position 2',
    ]);
  });
});
