// What each dump signal does in each process (src/daemon/dump-signals.ts), called without a
// real signal: the checker process writes keepalived_check.data on USR1 only, the main
// process passes USR1 on to its checker child and nothing else.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckView } from '../../../src/daemon/check-view.js';
import { dumpHandler } from '../../../src/daemon/dump-signals.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-dumpsig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = pino({ level: 'silent' });

const view: CheckView = {
  configFile: 'k.conf', pid: 1, startedAt: 0, reloads: 0, stats: {},
  virtualServers: [{
    name: '[10.0.0.1]:tcp:80', protocol: 'TCP', scheduler: 'wrr', lbKind: 'DR', quorumUp: true, sorryActive: false, suspended: false,
    realServers: [{ name: '[10.0.0.11]:tcp:80', address: '10.0.0.11', port: 80, alive: true, inTable: true, weight: 3, effectiveWeight: 3, checkers: [] }],
  }],
};

describe('dumpHandler', () => {
  it('checker process: USR1 writes $TMPDIR/keepalived_check.data (0600), the other signals write nothing', () => {
    const env = { TMPDIR: dir };
    for (const name of ['STATS', 'STATS_CLEAR', 'JSON'] as const) dumpHandler({ log, check: () => view, env }, name)();
    expect(existsSync(join(dir, 'keepalived_check.data'))).toBe(false);
    dumpHandler({ log, check: () => view, env }, 'DATA')();
    const file = join(dir, 'keepalived_check.data');
    expect(readFileSync(file, 'utf8')).toContain('   RIP = 10.0.0.11, RPORT = 80, WEIGHT = 3 EFF WEIGHT = 3\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    dumpHandler({ log, check: () => view, checkPaths: () => ({ stateDumpFile: `${dir}/state.txt` }), env }, 'DATA')();
    expect(existsSync(join(dir, 'state_check.txt'))).toBe(true);
  });

  it('main process: USR1 is passed on to the checker child, the other signals are not', () => {
    const sent: (string | number)[] = [];
    for (const name of ['DATA', 'STATS', 'STATS_CLEAR', 'JSON'] as const) {
      dumpHandler({ log, forward: (s) => sent.push(s), env: { TMPDIR: dir } }, name)();
    }
    expect(sent).toEqual([10]);
  });
});
