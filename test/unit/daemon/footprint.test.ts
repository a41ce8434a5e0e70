// What each process keeps of a configuration (issue 22): the VRRP process not the checker's
// half; the checker's units one timing object per timing and no probe text; addresses as
// views on shared slabs. The sizes themselves are measured by bench/footprint.mjs, not here.
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { CheckerEngine } from '../../../src/check/engine.js';
import { vrrpHalf } from '../../../src/daemon/load-config.js';
import { parseIp, formatIp } from '../../../src/util/ip.js';
import { fakeMachine, TmpDir } from '../config/helpers.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

const realServers = (n: number, checker = 'TCP_CHECK {\n      connect_timeout 3\n    }'): string =>
  Array.from({ length: n }, (_, i) => `  real_server 10.8.0.${i + 1} 80 {\n    weight 1\n    ${checker}\n  }\n`).join('');

const CONF = `SSL {\n  password secret\n}\n`
  + `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    10.0.0.1/24\n  }\n}\n`
  + `virtual_server 10.6.0.1 80 {\n  delay_loop 5\n  lb_algo wrr\n  lb_kind DR\n  protocol TCP\n${realServers(3)}}\n`;

describe('what each process keeps', () => {
  it('the VRRP process keeps no virtual server, group or SSL block, and everything else', () => {
    const cfg = loadConfig(tmp.conf(CONF), { configId: 'lb1', machine: fakeMachine() }).config;
    expect(cfg.virtualServers).toHaveLength(1);
    expect(cfg.ssl).toBeDefined();
    const half = vrrpHalf(cfg);
    expect(half.virtualServers).toEqual([]);
    expect(half.virtualServerGroups).toEqual([]);
    expect('ssl' in half).toBe(false);
    expect(half.vrrpInstances).toBe(cfg.vrrpInstances);
    expect(half.globalDefs).toBe(cfg.globalDefs);
  });

  it('checker units share one timing object per timing and keep a short identity, not the probe text', () => {
    const cfg = loadConfig(tmp.conf(CONF), { configId: 'lb1', machine: fakeMachine() }).config;
    const engine = new CheckerEngine(cfg, { random: () => 0 });
    const units = new Set(engine.checkers.map((b) => b.unit!));
    expect(units.size).toBe(3);
    const [a, b, c] = [...units];
    expect(a!.timing).toBe(b!.timing);
    expect(b!.timing).toBe(c!.timing);
    for (const u of units) expect(u.key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(new Set([...units].map((u) => u.key)).size).toBe(3);
    // a unit's bindings array holds exactly what it binds
    for (const u of units) expect(u.bindings).toHaveLength(1);
  });

  it('the same probe in two virtual servers is still one unit (the identity is the probe, digested)', () => {
    const two = `virtual_server 10.6.0.1 80 {\n  delay_loop 5\n  protocol TCP\n${realServers(1)}}\n`
      + `virtual_server 10.6.0.2 80 {\n  delay_loop 5\n  protocol TCP\n${realServers(1)}}\n`;
    const cfg = loadConfig(tmp.conf(two), { configId: 'lb1', machine: fakeMachine() }).config;
    const engine = new CheckerEngine(cfg, { random: () => 0 });
    expect(engine.stats.units).toBe(1);
    expect(engine.stats.checkers).toBe(2);
  });

  it('parsed addresses are 4 or 16 bytes of their own, on a shared buffer', () => {
    const a = parseIp('10.1.2.3')!;
    const b = parseIp('2001:db8::1')!;
    const c = parseIp('192.168.0.1')!;
    expect([a.bytes.length, b.bytes.length, c.bytes.length]).toEqual([4, 16, 4]);
    expect([formatIp(a), formatIp(b), formatIp(c)]).toEqual(['10.1.2.3', '2001:db8::1', '192.168.0.1']);
    expect(a.bytes.buffer).toBe(c.bytes.buffer);
    // writing one address's bytes leaves the others alone
    (a.bytes as Uint8Array)[0] = 11;
    expect(formatIp(c)).toBe('192.168.0.1');
    expect(formatIp(b)).toBe('2001:db8::1');
    // 3,000 addresses overflow a slab: the later ones are on a fresh one, and stay right
    const many = Array.from({ length: 3000 }, (_, i) => parseIp(`10.9.${i >> 8}.${i & 255}`)!);
    expect(many.map(formatIp).slice(-2)).toEqual(['10.9.11.182', '10.9.11.183']);
    expect(many[0]!.bytes.buffer).not.toBe(many[2999]!.bytes.buffer);
  });
});
