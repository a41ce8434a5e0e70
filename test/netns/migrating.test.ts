// docs/migrating.md, step by step, on a real kernel: a pair of keepalived 2.2.7 directors (d1
// MASTER at 150, d2 BACKUP at 100) is moved to keepalived-ts and rolled back while a client
// probes the VIP every 10 ms. Backup first; the master moved make-before-break by lowering
// its priority with a keepalived reload; the old master replaced; then the rollback (backup
// first, `keepalived-ts handover --all` on the master, keepalived back on it). Not one probe
// may be lost, but in the last step, where keepalived preempts keepalived in its own order
// (advert before GARPs); the same keepalived.conf text (priority aside) goes to both daemons.
// Needs root (ip netns) and keepalived (scripts/install-deps.sh); uses dist/ (run after `npm run build`).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directorConf } from '../../src/lab/configs.js';
import { Director, ktsCli } from '../../src/lab/director.js';
import { NetLab } from '../../src/lab/netlab.js';
import { LineWatch, sleep, waitUntil } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const VIP = '10.67.0.50';
const conf = (priority: number): string => directorConf({ vrid: 94, advertInt: 1, priority, vips: [`${VIP}/24`] });

describe.skipIf(skipUnless(isRoot, 'root'))('docs/migrating.md: keepalived -> keepalived-ts -> keepalived on a live pair', () => {
  let lab: NetLab;
  let tmp: string;
  const directors: Director[] = [];
  let ping: LineWatch | undefined;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kts-mig-'));
    lab = new NetLab('ktsmig');
    lab.addHost({ name: 'd1', addresses: ['10.67.0.11/24'] });
    lab.addHost({ name: 'd2', addresses: ['10.67.0.12/24'] });
    lab.addHost({ name: 'c', addresses: ['10.67.0.100/24'] });
  });
  afterAll(async () => {
    ping?.child.kill('SIGKILL');
    for (const d of directors) d.cleanup();
    await lab?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A director as its systemd unit would start it; keepalived-ts with a control socket of its own. */
  const start = (host: string, impl: 'kts' | 'keepalived', priority: number): Director => {
    let extra: string[] = [];
    if (impl === 'kts') {
      const settings = join(tmp, `${host}-settings.conf`);
      writeFileSync(settings, `control_socket ${join(tmp, `${host}.sock`)}\n`);
      extra = ['--settings', settings];
    }
    const d = new Director(lab, host, impl, conf(priority), extra);
    directors.push(d);
    return d;
  };
  /** systemctl stop: TERM, and wait for the exit. */
  const stop = async (d: Director): Promise<void> => {
    d.signal('SIGTERM');
    expect(await d.exited(15_000)).toBe(0);
  };
  const holder = (): string[] => ['d1', 'd2'].filter((h) => lab.hasAddress(h, VIP));
  const only = (host: string): Promise<void> => waitUntil(`the VIP on ${host} only`, () => holder().join() === host, 10_000);

  it('moves the pair and back without losing a probe', async () => {
    // when each step began, to say where a lost probe fell
    const steps: { name: string; at: number }[] = [];
    const step = (name: string): void => { steps.push({ name, at: performance.now() }); };
    // the pair as it runs today
    const k1 = start('d1', 'keepalived', 150);
    const k2 = start('d2', 'keepalived', 100);
    await k1.state('MASTER', 15_000);
    await only('d1');
    ping = new LineWatch(lab.spawn('c', 'ping', ['-n', '-D', '-i', '0.01', '-W', '1', VIP]));
    await ping.waitFor(/icmp_seq=\d+ ttl/, 5000);
    await sleep(1000);

    // 1. the backup first
    step('1: backup to keepalived-ts');
    await stop(k2);
    const t2 = start('d2', 'kts', 100);
    await t2.state('BACKUP', 15_000);
    const status = lab.exec('d2', process.execPath, [ktsCli(), 'status', '--socket', join(tmp, 'd2.sock')], 20_000);
    expect(status.rc).toBe(0);
    expect(status.stdout).toMatch(/VI_1\s.*BACKUP/);
    await sleep(1000);
    expect(holder()).toEqual(['d1']);

    // 2. the master moved make-before-break: keepalived on d1 reloaded at priority 50
    step('2: keepalived master reloaded at priority 50');
    let m2 = t2.watch.mark();
    writeFileSync(join(k1.dir, 'keepalived.conf'), conf(50));
    k1.signal('SIGHUP');
    await t2.state('MASTER', 15_000, m2);
    await only('d2');
    await sleep(1000);

    // 3. the old master: keepalived.conf back at 150, keepalived-ts in keepalived's place
    step('3: keepalived-ts on d1 preempts');
    writeFileSync(join(k1.dir, 'keepalived.conf'), conf(150));
    await stop(k1);
    m2 = t2.watch.mark();
    const t1 = start('d1', 'kts', 150);
    await t1.state('MASTER', 15_000);
    await t2.state('BACKUP', 5000, m2);
    await only('d1');
    await sleep(1000);

    // rollback 1: the backup back to keepalived
    step('rollback 1: backup to keepalived');
    await stop(t2);
    const k2b = start('d2', 'keepalived', 100);
    await k2b.state('BACKUP', 15_000);
    await sleep(1000);
    // rollback 2: a handover on the master
    step('rollback 2: handover');
    const h = lab.exec('d1', process.execPath, [ktsCli(), 'handover', '--socket', join(tmp, 'd1.sock'), '--all'], 20_000);
    expect(h.rc, h.stderr).toBe(0);
    await k2b.state('MASTER', 15_000);
    await only('d2');
    await sleep(1000);
    // rollback 3: keepalived back on d1, which preempts at 150
    step('rollback 3: keepalived on d1 preempts');
    await stop(t1);
    const m = k2b.watch.mark();
    const k1b = start('d1', 'keepalived', 150);
    await k1b.state('MASTER', 15_000);
    await k2b.state('BACKUP', 5000, m);
    await only('d1');
    await sleep(1000);

    // the client's count: every probe up to the last answered one was answered (the probe in
    // flight when ping is stopped is not a loss)
    ping.child.kill('SIGINT');
    await ping.waitFor(/packets transmitted/, 5000);
    const seqs = ping.lines.flatMap((l) => {
      const m = /icmp_seq=(\d+) ttl/.exec(l.text);
      return m ? [Number(m[1])] : [];
    });
    const answered = new Set(seqs);
    const last = Math.max(...seqs);
    const lost = Array.from({ length: last }, (_, k) => k + 1).filter((q) => !answered.has(q));
    expect(last).toBeGreaterThan(1000);
    // a lost probe is told by the step it fell in and the time since that step began (from
    // the reply before it)
    const replyAt = new Map(ping.lines.flatMap((l) => {
      const m = /icmp_seq=(\d+) ttl/.exec(l.text);
      return m ? [[Number(m[1]), l.at] as const] : [];
    }));
    const where = (q: number): string => {
      let k = q - 1;
      while (k > 0 && !replyAt.has(k)) k--;
      const at = replyAt.get(k) ?? 0;
      const s = steps.filter((x) => x.at <= at).at(-1);
      return s ? `${q} (step ${s.name}, +${Math.round(at - s.at)} ms)` : `${q} (before the steps)`;
    };
    // the last step is keepalived preempting keepalived, whose advert goes before its GARPs:
    // the probes in flight until its GARPs arrive may be lost (docs/errors.md, the takeover;
    // seen under load: 1 to 5 probes in 6 runs of 8), which is keepalived's alone and only
    // reported; none may be lost anywhere else
    const last3 = steps.at(-1)!;
    const inLast = lost.filter((q) => where(q).includes(last3.name));
    if (inLast.length > 0) console.log(`keepalived's own preemption lost ${inLast.map(where).join(', ')}`);
    expect(lost.filter((q) => !inLast.includes(q)).map(where)).toEqual([]);
  });
});
