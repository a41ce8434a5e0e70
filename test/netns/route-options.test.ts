// virtual_routes with every route word keepalived 2.2.7 sends (multipath nexthops with weights,
// realms and onlink, realms, rtt / rttvar / rto_min with lock, congctl,
// ttl-propagate, IPv6 pref and expires): the same configuration is run by keepalived and by
// keepalived-ts as MASTER, and the routes the kernel holds (`ip route show` / `ip -6 route
// show`, proto keepalived) must be the same; at stop both remove them. Needs root and
// keepalived; uses dist/.
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
];

function conf(): string {
  return directorConf({
    vrid: 97, advertInt: 1, priority: 150, vips: ['10.70.0.50/24'],
    extra: ['virtual_ipaddress_excluded {', '  fd70::50/64', '}', 'virtual_routes {', ...ROUTES.map((r) => `  ${r}`), '}'],
  });
}

describe.skipIf(skipUnless(isRoot, 'root'))('route options: the routes keepalived installs, installed the same (netns)', () => {
  let lab: NetLab;
  const seen = new Map<Implementation, string>();

  beforeAll(() => {
    lab = new NetLab('ktsrt');
    lab.addHost({ name: 'd1', addresses: ['10.70.0.11/24', 'fd70::11/64'] });
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

  for (const impl of ['keepalived', 'kts'] as Implementation[]) {
    it(`${impl}: installs them as MASTER and removes them at stop`, async () => {
      const d = new Director(lab, 'd1', impl, conf());
      try {
        await d.state('MASTER', 15_000);
        await waitUntil('the routes', () => routes().split('\n').length >= ROUTES.length, 10_000, () => `${routes()}\n${d.watch.tail(10)}`);
        seen.set(impl, routes());
        d.signal('SIGTERM');
        expect(await d.exited(15_000)).toBe(0);
        expect(routes()).toBe('');
      } finally {
        d.cleanup();
      }
    });
  }

  it('the kernel holds the same routes from both', () => {
    expect(seen.get('kts')).toBeDefined();
    expect(seen.get('kts')).toBe(seen.get('keepalived'));
    // and they are what was asked for
    expect(seen.get('kts')).toMatch(/10\.71\.0\.0\/16 .*\n\s+nexthop via 10\.70\.0\.2 dev eth0 weight 1 \n\s+nexthop via 10\.70\.0\.3 dev eth0 weight 2/);
    expect(seen.get('kts')).toMatch(/10\.72\.0\.0\/16 dev eth0 realms 1\/2 rtt 300ms rttvar lock 1s rto_min 250ms congctl lock reno/);
    expect(seen.get('kts')).toMatch(/10\.73\.0\.0\/16 .*\n\s+nexthop via 10\.70\.0\.2 realm 5 dev eth0 weight 3 \n\s+nexthop via 10\.70\.0\.3 dev eth0 weight 1 onlink/);
    expect(seen.get('kts')).toMatch(/fd70:1::\/64 via fd70::2 dev eth0 .*expires Nsec pref high/);
  });
});
