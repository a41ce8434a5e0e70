// keepalived's process model on a real kernel (src/io/detach.ts, src/io/syslog.ts): without -n
// the command returns once the daemon runs in the background (its own session, in /, standard
// streams on /dev/null, named keepalived-ts), relative paths meaning what they meant at the
// prompt; its log goes to syslog with the -S facility, here a python3 receiver on an AF_UNIX
// datagram socket named by KTS_SYSLOG_SOCKET (as /dev/log would be). A daemon that cannot
// start makes the command fail with its exit code, and says why in syslog.
// Needs root (ip netns) and python3; uses dist/ (run after `npm run build`).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directorConf } from '../../src/lab/configs.js';
import { ktsCli, ktsNodeFlags } from '../../src/lab/director.js';
import { NetLab } from '../../src/lab/netlab.js';
import { LineWatch, waitUntil } from '../../src/lab/watch.js';
import { DGRAM_RECEIVER } from '../helpers/dgram-receiver.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;


/** The command, typed in `dir` inside d1's namespace: returns its exit code and stderr. */
function command(lab: NetLab, dir: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  const line = [process.execPath, ...ktsNodeFlags(), ktsCli(), ...args].map((a) => `'${a}'`).join(' ');
  const child = lab.spawn('d1', 'sh', ['-c', `cd '${dir}' && exec ${line}`], env);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout?.resume();
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(skipUnless(isRoot, 'root'))('process model: detaching without -n, syslog with -S', () => {
  let lab: NetLab;
  let tmp: string;
  let receiver: LineWatch | undefined;
  const pids: number[] = [];

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kts-pm-'));
    lab = new NetLab('ktspm');
    lab.addHost({ name: 'd1', addresses: ['10.66.0.11/24'] });
  });
  afterAll(async () => {
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    receiver?.child.kill('SIGKILL');
    await lab?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('returns once the daemon runs; the daemon is a session leader in /, on /dev/null, logging to syslog at local3', async () => {
    const sock = join(tmp, 'log');
    receiver = new LineWatch(spawn('python3', ['-c', DGRAM_RECEIVER, sock], { stdio: ['ignore', 'pipe', 'pipe'] }));
    await receiver.waitFor(/"bound"/, 10_000);
    writeFileSync(join(tmp, 'keepalived.conf'), directorConf({ vrid: 93, version: 3, advertInt: 1, priority: 150, vips: ['10.66.0.50/24'] }));
    const env = { ...process.env, KTS_SYSLOG_SOCKET: sock };
    // relative paths, typed in tmp: the daemon (in /) must still find them
    const r = await command(lab, tmp, ['-P', '-S', 'local3', '-f', 'keepalived.conf', '-p', 'k.pid', '-r', 'v.pid'], env);
    expect(r).toEqual({ code: 0, stderr: '' });
    const pid = Number(readFileSync(join(tmp, 'k.pid'), 'utf8').trim());
    pids.push(pid);
    expect(alive(pid)).toBe(true);

    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    expect(Number(fields[3])).toBe(pid); // its own session (setsid)
    expect(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('keepalived-ts');
    expect(readlinkSync(`/proc/${pid}/cwd`)).toBe('/');
    for (const fd of [0, 1, 2]) expect(readlinkSync(`/proc/${pid}/fd/${fd}`)).toBe('/dev/null');

    // syslog: <facility local3 (19) * 8 + severity>, glibc's time stamp, ident[pid]
    const master = await receiver.waitFor(/Entering MASTER STATE/, 20_000);
    const msg = (JSON.parse(master.text) as { msg: string }).msg;
    expect(msg).toMatch(new RegExp(`^<158>[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d keepalived-ts\\[${pid}\\]: \\[vrrp VI_1\\] \\(VI_1\\) Entering MASTER STATE`));
    expect(receiver.find(/Starting keepalived-ts v/)).toBeDefined();
    await waitUntil('VIP on d1', () => lab.hasAddress('d1', '10.66.0.50'), 10_000);

    // stop as an init script would: TERM to the pidfile's process
    const mark = receiver.mark();
    process.kill(pid, 'SIGTERM');
    await waitUntil('daemon gone', () => !alive(pid), 15_000);
    expect(lab.hasAddress('d1', '10.66.0.50')).toBe(false);
    expect(existsSync(join(tmp, 'k.pid'))).toBe(false);
    expect(receiver.lines.slice(mark).some((l) => /Stopped/.test(l.text))).toBe(true);
  });

  it('a daemon that cannot start: the command exits with its code, and the reasons are in syslog', async () => {
    const sock = join(tmp, 'log');
    writeFileSync(join(tmp, 'broken.conf'), 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 300\n  priority 100\n}\n');
    const mark = receiver!.mark();
    const r = await command(lab, tmp, ['-P', '-f', 'broken.conf', '-p', 'b.pid', '-r', 'bv.pid'], { ...process.env, KTS_SYSLOG_SOCKET: sock });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`the daemon exited with code ${r.code} before it was running`));
    await waitUntil('the reason in syslog', () => receiver!.lines.slice(mark).some((l) => /virtual_router_id/.test(l.text)), 5000);
    // daemon facility by default: <3*8 + 3> for an error
    expect(receiver!.lines.slice(mark).some((l) => /"<27>/.test(l.text))).toBe(true);
  });
});
