/**
 * Running scripts as keepalived does (lib/notify.c `system_call_script`, vrrp_scheduler.c
 * `vrrp_script_thread` / `vrrp_script_child_thread`), without ever blocking the event loop.
 *
 * - No shell: argv[0] is executed with the other words as its arguments. A bare name is
 *   searched in PATH (keepalived `find_path`: the first regular file the script's uid/gid may
 *   execute). A file without `#!` is run by /bin/sh (keepalived: libmagic check + system();
 *   here libuv's execvp does the same on ENOEXEC). Only a command starting with `<` or `>`
 *   (keepalived's "does this file open" test, e.g. `</dev/tcp/...`) goes through `/bin/sh -c`.
 * - As the script user: uid/gid from `ScriptUsers` (users.ts); in its own process group
 *   (a new session here: Node's `detached`), so a timeout kills the script's children too.
 * - Timeout: SIGTERM to the group, SIGKILL to the group `killAfterMs` (2 s) later; a script that
 *   dies of our SIGTERM also gets its group SIGKILLed. `timedOut` is then true.
 * - stdin is /dev/null. stdout/stderr go to /dev/null as in keepalived, except when the logger
 *   is at debug: then they are drained and the first 4 KiB of each are logged.
 * - A spawn that fails (ENOENT, EACCES, EPERM) gives a result with `error`, never a throw.
 *   keepalived's child exits 0 after a failed exec, so such a script counts as a success there
 *   (GitHub acassen/keepalived#2126); here `code` is null and the tracker reports a failure.
 * - Not reproducible without native code: keepalived's PR_SET_PDEATHSIG (scripts die with the
 *   daemon). Scripts here outlive a crashed daemon.
 *
 * `prepareScript` does the start-up work once (synchronous file checks): user lookup, PATH
 * search, realpath and the script-security refusal (`scriptSecurityProblem`).
 * `VrrpScriptTracker` (vrrp-script-tracker.ts) runs a vrrp_script on its interval with these.
 */
