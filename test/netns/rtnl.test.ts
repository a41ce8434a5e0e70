// Rtnl against the real kernel: a private network namespace with a veth pair (one end inside,
// renamed eth0; the other on the host, up, so eth0 has carrier). A child node process run by
// `ip netns exec` loads a keepalived.conf with static_ipaddress / static_routes / static_rules
// through the real config loader and drives dist/src/io/rtnl.js; `ip -j` reads the result back.
// The watch is a long-lived child printing events as JSON lines while `ip` changes things.
//
// Needs root and `npm run build` (dist/); everything is named ktsrt-<pid> and removed in afterAll.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../helpers/system.js';

const REPO = process.cwd();
const DIST = join(REPO, 'dist/src');
const isRoot = process.getuid?.() === 0;
const NS = `ktsrt-${process.pid}`;
const HOST_END = `ktsrt${process.pid}h`.slice(0, 15);
const PEER_TMP = `ktsrt${process.pid}p`.slice(0, 15);

function run(cmd: string, args: string[], input?: string): { rc: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000, input });
  if (r.error) throw r.error;
  return { rc: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function ip(...args: string[]): string {
  const r = run('ip', args);
  if (r.rc !== 0) throw new Error(`ip ${args.join(' ')} failed (${r.rc}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** `ip -n NS -j ARGS` parsed. */
function ipj<T = Record<string, unknown>>(...args: string[]): T[] {
  const out = ip('-n', NS, '-j', ...args).trim();
  return out === '' ? [] : (JSON.parse(out) as T[]);
}

const sysctl = (name: string): number => Number(ip('netns', 'exec', NS, 'sysctl', '-n', name).trim());

// The child: `node child.mjs PLAN.json` runs plan.ops in order and prints one JSON array of
// results; `node child.mjs --watch` prints READY, then one JSON line per event, and its stats
// when stdin closes.
const CHILD = (dist: string) => `
import { Rtnl } from '${pathToFileURL(join(dist, 'io/rtnl.js')).href}';
import { VmacSysctls, Sysctl } from '${pathToFileURL(join(dist, 'io/rtnl-sysctl.js')).href}';
import { loadConfig } from '${pathToFileURL(join(dist, 'config/load.js')).href}';
import { formatIp, formatMac } from '${pathToFileURL(join(dist, 'util/ip.js')).href}';
import { readFileSync } from 'node:fs';
import { createNetlink, Protocol } from '${pathToFileURL(join(REPO, 'node_modules/netlink/dist/index.js')).href}';

const link = (l) => ({ ...l, mac: formatMac(l.mac) });
const addr = (a) => ({ ...a, address: formatIp(a.address), peer: a.peer && formatIp(a.peer), broadcast: a.broadcast && formatIp(a.broadcast) });

if (process.argv[2] === '--watch') {
  const rtnl = await Rtnl.open({ watch: (ev) => {
    const out = ev.type === 'link' ? { type: 'link', deleted: ev.deleted, link: link(ev.link) } : { type: 'addr', deleted: ev.deleted, addr: addr(ev.addr) };
    process.stdout.write(JSON.stringify(out) + '\\n');
    if (ev.type === 'link' && ev.link.name === 'ktsthrow') throw new Error('watch callback failure on purpose');
  } });
  // 'inject' on stdin: multicast two malformed RTM_NEWLINK to the LINK group (root may do so)
  process.stdin.on('data', (d) => {
    if (!String(d).includes('inject')) return;
    const s = createNetlink(Protocol.ROUTE);
    s.send(16, Buffer.from([1, 2, 3]), { port: 0, groups: 1 });
    const nameless = Buffer.alloc(16);
    nameless.writeInt32LE(4242, 4);
    s.send(16, nameless, { port: 0, groups: 1 }, () => { s.close(); process.stdout.write(JSON.stringify({ type: 'injected' }) + '\\n'); });
  });
  process.stdin.resume();
  process.stdin.on('end', () => {
    process.stdout.write(JSON.stringify({ type: 'stats', stats: rtnl.stats }) + '\\n');
    rtnl.close();
    process.exit(0);
  });
  process.stdout.write('READY\\n');
} else {
  const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const { config } = loadConfig(plan.conf, { configId: 'test' });
  const rtnl = await Rtnl.open();
  const sysctls = new VmacSysctls(new Sysctl());
  const index = async (name) => (await rtnl.links()).find((l) => l.name === name)?.index;
  const results = [];
  for (const o of plan.ops) {
    try {
      let value;
      const links = await rtnl.links();
      const resolveIf = (n) => links.find((l) => l.name === n)?.index;
      if (o.op === 'links') value = links.map(link);
      else if (o.op === 'addresses') value = (await rtnl.addresses()).map(addr);
      else if (o.op === 'addAddress' || o.op === 'deleteAddress') {
        const e = { ...config.staticIpaddress[o.i] };
        if (o.noDev) delete e.dev;
        await rtnl[o.op](e, o.ifindex ?? resolveIf(e.dev));
      } else if (o.op === 'addRoute' || o.op === 'deleteRoute') {
        const vrfTable = (n) => { const l = links.find((x) => x.name === n); return l === undefined ? undefined : l.kind === 'vrf' ? l.vrfTable : 'not-vrf'; };
        await rtnl[o.op](config.staticRoutes[o.i], { index: resolveIf, vrfTable });
      }
      else if (o.op === 'addRule' || o.op === 'deleteRule') await rtnl[o.op](config.staticRules[o.i], o.preference === undefined ? {} : { preference: o.preference });
      else if (o.op === 'createMacvlan') value = await rtnl.createMacvlan(resolveIf(o.parent), o.name, Uint8Array.from(o.mac), o.mode);
      else if (o.op === 'deleteLink') await rtnl.deleteLink(o.index ?? resolveIf(o.name));
      else if (o.op === 'setLinkUp') await rtnl.setLinkUp(resolveIf(o.name), o.up);
      else if (o.op === 'vmacApply') await sysctls.apply(o.vmac, o.base, o.family);
      else if (o.op === 'vmacRelease') await sysctls.release(o.base);
      else if (o.op === 'vmacRestore') await sysctls.restore();
      else if (o.op === 'readSysctls') value = Object.fromEntries(o.paths.map((p) => [p, Number(readFileSync('/proc/sys/' + p, 'utf8'))]));
      else throw new Error('unknown op ' + o.op);
      results.push({ ok: true, value });
    } catch (e) {
      results.push({ ok: false, name: e.name, code: e.code, errno: e.errno, message: e.message });
    }
  }
  rtnl.close();
  process.stdout.write(JSON.stringify(results));
}
`;

interface OpResult {
  ok: boolean;
  value?: unknown;
  name?: string;
  code?: string;
  errno?: string;
  message?: string;
}
type Op = Record<string, unknown> & { op: string };

let dir = '';
let childFile = '';
let planNo = 0;

/** Runs `ops` in a child inside the namespace, with `conf` as the keepalived.conf. */
function child(conf: string, ops: Op[]): OpResult[] {
  const n = planNo++;
  const confFile = join(dir, `keepalived-${n}.conf`);
  const planFile = join(dir, `plan-${n}.json`);
  writeFileSync(confFile, conf);
  writeFileSync(planFile, JSON.stringify({ conf: confFile, ops }));
  const r = run('ip', ['netns', 'exec', NS, process.execPath, childFile, planFile]);
  if (r.rc !== 0) throw new Error(`child failed (${r.rc}): ${r.stderr}`);
  return JSON.parse(r.stdout) as OpResult[];
}

const allOk = (rs: OpResult[]): void => {
  expect(rs.filter((r) => !r.ok)).toEqual([]);
};

const ADDRESSES = `
static_ipaddress {
  10.0.0.1/24 dev eth0
  10.0.0.100/32 dev eth0 label eth0:vip
  192.168.7.1/24 dev eth0 brd +
  10.0.0.101 dev eth0 scope link
  10.9.9.1 dev eth0 peer 10.9.9.2
  10.0.5.1/24 dev eth0 noprefixroute
  2001:db8::100 dev eth0
  2001:db8:1::1/64 dev eth0
  2001:db8:2::1/64 dev eth0 preferred_lft 30
}
`;
const N_ADDR = 9;
const range = (n: number): number[] => [...Array(n).keys()];

interface IpAddr { family: string; local: string; address?: string; prefixlen: number; scope: string; label?: string; broadcast?: string; nodad?: boolean; noprefixroute?: boolean; deprecated?: boolean; preferred_life_time: number; valid_life_time: number }
const addrsOf = (dev: string): IpAddr[] => ipj<{ addr_info: IpAddr[] }>('addr', 'show', 'dev', dev)[0]!.addr_info;

describe.skipIf(skipUnless(isRoot, 'root'))('Rtnl in a network namespace', () => {
  beforeAll(() => {
    if (!existsSync(join(DIST, 'io/rtnl.js'))) throw new Error('dist/src/io/rtnl.js is missing: run `npm run build` first');
    dir = mkdtempSync(join(tmpdir(), 'ktsrt-'));
    childFile = join(dir, 'child.mjs');
    writeFileSync(childFile, CHILD(DIST));
    ip('netns', 'add', NS);
    ip('link', 'add', HOST_END, 'type', 'veth', 'peer', 'name', PEER_TMP, 'netns', NS);
    ip('-n', NS, 'link', 'set', PEER_TMP, 'name', 'eth0');
    ip('link', 'set', 'dev', HOST_END, 'addrgenmode', 'none');
    ip('link', 'set', 'dev', HOST_END, 'up');
    ip('-n', NS, 'link', 'set', 'lo', 'up');
    ip('-n', NS, 'link', 'set', 'eth0', 'up');
  });

  afterAll(() => {
    run('ip', ['netns', 'del', NS]);
    run('ip', ['link', 'del', HOST_END]);
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(run('ip', ['netns', 'list']).stdout).not.toContain(NS);
  });

  it('lists links with kind, MAC, MTU, state and forwarding', () => {
    ip('netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv6.conf.eth0.forwarding=1');
    ip('netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv4.conf.eth0.forwarding=0');
    const [r] = child('', [{ op: 'links' }]);
    ip('netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv6.conf.eth0.forwarding=0');
    const links = r!.value as { name: string; index: number; kind?: string; mac: string; mtu: number; up: boolean; running: boolean }[];
    const eth0 = links.find((l) => l.name === 'eth0')!;
    const want = ipj<{ ifindex: number; address: string; mtu: number }>('link', 'show', 'dev', 'eth0')[0]!;
    expect(eth0).toMatchObject({ index: want.ifindex, kind: 'veth', mac: want.address, mtu: want.mtu, up: true, running: true, forwarding: { inet: false, inet6: true } });
    expect(links.find((l) => l.name === 'lo')).toMatchObject({ up: true, running: true });
    expect(links.find((l) => l.name === 'lo')?.kind).toBeUndefined();
  });

  it('adds IPv4 and IPv6 VIPs as keepalived does; adding again is success', () => {
    allOk(child(ADDRESSES, [...range(N_ADDR), ...range(N_ADDR)].map((i) => ({ op: 'addAddress', i }))));
    const got = addrsOf('eth0');
    const find = (local: string) => got.find((a) => a.local === local);
    expect(find('10.0.0.100')).toMatchObject({ prefixlen: 32, scope: 'global', label: 'eth0:vip' });
    expect(find('192.168.7.1')).toMatchObject({ prefixlen: 24, broadcast: '192.168.7.255', label: 'eth0' });
    expect(find('10.0.0.101')).toMatchObject({ prefixlen: 32, scope: 'link' });
    expect(find('10.9.9.1')).toMatchObject({ address: '10.9.9.2', prefixlen: 32 });
    expect(find('10.0.5.1')).toMatchObject({ prefixlen: 24, noprefixroute: true });
    // no prefix route for the noprefixroute address, one for the others
    const main = ipj<{ dst: string }>('route', 'show', 'table', 'main').map((r) => r.dst);
    expect(main).toContain('192.168.7.0/24');
    expect(main).not.toContain('10.0.5.0/24');
    // IPv6: nodad; a /128 deprecated (preferred 0); preferred_lft as given
    expect(find('2001:db8::100')).toMatchObject({ prefixlen: 128, nodad: true, deprecated: true, preferred_life_time: 0, valid_life_time: 4294967295 });
    expect(find('2001:db8:1::1')).toMatchObject({ prefixlen: 64, nodad: true, preferred_life_time: 4294967295 });
    expect(find('2001:db8:2::1')?.preferred_life_time).toBeGreaterThan(25);
    expect(find('2001:db8:2::1')?.preferred_life_time).toBeLessThanOrEqual(30);
    expect(find('2001:db8:1::1')?.deprecated).toBeUndefined();

    // the same through addresses()
    const [r] = child('', [{ op: 'addresses' }]);
    const mine = (r!.value as { address: string; prefixLen: number; flags: number; label?: string; family: string; scope: number }[]);
    expect(mine.find((a) => a.address === '10.0.0.100')).toMatchObject({ family: 'inet', prefixLen: 32, label: 'eth0:vip', scope: 0 });
    expect(mine.find((a) => a.address === '10.0.0.101')?.scope).toBe(253);
    expect(mine.find((a) => a.address === '10.9.9.1')).toMatchObject({ peer: '10.9.9.2' });
    const v6 = mine.find((a) => a.address === '2001:db8::100')!;
    expect(v6).toMatchObject({ family: 'inet6', prefixLen: 128 });
    expect(v6.flags & 0x02).toBe(0x02); // IFA_F_NODAD
  });

  it('deletes the VIPs; deleting what is gone is success', () => {
    // keep 10.0.0.1/24 and 2001:db8:1::1/64 (0 and 7): the route tests use them as connected subnets
    const del = range(N_ADDR).filter((i) => i !== 0 && i !== 7);
    allOk(child(ADDRESSES, [...del, ...del].map((i) => ({ op: 'deleteAddress', i }))));
    const left = addrsOf('eth0').map((a) => `${a.local}/${a.prefixlen}`);
    expect(left).toContain('10.0.0.1/24');
    expect(left).toContain('2001:db8:1::1/64');
    for (const gone of ['10.0.0.100/32', '192.168.7.1/24', '10.0.0.101/32', '10.9.9.1/32', '10.0.5.1/24', '2001:db8::100/128', '2001:db8:2::1/64']) expect(left).not.toContain(gone);
  });

  it('rejects with a typed error naming the operation, the address and the errno', () => {
    const rs = child(ADDRESSES, [
      { op: 'addAddress', i: 1, ifindex: 9999 },
      { op: 'addAddress', i: 1, ifindex: 9999, noDev: true },
      { op: 'deleteAddress', i: 1, ifindex: 9999 },
    ]);
    expect(rs[0]).toEqual({ ok: false, name: 'RtnlError', code: 'RTNL_REQUEST', errno: 'ENODEV', message: 'add address 10.0.0.100/32 dev eth0: ENODEV' });
    expect(rs[1]).toMatchObject({ ok: false, code: 'RTNL_REQUEST', message: 'add address 10.0.0.100/32 dev if#9999: ENODEV' });
    expect(rs[2]).toEqual({ ok: true }); // the interface is gone: so is the address
  });

  const ROUTES = `
static_routes {
  10.20.0.0/16 via 10.0.0.254 dev eth0 table 100 metric 5
  blackhole 10.30.0.0/16 table 100
  unreachable 10.31.0.0/16 table 1000
  prohibit 10.32.0.0/16 table 100
  10.40.0.0/16 dev eth0 scope link src 10.0.0.1 protocol static no_track
  10.50.0.0/16 via 10.0.0.254 dev eth0 onlink mtu lock 1400 table 100
  2001:db8:99::/48 via 2001:db8:1::2 dev eth0 table 100 metric 7
  default via 10.0.0.254 dev eth0 table 101
  10.60.0.0/16 via 10.0.0.254 dev eth0 vrf blue
  10.61.0.0/16 dev nosuch table 100
  10.62.0.0/16 via 10.200.0.1 dev eth0 table 100
}
`;
  const N_GOOD_ROUTES = 8;
  interface IpRoute { dst: string; type?: string; gateway?: string; dev?: string; protocol?: string; scope?: string; prefsrc?: string; metric?: number; flags?: string[]; metrics?: Record<string, number>[] }
  const routes = (...args: string[]) => (args[0] === '-6' ? ipj<IpRoute>('-6', 'route', 'show', ...args.slice(1)) : ipj<IpRoute>('route', 'show', ...args));
  const PROTO = ['keepalived', '18'];

  it('adds routes: via/dev/metric, blackhole/unreachable/prohibit, big table, scope/src/protocol, onlink+mtu lock, IPv6, default', () => {
    allOk(child(ROUTES, [...range(N_GOOD_ROUTES), ...range(N_GOOD_ROUTES)].map((i) => ({ op: 'addRoute', i }))));
    const t100 = routes('table', '100');
    const find = (list: IpRoute[], dst: string) => list.find((r) => r.dst === dst);
    expect(find(t100, '10.20.0.0/16')).toMatchObject({ gateway: '10.0.0.254', dev: 'eth0', metric: 5 });
    expect(PROTO).toContain(find(t100, '10.20.0.0/16')?.protocol);
    expect(find(t100, '10.30.0.0/16')).toMatchObject({ type: 'blackhole' });
    expect(find(t100, '10.32.0.0/16')).toMatchObject({ type: 'prohibit' });
    expect(find(routes('table', '1000'), '10.31.0.0/16')).toMatchObject({ type: 'unreachable' });
    expect(find(routes('table', 'main'), '10.40.0.0/16')).toMatchObject({ dev: 'eth0', protocol: 'static', scope: 'link', prefsrc: '10.0.0.1' });
    const onlink = find(t100, '10.50.0.0/16')!;
    expect(onlink.flags).toContain('onlink');
    expect(onlink.metrics).toEqual([{ mtu: 1400 }]);
    expect(ip('-n', NS, 'route', 'show', 'table', '100', '10.50.0.0/16')).toContain('mtu lock 1400');
    expect(find(routes('-6', 'table', '100'), '2001:db8:99::/48')).toMatchObject({ gateway: '2001:db8:1::2', dev: 'eth0', metric: 7 });
    expect(find(routes('table', '101'), 'default')).toMatchObject({ gateway: '10.0.0.254', dev: 'eth0' });
  });

  it('refuses routes it cannot send, or the kernel refuses, naming them', () => {
    const rs = child(ROUTES, [8, 9, 10].map((i) => ({ op: 'addRoute', i })));
    expect(rs[0]).toEqual({ ok: false, name: 'RtnlError', code: 'RTNL_REQUEST', errno: 'ENODEV', message: 'add route 10.60.0.0/16 via 10.0.0.254 dev eth0 vrf blue: ENODEV (VRF blue not found for route)' });
    expect(rs[1]).toMatchObject({ ok: false, code: 'RTNL_REQUEST', errno: 'ENODEV', message: 'add route 10.61.0.0/16 dev nosuch table 100: ENODEV (no interface nosuch)' });
    expect(rs[2]).toEqual({ ok: false, name: 'RtnlError', code: 'RTNL_REQUEST', errno: 'ENETUNREACH', message: 'add route 10.62.0.0/16 via 10.200.0.1 dev eth0 table 100: ENETUNREACH' });
    expect(routes('table', '100').map((r) => r.dst)).not.toContain('10.60.0.0/16');
  });

  it('deletes the routes; deleting what is gone (or whose dev is gone) is success', () => {
    allOk(child(ROUTES, [...range(N_GOOD_ROUTES), ...range(N_GOOD_ROUTES), 9].map((i) => ({ op: 'deleteRoute', i }))));
    expect(routes('table', '100')).toEqual([]);
    expect(routes('-6', 'table', '100')).toEqual([]);
    expect(routes('table', '101')).toEqual([]);
    expect(routes('table', '1000')).toEqual([]);
    expect(routes('table', 'main').map((r) => r.dst)).not.toContain('10.40.0.0/16');
  });

  it('deletes only the route keepalived added (protocol keepalived)', () => {
    ip('-n', NS, 'route', 'add', '10.20.0.0/16', 'via', '10.0.0.254', 'dev', 'eth0', 'table', '100', 'metric', '5', 'proto', 'static');
    allOk(child(ROUTES, [{ op: 'deleteRoute', i: 0 }]));
    expect(routes('table', '100')).toMatchObject([{ dst: '10.20.0.0/16', protocol: 'static' }]);
    ip('-n', NS, 'route', 'flush', 'table', '100');
  });

  const RULES = `
static_rules {
  from 10.0.0.0/24 table 100 preference 1000
  to 192.168.0.0/16 fwmark 0x10/0xff lookup 1000 pref 1001
  iif eth0 not from 10.1.0.0/16 table main pref 1002
  oif eth0 from 10.2.0.0/16 blackhole pref 1003
  from 2001:db8::/32 table 100 pref 1004
  from 10.3.0.0/16 goto 1010 pref 1005
  from 10.4.0.0/16 table 100
  from 10.5.0.0/16 table 100 realms 3 pref 1007
  from 10.6.0.0/16 pref 1008
  from 10.7.0.0/16 table 100 sup_group nosuchgroup pref 1009
}
`;
  interface IpRule { priority: number; src?: string; srclen?: number; dst?: string; dstlen?: number; table?: string; protocol?: string; not?: null; iif?: string; oif?: string; fwmark?: string; fwmask?: string; action?: string; goto?: number }
  const ruleAt = (list: IpRule[], priority: number) => list.find((r) => r.priority === priority);
  const ruleOps = (op: string) => [...range(6), 6, 7].map((i) => (i === 6 ? { op, i, preference: 16384 } : { op, i }));

  it('adds rules: from/to/table/pref/fwmark with mask/iif/oif/not/blackhole/goto/IPv6/realms, a given preference', () => {
    allOk(child(RULES, [...ruleOps('addRule'), ...ruleOps('addRule')]));
    const v4 = ipj<IpRule>('rule', 'show');
    expect(ruleAt(v4, 1000)).toMatchObject({ src: '10.0.0.0', srclen: 24, table: '100' });
    expect(PROTO).toContain(ruleAt(v4, 1000)?.protocol);
    expect(ruleAt(v4, 1001)).toMatchObject({ dst: '192.168.0.0', dstlen: 16, fwmark: '0x10', fwmask: '0xff', table: '1000' });
    expect(ruleAt(v4, 1002)).toMatchObject({ src: '10.1.0.0', srclen: 16, iif: 'eth0', table: 'main', not: null });
    expect(ruleAt(v4, 1003)).toMatchObject({ src: '10.2.0.0', oif: 'eth0', action: 'blackhole' });
    expect(ruleAt(v4, 1005)).toMatchObject({ src: '10.3.0.0', goto: 1010 });
    expect(ruleAt(v4, 16384)).toMatchObject({ src: '10.4.0.0', table: '100' });
    expect(ip('-n', NS, 'rule', 'show', 'pref', '1007')).toMatch(/from 10\.5\.0\.0\/16 .*realms 3 /);
    expect(ruleAt(ipj<IpRule>('-6', 'rule', 'show'), 1004)).toMatchObject({ src: '2001:db8::', srclen: 32, table: '100' });
    // each rule once, despite the second round of adds
    expect(v4.filter((r) => r.priority === 1000)).toHaveLength(1);
  });

  it('refuses rules it cannot send, naming them', () => {
    const rs = child(RULES, [{ op: 'addRule', i: 9 }, { op: 'addRule', i: 8 }]);
    expect(rs[0]).toEqual({ ok: false, name: 'RtnlError', code: 'RTNL_UNSUPPORTED', message: 'add rule from 10.7.0.0/16 table 100 sup_group nosuchgroup pref 1009: suppress_group nosuchgroup is invalid' });
    expect(rs[1]).toMatchObject({ ok: false, code: 'RTNL_UNSUPPORTED', message: 'add rule from 10.6.0.0/16 pref 1008: no action (table, goto, nop, blackhole, unreachable, prohibit or l3mdev) for rule' });
  });

  it('deletes the rules; deleting what is gone is success', () => {
    allOk(child(RULES, [...ruleOps('deleteRule'), ...ruleOps('deleteRule')]));
    expect(ipj<IpRule>('rule', 'show').map((r) => r.priority)).toEqual([0, 32766, 32767]);
    expect(ipj<IpRule>('-6', 'rule', 'show').map((r) => r.priority)).toEqual([0, 32766]);
  });

  it('creates a VMAC (private macvlan, VRRP MAC, no IPv6 link-local, up) with keepalived\'s sysctls; deletes it', () => {
    ip('netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=1');
    ip('netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv4.conf.eth0.rp_filter=0');
    const paths = ['net/ipv4/conf/all/rp_filter', 'net/ipv4/conf/eth0/rp_filter', 'net/ipv4/conf/eth0/arp_ignore', 'net/ipv4/conf/eth0/arp_filter', 'net/ipv4/conf/vrrp.51/arp_ignore', 'net/ipv4/conf/vrrp.51/accept_local', 'net/ipv4/conf/vrrp.51/rp_filter', 'net/ipv6/conf/vrrp.51/disable_ipv6'];
    const rs = child('', [
      { op: 'createMacvlan', parent: 'eth0', name: 'vrrp.51', mac: [0, 0, 0x5e, 0, 1, 51], mode: 'private' },
      { op: 'vmacApply', vmac: 'vrrp.51', base: 'eth0', family: 'inet' },
      { op: 'readSysctls', paths },
      { op: 'links' },
      { op: 'createMacvlan', parent: 'eth0', name: 'vrrp.51', mac: [0, 0, 0x5e, 0, 1, 51], mode: 'private' },
    ]);
    expect(rs.slice(0, 4).filter((r) => !r.ok)).toEqual([]);
    const index = rs[0]!.value as number;
    expect(rs[2]!.value).toEqual({
      'net/ipv4/conf/all/rp_filter': 0, 'net/ipv4/conf/eth0/rp_filter': 1, 'net/ipv4/conf/eth0/arp_ignore': 1, 'net/ipv4/conf/eth0/arp_filter': 1,
      'net/ipv4/conf/vrrp.51/arp_ignore': 1, 'net/ipv4/conf/vrrp.51/accept_local': 1, 'net/ipv4/conf/vrrp.51/rp_filter': 0, 'net/ipv6/conf/vrrp.51/disable_ipv6': 1,
    });
    const eth0 = ipj<{ ifindex: number }>('link', 'show', 'dev', 'eth0')[0]!.ifindex;
    const vmac = (rs[3]!.value as { name: string }[]).find((l) => l.name === 'vrrp.51');
    expect(vmac).toMatchObject({ index, kind: 'macvlan', parentIndex: eth0, macvlanMode: 1, mac: '00:00:5e:00:01:33', up: true });
    const [d] = ipj<{ address: string; flags: string[]; linkinfo: { info_kind: string; info_data: { mode: string } }; inet6_addr_gen_mode?: string }>('-d', 'link', 'show', 'dev', 'vrrp.51');
    expect(d).toMatchObject({ address: '00:00:5e:00:01:33', linkinfo: { info_kind: 'macvlan', info_data: { mode: 'private' } }, inet6_addr_gen_mode: 'none' });
    expect(d!.flags).toContain('UP');
    // no link-local address was generated (RFC 5798 7.4)
    expect(addrsOf('vrrp.51')).toEqual([]);
    expect(rs[4]).toEqual({ ok: false, name: 'RtnlError', code: 'RTNL_REQUEST', errno: 'EEXIST', message: `create macvlan vrrp.51 link ${eth0} address 00:00:5e:00:01:33 mode private: EEXIST` });

    const del = child('', [{ op: 'deleteLink', index }, { op: 'deleteLink', index }]);
    allOk(del);
    expect(ipj<{ ifname: string }>('link', 'show').map((l) => l.ifname)).not.toContain('vrrp.51');
  });

  it('restores the sysctls it changed when the VMAC goes and at exit', () => {
    ip('netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=1');
    ip('netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv4.conf.eth0.rp_filter=0');
    ip('netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv4.conf.eth0.arp_ignore=0');
    ip('netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv4.conf.eth0.arp_filter=0');
    allOk(child('', [
      { op: 'createMacvlan', parent: 'eth0', name: 'vrrp.52', mac: [0, 0, 0x5e, 0, 1, 52], mode: 'private' },
      { op: 'vmacApply', vmac: 'vrrp.52', base: 'eth0', family: 'inet' },
      { op: 'deleteLink', name: 'vrrp.52' },
      { op: 'vmacRelease', base: 'eth0' },
      { op: 'vmacRestore' },
    ]));
    expect(sysctl('net.ipv4.conf.all.rp_filter')).toBe(1);
    expect(sysctl('net.ipv4.conf.eth0.rp_filter')).toBe(0);
    expect(sysctl('net.ipv4.conf.eth0.arp_ignore')).toBe(0);
    expect(sysctl('net.ipv4.conf.eth0.arp_filter')).toBe(0);
    ip('netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0');
  });

  describe('watch', () => {
    let proc: ChildProcessWithoutNullStreams | undefined;
    const events: Record<string, unknown>[] = [];
    let buffered = '';
    let stderr = '';

    afterAll(() => {
      proc?.kill('SIGKILL');
    });

    /** Resolves with the first event (already seen or to come) matching `pred`. */
    function waitFor(pred: (ev: any) => boolean, what: string, timeoutMs = 5000): Promise<any> {
      return new Promise((resolve, reject) => {
        const t0 = Date.now();
        const tick = (): void => {
          const ev = events.find(pred);
          if (ev) return resolve(ev);
          if (Date.now() - t0 > timeoutMs) return reject(new Error(`no event: ${what}; got ${JSON.stringify(events)}; stderr ${stderr}`));
          setTimeout(tick, 20);
        };
        tick();
      });
    }

    it('reports link down/up, addresses added and deleted (IPv4, IPv6), links created and deleted; survives malformed messages and a throwing callback', async () => {
      proc = spawn('ip', ['netns', 'exec', NS, process.execPath, childFile, '--watch']);
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      proc.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) !== -1) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          events.push(line === 'READY' ? { type: 'ready' } : (JSON.parse(line) as Record<string, unknown>));
        }
      });
      await waitFor((e) => e.type === 'ready', 'READY');

      ip('-n', NS, 'link', 'set', 'dev', 'eth0', 'down');
      await waitFor((e) => e.type === 'link' && e.link.name === 'eth0' && !e.link.up && !e.deleted, 'eth0 down');
      ip('-n', NS, 'link', 'set', 'dev', 'eth0', 'up');
      await waitFor((e) => e.type === 'link' && e.link.name === 'eth0' && e.link.up && e.link.running, 'eth0 up and running');
      // carrier loss from the other end of the pair: up but not running
      ip('link', 'set', 'dev', HOST_END, 'down');
      await waitFor((e) => e.type === 'link' && e.link.name === 'eth0' && e.link.up && !e.link.running, 'eth0 lost carrier');
      ip('link', 'set', 'dev', HOST_END, 'up');

      ip('-n', NS, 'addr', 'add', '10.0.0.200/32', 'dev', 'eth0', 'label', 'eth0:w');
      const added = await waitFor((e) => e.type === 'addr' && e.addr.address === '10.0.0.200' && !e.deleted, '10.0.0.200 added');
      expect(added.addr).toMatchObject({ family: 'inet', prefixLen: 32, label: 'eth0:w' });
      ip('-n', NS, 'addr', 'del', '10.0.0.200/32', 'dev', 'eth0');
      await waitFor((e) => e.type === 'addr' && e.addr.address === '10.0.0.200' && e.deleted, '10.0.0.200 deleted');

      ip('-n', NS, 'addr', 'add', '2001:db8::200/128', 'dev', 'eth0', 'nodad');
      const added6 = await waitFor((e) => e.type === 'addr' && e.addr.address === '2001:db8::200' && !e.deleted, '2001:db8::200 added');
      expect(added6.addr).toMatchObject({ family: 'inet6', prefixLen: 128 });
      expect(added6.addr.flags & 0x02).toBe(0x02);
      ip('-n', NS, 'addr', 'del', '2001:db8::200/128', 'dev', 'eth0');
      await waitFor((e) => e.type === 'addr' && e.addr.address === '2001:db8::200' && e.deleted, '2001:db8::200 deleted');

      // a malformed notification is counted and ignored; a throwing callback does not stop the watch
      proc.stdin.write('inject\n');
      await waitFor((e) => e.type === 'injected', 'injection sent');
      ip('-n', NS, 'link', 'add', 'ktsthrow', 'type', 'veth', 'peer', 'name', 'ktsthrow1');
      await waitFor((e) => e.type === 'link' && e.link.name === 'ktsthrow', 'ktsthrow created');
      ip('-n', NS, 'link', 'del', 'ktsthrow');

      ip('-n', NS, 'link', 'add', 'ktsw0', 'type', 'veth', 'peer', 'name', 'ktsw1');
      const created = await waitFor((e) => e.type === 'link' && e.link.name === 'ktsw0' && !e.deleted, 'ktsw0 created');
      expect(created.link.kind).toBe('veth');
      ip('-n', NS, 'link', 'del', 'ktsw0');
      await waitFor((e) => e.type === 'link' && e.link.name === 'ktsw0' && e.deleted, 'ktsw0 deleted');

      proc.stdin.end();
      const stats = await waitFor((e) => e.type === 'stats', 'stats');
      expect(stats.stats).toMatchObject({ malformed: 2, overflows: 0 });
      expect(stats.stats.watchErrors).toBeGreaterThanOrEqual(1);
      expect(stats.stats.events).toBeGreaterThanOrEqual(10);
    });
  });
});
