// keepalived-ts realserver, the pure part: the plan for dr / tun on a snapshot of a host, the
// idempotency (a host already prepared needs nothing), refusals, --status text, the argument
// parser, and the state file's record / restore plan.
import { describe, expect, it } from 'vitest';
import { parseRealserverArgs } from '../../../src/realserver/args.js';
import { formatStatus, planRealserver, type HostAddress, type HostLink, type HostSnapshot, type RsAction, type RsOptions } from '../../../src/realserver/plan.js';
import { emptyState, forgetDone, parseState, planDown, recordAction, stateIsEmpty } from '../../../src/realserver/state.js';
import { parsePrefix, type IpPrefix } from '../../../src/util/ip.js';

const vip = (t: string): IpPrefix => parsePrefix(t)!;
const LO: HostLink = { name: 'lo', up: true, loopback: true };
const ETH0: HostLink = { name: 'eth0', up: true, loopback: false, kind: 'veth' };
const ETH0_ADDR: HostAddress = { dev: 'eth0', family: 'inet', address: '10.0.0.20', prefixLen: 24, secondary: false };

function sysctls(over: Record<string, number> = {}, devs = ['all', 'default', 'lo', 'eth0']): Map<string, number> {
  const m = new Map<string, number>();
  for (const d of devs) for (const k of ['arp_ignore', 'arp_announce', 'rp_filter']) m.set(`net/ipv4/conf/${d}/${k}`, 0);
  for (const [k, v] of Object.entries(over)) m.set(k, v);
  return m;
}

function host(opts: { links?: HostLink[]; addresses?: HostAddress[]; sys?: Record<string, number>; devs?: string[] } = {}): HostSnapshot {
  return { links: opts.links ?? [LO, ETH0], addresses: opts.addresses ?? [ETH0_ADDR], sysctls: sysctls(opts.sys, opts.devs) };
}

/** The snapshot after carrying out `actions` (what the kernel would show). */
function apply(snap: HostSnapshot, actions: readonly RsAction[]): HostSnapshot {
  const links = [...snap.links];
  const addresses = [...snap.addresses];
  const sys = new Map(snap.sysctls);
  for (const a of actions) {
    if (a.type === 'create-link') {
      links.push({ name: a.dev, up: false, loopback: false, kind: a.kind });
      for (const k of ['arp_ignore', 'arp_announce', 'rp_filter']) sys.set(`net/ipv4/conf/${a.dev}/${k}`, sys.get(`net/ipv4/conf/default/${k}`)!);
    } else if (a.type === 'link-up') {
      const i = links.findIndex((l) => l.name === a.dev);
      links[i] = { ...links[i]!, up: true };
    } else if (a.type === 'set-sysctl') sys.set(a.path, a.value);
    else addresses.push({ dev: a.dev, family: a.family, address: a.address, prefixLen: a.prefixLen, secondary: false });
  }
  return { links, addresses, sysctls: sys };
}

const dr = (...vips: string[]): RsOptions => ({ mode: 'dr', vips: vips.map(vip) });
const tun = (...vips: string[]): RsOptions => ({ mode: 'tun', vips: vips.map(vip) });

