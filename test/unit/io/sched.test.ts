// The scheduling knobs: global_defs keywords as keepalived reads them, and applySched's choices
// (defaults, the RLIMIT_RTTIME floor, keepalived's "nice only when not real-time", reloads that
// change only what differs, failures reported and the rest applied). The system calls are in
// test/netns/daemon.test.ts and test/netns/rt-guard.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { applyProcessSched, applySched, bumpRtPriority, freshSchedState, onRtLimit, relaxSchedForReload, schedConfigOf, schedRelaxed, type SchedPort } from '../../../src/io/sched.js';
import { fakeMachine, TmpDir } from '../config/helpers.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

const globals = (lines: string[]) => {
  const file = tmp.conf(`global_defs {\n${lines.map((l) => `  ${l}\n`).join('')}}\n`);
  const r = loadConfig(file, { configId: 'lb1', machine: fakeMachine(), displayBase: file.replace(/\/keepalived\.conf$/, '') });
  return { g: r.config.globalDefs, diags: r.diagnostics.list.map((d) => `${d.code} ${d.message}`) };
};

describe('scheduling keywords', () => {
  it('reads the vrrp and checker settings', () => {
    const { g, diags } = globals(['vrrp_rt_priority 20', 'vrrp_rlimit_rttime 50000', 'vrrp_cpu_affinity 0 0',
      'checker_priority -3', 'checker_rt_priority 5', 'checker_rlimit_rttime 1', 'checker_cpu_affinity 0']);
    expect(diags).toEqual([]);
    expect(g).toMatchObject({ vrrpRtPriority: 20, vrrpRlimitRttimeUs: 50_000, vrrpCpuAffinity: [0],
      checkerPriority: -3, checkerRtPriority: 5, checkerRlimitRttimeUs: 2, checkerCpuAffinity: [0] });
  });

  it('clamps a real-time priority out of 1..99 with keepalived\'s error; 0 is normal scheduling', () => {
    expect(globals(['vrrp_rt_priority 150']).g.vrrpRtPriority).toBe(99);
    expect(globals(['vrrp_rt_priority 150']).diags).toEqual(['CONFIG_RANGE vrrp process real-time priority 150 greater than maximum 99 - setting to maximum']);
    expect(globals(['checker_rt_priority -4']).g.checkerRtPriority).toBe(1);
    // keepalived says (and -t exits 5) that it raises 0 to 1; keepalived-ts keeps normal scheduling
    const off = globals(['vrrp_rt_priority 0']);
    expect([off.g.vrrpRtPriority, off.diags]).toEqual([0, ['CONFIG_RANGE vrrp process real-time priority 0 less than minimum 1 - setting to minimum (keepalived-ts: 0 keeps normal scheduling)']]);
  });

  it('the deprecated _rlimit_rtime is read with a note; a bad CPU id empties the set', () => {
    const r = globals(['vrrp_rlimit_rtime 30000']);
    expect(r.g.vrrpRlimitRttimeUs).toBe(30_000);
    expect(r.diags).toEqual(["CONFIG_DEPRECATED keyword 'vrrp_rlimit_rtime' is deprecated - please use 'vrrp_rlimit_rttime'"]);
    const bad = globals(['vrrp_cpu_affinity 0 4096']);
    expect(bad.g.vrrpCpuAffinity).toBeUndefined();
    expect(bad.diags[0]).toMatch(/^CONFIG_RANGE vrrp_cpu_affinity 4096 out of range/);
    expect(globals(['vrrp_cpu_affinity']).diags).toEqual(['CONFIG_VALUE No vrrp cpu_id set specified']);
  });

  it('bfd_ keywords and *_no_swap stay accepted but unsupported, the latter saying why', () => {
    expect(globals(['bfd_rt_priority 5']).diags[0]).toMatch(/^CONFIG_UNSUPPORTED/);
    expect(globals(['vrrp_no_swap']).diags).toEqual(["CONFIG_UNSUPPORTED 'vrrp_no_swap' is accepted but not supported by keepalived-ts (V8 cannot run with its memory locked)"]);
  });
});

