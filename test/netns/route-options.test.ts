// virtual_routes with every route word keepalived 2.2.7 sends (multipath nexthops with weights,
// realms and onlink, realms, rtt / rttvar / rto_min with lock, congctl, ttl-propagate, IPv6
// pref and expires, and lightweight tunnel encapsulation: encap ip, ip6, mpls, ila; `as [to]`,
// which keepalived leaves out, on a route and in a nexthop), virtual_rules with realms,
// suppress_ifgroup / sup_group and tunnel-id, and a static route whose track_group makes the
// instance track its interface: the same configuration is run by keepalived and by
// keepalived-ts as MASTER, and the routes and rules the kernel holds (`ip route show` /
// `ip -6 route show` / `ip rule show`, proto keepalived) must be the same; the instance goes to
// FAULT when the static route's interface goes down, and back when it comes up (the route
// added again); at stop both remove them all. An encapsulation this kernel has no lightweight tunnel for
// (mpls_iptunnel, ila are modules) is found with `ip route` first: neither daemon installs it,
// keepalived-ts says why and goes on. A nexthop's encap is the one documented difference
// (docs/errors.md). (`vrf` needs a VRF device, which this kernel may not have: the UML test
// test/uml/vrf-routes.test.ts runs it.) Needs root and keepalived; uses dist/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directorConf } from '../../src/lab/configs.js';
import { Director, type Implementation } from '../../src/lab/director.js';
import { NetLab } from '../../src/lab/netlab.js';
import { waitUntil } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;

const ROUTES = [
  '10.71.0.0/16 nexthop via 10.70.0.2 dev eth0 nexthop via 10.70.0.3 dev eth0 weight 2',
  '10.72.0.0/16 dev eth0 realms 1/2 rtt 300ms rttvar lock 1s rto_min 250ms congctl lock reno ttl-propagate disabled',
  // short enough for keepalived to send its nexthops (see docs/errors.md: a longer request loses them)
  '10.73.0.0/16 nexthop via 10.70.0.2 dev eth0 weight 3 realms 5 nexthop via 10.70.0.3 dev eth0 onlink',
  '10.74.0.0/16 via 10.70.0.2 dev eth0 realms 7 rtt 2s',
  'fd70:1::/64 via fd70::2 dev eth0 pref high expires 300',
  // LWTUNNEL_ENCAP_IP / _IP6 need no module; short enough for keepalived to send the encapsulation
  '10.75.0.0/16 encap ip id 7 dst 10.70.0.9 src 10.70.0.11 tos 16 ttl 9 flags 256 dev eth0',
  '10.76.0.0/16 encap ip6 id 8 dst fd70::9 tc 32 hoplimit 7 via 10.70.0.2 dev eth0',
  'fd70:2::/64 encap ip id 9 dst 10.70.0.9 dev eth0',
  // keepalived: '"as to" for MPLS only - ignoring', the route installed without it
  '10.80.0.0/16 dev eth0 as to 10.9.9.9 metric 7',
  // keepalived: "'as [to]' (nat) not supported", the route installed with the nexthops before it
  '10.81.0.0/16 nexthop via 10.70.0.2 dev eth0 weight 2 nexthop via 10.70.0.3 dev eth0 as 10.9.9.9 nexthop via 10.70.0.4 dev eth0',
];
/** A tunnel-id up to 2^32-1: keepalived 2.2.7 keeps only the low 32 bits of a longer one (docs/errors.md). */
const RULES = [
  'from 10.79.1.0/24 table 100 realms 3/4 priority 1001',
  'from 10.79.2.0/24 table 100 suppress_ifgroup 5 priority 1002',
  'from 10.79.3.0/24 table 100 sup_group default priority 1003',
  'from 10.79.4.0/24 table 100 tunnel-id 4294967295 priority 1004',
  'to 10.79.5.0/24 table 100 realms 7 sup_group 9 priority 1005',
];
/** The instance tracks tg0 through the track group of this static route (keepalived static_track_group_init). */
const STATIC = ['track_group TG {', '  group {', '    VI_1', '  }', '}', 'static_routes {', '  10.82.0.0/16 dev tg0 track_group TG', '}'];
/** Encapsulations a kernel may lack (a module each): tried with `ip route` before the daemons run. */
const MAYBE = [
  { kind: 'mpls', dst: '10.78.0.0/16', route: '10.78.0.0/16 encap mpls 200/300 via 10.70.0.2 dev eth0' },
  // ILA wants the full locator and a LUID identifier type in the destination (/67 at least)
  { kind: 'ila', dst: '2001:db8:0:1:2000::/67', route: '2001:db8:0:1:2000::/67 encap ila 2001:0:0:2 dev eth0' },
];
/** A nexthop's encap: keepalived-ts sends it, keepalived 2.2.7 leaves it out. */
const NEXTHOP_ENCAP = { dst: '10.77.0.0/16', route: '10.77.0.0/16 nexthop via 10.70.0.2 dev eth0 encap ip id 3 dst 10.70.0.9 nexthop via 10.70.0.3 dev eth0' };

