/**
 * `startup_script` and `shutdown_script`, run by the main process as keepalived 2.2.7 runs them
 * (core/main.c run_startup_script, stop_keepalived): the startup script before VRRP and the
 * checkers start, the shutdown script once they stopped, each waited for up to its timeout
 * (`startup_script_timeout`, `shutdown_script_timeout`; 10 s), then SIGTERM to its process
 * group and SIGKILL 2 s later. Its exit status is only logged: the daemon starts (or ends)
 * whatever it is. Like every script it runs as the script user (its own `user` words, else
 * script_user, else keepalived_script or root) and is refused when script security finds it
 * unsafe. Started only at start and stop, never by a reload.
 */
import type { Logger } from 'pino';
import type { GlobalDefs } from '../config/model.js';
import { prepareScript, runScript } from '../io/script-runner.js';
import { ScriptUsers } from '../io/users.js';

/** keepalived's grace between the SIGTERM of a timeout and the SIGKILL (handle_child_timeout) */
const KILL_AFTER_MS = 2000;

/** Runs the startup or shutdown script of `g`, if it has one; resolves when it is over. Never throws. */
export async function runLifecycleScript(kind: 'startup' | 'shutdown', g: GlobalDefs, log: Logger): Promise<void> {
  const script = kind === 'startup' ? g.startupScript : g.shutdownScript;
  if (!script) return;
  const timeoutS = (kind === 'startup' ? g.startupScriptTimeoutS : g.shutdownScriptTimeoutS) ?? 10;
  const slog = log.child({ mod: 'script', lifecycle: kind });
  const users = ScriptUsers.host({ enableScriptSecurity: g.enableScriptSecurity, ...(g.scriptUser ? { scriptUser: g.scriptUser } : {}) });
  const prepared = prepareScript(script, { users, log: slog });
  if (!prepared.ok) {
    slog.error({ command: script.argv[0], problem: prepared.error.kind }, `${kind} script not run: ${prepared.error.message}`);
    return;
  }
  slog.info({ command: prepared.value.argv[0], timeoutS }, `Running ${kind} script ${prepared.value.argv[0]}`);
  const r = await runScript(prepared.value, { log: slog, timeoutMs: timeoutS * 1000, timeoutSignal: 'SIGTERM', killAfterMs: KILL_AFTER_MS });
  if (r.error !== undefined) slog.error({ err: r.error }, `Call of ${kind} script ${prepared.value.argv[0]} failed`);
  else if (r.timedOut) slog.warn({ timeoutS, durationMs: Math.round(r.durationMs) }, `${kind} script timed out`);
  else if (r.code !== 0) slog.warn({ status: r.code, signal: r.signal }, `${kind} script failed, status ${r.code ?? r.signal}`);
  else slog.info({ durationMs: Math.round(r.durationMs) }, `${kind} script succeeded`);
}