describe('realserver plan: dr', () => {
  it('sets arp_ignore=1 and arp_announce=2 on all BEFORE adding the VIP /32 to lo with the lo:kts label', () => {
    const p = planRealserver(dr('10.0.0.100'), host());
    expect(p.refusals).toEqual([]);
    expect(p.ready).toBe(false);
    expect(p.actions).toEqual([
      expect.objectContaining({ type: 'set-sysctl', path: 'net/ipv4/conf/all/arp_ignore', value: 1, previous: 0 }),
      expect.objectContaining({ type: 'set-sysctl', path: 'net/ipv4/conf/all/arp_announce', value: 2, previous: 0 }),
      { type: 'add-address', dev: 'lo', address: '10.0.0.100', prefixLen: 32, family: 'inet', label: 'lo:kts' },
    ]);
  });

  it('is idempotent: once applied, the plan is empty and the host ready', () => {
    const snap = host();
    const first = planRealserver(dr('10.0.0.100', '10.0.0.101'), snap);
    const after = apply(snap, first.actions);
    const second = planRealserver(dr('10.0.0.100', '10.0.0.101'), after);
    expect(second.actions).toEqual([]);
    expect(second.refusals).toEqual([]);
    expect(second.ready).toBe(true);
  });

  it('keeps stricter values already there: arp_ignore 2 or 8 on all is fine, nothing set', () => {
    for (const v of [2, 8]) {
      const p = planRealserver(dr('10.0.0.100'), host({ sys: { 'net/ipv4/conf/all/arp_ignore': v, 'net/ipv4/conf/all/arp_announce': 2 } }));
      expect(p.actions.filter((a) => a.type === 'set-sysctl')).toEqual([]);
    }
  });

  it('an interface whose own arp_ignore defeats all (max(all, IF) = 3) is lowered, and only that one', () => {
    const p = planRealserver(dr('10.0.0.100'), host({ sys: { 'net/ipv4/conf/eth0/arp_ignore': 3 } }));
    const sets = p.actions.filter((a) => a.type === 'set-sysctl').map((a) => a.type === 'set-sysctl' && `${a.path}=${a.value}`);
    expect(sets).toEqual(['net/ipv4/conf/all/arp_ignore=1', 'net/ipv4/conf/eth0/arp_ignore=1', 'net/ipv4/conf/all/arp_announce=2']);
  });

  it('IPv6 VIP: /128 on lo, no label, no ARP sysctl for an IPv6-only real server', () => {
    const p = planRealserver(dr('fd00::100'), host());
    expect(p.actions).toEqual([{ type: 'add-address', dev: 'lo', address: 'fd00::100', prefixLen: 128, family: 'inet6' }]);
  });

  it('brings lo up first when it is down', () => {
    const p = planRealserver(dr('10.0.0.100'), host({ links: [{ ...LO, up: false }, ETH0] }));
    expect(p.actions[0]).toEqual({ type: 'link-up', dev: 'lo' });
  });
});

describe('realserver plan: tun', () => {
  it('creates tunl0 when missing, keeps other interfaces filtered before all.rp_filter=0, then up and the VIP', () => {
    const snap = host({ sys: { 'net/ipv4/conf/all/rp_filter': 2, 'net/ipv4/conf/default/rp_filter': 1 } });
    const p = planRealserver(tun('10.0.0.100'), snap);
    expect(p.refusals).toEqual([]);
    expect(p.actions.map((a) => (a.type === 'set-sysctl' ? `${a.path}=${a.value}` : a.type))).toEqual([
      'create-link',
      'net/ipv4/conf/default/rp_filter=2',
      'net/ipv4/conf/eth0/rp_filter=2',
      'net/ipv4/conf/all/rp_filter=0',
      'net/ipv4/conf/all/arp_ignore=1',
      'net/ipv4/conf/all/arp_announce=2',
      'link-up',
      'add-address',
    ]);
    // once tunl0 exists (it inherits default's 1): its own rp_filter goes to 0 as well
    const created = apply(snap, p.actions.filter((a) => a.type === 'create-link'));
    const again = planRealserver(tun('10.0.0.100'), created);
    expect(again.actions).toContainEqual(expect.objectContaining({ type: 'set-sysctl', path: 'net/ipv4/conf/tunl0/rp_filter', value: 0, previous: 1 }));
    expect(again.actions.find((a) => a.type === 'add-address')).toEqual({ type: 'add-address', dev: 'tunl0', address: '10.0.0.100', prefixLen: 32, family: 'inet', label: 'tunl0:kts' });
    const done = apply(created, again.actions);
    expect(planRealserver(tun('10.0.0.100'), done)).toMatchObject({ actions: [], refusals: [], ready: true });
  });

  it('pins tunl0 rp_filter=0 after raising default (the kernel copies default to interfaces never written)', () => {
    const TUNL0: HostLink = { name: 'tunl0', up: true, loopback: false, kind: 'ipip' };
    const p = planRealserver(tun('10.0.0.100'), host({ links: [LO, ETH0, TUNL0], devs: ['all', 'default', 'lo', 'eth0', 'tunl0'], sys: { 'net/ipv4/conf/all/rp_filter': 1 } }));
    const sets = p.actions.flatMap((a) => (a.type === 'set-sysctl' ? [`${a.path}=${a.value}`] : []));
    expect(sets.slice(0, 4)).toEqual(['net/ipv4/conf/default/rp_filter=1', 'net/ipv4/conf/eth0/rp_filter=1', 'net/ipv4/conf/all/rp_filter=0', 'net/ipv4/conf/tunl0/rp_filter=0']);
  });

  it('refuses IPv6 VIPs, a --dev that is not ipip, and a missing --dev other than tunl0', () => {
    expect(planRealserver(tun('fd00::1'), host()).refusals.join()).toMatch(/IPv6 VIPs in tun mode are not supported/);
    expect(planRealserver({ ...tun('10.0.0.1'), dev: 'eth0' }, host()).refusals).toEqual(['eth0 is a veth device, not an ipip tunnel']);
    expect(planRealserver({ ...tun('10.0.0.1'), dev: 'tun9' }, host()).refusals.join()).toMatch(/no ipip device tun9/);
  });
});

