/**
 * The one error base class of keepalived-ts. Every thrown error carries a stable
 * `code` listed in docs/errors.md (test/unit/errors/catalog.test.ts enforces it).
 * This module imports nothing.
 */

/** Every stable error code. Keep docs/errors.md in step (a test checks both ways). */
export const ERROR_CODES = [
  // configuration (see src/config/diagnostics.ts for the keepalived class of each)
  'CONFIG_SYNTAX',
  'CONFIG_UNKNOWN_KEYWORD',
  'CONFIG_UNSUPPORTED',
  'CONFIG_RANGE',
  'CONFIG_VALUE',
  'CONFIG_MISSING',
  'CONFIG_DUPLICATE',
  'CONFIG_REFERENCE',
  'CONFIG_CONFLICT',
  'CONFIG_INCLUDE',
  'CONFIG_FILE',
  'CONFIG_INTERFACE',
  'CONFIG_SCRIPT',
  'CONFIG_SECURITY',
  'CONFIG_DEPRECATED',
  'CONFIG_WARNING',
  // command line
  'CLI_USAGE',
  // the daemon
  'DAEMON_CONFIG',
  'DAEMON_INTERFACE',
  'DAEMON_SOCKET',
  'DAEMON_PIDFILE',
  // the kernel: rtnetlink (addresses, routes, rules, links) and sysctls
  'RTNL_SOCKET',
  'RTNL_REQUEST',
  'RTNL_UNSUPPORTED',
  'SYSCTL_WRITE',
  // native I/O (src/io/native.ts)
  'NATIVE_UNAVAILABLE',
  'IO_SYSCALL',
  // scripts and trackers (src/io/script-runner.ts, notify.ts, track-file.ts)
  'SCRIPT_REFUSED',
  'NOTIFY_FIFO',
  'TRACK_FILE',
  // IPVS through generic netlink (src/io/ipvs-genl.ts) and the checkers (src/check, src/io/probe-*)
  'IPVS_UNAVAILABLE',
  'IPVS_SOCKET',
  'IPVS_REQUEST',
  'IPVS_REPLY',
  'CHECK_PROBE',
  'CHECK_SCRIPT',
  'CHECK_SSL_CONTEXT',
  'SMTP_ALERT',
  // the checker child's IPC and the control socket (src/daemon/checker-child.ts, src/control/server.ts)
  'CHECKER_TIMEOUT',
  'CHECKER_DOWN',
  'CHECKER_REQUEST',
  'CONTROL_UNREACHABLE',
  // generic
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class KtsError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'KtsError';
  }
}