/** A port that records the calls; `fail` names calls that throw EPERM. */
function port(fail: string[] = []) {
  const calls: string[] = [];
  /** what the native guard would count: the times it took the thread out of SCHED_RR */
  const guard = { demotions: 0 };
  const call = (name: string, text: string): void => {
    if (fail.includes(name)) throw Object.assign(new Error(`${name} EPERM`), { code: 'EPERM' });
    calls.push(text);
  };
  const p: SchedPort = {
    schedSet: (prio) => call('schedSet', `sched ${prio}`),
    rttimeLimit: (s, h) => call('rttimeLimit', `rttime ${s}/${h}`),
    cpuAffinity: (tid, cpus) => call('cpuAffinity', `cpus ${tid}:${cpus.join(',')}`),
    nice: (v) => (fail.includes('nice') ? 'EACCES' : (calls.push(`nice ${v}`), undefined)),
    threads: () => [100, 101],
    allCpus: () => [0, 1, 2],
    rtGuard: () => guard.demotions,
  };
  return { p, calls, guard };
}

describe('relaxSchedForReload', () => {
  it('a reload stays real-time without RLIMIT_RTTIME, and the reload\'s applySched puts the limit back', () => {
    const { p, calls } = port();
    const now = freshSchedState();
    applySched('vrrp', {}, p, now);
    expect(relaxSchedForReload(p, now)).toBe(true);
    expect(schedRelaxed(now)).toBe(true);
    expect(now.rtPriority).toBe(1);
    applySched('vrrp', {}, p, now);
    expect(schedRelaxed(now)).toBe(false);
    expect(calls).toEqual(['rttime 1000000/2000000', 'sched 1', 'rttime -1/-1', 'rttime 1000000/2000000']);
  });

  it('where the limit cannot be lifted, normal scheduling for the reload (keepalived\'s), SCHED_RR after', () => {
    const { p, calls } = port(['rttimeLimit']);
    const now = { ...freshSchedState(), rtPriority: 1, rttimeUs: 2_000_000 };
    expect(relaxSchedForReload(p, now)).toBe(true);
    expect(now.rtPriority).toBe(0);
    expect(calls).toEqual(['sched 0']);
  });

  it('changes nothing when not real-time, or when nothing can be changed', () => {
    const { p, calls } = port();
    expect(relaxSchedForReload(p, freshSchedState())).toBe(false);
    expect(calls).toEqual([]);
    const f = port(['schedSet', 'rttimeLimit']);
    const now = { ...freshSchedState(), rtPriority: 1, rttimeUs: 2_000_000 };
    expect(relaxSchedForReload(f.p, now)).toBe(false);
    expect([now.rtPriority, schedRelaxed(now)]).toEqual([1, false]);
  });
});

