/**
 * The scheduling knobs keepalived applies to its VRRP and checker processes (reference §b,
 * "Process/scheduling"): `*_priority` (nice), `*_rt_priority` (SCHED_RR), `*_rlimit_rttime`
 * (RLIMIT_RTTIME) and `*_cpu_affinity`. `*_no_swap` is not supported: V8 aborts (a fatal
 * check on madvise) when it hands locked pages back to the system, measured with
 * mlockall(MCL_FUTURE) and with MCL_CURRENT | MCL_ONFAULT.
 *
 * Deliberate differences from keepalived 2.2.7 (docs/errors.md, "Scheduling"):
 * - The VRRP process runs its main thread at SCHED_RR priority 1 unless `vrrp_rt_priority` says
 *   otherwise (0 keeps normal scheduling). keepalived runs at nice 0, and on a busy director its
 *   adverts leave milliseconds late or, in the worst case, a backup's Master_Down timer fires
 *   late and it takes over from a healthy master ("A thread timer expired"); its maintainers
 *   answer with `vrrp_rt_priority`. Here that is the default.
 * - RLIMIT_RTTIME (the CPU a real-time thread may use without blocking) is 2 s by default and
 *   never below 0.5 s, not keepalived's 10 ms: a V8 heap's full collection or the reload of a
 *   large configuration runs tens of milliseconds on the main thread, and at the hard limit the
 *   kernel sends SIGKILL. As in keepalived the soft limit is half the hard one; SIGXCPU there is
 *   logged with keepalived's words and counted.
 * - At that soft limit the thread leaves SCHED_RR in the signal itself (the native rtGuard), so
 *   the hard limit's SIGKILL never comes, and goes back to it 100 ms after its event loop turns
 *   again (onRtLimit). keepalived's process is killed there; ours is the whole daemon.
 * - Only the main thread (the one running the advert timers) gets SCHED_RR; V8's and libuv's
 *   helper threads stay at normal scheduling. The CPU affinity covers every thread.
 */
import { readdirSync } from 'node:fs';
import { cpus as machineCpus, setPriority } from 'node:os';
import type { GlobalDefs } from '../config/model.js';
import { loadNative } from './native.js';

export type SchedProcess = 'vrrp' | 'checker';

/** One process's settings as configured (undefined: not given). */
export interface SchedConfig {
  /** *_priority: nice -20..19 (ignored when SCHED_RR is in force, as in keepalived) */
  readonly nice?: number;
  /** *_rt_priority: 1..99; 0 is normal scheduling (keepalived-ts) */
  readonly rtPriority?: number;
  /** *_rlimit_rttime, µs: the hard limit; the soft one is half */
  readonly rlimitRttimeUs?: number;
  readonly cpus?: readonly number[];
}

export const DEFAULT_RT_PRIORITY: Readonly<Record<SchedProcess, number>> = { vrrp: 1, checker: 0 };
export const DEFAULT_RLIMIT_RTTIME_US = 2_000_000;
/** nice of the checker child without checker_priority: it yields to the VRRP process (keepalived: 0) */
export const CHECKER_DEFAULT_NICE = 5;
export const MIN_RLIMIT_RTTIME_US = 500_000;

/** What applySched did: the state now in force and what failed. */
export interface SchedOutcome {
  readonly rtPriority: number;
  /** RLIMIT_RTTIME hard limit in µs while SCHED_RR is in force */
  readonly rttimeUs?: number;
  readonly nice?: number;
  readonly cpus?: readonly number[];
  /** a configured value this process changed (the RLIMIT_RTTIME floor) */
  readonly notes: readonly string[];
  readonly errors: readonly { readonly setting: string; readonly err: string }[];
}

/** The system calls, behind a port for tests. */
export interface SchedPort {
  schedSet(priority: number): void;
  rttimeLimit(softUs: number, hardUs: number): void;
  cpuAffinity(tid: number, cpus: readonly number[]): void;
  nice(value: number): string | undefined;
  /** the thread ids of this process */
  threads(): number[];
  /** every CPU of the machine (to undo an affinity) */
  allCpus(): number[];
  /** installs the SIGXCPU guard (once); how many times it has taken a thread out of SCHED_RR */
  rtGuard(): number;
}

