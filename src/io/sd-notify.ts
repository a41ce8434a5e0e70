/**
 * systemd's notify protocol (sd_notify(3)) for the main process: start-up complete, reload,
 * stop and status lines, sent as AF_UNIX datagrams to $NOTIFY_SOCKET (a path, or '@name' for
 * an abstract socket), and the watchdog keep-alive when $WATCHDOG_USEC asks for one.
 * Without $NOTIFY_SOCKET every call is a no-op, so the daemon runs the same by hand.
 *
 * Its methods are src/daemon/main.ts's `Lifecycle` (structurally: io/ never imports daemon/).
 * keepalived (lib/systemd.c) sends READY=1 with MAINPID, RELOADING=1, STOPPING=1; we add
 * STATUS= lines, MONOTONIC_USEC= with RELOADING=1 (systemd >= 253 wants it for
 * Type=notify-reload; older versions ignore it) and WATCHDOG=1.
 */
import { unixDgramSend } from './native.js';

export interface SdNotifyOptions {
  /** the environment to read NOTIFY_SOCKET / WATCHDOG_USEC / WATCHDOG_PID from */
  readonly env?: NodeJS.ProcessEnv;
  /** remove those three variables from `env`, so children (scripts, the checker child) never see them */
  readonly unsetEnvironment?: boolean;
  /** our pid (for MAINPID= and the WATCHDOG_PID check) */
  readonly pid?: number;
  /** sends one datagram (default: the native AF_UNIX send) */
  readonly send?: (socket: string, message: string) => void;
  /** CLOCK_MONOTONIC in microseconds (default: process.hrtime, which is CLOCK_MONOTONIC on Linux) */
  readonly monotonicUsec?: () => bigint;
  /** told once about the first failed send (systemd then never hears of us: worth a log line) */
  readonly onError?: (err: Error, message: string) => void;
}

export class SdNotifier {
  readonly socket: string | undefined;
  /** the keep-alive period in ms (half of WATCHDOG_USEC), or undefined when no watchdog is asked for */
  readonly watchdogIntervalMs: number | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private failed = false;
  private readonly pid: number;
  private readonly sendRaw: (socket: string, message: string) => void;
  private readonly monotonicUsec: () => bigint;
  private readonly onError: ((err: Error, message: string) => void) | undefined;

  constructor(opts: SdNotifyOptions = {}) {
    const env = opts.env ?? process.env;
    this.pid = opts.pid ?? process.pid;
    const socket = env.NOTIFY_SOCKET;
    this.socket = socket && (socket.startsWith('/') || socket.startsWith('@')) ? socket : undefined;
    this.watchdogIntervalMs = this.socket ? watchdogInterval(env, this.pid) : undefined;
    if (opts.unsetEnvironment) {
      delete env.NOTIFY_SOCKET;
      delete env.WATCHDOG_USEC;
      delete env.WATCHDOG_PID;
    }
    this.sendRaw = opts.send ?? ((path, message) => { unixDgramSend(path, Buffer.from(message)); });
    this.monotonicUsec = opts.monotonicUsec ?? (() => process.hrtime.bigint() / 1000n);
    this.onError = opts.onError;
  }

  /** Whether a service manager listens (NOTIFY_SOCKET was set). */
  get enabled(): boolean {
    return this.socket !== undefined;
  }

  /** Start-up complete: READY=1 with MAINPID, and starts the watchdog keep-alive. */
  ready(status = 'Running'): void {
    this.send(`READY=1\nMAINPID=${this.pid}\nSTATUS=${oneLine(status)}`);
    this.startWatchdog();
  }

  /** A reload begins. */
  reloading(): void {
    this.send(`RELOADING=1\nMONOTONIC_USEC=${this.monotonicUsec()}\nSTATUS=Reloading configuration`);
  }

  /** The reload is over (applied or refused): ready again. */
  reloaded(status = 'Running'): void {
    this.send(`READY=1\nSTATUS=${oneLine(status)}`);
  }

  stopping(): void {
    this.send('STOPPING=1\nSTATUS=Stopping');
  }

  status(text: string): void {
    this.send(`STATUS=${oneLine(text)}`);
  }

  /** Stops the keep-alive timer (it never holds the process open anyway). */
  close(): void {
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
  }

  private startWatchdog(): void {
    if (this.watchdogIntervalMs === undefined || this.watchdogTimer) return;
    this.send('WATCHDOG=1');
    this.watchdogTimer = setInterval(() => this.send('WATCHDOG=1'), this.watchdogIntervalMs);
    this.watchdogTimer.unref();
  }

  private send(message: string): void {
    if (!this.socket) return;
    try {
      this.sendRaw(this.socket, message);
    } catch (e) {
      if (this.failed) return;
      this.failed = true;
      this.onError?.(e as Error, message);
    }
  }
}

/** sd_watchdog_enabled(): half of WATCHDOG_USEC in ms, if it is for us (WATCHDOG_PID unset or ours). */
export function watchdogInterval(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isSafeInteger(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}
