// The checker child under journald (src/io/journal-stream.ts): it writes its lines to a stream
// of its own, not to the stderr it inherits from the main process, where the two processes'
// large writes mixed lines; with no journald to connect to it keeps the inherited stream.
// Runs the built command (dist/, `npm run build`); no namespace, no packets.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeJournald } from '../helpers/fake-journald.js';
import { journalHeader } from '../../dist/src/io/journal-stream.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-journal-child-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The checker child run by hand (no parent channel) on a configuration it refuses to run here
 * (no IPVS on this kernel: it logs and exits), its stderr a file that JOURNAL_STREAM names as
 * journald's stream would be.
 */
async function runChild(journalSocket: string): Promise<{ stderr: string; code: number | null }> {
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, 'global_defs {\n    router_id journal_test\n}\nvirtual_server 10.9.9.9 80 {\n    protocol TCP\n    lb_algo rr\n    lb_kind NAT\n    real_server 127.0.0.1 1 {\n        TCP_CHECK {\n        }\n    }\n}\n');
  const errFile = join(dir, `stderr-${Date.now()}.txt`);
  writeFileSync(errFile, '');
  const st = statSync(errFile, { bigint: true });
  const errFd = openSync(errFile, 'a');
  const child = spawn(process.execPath, ['dist/src/cli.js', '--checker-child', '-n', '-f', conf, '-p', join(dir, 'm.pid'), '-c', join(dir, 'c.pid'), '-r', join(dir, 'v.pid')], {
    stdio: ['ignore', errFd, errFd],
    env: { ...process.env, JOURNAL_STREAM: `${st.dev}:${st.ino}`, KTS_JOURNAL_SOCKET: journalSocket },
  });
  closeSync(errFd);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  return { stderr: readFileSync(errFile, 'utf8'), code };
}

describe('the checker child under journald', () => {
  it('logs to a journald stream of its own, with priorities, and nothing to the inherited one', async () => {
    const path = join(dir, 'stdout.sock');
    const j = await fakeJournald(path);
    try {
      const r = await runChild(path);
      await new Promise((res) => setTimeout(res, 200));
      expect(j.received()).toHaveLength(1);
      const text = j.received()[0]!;
      expect(text.startsWith(journalHeader('keepalived-ts'))).toBe(true);
      const lines = text.slice(journalHeader('keepalived-ts').length).split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(l).toMatch(/^<[0-7]>\{"level":"\w+".*"proc":"check"/);
      // its last word: it cannot run here (no IPVS in this kernel)
      expect(lines.some((l) => l.startsWith('<2>') && l.includes('IPVS_UNAVAILABLE'))).toBe(true);
      expect(r.stderr).not.toContain('"level"');
    } finally {
      j.server.close();
    }
  });

  it('with no journald to connect to, it keeps the inherited stream', async () => {
    const r = await runChild(join(dir, 'nothing-here.sock'));
    expect(r.stderr).toMatch(/^<2>\{"level":"fatal".*IPVS_UNAVAILABLE/m);
  });
});
