/**
 * What differs between checker types in the generic retry/up/down machine (schedule.ts):
 * keepalived's per-type defaults, whether a failing probe is retried while the checker is
 * already down, and the log lines each type prints (check_tcp.c `tcp_epilog`, check_udp.c,
 * check_ping.c, check_smtp.c `smtp_final`, check_dns.c `dns_final`, check_misc.c).
 */
import type { Checker, CheckerCommon, RealServer, VirtualServer } from '../config/model.js';
import { formatIp } from '../util/ip.js';
import type { ConnPlan, ProbePlan, ProbeResult } from './types.js';

/** The names a checker's log lines use. */
export interface LogNames {
  /** FMT_CHK: the real server as `[ip]:proto:port` */
  readonly chk: string;
  /** FMT_VS */
  readonly vs: string;
}

export interface PlanCtx {
  readonly checker: Checker;
  readonly rs: RealServer;
  readonly vs: VirtualServer;
  readonly conn: ConnPlan;
  readonly delayLoopMs: number;
}

export interface CheckerKind {
  readonly defaultRetry: number;
  /** undefined: delay_loop (DNS_CHECK) */
  readonly defaultDelayBeforeRetryMs: number | undefined;
  /** a failed probe is retried even while the checker is down (TCP, SMTP) */
  readonly retryWhileDown: boolean;
  plan(ctx: PlanCtx): ProbePlan;
  /** logged when the checker comes up (or first succeeds) */
  successLog(n: LogNames, r: ProbeResult): string | undefined;
  /** logged when the checker goes down; `hasRun`: it had run before this result */
  failLog(n: LogNames, retry: number, hasRun: boolean, r: ProbeResult): string | undefined;
  /** one failed attempt while up, logged with log_all_failures; `retryIt` after counting it */
  attemptLog(n: LogNames, r: ProbeResult, retryIt: number, retry: number): string | undefined;
  /** the body of the email a reported result sends (smtp_alert), in keepalived's words */
  alertBody(up: boolean, r: ProbeResult): string;
  /**
   * Email on every reported result (the first one included), not only when the checker
   * changes: MISC_CHECK (check_misc.c tests no previous checker state)
   */
  readonly alertOnReport?: boolean;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** conn_opts: connect_ip/port default to the real server, timeouts checker -> RS -> VS -> 5 s. */
export function connPlan(c: CheckerCommon, rs: RealServer, vs: VirtualServer, defaultPort = 0): ConnPlan {
  const addr = c.connectIp ?? rs.address;
  const conn: {
    family: 'inet' | 'inet6'; host: string; port: number; timeoutMs: number;
    bindto?: string; bindPort?: number; bindIf?: string; fwmark?: number;
  } = {
    family: addr.family,
    host: formatIp(addr),
    port: c.connectPort ?? rs.port ?? vs.port ?? defaultPort,
    timeoutMs: c.connectTimeoutMs ?? rs.connectTimeoutMs ?? vs.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
  if (c.bindto) conn.bindto = formatIp(c.bindto);
  if (c.bindPort !== undefined) conn.bindPort = c.bindPort;
  if (c.bindIf !== undefined) conn.bindIf = c.bindIf;
  if (c.fwmark !== undefined) conn.fwmark = c.fwmark;
  return conn;
}

/** Retries in keepalived's words: "1 retry", "3 retries". */
export const retries = (n: number): string => `${n} ${n === 1 ? 'retry' : 'retries'}`;