function conf(): string {
  const routes = [...ROUTES, ...MAYBE.map((m) => m.route), NEXTHOP_ENCAP.route];
  return directorConf({
    vrid: 97, advertInt: 1, priority: 150, vips: ['10.70.0.50/24'],
    extra: ['virtual_ipaddress_excluded {', '  fd70::50/64', '}', 'virtual_routes {', ...routes.map((r) => `  ${r}`), '}',
      'virtual_rules {', ...RULES.map((r) => `  ${r}`), '}'],
  }) + `${STATIC.join('\n')}\n`;
}

/** Where the route to `dst` is in `lines`: its line and its indented nexthop lines, [from, to). */
function span(lines: readonly string[], dst: string): [number, number] {
  const from = lines.findIndex((l) => l.startsWith(`${dst} `));
  if (from < 0) return [0, 0];
  let to = from + 1;
  while (to < lines.length && /^\s/.test(lines[to]!)) to++;
  return [from, to];
}

const block = (text: string, dst: string): string[] => text.split('\n').slice(...span(text.split('\n'), dst));

function without(text: string, dst: string): string {
  const lines = text.split('\n');
  const [from, to] = span(lines, dst);
  return [...lines.slice(0, from), ...lines.slice(to)].join('\n');
}

describe.skipIf(skipUnless(isRoot, 'root'))('route options: the routes keepalived installs, installed the same (netns)', () => {
  let lab: NetLab;
  const seen = new Map<Implementation, string>();
  /** MAYBE split by what this kernel does with `ip route add` */
  const installable: typeof MAYBE = [];
  const refused: (typeof MAYBE[number] & { why: string })[] = [];

  beforeAll(() => {
    lab = new NetLab('ktsrt');
    lab.addHost({ name: 'd1', addresses: ['10.70.0.11/24', 'fd70::11/64'] });
    // the static route's interface (a veth pair: this kernel may have no dummy driver)
    for (const args of [['link', 'add', 'tg0', 'type', 'veth', 'peer', 'name', 'tg1'], ['link', 'set', 'tg1', 'up'], ['link', 'set', 'tg0', 'up']]) {
      const r = lab.exec('d1', 'ip', args);
      if (r.rc !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    }
    for (const m of MAYBE) {
      const r = lab.exec('d1', 'ip', ['route', 'add', ...m.route.split(' ')]);
      if (r.rc === 0) {
        installable.push(m);
        lab.exec('d1', 'ip', ['route', 'del', ...m.route.split(' ')]);
      } else refused.push({ ...m, why: r.stderr.trim() });
    }
    process.stdout.write(`route options: this kernel installs encap ip, ip6${installable.map((m) => `, ${m.kind}`).join('')}`
      + `${refused.map((m) => `; not ${m.kind} (${m.why})`).join('')}\n`);
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  const routes = (): string => {
    const v4 = lab.exec('d1', 'ip', ['route', 'show', 'proto', '18']).stdout;
    // expires counts down: only its presence is compared
    const v6 = lab.exec('d1', 'ip', ['-6', 'route', 'show', 'proto', '18']).stdout.replace(/expires \d+sec/g, 'expires Nsec');
    return `${v4}${v6}`.trim();
  };
  /** routes, not their nexthop lines */
  const count = (): number => routes().split('\n').filter((l) => /^\S/.test(l)).length;
  const rules = (): string => lab.exec('d1', 'ip', ['rule', 'show']).stdout.split('\n').filter((l) => l.includes('proto keepalived')).join('\n');
  const link = (state: 'up' | 'down'): void => void lab.exec('d1', 'ip', ['link', 'set', 'tg0', state]);
  const rulesSeen = new Map<Implementation, string>();
  /** whether the static route is back once its interface is up again */
  const restored = new Map<Implementation, boolean>();

  for (const impl of ['keepalived', 'kts'] as Implementation[]) {
    it(`${impl}: installs them as MASTER and removes them at stop`, async () => {
      const d = new Director(lab, 'd1', impl, conf());
      try {
        await d.state('MASTER', 15_000);
        const want = ROUTES.length + installable.length + 1 + 1;
        await waitUntil('the routes', () => count() >= want, 10_000, () => `${routes()}\n${d.watch.tail(10)}`);
        await waitUntil('the rules', () => rules().split('\n').length >= RULES.length, 10_000, () => `${rules()}\n${d.watch.tail(10)}`);
        rulesSeen.set(impl, rules());
        // what the kernel refuses is said (with the kind it has no tunnel for), and the daemon goes on
        for (const m of refused) {
          const said = impl === 'kts'
            ? new RegExp(`add route ${m.route.replace(/[.]/g, '\\.')}: (EOPNOTSUPP|ENOTSUP) \\(this kernel has no lightweight tunnel for 'encap ${m.kind}'.*netlink operation failed`)
            : /Operation not supported/;
          await d.watch.waitFor((l) => said.test(l), 5_000);
        }
        seen.set(impl, routes());
        // the static route's track group: its interface down is the instance's fault
        const mark = d.watch.lines.length;
        link('down');
        await d.state('FAULT', 10_000, mark);
        link('up');
        await d.state('MASTER', 15_000, mark);
        await new Promise((r) => setTimeout(r, 1000));
        restored.set(impl, /^10\.82\.0\.0\/16 dev tg0/m.test(routes()));
        d.signal('SIGTERM');
        expect(await d.exited(15_000)).toBe(0);
        expect(routes()).toBe('');
        expect(rules()).toBe('');
      } finally {
        d.cleanup();
      }
    });
  }

  it('the kernel holds the same routes from both', () => {
    const kts = seen.get('kts')!;
    const keepalived = seen.get('keepalived')!;
    expect(kts).toBeDefined();
    expect(without(kts, NEXTHOP_ENCAP.dst)).toBe(without(keepalived, NEXTHOP_ENCAP.dst));
    // and they are what was asked for
    expect(kts).toMatch(/10\.71\.0\.0\/16 .*\n\s+nexthop via 10\.70\.0\.2 dev eth0 weight 1 \n\s+nexthop via 10\.70\.0\.3 dev eth0 weight 2/);
    expect(kts).toMatch(/10\.72\.0\.0\/16 dev eth0 realms 1\/2 rtt 300ms rttvar lock 1s rto_min 250ms congctl lock reno/);
    expect(kts).toMatch(/10\.73\.0\.0\/16 .*\n\s+nexthop via 10\.70\.0\.2 realm 5 dev eth0 weight 3 \n\s+nexthop via 10\.70\.0\.3 dev eth0 weight 1 onlink/);
    expect(kts).toMatch(/fd70:1::\/64 via fd70::2 dev eth0 .*expires Nsec pref high/);
    // flags go in host order, as keepalived sends them: 256 is TUNNEL_CSUM (big-endian 1) on x86-64
    expect(kts).toMatch(/10\.75\.0\.0\/16 +encap ip id 7 src 10\.70\.0\.11 dst 10\.70\.0\.9 ttl 9 tos 16 csum dev eth0/);
    expect(kts).toMatch(/10\.76\.0\.0\/16 +encap ip6 id 8 src :: dst fd70::9 hoplimit 7 tc 32 via 10\.70\.0\.2 dev eth0/);
    expect(kts).toMatch(/fd70:2::\/64 +encap ip id 9 src 0\.0\.0\.0 dst 10\.70\.0\.9 .*dev eth0/);
    for (const m of installable) expect(block(kts, m.dst).join('\n')).toContain(`encap ${m.kind}`);
  });

  it('the kernel holds the same rules from both: realms, suppress_ifgroup (a number, a name), tunnel-id', () => {
    const kts = rulesSeen.get('kts')!;
    expect(kts).toBeDefined();
    expect(kts).toBe(rulesSeen.get('keepalived'));
    expect(kts).toMatch(/^1001:\s+from 10\.79\.1\.0\/24 lookup 100 realms 3\/4 proto keepalived\s*$/m);
    expect(kts).toMatch(/^1002:\s+from 10\.79\.2\.0\/24 lookup 100 suppress_ifgroup 5 proto keepalived\s*$/m);
    expect(kts).toMatch(/^1003:\s+from 10\.79\.3\.0\/24 lookup 100 suppress_ifgroup default proto keepalived\s*$/m);
    expect(kts).toMatch(/^1004:\s+from 10\.79\.4\.0\/24 tun_id 4294967295 lookup 100 proto keepalived\s*$/m);
    expect(kts).toMatch(/^1005:\s+from all to 10\.79\.5\.0\/24 lookup 100 suppress_ifgroup 9 realms 7 proto keepalived\s*$/m);
  });

  it('`as [to]` is left out by both: the route without it, the nexthops before the one that has it', () => {
    const kts = seen.get('kts')!;
    expect(block(kts, '10.80.0.0/16')).toEqual(['10.80.0.0/16 dev eth0 metric 7 ']);
    // one nexthop left: the kernel shows it as a plain route
    expect(block(kts, '10.81.0.0/16')).toEqual(['10.81.0.0/16 via 10.70.0.2 dev eth0 ']);
  });

  it('both add the static route again once its interface is up again (keepalived interface_up)', () => {
    expect(restored.get('keepalived')).toBe(true);
    expect(restored.get('kts')).toBe(true);
  });

  it('an encapsulation this kernel cannot install is installed by neither', () => {
    for (const m of refused) {
      expect(block(seen.get('kts')!, m.dst), m.why).toEqual([]);
      expect(block(seen.get('keepalived')!, m.dst), m.why).toEqual([]);
    }
  });

  it("a nexthop's encap: keepalived-ts sends it, keepalived 2.2.7 leaves it out (docs/errors.md)", () => {
    const kts = block(seen.get('kts')!, NEXTHOP_ENCAP.dst).join('\n');
    const keepalived = block(seen.get('keepalived')!, NEXTHOP_ENCAP.dst).join('\n');
    expect(kts).toMatch(/\n\s+nexthop +encap ip id 3 src 0\.0\.0\.0 dst 10\.70\.0\.9 .*via 10\.70\.0\.2 dev eth0 weight 1 \n\s+nexthop via 10\.70\.0\.3 dev eth0 weight 1/);
    expect(keepalived).toMatch(/\n\s+nexthop via 10\.70\.0\.2 dev eth0 weight 1 \n\s+nexthop via 10\.70\.0\.3 dev eth0 weight 1/);
    expect(keepalived).not.toContain('encap');
  });
});
