// src/io/track-process.ts: keepalived's matching rules (comm, full command, param_match),
// quorum / quorum_max with fork_delay / terminate_delay on a fake /proc, and a real spawned
// process found in /proc.
import { copyFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matcherFor, processMatches, ProcessTracker, ProcScanner, scanProc, type ProcInfo, type TrackProcessSpec } from '../../../src/io/track-process.js';
import { captureLogger, tempDir, waitFor } from './helpers.js';

const spec = (process: string[], extra: Partial<TrackProcessSpec> = {}): TrackProcessSpec => ({ name: 'p', process, quorum: 1, fullCommand: false, ...extra });
const proc = (pid: number, comm: string, argv: string[] = [comm], extra: Partial<ProcInfo> = {}): ProcInfo => ({
  pid, ppid: 1, startTime: String(1000 + pid), comm, zombie: false, cmdline: Buffer.from(argv.map((a) => `${a}\0`).join('')), ...extra,
});
const matches = (s: TrackProcessSpec, p: ProcInfo) => processMatches(matcherFor(s)!, p);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('matching (keepalived read_procs / check_params)', () => {
  it('matches the process name exactly (pgrep ^name$), never a zombie', () => {
    expect(matches(spec(['sshd']), proc(1, 'sshd'))).toBe(true);
    expect(matches(spec(['ssh']), proc(1, 'sshd'))).toBe(false);
    expect(matches(spec(['sshd']), proc(1, 'sshd', [], { zombie: true }))).toBe(false);
    // by name, the command line does not matter
    expect(matches(spec(['nginx']), proc(1, 'nginx', ['nginx: master process /usr/sbin/nginx']))).toBe(true);
  });

  it('full_command compares argv[0] of the command line', () => {
    expect(matches(spec(['/usr/sbin/nginx'], { fullCommand: true }), proc(1, 'nginx', ['/usr/sbin/nginx', '-g', 'x']))).toBe(true);
    expect(matches(spec(['nginx'], { fullCommand: true }), proc(1, 'nginx', ['/usr/sbin/nginx']))).toBe(false);
    expect(matches(spec(['x'], { fullCommand: true }), proc(1, 'x', [], { cmdline: Buffer.alloc(0) }))).toBe(false); // kernel thread / zombie
  });

  it('parameters imply full_command and must match exactly by default', () => {
    const s = spec(['/bin/app', '-c', 'a b']);
    expect(matcherFor(s)).toMatchObject({ full: true, mode: 'exact' });
    expect(matches(s, proc(1, 'app', ['/bin/app', '-c', 'a b']))).toBe(true);
    expect(matches(s, proc(1, 'app', ['/bin/app', '-c', 'a b', '-v']))).toBe(false);
    expect(matches(s, proc(1, 'app', ['/bin/app', '-c', 'a']))).toBe(false);
    expect(matches(s, proc(1, 'app', ['/bin/app', '-c', 'a', 'b']))).toBe(false); // word boundaries count
  });

  it('param_match partial: the configured parameters are the first ones', () => {
    const s = spec(['/bin/app', '-c', 'x'], { paramMatch: 'partial' });
    expect(matches(s, proc(1, 'app', ['/bin/app', '-c', 'x', '-v']))).toBe(true);
    expect(matches(s, proc(1, 'app', ['/bin/app', '-c', 'xy']))).toBe(false);
    expect(matches(s, proc(1, 'app', ['/bin/app', '-c']))).toBe(false);
  });

  it('param_match initial: the last configured parameter may be a prefix', () => {
    const s = spec(['/bin/app', '-c', 'x'], { paramMatch: 'initial' });
    expect(matches(s, proc(1, 'app', ['/bin/app', '-c', 'xy']))).toBe(true);
    expect(matches(s, proc(1, 'app', ['/bin/app', '-c', 'x', '-v']))).toBe(true);
    expect(matches(s, proc(1, 'app', ['/bin/app', '-d', 'x']))).toBe(false);
  });

  it('param_match without parameters: initial/partial accept any, bare (exact) demands none', () => {
    expect(matches(spec(['/bin/app'], { paramMatch: 'partial' }), proc(1, 'app', ['/bin/app', 'z']))).toBe(true);
    expect(matches(spec(['/bin/app'], { paramMatch: 'exact' }), proc(1, 'app', ['/bin/app', 'z']))).toBe(false);
    expect(matches(spec(['/bin/app'], { paramMatch: 'exact' }), proc(1, 'app', ['/bin/app']))).toBe(true);
  });
});