const errText = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;
/** How the logs name process `p`, in keepalived's words. */
const processName = (p: SchedProcess): string => (p === 'vrrp' ? 'VRRP' : 'Checker');
/** RLIMIT_RTTIME with `hardUs` as the hard limit and half of it as the soft one, as keepalived sets it. */
const setRttime = (port: SchedPort, hardUs: number): void => port.rttimeLimit(Math.floor(hardUs / 2), hardUs);

export function hostSchedPort(): SchedPort {
  return {
    schedSet: (p) => loadNative().schedSet(p),
    rttimeLimit: (s, h) => loadNative().rttimeLimit(s, h),
    cpuAffinity: (tid, cpus) => loadNative().cpuAffinity(tid, [...cpus]),
    nice: (value) => {
      try {
        setPriority(value);
        return undefined;
      } catch (e) {
        return errText(e);
      }
    },
    threads: () => readdirSync('/proc/self/task').map(Number).filter((n) => n > 0),
    allCpus: () => machineCpus().map((_, i) => i),
    rtGuard: () => loadNative().rtGuard(),
  };
}

/** What is in force in this process (applySched changes only what differs, as on a reload). */
interface Current {
  rtPriority: number;
  rttimeUs?: number;
  nice: number;
  cpus?: readonly number[];
  /** relaxed for a reload (relaxSchedForReload) and not applied since */
  relaxed?: boolean;
  /** the native guard's count of demotions when the SIGXCPU listener last looked */
  demotionsSeen?: number;
}
const current: Current = { rtPriority: 0, nice: 0 };

/** Applies `c` for process `p` (at start and on each reload). */
export function applySched(p: SchedProcess, c: SchedConfig, port: SchedPort = hostSchedPort(), now: Current = current): SchedOutcome {
  delete now.relaxed;
  const notes: string[] = [];
  const errors: { setting: string; err: string }[] = [];
  const want = c.rtPriority ?? DEFAULT_RT_PRIORITY[p];
  let rttimeUs: number | undefined;
  if (want > 0) {
    const configured = c.rlimitRttimeUs ?? DEFAULT_RLIMIT_RTTIME_US;
    rttimeUs = Math.max(configured, MIN_RLIMIT_RTTIME_US);
    if (configured < MIN_RLIMIT_RTTIME_US) notes.push(`${p}_rlimit_rttime ${configured} raised to ${MIN_RLIMIT_RTTIME_US} µs`);
    try {
      // the limit first: the thread is never real-time without it
      if (now.rttimeUs !== rttimeUs) setRttime(port, rttimeUs);
      now.rttimeUs = rttimeUs;
      if (now.rtPriority !== want) port.schedSet(want);
      now.rtPriority = want;
    } catch (e) {
      errors.push({ setting: `${p}_rt_priority`, err: errText(e) });
      rttimeUs = undefined;
    }
  } else if (now.rtPriority !== 0) {
    try {
      port.schedSet(0);
      now.rtPriority = 0;
    } catch (e) {
      errors.push({ setting: `${p}_rt_priority`, err: errText(e) });
    }
  }
  // keepalived: the nice value only when not real-time
  const nice = now.rtPriority > 0 ? undefined : c.nice ?? 0;
  if (nice !== undefined && nice !== now.nice) {
    const err = port.nice(nice);
    if (err) errors.push({ setting: `${p}_priority`, err });
    else now.nice = nice;
  }
  const pin = c.cpus && c.cpus.length > 0 ? c.cpus : undefined;
  // a reload that drops the setting gives the threads every CPU back
  if (pin?.join(',') !== now.cpus?.join(',')) {
    try {
      const set = pin ?? port.allCpus();
      for (const tid of port.threads()) port.cpuAffinity(tid, set);
      if (pin) now.cpus = pin;
      else delete now.cpus;
    } catch (e) {
      errors.push({ setting: `${p}_cpu_affinity`, err: errText(e) });
    }
  }
  return {
    rtPriority: now.rtPriority,
    ...(now.rtPriority > 0 && now.rttimeUs !== undefined ? { rttimeUs: now.rttimeUs } : {}),
    ...(now.rtPriority === 0 ? { nice: now.nice } : {}),
    ...(now.cpus ? { cpus: now.cpus } : {}),
    notes,
    errors,
  };
}

/**
 * A reload reads the whole configuration, seconds of CPU without a blocking system call at
 * 50,000 real servers (bench/RESULTS.md, footprint), and under SCHED_RR the kernel kills the
 * process at RLIMIT_RTTIME's hard limit. For the reload the limit is lifted and the thread stays
 * real-time, so that its adverts wait only for the reading itself, not for the other processes
 * too; where the limit cannot be lifted it runs at normal scheduling, as keepalived's reloads
 * always do (reset_process_priorities). The reload's applyProcessSched puts the settings back
 * (a refused reload's caller calls it when schedRelaxed()). Returns whether it relaxed anything.
 */
