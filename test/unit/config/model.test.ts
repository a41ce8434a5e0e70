// loadConfig on small configs: keepalived 2.2.7's defaults, field parsing, LVS, and the
// diagnostics (code, keepalived class, line:col) of common mistakes. The machine is a fake
// (eth0/eth1, users root and nobody), so nothing here depends on the host.
import { afterAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, type Diagnostic } from '../../../src/config/diagnostics.js';
import { loadConfig, type LoadResult } from '../../../src/config/load.js';
import type { Checker, VrrpInstance } from '../../../src/config/model.js';
import { formatIp, type IpAddress, type IpPrefix } from '../../../src/util/ip.js';
import { fakeMachine, TmpDir } from './helpers.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

const load = (text: string): LoadResult => {
  const file = tmp.conf(text);
  return loadConfig(file, { configId: 'lb1', machine: fakeMachine(), displayBase: file.replace(/\/keepalived\.conf$/, '') });
};
const ip = (a: IpAddress | undefined): string | undefined => (a ? formatIp(a) : undefined);
const prefix = (p: IpPrefix | 'default' | 'all' | undefined): string | undefined => (p === undefined || typeof p === 'string' ? p : `${formatIp(p)}/${p.prefixLen}`);
/** `CODE CLASS line:col` of every diagnostic, the compact form of the tables below. */
const brief = (d: readonly Diagnostic[]): string[] => d.map((x) => `${x.code} ${x.kaClass} ${x.loc ? `${x.loc.line}:${x.loc.col}` : '-'}`);

/** A valid instance with `body` added before its closing brace (line 7 is the first body line). */
const inst = (body = '', name = 'VI_1', vrid = 51, vip = '10.0.0.1/24'): string =>
  `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  virtual_ipaddress {\n    ${vip}\n  }\n${body}}\n`;
const security = 'global_defs {\n  enable_script_security\n  script_user root\n}\n';
const only = (r: LoadResult): VrrpInstance => {
  expect(r.config.vrrpInstances).toHaveLength(1);
  return r.config.vrrpInstances[0]!;
};

describe('vrrp_instance defaults', () => {
  it('a minimal instance is clean and gets priority 100, BACKUP, 1 s adverts, VRRPv2', () => {
    const r = load(inst());
    expect(r.diagnostics.list).toEqual([]);
    expect(r.diagnostics.configTestExitCode()).toBe(0);
    expect(only(r)).toMatchObject({ name: 'VI_1', priority: 100, state: 'BACKUP', advertIntMs: 1000, version: 2, family: 'inet', nopreempt: false, preemptDelayMs: 0 });
  });

  it.each([
    ['  state MASTER\n', 255, 'MASTER'],
    ['  priority 255\n', 255, 'MASTER'],
    ['  state MASTER\n  priority 150\n', 150, 'MASTER'],
    ['  priority 200\n', 200, 'BACKUP'],
    ['  state BACKUP\n  priority 255\n', 255, 'BACKUP'],
  ])('%j -> priority %d, state %s', (body, priority, state) => {
    expect(only(load(inst(body)))).toMatchObject({ priority, state });
  });

  it('IPv6 addresses make the instance inet6 and VRRPv3', () => {
    const i = only(load(inst('', 'V6', 5, 'fe80::10/64')));
    expect(i).toMatchObject({ family: 'inet6', version: 3 });
    expect(i.virtualIpaddress[0]).toMatchObject({ noDad: true });
  });

  it('global vrrp_version 3 applies to instances; advert_int keeps centiseconds in v3', () => {
    const i = only(load(`global_defs {\n  vrrp_version 3\n}\n${inst('  advert_int 0.25\n')}`));
    expect(i).toMatchObject({ version: 3, advertIntMs: 250 });
  });

  it('a fractional advert_int in VRRPv2 is rounded with an error', () => {
    const r = load(inst('  advert_int 1.4\n'));
    expect(only(r).advertIntMs).toBe(1000);
    expect(brief(r.diagnostics.list)).toEqual(['CONFIG_VALUE GENERAL_ERROR 7:14']);
  });

  it('garp defaults in globalDefs, and their overrides in seconds', () => {
    const g = load('').config.globalDefs;
    expect(g).toMatchObject({
      vrrpGarpMasterDelayMs: 5000, vrrpGarpMasterRepeat: 5, vrrpGarpMasterRefreshMs: 0, vrrpGarpMasterRefreshRepeat: 1,
      vrrpGarpIntervalMs: 0, vrrpGnaIntervalMs: 0, vrrpVersion: 2, vrrpDownTimerAdverts: 3, enableScriptSecurity: false,
    });
    expect(ip(g.vrrpMcastGroup4)).toBe('224.0.0.18');
    expect(ip(g.vrrpMcastGroup6)).toBe('ff02::12');
    const o = load('global_defs {\n  vrrp_garp_master_delay 10\n  vrrp_garp_master_repeat 2\n  vrrp_garp_interval 0.001\n}\n').config.globalDefs;
    expect(o).toMatchObject({ vrrpGarpMasterDelayMs: 10_000, vrrpGarpMasterRepeat: 2, vrrpGarpIntervalMs: 1 });
  });
});

