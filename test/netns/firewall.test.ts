// Strict mode's firewall, keepalived-ts beside keepalived 2.2.7 (issue 17 item 1): a MASTER
// without accept mode drops traffic to and from its VIPs with an nftables table. For each
// implementation in turn, on the same configuration (vrrp_strict, an IPv4 and an IPv6
// instance): the table `nft -j list ruleset` shows on the master (handles aside) must be the
// same; a client's ping and TCP connection to the VIPs must get the same answers (none) from
// the master and, after it stops, from the backup that takes over, while the directors' own
// addresses answer; a stopped director leaves no table. Then keepalived-ts alone: a table left
// by a SIGKILL goes at the next start, and a reload adds a VIP's element without touching the
// others. With use_vmac both move the VMACs' IGMP / MLD reports to the base interface with the
// same rules from the start (and with disable_local_igmp turn the IPv4 reports off instead).
// Needs root and nft; run after `npm run build` (uses dist/).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Director, type Implementation } from '../../src/lab/director.js';
import { NetLab, sh } from '../../src/lab/netlab.js';
import { sleep, waitUntil } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const haveTools = sh('sh', ['-c', 'command -v keepalived && command -v nft']).rc === 0;

const conf = (priority: number, v4 = ['10.72.0.50/24', '10.72.0.51/24'], extra = ''): string => `global_defs {
  router_id fw_${priority}
  vrrp_strict
}
vrrp_instance V4 {
  state BACKUP
  interface eth0${extra}
  virtual_router_id 72
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
${v4.map((v) => `    ${v}`).join('\n')}
  }
}
vrrp_instance V6 {
  state BACKUP
  interface eth0${extra}
  version 3
  virtual_router_id 73
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    fe80::72:1/64
    fd72::50/64
  }
}
`;

type Answer = 'reply' | 'none' | 'open' | 'refused' | 'timeout';
interface Answers { ping4: Answer; tcp4: Answer; ping6: Answer; tcp6: Answer; own4: Answer }

