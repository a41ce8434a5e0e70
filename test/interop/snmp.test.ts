// SNMP of the VRRP side beside keepalived 2.2.7 (issue 19), in a namespace: net-snmp's snmpd
// is the AgentX master (its own config, its AgentX socket in a temp dir, SNMP on the
// namespace's 127.0.0.1 only) and snmptrapd takes its notifications. keepalived -x runs a small
// VRRP configuration until both instances are MASTER and KEEPALIVED-MIB, VRRP-MIB and
// VRRPv3-MIB are walked (numeric OIDs); then keepalived-ts -x runs the same configuration in
// the same namespace to the same state and is walked too: the walks must be equal OID by OID
// but for counters and times (and one documented keepalived quirk). The notifications both
// sent for the same state changes must be equal but for sysUpTime. Then snmpd is killed and
// started again under keepalived-ts: it logs the loss, keeps its instances MASTER, connects
// and registers again, and answers walks. Needs root, keepalived, snmpd, snmpwalk, snmptrapd;
// uses dist/.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Director } from '../../src/lab/director.js';
import { NetLab } from '../../src/lab/netlab.js';
import { sleep } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const tools = ['keepalived', 'snmpd', 'snmpwalk', 'snmptrapd'].every(has);

const CONF = `global_defs {
  router_id rtr1
  enable_traps
}
vrrp_sync_group G1 {
  group {
    VI_1
  }
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {
    10.71.0.100/24
    10.71.0.101
  }
  virtual_ipaddress_excluded {
    10.71.0.102/32
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  priority 100
  version 3
  advert_int 1
  virtual_ipaddress {
    10.71.0.110/24
  }
}
`;
const SUBTREES = ['1.3.6.1.4.1.9586.100.5', '1.3.6.1.2.1.68', '1.3.6.1.2.1.207'];
/** keepalived 2.2.7 shows vrrpAddressIsAdvertised false for the VIPs of every instance after the first (docs/errors.md) */
const KNOWN_DIFFERENCES = new Set(['.1.3.6.1.4.1.9586.100.5.2.6.1.11.2.1']);
const MIB_ENV = { ...process.env, MIBS: '', MIBDIRS: '/nonexistent' };