describe('vrrp_instance fields', () => {
  it('virtual_ipaddress entry options', () => {
    const vips = only(load(inst('', 'VI_1', 51, '10.0.0.2/24 dev eth1 scope link label eth1:1 brd 10.0.0.255 no_track\n    10.0.0.3'))).virtualIpaddress;
    expect(vips.map((v) => prefix(v.address))).toEqual(['10.0.0.2/24', '10.0.0.3/32']);
    expect(vips[0]).toMatchObject({ dev: 'eth1', scope: 'link', label: 'eth1:1', broadcast: '10.0.0.255', noTrack: true });
    expect(vips[1]).toMatchObject({ noTrack: false, loc: { line: 6, col: 5 } });
    expect(vips[1]!.dev).toBeUndefined();
  });

  it('virtual_routes and virtual_rules', () => {
    const i = only(load(inst(
      '  virtual_routes {\n    10.1.0.0/16 via 10.0.0.254 dev eth0 metric 5 table 100\n    default via 10.0.0.1 dev eth1\n    blackhole 10.9.0.0/16 no_track\n  }\n' +
        '  virtual_rules {\n    from 10.0.0.0/24 table 100 priority 5\n    to 10.2.0.0/16 lookup 7 no_track\n  }\n',
    )));
    expect(i.virtualRoutes.map((r) => [prefix(r.to), ip(r.via), r.dev, r.metric, r.table, r.type, r.noTrack])).toEqual([
      ['10.1.0.0/16', '10.0.0.254', 'eth0', 5, '100', undefined, false],
      ['default', '10.0.0.1', 'eth1', undefined, undefined, undefined, false],
      ['10.9.0.0/16', undefined, undefined, undefined, undefined, 'blackhole', true],
    ]);
    expect(i.virtualRules.map((r) => [prefix(r.from), prefix(r.to), r.table, r.preference, r.noTrack])).toEqual([
      ['10.0.0.0/24', undefined, '100', 5, false],
      [undefined, '10.2.0.0/16', '7', undefined, true],
    ]);
  });

  it('rule words as keepalived reads them: the action as a route type, dev / order / nop, all / any / default; the rules it drops', () => {
    const rules = [
      'from any type blackhole priority 1', 'from default to all dev eth0 table 9 order 2', 'from 10.0.0.0/8 nop priority 3',
      'iif eth0 l3mdev realms 4 sup_group 5 tunnel-id 6 priority 4', 'from 10.0.0.0/8 6 priority 5',
      'from 10.0.0.0/8 type nat priority 6', 'from 10.0.0.0/8 table 9 tun_id 3 priority 7', 'from 10.0.0.0/8 inet6 table 9 priority 8',
      'from 10.0.0.0/8 to 2001:db8::/32 table 9 priority 9', 'from 10.0.0.0/8 table 9 goto 20 priority 10', 'from 10.0.0.0/8 table 0 priority 11',
      'from 10.0.0.0/8 table 9 realms 256 priority 12', 'from 10.0.0.0/8 table 9 track_group TG priority 13',
    ];
    const r = load(inst(`  virtual_rules {\n${rules.map((l) => `    ${l}\n`).join('')}  }\n`));
    expect(only(r).virtualRules.map((x) => [prefix(x.from), prefix(x.to), x.iif, x.table, x.preference])).toEqual([
      ['all', undefined, undefined, undefined, 1], ['all', 'all', 'eth0', '9', 2], ['10.0.0.0/8', undefined, undefined, undefined, 3],
      [undefined, undefined, 'eth0', undefined, 4], ['10.0.0.0/8', undefined, undefined, undefined, 5],
    ]);
    expect(r.diagnostics.list.map((d) => `${d.loc?.line} ${d.message}`)).toEqual([
      '13 Invalid rule action nat', '14 Unknown rule option tun_id', '15 inet6 specified for IPv4 rule',
      '16 rule specification has mixed IPv4 and IPv6', '17 Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule',
      '18 Table 0 is not valid', '19 invalid realms 256 for rule', '20 Unknown rule option track_group',
    ]);
  });

  it('route words: `as` left out (and, in a nexthop, the rest of the words), `vrf` checked against the machine', () => {
    const machine = fakeMachine({ interfaceExists: (n) => ['eth0', 'eth1', 'blue'].includes(n), isVrf: (n) => n === 'blue' });
    const routes = ['10.1.0.0/16 dev eth0 as to 10.9.9.9 metric 3', '10.2.0.0/16 dev eth0 nexthop via 10.0.0.2 as 10.9.9.9 no_track bogus',
      '10.3.0.0/16 dev eth0 vrf blue', '10.4.0.0/16 dev eth0 vrf red', '10.5.0.0/16 dev eth0 vrf eth1', '10.6.0.0/16 dev eth0 track_group TG'];
    const r = loadConfig(tmp.conf(inst(`  virtual_routes {\n${routes.map((l) => `    ${l}\n`).join('')}  }\n`)), { configId: 'lb1', machine });
    expect(only(r).virtualRoutes.map((x) => [prefix(x.to), x.metric, x.noTrack])).toEqual([['10.1.0.0/16', 3, false], ['10.2.0.0/16', undefined, false], ['10.3.0.0/16', undefined, false]]);
    expect(r.diagnostics.list.map((d) => `${d.loc?.line}:${d.loc?.col} ${d.message}`)).toEqual([
      '8:26 "as to" for MPLS only - ignoring', "9:47 'as [to]' (nat) not supported", '11:30 VRF red not found for route',
      '12:30 Route specified VRF eth1 is not a VRF', '13:26 unknown route keyword track_group',
    ]);
  });

  it('static entries name a track group read before them; a route or rule with one needs an interface', () => {
    const r = load(`static_ipaddress {\n  10.9.0.1/24 dev eth1 track_group TG\n}\ntrack_group TG {\n  group {\n    VI_1\n  }\n}\ntrack_group TG {\n}\n`
      + `track_group {\n}\nstatic_ipaddress {\n  10.9.0.2/24 dev eth1 track_group TG track_group TG\n}\n`
      + `static_routes {\n  10.8.0.0/16 dev eth1 track_group TG\n  10.7.0.0/16 via 10.0.0.1 track_group TG no_track\n}\n`
      + `static_rules {\n  iif eth1 table 9 priority 1 track_group TG\n  from 10.0.0.0/8 table 9 priority 2 track_group TG\n}\n${inst()}`);
    const c = r.config;
    expect(c.staticTrackGroups.map((g) => [g.name, g.group?.map((m) => m.name)])).toEqual([['TG', ['VI_1']]]);
    expect(c.staticIpaddress.map((a) => a.trackGroup)).toEqual([undefined, 'TG']);
    expect(c.staticRoutes.map((x) => x.trackGroup)).toEqual(['TG', undefined]);
    expect(c.staticRules.map((x) => x.trackGroup)).toEqual(['TG', undefined]);
    expect(r.diagnostics.list.filter((d) => d.kaClass !== 'OK').map((d) => `${d.loc?.line} ${d.message}`)).toEqual([
      '2 track_group TG not found', '9 track_group TG already defined', '11 track_group is missing a parameter', '14 track_group TG is a duplicate',
      '18 Static route cannot have track group if no oif specified', '22 Static rule cannot have track_group if dev/iif not specified',
    ]);
  });

  it('a route without dev cannot be tracked: a warning class diagnostic (-t exits 5)', () => {
    const r = load(inst('  virtual_routes {\n    10.1.0.0/16 via 10.0.0.254\n  }\n'));
    expect(brief(r.diagnostics.list)).toEqual(['CONFIG_WARNING GENERAL_ERROR 8:5']);
    expect(r.diagnostics.configTestExitCode()).toBe(5);
  });

  it('unicast peers, source and ttl', () => {
    const i = only(load(inst('  unicast_src_ip 10.0.0.5\n  unicast_ttl 10\n  unicast_peer {\n    10.0.0.9 min_ttl 1 max_ttl 5\n    10.0.0.10\n  }\n')));
    expect(ip(i.unicastSrcIp)).toBe('10.0.0.5');
    expect(i.unicastTtl).toBe(10);
    expect(i.unicastPeer.map((p) => [ip(p.address), p.minTtl, p.maxTtl])).toEqual([['10.0.0.9', 1, 5], ['10.0.0.10', undefined, undefined]]);
  });

  it('track weights, reverse, and the scripts they name', () => {
    const r = load(
      'vrrp_script chk {\n  script "/usr/bin/check --fast"\n  interval 2\n  weight -5\n  rise 2\n  fall 3\n  user nobody\n}\n' +
        inst('  track_interface {\n    eth1 weight -20\n    eth0\n  }\n  track_script {\n    chk weight 10 reverse\n  }\n'),
    );
    const i = only(r);
    // eth0 is the instance's own interface: keepalived drops it from track_interface, with an error
    expect(i.trackInterface.map((t) => [t.name, t.weight, t.reverse])).toEqual([['eth1', -20, false]]);
    expect(r.diagnostics.list.filter((d) => d.row === 'vrrp.track-own-interface').map((d) => d.message)).toEqual(['(VI_1) Ignoring track_interface eth0 since own interface']);
    expect(i.trackScript.map((t) => [t.name, t.weight, t.reverse])).toEqual([['chk', 10, true]]);
    expect(r.config.vrrpScripts[0]).toMatchObject({
      name: 'chk', intervalMs: 2000, weight: -5, weightReverse: false, rise: 2, fall: 3, user: { user: 'nobody' },
      script: { argv: ['/usr/bin/check', '--fast'], text: '/usr/bin/check --fast' },
    });
  });

  it('vrrp_script defaults', () => {
    // tracked by an instance: an unused script is removed (vrrp.unused-script)
    expect(load('vrrp_script s {\n  script /bin/true\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  track_script {\n    s\n  }\n}\n').config.vrrpScripts[0]).toMatchObject({ intervalMs: 1000, weight: 0, rise: 1, fall: 1, initFail: false });
  });
});

