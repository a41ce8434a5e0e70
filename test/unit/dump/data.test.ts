// keepalived.data (src/dump/data.ts and the section formatters it uses) against what
// keepalived 2.2.7 wrote: the golden of test/fixtures/dumps (scripts/capture-dump-golden.sh) for
// the global definitions, topology, socket pool and interfaces, and lines keepalived wrote for
// the fixtures of test/fixtures/config/good in the dump oracle (test/netns/dump-oracle.test.ts)
// for routes, rules, sync groups and scripts. Momentary lines are compared after the oracle's
// normalisation; keepalived-exporter's parsing rules must read the same values from both.
import { afterAll, describe, expect, it } from 'vitest';
import type { RouteEntry, RuleEntry } from '../../../src/config/model.js';
import { formatData } from '../../../src/dump/data.js';
import { setDumpSnmpCli } from '../../../src/dump/snmp-cli.js';
import { formatStats } from '../../../src/dump/stats.js';
import { STATE_NUMBER } from '../../../src/dump/common.js';
import type { VrrpView } from '../../../src/daemon/view.js';
import { formatRoute, formatRule, vrfTables } from '../../../src/dump/ip.js';
import type { LinkInfo } from '../../../src/netlink/types.js';
import { defaultRulePreferences } from '../../../src/netlink/rule.js';
import { diffLines, normaliseDump } from '../../../src/lab/dump-oracle.js';
import { parseVrrpData, parseVrrpScripts, scrape, scriptStateNumber, scriptStatusNumber } from '../../helpers/keepalived-exporter.js';
import { TmpDir } from '../config/helpers.js';
import { asGolden, fixtureView, golden, LAST, section, viewOf } from './views.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

const TIME = { wallMs: 1795335105000, monoMs: 0 };
// lines that name sockets and timers, which differ from run to run
const transient = /^ {3}(Last transition|Read timeout|fd_in) /;

describe('keepalived.data against keepalived 2.2.7\'s golden', () => {
  const ours = (): string => formatData(asGolden(fixtureView(tmp), { VI_1: 5, VI_2: 13 }, LAST), TIME, 'host');
  const theirs = golden('keepalived-2.2.7.data');

  it('has its VRRP Topology lines', () => {
    expect(section(ours(), 'VRRP Topology').filter((l) => !transient.test(l)))
      .toEqual(section(theirs, 'VRRP Topology').filter((l) => !transient.test(l)));
    expect(ours()).toContain('   Last transition = 1795335101.980094 (');
    expect(ours()).toContain('   fd_in 13, fd_out 13\n');
  });

  it('has its global definitions, but for keepalived-ts\'s scheduling defaults and libnftnl', () => {
    expect(diffLines(section(theirs, 'Global definitions'), section(ours(), 'Global definitions'))).toEqual([
      '-  libnftnl version 1.2.3',
      '-  VRRP realtime priority = 0', '-  VRRP realtime limit = 10000', '-  Checker process priority = 0',
      '+  VRRP realtime priority = 1', '+  VRRP realtime limit = 2000000', '+  Checker process priority = 5',
      '-  Checker realtime limit = 10000', '+  Checker realtime limit = 2000000',
    ]);
  });

  it('has its socket pool and interfaces: one socket per interface and group, the interfaces with the instances they carry', () => {
    expect(diffLines(section(theirs, 'VRRP Sockpool'), section(ours(), 'VRRP Sockpool')))
      .toEqual(['-  fd_in 13 fd_out = 14', '+  fd_in 13 fd_out = 13', '-    Rx buf size = 0', '+    Rx buf size = 262144']);
    expect(diffLines(section(theirs, 'Interfaces'), section(ours(), 'Interfaces'))).toEqual([]);
  });

  it('reads the same through keepalived-exporter', () => {
    const parsed = parseVrrpData(ours());
    expect(parsed).toEqual(parseVrrpData(theirs));
    expect(parsed.get('VI_1')).toEqual({
      iname: 'VI_1', state: 2, wantstate: 2, intf: 'veth0', garpDelay: 5, vrid: 71,
      vips: ['10.13.0.100/24 dev veth0 scope global set', '10.13.0.101 dev veth0 scope global label veth0:vip set'],
      excludedVips: ['10.13.7.1 dev veth0 scope global set'],
    });
    // no vrrp_script in this configuration: no VRRP Script block for keepalived_script_status
    expect(parseVrrpScripts(ours())).toEqual([]);
    expect(parseVrrpScripts(theirs)).toEqual([]);
  });

  it('shows the master seen by a BACKUP and turns the engine deadline into wall-clock time', () => {
    const view = fixtureView(tmp);
    const live = view.instances[1]!.live;
    live.state = 'BACKUP';
    live.masterSaddr = Uint8Array.of(10, 13, 0, 9);
    live.masterPriority = 200;
    live.sands = 2500;
    const text = formatData(view, { wallMs: 1_700_000_000_000, monoMs: 1000 }, 'host');
    expect(text).toContain('   Master router = 10.13.0.9\n   Master priority = 200\n   Master advert int = 0.50 sec\n');
    expect(text).toContain('   Read timeout = 1700000001.500000 (');
    expect(parseVrrpData(text).get('VI_2')!.state).toBe(1);
  });

  it('leaves the host sections out of a view without host facts', () => {
    const text = formatData(fixtureView(tmp, { host: false }), TIME, 'host');
    expect(section(text, 'Interfaces')).toEqual([]);
    expect(text).toContain('   fd_in -1, fd_out -1\n');
  });
});