export function relaxSchedForReload(port: SchedPort = hostSchedPort(), now: Current = current): boolean {
  if (now.rtPriority === 0) return false;
  try {
    port.rttimeLimit(-1, -1);
    delete now.rttimeUs;
  } catch {
    try {
      port.schedSet(0);
      now.rtPriority = 0;
    } catch {
      return false; // stays as it is: the reload runs as before
    }
  }
  now.relaxed = true;
  return true;
}

/** Whether the settings are still relaxed for a reload (no applySched since). */
export function schedRelaxed(now: Current = current): boolean {
  return now.relaxed === true;
}

/** A fresh state, for tests. */
export function freshSchedState(): Current {
  return { rtPriority: 0, nice: 0 };
}

let rtLimitHits = 0;
let watching = false;

/** What is in force in this process: the SCHED_RR priority (0: normal scheduling), the SIGXCPU signals and the guard's demotions. */
export function schedInForce(): { rtPriority: number; rtLimitSignals: number; rtLimitDemotions: number } {
  return { rtPriority: current.rtPriority, rtLimitSignals: rtLimitHits, rtLimitDemotions: current.demotionsSeen ?? 0 };
}

/**
 * SIGXCPU at the soft limit, once SCHED_RR is in force. The listener first, then the native
 * guard, which runs in the signal itself and calls the listener's handler after it.
 */
export function watchRtLimit(p: SchedProcess, log: SchedLog, port: SchedPort = hostSchedPort(), now: Current = current): void {
  if (watching) return;
  watching = true;
  process.on('SIGXCPU', () => onRtLimit(p, log, port, now));
  try {
    now.demotionsSeen = port.rtGuard();
  } catch (e) {
    log.warn({ err: errText(e) }, `${processName(p)} process: no guard at the RLIMIT_RTTIME soft limit (${errText(e)}); the kernel kills the process at the hard limit`);
  }
}

/** How long after the guard's demotion the listener waits before SCHED_RR again (see onRtLimit). */
export const RT_RESTORE_DELAY_MS = 100;

/**
 * The listener: keepalived's line, counted; and when the guard took the thread out of
 * SCHED_RR, the priority back after RT_RESTORE_DELAY_MS, and the limit too (the kernel raised
 * the soft one by a second as it signalled, and the hard one would come without a warning).
 * Not at once, and the native schedSet sleeps 100 µs after the change: the kernel clears its
 * count of CPU run without blocking only when a real-time thread wakes, and a listener run
 * straight after the busy stretch made the thread real-time again with the count still past
 * the soft limit (measured: a second SIGXCPU at its next tick, in 1 run of 6). Mid-reload the
 * limit stays lifted (relaxSchedForReload), and the reload's applySched sets it.
 */
export function onRtLimit(p: SchedProcess, log: SchedLog, port: SchedPort = hostSchedPort(), now: Current = current,
  later: (fn: () => void) => void = (fn) => void setTimeout(fn, RT_RESTORE_DELAY_MS).unref()): void {
  const name = processName(p);
  rtLimitHits++;
  log.warn({ count: rtLimitHits }, `${name} process has used too much CPU time, ${p}_rlimit_rttime may need to be increased`);
  let demoted: number;
  try {
    demoted = port.rtGuard();
  } catch {
    return;
  }
  if (demoted === (now.demotionsSeen ?? 0)) return;
  now.demotionsSeen = demoted;
  log.warn({ demotions: demoted }, `${name} process: left SCHED_RR at the RLIMIT_RTTIME soft limit, before the hard limit's SIGKILL; SCHED_RR again in ${RT_RESTORE_DELAY_MS} ms`);
  later(() => {
    // what is in force then (a reload may have changed it meanwhile)
    if (now.rtPriority === 0) return;
    try {
      // SCHED_RR first, the limit after: schedSet's short sleep is what clears the kernel's count
      // of CPU run without blocking, and until then the count is still past the soft limit; a
      // tick between the change of policy and that sleep, with the soft limit already back,
      // signalled again (a second SIGXCPU, once in a full test suite). With the soft limit the
      // kernel raised, the stale count is below both limits.
      port.schedSet(now.rtPriority);
      if (!now.relaxed && now.rttimeUs !== undefined) limitBack(port, now.rttimeUs);
    } catch (e) {
      // the thread stays at normal scheduling, and says so
      now.rtPriority = 0;
      delete now.rttimeUs;
      log.warn({ err: errText(e) }, `${name} process: cannot return to SCHED_RR after the RLIMIT_RTTIME soft limit (${errText(e)}); normal scheduling`);
    }
  });
}

