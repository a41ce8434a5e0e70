/**
 * The checker side runs in a child process of its own, as keepalived's checker child does: a
 * flood of slow or failing health checks, a probe that blocks, or a crash in the checker can
 * never delay a VRRP advert of the parent. The parent starts it with an IPC channel; the child
 * stops when that channel closes (the parent died or is stopping), and the parent starts it
 * again if it dies on its own, after a short pause (keepalived restarts its children too).
 *
 * Over the same channel the parent asks the child for data (`request('handover')` -> the child's
 * `serveParent({ handover })` answers): one message out, one back, matched by id; no answer
 * within the timeout, or the child gone, rejects, never hangs. A handler that returns `Bytes`
 * (the rendered metrics, status) answers on the bulk pipe instead (bulk-frames.ts), and the
 * parent's `requestBytes` gets the chunks without parsing them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { KtsError } from '../errors/index.js';
import { FrameReader, frameHeader } from './bulk-frames.js';

/** The child's exit code for "cannot work with this configuration or kernel": not restarted. */
export const CHECKER_EXIT_FATAL = 2;

/** The child's end of the bulk pipe (stdio: ignore, out, err, ipc, bulk). */
const BULK_FD = 4;

/** A handler's answer sent as bytes on the bulk pipe, not as JSON on the IPC channel. */
export class Bytes {
  /** `data`: the answer, or its pieces in order (sent as one answer, without joining them) */
  constructor(readonly data: string | Buffer | readonly Buffer[]) {}
}

/** A request from the parent and the child's answer, on the IPC channel. */
interface IpcRequest {
  readonly kts: 'req';
  readonly id: number;
  readonly method: string;
  /** the method's argument (JSON), if it takes one */
  readonly arg?: unknown;
}
interface IpcResponse {
  readonly kts: 'res';
  readonly id: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}

/**
 * An event the parent tells the child of, with no answer: a BFD session went Up or Down
 * (BFD_CHECK), a VRRP instance changed state (announce_vip ... instance NAME).
 */
export type IpcEventBody =
  | { readonly type: 'bfd'; readonly name: string; readonly up: boolean }
  | { readonly type: 'vrrp'; readonly name: string; readonly state: string };
export type IpcEvent = IpcEventBody & { readonly kts: 'evt' };

/** Why `request()` failed: `CHECKER_TIMEOUT`, `CHECKER_DOWN`, or the child's `CHECKER_REQUEST`. */
export class CheckerRequestError extends KtsError {
  constructor(code: 'CHECKER_TIMEOUT' | 'CHECKER_DOWN' | 'CHECKER_REQUEST', message: string) {
    super(code, message);
    this.name = 'CheckerRequestError';
  }
}

interface Pending {
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export interface CheckerChildOptions {
  /** the CLI script and the arguments the child runs with (`--checker-child` is added) */
  readonly cli: string;
  readonly args: readonly string[];
  readonly nodeFlags?: readonly string[];
  readonly log: Logger;
  /** pause before a restart after the child died on its own (default 1 s) */
  readonly restartDelayMs?: number;
  /** -R: a child that died on its own is not started again; this is called instead */
  readonly onDied?: (code: number | null, signal: NodeJS.Signals | null) => void;
  /** the child cannot work (CHECKER_EXIT_FATAL): keepalived then stops the daemon */
  readonly onFatal?: (code: number) => void;
  /** the child (re)started and listens for events: what it must hear of first (the BFD sessions' states) */
  readonly onStarted?: () => void;
  /**
   * This process's console, taking whole lines of another process among its own (src/io/
   * logger.ts consoleForwarder): the child's stdout and stderr are then pipes read here, not
   * the console it would inherit. Two processes writing one pipe mix their lines whenever a
   * write is longer than PIPE_BUF, and the log destinations write up to 1 MB at a time.
   */
  readonly console?: (lines: Buffer) => void;
}

/** The pause between two reads of the child's console (checker-child.ts start). */
const FORWARD_GAP_MS = 1;

/** The longest a line without its newline is held before it is forwarded as it is. */
const MAX_PARTIAL_LINE = 1 << 20;

/**
 * A stream's bytes passed on in whole lines: what follows the last newline of a chunk waits for
 * the next one (up to MAX_PARTIAL_LINE), and is passed on, ended by a newline, at the end.
 */
export class WholeLines {
  private partial: Buffer[] = [];
  private partialLength = 0;