describe('applySched', () => {
  it('the VRRP process defaults to SCHED_RR 1 with a 2 s RLIMIT_RTTIME, set before the policy; the checker to normal', () => {
    const { p, calls } = port();
    const out = applySched('vrrp', {}, p, freshSchedState());
    expect(calls).toEqual(['rttime 1000000/2000000', 'sched 1']);
    expect(out).toMatchObject({ rtPriority: 1, rttimeUs: 2_000_000, errors: [], notes: [] });
    const c = port();
    expect(applySched('checker', { nice: 5 }, c.p, freshSchedState())).toMatchObject({ rtPriority: 0, nice: 5 });
    expect(c.calls).toEqual(['nice 5']);
  });

  it('raises a limit below 0.5 s, with a note; the nice value waits for normal scheduling, as in keepalived', () => {
    const { p, calls } = port();
    const out = applySched('vrrp', { rtPriority: 20, rlimitRttimeUs: 10_000, nice: -5, cpus: [1] }, p, freshSchedState());
    expect(calls).toEqual(['rttime 250000/500000', 'sched 20', 'cpus 100:1', 'cpus 101:1']);
    expect(out.notes).toEqual(['vrrp_rlimit_rttime 10000 raised to 500000 µs']);
    expect(out.nice).toBeUndefined();
  });

  it('a reload changes only what differs, and going back to normal scheduling applies the nice value', () => {
    const state = freshSchedState();
    const { p, calls } = port();
    applySched('vrrp', { rtPriority: 10, cpus: [0] }, p, state);
    calls.length = 0;
    applySched('vrrp', { rtPriority: 10, cpus: [0] }, p, state);
    expect(calls).toEqual([]);
    const out = applySched('vrrp', { rtPriority: 0, nice: -2, cpus: [1] }, p, state);
    expect(calls).toEqual(['sched 0', 'nice -2', 'cpus 100:1', 'cpus 101:1']);
    expect(out).toMatchObject({ rtPriority: 0, nice: -2, cpus: [1] });
    calls.length = 0;
    expect(applySched('vrrp', { rtPriority: 0, nice: -2 }, p, state).cpus).toBeUndefined();
    expect(calls).toEqual(['cpus 100:0,1,2', 'cpus 101:0,1,2']);
  });

  it('a refused call is reported and the rest still applies; without SCHED_RR the nice value is used', () => {
    const { p, calls } = port(['schedSet', 'cpuAffinity']);
    const out = applySched('vrrp', { nice: -3, cpus: [0] }, p, freshSchedState());
    expect(out.errors).toEqual([{ setting: 'vrrp_rt_priority', err: 'EPERM' }, { setting: 'vrrp_cpu_affinity', err: 'EPERM' }]);
    expect(out).toMatchObject({ rtPriority: 0, nice: -3 });
    expect(calls).toEqual(['rttime 1000000/2000000', 'nice -3']);
  });

  it('maps global_defs per process, the checker with its default nice', () => {
    expect(schedConfigOf('checker', { vrrpRtPriority: 3 }, 5)).toEqual({ nice: 5 });
    expect(schedConfigOf('vrrp', { vrrpRtPriority: 3, vrrpPriority: -1, vrrpCpuAffinity: [0] })).toEqual({ nice: -1, rtPriority: 3, cpus: [0] });
  });

  it('logs: a refused default SCHED_RR is information (keepalived runs so anyway), a refused configured one a warning', () => {
    const lines: string[] = [];
    const log = { info: (_o: object, m: string) => void lines.push(`info ${m}`), warn: (_o: object, m: string) => void lines.push(`warn ${m}`) };
    applyProcessSched('vrrp', {}, log, undefined, port(['schedSet']).p, freshSchedState());
    expect(lines).toEqual([
      'info VRRP process: real-time scheduling not permitted (EPERM); normal scheduling, as keepalived without vrrp_rt_priority',
      'info VRRP process scheduling: normal, nice 0',
    ]);
    lines.length = 0;
    applyProcessSched('vrrp', { vrrpRtPriority: 5, vrrpRlimitRttimeUs: 1000 }, log, undefined, port(['schedSet']).p, freshSchedState());
    expect(lines).toEqual([
      'warn VRRP process: cannot apply vrrp_rt_priority (EPERM)',
      'warn VRRP process: vrrp_rlimit_rttime 1000 raised to 500000 µs',
      'info VRRP process scheduling: normal, nice 0',
    ]);
  });

describe('bumpRtPriority (max_auto_priority)', () => {
  it('raises SCHED_RR by one per late timer, from normal scheduling to 1, never above the maximum', () => {
    const { p, calls } = port();
    const state = freshSchedState();
    applySched('vrrp', { rtPriority: 0 }, p, state);
    expect(bumpRtPriority('vrrp', { vrrpRtPriority: 0 }, 2, p, state)).toBe(1);
    expect(bumpRtPriority('vrrp', { vrrpRtPriority: 0 }, 2, p, state)).toBe(2);
    expect(bumpRtPriority('vrrp', { vrrpRtPriority: 0 }, 2, p, state)).toBeUndefined();
    expect(calls.filter((c) => c.startsWith('sched'))).toEqual(['sched 1', 'sched 2']);
    expect(bumpRtPriority('vrrp', {}, 0, p, state)).toBeUndefined();
  });
});
});