/**
 * The soft limit back after the guard's restore (onRtLimit). Refused, the thread leaves SCHED_RR
 * again: real-time with the soft limit the kernel raised above the hard one, the kill would come
 * without a warning. Throws what the limit threw (the caller says normal scheduling, and why).
 */
function limitBack(port: SchedPort, us: number): void {
  try {
    setRttime(port, us);
  } catch (e) {
    try { port.schedSet(0); } catch { /* the caller says why */ }
    throw e;
  }
}

/** The settings of process `p` from global_defs (field names as in src/config/model.ts). */
export function schedConfigOf(p: SchedProcess, g: GlobalSchedFields, defaultNice?: number): SchedConfig {
  const nice = p === 'vrrp' ? g.vrrpPriority : g.checkerPriority ?? defaultNice;
  const rt = p === 'vrrp' ? g.vrrpRtPriority : g.checkerRtPriority;
  const rttime = p === 'vrrp' ? g.vrrpRlimitRttimeUs : g.checkerRlimitRttimeUs;
  const cpus = p === 'vrrp' ? g.vrrpCpuAffinity : g.checkerCpuAffinity;
  return {
    ...(nice !== undefined ? { nice } : {}),
    ...(rt !== undefined ? { rtPriority: rt } : {}),
    ...(rttime !== undefined ? { rlimitRttimeUs: rttime } : {}),
    ...(cpus ? { cpus } : {}),
  };
}

type GlobalSchedFields = Pick<GlobalDefs, 'vrrpPriority' | 'checkerPriority' | 'vrrpRtPriority' | 'checkerRtPriority'
  | 'vrrpRlimitRttimeUs' | 'checkerRlimitRttimeUs' | 'vrrpCpuAffinity' | 'checkerCpuAffinity'>;

interface SchedLog {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

/** Applies process `p`'s settings from global_defs and logs the outcome (start and reload). */
export function applyProcessSched(p: SchedProcess, g: GlobalSchedFields, log: SchedLog, defaultNice?: number,
  port: SchedPort = hostSchedPort(), now: Current = current): SchedOutcome {
  const name = processName(p);
  const c = schedConfigOf(p, g, defaultNice);
  const out = applySched(p, c, port, now);
  for (const e of out.errors) {
    // the default SCHED_RR refused (no CAP_SYS_NICE, a container): normal scheduling, as keepalived
    const quiet = e.setting === `${p}_rt_priority` && c.rtPriority === undefined;
    (quiet ? log.info : log.warn).call(log, { setting: e.setting, err: e.err }, quiet
      ? `${name} process: real-time scheduling not permitted (${e.err}); normal scheduling, as keepalived without ${p}_rt_priority`
      : `${name} process: cannot apply ${e.setting} (${e.err})`);
  }
  for (const n of out.notes) log.warn({}, `${name} process: ${n}`);
  if (out.rtPriority > 0) watchRtLimit(p, log, port, now);
  log.info({ ...out, notes: undefined, errors: undefined },
    out.rtPriority > 0 ? `${name} process scheduling: SCHED_RR priority ${out.rtPriority}, RLIMIT_RTTIME ${out.rttimeUs} µs`
      : `${name} process scheduling: normal, nice ${out.nice ?? 0}`);
  return out;
}

/**
 * max_auto_priority (keepalived lib/process.c increment_process_priority): a timer that fired
 * too late raises the process's SCHED_RR priority by one (from normal scheduling: to 1), never
 * above `max`. Returns the priority now in force, or undefined when nothing changed.
 */
export function bumpRtPriority(p: SchedProcess, g: GlobalSchedFields, max: number, port: SchedPort = hostSchedPort(), now: Current = current): number | undefined {
  const next = now.rtPriority > 0 ? now.rtPriority + 1 : 1;
  if (max <= 0 || next > max) return undefined;
  const out = applySched(p, { ...schedConfigOf(p, g), rtPriority: next }, port, now);
  return out.rtPriority === next ? next : undefined;
}