  constructor(private readonly out: (lines: Buffer) => void) {}

  push(chunk: Buffer): void {
    const nl = chunk.lastIndexOf(10);
    if (nl === -1) {
      this.partial.push(chunk);
      this.partialLength += chunk.length;
      if (this.partialLength >= MAX_PARTIAL_LINE) this.end();
      return;
    }
    const head = chunk.subarray(0, nl + 1);
    this.out(this.partial.length ? Buffer.concat([...this.partial, head]) : head);
    this.partial = nl + 1 < chunk.length ? [chunk.subarray(nl + 1)] : [];
    this.partialLength = chunk.length - nl - 1;
  }

  /** What is held, ended by a newline (the stream ended, or the line is too long). */
  end(): void {
    if (!this.partial.length) return;
    this.out(Buffer.concat([...this.partial, Buffer.from('\n')]));
    this.partial = [];
    this.partialLength = 0;
  }
}

export class CheckerChild {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** how many times the child died on its own and was started again */
  restarts = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** the child's start waits after its reading until release() (the daemon's first start) */
  private held = false;
  /** the child has read its configuration (it said so: sayConfigRead) */
  private readDone = false;
  private readWaiters: ((read: boolean) => void)[] = [];
  /** the child listened for events during a held start: onStarted once released */
  private readyHeld = false;
  /** the child read its configuration during a held start, and exited before release() */
  private diedHeld = false;
  private lastExit: number | null = null;
  private readonly frames = new FrameReader((id) => this.pending.has(id), (id, chunks) => this.settle(id, chunks));

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