describe('sync groups and vrrp_scripts (keepalived 2.2.7 on good/052-sync-group.conf)', () => {
  const conf = [
    'global_defs {', '  enable_script_security', '  script_user root', '}',
    'vrrp_script chk {', '  script /bin/true', '}',
    'vrrp_sync_group SG_1 {', '  group {', '    VI_1', '    VI_2', '  }', '  track_script {', '    chk', '  }',
    '  notify_master "/bin/true master"', '  notify_backup "/bin/true backup"', '  notify_fault "/bin/true fault"',
    '  notify /bin/true', '  smtp_alert', '}',
    'vrrp_instance VI_1 {', '  state BACKUP', '  interface eth0', '  virtual_router_id 51', '  priority 100',
    '  virtual_ipaddress {', '    192.168.50.10/24', '  }', '}',
    'vrrp_instance VI_2 {', '  state BACKUP', '  interface eth1', '  virtual_router_id 52', '  priority 100',
    '  virtual_ipaddress {', '    10.0.1.10/24', '  }', '}', '',
  ].join('\n');
  const links = [
    { name: 'lo', index: 1, loopback: true, addresses: ['127.0.0.1/8'] },
    { name: 'eth0', index: 2, mac: '02:00:5e:10:00:01', addresses: ['192.168.50.1/24'] },
    { name: 'eth1', index: 3, mac: '02:00:5e:10:00:02', addresses: ['10.0.1.1/24'] },
  ];
  const keepalived = [
    '------< VRRP Sync groups >------',
    ' VRRP Sync Group = SG_1, BACKUP',
    '   Num member fault 0, num member init 0',
    '   VRRP member instances :', '     VI_1', '     VI_2',
    '   Using smtp notification = yes',
    '   Tracked scripts :', '     chk weight 0',
    "   Backup state transition script = '/usr/bin/true' 'backup', uid:gid 0:0",
    "   Master state transition script = '/usr/bin/true' 'master', uid:gid 0:0",
    "   Fault state transition script = '/usr/bin/true' 'fault', uid:gid 0:0",
    "   Generic state transition script = '/usr/bin/true', uid:gid 0:0",
    '------< VRRP Scripts >------',
    ' VRRP Script = chk', "   Command = '/usr/bin/true'", '   Interval = 1 sec', '   Timeout = 0 sec', '   Weight = 0',
    '   Rise = 1', '   Fall = 1', '   Result = 1', '   Insecure = no', '   Init state = unknown', '   Status = GOOD',
    '   Script uid:gid = 0:0', '   VRRP instances :', '   Tracking instances :', '     VI_1, weight 0', '     VI_2, weight 0',
    '   State = idle',
  ].join('\n');

  const ran = (scripts: VrrpView['scripts']): string => formatData({ ...viewOf(tmp, conf, links, { steps: 1 }), scripts }, TIME, 'host');

  it('reads as keepalived\'s through keepalived-exporter: the script\'s name, Status and State', () => {
    const theirs = parseVrrpScripts(keepalived);
    expect(theirs).toEqual([{ name: 'chk', status: 'GOOD', state: 'idle' }]);
    expect(parseVrrpScripts(ran([{ name: 'chk', ok: true }]))).toEqual(theirs);
    expect([scriptStatusNumber(theirs[0]!), scriptStateNumber(theirs[0]!)]).toEqual([1, 0]);
  });

  it('writes BAD for a failed script and for one not yet run (keepalived: result below rise), "running" while a run is in progress', () => {
    const read = (scripts: VrrpView['scripts']): [number | undefined, number | undefined][] =>
      parseVrrpScripts(ran(scripts)).map((s) => [scriptStatusNumber(s), scriptStateNumber(s)]);
    expect(read([{ name: 'chk', ok: false }])).toEqual([[0, 0]]);
    expect(read([{ name: 'chk', ok: undefined }])).toEqual([[0, 0]]);
    expect(read([{ name: 'chk', ok: true, running: true }])).toEqual([[1, 1]]);
  });

  it('keeps the script\'s lines out of the instances: one scrape of the whole file reads both instances and the script', () => {
    const view = viewOf(tmp, conf, links, { steps: 1 });
    const s = scrape(formatData({ ...view, scripts: [{ name: 'chk', ok: true }] }, TIME, 'host'), formatStats(view));
    const state = (i: number): number => STATE_NUMBER[view.instances[i]!.live.state];
    expect(s.vrrps.map((v) => [v.data.iname, v.data.state, v.data.intf, v.data.vrid])).toEqual([['VI_1', state(0), 'eth0', 51], ['VI_2', state(1), 'eth1', 52]]);
    expect(s.scripts.map((x) => x.name)).toEqual(['chk']);
  });

  it('lists members, trackers, notify scripts (resolved, with uid:gid), and the group\'s members under the script it tracks', () => {
    const text = formatData(viewOf(tmp, conf, links, { steps: 1 }), TIME, 'host');
    const ours = ['VRRP Sync groups', 'VRRP Scripts'].flatMap((t) => [`------< ${t} >------`, ...section(text, t)]).join('\n');
    expect(diffLines(normaliseDump(keepalived), normaliseDump(ours))).toEqual([]);
  });
});