describe('scripts: keepalived quoting', () => {
  it('a quoted command is one argv; the next word is the user, then the group', () => {
    const i = only(load(security + inst(`  notify_master "/bin/echo a b" root\n  notify_fault "/usr/bin/logger 'x y' z" nobody :nogroup\n`)));
    expect(i.notifyMaster).toMatchObject({ argv: ['/bin/echo', 'a', 'b'], text: '/bin/echo a b', user: 'root', loc: { line: 11, col: 17 } });
    expect(i.notifyMaster!.group).toBeUndefined();
    // the group word is taken as written: keepalived looks up ':nogroup', finds none and drops the script
    expect(i.notifyFault).toMatchObject({ argv: ['/usr/bin/logger', 'x y', 'z'], user: 'nobody', group: ':nogroup' });
  });

  it('the unquoted-extra-word trap: the word becomes the user; an advisory warning, exit status unchanged', () => {
    const quoted = load(security + inst('  notify_backup "/bin/echo hello"\n'));
    const trap = load(security + inst('  notify_backup /bin/echo hello\n'));
    expect(only(quoted).notifyBackup).toMatchObject({ argv: ['/bin/echo', 'hello'] });
    expect(only(trap).notifyBackup).toMatchObject({ argv: ['/bin/echo'], user: 'hello' });
    expect(quoted.diagnostics.list).toEqual([]);
    expect(trap.diagnostics.list).toHaveLength(1);
    expect(trap.diagnostics.list[0]).toMatchObject({ code: 'CONFIG_SCRIPT', kaClass: 'OK', advisory: true, loc: { line: 11, col: 17 } });
    expect(trap.diagnostics.list[0]!.message).toContain("'hello'");
    expect(trap.diagnostics.configTestExitCode()).toBe(quoted.diagnostics.configTestExitCode());
    expect(trap.diagnostics.configTestExitCode()).toBe(0);
    expect(formatDiagnostic(trap.diagnostics.list[0]!)).toMatch(/^keepalived\.conf:11:17: warning: .* \[CONFIG_SCRIPT\]$/);
  });

  it('scripts without enable_script_security: SECURITY VIOLATION, -t exits 6', () => {
    const r = load(inst('  notify_master /bin/true\n'));
    expect(brief(r.diagnostics.list)).toEqual(['CONFIG_SECURITY SECURITY_ERROR 7:17']);
    expect(r.diagnostics.configTestExitCode()).toBe(6);
  });

  it('a missing notify script is shown at the script, as advice: keepalived only logs it at start (-t exits 0)', () => {
    const file = tmp.conf(security + inst('  notify_master /nope\n'));
    const r = loadConfig(file, { configId: 'lb1', machine: fakeMachine({ scriptStatus: () => 'missing' }) });
    expect(r.diagnostics.list.map((d) => [d.code, d.kaClass, d.loc?.line, d.advisory])).toEqual([['CONFIG_SCRIPT', 'OK', 11, true]]);
    expect(r.diagnostics.configTestExitCode()).toBe(0);
  });
});

