// net_namespace and -s on a real kernel, side by side with keepalived 2.2.7: both daemons are
// started in the test's own (root) namespace with a configuration that names a lab host's
// namespace, and run entirely inside it (src/io/netns.ts): the election between them happens on
// the lab's switch, the VIP is only in the namespace, keepalived's pidfile layout
// (/run/keepalived/NAMESPACE/keepalived[_INSTANCE].pid) and syslog ident follow, `-t` checks the
// namespace's interfaces, and a namespace that does not exist stops the start with keepalived's words.
// Needs root and keepalived on PATH; uses dist/ (run after `npm run build`).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ktsCli, ktsNodeFlags } from '../../src/lab/director.js';
import { NetLab, sh } from '../../src/lab/netlab.js';
import { LineWatch, waitUntil } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const canRun = process.getuid?.() === 0 && sh('sh', ['-c', 'command -v keepalived']).rc === 0;
const VIP = '10.63.0.50';

function conf(ns: string | undefined, priority: number, extra = '', ifname = 'eth0'): string {
  return [
    ...(ns ? [`net_namespace ${ns}`] : []),
    extra,
    'vrrp_instance VI_1 {',
    `  interface ${ifname}`,
    '  virtual_router_id 63',
    `  priority ${priority}`,
    '  advert_int 1',
    '  virtual_ipaddress {',
    `    ${VIP}/24`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The namespace inode a process is in. */
const nsInode = (pid: number): number => statSync(`/proc/${pid}/ns/net`).ino;

describe.skipIf(skipUnless(canRun, 'root and keepalived on PATH'))('net_namespace and -s (netns)', () => {
  let lab: NetLab;
  let dir: string;
  let children: ChildProcess[] = [];
  let nsA: string;
  let nsB: string;

  beforeAll(() => {
    lab = new NetLab('ktsnns');
    nsA = lab.addHost({ name: 'a', addresses: ['10.63.0.11/24'] }).ns;
    nsB = lab.addHost({ name: 'b', addresses: ['10.63.0.12/24'] }).ns;
    // an interface that only namespace a has
    sh('ip', ['-n', nsA, 'link', 'add', 'nsonly0', 'type', 'veth', 'peer', 'name', 'nsonly1']);
    dir = mkdtempSync(join(tmpdir(), 'ktsnns-'));
  });
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    children = [];
  });
  afterAll(async () => {
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
    for (const ns of [nsA, nsB]) {
      if (!ns) continue;
      rmSync(`/run/keepalived/${ns}`, { recursive: true, force: true });
      rmSync(`/run/keepalived-ts/${ns}`, { recursive: true, force: true });
    }
  });

  const file = (name: string, text: string): string => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  /** Started in this (the root) namespace. */
  const start = (impl: 'kts' | 'keepalived', args: readonly string[]): LineWatch => {
    const child = impl === 'kts'
      ? spawn(process.execPath, [...ktsNodeFlags(), ktsCli(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('keepalived', [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    return new LineWatch(child);
  };
  const exited = (w: LineWatch, ms: number): Promise<number | null> => new Promise((resolve) => {
    if (w.child.exitCode !== null) return resolve(w.child.exitCode);
    const t = setTimeout(() => resolve(null), ms);
    w.child.once('exit', (code) => { clearTimeout(t); resolve(code); });
  });
  const rootHasVip = (): boolean => sh('ip', ['-o', 'addr', 'show']).stdout.includes(` ${VIP}/`);

  it('keepalived-ts and keepalived, each started outside with net_namespace, elect one master in the lab; pidfiles in /run/keepalived/NAMESPACE/', async () => {
    const kts = start('kts', ['-n', '-l', '-f', file('a.conf', conf(nsA, 150))]);
    const ka = start('keepalived', ['-n', '-l', '-D', '-f', file('b.conf', conf(nsB, 100))]);
    await kts.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000);
    await ka.waitFor(/\(VI_1\) Entering BACKUP STATE/, 15_000);
    await waitUntil('the VIP on a only', () => lab.hasAddress('a', VIP) && !lab.hasAddress('b', VIP), 5000, () => kts.tail(10));
    expect(rootHasVip()).toBe(false);
    // the whole process is in the namespace, as keepalived's is
    expect(nsInode(kts.child.pid!)).toBe(statSync(`/run/netns/${nsA}`).ino);
    expect(nsInode(ka.child.pid!)).toBe(statSync(`/run/netns/${nsB}`).ino);
    // keepalived's layout for both: /run/keepalived/NAMESPACE/keepalived.pid, vrrp.pid
    expect(readFileSync(`/run/keepalived/${nsA}/keepalived.pid`, 'utf8').trim()).toBe(String(kts.child.pid));
    expect(existsSync(`/run/keepalived/${nsA}/vrrp.pid`)).toBe(true);
    expect(existsSync(`/run/keepalived/${nsB}/keepalived.pid`)).toBe(true);
    expect(kts.find(/Changing syslog ident to keepalived-ts_ktsnns/)).toBeDefined();
    expect(ka.find(/Changing syslog ident to Keepalived_ktsnns/)).toBeDefined();
    // the checker side is in it too: its control socket is the namespace's own
    expect(existsSync(`/run/keepalived-ts/${nsA}/control.sock`)).toBe(true);
    // a priority-0 handover from inside the namespace
    const mark = ka.mark();
    kts.child.kill('SIGTERM');
    expect(await exited(kts, 10_000)).toBe(0);
    await ka.waitFor(/\(VI_1\) Entering MASTER STATE/, 5000, mark);
    expect(existsSync(`/run/keepalived/${nsA}`), sh("ls", ["-la", `/run/keepalived/${nsA}`]).stdout).toBe(false);
  });

  it('-s overrides the configuration\'s net_namespace and says so; instance names the pidfiles and the syslog ident', async () => {
    const kts = start('kts', ['-n', '-l', '-s', nsA, '-f', file('s.conf', conf('elsewhere', 150, 'instance blue'))]);
    await kts.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000);
    expect(kts.find(new RegExp(`Overriding config net_namespace 'elsewhere' with command line namespace '${nsA}'`))).toBeDefined();
    expect(kts.find(new RegExp(`Changing syslog ident to keepalived-ts_${nsA}_blue`))).toBeDefined();
    await waitUntil('the VIP on a', () => lab.hasAddress('a', VIP), 5000, () => kts.tail(10));
    expect(rootHasVip()).toBe(false);
    expect(readFileSync(`/run/keepalived/${nsA}/keepalived_blue.pid`, 'utf8').trim()).toBe(String(kts.child.pid));
    expect(existsSync(`/run/keepalived-ts/${nsA}/control_blue.sock`)).toBe(true);
    kts.child.kill('SIGTERM');
    expect(await exited(kts, 10_000)).toBe(0);
  });

  it('without -n the daemon detaches inside the namespace', async () => {
    const cmd = start('kts', ['-f', file('d.conf', conf(nsA, 150)), '-G']);
    expect(await exited(cmd, 15_000)).toBe(0);
    const pidFile = `/run/keepalived/${nsA}/keepalived.pid`;
    await waitUntil('the pidfile', () => existsSync(pidFile), 5000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(nsInode(pid)).toBe(statSync(`/run/netns/${nsA}`).ino);
    await waitUntil('the VIP on a', () => lab.hasAddress('a', VIP), 10_000);
    process.kill(pid, 'SIGTERM');
    await waitUntil('the daemon gone', () => !existsSync(`/proc/${pid}`), 10_000);
    expect(lab.hasAddress('a', VIP)).toBe(false);
  });

  it('a namespace that does not exist: both say keepalived\'s words; keepalived exits 0, keepalived-ts 1 (documented)', async () => {
    const f = file('m.conf', conf('ktsnns-none', 150));
    const kts = start('kts', ['-n', '-l', '-f', f]);
    const ka = start('keepalived', ['-n', '-l', '-D', '-f', f, '-p', join(dir, 'm.pid'), '-r', join(dir, 'mv.pid'), '-c', join(dir, 'mc.pid')]);
    expect(await exited(kts, 10_000)).toBe(1);
    expect(await exited(ka, 10_000)).toBe(0);
    for (const w of [kts, ka]) {
      expect(w.find(/Failed to open \/run\/netns\/ktsnns-none/), w.tail(10)).toBeDefined();
      expect(w.find(/Unable to set network namespace ktsnns-none - exiting/), w.tail(10)).toBeDefined();
    }
  });

  it('-t checks the interfaces of the namespace it would run in, as keepalived -t does', () => {
    const run = (impl: 'kts' | 'keepalived', f: string): number => (impl === 'kts'
      ? sh(process.execPath, [...ktsNodeFlags(), ktsCli(), '-t', '-f', f])
      : sh('keepalived', ['-t', '-f', f])).rc;
    const inside = file('t1.conf', conf(nsA, 150, '', 'nsonly0'));
    const outside = file('t2.conf', conf(nsB, 150, '', 'nsonly0'));
    for (const impl of ['kts', 'keepalived'] as const) {
      expect(run(impl, inside), `${impl} ${inside}`).toBe(0);
      expect(run(impl, outside), `${impl} ${outside}`).toBe(5);
    }
  });
});