/** A fake /proc the test edits between polls. */
function fakeTracker(specs: TrackProcessSpec[], initial: ProcInfo[] = []) {
  let procs = initial;
  const changes: [string, boolean][] = [];
  const { log } = captureLogger('info');
  const t = new ProcessTracker({ processes: specs, log, onChange: (n, up) => changes.push([n, up]), pollMs: 3_600_000, scan: async () => procs });
  return { t, changes, set: (p: ProcInfo[]) => { procs = p; } };
}

describe('ProcessTracker quorum and delays (fake /proc)', () => {
  it('reports the initial state and each crossing of quorum / quorum_max', async () => {
    const f = fakeTracker([spec(['srv'], { quorum: 2, quorumMax: 3 })], [proc(10, 'srv')]);
    await f.t.start();
    expect(f.changes).toEqual([['p', false]]);
    f.set([proc(10, 'srv'), proc(11, 'srv')]);
    await f.t.poll();
    expect(f.changes.at(-1)).toEqual(['p', true]);
    f.set([proc(10, 'srv'), proc(11, 'srv'), proc(12, 'srv')]);
    await f.t.poll();
    expect(f.changes).toHaveLength(2); // 3 is still within [2, 3]
    f.set([proc(10, 'srv'), proc(11, 'srv'), proc(12, 'srv'), proc(13, 'srv')]);
    await f.t.poll();
    expect(f.changes.at(-1)).toEqual(['p', false]); // above quorum_max
    f.set([proc(10, 'srv'), proc(11, 'srv'), proc(12, 'srv')]);
    await f.t.poll();
    expect(f.changes.at(-1)).toEqual(['p', true]);
    expect(f.t.status('p')).toEqual({ count: 3, up: true });
    f.t.stop();
  });

  it('terminate_delay: an exit waits, a return within the delay cancels it', async () => {
    const f = fakeTracker([spec(['srv'], { terminateDelayMs: 150 })], [proc(10, 'srv')]);
    await f.t.start();
    f.set([]);
    await f.t.poll();
    expect(f.changes).toEqual([['p', true]]); // not yet down
    f.set([proc(20, 'srv')]);
    await f.t.poll();
    await sleep(250);
    expect(f.changes).toEqual([['p', true]]); // never reported down
    f.set([]);
    await f.t.poll();
    await sleep(250);
    expect(f.changes).toEqual([['p', true], ['p', false]]);
    f.t.stop();
  });

  it('terminate_delay does not apply when the process changes into something else (exec/comm)', async () => {
    const f = fakeTracker([spec(['srv'], { terminateDelayMs: 10_000 })], [proc(10, 'srv')]);
    await f.t.start();
    f.set([proc(10, 'other')]); // same pid, no longer matching
    await f.t.poll();
    expect(f.changes.at(-1)).toEqual(['p', false]);
    f.t.stop();
  });

  it('fork_delay: a forked child of a tracked process counts only after the delay; an exec at once', async () => {
    const f = fakeTracker([spec(['srv'], { quorum: 2, forkDelayMs: 150 })], [proc(10, 'srv')]);
    await f.t.start();
    f.set([proc(10, 'srv'), proc(11, 'srv', ['srv'], { ppid: 10 })]);
    await f.t.poll();
    expect(f.changes).toEqual([['p', false]]);
    await sleep(250);
    expect(f.changes).toEqual([['p', false], ['p', true]]);
    f.set([proc(10, 'srv')]);
    await f.t.poll();
    expect(f.changes.at(-1)).toEqual(['p', false]);
    f.set([proc(10, 'srv'), proc(30, 'srv', ['srv'], { ppid: 1 })]); // not a child of a tracked process
    await f.t.poll();
    expect(f.changes.at(-1)).toEqual(['p', true]);
    f.t.stop();
  });

  it('a fork timer is cancelled by an exit before it fires', async () => {
    const f = fakeTracker([spec(['srv'], { quorum: 2, forkDelayMs: 150 })], [proc(10, 'srv')]);
    await f.t.start();
    f.set([proc(10, 'srv'), proc(11, 'srv', ['srv'], { ppid: 10 })]);
    await f.t.poll();
    f.set([proc(10, 'srv')]);
    await f.t.poll();
    await sleep(250);
    expect(f.changes).toEqual([['p', false]]);
    f.t.stop();
  });

  it('a restart between two scans is not reported (exits first, net change only)', async () => {
    const f = fakeTracker([spec(['srv'])], [proc(10, 'srv')]);
    await f.t.start();
    f.set([proc(11, 'srv')]);
    await f.t.poll();
    // a reused pid with another start time is another process, too
    f.set([proc(11, 'srv', ['srv'], { startTime: '999999' })]);
    await f.t.poll();
    expect(f.changes).toEqual([['p', true]]);
    f.t.stop();
  });
});

