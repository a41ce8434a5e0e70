// Configuration -> IPVS services and destinations, through the real config loader.
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import { granularityPrefix, parseTunnelOptions } from '../../../src/config/lvs-values.js';
import { desiredChanges, desiredTable, destsFor, holdsAlready, ownedServiceIds, servicesFor } from '../../../src/ipvs/from-config.js';
import { describeService, destId, serviceId } from '../../../src/ipvs/keys.js';
import { reconcile } from '../../../src/ipvs/reconcile.js';
import { applyToTable } from '../../../src/ipvs/table.js';
import type { LiveDest } from '../../../src/ipvs/live-dest.js';
import { parseIp } from '../../../src/util/ip.js';
import { TmpDir } from '../config/helpers.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

function load(text: string): KeepalivedConfig {
  const r = loadConfig(tmp.conf(text), { configId: 'test' });
  return r.config;
}
const messages = (text: string): string[] => loadConfig(tmp.conf(text), { configId: 'test' }).diagnostics.list.map((d) => d.message);
const rs = (lines: string) => lines.split(',').map((x) => `real_server ${x.trim()} { }`).join('\n');
const live = (a: string, over: Partial<LiveDest> = {}): LiveDest => ({ address: parseIp(a)!, weight: 1, ...over });

describe('servicesFor', () => {
  it.each([
    ['10.0.0.1 80 { lb_algo rr\n protocol TCP\n lb_kind NAT\n ' + rs('10.0.1.1 80') + ' }', ['TCP 10.0.0.1:80'], { scheduler: 'rr', flags: 0, timeoutS: 0, netmaskPrefix: 32 }],
    ['10.0.0.1 53 { lb_algo sh\n sh-port\n sh-fallback\n mh-port\n protocol UDP\n ops\n ' + rs('10.0.1.1 53') + ' }', ['UDP 10.0.0.1:53'], { scheduler: 'sh', flags: 0x4 | 0x8 | 0x10 }],
    ['10.0.0.1 80 { lb_algo mh\n mh-port\n mh-fallback\n sh-port\n ops\n protocol TCP\n ' + rs('10.0.1.1 80') + ' }', ['TCP 10.0.0.1:80'], { scheduler: 'mh', flags: 0x8 | 0x10 }],
    ['10.0.0.1 80 { lb_algo wlc\n flag-1\n flag-3\n hashed\n protocol TCP\n ' + rs('10.0.1.1 80') + ' }', ['TCP 10.0.0.1:80'], { flags: 0x8 | 0x20 | 0x2 }],
    ['fwmark 7 { lb_algo rr\n lb_kind DR\n ops\n persistence_timeout 120\n persistence_granularity 255.255.255.0\n ' + rs('10.0.1.1') + ' }', ['FWM 7'], { flags: 0x1 | 0x4, timeoutS: 120, netmaskPrefix: 24 }],
    ['fwmark 8 { lb_algo rr\n lb_kind DR\n ' + rs('2001:db8::5') + ' }', ['FWM 8 inet6'], { netmaskPrefix: 128 }],
    ['fwmark 9 { lb_algo rr\n ip_family inet6\n lb_kind TUN\n ' + rs('10.0.0.9') + ' }', ['FWM 9 inet6'], {}],
    ['2001:db8::1 443 { lb_algo lc\n protocol TCP\n persistence_timeout\n persistence_granularity 64\n persistence_engine sip\n ' + rs('2001:db8::2 443') + ' }', ['TCP [2001:db8::1]:443'], { flags: 1, timeoutS: 360, netmaskPrefix: 64, persistenceEngine: 'sip' }],
    ['10.0.0.1 0 { lb_algo rr\n protocol TCP\n ' + rs('10.0.1.1 0') + ' }', ['TCP 10.0.0.1:0'], { flags: 1, timeoutS: 360 }],
  ])('virtual_server %s', (body, keys, fields) => {
    const cfg = load(`virtual_server ${body}\n`);
    const s = servicesFor(cfg, cfg.virtualServers[0]!);
    expect(s.map((x) => describeService(x.key))).toEqual(keys);
    expect(s[0]).toMatchObject(fields);
  });

  it('group: address ranges, ports, fwmarks with their family; a port-0 entry makes it persistent', () => {
    const cfg = load(`virtual_server_group G {
  10.0.0.1-3 80
  10.0.1.7 8080
  2001:db8::1-2 443
  fwmark 5
  fwmark 6 inet6
}
virtual_server group G { lb_algo wrr\n protocol TCP\n ${rs('10.0.9.1 80')} }
virtual_server_group Z { 10.0.2.1 }
virtual_server group Z { lb_algo rr\n protocol UDP\n ${rs('10.0.9.2')} }
`);
    const g = servicesFor(cfg, cfg.virtualServers[0]!);
    expect(g.map((x) => describeService(x.key))).toEqual([
      'TCP 10.0.0.1:80', 'TCP 10.0.0.2:80', 'TCP 10.0.0.3:80', 'TCP 10.0.1.7:8080', 'TCP [2001:db8::1]:443', 'TCP [2001:db8::2]:443', 'FWM 5', 'FWM 6 inet6',
    ]);
    expect(g.every((s) => s.timeoutS === 0 && s.scheduler === 'wrr')).toBe(true);
    const z = servicesFor(cfg, cfg.virtualServers[1]!);
    expect(z).toMatchObject([{ timeoutS: 360, flags: 1 }]);
    expect(ownedServiceIds(cfg)).toHaveLength(9);
  });

  // row 'lvs.granularity-not-solid' (docs/semantics.md): a deliberate difference, keepalived runs 255.0.255.0 as written
  it('an invalid granularity is an error of the configuration, and the service keeps one address', () => {
    const text = `virtual_server 10.0.0.1 80 { lb_algo rr\n protocol TCP\n persistence_timeout 60\n persistence_granularity 255.0.255.0\n ${rs('10.0.1.1 80')} }\n`;
    expect(messages(text)).toContainEqual(expect.stringMatching(/^IPv4 persistence_granularity netmask is not solid - 255.0.255.0 /));
    const cfg = load(text);
    expect(servicesFor(cfg, cfg.virtualServers[0]!)).toMatchObject([{ timeoutS: 60, netmaskPrefix: 32 }]);
  });

  it('a granularity makes the service persistent, and names the family of a fwmark service (pgr_handler)', () => {
    const cfg = load(`virtual_server fwmark 3 { lb_algo rr\n persistence_granularity 64\n lb_kind TUN\n ${rs('2001:db8::5')} }\n`);
    expect(servicesFor(cfg, cfg.virtualServers[0]!)).toMatchObject([{ key: { family: 'inet6' }, timeoutS: 360, flags: 1, netmaskPrefix: 64 }]);
    expect(messages(`virtual_server fwmark 3 { persistence_granularity 64\n ip_family inet\n ${rs('10.0.1.1')} }\n`)).toEqual(
      expect.arrayContaining(['Virtual server specified family inet conflicts with server family', "Address family of virtual server and real server 10.0.1.1 don't match - skipping real server."]),
    );
  });
});

