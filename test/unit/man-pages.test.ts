// The man pages (man/) say what the program does: every option and subcommand of `--help` is
// described in keepalived-ts(8), every settings keyword in keepalived-ts-settings(5), and groff
// renders both without a warning.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { usage } from '../../src/cli-args.js';
import { KTS_SETTINGS } from '../../src/config/settings.js';

/** roff's spelling of a word on the command line (a minus is `\-`). */
const roff = (word: string): string => word.replace(/-/g, '\\-');

describe('man pages', () => {
  const daemon = readFileSync('man/keepalived-ts.8', 'utf8');
  const settings = readFileSync('man/keepalived-ts-settings.5', 'utf8');

  it('keepalived-ts(8) describes every option and subcommand of --help', () => {
    const help = usage();
    const options = [...help.matchAll(/(?:^|\s)(--?[A-Za-z][\w-]*)/gm)].map((m) => m[1]!);
    const subcommands = [...help.matchAll(/^\s+(?:Usage: )?keepalived-ts (\w+)/gm)].map((m) => m[1]!);
    expect(options.length).toBeGreaterThan(40);
    expect(subcommands).toEqual(expect.arrayContaining(['genhash', 'lab', 'status', 'handover', 'drill', 'realserver']));
    const missing = [...new Set(options)].filter((o) => !daemon.includes(roff(o)));
    expect(missing).toEqual([]);
    for (const c of subcommands) expect(daemon).toMatch(new RegExp(`^\\.B keepalived-ts ${c}$`, 'm'));
  });

  it('keepalived-ts-settings(5) describes every settings keyword', () => {
    const described = [...settings.matchAll(/^\.(?:BR?I?|BI) (\w+)/gm)].map((m) => m[1]!);
    expect(described).toEqual(expect.arrayContaining([...KTS_SETTINGS]));
  });

  it('groff renders both without a warning', () => {
    for (const page of ['man/keepalived-ts.8', 'man/keepalived-ts-settings.5']) {
      const r = spawnSync('groff', ['-man', '-ww', '-z', page], { encoding: 'utf8' });
      expect(r.status, page).toBe(0);
      expect(r.stderr, page).toBe('');
    }
  });
});