describe('LVS', () => {
  const lvs = `${security}bfd_instance b {
  neighbor_ip 10.2.0.3
}
virtual_server_group G {
  10.0.0.1-3 80
  fwmark 7
}
virtual_server 10.1.0.1 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  weight 3
  real_server 10.2.0.1 80 {
    TCP_CHECK {
      connect_timeout 3
    }
  }
  real_server 10.2.0.2 80 {
    weight 5
    HTTP_GET {
      url {
        path /
        status_code 200 300-399
        digest 0123456789abcdefABCDEF0123456789
      }
    }
  }
  real_server 10.2.0.3 80 {
    SSL_GET { url { path /x } }
    MISC_CHECK { misc_path "/bin/true x" }
    SMTP_CHECK { }
    DNS_CHECK { }
    UDP_CHECK { }
    PING_CHECK { }
    FILE_CHECK { track_file f }
    BFD_CHECK { name b }
  }
}
virtual_server fwmark 9 {
  lb_algo wlc
  lb_kind NAT
  real_server 10.2.0.9 {
  }
}
virtual_server group G {
  lb_algo wlc
  lb_kind NAT
  protocol UDP
  real_server 10.2.0.10 53 {
  }
}
`;
  const r = load(lvs);

  it('loads clean', () => {
    expect(r.diagnostics.list.map((d) => `${d.code} ${d.loc?.line}`)).toEqual([]);
  });

  it('virtual_server by IP and port, by fwmark, by group; groups with ranges and fwmarks', () => {
    const [a, b, c] = r.config.virtualServers;
    expect([ip(a!.address), a!.port, a!.lbAlgo, a!.lbKind, a!.protocol, a!.delayLoopMs, a!.quorum]).toEqual(['10.1.0.1', 80, 'rr', 'DR', 'TCP', 60_000, 1]);
    expect([b!.fwmark, b!.address, b!.protocol]).toEqual([9, undefined, 'TCP']);
    expect([c!.group, c!.protocol]).toEqual(['G', 'UDP']);
    const g = r.config.virtualServerGroups[0]!;
    expect(g.entries.map((e) => (e.fwmark !== undefined ? `fwmark ${e.fwmark}` : `${ip(e.first)}-${ip(e.last)}:${e.port}`))).toEqual(['10.0.0.1-10.0.0.3:80', 'fwmark 7']);
  });

  it('real servers inherit the virtual server weight unless they set their own', () => {
    expect(r.config.virtualServers[0]!.realServers.map((rs) => [ip(rs.address), rs.port, rs.weight])).toEqual([
      ['10.2.0.1', 80, 3], ['10.2.0.2', 80, 5], ['10.2.0.3', 80, 3],
    ]);
    expect(r.config.virtualServers[1]!.realServers[0]!.weight).toBe(1);
  });

  it('every checker type with its defaults', () => {
    const rss = r.config.virtualServers[0]!.realServers;
    expect(rss[0]!.checkers).toEqual([expect.objectContaining({ type: 'TCP_CHECK', connectTimeoutMs: 3000 })]);
    const byType = new Map<string, Checker>(rss[2]!.checkers.map((ck) => [ck.type, ck]));
    expect([...byType.keys()]).toEqual(['SSL_GET', 'MISC_CHECK', 'SMTP_CHECK', 'DNS_CHECK', 'UDP_CHECK', 'PING_CHECK', 'FILE_CHECK', 'BFD_CHECK']);
    expect(byType.get('SSL_GET')).toMatchObject({ url: [{ path: '/x', statusCode: [], regexNoMatch: false }] });
    expect(byType.get('MISC_CHECK')).toMatchObject({ miscDynamic: false, miscPath: { argv: ['/bin/true', 'x'] } });
    expect(byType.get('DNS_CHECK')).toMatchObject({ dnsType: 'SOA', name: '' });
    expect(byType.get('UDP_CHECK')).toMatchObject({ minReplyLength: 0, maxReplyLength: 255 });
    expect(byType.get('FILE_CHECK')).toMatchObject({ trackFile: 'f', weightReverse: false });
  });

  it('HTTP_GET url: status_code codes and ranges, digest lower-cased', () => {
    const http = r.config.virtualServers[0]!.realServers[1]!.checkers[0]!;
    expect(http).toMatchObject({ type: 'HTTP_GET', url: [{ path: '/', statusCode: [{ from: 200, to: 200 }, { from: 300, to: 399 }], digest: '0123456789abcdefabcdef0123456789' }] });
  });

  it('bad status_code words and a bad digest, each at its word', () => {
    const bad = load('virtual_server 10.1.0.1 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server 10.2.0.2 80 {\n    HTTP_GET {\n      url {\n        path /\n        status_code 99 200-100 600 abc 404\n        digest xyz\n      }\n    }\n  }\n}\n');
    expect(brief(bad.diagnostics.list)).toEqual([
      'CONFIG_RANGE GENERAL_ERROR 9:21', 'CONFIG_RANGE GENERAL_ERROR 9:24', 'CONFIG_RANGE GENERAL_ERROR 9:32', 'CONFIG_RANGE GENERAL_ERROR 9:36',
      'CONFIG_VALUE GENERAL_ERROR 10:16',
    ]);
    const url = (bad.config.virtualServers[0]!.realServers[0]!.checkers[0] as Extract<Checker, { type: 'HTTP_GET' | 'SSL_GET' }>).url[0]!;
    expect(url.statusCode).toEqual([{ from: 404, to: 404 }]);
    expect(url.digest).toBeUndefined();
  });

  it('a virtual server without protocol, scheduler or method: reported, defaults named in the message', () => {
    const d = load('virtual_server 10.1.0.1 80 {\n  real_server 10.2.0.2 80 {\n  }\n}\n').diagnostics.list;
    expect(brief(d)).toEqual(['CONFIG_MISSING GENERAL_ERROR 1:16', 'CONFIG_VALUE GENERAL_ERROR 1:16', 'CONFIG_VALUE GENERAL_ERROR 1:16']);
    expect(d.map((x) => x.message).join('\n')).toMatch(/UDP[\s\S]*'wlc'[\s\S]*NAT/);
  });
});