describe('destsFor: keepalived port rules', () => {
  const cfg = load(`
virtual_server 10.0.0.1 80 { lb_algo rr\n protocol TCP\n lb_kind NAT\n ${rs('10.0.1.1 8080, 10.0.1.2')} }
virtual_server 10.0.0.2 80 { lb_algo rr\n protocol TCP\n lb_kind DR\n ${rs('10.0.1.1 80')} }
virtual_server fwmark 3 { lb_algo rr\n lb_kind NAT\n ${rs('10.0.1.1 8080')} }
virtual_server fwmark 4 { lb_algo rr\n lb_kind TUN type gue port 6080 csum\n ${rs('10.0.1.1')} }
virtual_server 10.0.0.5 80 { lb_algo rr\n protocol TCP\n lb_kind TUN type gre\n ${rs('10.0.1.1 80')} }
`);
  const [nat, dr, fwNat, fwTun, gre] = cfg.virtualServers;
  it.each([
    ['NAT keeps the real server port, else the service port', nat!, [live('10.0.1.1', { port: 8080, weight: 3, uthreshold: 10, lthreshold: 2 }), live('10.0.1.2')], ['10.0.1.1:8080', '10.0.1.2:80'], { fwd: 'NAT', weight: 3, uThreshold: 10, lThreshold: 2 }],
    ['DR forwards to the service port', dr!, [live('10.0.1.1', { port: 9999 })], ['10.0.1.1:80'], { fwd: 'DR' }],
    ['a real server lvs_method overrides', nat!, [live('10.0.1.1', { port: 8080, lvsMethod: 'DR' })], ['10.0.1.1:80'], { fwd: 'DR' }],
    ['fwmark NAT keeps the real server port', fwNat!, [live('10.0.1.1', { port: 8080 })], ['10.0.1.1:8080'], { fwd: 'NAT' }],
    ['fwmark TUN: port 0 and the tunnel of lb_kind', fwTun!, [live('10.0.1.1', { port: 80 })], ['10.0.1.1:0'], { fwd: 'TUN', tunType: 'gue', tunPort: 6080, tunCsum: 'csum' }],
    ['gre tunnel', gre!, [live('10.0.1.1')], ['10.0.1.1:80'], { fwd: 'TUN', tunType: 'gre', tunCsum: 'nocsum' }],
    ['inhibited (weight 0) stays', dr!, [live('10.0.1.1', { weight: 0 })], ['10.0.1.1:80'], { weight: 0 }],
  ])('%s', (_n, vs, l, ids, fields) => {
    const ds = destsFor(vs, l);
    expect(ds.map(destId)).toEqual(ids);
    expect(ds[0]).toMatchObject(fields);
  });

  it("a real server's own tunnel options, and the virtual server's as they were when it was opened (alloc_rs)", () => {
    const c = load(`virtual_server 10.0.0.1 80 { lb_algo rr\n protocol TCP\n lb_kind TUN type gue port 6080
 real_server 10.0.1.1 80 { lvs_method TUN type gre csum }
 real_server 10.0.1.2 80 { }
 lb_kind DR
 real_server 10.0.1.3 80 { }
}\n`);
    const vs = c.virtualServers[0]!;
    expect(vs.realServers.map((r) => [r.lvsMethod, r.tunnel])).toEqual([
      ['TUN', { tunType: 'gre', tunCsum: 'csum' }],
      ['TUN', { tunType: 'gue', tunPort: 6080, tunCsum: 'nocsum' }],
      ['DR', { tunType: 'ipip', tunCsum: 'nocsum' }], // each lb_kind starts from ipip
    ]);
    const ds = destsFor(vs, [live('10.0.1.1', { lvsMethod: 'TUN', tunnel: vs.realServers[0]!.tunnel! }), live('10.0.1.3')]);
    expect(ds).toMatchObject([{ fwd: 'TUN', tunType: 'gre', tunCsum: 'csum' }, { fwd: 'DR' }]);
    expect(ds[1]).not.toHaveProperty('tunType');
  });

  it('group entries: the dest port follows each entry for DR', () => {
    const c = load(`virtual_server_group G { 10.0.0.1 80\n 10.0.0.2 443\n fwmark 5 }\nvirtual_server group G { lb_algo rr\n protocol TCP\n lb_kind DR\n ${rs('10.0.1.1')} }\n`);
    const t = desiredTable(c, () => [live('10.0.1.1')]);
    expect([...t.values()].map((v) => `${describeService(v.service.key)} -> ${[...v.dests.keys()].join(',')}`)).toEqual([
      'TCP 10.0.0.1:80 -> 10.0.1.1:80', 'TCP 10.0.0.2:443 -> 10.0.1.1:443', 'FWM 5 -> 10.0.1.1:0',
    ]);
  });

  it('desiredTable keeps services without live dests (keepalived creates them at start)', () => {
    const t = desiredTable(cfg, (i) => (i === 0 ? [live('10.0.1.2')] : []));
    expect(t.size).toBe(5);
    expect([...t.values()].map((v) => v.dests.size)).toEqual([1, 0, 0, 0, 0]);
  });
});

