/**
 * A stream of its own to journald, for the checker child (the protocol of sd-journal's
 * sd_journal_stream_fd: a connection to /run/systemd/journal/stdout that starts with a header).
 *
 * Under systemd the child inherits the main process's stderr, journald's stream. Two processes
 * writing one stream socket mix their lines whenever a write is longer than the socket takes
 * at once: a destination writes up to 1 MB (src/io/logger.ts), and at 50,000 real servers the
 * checker's start is 12 MB of lines, so a VRRP line landed inside a checker line in the guest
 * bench. keepalived's processes each log through a socket of their own (syslog); here each has
 * a journald stream of its own, which journald also credits to its pid (the peer of the
 * connection). A child that cannot connect keeps the inherited stream.
 */
import { fstatSync } from 'node:fs';
import { connect } from 'node:net';

/** journald's socket for stdout streams (systemd's path). */
export const JOURNAL_STDOUT_SOCKET = '/run/systemd/journal/stdout';

/** The syslog priority a line without its own `<N>` gets (info). */
const DEFAULT_PRIORITY = 6;

export interface JournalStream {
  /** the connection's descriptor, for a destination that writes to a fd */
  readonly fd: number;
  /** JOURNAL_STREAM's form of it (device:inode): src/io/logger.ts toJournal */
  readonly id: string;
  /** Close the connection (tests; a process exiting closes it anyway). */
  close(): void;
}

/**
 * The header journald reads before the lines: identifier, unit (none: journald takes the
 * process's), default priority, whether lines carry `<N>` (they do), and no forwarding to
 * syslog, kmsg or the console (journald's own settings decide that).
 */
export const journalHeader = (identifier: string): string => `${identifier}\n\n${DEFAULT_PRIORITY}\n1\n0\n0\n0\n`;

/**
 * Connect to journald and send the header; undefined when there is no journald there or it does
 * not accept within `timeoutMs`. The connection is not read from (journald never writes to it)
 * and does not keep the event loop alive.
 */
export function openJournalStream(identifier: string, path = JOURNAL_STDOUT_SOCKET, timeoutMs = 1000): Promise<JournalStream | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ path });
    let settled = false;
    const done = (v: JournalStream | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!v) sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.on('error', () => done(undefined));
    sock.once('connect', () => {
      sock.pause();
      const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
      if (fd === undefined || fd < 0) return done(undefined);
      let id: string;
      try {
        const st = fstatSync(fd, { bigint: true });
        id = `${st.dev}:${st.ino}`;
      } catch {
        return done(undefined);
      }
      // the lines are written to the fd directly (the logger's destination): the header must be
      // in before the first of them
      sock.write(journalHeader(identifier), (err) => {
        if (err) return done(undefined);
        sock.unref();
        done({ fd, id, close: () => sock.destroy() });
      });
    });
  });
}
