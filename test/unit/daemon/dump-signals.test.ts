// What each dump signal does in each process (src/daemon/dump-signals.ts), called without a
// real signal: the checker process writes keepalived_check.data on USR1 only, the main
// process passes USR1 on to its checker child and nothing else.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckDumpView } from '../../../src/daemon/check-view.js';
import { dumpHandler } from '../../../src/daemon/dump-signals.js';
import { Bench, tmp as configs } from '../check/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-dumpsig-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  configs.cleanup();
});
const log = pino({ level: 'silent' });

const bench = Bench.of('virtual_server 10.0.0.1 80 {\n  lb_algo wrr\n  lb_kind DR\n  protocol TCP\n  real_server 10.0.0.11 80 {\n    weight 3\n  }\n}\n');
bench.start();
const view: CheckDumpView = { config: bench.cfg, engine: bench.engine, serviceUp: () => true };

describe('dumpHandler', () => {
  it('checker process: USR1 writes $TMPDIR/keepalived_check.data (0600), the other signals write nothing', async () => {
    const env = { TMPDIR: dir };
    for (const name of ['STATS', 'STATS_CLEAR', 'JSON'] as const) await dumpHandler({ log, check: () => view, env }, name)();
    expect(existsSync(join(dir, 'keepalived_check.data'))).toBe(false);
    await dumpHandler({ log, check: () => view, env }, 'DATA')();
    const file = join(dir, 'keepalived_check.data');
    expect(readFileSync(file, 'utf8')).toContain('   RIP = 10.0.0.11, RPORT = 80, WEIGHT = 3 EFF WEIGHT = 3\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await dumpHandler({ log, check: () => view, checkPaths: () => ({ stateDumpFile: `${dir}/state.txt` }), env }, 'DATA')();
    expect(existsSync(join(dir, 'state_check.txt'))).toBe(true);
  });

  it('main process: USR1 is passed on to the checker child, the other signals are not', async () => {
    const sent: (string | number)[] = [];
    for (const name of ['DATA', 'STATS', 'STATS_CLEAR', 'JSON'] as const) {
      await dumpHandler({ log, forward: (s) => sent.push(s), env: { TMPDIR: dir } }, name)();
    }
    expect(sent).toEqual([10]);
  });
});
