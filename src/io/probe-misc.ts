/**
 * MISC_CHECK's probe: run misc_path (as `user` when set) through script-runner.ts with
 * misc_timeout (SIGTERM to its process group, SIGKILL 2 s later) and judge the exit with
 * check/misc.ts `miscVerdict` (misc_dynamic weights).
 */
import { constants } from 'node:os';
import type { Logger } from 'pino';
import { miscVerdict } from '../check/misc.js';
import type { ProbePlan, ProbeResult } from '../check/types.js';
import { runScript } from './script-runner.js';
import type { ScriptUsers } from './users.js';

type MiscPlan = Extract<ProbePlan, { type: 'MISC_CHECK' }>;

export async function miscProbe(p: MiscPlan, opts: { readonly log: Logger; readonly users?: ScriptUsers; readonly signal?: AbortSignal }): Promise<ProbeResult> {
  const spec = { argv: p.script.argv, ...(p.user ? { user: p.user.user, ...(p.user.group ? { group: p.user.group } : {}) } : p.script.user ? { user: p.script.user, ...(p.script.group ? { group: p.script.group } : {}) } : {}) };
  const r = await runScript(spec, {
    log: opts.log, timeoutMs: p.timeoutMs, timeoutSignal: 'SIGTERM',
    ...(opts.users ? { users: opts.users } : {}), ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const signal = r.signal ? constants.signals[r.signal] : undefined;
  const v = miscVerdict({ code: r.code, timedOut: r.timedOut, ...(signal !== undefined ? { signal } : {}), ...(r.error ? { error: r.error } : {}) }, p.dynamic);
  return r.error ? { ...v, code: 'CHECK_PROBE' } : v;
}
