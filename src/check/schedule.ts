/**
 * The retry / up / down machine of one checker, written once for every probe type except
 * HTTP_GET/SSL_GET (their URL round robin is in http.ts). keepalived 2.2.7 semantics
 * (check_tcp.c `tcp_epilog` and its siblings, check_data.c `validate_check_config`):
 *
 * - a success brings the checker up at once and clears the retry count;
 * - a failure is retried after delay_before_retry while retries are left (`retry`, counted
 *   in `retryIt`); when none are left the checker goes down and the next probe is a full
 *   delay_loop later;
 * - at start the retry budget is already used (`retryIt = retry`), so the first failure marks
 *   the real server down at once (also in alpha mode);
 * - TCP and SMTP keep retrying while down, the others probe once per delay_loop then.
 */
export interface RunState {
  isUp: boolean;
  hasRun: boolean;
  retryIt: number;
  /** HTTP: the URL being checked */
  urlIndex: number;
  /** HTTP: the URL that failed, -1 when none */
  failedUrl: number;
}

export interface Timing {
  readonly retry: number;
  readonly delayLoopMs: number;
  readonly delayBeforeRetryMs: number;
}

/** What one result did. `report`: keepalived called update_svr_checker_state(alive). */
export interface Outcome {
  report: boolean;
  alive: boolean;
  /** the checker's state as update_svr_checker_state saw it */
  wasUp: boolean;
  hadRun: boolean;
  /** the next probe starts this long after now */
  delayMs: number;
  /** a failed attempt that did not change the state (log_all_failures logs it) */
  attempt: boolean;
}

export function newOutcome(): Outcome {
  return { report: false, alive: false, wasUp: false, hadRun: false, delayMs: 0, attempt: false };
}

/** Applies one probe result to `s` and fills `out` (reused by the engine: no allocation). */
export function genericStep(s: RunState, t: Timing, retryWhileDown: boolean, ok: boolean, out: Outcome): Outcome {
  out.report = false;
  out.attempt = false;
  out.wasUp = s.isUp;
  out.hadRun = s.hasRun;
  out.delayMs = t.delayLoopMs;
  if (ok) {
    s.retryIt = 0;
    if (!s.isUp || !s.hasRun) {
      out.report = true;
      out.alive = true;
      s.isUp = true;
    }
  } else if ((retryWhileDown || s.isUp || !s.hasRun) && s.retryIt < t.retry) {
    s.retryIt++;
    out.delayMs = t.delayBeforeRetryMs;
    out.attempt = s.isUp;
  } else {
    if (retryWhileDown || s.isUp || !s.hasRun) s.retryIt = 0;
    if (s.isUp || !s.hasRun) {
      out.report = true;
      out.alive = false;
      s.isUp = false;
    }
  }
  s.hasRun = true;
  return out;
}
