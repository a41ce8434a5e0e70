// The real-time guard (src/io/sched.ts, native rtGuard) on a real kernel: a SCHED_RR thread
// that runs past RLIMIT_RTTIME's soft limit without blocking leaves SCHED_RR in the signal
// itself, so the kernel's SIGKILL at the hard limit never comes; the SIGXCPU listener then logs
// keepalived's line and puts the priority and the limit back. Without the guard the same
// thread is killed (the control case, so the test can fail). Runs the built modules (dist/,
// `npm run build`) in a child node; root (SCHED_RR), no namespace, no packets.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const SCHED_RR = 2;

/**
 * A node that takes SCHED_RR 1 with RLIMIT_RTTIME 0.25 s soft / 0.5 s hard (the daemon's
 * floor) through the daemon's own applySched, then keeps its thread busy for `busyMs` without
 * blocking, and prints what it logged and what is in force after. `guard`: as the daemon
 * (watchRtLimit), else only a SIGXCPU listener.
 */
function busyChild(guard: boolean, busyMs: number): { status: number | null; signal: NodeJS.Signals | null; out: string } {
  const script = `
    import { readFileSync } from 'node:fs';
    import { applySched, schedInForce, watchRtLimit } from './dist/src/io/sched.js';
    const log = { info: () => {}, warn: (_o, m) => console.log('log ' + m) };
    const out = applySched('vrrp', { rtPriority: 1, rlimitRttimeUs: 500000 });
    if (out.errors.length) throw new Error(JSON.stringify(out.errors));
    if (${guard}) watchRtLimit('vrrp', log);
    else process.on('SIGXCPU', () => console.log('log SIGXCPU'));
    const end = performance.now() + ${busyMs};
    let spins = 0;
    while (performance.now() < end) spins++;
    // the listener runs once the loop turns, and SCHED_RR comes back 100 ms after it
    await new Promise((r) => setTimeout(r, 300));
    const stat = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\\) /, '').split(' ');
    const limits = /Max realtime timeout\\s+(\\S+)\\s+(\\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    console.log('state ' + JSON.stringify({ policy: Number(stat[41 - 3]), rt: Number(stat[40 - 3]), rttime: limits[1] + '/' + limits[2], ...schedInForce() }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, signal: r.signal, out: r.stdout + r.stderr };
}

describe('RLIMIT_RTTIME guard', () => {
  it('without the guard, the kernel kills a SCHED_RR thread busy past the hard limit (the control)', () => {
    const r = busyChild(false, 1500);
    expect(r.signal, r.out).toBe('SIGKILL');
    // its listener never ran: the thread was busy from the soft limit to the kill
    expect(r.out).not.toContain('log SIGXCPU');
  });

  it('with it, the thread leaves SCHED_RR at the soft limit, lives, and is back at SCHED_RR priority 1 with its limit after', () => {
    const r = busyChild(true, 1500);
    expect([r.status, r.signal], r.out).toEqual([0, null]);
    const lines = r.out.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('log ')), r.out).toEqual([
      'log VRRP process has used too much CPU time, vrrp_rlimit_rttime may need to be increased',
      'log VRRP process: left SCHED_RR at the RLIMIT_RTTIME soft limit, before the hard limit\'s SIGKILL; SCHED_RR again in 100 ms',
    ]);
    const state = JSON.parse(lines.find((l) => l.startsWith('state '))!.slice(6)) as Record<string, unknown>;
    expect(state).toMatchObject({ policy: SCHED_RR, rt: 1, rttime: '250000/500000', rtPriority: 1, rtLimitSignals: 1, rtLimitDemotions: 1 });
  });
});
