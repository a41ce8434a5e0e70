// The control socket and the metrics listener of a real daemon under attack (issue 23): from
// inside the director's namespace, src/lab/control-attack.ts runs on each listener 64
// slow-loris connections (a header line a second, reopened when closed) and bursts of 1,000
// silent connections every 2 s; meanwhile `keepalived-ts status` (the CLI) and GET /healthz
// (curl) must keep answering. No timing is asserted beyond generous timeouts: the latency
// figures are bench/control-abuse.mjs's. Needs root; uses dist/ (run after `npm run build`).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directorConf } from '../../src/lab/configs.js';
import { Director, ktsCli } from '../../src/lab/director.js';
import { NetLab } from '../../src/lab/netlab.js';
import { sleep, waitUntil } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const ATTACKER = join(ktsCli(), '..', 'lab', 'control-attack.js');

interface Counts { target: string; slowOpened: number; slowClosed: number; burstOpened: number; burstClosed: number; connectErrors: number }

describe.skipIf(skipUnless(isRoot, 'root'))('control listeners under attack (netns)', () => {
  let lab: NetLab;
  let tmp: string;
  let d1: Director | undefined;
  const port = 20_000 + Math.floor(Math.random() * 40_000);

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kts-control-abuse-'));
    chmodSync(tmp, 0o755);
    lab = new NetLab('ktsab');
    lab.addHost({ name: 'd1', addresses: ['10.68.0.11/24'] });
  });
  afterAll(async () => {
    d1?.cleanup();
    await lab?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('status and /healthz keep answering during a slow-loris and 1,000-connection bursts on both listeners', async () => {
    const sock = join(tmp, 'control.sock');
    d1 = new Director(lab, 'd1', 'kts', directorConf({
      vrid: 68, version: 3, advertInt: 1, priority: 150, vips: ['10.68.0.100/24'],
      globals: [`metrics_listen 127.0.0.1 ${port}`, `control_socket ${sock}`],
    }));
    await d1.state('MASTER', 15_000);
    await waitUntil('control socket', () => existsSync(sock), 5000);

    const attacker = lab.spawn('d1', process.execPath, [ATTACKER, '--unix', sock, '--tcp', `127.0.0.1:${port}`,
      '--slow', '64', '--burst', '1000', '--burst-every-ms', '2000', '--seconds', '16']);
    let out = '';
    attacker.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const done = new Promise<number | null>((r) => attacker.once('exit', (code) => r(code)));
    try {
      await sleep(2500); // the first burst is in and the slow-loris connections hold slots
      for (let i = 0; i < 8; i++) {
        const st = spawnSync(process.execPath, [ktsCli(), 'status', '--socket', sock], { encoding: 'utf8', timeout: 20_000 });
        expect(st.stderr, `status #${i}`).toBe('');
        expect(st.status, `status #${i}`).toBe(0);
        expect(st.stdout).toMatch(/\n {2}VI_1 +eth0 +vrid 68 +MASTER /);
        const h = lab.exec('d1', 'curl', ['-s', '-m', '20', '-w', '\n%{http_code}', `http://127.0.0.1:${port}/healthz`], 25_000);
        expect(h.stdout.split('\n').pop(), `healthz #${i}: ${h.stderr}`).toBe('200');
        expect(JSON.parse(h.stdout.slice(0, h.stdout.lastIndexOf('\n')))).toMatchObject({ status: 'ok', pid: d1.pid });
        await sleep(500);
      }
    } finally {
      await done;
    }
    // the attack was real: both listeners took the bursts and shed the slow-loris connections
    const counts = out.trim().split('\n').map((l) => JSON.parse(l) as Counts);
    expect(counts).toHaveLength(2);
    for (const c of counts) {
      expect(c.burstOpened, c.target).toBeGreaterThanOrEqual(7000);
      expect(c.slowOpened, c.target).toBeGreaterThanOrEqual(64);
      expect(c.slowClosed, c.target).toBeGreaterThan(0);
      expect(c.burstClosed, c.target).toBeGreaterThan(0);
    }
    const m = lab.exec('d1', 'curl', ['-s', '-m', '10', `http://127.0.0.1:${port}/metrics`]);
    const evicted = /^keepalived_ts_control_bad_requests_total\{reason="evicted"\} (\d+)$/m.exec(m.stdout);
    expect(Number(evicted?.[1] ?? 0)).toBeGreaterThan(1000);
    // and the daemon is still MASTER, answering
    expect(spawnSync(process.execPath, [ktsCli(), 'status', '--socket', sock], { encoding: 'utf8', timeout: 20_000 }).status).toBe(0);
    expect(d1.lastState()).toBe('MASTER');
  }, 90_000);
});