describe('realserver plan: refusals', () => {
  it('the VIP is this host primary address', () => {
    const p = planRealserver(dr('10.0.0.20'), host());
    expect(p.refusals).toEqual(["10.0.0.20 is this host's own primary address on eth0: it cannot also be a VIP balanced to this host"]);
  });

  it('the VIP is already an address of a non-loopback interface (a director / VRRP master holds it)', () => {
    const p = planRealserver(dr('10.0.0.100'), host({ addresses: [ETH0_ADDR, { dev: 'eth0', family: 'inet', address: '10.0.0.100', prefixLen: 24, secondary: true }] }));
    expect(p.refusals).toHaveLength(1);
    expect(p.refusals[0]).toMatch(/^10\.0\.0\.100 is already an address of eth0 .*answers ARP for it/);
  });

  it('a VIP already on lo with a wider prefix is not ours to change', () => {
    const p = planRealserver(dr('10.0.0.100'), host({ addresses: [ETH0_ADDR, { dev: 'lo', family: 'inet', address: '10.0.0.100', prefixLen: 24, secondary: false }] }));
    expect(p.refusals.join()).toMatch(/already on lo as \/24/);
  });

  it('loopback, multicast, link-local and unspecified addresses are not VIPs; dr --dev must be loopback or dummy', () => {
    for (const a of ['127.0.0.5', '224.0.0.18', '169.254.1.1', '0.0.0.0', '::1', 'ff02::1', 'fe80::1', '::']) {
      expect(planRealserver(dr(a), host()).refusals.join(), a).toMatch(/not a VIP/);
    }
    expect(planRealserver({ ...dr('10.0.0.100'), dev: 'eth0' }, host()).refusals.join()).toMatch(/eth0 is not a loopback or dummy device/);
    const dummy: HostLink = { name: 'dummy0', up: true, loopback: false, kind: 'dummy' };
    expect(planRealserver({ ...dr('10.0.0.100'), dev: 'dummy0' }, host({ links: [LO, ETH0, dummy] })).refusals).toEqual([]);
  });

  it('an unreadable sysctl (no IPv4 / no /proc/sys) is refused, never guessed', () => {
    const snap: HostSnapshot = { ...host(), sysctls: new Map() };
    expect(planRealserver(dr('10.0.0.100'), snap).refusals.join()).toMatch(/cannot read net\.ipv4\.conf\.all\.arp_ignore/);
  });
});

