// Interfaces that are not there yet (issue 17 item 5), keepalived-ts beside keepalived 2.2.7:
// a director boots and its address, or (with dynamic_interfaces) its interface, comes late.
// Both implementations must keep running, hold the instance in FAULT without its VIP, and take
// it to MASTER with the VIP once the address or interface is there; an interface deleted and
// created again (dynamic_interfaces) gets its instance, VIP and socket back. The state each
// reaches after each step is recorded for both and must be the same. Without
// dynamic_interfaces a missing interface is still a start-up error (exit 2) for both.
// Needs root; run after `npm run build` (uses dist/).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Director, type Implementation } from '../../src/lab/director.js';
import { NetLab, sh } from '../../src/lab/netlab.js';
import { sleep, waitUntil } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const haveKeepalived = sh('sh', ['-c', 'command -v keepalived']).rc === 0;

const conf = (ifname: string, vip: string, dynamic: boolean): string => `global_defs {
  router_id late
${dynamic ? '  dynamic_interfaces\n' : ''}}
vrrp_instance VI_1 {
  state BACKUP
  interface ${ifname}
  virtual_router_id 75
  priority 100
  advert_int 1
  virtual_ipaddress {
    ${vip}
  }
}
`;

describe.skipIf(skipUnless(isRoot && haveKeepalived, 'root and keepalived'))('late interfaces (netns)', () => {
  let lab: NetLab;
  let running: Director[] = [];

  beforeAll(() => {
    lab = new NetLab('ktsli');
    // no IPv4 address on eth0 to begin with
    lab.addHost({ name: 'a', addresses: [] });
  });

  afterEach(() => {
    for (const d of running) d.cleanup();
    running = [];
    lab.exec('a', 'ip', ['-4', 'addr', 'flush', 'dev', 'eth0']);
    lab.exec('a', 'ip', ['link', 'del', 'late0']);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  const start = (impl: Implementation, text: string): Director => {
    const d = new Director(lab, 'a', impl, text);
    running.push(d);
    return d;
  };
  const alive = (d: Director): boolean => d.watch.child.exitCode === null && d.watch.child.signalCode === null;
  /** The last state the daemon entered (keepalived writes its first FAULT as "entering FAULT state (why)"). */
  const stateOf = (d: Director): string => {
    for (let i = d.watch.lines.length - 1; i >= 0; i--) {
      const m = /\(VI_1\):? [Ee]ntering (\w+) (?:STATE|state)/.exec(d.watch.lines[i]!.text);
      if (m) return m[1]!;
    }
    return 'INIT';
  };
  /** The state the daemon says it is in, and whether the VIP is on `dev`. */
  const where = (d: Director, vip: string, dev: string): string => `${alive(d) ? stateOf(d) : 'exited'} ${lab.hasAddress('a', vip, dev) ? 'with VIP' : 'without VIP'}`;
  const reach = (d: Director, want: string, vip: string, dev: string): Promise<unknown> =>
    waitUntil(`${d.impl}: ${want}`, () => where(d, vip, dev) === want, 15_000, () => `${where(d, vip, dev)}\n${d.watch.tail(10)}`);

  const seen: Record<string, { noAddress: string[]; noInterface: string[] }> = {};

  for (const impl of ['keepalived', 'kts'] as Implementation[]) {
    it(`${impl}: an address that comes late; an interface that comes late, goes and comes back (dynamic_interfaces)`, async () => {
      const noAddress: string[] = [];
      const d = start(impl, conf('eth0', '10.75.0.50/24', false));
      await sleep(3000);
      noAddress.push(where(d, '10.75.0.50', 'eth0'));
      lab.exec('a', 'ip', ['addr', 'add', '10.75.0.11/24', 'dev', 'eth0']);
      await reach(d, 'MASTER with VIP', '10.75.0.50', 'eth0');
      noAddress.push(where(d, '10.75.0.50', 'eth0'));
      d.cleanup();

      const noInterface: string[] = [];
      const e = start(impl, conf('late0', '10.76.0.50/24', true));
      await sleep(3000);
      noInterface.push(where(e, '10.76.0.50', 'late0'));
      const make = (): void => {
        lab.exec('a', 'ip', ['link', 'add', 'late0', 'type', 'veth', 'peer', 'name', 'late1']);
        lab.exec('a', 'ip', ['addr', 'add', '10.76.0.11/24', 'dev', 'late0']);
        lab.exec('a', 'ip', ['link', 'set', 'late1', 'up']);
        lab.exec('a', 'ip', ['link', 'set', 'late0', 'up']);
      };
      make();
      await reach(e, 'MASTER with VIP', '10.76.0.50', 'late0');
      noInterface.push(where(e, '10.76.0.50', 'late0'));
      lab.exec('a', 'ip', ['link', 'del', 'late0']);
      await waitUntil(`${impl}: FAULT once late0 is gone`, () => stateOf(e) === 'FAULT', 10_000, () => e.watch.tail(10));
      noInterface.push(`${alive(e) ? stateOf(e) : 'exited'}`);
      make();
      await reach(e, 'MASTER with VIP', '10.76.0.50', 'late0');
      noInterface.push(where(e, '10.76.0.50', 'late0'));
      // and its adverts go out of the new late0 (the socket follows the interface's new index)
      const adverts = lab.exec('a', 'timeout', ['4', 'tcpdump', '-i', 'late1', '-n', '-c', '2', 'ip proto 112'], 8000);
      noInterface.push(`${(adverts.stdout.match(/VRRPv2, Advertisement, vrid 75/g) ?? []).length} adverts`);
      seen[impl] = { noAddress, noInterface };

      // written down, so that two equally wrong runs cannot agree
      expect(noAddress).toEqual(['FAULT without VIP', 'MASTER with VIP']);
      expect(noInterface).toEqual(['FAULT without VIP', 'MASTER with VIP', 'FAULT', 'MASTER with VIP', '2 adverts']);
    }, 90_000);
  }

  it('keepalived-ts goes through the states keepalived goes through', () => {
    expect(seen.kts).toEqual(seen.keepalived);
  });

  it('without dynamic_interfaces a missing interface stops the start, for both (exit 2)', async () => {
    for (const impl of ['keepalived', 'kts'] as Implementation[]) {
      const d = start(impl, conf('nosuch0', '10.77.0.50/24', false));
      expect(await d.exited(10_000), impl).toBe(2);
    }
  }, 30_000);
});
