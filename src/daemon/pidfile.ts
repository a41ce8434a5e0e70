/**
 * Pidfiles, as keepalived's (keepalived/core/pidfile.c): refuse to start when one names a live
 * process ("daemon is already running"), write ours (mode 0644, "PID\n"), remove it on exit.
 * The main process is also the VRRP process here, so it writes both `-p` and `-r`
 * (`writePidfiles`): every file is checked before any is written.
 */
import { readFileSync, unlinkSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { KtsError } from '../errors/index.js';

export const DEFAULT_PIDFILE = '/run/keepalived.pid';

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Throws DAEMON_PIDFILE when `path` names a live process other than this one. */
export function checkPidfile(path: string): void {
  if (!existsSync(path)) return;
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  } catch {
    return; // unreadable as a pidfile: writing it reports the real problem
  }
  if (alive(pid)) {
    // keepalived's words ("daemon is already running"), with the file and the pid
    throw new KtsError('DAEMON_PIDFILE', `${path}: daemon is already running as pid ${pid}`);
  }
}

export function writePidfile(path: string): void {
  writePidfiles([path]);
}

/** Checks every file first (none is written when one names a live daemon), then writes them all. */
export function writePidfiles(paths: readonly string[]): void {
  const unique = [...new Set(paths)];
  for (const p of unique) checkPidfile(p);
  for (const p of unique) {
    try {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, `${process.pid}\n`, { mode: 0o644 });
    } catch (e) {
      throw new KtsError('DAEMON_PIDFILE', `${p}: cannot write pidfile: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
  }
}

/** Removes `path` if it still names this process. */
export function removePidfile(path: string): void {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    if (pid === process.pid) unlinkSync(path);
  } catch { /* already gone */ }
}
