/**
 * The checker side runs in a child process of its own, as keepalived's checker child does: a
 * flood of slow or failing health checks, a probe that blocks, or a crash in the checker can
 * never delay a VRRP advert of the parent. The parent starts it with an IPC channel; the child
 * stops when that channel closes (the parent died or is stopping), and the parent starts it
 * again if it dies on its own, after a short pause (keepalived restarts its children too).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';

/** The child's exit code for "cannot work with this configuration or kernel": not restarted. */
export const CHECKER_EXIT_FATAL = 2;

export interface CheckerChildOptions {
  /** the CLI script and the arguments the child runs with (`--checker-child` is added) */
  readonly cli: string;
  readonly args: readonly string[];
  readonly nodeFlags?: readonly string[];
  readonly log: Logger;
  /** pause before a restart after the child died on its own (default 1 s) */
  readonly restartDelayMs?: number;
}

export class CheckerChild {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** how many times the child died on its own and was started again */
  restarts = 0;

  constructor(private readonly opts: CheckerChildOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** the child process is up (not stopped, not waiting to be restarted) */
  get running(): boolean {
    return this.child !== undefined && !this.stopping;
  }

  /** Pass a signal on to the child (HUP to reload, the dump signals); false if it is not running. */
  signal(sig: NodeJS.Signals | number): boolean {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return false;
    try {
      return c.kill(sig);
    } catch {
      return false;
    }
  }

  start(): void {
    if (this.stopping) return;
    const { cli, args, nodeFlags = [], log } = this.opts;
    const child = spawn(process.execPath, [...nodeFlags, cli, ...args, '--checker-child'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    log.info({ pid: child.pid }, 'Starting Healthcheck child process');
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      if (code === CHECKER_EXIT_FATAL) {
        // keepalived stops everything here; the VRRP side keeps its VIPs instead
        log.error({ pid: child.pid, code }, 'Healthcheck child process exited with a permanent error, not restarting it; VRRP carries on');
        return;
      }
      this.restarts++;
      log.error({ pid: child.pid, code, signal }, 'Healthcheck child process exited, restarting');
      this.restartTimer = setTimeout(() => this.start(), this.opts.restartDelayMs ?? 1000);
    });
    child.on('error', (err) => log.error({ err: err.message }, 'Healthcheck child process could not be started'));
  }

  /** Ask the child to stop (SIGTERM; SIGKILL after `graceMs`) and wait until it has. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((res) => child.once('exit', () => res()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * In the child: call `onOrphaned` when the parent's IPC channel closes (the parent is gone or
 * stopping). Returns false when this process has no parent channel (run by hand with -C).
 */
export function watchParent(onOrphaned: () => void): boolean {
  if (!process.connected) return false;
  process.once('disconnect', onOrphaned);
  // the channel must not keep the event loop alive on its own
  process.channel?.unref();
  return true;
}
