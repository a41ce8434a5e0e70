/**
 * syslog, as keepalived logs by default (openlog(ident, LOG_PID, facility) and syslog(3)):
 * each line one datagram to the local syslog socket, /dev/log, in the format glibc writes:
 *   `<30>Dec  4 22:51:07 keepalived-ts[4242]: [vrrp VI_1] Entering MASTER STATE ...`
 * (`<N>` is facility * 8 + severity; local time; the text as the console's readable lines
 * without their time and level). rsyslog and journald both listen there.
 *
 * A pino destination that never blocks the daemon: the datagram is sent with MSG_DONTWAIT, and
 * a line the socket cannot take (a stalled or restarting syslog daemon, no socket at all) is
 * dropped and counted, never retried. Where nobody listens (no /dev/log: a container, a guest
 * without a syslog daemon), sending pauses for NO_LISTENER_PAUSE_MS and the lines meanwhile are
 * dropped and counted unread (one each) and without a system call: three system calls and a
 * thrown error per line held a checker's main thread for minutes over the 50,000 "Activating healthchecker" lines of
 * its start, in a guest where a system call costs a millisecond (bench/RESULTS.md, footprint).
 */
import { lstatSync } from 'node:fs';
import type { DestinationStream } from 'pino';
import { errnoCode, unixDgramSend } from './native.js';

/** Where glibc's syslog(3) sends. */
export const SYSLOG_SOCKET = '/dev/log';

/** How long sending pauses after the socket said nobody listens there. */
export const NO_LISTENER_PAUSE_MS = 10_000;

/** sendto's answers that mean nobody listens at the path (not a full socket: EAGAIN, ENOBUFS). */
const NO_LISTENER = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK', 'EPROTOTYPE', 'ENOTDIR']);

/** syslog facilities by the names `-S` takes (0-7 are local0-7, keepalived's LOG_FACILITY table). */
const FACILITY: Readonly<Record<string, number>> = {
  user: 1, daemon: 3,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

/** The facility code of `-S SPEC` (undefined: keepalived's default, daemon). */
export function facilityCode(spec: string | undefined): number {
  if (spec === undefined) return FACILITY.daemon!;
  const local = /^(?:local)?([0-7])$/.exec(spec);
  if (local) return 16 + Number(local[1]);
  const code = FACILITY[spec];
  if (code === undefined) throw new Error(`unknown syslog facility '${spec}'`);
  return code;
}

/** syslog severities of pino's levels (trace and debug: debug; fatal: crit) */
export const SEVERITY: Readonly<Record<string, number>> = { trace: 7, debug: 7, info: 6, warn: 4, error: 3, fatal: 2 };

/** Whether `path` is a socket (a syslog daemon listens there, or did). */
export function syslogSocketPresent(path: string = SYSLOG_SOCKET): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** glibc's RFC 3164 time stamp: `Dec  4 09:05:07` (local time, day padded with a space). */
export function syslogTime(d: Date): string {
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

export interface SyslogOptions {
  /** the facility code (facilityCode) */
  readonly facility: number;
  /** openlog's ident */
  readonly ident: string;
  /** the socket (default /dev/log) */
  readonly path?: string;
  readonly pid?: number;
  /** the text of one JSON line (without its time and level), and its level name */
  readonly text: (line: string) => { level: string; text: string };
  /** sends one datagram (default: the native AF_UNIX send, MSG_DONTWAIT) */
  readonly send?: (path: string, data: Buffer) => void;
  /** a line the socket did not take */
  readonly onDrop?: () => void;
  readonly now?: () => Date;
}

/**
 * A pino destination for syslog. A message of several lines (a configuration diagnostic with
 * its source line) goes as one datagram per line, each with the header, as syslog(3) callers
 * do, so no relay has to escape a newline.
 */
export function syslogDestination(o: SyslogOptions): DestinationStream {
  const path = o.path ?? SYSLOG_SOCKET;
  const pid = o.pid ?? process.pid;
  const send = o.send ?? ((p: string, data: Buffer): void => { unixDgramSend(p, data); });
  const now = o.now ?? ((): Date => new Date());
  /** nobody listened at the path: nothing is sent until the pause's timer ends it */
  let paused = false;
  const pause = (): void => {
    paused = true;
    // a timer, not a clock read per line: in a UML guest reading the clock is a system call
    setTimeout(() => {
      paused = false;
    }, NO_LISTENER_PAUSE_MS).unref();
  };
  return {
    write(chunk: string): void {
      for (const line of chunk.split('\n')) {
        if (!line) continue;
        if (paused) {
          // before the line is read: a paused destination costs nothing per line
          o.onDrop?.();
          continue;
        }
        const { level, text } = o.text(line);
        const head = `<${o.facility * 8 + (SEVERITY[level] ?? 6)}>${syslogTime(now())} ${o.ident}[${pid}]: `;
        for (const part of text.split('\n')) {
          if (paused) {
            o.onDrop?.();
            continue;
          }
          try {
            send(path, Buffer.from(head + part));
          } catch (e) {
            o.onDrop?.();
            if (NO_LISTENER.has(errnoCode(e))) pause();
          }
        }
      }
    },
  };
}
