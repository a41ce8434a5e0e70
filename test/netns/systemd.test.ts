// The daemon under systemd's notify protocol, on a real kernel: `node dist/src/cli.js -n -f CONF
// -p PIDFILE ...` in a fresh network namespace (one veth), with NOTIFY_SOCKET naming an
// AF_UNIX datagram socket held by a python3 receiver and WATCHDOG_USEC=1000000. It must send
// READY=1 with its pid, WATCHDOG=1 every half second, RELOADING=1 then READY=1 around a HUP,
// STOPPING=1 on TERM; a second daemon on the same pidfile is refused (exit 1, "daemon is
// already running"). And the unit file passes `systemd-analyze verify`.
// Needs root (ip netns), python3 and systemd-analyze; uses dist/ (run after `npm run build`).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directorConf } from '../../src/lab/configs.js';
import { ktsCli, ktsNodeFlags } from '../../src/lab/director.js';
import { NetLab } from '../../src/lab/netlab.js';
import { LineWatch, waitUntil } from '../../src/lab/watch.js';
import { DGRAM_RECEIVER } from '../helpers/dgram-receiver.js';
import { withOurManPages } from '../helpers/man-path.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;


interface Note { t: number; msg: string; fields: Record<string, string> }

describe.skipIf(skipUnless(isRoot, 'root'))('systemd: notify protocol, watchdog, pidfile, unit file', () => {
  let lab: NetLab;
  let tmp: string;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kts-sd-'));
    lab = new NetLab('ktssd');
    lab.addHost({ name: 'd1', addresses: ['10.64.0.11/24'] });
  });
  afterAll(async () => {
    await lab?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('READY with MAINPID, WATCHDOG=1, RELOADING/READY on HUP, STOPPING on TERM; a second daemon is refused', async () => {
    const sock = join(tmp, 'notify.sock');
    const receiver = new LineWatch(spawn('python3', ['-c', DGRAM_RECEIVER, sock], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const notes = (from = 0): Note[] => receiver.lines.slice(from).flatMap((l) => {
      const o = JSON.parse(l.text) as { t?: number; msg?: string };
      if (o.msg === undefined) return [];
      const fields = Object.fromEntries(o.msg.split('\n').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      return [{ t: o.t!, msg: o.msg, fields }];
    });
    const pidFile = join(tmp, 'keepalived.pid');
    const conf = join(tmp, 'keepalived.conf');
    writeFileSync(conf, directorConf({ vrid: 91, version: 3, advertInt: 1, priority: 100, vips: ['10.64.0.50/24'] }));
    const args = [...ktsNodeFlags(), ktsCli(), '-n', '-l', '-f', conf, '-p', pidFile, '-r', join(tmp, 'vrrp.pid'), '-c', join(tmp, 'checkers.pid')];
    let daemon: LineWatch | undefined;
    let second: LineWatch | undefined;
    try {
      await receiver.waitFor(/"bound"/, 10_000);
      const child = lab.spawn('d1', process.execPath, args, { ...process.env, NOTIFY_SOCKET: sock, WATCHDOG_USEC: '1000000' });
      daemon = new LineWatch(child);
      const ready = await receiver.waitFor((l) => l.includes('READY=1'), 20_000);
      const first = notes().find((n) => n.fields.READY === '1')!;
      expect(first.fields.MAINPID).toBe(String(child.pid));
      expect(first.fields.STATUS).toBeTruthy();
      expect(readFileSync(pidFile, 'utf8').trim()).toBe(String(child.pid));

      // the watchdog: WATCHDOG=1 every WATCHDOG_USEC/2 = 0.5 s
      const mark = receiver.mark();
      await waitUntil('4 watchdog pings', () => notes(mark).filter((n) => n.msg === 'WATCHDOG=1').length >= 4, 5000);
      const pings = notes(mark).filter((n) => n.msg === 'WATCHDOG=1').map((n) => n.t);
      for (let i = 1; i < pings.length; i++) {
        expect(pings[i]! - pings[i - 1]!).toBeGreaterThan(0.3);
        expect(pings[i]! - pings[i - 1]!).toBeLessThan(0.9);
      }
      expect(receiver.lines.indexOf(ready)).toBeLessThan(mark);

      // reload: RELOADING=1 (with MONOTONIC_USEC) then READY=1
      const beforeHup = receiver.mark();
      process.kill(child.pid!, 'SIGHUP');
      await waitUntil('READY after RELOADING', () => {
        const n = notes(beforeHup).filter((x) => x.msg !== 'WATCHDOG=1');
        const r = n.findIndex((x) => x.fields.RELOADING === '1');
        return r !== -1 && n.slice(r + 1).some((x) => x.fields.READY === '1');
      }, 20_000);
      const reloading = notes(beforeHup).find((x) => x.fields.RELOADING === '1')!;
      expect(reloading.fields.MONOTONIC_USEC).toMatch(/^\d+$/);

      // a second daemon on the same pidfile: refused, exit 1, keepalived's words; no notification
      const beforeSecond = receiver.mark();
      const env = { ...process.env };
      delete env.NOTIFY_SOCKET;
      second = new LineWatch(lab.spawn('d1', process.execPath, args, env));
      const rc = await new Promise<number | null>((resolve) => {
        if (second!.exited) resolve(second!.child.exitCode);
        second!.child.once('exit', (code) => resolve(code));
      });
      expect(rc).toBe(1);
      expect(second.find(/daemon is already running/)).toBeDefined();
      expect(readFileSync(pidFile, 'utf8').trim()).toBe(String(child.pid));
      expect(notes(beforeSecond).filter((n) => n.fields.READY === '1')).toEqual([]);

      // stop: STOPPING=1, exit 0, pidfile removed
      const beforeTerm = receiver.mark();
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      process.kill(child.pid!, 'SIGTERM');
      await waitUntil('STOPPING', () => notes(beforeTerm).some((n) => n.fields.STOPPING === '1'), 10_000);
      expect(await exited).toBe(0);
      expect(() => readFileSync(pidFile)).toThrow();
    } finally {
      for (const w of [daemon, second, receiver]) {
        try { w?.child.kill('SIGKILL'); } catch { /* gone */ }
      }
    }
  });

  it('the unit file passes systemd-analyze verify (ExecStart pointed at the built CLI)', () => {
    const unit = readFileSync('systemd/keepalived-ts.service', 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/keepalived-ts --dont-fork \$DAEMON_ARGS$/m);
    for (const line of ['Type=notify', 'NotifyAccess=main', 'ExecReload=/bin/kill -HUP $MAINPID', 'Restart=on-failure',
      'EnvironmentFile=-/etc/default/keepalived-ts', 'ConditionFileNotEmpty=/etc/keepalived/keepalived.conf', 'WatchdogSec=10s']) {
      expect(unit.split('\n')).toContain(line);
    }
    expect(unit).not.toMatch(/^MemoryDenyWriteExecute=yes/m); // V8's JIT
    const dir = mkdtempSync(join(tmpdir(), 'kts-unit-'));
    try {
      const copy = join(dir, 'keepalived-ts.service');
      writeFileSync(copy, unit.replace(/^ExecStart=\/usr\/bin\/keepalived-ts /m, `ExecStart=${process.execPath} ${ktsCli()} `));
      const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8', timeout: 60_000, env: withOurManPages(dir) });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      // a unit naming a binary that does not exist fails: the check above can fail
      writeFileSync(copy, unit.replace(/^ExecStart=\/usr\/bin\/keepalived-ts /m, `ExecStart=${join(dir, 'missing')} `));
      expect(spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8', timeout: 60_000 }).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
