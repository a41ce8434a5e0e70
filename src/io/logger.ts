/**
 * The one root logger (pino). Modules take child loggers that carry their scope as fields:
 * `rootLogger().child({ mod: 'vrrp', inst: 'VI_1', vrid: 51 })`. Secrets never reach the log
 * (pino redacts before any destination sees the line).
 *
 * Destinations, as keepalived's command line asks for them (src/cli.ts): syslog (/dev/log, by
 * default; src/io/syslog.ts); stderr, with `-l` or when it is journald's stream under systemd,
 * carrying JSON lines, or readable lines on a terminal (`-l` with stderr a TTY):
 *   `07:53:50.123 INFO  [vrrp VI_1] Entering MASTER STATE from=BACKUP prio=150`
 * and `-g FILE` adds a file of JSON lines.
 */
import { constants, fchmodSync, fstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type DestinationStream, type Logger, type StreamEntry } from 'pino';
import { SEVERITY, syslogDestination } from './syslog.js';

let root: Logger | undefined;

export interface LoggerOptions {
  /** pino level (default info; `-D` gives debug). */
  readonly level?: string;
  /** Write to this file descriptor (default 2, stderr). */
  readonly fd?: number;
  /** `fd` is a journald stream: lines start with their priority (default: JOURNAL_STREAM names it). */
  readonly journal?: boolean;
  /** 'json' lines (default) or 'readable' one-liners on `fd`. */
  readonly format?: 'json' | 'readable';
  /** Log to `fd` at all (default true; `-G` without `-l` turns it off). */
  readonly console?: boolean;
  /** Also append JSON lines to this file (`-g`). */
  readonly file?: string;
  /** Mode of the `-g` file (default 0600; keepalived: 0666 masked by its umask, 0177 unless -u). */
  readonly fileMode?: number;
  /** Also send each line to syslog (src/io/syslog.ts): keepalived's default, off with `-G`. */
  readonly syslog?: { readonly facility: number; readonly ident: string; readonly path?: string };
}

/**
 * Configuration fields that hold secrets (vrrp_instance `auth_pass`, the SSL key `password`):
 * redacted in every log line, and in `--print-config` unless `--show-secrets` is given.
 */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(['authPass', 'password']);
export const REDACTED = '[redacted]';

const REDACT = ['authPass', '*.authPass', 'authentication.authPass', '*.authentication.authPass', 'password', '*.password', '*.*.password'];

/** Log lines dropped because their destination stopped taking them or failed (see jsonDestination). */
let dropped = 0;
export function droppedLogLines(): number {
  return dropped;
}

type AsyncDestination = ReturnType<typeof pino.destination>;
const destinations: AsyncDestination[] = [];

/** Write out every buffered line now (tests; a caller about to close a log fd). */
export function flushLogs(): void {
  for (const d of destinations) {
    try {
      d.flushSync();
    } catch {
      // a destination that failed has had its lines counted as dropped
    }
  }
}

/**
 * Every buffered line written out, and the write already on its way finished too (flushSync
 * does not wait for that one): for a caller about to close a destination's fd (tests).
 */
export async function logsWritten(timeoutMs = 2000): Promise<void> {
  const t0 = Date.now();
  const busy = (): boolean => destinations.some((d) => (d as unknown as { _writing?: boolean })._writing === true);
  // the write on its way first: a flushSync meanwhile would put what follows it before it
  // (a file opened without O_APPEND is written at its offset)
  while (busy() && Date.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 1));
  flushLogs();
}

/** What a stalled destination may hold before lines are dropped (and counted). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * The most one write to a destination carries. sonic-boom's own default is 16 KB: one write
 * each turn of the event loop, so a burst of lines on a busy loop (a checker starting 50,000
 * real servers, whose loop turns slowly) drains at 16 KB a turn, and the lines after it (a
 * reload's) wait behind.
 */
const MAX_WRITE_BYTES = 1024 * 1024;

/** This process's console when it carries JSON lines (not a terminal, not journald's stream). */
let consoleLines: ((lines: Buffer) => void) | undefined;

/**
 * A writer of whole lines from another process (the checker child's console, src/daemon/
 * checker-child.ts) to this process's console, in turn with its own lines through the same
 * buffer; undefined when the console is a terminal (lines written one by one), journald's
 * stream (the child opens its own, src/io/journal-stream.ts) or off.
 */