describe('ProcScanner on a fake /proc', () => {
  const { dir, cleanup } = tempDir('fakeproc');
  afterAll(cleanup);
  const add = (pid: number, comm: string, state: string, ppid: number, start: number, cmdline?: string) => {
    mkdirSync(join(dir, String(pid)));
    const fields = [state, String(ppid), ...Array.from({ length: 17 }, () => '0'), String(start), '0', '0'];
    writeFileSync(join(dir, String(pid), 'stat'), `${pid} (${comm}) ${fields.join(' ')}\n`);
    if (cmdline !== undefined) writeFileSync(join(dir, String(pid), 'cmdline'), cmdline);
  };
  add(7, 'my (odd) name', 'S', 1, 4242, '/bin/odd\0-x\0');
  add(8, 'dead', 'Z', 7, 4343, '');
  add(9, 'big', 'R', 1, 4444, `/bin/big\0${'a'.repeat(10_000)}\0`);
  mkdirSync(join(dir, 'self'));

  it('parses comm (spaces, parentheses), state, ppid, start time and the command line', async () => {
    const procs = await new ProcScanner(dir, 4096).scan(true);
    expect(procs.map((p) => p.pid).sort()).toEqual([7, 8, 9]);
    const odd = procs.find((p) => p.pid === 7)!;
    expect(odd).toMatchObject({ comm: 'my (odd) name', ppid: 1, startTime: '4242', zombie: false });
    expect(odd.cmdline?.toString()).toBe('/bin/odd\0-x\0');
    expect(procs.find((p) => p.pid === 8)).toMatchObject({ zombie: true, ppid: 7 });
    expect(procs.find((p) => p.pid === 9)!.cmdline!.length).toBe(4096); // capped
    expect((await new ProcScanner(dir).scan(false)).every((p) => p.cmdline === undefined)).toBe(true);
  });
});

describe('ProcessTracker on the real /proc', () => {
  const { dir, cleanup } = tempDir('tproc');
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    cleanup();
  });
  const name = `ktsp${process.pid % 100000}`; // unique comm, < 16 characters
  const bin = join(dir, name);
  copyFileSync('/bin/sleep', bin);
  chmodSync(bin, 0o755);

  it('finds its own processes in a /proc scan', async () => {
    const procs = await scanProc(true);
    const me = procs.find((p) => p.pid === process.pid);
    expect(me?.ppid).toBe(process.ppid);
    expect(me?.cmdline?.includes(Buffer.from('node'))).toBe(true);
  });

  it('sees a process start and stop, by name and by full command with parameters', async () => {
    const { log } = captureLogger('info');
    const changes: [string, boolean][] = [];
    const t = new ProcessTracker({
      processes: [spec([name], { name: 'byname' }), spec([bin, '300'], { name: 'bycmd', paramMatch: 'initial' })],
      log, pollMs: 100, onChange: (n, up) => changes.push([n, up]),
    });
    await t.start();
    expect(changes).toEqual([['byname', false], ['bycmd', false]]);
    const c = spawn(bin, ['3000', '0.5'], { stdio: 'ignore' });
    children.push(c);
    await waitFor(() => changes.length === 4, 5000);
    expect(changes.slice(2).sort()).toEqual([['bycmd', true], ['byname', true]]);
    c.kill('SIGTERM');
    await waitFor(() => changes.length === 6, 5000);
    expect(changes.slice(4).sort()).toEqual([['bycmd', false], ['byname', false]]);
    t.stop();
  });
});