describe('static track groups (keepalived 2.2.7 on good/073-track-group-static.conf)', () => {
  const conf = [
    'track_group TG_1 {', '  group {', '    VI_1', '  }', '}',
    'static_ipaddress {', '  10.0.1.60/24 dev eth1 track_group TG_1', '}',
    'vrrp_instance VI_1 {', '  state BACKUP', '  interface eth0', '  virtual_router_id 51', '  priority 100',
    '  virtual_ipaddress {', '    192.168.50.10/24', '  }', '}', '',
  ].join('\n');
  const links = [
    { name: 'eth0', index: 2, mac: '02:00:5e:10:00:01', addresses: ['192.168.50.1/24'] },
    { name: 'eth1', index: 3, mac: '02:00:5e:10:00:02', addresses: ['10.0.1.1/24'] },
  ];

  it('lists the group after the static rules, and the member instance under the interface it tracks', () => {
    const text = formatData(viewOf(tmp, conf, links, { steps: 1 }), TIME, 'host');
    expect(text).toContain([
      '------< Static Addresses >------', '     10.0.1.60/24 dev eth1 scope global track_group TG_1 set',
      '------< Static Track groups >------', ' Static Track Group = TG_1', '   VRRP member instances :', '     VI_1',
      '------< VRRP Topology >------',
    ].join('\n'));
    const eth1 = section(text, 'Interfaces').join('\n').split(' Name = ').find((b) => b.startsWith('eth1\n'));
    expect(eth1).toContain('   Tracking VRRP instances :\n     VI_1, weight 0');
  });
});