export function consoleForwarder(): ((lines: Buffer) => void) | undefined {
  return consoleLines;
}

/**
 * A JSON-lines destination that never blocks the caller: lines are buffered and written from
 * libuv's thread pool, in order, so a stalled reader (journald, a full pipe, a slow disk)
 * cannot hold up an advert or a takeover, and a log line on the takeover path costs a copy
 * instead of a write. Whatever is buffered is written out when the process exits (pino
 * flushes its destinations on exit); past MAX_BUFFERED_BYTES lines are dropped and counted.
 */
function jsonDestination(fd: number): DestinationStream {
  // Buffers, not strings: sonic-boom appends a string line to a pending string of up to 16 KB
  // and measures that string's byte length each time, a flattening copy per line; its buffer
  // mode keeps a list. 50,000 lines at once (a checker's start): 11.2 s -> 5.5 s in the guest.
  const stream = pino.destination({ fd, sync: false, maxLength: MAX_BUFFERED_BYTES, maxWrite: MAX_WRITE_BYTES, contentMode: 'buffer' });
  // (in buffer mode its write takes a Buffer; its types know only the string form)
  const write = stream.write;
  stream.write = (data: string | Buffer): boolean => Reflect.apply(write, stream, [Buffer.isBuffer(data) ? data : Buffer.from(data)]) as boolean;
  // the lines of a dropped write, counted without copying it (a stalled destination drops
  // thousands a second)
  const lines = (data: unknown): number => {
    if (typeof data !== 'string' && !Buffer.isBuffer(data)) return 1;
    let n = 0;
    for (let i = data.indexOf('\n'); i !== -1; i = data.indexOf('\n', i + 1)) n++;
    return Math.max(1, n);
  };
  stream.on('drop', (data: unknown) => {
    dropped += lines(data);
  });
  // A write that fails (EBADF, EIO, ENOSPC; pino itself silences EPIPE) makes the destination
  // give up, as pino does on EPIPE: its later lines are counted as dropped and the daemon goes
  // on. (sonic-boom would retry such a write for ever in the flush pino makes at exit.)
  stream.on('error', (err: NodeJS.ErrnoException) => {
    dropped++;
    // said once, straight to stderr (which may be this very destination: then it is lost too)
    try {
      writeSync(2, `keepalived-ts: log destination fd ${fd} failed (${err.code ?? err.message}): its lines are dropped from now on\n`);
    } catch {
      // nowhere left to say it
    }
    stream.write = (data: string): boolean => {
      dropped += lines(data);
      return true;
    };
    stream.flushSync = (): void => {};
    stream.flush = (cb?: (err?: Error) => unknown): void => {
      cb?.();
    };
  });
  destinations.push(stream);
  return stream;
}


/**
 * Under systemd, stderr is a stream to journald when JOURNAL_STREAM names it (device:inode):
 * each line then starts with its syslog priority (`<3>` for an error, sd-daemon.h), which
 * journald takes off the line and keeps as its PRIORITY, so `journalctl -p err` finds errors.
 */
export function toJournal(fd: number, env: NodeJS.ProcessEnv = process.env): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (!m) return false;
  try {
    const st = fstatSync(fd, { bigint: true });
    return st.dev === BigInt(m[1]!) && st.ino === BigInt(m[2]!);
  } catch {
    return false;
  }
}

