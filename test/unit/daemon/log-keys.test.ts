// JSON log lines of the script, tracker and notify paths have no duplicate keys (issue 23: a
// tracker's child logger bound `script` to the vrrp_script's name and the runner added
// `script` again for the file it ran: `"script":"chk_true","script":"/usr/bin/true"`). The
// lines come from the real code (startTrackers with a vrrp_script that passes, one that fails,
// one that cannot run, a track_file, a track_process; a Notifier with a script that runs and
// one it refuses), written by the daemon's root logger and read back as text, key by key. The
// vrrp_script's name is `script`, the file it runs `command`; a notify line names its instance
// `inst` (pino's base `name` is the program's).
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import type { MappedConfig } from '../../../src/daemon/engine-config.js';
import { startTrackers } from '../../../src/daemon/trackers.js';
import { createRootLogger, flushLogs } from '../../../src/io/logger.js';
import { Notifier } from '../../../src/io/notify.js';
import { ScriptUsers, UserDb } from '../../../src/io/users.js';
import { tempDir } from '../io/helpers.js';

/** The keys that occur twice in one object anywhere in a JSON text (a small JSON reader). */
export function duplicateKeys(text: string): string[] {
  let i = 0;
  const dups: string[] = [];
  const ws = (): void => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        const k = str();
        if (seen.has(k)) dups.push(k);
        seen.add(k);
        ws();
        i++; // :
        value();
        ws();
        if (text[i++] === '}') return;
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') { i++; return; }
      for (;;) {
        value();
        ws();
        if (text[i++] === ']') return;
      }
    } else if (c === '"') str();
    else while (i < text.length && !/[,}\]\s]/.test(text[i]!)) i++;
  };
  value();
  return dups;
}

/** The daemon's own root logger (its base fields), at debug, into a file read back as text. */
function capture(dir: string) {
  const path = join(dir, 'log.jsonl');
  const fd = openSync(path, 'w');
  const log = createRootLogger({ fd, level: 'debug' });
  const lines = (): string[] => {
    flushLogs();
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  };
  return { log, lines, close: () => closeSync(fd) };
}

const self = { uid: process.geteuid!(), gid: process.getegid!() };
const users = new ScriptUsers(UserDb.parse('root:x:0:0::/root:/bin/sh\n', 'root:x:0:\n'), { self });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('log lines have no duplicate keys', () => {
  it('the reader finds duplicates at any depth, and none in plain JSON', () => {
    expect(duplicateKeys('{"script":"chk_true","script":"/usr/bin/true"}')).toEqual(['script']);
    expect(duplicateKeys('{"a":{"b":1,"c":[{"d":"x\\"}","d":2}]},"e":null}')).toEqual(['d']);
    expect(duplicateKeys(JSON.stringify({ a: 1, b: { a: [1, 'x'], c: true } }))).toEqual([]);
  });

  it('vrrp_script, track_file and track_process lines (startTrackers) and notify lines (Notifier)', async () => {
    const { dir, cleanup } = tempDir('kts-log-keys-');
    try {
    const file = join(dir, 'weight');
    writeFileSync(file, '5\n');
    const cfg = {
      vrrpScripts: [
        { name: 'chk_true', script: { argv: ['/usr/bin/true'] }, intervalMs: 50 },
        { name: 'chk_false', script: { argv: ['/usr/bin/false'] }, intervalMs: 50 },
        { name: 'chk_gone', script: { argv: [join(dir, 'missing.sh')] }, intervalMs: 50 },
      ],
      trackFiles: [{ name: 'tf', file }],
      trackProcesses: [{ name: 'tp', process: ['no-such-process-kts'], quorum: 1, fullCommand: false }],
    } as unknown as KeepalivedConfig;
    const refs = { trackScript: cfg.vrrpScripts.map((s) => ({ name: s.name })), trackFile: [{ name: 'tf' }], trackProcess: [{ name: 'tp' }] };
    const mapped = { engine: { instances: [refs], syncGroups: [] } } as unknown as MappedConfig;
    const { log, lines: read, close } = capture(dir);
    const t = startTrackers(cfg, mapped, { input: () => undefined, log: log.child({ mod: 'track' }), users });
    await t.ready;
    // until the scripts have run and reported (a fixed wait was too short on a loaded machine)
    const seen = (): boolean => ['now returning 1', '"trackFile":"tf"', '"trackProcess":"tp"', 'SCRIPT_REFUSED', '"script exited"']
      .every((k) => read().some((l) => l.includes(k)));
    for (let waited = 0; waited < 10_000 && !seen(); waited += 50) await sleep(50);
    await sleep(100);
    await t.stop();

    const notifier = await Notifier.create({
      users, log: log.child({ mod: 'notify' }),
      instances: [{ name: 'VI_1', notifyMaster: { argv: [join(dir, 'missing.sh')] }, notify: { argv: ['/usr/bin/true'] } }],
    });
    notifier.notify({ scope: 'INSTANCE', name: 'VI_1', state: 'MASTER', priority: 100 });
    await notifier.flush(5000);
    await notifier.close();
    // the notify script's lines may still be in a write under way when flush returns: until
    // they are in the file (a lost line still fails below)
    const notified = (): boolean => read().some((l) => l.includes('"mod":"notify"') && l.includes('"script started"'));
    for (let waited = 0; waited < 5_000 && !notified(); waited += 50) await sleep(50);

    const lines = read();
    close();
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // the paths of the issue were all taken
    expect(parsed.some((l) => l.msg === 'script started' && l.script === 'chk_true' && l.command === '/usr/bin/true')).toBe(true);
    expect(parsed.some((l) => l.msg === 'script exited' && l.script === 'chk_false')).toBe(true);
    expect(parsed.some((l) => l.msg === 'Script `chk_false` now returning 1' && l.script === 'chk_false' && l.status === 1)).toBe(true);
    expect(parsed.some((l) => l.code === 'SCRIPT_REFUSED' && l.script === 'chk_gone' && l.command === join(dir, 'missing.sh'))).toBe(true);
    expect(parsed.some((l) => l.trackFile === 'tf')).toBe(true);
    expect(parsed.some((l) => l.trackProcess === 'tp')).toBe(true);
    expect(parsed.some((l) => l.mod === 'notify' && l.code === 'SCRIPT_REFUSED' && l.command === join(dir, 'missing.sh'))).toBe(true);
    expect(parsed.some((l) => l.mod === 'notify' && l.msg === 'script started' && l.command === '/usr/bin/true')).toBe(true);
    for (const l of lines) expect(duplicateKeys(l), l).toEqual([]);
    } finally {
      cleanup();
    }
  });
});
