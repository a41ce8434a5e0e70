// garp_extra_if / vrrp_garp_extra_if: what keepalived reads (vrrp_parser.c, global_parser.c) and
// when it refreshes which interfaces (vrrp.c vrrp_complete_instance, vrrp_send_vmac_update).
import { afterAll, describe, expect, it } from 'vitest';
import { garpExtraIf } from '../../../src/daemon/engine-config.js';
import { loadConfig } from '../../../src/config/load.js';
import { fakeMachine, TmpDir } from '../config/helpers.js';
import type { AddressEntry } from '../../../src/config/model.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());
const loadConfigText = (text: string): ReturnType<typeof loadConfig> => loadConfig(tmp.conf(text), { configId: 'lb1', machine: fakeMachine() });

const vip = (dev?: string): AddressEntry => ({ address: { family: 'inet', bytes: new Uint8Array([10, 0, 0, 1]) }, ...(dev ? { dev } : {}) } as AddressEntry);

describe('garp_extra_if', () => {
  it('the interfaces refreshed: keepalived\'s VMACs, any other interface with `all`, never the own one', () => {
    const vmacs = new Set(['vrrp.7']);
    const addrs = [vip(), vip('eth1'), vip('vrrp.7'), vip('eth1')];
    expect(garpExtraIf({ garpExtraIf: { intervalMs: 5000, all: true } }, undefined, addrs, 'eth0', undefined, vmacs)).toEqual({ intervalMs: 5000, devs: ['eth1', 'vrrp.7'] });
    expect(garpExtraIf({ garpExtraIf: { intervalMs: 5000, all: false } }, undefined, addrs, 'eth0', undefined, vmacs)).toEqual({ intervalMs: 5000, devs: ['vrrp.7'] });
    // another interface that is not a VMAC, without `all`: nothing at all
    expect(garpExtraIf({ garpExtraIf: { intervalMs: 5000, all: false } }, undefined, [vip(), vip('eth1')], 'eth0', undefined, vmacs)).toEqual({ intervalMs: 0, devs: [] });
    // no other interface: nothing
    expect(garpExtraIf({ garpExtraIf: { intervalMs: 5000, all: true } }, undefined, [vip()], 'eth0', undefined, vmacs)).toEqual({ intervalMs: 0, devs: [] });
    // the global setting when the instance has none; the instance's 0 turns it off
    expect(garpExtraIf({}, { intervalMs: 2000, all: true }, addrs, 'eth0', undefined, vmacs).intervalMs).toBe(2000);
    expect(garpExtraIf({ garpExtraIf: { intervalMs: 0, all: false } }, { intervalMs: 2000, all: true }, addrs, 'eth0', undefined, vmacs).intervalMs).toBe(0);
    // with use_vmac the instance's interface is its VMAC; with vmac_xmit_base that one is refreshed too
    const own = { name: 'vrrp.9', xmitBase: true };
    expect(garpExtraIf({ garpExtraIf: { intervalMs: 1000, all: false } }, undefined, [vip('vrrp.9'), vip('vrrp.7')], 'eth0', own, new Set(['vrrp.7', 'vrrp.9'])).devs).toEqual(['vrrp.9', 'vrrp.7']);
  });

  it('is read as keepalived reads it, with its messages', () => {
    const r = loadConfigText([
      'global_defs {', '  vrrp_vmac_garp_intvl all 30', '}',
      'vrrp_instance A {', '  interface eth0', '  virtual_router_id 1', '  priority 100', '  virtual_ipaddress {', '    10.0.0.1', '  }', '  garp_extra_if 7', '}',
      'vrrp_instance B {', '  interface eth0', '  virtual_router_id 2', '  priority 100', '  virtual_ipaddress {', '    10.0.0.2', '  }', '  garp_extra_if all', '}',
    ].join('\n'));
    expect(r.config.globalDefs.vrrpGarpExtraIf).toEqual({ intervalMs: 30_000, all: true });
    expect(r.config.vrrpInstances[0]!.garpExtraIf).toEqual({ intervalMs: 7000, all: false });
    expect(r.config.vrrpInstances[1]!.garpExtraIf).toBeUndefined();
    const msgs = r.diagnostics.list.map((d) => d.message);
    expect(msgs).toContain('Keyword "vrrp_vmac_garp_intvl" is deprecated - please use "vrrp_garp_extra_if"');
    expect(msgs).toContain('(B): garp_extra_if specified without time - ignoring');
  });
});
