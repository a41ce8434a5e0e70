// libexec/keepalived, the entry point keepalived-exporter runs as `keepalived` (from its PATH):
// the exporter's start-up (test/helpers/keepalived-exporter.ts exporterStartUp: `bash -c
// "keepalived -v"`, `bash -c "keepalived --signum=NAME"`, `keepalived --version`) must read
// from it what it reads from keepalived 2.2.7, and the parsing rules must accept every answer.
// Runs dist/src/cli.js through the script (npm run build); real keepalived where installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROG_ENV, versionText } from '../../src/cli-args.js';
import { KEEPALIVED_SIGNALS } from '../../src/io/signals.js';
import {
  exporterStartUp, hasJsonSignalSupport, hasScriptStateSupport, hasSigNumSupport, parseSigNum, parseVersion, signumNames,
} from '../helpers/keepalived-exporter.js';
import { skipUnless } from '../helpers/system.js';

const LIBEXEC = join(process.cwd(), 'libexec');
const REAL = '/usr/sbin/keepalived';
// the exporter's PATH, with the directory of the `keepalived` it should find first
const envWith = (dir: string): NodeJS.ProcessEnv => ({ ...process.env, PATH: `${dir}:/usr/local/bin:/usr/bin:/bin` });
const run = (dir: string, command: string): { status: number | null; stdout: string; stderr: string } =>
  spawnSync('bash', ['-c', command], { env: envWith(dir), encoding: 'utf8', timeout: 30_000 });

const tmp = mkdtempSync(join(tmpdir(), 'kts-exporter-entry-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('keepalived-exporter\'s rules for the commands', () => {
  it('reads keepalived\'s version line, and a version only where it is the second word after one character', () => {
    expect(parseVersion('Keepalived v2.2.7 (01/16,2022)\n\nCopyright(C) 2001-2022 Alexandre Cassen\n')).toEqual({ segments: [2, 2, 7], prerelease: '' });
    expect(() => parseVersion('Keepalived v2.2.7 (01/16,2022)')).toThrow(/output/);
    expect(() => parseVersion('Keepalived\n')).toThrow(/format/);
    expect(() => parseVersion('keepalived-ts v0.1.0, compatible with Keepalived v2.2.7\n')).toThrow(/0\.1\.0,/);
    // a bare `keepalived-ts v0.1.0` would read as 0.1.0: too old for --signum and JSON
    const old = parseVersion('keepalived-ts v0.1.0\n');
    expect([hasSigNumSupport(old), hasScriptStateSupport(old)]).toEqual([false, false]);
    expect([hasSigNumSupport(undefined), hasScriptStateSupport(undefined)]).toEqual([true, true]);
    expect(hasSigNumSupport(parseVersion('Keepalived v1.3.8\n'))).toBe(true);
    expect(hasSigNumSupport(parseVersion('Keepalived v1.3.8-rc1\n'))).toBe(false);
    expect(hasScriptStateSupport(parseVersion('Keepalived v1.3.9\n'))).toBe(false);
  });

  it('asks --signum for DATA and STATS (and JSON first with -ka.json) and reads one JSON integer from stdout', () => {
    expect(signumNames(false)).toEqual(['DATA', 'STATS']);
    expect(signumNames(true)).toEqual(['JSON', 'DATA', 'STATS']);
    expect(parseSigNum('10\n')).toBe(10);
    for (const bad of ['', 'USR1\n', '10 12\n', '1.0\n']) expect(() => parseSigNum(bad)).toThrow(/signum/);
  });

  it('keepalived-ts\'s -v: as `keepalived` it starts with keepalived\'s version line; both name --enable-json', () => {
    expect(parseVersion(versionText('keepalived'))).toEqual({ segments: [2, 2, 7], prerelease: '' });
    expect(() => parseVersion(versionText())).toThrow();
    expect(hasJsonSignalSupport(versionText())).toBe(true);
    expect(hasJsonSignalSupport(versionText('keepalived'))).toBe(true);
  });
});

describe('libexec/keepalived (dist/src/cli.js)', () => {
  it('is the `keepalived` the exporter finds on its PATH, answering as keepalived-ts', () => {
    const r = run(LIBEXEC, 'command -v keepalived; keepalived -v');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${join(LIBEXEC, 'keepalived')}\n`);
    expect(r.stderr.split('\n').slice(0, 3)).toEqual(['Keepalived v2.2.7 (01/16,2022)', '', expect.stringMatching(/^keepalived-ts v/)]);
  });

  it('gives the exporter keepalived 2.2.7\'s version and signal numbers, with and without -ka.json', () => {
    const expected = {
      version: { segments: [2, 2, 7], prerelease: '' },
      signals: { JSON: KEEPALIVED_SIGNALS.JSON, DATA: KEEPALIVED_SIGNALS.DATA, STATS: KEEPALIVED_SIGNALS.STATS },
      scriptState: true,
    };
    expect(exporterStartUp(envWith(LIBEXEC), true)).toEqual(expected);
    expect(exporterStartUp(envWith(LIBEXEC), false)).toEqual({ ...expected, signals: { DATA: 10, STATS: 12 } });
  });

  it.skipIf(skipUnless(existsSync(REAL), 'keepalived 2.2.7 at /usr/sbin/keepalived'))('answers as keepalived 2.2.7 does (the Debian package)', () => {
    const dir = mkdtempSync(join(tmp, 'real-'));
    symlinkSync(REAL, join(dir, 'keepalived'));
    expect(exporterStartUp(envWith(LIBEXEC), true)).toEqual(exporterStartUp(envWith(dir), true));
    for (const name of [...signumNames(true), 'STATS_CLEAR', 'RELOAD', 'STOP']) {
      const ours = run(LIBEXEC, `keepalived --signum=${name}`);
      const theirs = run(dir, `keepalived --signum=${name}`);
      expect([ours.status, ours.stdout], name).toEqual([theirs.status, theirs.stdout]);
    }
    const ours = run(LIBEXEC, 'keepalived --signum=FOO');
    const theirs = run(dir, 'keepalived --signum=FOO');
    expect([ours.status, ours.stdout, ours.stderr]).toEqual([theirs.status, theirs.stdout, theirs.stderr]);
  });

  it('works through a symlink (an operator\'s directory for the exporter\'s PATH); without its variable keepalived-ts answers as itself', () => {
    const dir = mkdtempSync(join(tmp, 'link-'));
    symlinkSync(join(LIBEXEC, 'keepalived'), join(dir, 'keepalived'));
    expect(exporterStartUp(envWith(dir), false).signals).toEqual({ DATA: 10, STATS: 12 });
    expect(run(dir, 'keepalived --help').stderr).toMatch(/^Usage: keepalived \[OPTION\.\.\.\]/);
    const cli = join(process.cwd(), 'dist/src/cli.js');
    const plain = spawnSync(process.execPath, [cli, '-v'], { encoding: 'utf8', env: { ...process.env, [PROG_ENV]: '' } });
    expect(plain.stderr).toMatch(/^keepalived-ts v/);
  });
});
