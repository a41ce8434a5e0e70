/**
 * The pidfile: refuse to start when it names a live process, write ours, remove it on exit.
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

export function writePidfile(path: string): void {
  if (existsSync(path)) {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    if (alive(pid)) {
      throw new KtsError('DAEMON_PIDFILE', `${path}: keepalived-ts is already running as pid ${pid}`);
    }
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${process.pid}\n`, { mode: 0o644 });
  } catch (e) {
    throw new KtsError('DAEMON_PIDFILE', `${path}: cannot write pidfile: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

export function removePidfile(path: string): void {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    if (pid === process.pid) unlinkSync(path);
  } catch { /* already gone */ }
}