/** `<N>` in front of each JSON line, N its syslog priority. */
export function withSyslogPriority(stream: DestinationStream): DestinationStream {
  const write = stream.write.bind(stream);
  stream.write = (line: string): void => {
    const level = /^\{"level":"(\w+)"/.exec(line)?.[1];
    write(`<${SEVERITY[level ?? ''] ?? 6}>${line}`);
  };
  return stream;
}

export function createRootLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const streams: StreamEntry[] = [];
  consoleLines = undefined;
  if (opts.console ?? true) {
    const fd = opts.fd ?? 2;
    const json = (): DestinationStream => {
      const d = jsonDestination(fd);
      if (opts.journal ?? toJournal(fd)) return withSyslogPriority(d);
      // read at each call: a destination that failed has replaced its write (dropped, counted)
      consoleLines = (lines) => void (d.write as (data: string | Buffer) => boolean)(lines);
      return d;
    };
    streams.push({ level: 'trace', stream: opts.format === 'readable' ? readableDestination(fd) : json() });
  }
  if (opts.syslog) {
    const onDrop = (): void => { dropped++; };
    streams.push({ level: 'trace', stream: syslogDestination({ ...opts.syslog, text: syslogText, onDrop }) });
  }
  if (opts.file) {
    // opened here, synchronously: the destination is ready for the exit-time flush at once
    streams.push({ level: 'trace', stream: jsonDestination(openLogFile(opts.file, opts.fileMode ?? 0o600)) });
  }
  // "level":"info": level names, not pino's numbers, for jq and for people
  const options = { level, base: { name: 'keepalived-ts' }, redact: { paths: REDACT, censor: REDACTED }, formatters: { level: (label: string) => ({ level: label }) } };
  if (streams.length === 0) root = pino({ ...options, enabled: false });
  else if (streams.length === 1) root = pino(options, streams[0]!.stream);
  else root = pino(options, pino.multistream(streams));
  return root;
}

/**
 * The `-g` file as keepalived opens it (lib/utils.c `fopen_safe`, mode "a"): appended, never
 * through a symbolic link (a local user cannot point it at a system file), and given `mode`
 * even when it was there with a wider one (log lines carry addresses and script output).
 */
function openLogFile(path: string, mode: number): number {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, mode);
  fchmodSync(fd, mode);
  return fd;
}

export function rootLogger(): Logger {
  return root ?? createRootLogger();
}

/** pino's level numbers (lines written before level names, other programs' lines) */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields that are part of the line's frame, not its data. */
const FRAME = new Set(['time', 'level', 'msg', 'name', 'pid', 'hostname', 'mod', 'inst']);

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function formatValue(v: unknown): string {
  if (typeof v === 'string') return v === '' || /[\s="]/.test(v) ? JSON.stringify(v) : v;
  if (v === null || typeof v !== 'object') return String(v);
  return JSON.stringify(v);
}

/**
 * One pino JSON line as `HH:MM:SS.mmm LEVEL [mod inst] message key=value ...` (local time;
 * the further lines of a multi-line message follow on their own lines).
 * A line that is not JSON is returned as it is.
 */
export function formatReadable(line: string): string {
  const r = readable(line);
  if (!r) return line.replace(/\n$/, '');
  const d = new Date(typeof r.o.time === 'number' ? r.o.time : Date.now());
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  return `${time} ${r.level.toUpperCase().padEnd(5)} ${r.text}`.trimEnd();
}

/** One JSON line as syslog's text: the readable line without its time and level. */
export function syslogText(line: string): { level: string; text: string } {
  const r = readable(line);
  return r ? { level: r.level, text: r.text } : { level: 'info', text: line.replace(/\n$/, '') };
}

/** A JSON line's level name and `[mod inst] message key=value ...` text (undefined: not JSON). */
function readable(line: string): { o: Record<string, unknown>; level: string; text: string } | undefined {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const level = typeof o.level === 'string' ? o.level : (LEVELS[o.level as number] ?? String(o.level)).toLowerCase();
  const scope = [o.mod, o.inst].filter((x) => x !== undefined && x !== null && x !== '').map(String);
  const parts: string[] = [];
  if (scope.length) parts.push(`[${scope.join(' ')}]`);
  // a multi-line message (a config diagnostic with its source line) keeps its first line in
  // front of the fields and its other lines below
  const [head = '', ...rest] = (typeof o.msg === 'string' ? o.msg : '').split('\n');
  parts.push(head);
  for (const [k, v] of Object.entries(o)) {
    if (!FRAME.has(k) && v !== undefined) parts.push(`${k}=${formatValue(v)}`);
  }
  return { o, level, text: [parts.join(' ').trimEnd(), ...rest].join('\n') };
}

/** A pino destination writing readable lines to `fd`, synchronously (a terminal, `-l`). */
export function readableDestination(fd: number): DestinationStream {
  return {
    write(chunk: string): void {
      for (const line of chunk.split('\n')) {
        if (line) writeSync(fd, `${formatReadable(line)}\n`);
      }
    },
  };
}
