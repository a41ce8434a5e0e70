// startup_script and shutdown_script beside keepalived 2.2.7 (issue 17 item 3): for each
// implementation, a lone director whose startup script takes a second, whose notify script
// and shutdown script write to the same file. The startup script must be over before the
// first notification, the shutdown script after the last, and once each; a startup script
// that outlives startup_script_timeout is killed and the daemon starts anyway. Both
// implementations must write the same sequence. Needs root; run after `npm run build`.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Director, type Implementation } from '../../src/lab/director.js';
import { NetLab, sh } from '../../src/lab/netlab.js';
import { waitUntil } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const haveKeepalived = sh('sh', ['-c', 'command -v keepalived']).rc === 0;

describe.skipIf(skipUnless(isRoot && haveKeepalived, 'root and keepalived'))('startup and shutdown scripts (netns)', () => {
  let lab: NetLab;
  let dir: string;
  let running: Director[] = [];

  beforeAll(() => {
    lab = new NetLab('ktsls');
    lab.addHost({ name: 'a', addresses: ['10.73.0.11/24'] });
    dir = mkdtempSync(join(tmpdir(), 'ktsls-scripts-'));
    const script = (name: string, body: string): string => {
      const p = join(dir, name);
      writeFileSync(p, `#!/bin/sh\n${body}\n`);
      chmodSync(p, 0o755);
      return p;
    };
    // each writes "<what> <args>" to the sequence file named by its first argument
    script('start.sh', 'echo "startup begin" >> "$1"; sleep 1; echo "startup end" >> "$1"');
    script('slow-start.sh', 'echo "startup begin" >> "$1"; sleep 6; echo "startup late" >> "$1"');
    script('stop.sh', 'echo "shutdown" >> "$1"');
    script('notify.sh', 'echo "notify $4" >> "$1"');
  });

  afterEach(() => {
    for (const d of running) d.cleanup();
    running = [];
  });

  afterAll(async () => {
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const conf = (seq: string, start: string, timeout?: number): string => `global_defs {
  router_id ls
  startup_script "${join(dir, start)} ${seq}"
${timeout !== undefined ? `  startup_script_timeout ${timeout}\n` : ''}  shutdown_script "${join(dir, 'stop.sh')} ${seq}"
  shutdown_script_timeout 5
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 74
  priority 100
  advert_int 1
  notify "${join(dir, 'notify.sh')} ${seq}"
  virtual_ipaddress {
    10.73.0.50/24
  }
}
`;
  const lines = (seq: string): string[] => (existsSync(seq) ? readFileSync(seq, 'utf8').trim().split('\n') : []);
  const seen: Record<string, { normal: string[]; slow: string[]; slowStartMs: number }> = {};

  for (const impl of ['keepalived', 'kts'] as Implementation[]) {
    it(`${impl}: startup script over before the first notification, shutdown script after the last; a slow one is killed at its timeout`, async () => {
      const seq = join(dir, `${impl}-normal.seq`);
      const d = new Director(lab, 'a', impl, conf(seq, 'start.sh'));
      running.push(d);
      await waitUntil('MASTER notified', () => lines(seq).includes('notify MASTER'), 20_000, () => `${lines(seq).join(' | ')}\n${d.watch.tail(10)}`);
      d.signal('SIGTERM');
      expect(await d.exited(15_000)).not.toBeNull();
      const normal = lines(seq);
      // written down, so that two equally wrong runs cannot agree
      expect(normal.slice(0, 2)).toEqual(['startup begin', 'startup end']);
      expect(normal.at(-1)).toBe('shutdown');
      expect(normal.filter((l) => l === 'shutdown')).toHaveLength(1);
      expect(normal.filter((l) => l.startsWith('notify'))).toContain('notify MASTER');

      const slowSeq = join(dir, `${impl}-slow.seq`);
      const t0 = Date.now();
      const s = new Director(lab, 'a', impl, conf(slowSeq, 'slow-start.sh', 1));
      running.push(s);
      await waitUntil('the first notification', () => lines(slowSeq).some((l) => l.startsWith('notify')), 15_000, () => `${lines(slowSeq).join(' | ')}\n${s.watch.tail(10)}`);
      const slowStartMs = Date.now() - t0;
      s.signal('SIGTERM');
      expect(await s.exited(15_000)).not.toBeNull();
      const slow = lines(slowSeq);
      expect(slow).not.toContain('startup late');
      expect(slow[0]).toBe('startup begin');
      expect(slowStartMs).toBeLessThan(6000);
      seen[impl] = { normal, slow, slowStartMs };
    }, 60_000);
  }

  it('keepalived-ts writes the sequences keepalived writes', () => {
    expect(seen.kts?.normal).toEqual(seen.keepalived?.normal);
    expect(seen.kts?.slow).toEqual(seen.keepalived?.slow);
  });
});
