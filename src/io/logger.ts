/**
 * The one root logger (pino). Modules take child loggers that carry their scope as fields:
 * `rootLogger().child({ mod: 'vrrp', inst: 'VI_1', vrid: 51 })`. Secrets never reach the log.
 */
import { pino, type Logger } from 'pino';

let root: Logger | undefined;

export interface LoggerOptions {
  /** pino level (default info; `-D` gives debug). */
  readonly level?: string;
  /** Write to this file descriptor (default 2, stderr). */
  readonly fd?: number;
}

export function createRootLogger(opts: LoggerOptions = {}): Logger {
  root = pino(
    {
      level: opts.level ?? 'info',
      base: { name: 'keepalived-ts' },
      redact: { paths: ['authPass', '*.authPass', 'authentication.authPass', '*.authentication.authPass'], censor: '[redacted]' },
    },
    pino.destination({ fd: opts.fd ?? 2, sync: true }),
  );
  return root;
}

export function rootLogger(): Logger {
  return root ?? createRootLogger();
}