describe('realserver --status text', () => {
  it('lists what is missing per device, VIP and sysctl', () => {
    expect(formatStatus(planRealserver(dr('10.0.0.100'), host()))).toBe([
      'realserver dr (VIPs on lo): NOT READY',
      '  ok      device lo: up',
      '  MISSING vip 10.0.0.100/32: missing, want on lo',
      '  MISSING net.ipv4.conf.all.arp_ignore: 0, want 1',
      '  MISSING net.ipv4.conf.all.arp_announce: 0, want 2',
      '',
    ].join('\n'));
    const snap = host();
    const ready = apply(snap, planRealserver(dr('10.0.0.100'), snap).actions);
    expect(formatStatus(planRealserver(dr('10.0.0.100'), ready))).toMatch(/^realserver dr \(VIPs on lo\): ready\n(  ok .*\n){4}$/);
    expect(formatStatus(planRealserver(dr('10.0.0.20'), snap))).toMatch(/  REFUSED 10\.0\.0\.20 is this host's own primary address on eth0/);
  });
});

describe('realserver arguments', () => {
  const bad = (argv: string[]): string => {
    const r = parseRealserverArgs(argv);
    return r.ok ? 'ok' : r.error;
  };
  it('parses modes, VIPs (repeated and comma lists, deduplicated), --dev, --state, --opt=value', () => {
    const r = parseRealserverArgs(['--mode', 'tun', '--vip', '10.0.0.1', '--vip=10.0.0.2/32,10.0.0.1', '--dev', 'tunl0', '--state=/tmp/x.json', '--json']);
    expect(r.ok && { mode: r.value.mode, vips: r.value.vips.length, dev: r.value.dev, state: r.value.stateFile, json: r.value.json }).toEqual({ mode: 'tun', vips: 2, dev: 'tunl0', state: '/tmp/x.json', json: true });
  });
  it('bad input is an error message, never a throw', () => {
    expect(bad(['--vip', '10.0.0.1'])).toBe('--mode dr|tun is required');
    expect(bad(['--mode', 'nat', '--vip', '10.0.0.1'])).toMatch(/--mode must be dr or tun, not 'nat'/);
    expect(bad(['--mode', 'dr'])).toBe('at least one --vip is required');
    expect(bad(['--mode', 'dr', '--vip'])).toBe('--vip needs a value');
    expect(bad(['--mode', 'dr', '--vip', '300.1.1.1'])).toMatch(/not an IPv4 or IPv6 address/);
    expect(bad(['--mode', 'dr', '--vip', '10.0.0.0/24'])).toMatch(/as a \/32/);
    expect(bad(['--mode', 'dr', '--vip', '10.0.0.1', '--dev', '../../etc'])).toMatch(/not an interface name/);
    expect(bad(['--mode', 'dr', '--vip', '10.0.0.1', '--frobnicate'])).toBe('unknown option --frobnicate');
    expect(bad(['--mode', 'dr', '--vip', '10.0.0.1', '--status', '--down'])).toMatch(/cannot be combined/);
    expect(bad(['--down'])).toBe('ok');
    expect(bad(['--down', '--mode', 'dr', '--vip', '10.0.0.1'])).toBe('ok');
  });
});

describe('realserver state file and --down', () => {
  it('records the first previous value, and restores in reverse only what still holds our value', () => {
    let st = emptyState('tun');
    const acts: RsAction[] = [
      { type: 'create-link', dev: 'tunl0', kind: 'ipip' },
      { type: 'set-sysctl', path: 'net/ipv4/conf/all/rp_filter', value: 0, previous: 1, reason: '' },
      { type: 'set-sysctl', path: 'net/ipv4/conf/all/arp_ignore', value: 1, previous: 0, reason: '' },
      { type: 'set-sysctl', path: 'net/ipv4/conf/all/arp_ignore', value: 1, previous: 1, reason: '' },
      { type: 'link-up', dev: 'tunl0' },
      { type: 'add-address', dev: 'tunl0', address: '10.0.0.100', prefixLen: 32, family: 'inet', label: 'tunl0:kts' },
    ];
    for (const a of acts) st = recordAction(st, a);
    expect(st.sysctls).toEqual([{ path: 'net/ipv4/conf/all/rp_filter', previous: 1, value: 0 }, { path: 'net/ipv4/conf/all/arp_ignore', previous: 0, value: 1 }]);
    const round = parseState(JSON.stringify(st));
    expect(round.ok && round.value).toEqual(st);

    const snap: HostSnapshot = {
      links: [LO, ETH0, { name: 'tunl0', up: true, loopback: false, kind: 'ipip' }],
      addresses: [ETH0_ADDR, { dev: 'tunl0', family: 'inet', address: '10.0.0.100', prefixLen: 32, secondary: false }],
      // someone set rp_filter to 2 since: theirs wins
      sysctls: sysctls({ 'net/ipv4/conf/all/rp_filter': 2, 'net/ipv4/conf/all/arp_ignore': 1 }, ['all', 'default', 'lo', 'eth0', 'tunl0']),
    };
    const down = planDown(st, snap);
    expect(down.actions.map((a) => a.type)).toEqual(['delete-address', 'set-sysctl', 'link-down', 'delete-link']);
    expect(down.actions[1]).toMatchObject({ path: 'net/ipv4/conf/all/arp_ignore', value: 0 });
    expect(down.skipped).toEqual(['net.ipv4.conf.all.rp_filter: now 2, changed by someone else since we set 0: left alone (was 1)']);
    expect(stateIsEmpty(forgetDone(st, down.actions))).toBe(false); // the skipped sysctl stays recorded
  });

  it('a broken or hostile state file is an error, never a throw or a path outside /proc/sys/net', () => {
    for (const text of ['', '{', '[]', '{"version":2}', JSON.stringify({ ...emptyState('dr'), sysctls: [{ path: 'kernel/../../etc/passwd', previous: 0, value: 1 }] }),
      JSON.stringify({ ...emptyState('dr'), addresses: [{ dev: '../x', family: 'inet', address: '1.2.3.4', prefixLen: 32 }] })]) {
      expect(parseState(text).ok, text).toBe(false);
    }
  });
});
