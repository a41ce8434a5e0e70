import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRootLogger, droppedLogLines, formatReadable, logsWritten, toJournal } from '../../../src/io/logger.js';

describe('root logger', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-log-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes JSON lines with the child scope as fields and redacts auth_pass', async () => {
    const file = join(dir, 'log.jsonl');
    const fd = openSync(file, 'w');
    const log = createRootLogger({ fd }).child({ mod: 'vrrp', inst: 'VI_1', vrid: 51 });
    log.info({ from: 'BACKUP', to: 'MASTER', authentication: { authType: 'PASS', authPass: 'sEcReT' } }, 'Entering MASTER STATE');
    await logsWritten();
    closeSync(fd);
    const line = JSON.parse(readFileSync(file, 'utf8').trim().split('\n').pop()!);
    expect(line).toMatchObject({ mod: 'vrrp', inst: 'VI_1', vrid: 51, from: 'BACKUP', to: 'MASTER', msg: 'Entering MASTER STATE' });
    expect(JSON.stringify(line)).not.toContain('sEcReT');
  });

  it('under journald (JOURNAL_STREAM names the fd) each line starts with its syslog priority; elsewhere not', async () => {
    const file = join(dir, 'journal.jsonl');
    const fd = openSync(file, 'w');
    const st = statSync(file, { bigint: true });
    const saved = process.env.JOURNAL_STREAM;
    process.env.JOURNAL_STREAM = `${st.dev}:${st.ino}`;
    try {
      expect(toJournal(fd)).toBe(true);
      const log = createRootLogger({ fd, level: 'debug' });
      log.debug('d');
      log.info('i');
      log.warn('w');
      log.error('e');
      log.fatal('f');
      await logsWritten();
    } finally {
      if (saved === undefined) delete process.env.JOURNAL_STREAM;
      else process.env.JOURNAL_STREAM = saved;
      closeSync(fd);
    }
    // (flushLogs may write the buffered lines before the one already on its way: order aside)
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const byMsg = Object.fromEntries(lines.map((l) => [(JSON.parse(l.slice(3)) as { msg: string }).msg, l.slice(0, 3)]));
    expect(byMsg).toEqual({ d: '<7>', i: '<6>', w: '<4>', e: '<3>', f: '<2>' });
    expect(JSON.parse(lines.find((l) => l.includes('"msg":"e"'))!.slice(3))).toMatchObject({ msg: 'e', level: 'error' });
    expect(toJournal(fd, { JOURNAL_STREAM: '1:2' })).toBe(false);
    expect(toJournal(1, {})).toBe(false);
  });

  it('readable: "HH:MM:SS.mmm LEVEL [mod inst] message key=value", secrets still redacted', () => {
    const file = join(dir, 'console.txt');
    const fd = openSync(file, 'w');
    const log = createRootLogger({ fd, format: 'readable', level: 'debug' }).child({ mod: 'vrrp', inst: 'VI_1', vrid: 51 });
    log.info({ from: 'BACKUP', to: 'MASTER', authentication: { authType: 'PASS', authPass: 'sEcReT' } }, '(VI_1) Entering MASTER STATE');
    log.debug({ reason: 'two words', empty: '' }, 'detail');
    log.child({ mod: 'ipvs' }).warn('no scope but mod');
    closeSync(fd);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(4); // three lines and the final newline
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  \[vrrp VI_1\] \(VI_1\) Entering MASTER STATE vrid=51 from=BACKUP to=MASTER authentication=\{"authType":"PASS","authPass":"\[redacted\]"\}$/);
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} DEBUG \[vrrp VI_1\] detail vrid=51 reason="two words" empty=""$/);
    expect(lines[2]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  \[ipvs VI_1\] no scope but mod vrid=51$/);
    expect(lines.join('\n')).not.toContain('sEcReT');
  });

  it('formatReadable: local time of the line, level names, no scope brackets without mod / inst, non-JSON passes', () => {
    const t = new Date(2026, 0, 2, 3, 4, 5, 67).getTime();
    expect(formatReadable(JSON.stringify({ level: 50, time: t, name: 'keepalived-ts', msg: 'boom', code: 'X', n: 3, ok: true, o: null })))
      .toBe('03:04:05.067 ERROR boom code=X n=3 ok=true o=null');
    expect(formatReadable(JSON.stringify({ level: 60, time: t, msg: 'x', inst: 'VI_2' }))).toBe('03:04:05.067 FATAL [VI_2] x');
    expect(formatReadable('not json\n')).toBe('not json');
    expect(formatReadable(JSON.stringify({ level: 50, time: t, msg: 'k.conf:3:5: bad [X]\n  3 | x\n    | ^', code: 'X' })))
      .toBe('03:04:05.067 ERROR k.conf:3:5: bad [X] code=X\n  3 | x\n    | ^');
  });

  it('-g: JSON lines to a file (appended), besides or instead of stderr; nothing anywhere is possible (-G alone)', async () => {
    const file = join(dir, 'sub', 'keepalived.log');
    const out = join(dir, 'stderr.txt');
    const fd = openSync(out, 'w');
    createRootLogger({ fd, file }).info({ mod: 'vrrp' }, 'first');
    // two loggers, two destinations on one file: the first's line out before the second's
    await logsWritten();
    createRootLogger({ fd, file, console: false }).info('second');
    await logsWritten();
    closeSync(fd);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toEqual(['first', 'second']);
    expect(readFileSync(out, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['first']);
    const silent = createRootLogger({ console: false });
    expect(silent.isLevelEnabled('fatal')).toBe(false);
  });

  it('-g: the file is created 0600 whatever the umask, an existing one is narrowed to 0600, a symlink is refused', async () => {
    const old = process.umask(0o022);
    try {
      const file = join(dir, 'mode', 'keepalived.log');
      createRootLogger({ file, console: false }).info('one');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const wide = join(dir, 'mode', 'wide.log');
      writeFileSync(wide, 'before\n', { mode: 0o644 });
      chmodSync(wide, 0o644);
      createRootLogger({ file: wide, console: false }).info('two');
      await logsWritten();
      expect(statSync(wide).mode & 0o777).toBe(0o600);
      expect(readFileSync(wide, 'utf8')).toMatch(/^before\n\{.*"msg":"two"/);
      // -u widens it as keepalived's umask does
      const shared = join(dir, 'mode', 'shared.log');
      createRootLogger({ file: shared, fileMode: 0o644, console: false });
      expect(statSync(shared).mode & 0o777).toBe(0o644);
      const link = join(dir, 'mode', 'link.log');
      symlinkSync(join(dir, 'mode', 'target'), link);
      expect(() => createRootLogger({ file: link, console: false })).toThrow(/ELOOP/);
      expect(existsSync(join(dir, 'mode', 'target'))).toBe(false);
    } finally {
      process.umask(old);
    }
  });

  it('a destination that fails loses its lines, counted, and nothing throws (the daemon goes on)', async () => {
    const before = droppedLogLines();
    const log = createRootLogger({ fd: 9999 }); // no such descriptor: every write fails (EBADF)
    expect(() => log.info('one')).not.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    expect(droppedLogLines()).toBeGreaterThan(before);
    expect(() => log.info('two')).not.toThrow();
  });

  it('logging does not wait for the destination: lines are buffered and written in order', async () => {
    const file = join(dir, 'order.jsonl');
    const fd = openSync(file, 'w');
    const log = createRootLogger({ fd });
    for (let i = 0; i < 500; i++) log.info({ i }, 'line');
    await logsWritten();
    closeSync(fd);
    const got = readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i);
    expect(got).toEqual([...Array(500).keys()]);
  });

  it('a burst of lines goes out in writes of up to 1 MB, not one 16 KB write per turn of the event loop', async () => {
    const file = join(dir, 'burst.jsonl');
    const fd = openSync(file, 'w');
    // sonic-boom writes through the fs module's own object
    const fs = createRequire(import.meta.url)('node:fs') as { write: (...a: unknown[]) => void };
    const write = fs.write;
    let writes = 0;
    fs.write = (...a: unknown[]): void => {
      if (a[0] === fd) writes++;
      Reflect.apply(write, fs, a);
    };
    try {
      const log = createRootLogger({ fd });
      // about 3 MB
      for (let i = 0; i < 20_000; i++) log.info({ i, vs: '[10.0.0.1]:tcp:80', rs: '[172.16.0.1]:tcp:8080' }, 'Activating healthchecker');
      // (not logsWritten: its flushSync writes what is left in one go)
      const t0 = Date.now();
      while (Date.now() - t0 < 10_000 && statSync(file).size < 2_000_000) await new Promise((r) => setTimeout(r, 5));
      await logsWritten(10_000);
    } finally {
      fs.write = write;
      closeSync(fd);
    }
    const text = readFileSync(file, 'utf8');
    const got = text.trim().split('\n');
    expect(got).toHaveLength(20_000);
    expect((JSON.parse(got[19_999]!) as { i: number }).i).toBe(19_999);
    // the first line's own write, then 1 MB at a time (16 KB at a time: 190 writes), and one
    // more for a write the kernel took in part
    expect(writes).toBeLessThanOrEqual(Math.ceil(Buffer.byteLength(text) / 2 ** 20) + 2);
  });
});