describe('routes and rules as keepalived 2.2.7 writes them', () => {
  const route = (line: string): RouteEntry => ({ words: line.split(' ') } as unknown as RouteEntry);
  // the sample keepalived.conf.vrrp.routes and good/049-virtual-routes.conf, and keepalived's lines for them
  it.each([
    ['src 192.168.100.1 192.168.109.0/24 via 192.168.200.254 dev eth1', 'prepend 192.168.109.0/24 src 192.168.100.1 via inet 192.168.200.254 dev eth1 proto 18'],
    ['192.168.111.0/24 dev eth2', 'prepend 192.168.111.0/24 dev eth2 proto 18'],
    ['192.168.112.0/24 via 192.168.100.254', 'prepend 192.168.112.0/24 via inet 192.168.100.254 proto 18 no_track'],
    ['blackhole 192.168.113.1/32', 'add blackhole 192.168.113.1 proto 18 no_track'],
    ['0.0.0.0/0 gw 192.168.0.1 table 100', 'prepend 0.0.0.0/0 via inet 192.168.0.1 table 100 proto 18 no_track'],
    ['192.168.212.0/24 dev eth3 scope site', 'prepend 192.168.212.0/24 dev eth3 proto 18 scope 200'],
    ['src 192.168.50.10 to 10.30.0.0/16 via 192.168.50.254 dev eth0 metric 100 table 100',
      'prepend 10.30.0.0/16 src 192.168.50.10 via inet 192.168.50.254 dev eth0 table 100 proto 18 metric 100'],
    ['blackhole 10.40.0.0/16 no_track', 'add blackhole 10.40.0.0/16 no_track'],
    ['10.50.0.0/16 dev eth1 scope link no_track', 'prepend 10.50.0.0/16 dev eth1 scope 253 no_track'],
    ['unreachable 10.60.0.0/16 table 200 no_track', 'add unreachable 10.60.0.0/16 table 200 no_track'],
    ['2001:db8:99::/48 via fe80::fe dev eth0', 'prepend 2001:db8:99::/48 via inet6 fe80::fe dev eth0 proto 18'],
  ])('route %s', (words, line) => {
    expect(formatRoute(route(words))).toBe(line);
  });

  it('shows a route keepalived-ts cannot install with its words and the reason', () => {
    expect(formatRoute(route('10.10.0.0/16 via 192.168.50.2 dev eth0 vrf blue')))
      .toBe('10.10.0.0/16 via 192.168.50.2 dev eth0 vrf blue (not installed: VRF blue not found for route)');
    expect(formatRoute(route('10.10.0.0/16 dev eth0 nexthop via 192.168.50.2 weight 0')))
      .toBe('10.10.0.0/16 dev eth0 nexthop via 192.168.50.2 weight 0 (not installed: Invalid weight 0 specified for route)');
  });

  it('shows a `vrf` route in its VRF\'s table, leaves `as` out and writes the track group (format_iproute)', () => {
    const links = vrfTables([{ link: { name: 'blue', kind: 'vrf', vrfTable: 1001 } as LinkInfo }, { link: { name: 'eth0' } as LinkInfo }]);
    expect(formatRoute(route('10.10.0.0/16 via 192.168.50.2 dev eth0 vrf blue'), undefined, links))
      .toBe('prepend 10.10.0.0/16 via inet 192.168.50.2 dev eth0 table 1001 proto 18');
    expect(formatRoute(route('10.10.0.0/16 dev eth1 vrf eth0'), undefined, links))
      .toBe('10.10.0.0/16 dev eth1 vrf eth0 (not installed: Route specified VRF eth0 is not a VRF)');
    expect(formatRoute(route('10.11.0.0/16 dev eth0 as to 10.1.1.1 metric 7'))).toBe('prepend 10.11.0.0/16 dev eth0 proto 18 metric 7');
    expect(formatRoute(route('10.12.0.0/16 dev eth0 nexthop via 192.168.50.2 nexthop via 192.168.50.3 as 10.1.1.1')))
      .toBe('prepend 10.12.0.0/16 dev eth0 proto 18 nexthop via inet 192.168.50.2');
    expect(formatRoute({ words: ['10.13.0.0/16', 'dev', 'eth1', 'track_group', 'TG_1'], trackGroup: 'TG_1' } as unknown as RouteEntry))
      .toBe('prepend 10.13.0.0/16 dev eth1 proto 18 track_group TG_1');
  });

  it('writes rule realms, suppress_ifgroup, tunnel-id and the track group where format_iprule does', () => {
    const rule = (line: string, trackGroup?: string): RuleEntry => ({ words: line.split(' '), ...(trackGroup ? { trackGroup } : {}) } as unknown as RuleEntry);
    expect(formatRule(rule('from 10.0.0.0/24 table 100 realms 3/4 sup_group 5 tunnel-id 42 priority 9'), undefined))
      .toBe('from 10.0.0.0/24 priority 9 tos 0x0 suppress_ifgroup 5 tunnel-id 42 protocol 18 realms 3/4 lookup 100');
    expect(formatRule(rule('from 10.0.0.0/24 table 100 realms 7 suppress_ifgroup 0 priority 9'), undefined))
      .toBe('from 10.0.0.0/24 priority 9 tos 0x0 suppress_ifgroup 0 protocol 18 realms 0/7 lookup 100');
    expect(formatRule(rule('iif eth1 table 100 priority 9 track_group TG_1', 'TG_1'), undefined))
      .toBe('from all priority 9 tos 0x0 iif eth1 protocol 18 lookup 100 track_group TG_1');
  });

  // keepalived 2.2.7's own lines for these routes (its SIGUSR1 dump, good/090-route-encap.conf)
  it.each([
    ['10.10.0.0/16 encap mpls 200 via 192.168.50.2 dev eth0', 'prepend 10.10.0.0/16 encap mpls c8100 via inet 192.168.50.2 dev eth0 proto 18'],
    ['10.11.0.0/16 encap mpls 0x10/020 dev eth0', 'prepend 10.11.0.0/16 encap mpls 10000/10100 dev eth0 proto 18'],
    ['10.12.0.0/16 encap ip id 5 dst 10.1.1.1 src 10.1.1.2 tos 0x10 ttl 9 flags 256 dev eth0',
      'prepend 10.12.0.0/16 encap ip id 5 dst 10.1.1.1 src 10.1.1.2 tos 16 ttl 9 flags 0x100 dev eth0 proto 18'],
    ['10.13.0.0/16 encap ip6 id 4294967295 dst fd00::1 src fd00::2 tc 32 hoplimit 7 flags 3 dev eth0',
      'prepend 10.13.0.0/16 encap ip6 id 4294967295 dst fd00::1 src fd00::2 tc 32 hoplimit 7 flags 0x3 dev eth0 proto 18'],
    // the locator's network-order bytes read as a little-endian u64
    ['2001:db8:0:1:2000::/67 encap ila 2001:0:0:2 dev eth0', 'prepend 2001:db8:0:1:2000::/67 encap ila 144115188075856160 dev eth0 proto 18'],
    ['10.14.0.0/16 nexthop via 192.168.50.2 dev eth0 encap ip dst 10.1.1.1 nexthop via 192.168.50.3 dev eth0 encap mpls 100/200',
      'prepend 10.14.0.0/16 proto 18 nexthop via inet 192.168.50.2 dev eth0 encap ip dst 10.1.1.1 nexthop via inet 192.168.50.3 dev eth0 encap mpls 64000/c8100 no_track'],
    ['10.15.0.0/16 tos 4 encap ip6 dst fd00::9 via 192.168.50.2 dev eth0', 'prepend 10.15.0.0/16 tos 4 encap ip6 dst fd00::9 via inet 192.168.50.2 dev eth0 proto 18'],
  ])('encap: %s', (words, line) => {
    expect(formatRoute(route(words))).toBe(line);
  });

  it('writes nexthops, realms and the rtt family as keepalived does (the sample keepalived.conf.vrrp.routes, good/089)', () => {
    expect(formatRoute(route('192.168.113.0/24 via 192.168.100.252 or 192.168.100.253')))
      .toBe('prepend 192.168.113.0/24 proto 18 nexthop via inet 192.168.100.252 nexthop via inet 192.168.100.253 no_track');
    expect(formatRoute(route('10.8.0.0/16 dev eth0 realms 1/2 rtt 300ms rttvar lock 1s rto_min 250ms congctl lock cubic nexthop via 192.168.50.2 weight 3 realms 5')))
      .toBe('prepend 10.8.0.0/16 dev eth0 proto 18 realms 1/2 congctl cubiclock  rtt 300ms rttvar lock 1s rto_min 250ms nexthop via inet 192.168.50.2 weight 3 realms 0/5');
  });

  it('numbers rules without a preference as the daemon does, and writes keepalived\'s rule lines (good/050-virtual-rules.conf)', () => {
    const rules = [
      'from 192.168.100.0/24 table 1', 'from 192.168.200.0/24 table 2',
      'from all fwmark 0x10 table 102 preference 102', 'iif eth0 table 103 preference 103', 'from 2001:db8::/64 table 104 preference 104',
    ].map((l) => ({ words: l.split(' '), iif: l.includes('iif') ? 'eth0' : undefined } as unknown as RuleEntry));
    const prefs = defaultRulePreferences(rules);
    expect(rules.map((r) => formatRule(r, prefs.get(r)))).toEqual([
      'from 192.168.100.0/24 priority 16384 tos 0x0 protocol 18 lookup 1',
      'from 192.168.200.0/24 priority 16383 tos 0x0 protocol 18 lookup 2',
      'from 0.0.0.0/0 priority 102 tos 0x0 fwmark 0x10 protocol 18 lookup 102',
      'from all priority 103 tos 0x0 iif eth0 protocol 18 lookup 103',
      'from 2001:db8::/64 priority 104 tos 0x0 protocol 18 lookup 104',
    ]);
  });
});

