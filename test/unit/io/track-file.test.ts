// src/io/track-file.ts: keepalived's strtol parsing, start value, change detection (write,
// rename-replace, delete, directory removed and back), init_file.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initTrackFile, parseTrackFileValue, readTrackFile, TrackFileWatcher } from '../../../src/io/track-file.js';
import { captureLogger, tempDir, waitFor } from './helpers.js';

const { dir: root, cleanup } = tempDir('tfile');
afterAll(cleanup);
let n = 0;
const sub = () => {
  const d = join(root, `t${n++}`);
  mkdirSync(d);
  return d;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function watcher(file: string, extra: Partial<ConstructorParameters<typeof TrackFileWatcher>[0]> = {}) {
  const values: number[] = [];
  const { log, lines } = captureLogger('info');
  const w = new TrackFileWatcher({ trackFile: { name: 'tf', file }, log, onValue: (name, v) => { expect(name).toBe('tf'); values.push(v); }, settleMs: 30, ...extra });
  return { w, values, lines };
}

describe('parseTrackFileValue (C strtol base 0, keepalived range)', () => {
  it.each([
    ['5\n', 5], ['  -12abc', -12], ['+7', 7], ['0x1F', 31], ['-0x10', -16], ['010', 8], ['08', 0], ['0x', 0],
    ['', 0], ['abc', 0], ['\n\t 42 junk', 42], ['1e3', 1], ['2147483648', 2 ** 31], ['-2147483648', -(2 ** 31)],
  ])('%j -> %d', (text, v) => expect(parseTrackFileValue(text)).toBe(v));

  it.each([['2147483649'], ['-2147483649'], ['99999999999999999999'], ['-9223372036854775808']])('%j is ignored', (text) => {
    expect(parseTrackFileValue(text)).toBeUndefined();
  });

  it('reads a missing file as 0', async () => {
    expect(await readTrackFile(join(root, 'nope'))).toBe(0);
  });
});

describe('TrackFileWatcher', () => {
  it('reports the value at start and on each change, only when it differs', async () => {
    const d = sub();
    const f = join(d, 'v');
    writeFileSync(f, '3\n');
    const { w, values } = watcher(f);
    expect(await w.start()).toBe(true);
    expect(values).toEqual([3]);
    writeFileSync(f, '10\n');
    await waitFor(() => values.length === 2);
    writeFileSync(f, '10\n'); // same value: nothing
    await sleep(200);
    writeFileSync(f, '-4\n');
    await waitFor(() => values.length === 3);
    expect(values).toEqual([3, 10, -4]);
    w.stop();
  });

  it('does not report the truncated file while a writer is between truncate and write', async () => {
    const d = sub();
    const f = join(d, 'v');
    writeFileSync(f, '5\n');
    const { w, values } = watcher(f, { settleMs: 250 });
    await w.start();
    const fd = openSync(f, 'w'); // truncates: the file is empty now
    await sleep(20);
    writeSync(fd, '7\n');
    closeSync(fd);
    await waitFor(() => values.length === 2);
    await sleep(300);
    expect(values).toEqual([5, 7]);
    w.stop();
  });

  it('sees a file replaced by rename, deleted (0) and created again', async () => {
    const d = sub();
    const f = join(d, 'v');
    writeFileSync(f, '1');
    const { w, values } = watcher(f);
    await w.start();
    writeFileSync(join(d, 'v.tmp'), '20');
    renameSync(join(d, 'v.tmp'), f);
    await waitFor(() => values.at(-1) === 20);
    unlinkSync(f);
    await waitFor(() => values.at(-1) === 0);
    writeFileSync(f, '9');
    await waitFor(() => values.at(-1) === 9);
    writeFileSync(join(d, 'other'), '55'); // another file in the directory: ignored
    await sleep(150);
    expect(values).toEqual([1, 20, 0, 9]);
    w.stop();
  });

  it('starts at 0 when the file does not exist yet', async () => {
    const d = sub();
    const f = join(d, 'later');
    const { w, values } = watcher(f);
    expect(await w.start()).toBe(true);
    expect(values).toEqual([0]);
    writeFileSync(f, '4');
    await waitFor(() => values.at(-1) === 4);
    w.stop();
  });

  it('keeps the last value when the file holds an out-of-range number', async () => {
    const d = sub();
    const f = join(d, 'v');
    writeFileSync(f, '6');
    const { w, values, lines } = watcher(f);
    await w.start();
    writeFileSync(f, '99999999999');
    await waitFor(() => lines.some((l) => /Invalid number read from/.test(l.msg)));
    writeFileSync(f, '8');
    await waitFor(() => values.at(-1) === 8);
    expect(values).toEqual([6, 8]);
    w.stop();
  });

  it('follows a symlinked file to its target (resolved once at start, as keepalived)', async () => {
    const d = sub();
    const target = join(d, 'target');
    writeFileSync(target, '2');
    symlinkSync(target, join(d, 'link'));
    const { w, values } = watcher(join(d, 'link'));
    await w.start();
    writeFileSync(target, '3');
    await waitFor(() => values.at(-1) === 3);
    w.stop();
  });

  it('removes a tracker whose directory does not exist (TRACK_FILE)', async () => {
    const { w, lines } = watcher(join(root, 'no-such-dir', 'f'));
    expect(await w.start()).toBe(false);
    expect(lines.find((l) => l.code === 'TRACK_FILE')?.msg).toBe('Track file directory for tf does not exist - removing');
  });

  it('survives its directory being removed and created again (poll re-arms the watch)', async () => {
    const d = sub();
    const f = join(d, 'v');
    writeFileSync(f, '5');
    const { w, values } = watcher(f, { pollMs: 100 });
    await w.start();
    rmSync(d, { recursive: true });
    await waitFor(() => values.at(-1) === 0);
    mkdirSync(d);
    writeFileSync(f, '12');
    await waitFor(() => values.at(-1) === 12, 3000);
    writeFileSync(f, '13');
    await waitFor(() => values.at(-1) === 13, 3000);
    w.stop();
  });
});

describe('init_file', () => {
  it('creates a missing file with VALUE\\n (default 0), leaves an existing one alone', async () => {
    const d = sub();
    const f = join(d, 'a');
    expect(await initTrackFile(f, { value: 0, overwrite: false })).toBeUndefined();
    expect(readFileSync(f, 'utf8')).toBe('0\n');
    writeFileSync(f, '42\n');
    await initTrackFile(f, { value: 7, overwrite: false });
    expect(readFileSync(f, 'utf8')).toBe('42\n');
  });

  it('overwrites with `overwrite`, but not on reload, and never a non-regular file', async () => {
    const d = sub();
    const f = join(d, 'b');
    writeFileSync(f, '42\n');
    await initTrackFile(f, { value: -3, overwrite: true }, true);
    expect(readFileSync(f, 'utf8')).toBe('42\n');
    await initTrackFile(f, { value: -3, overwrite: true });
    expect(readFileSync(f, 'utf8')).toBe('-3\n');
    expect(await initTrackFile(d, { value: 1, overwrite: true })).toMatch(/not a regular file/);
  });

  it('is applied by the watcher before the first read', async () => {
    const d = sub();
    const f = join(d, 'c');
    const { w, values } = watcher(f, { trackFile: { name: 'tf', file: f, initFile: { value: 11, overwrite: false } } });
    await w.start();
    expect(values).toEqual([11]);
    w.stop();
  });
});
