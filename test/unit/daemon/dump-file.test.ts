// Dump paths (keepalived's TMPDIR rule and the *_dump_file overrides) and the 0600
// write-then-rename of src/io/dump-file.ts.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dumpDir, dumpPath, writeDumpFile } from '../../../src/io/dump-file.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-dumpfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dumpPath', () => {
  it('uses $TMPDIR only when it is absolute, else /tmp', () => {
    expect(dumpDir({})).toBe('/tmp');
    expect(dumpDir({ TMPDIR: 'rel/dir' })).toBe('/tmp');
    expect(dumpDir({ TMPDIR: '/var/tmp/' })).toBe('/var/tmp');
    expect(dumpPath('data', {}, {})).toBe('/tmp/keepalived.data');
    expect(dumpPath('checkData', {}, {})).toBe('/tmp/keepalived_check.data');
    expect(dumpPath('stats', {}, { TMPDIR: '/run/k' })).toBe('/run/k/keepalived.stats');
    expect(dumpPath('json', {}, { TMPDIR: '/run/k' })).toBe('/run/k/keepalived.json');
  });

  it('follows state_dump_file / stats_dump_file / json_dump_file', () => {
    const env = { TMPDIR: '/run/k' };
    expect(dumpPath('data', { stateDumpFile: '/var/lib/k/state.txt' }, env)).toBe('/var/lib/k/state.txt');
    expect(dumpPath('checkData', { stateDumpFile: '/var/lib/k/state.txt' }, env)).toBe('/var/lib/k/state_check.txt');
    expect(dumpPath('data', { stateDumpFile: '/var/lib/k/' }, env)).toBe('/var/lib/k/keepalived.data');
    expect(dumpPath('checkData', { stateDumpFile: '/var/lib/k/' }, env)).toBe('/var/lib/k/keepalived_check.data');
    expect(dumpPath('data', { stateDumpFile: 'mine.data' }, env)).toBe('/run/k/mine.data');
    expect(dumpPath('checkData', { stateDumpFile: 'noext' }, env)).toBe('/run/k/noext_check');
    expect(dumpPath('stats', { statsDumpFile: '/x/s' }, env)).toBe('/x/s');
    expect(dumpPath('json', { jsonDumpFile: '/x/' }, env)).toBe('/x/keepalived.json');
    // each file has its own override
    expect(dumpPath('stats', { stateDumpFile: '/x/d' }, env)).toBe('/run/k/keepalived.stats');
  });
});

describe('writeDumpFile', () => {
  it('writes mode 0600 through a temp name, replacing an older file whatever its mode', () => {
    const f = join(dir, 'keepalived.data');
    writeFileSync(f, 'old');
    chmodSync(f, 0o644);
    expect(writeDumpFile(f, 'new text\n')).toBeUndefined();
    expect(readFileSync(f, 'utf8')).toBe('new text\n');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['keepalived.data']);
  });

  it('reports an error as text and leaves nothing behind', () => {
    const err = writeDumpFile(join(dir, 'missing', 'keepalived.json'), '[]');
    expect(err).toMatch(/ENOENT/);
    expect(readdirSync(dir)).toEqual(['keepalived.data']);
  });
});