describe('the SNMP lines of the global definitions', () => {
  const conf = 'global_defs {\n  enable_snmp_checker\n  enable_snmp_rfcv2\n  enable_traps\n  snmp_socket tcp:localhost:705\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    10.0.0.9\n  }\n}\n';
  const snmp = (text: string): string[] => text.split('\n').filter((l) => l.startsWith(' SNMP '));

  it('show the keywords, and -x / -A over them, as keepalived 2.2.7 does', () => {
    const view = viewOf(tmp, conf, [{ name: 'eth0', index: 2, mac: 'aa:bb:cc:dd:ee:01', addresses: ['10.0.0.1/24'] }], { steps: 1 });
    try {
      expect(snmp(formatData(view, TIME, 'host'))).toEqual([
        ' SNMP vrrp disabled', ' SNMP checker enabled', ' SNMP RFCv2 enabled', ' SNMP RFCv3 disabled', ' SNMP traps enabled', ' SNMP socket = tcp:localhost:705',
      ]);
      setDumpSnmpCli({ snmp: true, snmpSocket: '/run/agentx' });
      expect(snmp(formatData(view, TIME, 'host'))).toEqual([
        ' SNMP vrrp enabled', ' SNMP checker enabled', ' SNMP RFCv2 enabled', ' SNMP RFCv3 enabled', ' SNMP traps enabled', ' SNMP socket = /run/agentx',
      ]);
    } finally {
      setDumpSnmpCli({});
    }
  });
});
