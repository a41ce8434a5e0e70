// -P and -C (LoadOptions.process, row 'parser.missing-value-other-process'): keepalived's
// processes each read only their own blocks, so a keyword without its value in the checker's
// virtual_server stops only the checker's reading: with -P the VRRP process reads on and runs.
// Without -P keepalived stops as a whole, as keepalived-ts refuses the configuration.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { fakeMachine, TmpDir } from './helpers.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

const text = `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    10.0.0.1/24
  }
}
virtual_server 10.0.0.1 80 {
  real_server 10.0.1.1 80 {
    TCP_CHECK {
      retry
    }
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  priority
  virtual_ipaddress {
    10.0.0.2/24
  }
}
`;

describe("a keyword without its value in another process's block", () => {
  const file = tmp.conf(text.replace('  priority\n', ''));
  const aborts = (process?: 'vrrp' | 'checker') => loadConfig(file, { machine: fakeMachine(), runtime: true, ...(process ? { process } : {}) })
    .diagnostics.list.filter((d) => d.row === 'parser.missing-value-abort');

  it('stops the reading of the whole configuration, and of -C', () => {
    expect(aborts()).toHaveLength(1);
    expect(aborts('checker')).toHaveLength(1);
  });

  it('does not stop the VRRP process of -P, which reads on', () => {
    const r = loadConfig(file, { machine: fakeMachine(), runtime: true, process: 'vrrp' });
    expect(r.diagnostics.list.filter((d) => d.row === 'parser.missing-value-abort')).toEqual([]);
    expect(r.config.vrrpInstances.map((i) => i.name)).toEqual(['VI_1', 'VI_2']);
    expect(r.diagnostics.configTestExitCode()).not.toBe(2);
  });

  it("one in the VRRP process's own block still stops -P", () => {
    const own = tmp.conf(text.replace('      retry\n', ''));
    const r = loadConfig(own, { machine: fakeMachine(), runtime: true, process: 'vrrp' });
    expect(r.diagnostics.list.filter((d) => d.row === 'parser.missing-value-abort')).toHaveLength(1);
    // and -C reads past it
    const c = loadConfig(own, { machine: fakeMachine(), runtime: true, process: 'checker' });
    expect(c.diagnostics.list.filter((d) => d.row === 'parser.missing-value-abort')).toEqual([]);
    expect(c.config.virtualServers).toHaveLength(1);
  });
});

// The whole daemon's VRRP process at a reload (LoadOptions.vrrpReading, row
// 'parser.vrrp-process-reload'): it reads the file as keepalived's VRRP process does, the
// checker's blocks skipped unread; the checker process reads and judges them itself.
describe("the VRRP process's reading at a reload", () => {
  const strip = (x: unknown): string => JSON.stringify(x, (k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v));
  const vrrpSide = (r: ReturnType<typeof loadConfig>) => strip({
    vrrpInstances: r.config.vrrpInstances, vrrpSyncGroups: r.config.vrrpSyncGroups, vrrpScripts: r.config.vrrpScripts,
    staticIpaddress: r.config.staticIpaddress, trackFiles: r.config.trackFiles, bfdInstances: r.config.bfdInstances, globalDefs: r.config.globalDefs,
  });

  it('skips the checker blocks unread: a fault there is not its own; says that they are there', () => {
    const file = tmp.conf(text.replace('  priority\n', ''));
    const r = loadConfig(file, { machine: fakeMachine(), runtime: true, vrrpReading: true });
    expect(r.diagnostics.list.filter((d) => d.row === 'parser.missing-value-abort')).toEqual([]);
    expect(r.config.vrrpInstances.map((i) => i.name)).toEqual(['VI_1', 'VI_2']);
    expect(r.config.virtualServers).toEqual([]);
    expect(r.checkerBlocks).toBe(true);
    const none = loadConfig(tmp.conf(text.replace(/virtual_server[^]*?\n}\n/, '').replace('  priority\n', '')), { machine: fakeMachine(), runtime: true, vrrpReading: true });
    expect([none.checkerBlocks, none.config.vrrpInstances.length]).toEqual([false, 2]);
    // keepalived's rule (check_parser.c vs_handler, main.c running_checker): a virtual_server
    // keyword, even one its checker process then drops; a group or an SSL block alone is not one
    // (row 'daemon.checker-config-first')
    const vrrpOnly = text.replace(/virtual_server[^]*?\n}\n/, '').replace('  priority\n', '');
    const blocks = (extra: string): boolean | undefined => loadConfig(tmp.conf(vrrpOnly + extra), { machine: fakeMachine(), runtime: true, vrrpReading: true }).checkerBlocks;
    expect(blocks('virtual_server_group G {\n  10.0.0.1 80\n}\nSSL {\n  password x\n}\n')).toBe(false);
    expect(blocks('virtual_server 10.0.0.1 {\n  lb_algo rr\n}\n')).toBe(true);
  });

  it("reads the VRRP side of every good fixture as the whole reading does", () => {
    const dir = 'test/fixtures/config/good';
    // (not the one whose values are ${_RANDOM}: each reading draws its own)
    const files = readdirSync(dir).filter((f) => f.endsWith('.conf') && !readFileSync(join(dir, f), 'utf8').includes('${_RANDOM'));
    expect(files.length).toBeGreaterThan(50);
    for (const f of files) {
      const o = { machine: fakeMachine(), runtime: true } as const;
      const whole = loadConfig(join(dir, f), o);
      const vrrp = loadConfig(join(dir, f), { ...o, vrrpReading: true });
      expect(vrrpSide(vrrp), f).toBe(vrrpSide(whole));
      expect(vrrp.checkerBlocks, f).toBe(whole.config.virtualServers.length > 0);
    }
  });
});