import { spawn } from 'node:child_process';
import { constants, realpathSync, statSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { MachineView } from '../config/validate.js';
import { hostMachine } from './host-machine.js';
import { err, ok, type Result } from '../util/result.js';
import { ScriptUsers, type ScriptCreds } from './users.js';

/** A script as the configuration gives it (config/model.ts `Script` fits). */
export interface ScriptSpec {
  readonly argv: readonly string[];
  readonly user?: string;
  readonly group?: string;
}

/** A script whose argv[0] is resolved and whose credentials are known (see prepareScript). */
export interface PreparedScript extends ScriptSpec {
  readonly creds: ScriptCreds;
}

export interface ScriptResult {
  /** Exit status, or null when killed by a signal or never started. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Killed because it ran past its timeout. */
  readonly timedOut: boolean;
  /** Killed because the caller aborted it (tracker stop, shutdown). */
  readonly aborted: boolean;
  readonly durationMs: number;
  /** errno code when the process could not be started. */
  readonly error?: string;
}

export interface RunOptions {
  readonly log: Logger;
  /** Kill after this long (undefined: never, as keepalived's notify scripts). */
  readonly timeoutMs?: number;
  /** First signal at the timeout: SIGTERM (vrrp_script) or SIGKILL (notify_stop). */
  readonly timeoutSignal?: 'SIGTERM' | 'SIGKILL';
  /** SIGKILL this long after a SIGTERM (keepalived: 2 s after a vrrp_script timeout). */
  readonly killAfterMs?: number;
  /** Extra environment (keepalived passes its own environment unchanged). */
  readonly env?: Readonly<Record<string, string>>;
  /** Credentials of unprepared scripts (default: the host's users, no script_user). */
  readonly users?: ScriptUsers;
  /** Abort: SIGTERM to the group, SIGKILL `killAfterMs` later. */
  readonly signal?: AbortSignal;
  /** Called once the process exists (fifo scripts keep their pid). */
  readonly onSpawn?: (pid: number) => void;
}

const OUTPUT_LOG_BYTES = 4096;
const DEFAULT_PATH = '/bin:/usr/bin'; // glibc _CS_PATH, used when PATH is unset

let hostUsers: ScriptUsers | undefined;

/** Run a script to completion. Never throws; never blocks the event loop. */
export async function runScript(script: ScriptSpec | PreparedScript, opts: RunOptions): Promise<ScriptResult> {
  const t0 = performance.now();
  let creds: ScriptCreds;
  let argv: readonly string[] = script.argv;
  if ('creds' in script) creds = script.creds;
  else {
    const c = (opts.users ?? (hostUsers ??= ScriptUsers.host())).resolve(script);
    if (!c.ok) {
      opts.log.error({ command: script.argv[0], reason: c.error }, 'script not run: no user to run it as');
      return { code: null, signal: null, timedOut: false, aborted: false, durationMs: performance.now() - t0, error: 'EUSER' };
    }
    creds = c.value;
    if (!viaShell(argv)) {
      const path = await findCommand(argv[0]!, creds);
      if (!path.ok) {
        opts.log.error({ command: argv[0], errno: path.error }, 'Error exec-ing command');
        return { code: null, signal: null, timedOut: false, aborted: false, durationMs: performance.now() - t0, error: path.error };
      }
      argv = [path.value, ...argv.slice(1)];
    }
  }
  return spawnScript(argv, creds, opts, t0);
}

function spawnScript(argv: readonly string[], creds: ScriptCreds, opts: RunOptions, t0: number): Promise<ScriptResult> {
  const log = opts.log;
  const drain = log.isLevelEnabled('debug');
  const [file, args] = viaShell(argv) ? ['/bin/sh', ['-c', shellCommand(argv)]] : [argv[0]!, argv.slice(1)];
  const self = { uid: process.geteuid?.(), gid: process.getegid?.() };
  return new Promise((resolve) => {
    let timedOut = false;
    let aborted = false;
    let termSent = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const child = spawn(file, args, {
      stdio: ['ignore', drain ? 'pipe' : 'ignore', drain ? 'pipe' : 'ignore'],
      detached: true,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      ...(creds.uid !== self.uid ? { uid: creds.uid } : {}),
      ...(creds.gid !== self.gid ? { gid: creds.gid } : {}),
    });
    const pid = child.pid;
    const finish = (r: Omit<ScriptResult, 'durationMs' | 'timedOut' | 'aborted'>) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ ...r, timedOut, aborted, durationMs: performance.now() - t0 });
    };
    const killGroup = (sig: NodeJS.Signals) => {
      if (pid === undefined) return;
      try {
        process.kill(-pid, sig);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') log.warn({ command: argv[0], pid, sig, errno: (e as NodeJS.ErrnoException).code }, 'cannot signal script process group');
      }
    };
    const terminate = (first: 'SIGTERM' | 'SIGKILL') => {
      killGroup(first);
      if (first === 'SIGTERM') {
        termSent = true;
        timers.push(setTimeout(() => killGroup('SIGKILL'), opts.killAfterMs ?? 2000));
      }
    };
    const onAbort = () => {
      if (settled || timedOut) return;
      aborted = true;
      terminate('SIGTERM');
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      // Only a failed spawn gets here (kill errors are handled in killGroup).
      log.error({ command: argv[0], errno: e.code }, 'Error exec-ing command');
      finish({ code: null, signal: null, error: e.code ?? 'EUNKNOWN' });
    });
    if (pid === undefined) return;
    opts.onSpawn?.(pid);
    log.debug({ command: argv[0], pid, uid: creds.uid, gid: creds.gid }, 'script started');
    if (drain) {
      drainOutput(child.stdout!, 'stdout', argv[0]!, pid, log);
      drainOutput(child.stderr!, 'stderr', argv[0]!, pid, log);
    }
    child.on('exit', (code, signal) => {
      // Our SIGTERM killed it: make sure its children go too (keepalived does the same).
      if (termSent && signal === 'SIGTERM') killGroup('SIGKILL');
      // A background child of the script may keep the pipes open: keep draining, but do not
      // let them hold the daemon's event loop.
      (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
      (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
      log.debug({ command: argv[0], pid, code, signal, timedOut }, 'script exited');
      finish({ code, signal });
    });
    if (opts.timeoutMs !== undefined && Number.isFinite(opts.timeoutMs)) {
      timers.push(setTimeout(() => {
        if (settled) return;
        timedOut = true;
        log.info({ command: argv[0], pid, timeoutMs: opts.timeoutMs }, 'script timed out');
        terminate(opts.timeoutSignal ?? 'SIGTERM');
      }, opts.timeoutMs));
    }
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort);
  });
}

function drainOutput(stream: NodeJS.ReadableStream & { unref?: () => void }, which: string, command: string, pid: number, log: Logger): void {
  let logged = 0;
  let dropped = 0;
  stream.on('data', (chunk: Buffer) => {
    if (logged < OUTPUT_LOG_BYTES) {
      const part = chunk.subarray(0, OUTPUT_LOG_BYTES - logged);
      logged += part.length;
      dropped += chunk.length - part.length;
      log.debug({ command, pid, stream: which, output: part.toString('utf8') }, 'script output');
    } else dropped += chunk.length;
  });
  stream.on('end', () => {
    if (dropped) log.debug({ command, pid, stream: which, droppedBytes: dropped }, 'script output truncated');
  });
  stream.on('error', () => {});
}

/** keepalived runs a command starting with `<` or `>` through the shell (a file-open test). */
export function viaShell(argv: readonly string[]): boolean {
  return /^[<>]/.test(argv[0] ?? '');
}

/** keepalived's cmd_str: words single-quoted, except a leading redirection. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map((w, i) => (i === 0 && /^[<>]/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** keepalived's is_executable(): may uid/gid execute a file with this mode/owner? */
export function isExecutable(st: Pick<Stats, 'mode' | 'uid' | 'gid'>, uid: number, gid: number): boolean {
  const m = st.mode;
  if (uid === 0) return (m & 0o111) !== 0;
  if (uid === st.uid) return (m & 0o100) !== 0;
  return gid === st.gid ? (m & 0o010) !== 0 : (m & 0o001) !== 0;
}

