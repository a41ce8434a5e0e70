/**
 * keepalived's process model without `-n` (keepalived/core/daemon.c xdaemon): the daemon goes
 * to the background, in a session of its own, in /, with stdin, stdout and stderr on
 * /dev/null, and the command returns. Node cannot fork, so the command starts itself again
 * with `--dont-fork`, detached, and waits for the daemon to say it is running (the same moment
 * it tells systemd READY=1) before it exits 0; if the daemon exits first, the command exits
 * with the daemon's code (keepalived's parent has exited 0 by then, whatever comes next: here
 * a broken configuration is an exit code at the prompt, and its reasons are in syslog).
 *
 * The background process learns the two things it needs from its environment, and removes
 * them at once so that scripts never see them: KTS_READY_FD, the pipe to tell "running" on,
 * and KTS_DETACHED_CWD, the directory the command was typed in (relative paths on the command
 * line are taken from there, not from /).
 */
import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

const READY_FD = 'KTS_READY_FD';
const DETACHED_CWD = 'KTS_DETACHED_CWD';

export interface DetachResult {
  /** the command's exit code: 0 once the daemon runs, else the daemon's own */
  readonly code: number;
  /** the daemon's pid */
  readonly pid?: number;
  /** why the daemon is not running, when it is not */
  readonly why?: string;
}

/**
 * Starts `script argv... --dont-fork` in the background (node with this process's flags) and
 * resolves once it is running or gone.
 */
export function detachDaemon(script: string, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<DetachResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [...process.execArgv, script, ...argv, '--dont-fork'], {
      cwd: '/', detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      env: { ...env, [READY_FD]: '3', [DETACHED_CWD]: process.cwd() },
    });
    let settled = false;
    const settle = (r: DetachResult): void => {
      if (settled) return;
      settled = true;
      child.stdio[3]?.destroy();
      child.removeAllListeners();
      child.unref();
      done(r);
    };
    child.stdio[3]?.on('data', () => settle({ code: 0, ...(child.pid !== undefined ? { pid: child.pid } : {}) }));
    child.stdio[3]?.on('error', () => undefined);
    child.on('error', (err) => settle({ code: 1, why: `cannot start the daemon: ${err.message}` }));
    child.on('exit', (code, signal) => settle({
      code: code ?? 1,
      why: signal ? `the daemon was killed by ${signal} before it was running` : `the daemon exited with code ${code} before it was running`,
    }));
  });
}

/** In the background process: where to say "running", and the command's directory (removed from the environment). */
export interface Detached {
  readonly readyFd: number;
  readonly cwd: string;
}

export function takeDetached(env: NodeJS.ProcessEnv = process.env): Detached | undefined {
  const fd = Number(env[READY_FD]);
  const cwd = env[DETACHED_CWD];
  delete env[READY_FD];
  delete env[DETACHED_CWD];
  if (!Number.isInteger(fd) || fd < 3 || !cwd || !isAbsolute(cwd)) return undefined;
  return { readyFd: fd, cwd };
}

/** A path from the command line, as the command meant it. */
export function fromCommandDir(d: Detached | undefined, path: string): string {
  return d ? resolve(d.cwd, path) : path;
}

/** Tells the waiting command that the daemon runs (once; later calls do nothing). */
export function signalRunning(d: Detached): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    try {
      writeSync(d.readyFd, 'R');
    } catch {
      // the command is gone (killed at the prompt): nothing waits any more
    }
    try {
      closeSync(d.readyFd);
    } catch {
      // already closed
    }
  };
}
