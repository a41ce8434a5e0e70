/**
 * SMTP_CHECK (check_smtp.c): read the 220 banner, send `HELO name`, expect 250, send QUIT and
 * read one more line. A reply's status is its first three digits followed by a blank or the
 * end of the line (so a `220-` continuation line is a bad banner, as in keepalived).
 */
import type { Checker } from '../config/model.js';
import { pair } from './format.js';
import type { CheckerKind } from './kind.js';

type SmtpChecker = Extract<Checker, { type: 'SMTP_CHECK' }>;

export const SMTP_DEFAULT_HELO = 'smtpchecker.keepalived.org';

/** The status code of one reply line (without its newline), or -1 when it has none. */
export function smtpStatus(line: string): number {
  const m = /^([0-9]{3})(?: |\r?$)/.exec(line);
  return m ? Number(m[1]) : -1;
}

/** The dialogue as steps: what to expect (status), then what to send, with keepalived's error text. */
export interface SmtpStep {
  /** status the line read at this step must carry; undefined: any line (the QUIT reply) */
  readonly expect?: number;
  /** sent after a good line; undefined: the dialogue ends */
  readonly send?: string;
  /** failure text when the status differs ("%s" is the server as [ip]:port) */
  readonly bad?: string;
}

export function smtpDialogue(heloName: string): readonly SmtpStep[] {
  return [
    { expect: 220, send: `HELO ${heloName}\r\n`, bad: 'Bad greeting banner from server %s' },
    { expect: 250, send: 'QUIT\r\n', bad: 'Bad HELO response from server %s' },
    {},
  ];
}

/** keepalived's SMTP failure texts, with the server filled in. */
export function smtpError(template: string, host: string, port: number): string {
  return template.replace('%s', pair(host, port));
}

export const SMTP_ERRORS = {
  readTimeout: 'Read timeout from server %s',
  readFailure: 'Read failure from server %s',
  writeTimeout: 'Write timeout to server %s',
  writeFailure: 'Write failure to server %s',
  connectError: 'Error connecting to server %s',
  connectTimeout: 'Connection timeout to server %s',
  connectFailure: 'Could not connect to server %s',
} as const;

export const smtpKind: CheckerKind = {
  defaultRetry: 1,
  defaultDelayBeforeRetryMs: 1000,
  retryWhileDown: true,
  plan: ({ checker, conn }) => ({ type: 'SMTP_CHECK', conn, heloName: (checker as SmtpChecker).heloName ?? SMTP_DEFAULT_HELO }),
  successLog: (n) => `Remote SMTP server ${n.chk} succeed on service.`,
  failLog: (_n, _retry, _hasRun, r) => `SMTP_CHECK ${r.detail ?? 'failed'}`,
  attemptLog: (_n, r) => `SMTP_CHECK ${r.detail ?? 'failed'}`,
  alertBody: (up, r) => (up ? '=> CHECK succeed on service <=' : r.detail ? `=> CHECK failed on service : ${r.detail} <=` : '=> CHECK failed on service <='),
};