describe('diagnostics: code, class and line:col', () => {
  const cases: [string, string, string[], number][] = [
    ['priority out of range', inst('  priority 300\n'), ['CONFIG_RANGE INVALID_NUMBER 7:12'], 5],
    ['virtual_router_id out of range, then missing', inst('', 'VI_1', 256), ['CONFIG_RANGE INVALID_NUMBER 3:21', 'CONFIG_MISSING GENERAL_ERROR 1:15'], 5],
    ['advert_int not a number', inst('  advert_int fast\n'), ['CONFIG_VALUE INVALID_NUMBER 7:14'], 5],
    ['bad boolean', inst('  smtp_alert maybe\n'), ['CONFIG_VALUE GENERAL_ERROR 7:14'], 5],
    ['bad VIP', inst('', 'VI_1', 51, '10.0.0.300/24'), ['CONFIG_VALUE GENERAL_ERROR 5:5', 'CONFIG_MISSING GENERAL_ERROR 1:15'], 5],
    ['duplicate instance name', inst() + inst('', 'VI_1', 52), ['CONFIG_DUPLICATE GENERAL_ERROR 8:15'], 5],
    ['duplicate VRID on one interface', inst() + inst('', 'VI_2', 51), ['CONFIG_DUPLICATE GENERAL_ERROR 10:21'], 5],
    ['unknown track script', inst('  track_script {\n    nosuch\n  }\n'), ['CONFIG_REFERENCE GENERAL_ERROR 8:5'], 5],
    ['sync group member missing', 'vrrp_sync_group G {\n  group {\n    VI_1 VI_9\n  }\n}\n' + inst(), ['CONFIG_REFERENCE GENERAL_ERROR 3:10', 'CONFIG_VALUE GENERAL_ERROR 1:17'], 5],
    ['missing }', 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    10.0.0.1/24\n\n}\n', ['CONFIG_SYNTAX MISSING_EOB 4:21'], 5],
    ['extra }', 'global_defs {\n  router_id x\n}\n}\n', ['CONFIG_SYNTAX UNEXPECTED_EOB 4:1', 'CONFIG_UNKNOWN_KEYWORD UNKNOWN_KEYWORD 4:1'], 5],
    ['missing {', 'global_defs\n  router_id x\n', ['CONFIG_SYNTAX MISSING_BOB 2:3', 'CONFIG_UNKNOWN_KEYWORD UNKNOWN_KEYWORD 2:3'], 5],
    ['bad lb_kind', 'virtual_server 10.0.0.1 80 {\n  lb_kind FOO\n  lb_algo rr\n  protocol TCP\n  real_server 10.0.0.2 80 {\n  }\n}\n', ['CONFIG_VALUE GENERAL_ERROR 2:11', 'CONFIG_VALUE GENERAL_ERROR 1:16'], 5],
    ['v3 with authentication', `global_defs {\n  vrrp_version 3\n}\n${inst('  authentication {\n    auth_type PASS\n    auth_pass secret\n  }\n')}`, ['CONFIG_CONFLICT GENERAL_ERROR 10:3'], 5],
    // then no peer is left, and keepalived says so too
    ['unicast peer of the other family', inst('  unicast_peer {\n    fe80::1\n  }\n'), ['CONFIG_CONFLICT GENERAL_ERROR 8:5', 'CONFIG_DEPRECATED DEPRECATED 1:15'], 5],
    ['unterminated quote in a script', inst('  notify_master "/bin/echo x\n'), ['CONFIG_SYNTAX GENERAL_ERROR 7:17', 'CONFIG_SYNTAX UNMATCHED_QUOTE 7:17', 'CONFIG_SYNTAX UNMATCHED_QUOTE 7:3'], 5],
    ['missing interface (BAD_IF summary has no place)', inst().replace('eth0', 'eth9'), ['CONFIG_INTERFACE GENERAL_ERROR 2:13', 'CONFIG_INTERFACE BAD_IF -'], 5],
    // keepalived exits 2 there and reads no further (lib/parser.c null_strvec)
    ['missing parameter', inst('  priority\n'), ['CONFIG_MISSING MISSING_PARAMETER 7:3'], 2],
    ['unsupported keyword: noted, exit 0', 'global_defs {\n  vrrp_ipsets\n}\n', ['CONFIG_UNSUPPORTED OK 2:3'], 0],
    ['vrrp_iptables: keepalived\'s error, and its nftables table', 'global_defs {\n  vrrp_iptables\n}\n', ['CONFIG_DEPRECATED GENERAL_ERROR 2:3'], 5],
    ['deprecated keyword (and a sync group without members, removed: keepalived -t 5)', 'vrrp_sync_group G {\n  global_tracking\n}\n', ['CONFIG_DEPRECATED OK 2:3', 'CONFIG_MISSING GENERAL_ERROR 1:17'], 5],
    ['startup_script_timeout out of [1, 1000]', 'global_defs {\n  startup_script_timeout 1001\n}\n', ['CONFIG_RANGE GENERAL_ERROR 2:26'], 5],
    ['shutdown_script_timeout without its value', 'global_defs {\n  shutdown_script_timeout\n}\n', ['CONFIG_MISSING GENERAL_ERROR 2:3'], 5],
    ['a second startup_script', 'global_defs {\n  startup_script /bin/true\n  startup_script /bin/false\n}\n', ['CONFIG_CONFLICT GENERAL_ERROR 3:3', 'CONFIG_SECURITY SECURITY_ERROR 2:18'], 6],
    ['nftables named twice', 'global_defs {\n  nftables\n  nftables other\n}\n', ['CONFIG_CONFLICT GENERAL_ERROR 3:3'], 5],
    ['static address on a missing interface: cannot run', 'static_ipaddress {\n  10.9.0.1/24 dev eth5\n}\n', ['CONFIG_INTERFACE BAD_IF 2:3', 'CONFIG_INTERFACE BAD_IF -'], 4],
  ];
  it.each(cases)('%s', (_name, text, want, exit) => {
    const r = load(text);
    expect(brief(r.diagnostics.list)).toEqual(want);
    expect(r.diagnostics.configTestExitCode()).toBe(exit);
  });

  it("unknown keyword 'priorty': did you mean 'priority'?", () => {
    const d = load(inst('  priorty 100\n')).diagnostics.list;
    expect(d).toEqual([{ code: 'CONFIG_UNKNOWN_KEYWORD', kaClass: 'UNKNOWN_KEYWORD', message: "unknown keyword 'priorty'", loc: { file: 'keepalived.conf', line: 7, col: 3 }, hint: "did you mean 'priority'?" }]);
  });

  it('no hint for a word far from every keyword', () => {
    expect(load(inst('  xyzzy_plugh 1\n')).diagnostics.list[0]!.hint).toBeUndefined();
  });

  it('printed like a compiler: path:line:col: message [CODE], the source line and a caret', () => {
    const r = load(inst('  priority 300\n'));
    expect(formatDiagnostic(r.diagnostics.list[0]!, r.sources)).toBe(
      'keepalived.conf:7:12: priority 300 out of range 1..255 [CONFIG_RANGE]\n  7 |   priority 300\n    |            ^',
    );
  });

  it('an error in an included file points into that file', () => {
    const file = tmp.conf('include parts/vi.conf\n', { 'parts/vi.conf': inst('  priority 0\n') });
    const r = loadConfig(file, { configId: 'lb1', machine: fakeMachine(), displayBase: file.replace(/\/keepalived\.conf$/, '') });
    expect(r.diagnostics.list.map((d) => d.loc)).toEqual([{ file: 'parts/vi.conf', line: 7, col: 12 }]);
  });

  it('every error is collected: one run reports them all', () => {
    const r = load(inst('  priority 300\n  advert_int x\n  priorty 1\n', 'VI_1', 0));
    expect(brief(r.diagnostics.list)).toEqual([
      'CONFIG_RANGE INVALID_NUMBER 3:21', 'CONFIG_RANGE INVALID_NUMBER 7:12', 'CONFIG_VALUE INVALID_NUMBER 8:14',
      'CONFIG_UNKNOWN_KEYWORD UNKNOWN_KEYWORD 9:3', 'CONFIG_MISSING GENERAL_ERROR 1:15',
    ]);
  });
});
