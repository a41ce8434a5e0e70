// src/io/notify.ts: script argv and FIFO bytes against the real keepalived's golden
// (test/fixtures/notify/keepalived-2.2.7.json, scripts/capture-notify-golden.sh), FIFO
// scripts, a full FIFO, STOP script timeouts, DELETED, and refused scripts.
import { chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Notifier, type NotifyEvent, type NotifyState } from '../../../src/io/notify.js';
import { ScriptUsers, UserDb } from '../../../src/io/users.js';
import { alive, captureLogger, shScript, tempDir, waitFor } from './helpers.js';

interface Golden { fifo: string; vrrpFifo: string; calls: string[][] }
const golden = JSON.parse(readFileSync('test/fixtures/notify/keepalived-2.2.7.json', 'utf8')) as Golden;

const { dir: root, cleanup } = tempDir('notify');
chmodSync(root, 0o755);
afterAll(cleanup);
let n = 0;
const sub = () => {
  const d = join(root, `t${n++}`);
  mkdirSync(d, { mode: 0o755 });
  return d;
};

const self = { uid: process.geteuid!(), gid: process.getegid!() };
const users = new ScriptUsers(UserDb.parse('', ''), { self });

/** Everything in a FIFO right now (non-blocking). */
function drainFifo(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(65536);
  let out = '';
  try {
    for (;;) {
      const len = readSync(fd, buf);
      if (len <= 0) break;
      out += buf.subarray(0, len).toString('utf8');
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
  } finally {
    closeSync(fd);
  }
  return out;
}

const LINE = /^(INSTANCE|GROUP) "([^"]*)" (\S+) (-?\d+)$/;
const events = (fifo: string): NotifyEvent[] => fifo.split('\n').filter(Boolean).map((l) => {
  const m = LINE.exec(l);
  if (!m) throw new Error(`bad golden line ${l}`);
  return { scope: m[1] as 'INSTANCE' | 'GROUP', name: m[2]!, state: m[3] as NotifyState, priority: Number(m[4]) };
});

/** The capture script's logger: argv `|`-separated into calls.log. */
const logScript = (d: string) => shScript(d, 'log.sh', 'out="$(dirname "$0")/calls.log"\nline="$0"\nfor a in "$@"; do line="$line|$a"; done\nprintf \'%s\\n\' "$line" >>"$out"');
const calls = (d: string): string[][] => (existsSync(join(d, 'calls.log')) ? readFileSync(join(d, 'calls.log'), 'utf8') : '').split('\n').filter(Boolean).map((l) => l.split('|'));
const sorted = (c: string[][]) => [...c].sort((a, b) => a.join('|').localeCompare(b.join('|')));

describe('Notifier against keepalived 2.2.7', () => {
  it('gives scripts the same argv and writes the same FIFO bytes, in order', async () => {
    const d = sub();
    const S = logScript(d);
    const sc = (...w: string[]) => ({ argv: [S, ...w] });
    const { log } = captureLogger('info');
    const notifier = await Notifier.create({
      users, log,
      instances: [
        { name: 'VI_1', notifyMaster: sc('master_VI_1'), notifyBackup: sc('backup_VI_1'), notifyFault: sc('fault_VI_1'), notifyStop: sc('stop_VI_1'), notify: sc('notify_VI_1', 'two words') },
        { name: 'VI_2' }, { name: 'VI_3' },
        { name: 'VI_4', notify: sc('notify_VI_4') },
      ],
      groups: [{ name: 'G1', notifyMaster: sc('master_G1'), notifyBackup: sc('backup_G1'), notifyFault: sc('fault_G1'), notifyStop: sc('stop_G1'), notify: sc('notify_G1') }],
      notifyFifo: { path: join(d, 'fifo') },
      vrrpNotifyFifo: { path: join(d, 'vfifo') },
    });
    expect(statSync(join(d, 'fifo')).isFIFO()).toBe(true);
    for (const ev of events(golden.fifo)) notifier.notify(ev);
    await notifier.flush(5000);
    expect(drainFifo(join(d, 'fifo'))).toBe(golden.fifo);
    expect(drainFifo(join(d, 'vfifo'))).toBe(golden.vrrpFifo);
    const expected = golden.calls.map((c) => c.map((w) => w.replace('/KTS', d)));
    expect(sorted(calls(d))).toEqual(sorted(expected));
    expect(notifier.stats).toMatchObject({ linesDropped: 0, scriptsRefused: 0 });
    await notifier.close();
    expect(existsSync(join(d, 'fifo'))).toBe(false); // we created it, we remove it
  });
});

