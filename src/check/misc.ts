/**
 * MISC_CHECK (check_misc.c): a script's exit status. 0 is up, anything else down; with
 * misc_dynamic an exit of 2..255 is up too and sets the real server's weight to exit - 2.
 * A script still running at misc_timeout (default: delay_loop) gets SIGTERM, then SIGKILL,
 * and counts as a failure ("timed out"). Retry defaults to 0.
 */
import type { Checker } from '../config/model.js';
import type { CheckerKind, LogNames } from './kind.js';
import { retries } from './kind.js';
import type { ProbeResult } from './types.js';

type MiscChecker = Extract<Checker, { type: 'MISC_CHECK' }>;

/** The result of one run from how the script ended (`code` null when killed by a signal or never started). */
export function miscVerdict(end: { code: number | null; signal?: number; timedOut: boolean; error?: string }, dynamic: boolean): ProbeResult {
  if (end.timedOut) return { ok: false, timedOut: true, detail: 'timed out' };
  if (end.code === null) {
    if (end.error) return { ok: false, detail: `not run (${end.error})` };
    return { ok: false, ...(end.signal !== undefined ? { signal: end.signal } : {}), detail: 'killed by a signal' };
  }
  const code = end.code;
  if (code === 0) return { ok: true, exitCode: 0 };
  if (dynamic && code >= 2 && code <= 255) return { ok: true, exitCode: code, weight: code - 2 };
  return { ok: false, exitCode: code, detail: `exited with status ${code}` };
}

function reason(r: ProbeResult): string {
  if (r.timedOut) return '';
  if (r.exitCode !== undefined) return ` (exited with status ${r.exitCode})`;
  if (r.signal !== undefined) return ` (due to signal ${r.signal})`;
  return r.detail ? ` (${r.detail})` : '';
}

const head = (n: LogNames, script: string): string => `Misc check for [${n.chk} VS ${n.vs}] by [${script}]`;

/** The miscKind for one script path (the log lines name it). */
export function miscKind(script: string): CheckerKind {
  return {
    defaultRetry: 0,
    defaultDelayBeforeRetryMs: 1000,
    retryWhileDown: false,
    plan: ({ checker, delayLoopMs }) => {
      const c = checker as MiscChecker;
      return {
        type: 'MISC_CHECK', script: c.miscPath!, timeoutMs: c.miscTimeoutMs ?? delayLoopMs, dynamic: c.miscDynamic,
        ...(c.user ? { user: c.user } : {}),
      };
    },
    successLog: (n) => `${head(n, script)} succeeded.`,
    failLog: (n, retry, _hasRun, r) =>
      `${head(n, script)} ${r.timedOut ? 'timed out' : 'failed'}${retry ? ` after ${retries(retry)}` : ' with retry disabled'}${reason(r)}.`,
    attemptLog: (n, r, retryIt, retry) =>
      `${head(n, script)} ${r.timedOut ? 'timed out' : 'failed'}${retryIt === 1 ? `, will do ${retries(retry)}` : ` on retry ${retryIt - 1}/${retry}`}${reason(r)}.`,
    alertBody: (up, r) => `=> MISC CHECK ${up ? 'succeeded' : r.timedOut ? 'timed out' : 'failed'} on service <=`,
    alertOnReport: true,
  };
}