describe('desiredChanges: the services the kernel already holds are left out, and the operations stay those of the whole table', () => {
  const cfg = load(`
virtual_server_group G { 10.0.0.1-2 80\n fwmark 5 }
virtual_server 10.0.0.1 80 { lb_algo wlc\n protocol TCP\n lb_kind NAT\n ${rs('10.0.1.1 8080, 10.0.1.2 8080, 10.0.1.3')} }
virtual_server 10.0.0.2 80 { lb_algo rr\n protocol TCP\n lb_kind DR\n ${rs('10.0.1.1 80, 10.0.1.2 80')} }
virtual_server 10.0.0.3 80 { lb_algo sh\n protocol TCP\n lb_kind DR\n ${rs('10.0.1.4 80, 10.0.1.1 80, 10.0.1.3 80')} }
virtual_server fwmark 4 { lb_algo rr\n lb_kind TUN type gue port 6080\n ${rs('10.0.1.1, 10.0.1.2')} }
virtual_server group G { lb_algo wrr\n protocol TCP\n lb_kind DR\n ${rs('10.0.1.5 80, 10.0.1.6 80')} }
virtual_server 2001:db8::1 443 { lb_algo lc\n protocol TCP\n lb_kind NAT\n ${rs('2001:db8::2 443, 2001:db8::3 8443')} }
virtual_server 10.0.0.1 80 { lb_algo wlc\n protocol TCP\n lb_kind NAT\n ${rs('10.0.1.7 8080')} }
`);
  const services = cfg.virtualServers.map((vs) => servicesFor(cfg, vs));
  // a small seeded generator: the same cases at every run
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (seed >>> 12) % n;
  };
  /** Each virtual server's live destinations: a random subset of its real servers, some weights changed, some in another order. */
  const randomLive = (): LiveDest[][] => cfg.virtualServers.map((vs) => {
    const l = vs.realServers.filter(() => rand(4) !== 0).map((r) => ({
      address: r.address, ...(r.port !== undefined && vs.fwmark === undefined ? { port: r.port } : {}), weight: rand(5) === 0 ? 0 : 1 + rand(2),
      ...(rand(8) === 0 ? { uthreshold: 5 } : {}), ...(r.lvsMethod !== undefined ? { lvsMethod: r.lvsMethod } : {}),
    }));
    return rand(6) === 0 ? l.reverse() : l;
  });
  const kernelAfter = (live: LiveDest[][]): Map<string, ReturnType<typeof desiredTable> extends Map<string, infer V> ? V : never> =>
    applyToTable(new Map(), reconcile(desiredTable(cfg, (i) => live[i]!), new Map()));

  it('an unchanged table: every service settled, no operation', () => {
    const live = cfg.virtualServers.map((vs) => vs.realServers.map((r) => ({ address: r.address, ...(r.port !== undefined && vs.fwmark === undefined ? { port: r.port } : {}), weight: 1 })));
    const kernel = kernelAfter(live);
    const { changed, settled } = desiredChanges(cfg, services, (i) => live[i]!, kernel);
    // sh keeps its canonical order and TUN its tunnel: those two are left to the full reconcile
    expect([...changed.keys()].sort()).toEqual(['FWM 4 inet', 'TCP 10.0.0.3:80']);
    expect(settled.size).toBe(new Set(ownedServiceIds(cfg)).size - 2);
    expect(reconcile(changed, kernel, { settled })).toEqual([]);
  });

  it('200 random pairs of kernel table and desired state: the same operations as the whole table, and the same services owned', () => {
    for (let n = 0; n < 200; n++) {
      const kernel = kernelAfter(randomLive());
      // some services of an earlier run, or of the previous configuration, in the kernel
      if (rand(3) === 0) kernel.delete(serviceId(services[rand(services.length)]![0]!.key));
      const gone = { type: 'addr', protocol: 'TCP', address: parseIp('10.0.0.9')!, port: 80 } as const;
      kernel.set(serviceId(gone), { service: { key: gone, scheduler: 'rr', flags: 0, timeoutS: 0, netmaskPrefix: 32 }, dests: new Map() });
      const previouslyOwned = [serviceId(gone), ...[...kernel.keys()].filter(() => rand(2) === 0)];
      const live = randomLive();
      const whole = reconcile(desiredTable(cfg, (i) => live[i]!), kernel, { previouslyOwned });
      const { changed, settled } = desiredChanges(cfg, services, (i) => live[i]!, kernel);
      expect(reconcile(changed, kernel, { previouslyOwned, settled })).toEqual(whole);
      expect(new Set([...settled, ...changed.keys()])).toEqual(new Set(ownedServiceIds(cfg)));
      expect([...settled].some((id) => changed.has(id))).toBe(false);
    }
  });

  it('holdsAlready answers yes only for the same destinations in the same order', () => {
    const vs = cfg.virtualServers[5]!;
    const [service] = services[5]!;
    const l = [live('2001:db8::2', { port: 443 }), live('2001:db8::3', { port: 8443 })];
    const have = kernelAfter(cfg.virtualServers.map((_v, i) => (i === 5 ? l : []))).get(serviceId(service!.key));
    expect(holdsAlready(vs, service!, l, have)).toBe(true);
    expect(holdsAlready(vs, service!, [...l].reverse(), have)).toBe(false);
    expect(holdsAlready(vs, service!, [l[0]!, live('2001:db8::3', { port: 8443, weight: 2 })], have)).toBe(false);
    expect(holdsAlready(vs, service!, [l[0]!, live('2001:db8::3', { port: 81 })], have)).toBe(false);
    expect(holdsAlready(vs, service!, [l[0]!, live('2001:db8::3')], have)).toBe(false);
    expect(holdsAlready(vs, service!, [l[0]!, live('2001:db8::3', { port: 8443, lthreshold: 1 })], have)).toBe(false);
    expect(holdsAlready(vs, service!, [l[0]!, live('2001:db8::4', { port: 8443 })], have)).toBe(false);
    expect(holdsAlready(vs, service!, [l[0]!, live('2001:db8::3', { port: 8443, lvsMethod: 'DR' })], have)).toBe(false);
    expect(holdsAlready(vs, service!, [l[0]!], have)).toBe(false);
    expect(holdsAlready(vs, { ...service!, scheduler: 'rr' }, l, have)).toBe(false);
    expect(holdsAlready(vs, service!, l, undefined)).toBe(false);
  });
});

