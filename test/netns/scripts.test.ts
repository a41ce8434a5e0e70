// Notify oracle: capture what the installed keepalived hands to notify scripts and writes to its
// notify FIFOs right now (scripts/capture-notify-golden.sh: a private netns, VRRP instances
// going BACKUP -> MASTER -> priority change -> FAULT -> BACKUP -> MASTER -> STOP), replay the
// same events through our Notifier, and require identical FIFO bytes and the same script argv.
// Also checks the committed golden (test/fixtures/notify) still describes this keepalived.
//
// Needs root (ip netns) and keepalived on PATH; takes about 15 s.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, constants, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Notifier, type NotifyEvent, type NotifyState } from '../../src/io/notify.js';
import { ScriptUsers, UserDb } from '../../src/io/users.js';
import { captureLogger, shScript, tempDir } from '../unit/io/helpers.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const haveKeepalived = spawnSync('sh', ['-c', 'command -v keepalived'], { encoding: 'utf8' }).status === 0;

interface Golden { fifo: string; vrrpFifo: string; calls: string[][] }

const LINE = /^(INSTANCE|GROUP) "([^"]*)" (\S+) (-?\d+)$/;
const events = (fifo: string): NotifyEvent[] => fifo.split('\n').filter(Boolean).map((l) => {
  const m = LINE.exec(l);
  if (!m) throw new Error(`unexpected FIFO line ${JSON.stringify(l)}`);
  return { scope: m[1] as 'INSTANCE' | 'GROUP', name: m[2]!, state: m[3] as NotifyState, priority: Number(m[4]) };
});
const sorted = (c: string[][]) => [...c].sort((a, b) => a.join('|').localeCompare(b.join('|')));

function drainFifo(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(65536);
  let out = '';
  try {
    for (let len = readSync(fd, buf); len > 0; len = readSync(fd, buf)) out += buf.subarray(0, len).toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
  } finally {
    closeSync(fd);
  }
  return out;
}

describe.skipIf(skipUnless(isRoot, 'root') || skipUnless(haveKeepalived, 'keepalived on PATH'))('notify scripts and FIFOs: keepalived vs keepalived-ts', () => {
  const { dir, cleanup } = tempDir('nsnotify');
  chmodSync(dir, 0o755);
  afterAll(cleanup);

  it('replays a fresh keepalived capture with identical FIFO bytes and script argv', async () => {
    const out = join(dir, 'capture.json');
    const r = spawnSync('scripts/capture-notify-golden.sh', [out], { encoding: 'utf8', timeout: 90_000 });
    expect(r.status, r.stderr).toBe(0);
    const fresh = JSON.parse(readFileSync(out, 'utf8')) as Golden;

    // the same kinds of lines, and the same multiset of events, as the committed golden
    const committed = JSON.parse(readFileSync('test/fixtures/notify/keepalived-2.2.7.json', 'utf8')) as Golden;
    const lines = (s: string) => s.split('\n').filter(Boolean).sort();
    expect(lines(fresh.fifo)).toEqual(lines(committed.fifo));
    expect(fresh.vrrpFifo).toBe(fresh.fifo);
    expect(sorted(fresh.calls)).toEqual(sorted(committed.calls));

    const S = shScript(dir, 'log.sh', 'out="$(dirname "$0")/calls.log"\nline="$0"\nfor a in "$@"; do line="$line|$a"; done\nprintf \'%s\\n\' "$line" >>"$out"');
    const sc = (...w: string[]) => ({ argv: [S, ...w] });
    const { log } = captureLogger('info');
    const users = new ScriptUsers(UserDb.load(), { scriptUser: { user: 'root' }, enableScriptSecurity: true });
    const notifier = await Notifier.create({
      users, log,
      instances: [
        { name: 'VI_1', notifyMaster: sc('master_VI_1'), notifyBackup: sc('backup_VI_1'), notifyFault: sc('fault_VI_1'), notifyStop: sc('stop_VI_1'), notify: sc('notify_VI_1', 'two words') },
        { name: 'VI_4', notify: sc('notify_VI_4') },
      ],
      groups: [{ name: 'G1', notifyMaster: sc('master_G1'), notifyBackup: sc('backup_G1'), notifyFault: sc('fault_G1'), notifyStop: sc('stop_G1'), notify: sc('notify_G1') }],
      notifyFifo: { path: join(dir, 'fifo') },
      vrrpNotifyFifo: { path: join(dir, 'vfifo') },
    });
    expect(notifier.stats.scriptsRefused).toBe(0); // the tmp dir is safe for root scripts
    for (const ev of events(fresh.fifo)) notifier.notify(ev);
    await notifier.flush(5000);
    expect(drainFifo(join(dir, 'fifo'))).toBe(fresh.fifo);
    expect(drainFifo(join(dir, 'vfifo'))).toBe(fresh.vrrpFifo);
    await notifier.close();
    const ours = readFileSync(join(dir, 'calls.log'), 'utf8').split('\n').filter(Boolean).map((l) => l.split('|'));
    expect(sorted(ours)).toEqual(sorted(fresh.calls.map((c) => c.map((w) => w.replace('/KTS', dir)))));
    expect(existsSync(join(dir, 'fifo'))).toBe(false);
  }, 120_000);
});
