// `keepalived-ts drill` run from a client namespace against a pair of directors, and the
// planned handover it measures: with handover_on_stop, SIGTERM on the master hands over
// make-before-break and the client probing every 10 ms loses nothing; without it (keepalived's
// priority-0 stop) the VIP is gone for the backup's skew time and the drill shows the loss.
// Needs root and tcpdump; uses dist/ (run after `npm run build`).
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { directorConf, type DirectorConf } from '../../src/lab/configs.js';
import { Director, ktsCli } from '../../src/lab/director.js';
import { NetLab } from '../../src/lab/netlab.js';
import { LineWatch, sleep } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;

interface Phase {
  name: string;
  masterBefore?: string;
  masterAfter?: string;
  takeoverMs?: number;
  probesSent: number;
  probesLost: number;
  outageMs: number;
  garpsSeen: number;
  splitBrain: boolean;
  completed: boolean;
}

describe.skipIf(skipUnless(isRoot, 'root'))('failover drill (netns)', () => {
  let lab: NetLab;
  let tmp: string;
  let running: Director[] = [];

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kts-drill-'));
    lab = new NetLab('ktsdr');
    lab.addHost({ name: 'd1', addresses: ['10.65.0.11/24'] });
    lab.addHost({ name: 'd2', addresses: ['10.65.0.12/24'] });
    lab.addHost({ name: 'c', addresses: ['10.65.0.30/24'] });
  });
  afterEach(() => {
    for (const d of running) d.cleanup();
    running = [];
  });
  afterAll(async () => {
    await lab?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  const conf = (priority: number, globals: string[] = []): DirectorConf => ({ vrid: 71, version: 2, advertInt: 1, priority, vips: ['10.65.0.50/24'], globals });

  async function drill(trigger: string, json: string, restore?: string): Promise<{ rc: number | null; out: string; phases: Phase[] }> {
    const w = new LineWatch(lab.spawn('c', process.execPath, [ktsCli(), 'drill', '--vip', '10.65.0.50', '--vrid', '71', '--interface', 'eth0',
      '--trigger', trigger, '--settle', '1', '--json', json, ...(restore ? ['--restore', restore] : [])]));
    const rc = await new Promise<number | null>((res) => w.child.once('exit', (code) => res(code)));
    const out = w.lines.map((l) => l.text).join('\n');
    let phases: Phase[] = [];
    try {
      phases = (JSON.parse(readFileSync(json, 'utf8')) as { phases: Phase[] }).phases;
    } catch { /* reported by the assertions */ }
    return { rc, out, phases };
  }

  it('handover_on_stop: SIGTERM on the master hands over with no probe lost', async () => {
    const d1 = new Director(lab, 'd1', 'kts', directorConf(conf(150, ['handover_on_stop'])));
    const d2 = new Director(lab, 'd2', 'kts', directorConf(conf(100)));
    running.push(d1, d2);
    await d1.state('MASTER', 10_000);
    await d2.state('BACKUP', 10_000);
    await sleep(1500);
    const json = join(tmp, 'handover.json');
    const r = await drill(`kill -TERM ${d1.pid}`, json);
    expect(r.rc, r.out).toBe(0);
    const p = r.phases[0]!;
    expect(p, r.out).toMatchObject({ name: 'failover', masterBefore: '10.65.0.11', masterAfter: '10.65.0.12', splitBrain: false, completed: true });
    expect(p.probesSent, r.out).toBeGreaterThan(50);
    expect(p.probesLost, r.out).toBe(0);
    expect(p.garpsSeen, r.out).toBeGreaterThan(0);
    expect(await d1.exited(10_000)).toBe(0);
    expect(d1.watch.lines.some((l) => /handover done: new master 10\.65\.0\.12/.test(l.text)), d1.watch.lines.map((l) => l.text).filter((t) => /handover|Stopp/.test(t)).join('\n')).toBe(true);
  });

  it('`keepalived-ts handover` on the control socket, then --cancel: no probe lost either way', async () => {
    const sock = join(tmp, 'd1.sock');
    const d1 = new Director(lab, 'd1', 'kts', directorConf(conf(150, [`control_socket ${sock}`])));
    const d2 = new Director(lab, 'd2', 'kts', directorConf(conf(100)));
    running.push(d1, d2);
    await d1.state('MASTER', 10_000);
    await d2.state('BACKUP', 10_000);
    await sleep(1500);
    const cli = `ip netns exec ${lab.host('d1').ns} ${process.execPath} ${ktsCli()}`;
    const json = join(tmp, 'handover-cli.json');
    const r = await drill(`${cli} handover --socket ${sock} VI_1`, json, `${cli} handover --socket ${sock} --cancel VI_1`);
    expect(r.rc, r.out).toBe(0);
    expect(r.out).toMatch(/VI_1: handed over to 10\.65\.0\.12/);
    const [fail, back] = r.phases;
    expect(fail, r.out).toMatchObject({ masterBefore: '10.65.0.11', masterAfter: '10.65.0.12', probesLost: 0, splitBrain: false, completed: true });
    // --cancel: d1's priority 150 is back and it preempts (a takeover, not a handover: d2 drops
    // the VIP on hearing the higher priority)
    expect(back, r.out).toMatchObject({ masterBefore: '10.65.0.12', masterAfter: '10.65.0.11', splitBrain: false, completed: true });
    expect(d1.lastState()).toBe('MASTER');
  });

  it('without it (keepalived\'s priority-0 stop) the client loses the VIP until the backup takes over', async () => {
    const d1 = new Director(lab, 'd1', 'kts', directorConf(conf(150)));
    const d2 = new Director(lab, 'd2', 'kts', directorConf(conf(100)));
    running.push(d1, d2);
    await d1.state('MASTER', 10_000);
    await d2.state('BACKUP', 10_000);
    await sleep(1500);
    const json = join(tmp, 'prio0.json');
    const r = await drill(`kill -TERM ${d1.pid}`, json);
    expect(r.rc, r.out).toBe(0);
    const p = r.phases[0]!;
    expect(p, r.out).toMatchObject({ masterBefore: '10.65.0.11', masterAfter: '10.65.0.12', splitBrain: false });
    expect(p.probesLost, r.out).toBeGreaterThan(0);
    expect(p.outageMs, r.out).toBeGreaterThan(0);
  });
});