  /**
   * Ask the child (`serveParent` there) and wait for its answer, at most `timeoutMs`. Rejects
   * with a CheckerRequestError when the child is not running, dies, errs or is too slow.
   */
  request<T = unknown>(method: string, timeoutMs: number, arg?: unknown): Promise<T> {
    const c = this.child;
    if (!c || !c.connected || this.stopping) return Promise.reject(new CheckerRequestError('CHECKER_DOWN', 'the checker process is not running'));
    const id = this.nextId;
    this.nextId = (this.nextId % 0xffff_ffff) + 1; // a bulk frame carries the id in 32 bits
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CheckerRequestError('CHECKER_TIMEOUT', `the checker process did not answer '${method}' within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      const msg: IpcRequest = { kts: 'req', id, method, ...(arg !== undefined ? { arg } : {}) };
      try {
        c.send(msg, (err) => {
          if (err) this.settle(id, undefined, new CheckerRequestError('CHECKER_DOWN', `cannot reach the checker process: ${err.message}`));
        });
      } catch (e) {
        this.settle(id, undefined, new CheckerRequestError('CHECKER_DOWN', `cannot reach the checker process: ${(e as Error).message}`));
      }
    });
  }

  /**
   * Ask for an answer the child gives as `Bytes`: its chunks, as they came off the bulk pipe.
   * Rejects as `request` does, and when the child answered with a value instead.
   */
  async requestBytes(method: string, timeoutMs: number, arg?: unknown): Promise<readonly Buffer[]> {
    const v = await this.request<unknown>(method, timeoutMs, arg);
    if (!Array.isArray(v) || !v.every((c) => Buffer.isBuffer(c))) {
      throw new CheckerRequestError('CHECKER_REQUEST', `the checker process answered '${method}' with a value, not bytes`);
    }
    return v as Buffer[];
  }

  /** Tell the child of an event; a child that is not running hears of it at its start (onStarted). */
  event(e: IpcEventBody): void {
    const c = this.child;
    if (!c || !c.connected || this.stopping) return;
    try {
      c.send({ kts: 'evt', ...e } satisfies IpcEvent, (err) => void err);
    } catch {
      // the child is going; it hears the state again when it starts
    }
  }

  private settle(id: number, value: unknown, err?: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(value);
  }

  private onMessage = (m: unknown): void => {
    const kind = (m as { kts?: unknown } | null)?.kts;
    // the child listens for events now (onParentEvent): a message sent before would be lost;
    // a held start tells it the states once this side runs (release)
    if (kind === 'ready') {
      if (this.held) this.readyHeld = true;
      else this.opts.onStarted?.();
      return;
    }
    if (kind === 'configRead') {
      this.readDone = true;
      for (const w of this.readWaiters.splice(0)) w(true);
      if (!this.held) this.go();
      return;
    }
    const r = m as Partial<IpcResponse> | null;
    if (!r || typeof r !== 'object' || r.kts !== 'res' || typeof r.id !== 'number') return;
    if (r.ok) this.settle(r.id, r.value);
    else this.settle(r.id, undefined, new CheckerRequestError('CHECKER_REQUEST', String(r.error ?? 'request failed')));
  };

  private failPending(why: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, undefined, new CheckerRequestError('CHECKER_DOWN', why));
  }

  /**
   * Resolves true once the child has read its configuration, false if it exited before (it could
   * not read it: its log says why, and its exit status is `exitCode`).
   */
  configRead(): Promise<boolean> {
    if (this.readDone) return Promise.resolve(true);
    if (!this.child) return Promise.resolve(false);
    return new Promise((resolve) => this.readWaiters.push(resolve));
  }

  /** The exit status of the child that went last (null before, or when a signal ended it). */
  get exitCode(): number | null {
    return this.lastExit;
  }

  /** A start that was held (`start(true)`) goes on from its reading (this side runs now). */
  release(): void {
    this.held = false;
    if (this.diedHeld) {
      this.diedHeld = false;
      this.opts.log.error({ code: this.lastExit }, 'Healthcheck child process exited before the daemon started, restarting');
      this.restarts++;
      this.start();
      return;
    }
    if (this.readyHeld) {
      this.readyHeld = false;
      this.opts.onStarted?.();
    }
    if (this.readDone) this.go();
  }

  private go(): void {
    try {
      this.child?.send({ kts: 'go' }, (err) => void err);
    } catch {
      // the child is going; its exit says what happened
    }
  }

  /**
   * `hold`: the child reads its configuration and then waits for release() (the daemon's first
   * start: its VRRP side starts only once the checker side has found the file runnable, and
   * the startup script runs between the two). A restarted child goes straight on.
   */
  start(hold = false): void {
    if (this.stopping) return;
    this.held = hold;
    this.readDone = false;
    this.readyHeld = false;
    this.diedHeld = false;
    const { cli, args, nodeFlags = [], log } = this.opts;
    const out = this.opts.console ? 'pipe' : 'inherit';
    const child = spawn(process.execPath, [...nodeFlags, cli, ...args, '--checker-child'], {
      stdio: ['ignore', out, out, 'ipc', 'pipe'],
    });
    this.child = child;
    const forward = this.opts.console;
    if (forward) {
      for (const stream of [child.stdout, child.stderr]) {
        if (!stream) continue;
        const lines = new WholeLines(forward);
        stream.on('data', (c: Buffer) => {
          lines.push(c);
          // a pause between two reads: this process runs its adverts at SCHED_RR, where
          // RLIMIT_RTTIME counts the CPU it uses without sleeping, and a checker's start at
          // 50,000 real servers writes 12 MB of lines; the loop sleeps in this gap
          stream.pause();
          setTimeout(() => stream.resume(), FORWARD_GAP_MS).unref();
        });
        stream.on('end', () => lines.end());
        stream.on('error', () => undefined); // the child's exit says what happened
        (stream as Partial<Socket>).unref?.();
      }
    }
    log.info({ pid: child.pid }, 'Starting Healthcheck child process');
    child.on('message', this.onMessage);
    this.frames.reset();
    const bulk = child.stdio[BULK_FD] as Readable | null;
    if (bulk) {
      bulk.on('data', (c: Buffer) => {
        if (this.child === child) this.frames.push(c);
      });
      bulk.on('error', () => undefined); // the child's exit says what happened
      (bulk as Partial<Socket>).unref?.();
    }
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      this.lastExit = code;
      this.failPending('the checker process exited');
      if (this.held) {
        // held at the daemon's first start: no restart and no callback before release(). A
        // reading that failed ends the start (configRead); a child that had read and died
        // since is started again at release
        if (this.readDone) this.diedHeld = true;
        else this.stopping = true;
        for (const w of this.readWaiters.splice(0)) w(false);
        return;
      }
      if (this.stopping) return;
      if (code === CHECKER_EXIT_FATAL) {
        // keepalived (lib/scheduler.c report_child_status): the whole daemon terminates, so
        // that the peer takes over a director that cannot balance (no IPVS, say)
        log.error({ pid: child.pid, code }, `pid ${child.pid} exited with permanent error FATAL. Terminating`);
        this.opts.onFatal?.(code);
        return;
      }
      if (this.opts.onDied) {
        log.error({ pid: child.pid, code, signal }, 'Healthcheck child process exited; not restarting it (--dont-respawn)');
        this.opts.onDied(code, signal);
        return;
      }
      this.restarts++;
      log.error({ pid: child.pid, code, signal }, 'Healthcheck child process exited, restarting');
      this.restartTimer = setTimeout(() => this.start(), this.opts.restartDelayMs ?? 1000);
    });
    child.on('error', (err) => log.error({ err: err.message }, 'Healthcheck child process could not be started'));
  }

  /** Ask the child to stop (SIGTERM; SIGKILL after `graceMs`, keepalived's child_wait_time) and wait until it has. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // a forwarded console: its last lines too (the pipes close after the exit)
    const exited = new Promise<void>((res) => child.once(this.opts.console ? 'close' : 'exit', () => res()));
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

/** How long an answer is written straight to the bulk pipe before the rest is left to its stream. */
const DIRECT_WRITE_MS = 20;

/**
 * A frame on the bulk pipe: as much as the socket takes now, written at once, then the rest
 * through the pipe's stream. Written only through the stream, an answer of megabytes went a
 * socket buffer (about 200 KB) per turn of this process's event loop, and a busy checker's
 * turns are long: at 5,000 real servers in the guest bench, 1.6 MB of metrics reached the VRRP
 * process after its one-second wait, scrape after scrape (bench/RESULTS.md, checkers). The VRRP
 * process reads as soon as data comes (as a real-time process it is woken at once), so the
 * socket rarely stays full; if it does for DIRECT_WRITE_MS, the stream takes the rest. Only
 * when the stream has nothing queued: a frame's bytes never overtake an earlier one's.
 */
export function writeFrame(pipe: Socket, fd: number, parts: readonly Buffer[]): void {
  let i = 0;
  let offset = 0;
  if (pipe.writableLength === 0) {
    const until = performance.now() + DIRECT_WRITE_MS;
    while (i < parts.length) {
      const part = parts[i]!;
      if (offset === part.length) {
        i++;
        offset = 0;
        continue;
      }
      try {
        offset += writeSync(fd, part, offset);
      } catch (e) {
        // the socket is full: the reader is about to take some, unless it is held up
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        if (performance.now() > until) break;
      }
    }
  }
  if (i === parts.length) return;
  pipe.cork();
  pipe.write(offset > 0 ? parts[i]!.subarray(offset) : parts[i]!);
  for (let j = i + 1; j < parts.length; j++) pipe.write(parts[j]!);
  pipe.uncork();
}

/** What the child answers the parent's requests with (e.g. `{ view: () => daemon.view() }`). */
export type ParentHandlers = Readonly<Record<string, (arg: unknown) => unknown>>;

/**
 * In the child: answer the parent's `request()`s with `handlers`. A missing method or a
 * handler that throws is answered with an error; nothing here throws. Returns false when this
 * process has no parent channel (run by hand with -C).
 */
export function serveParent(handlers: ParentHandlers): boolean {
  if (!process.connected || !process.send) return false;
  const reply = (res: IpcResponse): void => {
    try {
      if (process.connected) process.send!(res, (err: Error | null) => void err);
    } catch {
      // the parent is gone; watchParent() stops this process
    }
  };
  let bulk: Socket | null | undefined;
  const bulkPipe = (): Socket | null => {
    if (bulk === undefined) {
      try {
        bulk = new Socket({ fd: BULK_FD, readable: false, writable: true });
        bulk.on('error', () => {
          bulk = null;
        });
        bulk.unref();
      } catch {
        bulk = null; // started by a parent without the pipe
      }
    }
    return bulk;
  };
  const answer = (id: number, value: unknown): void => {
    if (!(value instanceof Bytes)) return reply({ kts: 'res', id, ok: true, value });
    const pipe = bulkPipe();
    if (!pipe) return reply({ kts: 'res', id, ok: false, error: 'no bulk pipe to the parent' });
    const { data } = value;
    try {
      const body = typeof data === 'string' ? [Buffer.from(data)] : Buffer.isBuffer(data) ? [data] : data;
      writeFrame(pipe, BULK_FD, [frameHeader(id, body.reduce((n, b) => n + b.length, 0)), ...body]);
    } catch (e) {
      reply({ kts: 'res', id, ok: false, error: `bulk pipe: ${(e as Error).message}` });
    }
  };
  process.on('message', (m: unknown) => {
    const q = m as Partial<IpcRequest> | null;
    if (!q || typeof q !== 'object' || q.kts !== 'req' || typeof q.id !== 'number' || typeof q.method !== 'string') return;
    const id = q.id;
    const h = Object.prototype.hasOwnProperty.call(handlers, q.method) ? handlers[q.method] : undefined;
    if (!h) {
      reply({ kts: 'res', id, ok: false, error: `unknown request '${q.method}'` });
      return;
    }
    Promise.resolve(q.arg).then(h).then(
      (value) => answer(id, value),
      (e: unknown) => reply({ kts: 'res', id, ok: false, error: (e as Error)?.message ?? String(e) }),
    );
  });
  // listening must not keep the event loop alive on its own either (as watchParent)
  process.channel?.unref();
  return true;
}

/** The parent's go, listened for from the moment the child said it had read its configuration. */
let parentGoes: Promise<void> | undefined;

/**
 * In the child, once its configuration is read: tell the parent (its held start goes on,
 * CheckerChild.configRead), and listen for its go from now on (parentGo). No parent channel
 * (-C by hand): nothing to tell.
 */
export function sayConfigRead(): void {
  if (parentGoes || !process.connected || !process.send) return;
  parentGoes = new Promise<void>((resolve) => {
    // the wait holds the event loop open: the channel does not (watchParent and the others
    // unref it), and a child whose loop ran empty here exited while its parent still read
    const holding = setInterval(() => undefined, 1 << 30);
    // a parent gone before the go: nothing holds the loop for it (watchParent stops the process)
    const onGone = (): void => clearInterval(holding);
    const onGo = (m: unknown): void => {
      if ((m as { kts?: unknown } | null)?.kts !== 'go') return;
      process.off('message', onGo);
      process.off('disconnect', onGone);
      clearInterval(holding);
      resolve();
    };
    process.on('message', onGo);
    process.once('disconnect', onGone);
  });
  try {
    process.send({ kts: 'configRead' }, (err: Error | null) => void err);
  } catch {
    // the parent is gone; watchParent() stops this process
  }
}

/**
 * In the child: the parent's go (its startup script has run and its VRRP side has started);
 * at once without a parent channel.
 */
export function parentGo(): Promise<void> {
  return parentGoes ?? Promise.resolve();
}

/** In the child: the parent's events (`CheckerChild.event`). Returns false without a parent channel. */
export function onParentEvent(handler: (e: IpcEvent) => void): boolean {
  if (!process.connected) return false;
  process.on('message', (m: unknown) => {
    const e = m as { kts?: unknown; type?: unknown; name?: unknown; up?: unknown; state?: unknown } | null;
    if (!e || typeof e !== 'object' || e.kts !== 'evt' || typeof e.name !== 'string') return;
    if (!(e.type === 'bfd' && typeof e.up === 'boolean') && !(e.type === 'vrrp' && typeof e.state === 'string')) return;
    try {
      handler(e as IpcEvent);
    } catch {
      // a handler's failure is the handler's to log; the channel goes on
    }
  });
  process.channel?.unref();
  // tell the parent that events are heard from now on: it sends the current states then
  try {
    process.send?.({ kts: 'ready' }, (err: Error | null) => void err);
  } catch {
    // the parent is gone; watchParent() stops this process
  }
  return true;
}