describe('Notifier', () => {
  it('starts the fifo script with the FIFO path as last argument; it reads lines in order', async () => {
    const d = sub();
    const out = join(d, 'read.out');
    const reader = shScript(d, 'reader.sh', `for last; do :; done\necho "args:$*" > ${out}\nwhile read -r l; do printf '%s\\n' "$l" >> ${out}; done < "$last"`);
    const { log, lines } = captureLogger('info');
    const fifo = join(d, 'ev.fifo');
    const notifier = await Notifier.create({ users, log, notifyFifo: { path: fifo, script: { argv: [reader, 'x'] } } });
    notifier.notify({ scope: 'INSTANCE', name: 'VI_1', state: 'BACKUP', priority: 100 });
    notifier.notify({ scope: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 });
    notifier.notify({ scope: 'GROUP', name: 'G', state: 'MASTER', priority: 0 });
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').split('\n').length >= 5);
    expect(readFileSync(out, 'utf8')).toBe(`args:x ${fifo}\nINSTANCE "VI_1" BACKUP 100\nINSTANCE "VI_1" MASTER 100\nGROUP "G" MASTER 0\n`);
    await notifier.close();
    expect(lines.some((l) => l.msg === 'notify fifo script terminated')).toBe(true);
    expect(existsSync(fifo)).toBe(false);
  });

  it('never blocks on a FIFO nobody reads: lines beyond the pipe buffer are dropped and counted', async () => {
    const d = sub();
    const { log } = captureLogger('info');
    const notifier = await Notifier.create({ users, log, notifyFifo: { path: join(d, 'full') } });
    const t0 = performance.now();
    for (let i = 0; i < 5000; i++) notifier.notify({ scope: 'INSTANCE', name: `VI_${i}`, state: 'MASTER', priority: 100 });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(notifier.stats.linesDropped).toBeGreaterThan(0);
    expect(notifier.stats.linesWritten + notifier.stats.linesDropped).toBe(5000);
    const got = drainFifo(join(d, 'full')).split('\n').filter(Boolean);
    expect(got.length).toBe(notifier.stats.linesWritten);
    expect(got[0]).toBe('INSTANCE "VI_0" MASTER 100'); // whole lines, the first ones, in order
    await notifier.close();
  });

  it('keeps a FIFO that existed before (not unlinked at close) and writes once when both FIFOs are one', async () => {
    const d = sub();
    const fifo = join(d, 'pre');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const { log, lines } = captureLogger('info');
    const notifier = await Notifier.create({ users, log, notifyFifo: { path: fifo }, vrrpNotifyFifo: { path: fifo } });
    notifier.notify({ scope: 'INSTANCE', name: 'VI_1', state: 'FAULT', priority: 0 });
    expect(drainFifo(fifo)).toBe('INSTANCE "VI_1" FAULT 0\n');
    expect(lines.some((l) => /same name as notify_fifo/.test(l.msg))).toBe(true);
    await notifier.close();
    expect(existsSync(fifo)).toBe(true);
  });

  it('SIGKILLs an instance notify_stop after the stop timeout; other notify scripts are left running', async () => {
    const d = sub();
    const stopPid = join(d, 'stop.pid');
    const masterPid = join(d, 'master.pid');
    const stop = shScript(d, 'stop.sh', `echo $$ > ${stopPid}; trap '' TERM; sleep 30`);
    const master = shScript(d, 'master.sh', `echo $$ > ${masterPid}; sleep 30`);
    const { log } = captureLogger('info');
    const notifier = await Notifier.create({ users, log, stopScriptTimeoutMs: 200, instances: [{ name: 'VI_1', notifyStop: { argv: [stop] }, notifyMaster: { argv: [master] } }] });
    notifier.notify({ scope: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 });
    notifier.notify({ scope: 'INSTANCE', name: 'VI_1', state: 'STOP', priority: 100 });
    const t0 = performance.now();
    await notifier.flush(1500); // bounded although notify_master never ends
    expect(performance.now() - t0).toBeLessThan(3000);
    const sp = Number(readFileSync(stopPid, 'utf8'));
    const mp = Number(readFileSync(masterPid, 'utf8'));
    expect(alive(sp)).toBe(false);
    expect(alive(mp)).toBe(true);
    process.kill(-mp, 'SIGKILL');
    await notifier.close();
  });

  it('notifies DELETED as FAULT unless the instance has notify_deleted', async () => {
    const d = sub();
    const S = logScript(d);
    const fifo = join(d, 'f');
    const { log } = captureLogger('info');
    const notifier = await Notifier.create({
      users, log, notifyFifo: { path: fifo },
      instances: [
        { name: 'A', notifyFault: { argv: [S, 'fault_A'] }, notify: { argv: [S, 'notify_A'] } },
        { name: 'B', notifyDeleted: true, notify: { argv: [S, 'notify_B'] } },
        { name: 'C', notifyDeleted: { argv: [S, 'deleted_C'] } },
      ],
    });
    for (const name of ['A', 'B', 'C']) notifier.notify({ scope: 'INSTANCE', name, state: 'DELETED', priority: 90 });
    await notifier.flush(5000);
    expect(drainFifo(fifo)).toBe('INSTANCE "A" FAULT 90\nINSTANCE "B" DELETED 90\nINSTANCE "C" DELETED 90\n');
    expect(sorted(calls(d))).toEqual(sorted([[S, 'fault_A'], [S, 'notify_A', 'INSTANCE', 'A', 'FAULT', '90'], [S, 'notify_B', 'INSTANCE', 'B', 'DELETED', '90'], [S, 'deleted_C']]));
    await notifier.close();
  });

  it('MASTER_RX_LOWER_PRI runs only notify_master_rx_lower_pri; priority events only reach the FIFO', async () => {
    const d = sub();
    const S = logScript(d);
    const fifo = join(d, 'f');
    const { log } = captureLogger('info');
    const notifier = await Notifier.create({
      users, log, notifyFifo: { path: fifo },
      instances: [{ name: 'VI_1', notifyMasterRxLowerPri: { argv: [S, 'rx'] }, notifyMaster: { argv: [S, 'master'] }, notify: { argv: [S, 'notify'] } }],
    });
    notifier.notify({ scope: 'INSTANCE', name: 'VI_1', state: 'MASTER_RX_LOWER_PRI', priority: 150 });
    notifier.notify({ scope: 'INSTANCE', name: 'VI_1', state: 'MASTER_PRIORITY', priority: 140 });
    notifier.notify({ scope: 'INSTANCE', name: 'VI_1', state: 'BACKUP_PRIORITY', priority: 130 });
    await notifier.flush(5000);
    expect(calls(d)).toEqual([[S, 'rx']]);
    expect(drainFifo(fifo)).toBe('INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150\nINSTANCE "VI_1" MASTER_PRIORITY 140\nINSTANCE "VI_1" BACKUP_PRIORITY 130\n');
    await notifier.close();
  });

  it('drops a script it may not run (SCRIPT_REFUSED) and still runs the others', async () => {
    const d = sub();
    const S = logScript(d);
    const { log, lines } = captureLogger('info');
    const notifier = await Notifier.create({ users, log, instances: [{ name: 'VI_1', notifyMaster: { argv: [join(d, 'missing.sh')] }, notify: { argv: [S] } }] });
    expect(notifier.stats.scriptsRefused).toBe(1);
    expect(lines.find((l) => l.code === 'SCRIPT_REFUSED')?.msg).toMatch(/disabling VI_1 notifyMaster/);
    notifier.notify({ scope: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 });
    await notifier.flush(5000);
    expect(calls(d)).toEqual([[S, 'INSTANCE', 'VI_1', 'MASTER', '100']]);
    await notifier.close();
  });

  it('reports a FIFO it cannot create (NOTIFY_FIFO) and carries on without it', async () => {
    const d = sub();
    const { log, lines } = captureLogger('info');
    const notifier = await Notifier.create({ users, log, notifyFifo: { path: join(d, 'no-such-dir', 'f') } });
    expect(lines.find((l) => l.code === 'NOTIFY_FIFO')?.msg).toMatch(/Unable to create notify fifo/);
    notifier.notify({ scope: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 });
    expect(notifier.stats.linesWritten).toBe(0);
    await notifier.close();
  });
});