describe.skipIf(skipUnless(isRoot && tools, 'root, keepalived, snmpd, snmpwalk, snmptrapd'))('SNMP beside keepalived 2.2.7 (netns)', () => {
  let lab: NetLab;
  let dir: string;
  let snmpd: ChildProcess | undefined;
  let trapd: ChildProcess | undefined;
  const traps: string[] = [];
  const running: Director[] = [];
  const sock = (): string => join(dir, 'agentx.sock');

  const startSnmpd = (): ChildProcess => {
    const c = lab.spawn('a', 'snmpd', ['-f', '-Lo', '-C', '-c', join(dir, 'snmpd.conf'), '-p', join(dir, 'snmpd.pid')], MIB_ENV);
    return c;
  };
  const walk = (): string[] => SUBTREES.flatMap((t) => {
    const r = spawnSync('ip', ['netns', 'exec', lab.host('a').ns, 'snmpwalk', '-v2c', '-c', 'public', '-On', '-t', '2', '-r', '1', '127.0.0.1:16161', t], { encoding: 'utf8', env: MIB_ENV });
    return r.stdout.split('\n').filter((l) => l.startsWith('.'));
  });
  /** counters and times vary; everything else must not */
  const comparable = (l: string): string => l.replace(/= (Counter32|Counter64|Timeticks): .*$/, '= $1: N');
  const oidOf = (l: string): string => l.split(' = ')[0]!;
  /** snmptrapd -On: the varbinds of each notification after sysUpTime.0 */
  const trapBodies = (from: number): string[] => traps.slice(from).filter((l) => l.startsWith('.1.3.6.1.2.1.1.3.0')).map((l) => l.split('\t').slice(1).join('\t'));

  beforeAll(async () => {
    lab = new NetLab('ktssnmp');
    lab.addHost({ name: 'a', addresses: ['10.71.0.1/24'] });
    dir = mkdtempSync(join(tmpdir(), `${lab.prefix}-snmp-`));
    writeFileSync(join(dir, 'snmpd.conf'), [
      'master agentx', `agentXSocket unix:${join(dir, 'agentx.sock')}`, 'agentaddress udp:127.0.0.1:16161',
      'rocommunity public 127.0.0.1', 'trap2sink 127.0.0.1:16162 public', '',
    ].join('\n'));
    writeFileSync(join(dir, 'snmptrapd.conf'), 'disableAuthorization yes\n');
    writeFileSync(join(dir, 'keepalived.conf'), CONF);
    trapd = lab.spawn('a', 'snmptrapd', ['-f', '-Lo', '-On', '-C', '-c', join(dir, 'snmptrapd.conf'), '-p', join(dir, 'trapd.pid'), 'udp:127.0.0.1:16162'], MIB_ENV);
    let buf = '';
    trapd.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      traps.push(...parts);
    });
    snmpd = startSnmpd();
    // snmpd is ready when its AgentX socket is there
    for (let i = 0; i < 100 && spawnSync('test', ['-S', sock()]).status !== 0; i++) await sleep(50);
  });

  afterAll(async () => {
    for (const d of running) d.cleanup();
    snmpd?.kill('SIGKILL');
    trapd?.kill('SIGKILL');
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const bothMaster = async (d: Director): Promise<void> => {
    await d.state('MASTER', 15_000, 0, 'VI_1');
    await d.state('MASTER', 15_000, 0, 'VI_2');
    // the notifications of the last change reach snmptrapd
    await sleep(1000);
  };
  const stop = async (d: Director): Promise<void> => {
    d.signal('SIGTERM');
    expect(await d.exited(10_000)).toBe(0);
    await sleep(500);
  };

  let kaWalk: string[] = [];
  let kaTraps: string[] = [];

  it('keepalived 2.2.7 -x: walks and notifications as the reference', async () => {
    const from = traps.length;
    const k = new Director(lab, 'a', 'keepalived', CONF, ['-x', '-A', sock()]);
    running.push(k);
    await bothMaster(k);
    kaWalk = walk();
    await stop(k);
    kaTraps = trapBodies(from);
    // the reference itself: every MIB there, both instances MASTER, the start and MASTER notifications
    expect(kaWalk.filter((l) => l.startsWith('.1.3.6.1.4.1.9586.100.5.2.3.1.4.'))).toEqual([
      '.1.3.6.1.4.1.9586.100.5.2.3.1.4.1 = INTEGER: 2', '.1.3.6.1.4.1.9586.100.5.2.3.1.4.2 = INTEGER: 2',
    ]);
    expect(kaWalk.some((l) => l.startsWith('.1.3.6.1.2.1.68.1.3.1.3.'))).toBe(true);
    expect(kaWalk.some((l) => l.startsWith('.1.3.6.1.2.1.207.1.1.1.1.6.'))).toBe(true);
    expect(kaTraps.length).toBeGreaterThanOrEqual(9);
  });

  it('keepalived-ts -x on the same configuration and state: the same OIDs and values, the same notifications', async () => {
    expect(kaWalk.length).toBeGreaterThan(100);
    const from = traps.length;
    const t = new Director(lab, 'a', 'kts', CONF, ['-x', '-A', sock()]);
    running.push(t);
    await t.watch.waitFor(/AgentX subagent connected/, 10_000);
    await bothMaster(t);
    const ours = walk();
    await stop(t);
    const ktsTraps = trapBodies(from);

    expect(ours.map(oidOf)).toEqual(kaWalk.map(oidOf));
    const differ = ours.map((l, i) => [comparable(l), comparable(kaWalk[i]!)] as const)
      .filter(([a, b]) => a !== b && !KNOWN_DIFFERENCES.has(oidOf(a)));
    expect(differ).toEqual([]);
    expect(ktsTraps).toEqual(kaTraps);
  });

  it('snmpd killed and started again: keepalived-ts logs it, stays MASTER, registers again', async () => {
    const t = new Director(lab, 'a', 'kts', CONF, ['-x', '-A', sock()]);
    running.push(t);
    await t.watch.waitFor(/AgentX subagent connected/, 10_000);
    await bothMaster(t);
    const mark = t.watch.mark();
    snmpd!.kill('SIGTERM');
    await t.watch.waitFor(/AgentX master disconnected/, 10_000, mark);
    await sleep(2000);
    snmpd = startSnmpd();
    const again = await t.watch.waitFor(/AgentX subagent connected/, 15_000, mark);
    expect(again.text).toMatch(/"sessions":2/);
    // the VRRP side went on: still running, no state change since
    expect(t.watch.child.exitCode).toBeNull();
    expect(t.watch.count(/Entering \w+ STATE/, mark)).toBe(0);
    const after = walk();
    expect(after).toContain('.1.3.6.1.4.1.9586.100.5.2.3.1.2.1 = STRING: "VI_1"');
    expect(after).toContain('.1.3.6.1.4.1.9586.100.5.2.3.1.4.2 = INTEGER: 2');
    await stop(t);
  });
});
