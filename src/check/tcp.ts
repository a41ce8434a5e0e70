/** TCP_CHECK: up when a connection is established within connect_timeout (check_tcp.c). */
import type { CheckerKind } from './kind.js';

export const tcpKind: CheckerKind = {
  defaultRetry: 1,
  defaultDelayBeforeRetryMs: 1000,
  retryWhileDown: true,
  plan: ({ conn }) => ({ type: 'TCP_CHECK', conn }),
  successLog: (n) => `TCP connection to ${n.chk} success.`,
  failLog: (n, retry, hasRun) =>
    retry && hasRun ? `TCP_CHECK on service ${n.chk} failed after ${retry} retries.` : `TCP_CHECK on service ${n.chk} failed.`,
  attemptLog: (n, r) => (r.detail === 'timeout' ? `TCP connection to ${n.chk} timeout.` : `TCP connection to ${n.chk} failed.`),
  alertBody: (up) => `=> TCP CHECK ${up ? 'succeed' : 'failed'} on service <=`,
};