describe.skipIf(skipUnless(isRoot && haveTools, 'root, keepalived and nft'))('strict mode firewall (netns)', () => {
  let lab: NetLab;
  let running: Director[] = [];

  beforeAll(() => {
    lab = new NetLab('ktsfw');
    lab.addHost({ name: 'a', addresses: ['10.72.0.11/24', 'fd72::11/64'] });
    lab.addHost({ name: 'b', addresses: ['10.72.0.12/24', 'fd72::12/64'] });
    lab.addHost({ name: 'c', addresses: ['10.72.0.100/24', 'fd72::100/64'] });
    // a TCP service on every address of both directors: what a VIP would answer without the firewall
    for (const h of ['a', 'b']) {
      lab.spawn(h, process.execPath, ['-e', "require('node:net').createServer((s) => s.end('hi\\n')).listen(8072, '::')"]);
    }
  });

  afterEach(() => {
    for (const d of running) d.cleanup();
    running = [];
    for (const h of ['a', 'b']) lab.exec(h, 'nft', ['flush', 'ruleset']);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  const start = (host: string, impl: Implementation, text: string): Director => {
    const d = new Director(lab, host, impl, text);
    running.push(d);
    return d;
  };

  /** The ruleset without what differs between two identical installs (handles, nft's version). */
  const ruleset = (host: string): unknown[] => {
    const out = JSON.parse(lab.exec(host, 'nft', ['-j', 'list', 'ruleset']).stdout || '{"nftables":[]}') as { nftables: Record<string, Record<string, unknown>>[] };
    return out.nftables.filter((o) => !('metainfo' in o)).map((o) => {
      const [kind, body] = Object.entries(o)[0]!;
      const { handle: _h, ...rest } = body;
      return { [kind]: rest };
    });
  };

  const ping = (addr: string): Answer => (lab.exec('c', 'ping', ['-c', '1', '-W', '1', addr], 5000).rc === 0 ? 'reply' : 'none');
  const tcp = (addr: string): Answer => {
    const r = lab.exec('c', 'timeout', ['2', 'bash', '-c', `exec 3<>/dev/tcp/${addr}/8072`], 5000);
    return r.rc === 0 ? 'open' : r.rc === 124 ? 'timeout' : 'refused';
  };
  const answers = (own: string): Answers => ({
    ping4: ping('10.72.0.50'), tcp4: tcp('10.72.0.50'), ping6: ping('fd72::50'), tcp6: tcp('fd72::50'), own4: ping(own),
  });
  const masterOfBoth = (d: Director, ms: number): Promise<unknown> =>
    waitUntil(`${d.impl}@${d.host} MASTER of V4 and V6`, () => d.lastState('V4') === 'MASTER' && d.lastState('V6') === 'MASTER'
      && lab.hasAddress(d.host, '10.72.0.50') && lab.hasAddress(d.host, 'fd72::50'), ms, () => d.watch.tail(12));

  const seen: Record<string, { tables: unknown[]; master: Answers; takenOver: Answers; leftAfterStop: unknown[] }> = {};

  for (const impl of ['keepalived', 'kts'] as const) {
    it(`${impl}: the master's table, the client's answers in MASTER and after a takeover, nothing left at stop`, async () => {
      const a = start('a', impl, conf(150));
      const b = start('b', impl, conf(100));
      await masterOfBoth(a, 20_000);
      await waitUntil('b BACKUP of both', () => b.lastState('V4') === 'BACKUP' && b.lastState('V6') === 'BACKUP', 10_000, () => b.watch.tail(8));
      await sleep(500);
      const tables = ruleset('a');
      expect(ruleset('b'), 'a backup holds no element (keepalived makes the table with the first master)').toEqual([]);
      const master = answers('10.72.0.11');
      // a stops (priority 0 advert): b takes over and drops the same traffic
      a.signal('SIGTERM');
      expect(await a.exited(10_000)).not.toBeNull();
      const leftAfterStop = ruleset('a');
      await masterOfBoth(b, 10_000);
      await sleep(300);
      const takenOver = answers('10.72.0.12');
      seen[impl] = { tables, master, takenOver, leftAfterStop };

      // written down, so that two equally wrong runs cannot agree: the VIPs answer nothing, the
      // directors' own addresses do, and the table has the VIPs of both families
      const none: Answers = { ping4: 'none', tcp4: 'timeout', ping6: 'none', tcp6: 'timeout', own4: 'reply' };
      expect(master).toEqual(none);
      expect(takenOver).toEqual(none);
      expect(leftAfterStop).toEqual([]);
      const sets = tables.filter((o) => 'set' in o).map((o) => (o as { set: { family: string; name: string; elem?: unknown } }).set);
      expect(sets.find((s) => s.family === 'ip' && s.name === 'vips')?.elem).toEqual(['10.72.0.50', '10.72.0.51']);
      expect(sets.find((s) => s.family === 'ip6' && s.name === 'vips')?.elem).toEqual(['fd72::50']);
      expect(sets.find((s) => s.family === 'ip6' && s.name === 'vips_link_local')?.elem).toEqual([{ concat: ['fe80::72:1', 'eth0'] }]);
    }, 90_000);
  }

  it('keepalived-ts installs the table keepalived installs, rule for rule', () => {
    expect(seen.keepalived, 'the keepalived run').toBeDefined();
    expect(seen.kts, 'the keepalived-ts run').toBeDefined();
    expect(seen.kts!.tables).toEqual(seen.keepalived!.tables);
  });

  // use_vmac: keepalived moves the kernel's IGMP / MLD reports off the VMACs to the base interface
  // with rules of the same table, from the start and whatever the state (vrrp_nftables.c nft_add_vmac)
  const vmacTables: Record<string, { backup: unknown[]; master: unknown[] }> = {};
  for (const impl of ['keepalived', 'kts'] as const) {
    it(`use_vmac, ${impl}: the VMAC rules from the start, the VIP rules after them once MASTER`, async () => {
      const a = start('a', impl, conf(150, undefined, '\n  use_vmac'));
      await a.state('BACKUP', 10_000, 0, 'V6');
      await waitUntil('the VMAC rules', () => ruleset('a').some((o) => 'map' in o), 5000, () => JSON.stringify(ruleset('a')));
      const backup = ruleset('a');
      await waitUntil('MASTER of both, the VIPs on the VMACs', () => a.lastState('V4') === 'MASTER' && a.lastState('V6') === 'MASTER'
        && lab.hasAddress('a', '10.72.0.50', 'vrrp.72') && lab.hasAddress('a', 'fd72::50', 'vrrp.73'), 20_000, () => a.watch.tail(12));
      await sleep(500);
      vmacTables[impl] = { backup, master: ruleset('a') };
      const maps = backup.filter((o) => 'map' in o).map((o) => (o as { map: { family: string; elem?: unknown } }).map);
      expect(maps.map((m) => [m.family, m.elem])).toEqual([['ip', [['vrrp.72', 'eth0']]], ['ip6', [['vrrp.73', 'eth0']]]]);
      a.signal('SIGTERM');
      expect(await a.exited(10_000)).not.toBeNull();
      expect(ruleset('a')).toEqual([]);
    }, 60_000);
  }

  it('use_vmac: keepalived-ts installs keepalived\'s table in BACKUP and in MASTER', () => {
    expect(vmacTables.keepalived && vmacTables.kts).toBeDefined();
    expect(vmacTables.kts!.backup).toEqual(vmacTables.keepalived!.backup);
    expect(vmacTables.kts!.master).toEqual(vmacTables.keepalived!.master);
  });

  // disable_local_igmp: the kernel's link-local IGMP reports are off while it runs, so the
  // IPv4 VMAC needs no IGMP rule; the IPv6 one keeps its MLD rules
  const igmpOff: Record<string, { during: string; after: string; tables: unknown[] }> = {};
  for (const impl of ['keepalived', 'kts'] as const) {
    it(`disable_local_igmp with use_vmac, ${impl}: reports off while running and back at stop, no IPv4 VMAC rule`, async () => {
      const knob = (): string => lab.exec('a', 'sysctl', ['-n', 'net.ipv4.igmp_link_local_mcast_reports']).stdout.trim();
      expect(knob()).toBe('1');
      const a = start('a', impl, conf(150, undefined, '\n  use_vmac').replace('vrrp_strict', 'vrrp_strict\n  disable_local_igmp'));
      await a.state('BACKUP', 10_000, 0, 'V6');
      await waitUntil('the VMAC rules', () => ruleset('a').some((o) => 'map' in o), 5000, () => JSON.stringify(ruleset('a')));
      const during = knob();
      const tables = ruleset('a');
      a.signal('SIGTERM');
      expect(await a.exited(10_000)).not.toBeNull();
      igmpOff[impl] = { during, after: knob(), tables };
      expect(igmpOff[impl]).toMatchObject({ during: '0', after: '1' });
      expect(tables.filter((o) => 'map' in o).map((o) => (o as { map: { family: string } }).map.family)).toEqual(['ip6']);
    }, 60_000);
  }

  it('disable_local_igmp: keepalived-ts installs keepalived\'s table', () => {
    expect(igmpOff.keepalived && igmpOff.kts).toBeDefined();
    expect(igmpOff.kts!.tables).toEqual(igmpOff.keepalived!.tables);
  });

  it('keepalived-ts: a table left by SIGKILL goes at the next start; a reload adds an element and keeps the others', async () => {
    const a = start('a', 'kts', conf(150));
    await masterOfBoth(a, 20_000);
    a.signal('SIGKILL');
    await a.exited(5000);
    expect(ruleset('a').length, 'SIGKILL leaves the table').toBeGreaterThan(0);
    // the VIPs stay too (a crash): the next start removes both, and starts as BACKUP
    const again = start('a', 'kts', conf(150));
    await again.state('BACKUP', 10_000, 0, 'V4');
    await waitUntil('the old table gone at start', () => ruleset('a').length === 0, 5000, () => JSON.stringify(ruleset('a')));
    await masterOfBoth(again, 20_000);
    const vips4 = (): unknown => (ruleset('a').find((o) => 'set' in o && (o as { set: { family: string } }).set.family === 'ip') as { set: { elem?: unknown } } | undefined)?.set.elem;
    expect(vips4()).toEqual(['10.72.0.50', '10.72.0.51']);
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    writeFileSync(join(again.dir, 'keepalived.conf'), conf(150, ['10.72.0.50/24', '10.72.0.51/24', '10.72.0.52/24']));
    const m = again.watch.mark();
    again.signal('SIGHUP');
    await again.watch.waitFor(/Reload finished/, 10_000, m);
    await waitUntil('the new VIP firewalled', () => JSON.stringify(vips4()) === JSON.stringify(['10.72.0.50', '10.72.0.51', '10.72.0.52']), 5000, () => JSON.stringify(vips4()));
    expect(again.lastState('V4')).toBe('MASTER');
    expect(ping('10.72.0.52')).toBe('none');
  }, 90_000);
});