describe('SIGXCPU: the guard and the listener (onRtLimit)', () => {
  const logged = () => {
    const lines: string[] = [];
    return { lines, log: { info: (_o: object, m: string) => lines.push(`info ${m}`), warn: (_o: object, m: string) => lines.push(`warn ${m}`) } };
  };

  it('after the guard took the thread out of SCHED_RR: the limit (the kernel raised its soft value) and the priority back, counted', () => {
    const { p, calls, guard } = port();
    const now = freshSchedState();
    applySched('vrrp', { rtPriority: 20 }, p, now);
    calls.length = 0;
    guard.demotions++;
    const { lines, log } = logged();
    const waiting: (() => void)[] = [];
    onRtLimit('vrrp', log, p, now, (fn) => waiting.push(fn));
    expect(lines).toEqual([
      'warn VRRP process has used too much CPU time, vrrp_rlimit_rttime may need to be increased',
      'warn VRRP process: left SCHED_RR at the RLIMIT_RTTIME soft limit, before the hard limit\'s SIGKILL; SCHED_RR again in 100 ms',
    ]);
    // not at once: the thread sleeps first
    expect(calls).toEqual([]);
    waiting.forEach((fn) => fn());
    // the priority first: its sleep clears the kernel's count, and only then the soft limit
    expect(calls).toEqual(['sched 20', 'rttime 1000000/2000000']);
    expect(now).toMatchObject({ rtPriority: 20, demotionsSeen: 1 });
  });

  it('a SIGXCPU the guard did not act on (sent by someone, the thread not real-time): keepalived\'s line only', () => {
    const { p, calls } = port();
    const now = freshSchedState();
    applySched('checker', { rtPriority: 5 }, p, now);
    calls.length = 0;
    const { lines, log } = logged();
    onRtLimit('checker', log, p, now, (fn) => fn());
    onRtLimit('checker', log, p, now, (fn) => fn());
    expect(calls).toEqual([]);
    expect(lines).toEqual(Array(2).fill('warn Checker process has used too much CPU time, checker_rlimit_rttime may need to be increased'));
  });

  it('mid-reload the limit stays lifted: only the priority back', () => {
    const { p, calls, guard } = port();
    const now = freshSchedState();
    applySched('vrrp', {}, p, now);
    relaxSchedForReload(p, now);
    calls.length = 0;
    guard.demotions++;
    onRtLimit('vrrp', logged().log, p, now, (fn) => fn());
    expect(calls).toEqual(['sched 1']);
  });

  it('a reload that went to normal scheduling before the restore: it stays there', () => {
    const { p, calls, guard } = port();
    const now = freshSchedState();
    applySched('vrrp', {}, p, now);
    guard.demotions++;
    const waiting: (() => void)[] = [];
    onRtLimit('vrrp', logged().log, p, now, (fn) => waiting.push(fn));
    applySched('vrrp', { rtPriority: 0 }, p, now);
    calls.length = 0;
    waiting.forEach((fn) => fn());
    expect(calls).toEqual([]);
  });

  it('when SCHED_RR is refused on the way back, the state says normal scheduling and the log says why', () => {
    const { p, guard } = port(['schedSet']);
    const now = { ...freshSchedState(), rtPriority: 1, rttimeUs: 2_000_000 };
    guard.demotions++;
    const { lines, log } = logged();
    onRtLimit('vrrp', log, p, now, (fn) => fn());
    expect(now.rtPriority).toBe(0);
    expect(lines[2]).toBe('warn VRRP process: cannot return to SCHED_RR after the RLIMIT_RTTIME soft limit (EPERM); normal scheduling');
    // a reload's applySched then sets the limit again before SCHED_RR
    expect(applySched('vrrp', {}, port().p, now).rttimeUs).toBe(2_000_000);
  });

  it('when the limit is refused on the way back, the thread leaves SCHED_RR again: the state and the log say normal scheduling', () => {
    const { p, calls, guard } = port(['rttimeLimit']);
    const now = { ...freshSchedState(), rtPriority: 1, rttimeUs: 2_000_000 };
    guard.demotions++;
    const { lines, log } = logged();
    onRtLimit('vrrp', log, p, now, (fn) => fn());
    expect(calls).toEqual(['sched 1', 'sched 0']);
    expect(now.rtPriority).toBe(0);
    expect(lines[2]).toBe('warn VRRP process: cannot return to SCHED_RR after the RLIMIT_RTTIME soft limit (EPERM); normal scheduling');
  });
});