/** PATH search as keepalived's find_path (asynchronous: used on a script run). */
export async function findCommand(cmd: string, creds: ScriptCreds, pathEnv = process.env.PATH ?? DEFAULT_PATH): Promise<Result<string, string>> {
  if (cmd === '') return err('ENOENT');
  if (cmd.includes('/')) return ok(cmd);
  let denied = false;
  for (const dir of pathEnv.split(':')) {
    const p = join(dir || '.', cmd);
    try {
      const st = await stat(p);
      if (st.isFile() && isExecutable(st, creds.uid, creds.gid)) return ok(p);
      denied = true;
    } catch {
      // missing here: try the next directory
    }
  }
  return err(denied ? 'EACCES' : 'ENOENT');
}

function findCommandSync(cmd: string, creds: ScriptCreds, pathEnv = process.env.PATH ?? DEFAULT_PATH): Result<string, string> {
  if (cmd.includes('/')) return ok(cmd);
  let denied = false;
  for (const dir of pathEnv.split(':')) {
    const p = join(dir || '.', cmd);
    const st = statOrUndefined(p);
    if (!st) continue;
    if (st.isFile() && isExecutable(st, creds.uid, creds.gid)) return ok(p);
    denied = true;
  }
  return err(denied ? 'EACCES' : 'ENOENT');
}

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

export type ScriptProblemKind = 'user' | 'missing' | 'not-executable' | 'insecure';

export interface ScriptProblem {
  readonly kind: ScriptProblemKind;
  readonly message: string;
}

/**
 * Would keepalived refuse to run this resolved script file as these credentials?
 * (lib/notify.c `check_script_secure`.) The file must exist and be executable by uid/gid.
 * When the script runs with root privileges (uid 0, gid 0, or a set-uid/set-gid root file) and
 * `enable_script_security` is on, every component of its path and of its real path must be
 * owned by root and not writable by group (non-root group) or others — the same test as
 * `keepalived -t` (io/host-machine.ts `scriptStatus`). Synchronous: for start-up and reload.
 */
export function scriptSecurityProblem(path: string, creds: ScriptCreds, enableScriptSecurity: boolean, machine: MachineView = hostMachine()): ScriptProblem | undefined {
  const status = machine.scriptStatus(path);
  if (status === 'missing') return { kind: 'missing', message: `script '${path}' not found/accessible` };
  const st = statOrUndefined(path);
  if (!st) return { kind: 'missing', message: `script '${path}' not found/accessible` };
  if (status === 'not-executable' || !st.isFile() || !isExecutable(st, creds.uid, creds.gid)) {
    return { kind: 'not-executable', message: `script '${path}' is not executable for uid:gid ${creds.uid}:${creds.gid}` };
  }
  const privileged = creds.uid === 0 || creds.gid === 0
    || (st.uid === 0 && (st.mode & constants.S_IXUSR) !== 0 && (st.mode & 0o4000) !== 0)
    || (st.gid === 0 && (st.mode & constants.S_IXGRP) !== 0 && (st.mode & 0o2000) !== 0);
  if (privileged && enableScriptSecurity && status === 'insecure') {
    return { kind: 'insecure', message: `unsafe permissions found for script '${path}'` };
  }
  return undefined;
}

export interface PrepareOptions {
  readonly users: ScriptUsers;
  readonly machine?: MachineView;
  readonly log?: Logger;
}

/**
 * Start-up checks of one script, as keepalived's config load does: credentials, PATH search
 * ("resolved by path search" warning), realpath (keeping the configured file name when it
 * names the same file) and scriptSecurityProblem. A refusal means: do not run this script.
 */
export function prepareScript(script: ScriptSpec, opts: PrepareOptions): Result<PreparedScript, ScriptProblem> {
  const c = opts.users.resolve(script);
  if (!c.ok) return err({ kind: 'user', message: c.error });
  const creds = c.value;
  const cmd = script.argv[0] ?? '';
  if (viaShell(script.argv)) return ok({ argv: script.argv, creds });
  const found = findCommandSync(cmd, creds);
  if (!found.ok) {
    return err(found.error === 'EACCES'
      ? { kind: 'not-executable', message: `Permissions failure for script ${cmd} in path` }
      : { kind: 'missing', message: `Cannot find script ${cmd} in path` });
  }
  if (found.value !== cmd) opts.log?.warn({ command: cmd, path: found.value }, 'WARNING - script resolved by path search. Please specify full path.');
  const path = realScriptPath(found.value);
  const problem = scriptSecurityProblem(path, creds, opts.users.enableScriptSecurity, opts.machine);
  if (problem) return err(problem);
  return ok({ ...script, argv: [path, ...script.argv.slice(1)], creds });
}

/** realpath, keeping the configured file name if it is the same file (some programs look at $0). */
function realScriptPath(p: string): string {
  let real: string;
  try {
    real = realpathSync(p);
  } catch {
    return p;
  }
  if (basename(real) === basename(p)) return real;
  const keep = join(dirname(real), basename(p));
  const a = statOrUndefined(real);
  const b = statOrUndefined(keep);
  return a && b && a.dev === b.dev && a.ino === b.ino ? keep : real;
}