describe('parsers', () => {
  // keepalived's words (check_parser.c svr_forwarding_handler), as `keepalived -t` prints them
  it.each([
    ['type ipip', { tunType: 'ipip', tunCsum: 'nocsum' }],
    ['type gue port 6080 remcsum', { tunType: 'gue', tunPort: 6080, tunCsum: 'remcsum' }],
    ['type gre csum', { tunType: 'gre', tunCsum: 'csum' }],
    ['', { tunType: 'ipip', tunCsum: 'nocsum' }],
    ['type gue', 'gue tunnels require port, otherwise cannot have port.'],
    ['port 80', 'gue tunnels require port, otherwise cannot have port.'],
    ['csum', 'ipip tunnels do not support checksum option.'],
    ['type gre remcsum', 'gre tunnels do not support remote checksum option.'],
    ['type vxlan', 'Unknown tunnel type vxlan for virtual server.'],
    ['type', 'Missing tunnel type for virtual server.'],
    ['type gue port', 'Missing port for virtual server gue tunnel.'],
    ['type gue port 70000', 'Invalid gue tunnel port 70000 for virtual server.'],
    ['gue', 'Invalid tunnel option gue for virtual server.'],
  ])('tunnel options %j', (text, want) => expect(parseTunnelOptions(text.split(' ').filter((w) => w !== ''), 'virtual')).toEqual(want));

  it.each([
    ['255.255.255.255', 'inet', 32], ['255.255.255.0', 'inet', 24], ['0.0.0.0', 'inet', 0],
    ['255.0.255.0', 'inet', { error: expect.stringMatching(/^IPv4 persistence_granularity netmask is not solid - 255.0.255.0 /), notSolid: true }],
    ['24', 'inet', { error: expect.stringMatching(/^IPv4 persistence_granularity netmask is not solid - 24 /), notSolid: true }], // 0.0.0.24
    ['0xffffff00', 'inet', 24], ['255.16777215', 'inet', 32], ['037777777400', 'inet', 24], // inet_aton's forms, as keepalived
    ['255.255.255.0.0', 'inet', { error: 'Invalid IPv4 persistence_granularity specified - 255.255.255.0.0' }],
    ['255.255.255.256', 'inet', { error: 'Invalid IPv4 persistence_granularity specified - 255.255.255.256' }],
    ['4294967296', 'inet', { error: 'Invalid IPv4 persistence_granularity specified - 4294967296' }],
    ['1.2.3.4x', 'inet', { error: 'Invalid IPv4 persistence_granularity specified - 1.2.3.4x' }], ['64', 'inet6', 64],
    ['0', 'inet6', { error: 'Invalid IPv6 persistence_granularity specified - 0' }], ['129', 'inet6', { error: 'Invalid IPv6 persistence_granularity specified - 129' }],
  ] as const)('granularity %s (%s)', (t, f, want) => expect(granularityPrefix(t, f)).toEqual(want));
});
