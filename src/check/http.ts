/**
 * HTTP_GET / SSL_GET (check_http.c, lib/html.c): the request keepalived sends, how a response
 * is judged, and the URL round robin.
 *
 * Request: `GET path HTTP/1.0|1.1`, `User-Agent: KeepAliveClient`, `Connection: close` for
 * 1.0C and 1.1, `Host: vhost` or `Host: ip:port` (`[ip]:port` for IPv6); vhost from the url,
 * the checker, the real server, then the virtual server.
 * Response: read until the server closes; the status is the 3 digits after the first blank of
 * the status line (followed by a blank); the digest is the MD5 of the body after the header
 * (at most Content-Length bytes); success needs status ∧ digest ∧ regex.
 * Round robin: one URL per delay_loop; the checker comes up after every URL passed in turn;
 * a failing URL is retried (delay_before_retry) and then keeps being checked alone until it
 * passes, when the round starts again from the first URL. fast_recovery runs the next URL at
 * once while the checker is down without a known failing URL (and before the first round).
 */
import { createHash } from 'node:crypto';
import type { Checker, HttpUrl, RealServer, VirtualServer } from '../config/model.js';
import type { CheckerKind } from './kind.js';
import type { RunState, Timing, Outcome } from './schedule.js';
import type { HttpUrlPlan, ProbePlan, ProbeResult, ConnPlan } from './types.js';
import { compileRegex, type CompiledRegex } from '../util/pcre.js';

type HttpChecker = Extract<Checker, { type: 'HTTP_GET' | 'SSL_GET' }>;

export interface HttpRequestSpec {
  readonly path: string;
  readonly protocol?: '1.0' | '1.0C' | '1.1';
  readonly virtualhost?: string;
  readonly host: string;
  readonly family: 'inet' | 'inet6';
  readonly port: number;
}

export function buildHttpRequest(r: HttpRequestSpec): string {
  const minor = r.protocol === '1.1' ? 1 : 0;
  const close = r.protocol === '1.1' || r.protocol === '1.0C' ? 'Connection: close\r\n' : '';
  const host = r.virtualhost ?? (r.family === 'inet6' ? `[${r.host}]:${r.port}` : `${r.host}:${r.port}`);
  return `GET ${r.path} HTTP/1.${minor}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${host}\r\n\r\n`;
}

export interface HttpResponse {
  /** 0 when the status line has no valid code */
  readonly status: number;
  /** Content-Length, undefined when absent or unreadable */
  readonly contentLength?: number;
  /** the body bytes hashed (after the header, cut at Content-Length) */
  readonly body: Uint8Array;
  /** lower-case hex MD5 of `body` */
  readonly digest: string;
}

const CRLFCRLF = [13, 10, 13, 10];

/** Where the body starts (after the first CRLFCRLF), or -1. */
export function headerEnd(buf: Uint8Array): number {
  outer: for (let i = 0; i + 3 < buf.length; i++) {
    for (let k = 0; k < 4; k++) if (buf[i + k] !== CRLFCRLF[k]) continue outer;
    return i + 4;
  }
  return -1;
}

/** Parses a whole response as keepalived reads it; undefined when no header end was received. */
export function parseHttpResponse(raw: Uint8Array): HttpResponse | undefined {
  const end = headerEnd(raw);
  if (end < 0) return undefined;
  const head = Buffer.from(raw.buffer, raw.byteOffset, end).toString('latin1');
  const sl = /^[^ \r]* ([0-9]{3}) /.exec(head);
  const status = sl ? Number(sl[1]) : 0;
  const cl = /\r\ncontent-length:[ \t]*([0-9]+)[ \t]*\r\n/i.exec(head);
  const contentLength = cl ? Number(cl[1]) : undefined;
  let body = raw.subarray(end);
  if (contentLength !== undefined && body.length > contentLength) body = body.subarray(0, contentLength);
  const digest = createHash('md5').update(body).digest('hex');
  return { status, ...(contentLength !== undefined ? { contentLength } : {}), body, digest };
}

export const DEFAULT_STATUS = [{ from: 200, to: 299 }] as const;

/**
 * Judges a response for one URL. On success `detail` names what was verified last
 * ("HTTP status code", "MD5 digest", "Regex match"), as keepalived's "... success to" line.
 */
const compiled = new WeakMap<HttpUrlPlan, CompiledRegex | undefined>();

/** A url's regex, compiled once per plan (src/util/pcre.ts). */
function regexOf(url: HttpUrlPlan): CompiledRegex | undefined {
  if (compiled.has(url)) return compiled.get(url);
  const r = compileRegex({
    pattern: url.regex!, options: url.regexOptions ?? [],
    ...(url.regexMinOffset !== undefined ? { minOffset: url.regexMinOffset } : {}),
    ...(url.regexMaxOffset !== undefined ? { maxOffset: url.regexMaxOffset } : {}),
  });
  const value = r.ok ? r.value : undefined;
  compiled.set(url, value);
  return value;
}

export function judgeHttpResponse(url: HttpUrlPlan, raw: Uint8Array): ProbeResult {
  const r = parseHttpResponse(raw);
  if (!r) return { ok: false, detail: 'Read, no data received from ' };
  const ranges = url.statusCode.length ? url.statusCode : DEFAULT_STATUS;
  if (!ranges.some((x) => r.status >= x.from && r.status <= x.to)) return { ok: false, detail: 'HTTP status code error to' };
  let what = 'HTTP status code';
  if (url.digest !== undefined) {
    if (r.digest !== url.digest) return { ok: false, detail: 'MD5 digest error to' };
    what = 'MD5 digest';
  }
  if (url.regex !== undefined) {
    // a pattern that does not compile never matches (said at -t and at start)
    const matched = regexOf(url)?.test(r.body) ?? false;
    if (matched === url.regexNoMatch) return { ok: false, detail: 'Regex match failed' };
    what = 'Regex match';
  }
  return { ok: true, detail: what };
}

export function urlPlans(c: HttpChecker, rs: RealServer, vs: VirtualServer, conn: ConnPlan): ProbePlan[] {
  const urls: readonly HttpUrl[] = c.url.length ? c.url : [{ statusCode: [], regexNoMatch: false, loc: c.loc, path: '/' }];
  return urls.map((u) => {
    const vhost = u.virtualhost ?? c.virtualhost ?? rs.virtualhost ?? vs.virtualhost;
    const url: HttpUrlPlan = {
      path: u.path ?? '/', statusCode: u.statusCode.length ? u.statusCode : DEFAULT_STATUS,
      ...(u.digest !== undefined ? { digest: u.digest } : {}),
      ...(u.regex !== undefined ? { regex: u.regex } : {}),
      regexNoMatch: u.regexNoMatch,
      ...(u.regexOptions?.length ? { regexOptions: u.regexOptions } : {}),
      ...(u.regexMinOffset !== undefined ? { regexMinOffset: u.regexMinOffset } : {}),
      ...(u.regexMaxOffset !== undefined ? { regexMaxOffset: u.regexMaxOffset } : {}),
    };
    const request = buildHttpRequest({
      path: url.path, ...(c.httpProtocol ? { protocol: c.httpProtocol } : {}),
      ...(vhost !== undefined ? { virtualhost: vhost } : {}), host: conn.host, family: conn.family, port: conn.port,
    });
    const sni = c.type === 'SSL_GET' && c.enableSni ? (vhost ?? undefined) : undefined;
    return { type: c.type, conn, request, url, ...(sni !== undefined ? { sni } : {}) };
  });
}

/**
 * One URL's result applied to the checker (check_http.c `epilog`, `timeout_epilog`).
 * `nUrls` URLs; returns the outcome in `out`.
 */
export function httpStep(s: RunState, t: Timing, fastRecovery: boolean, nUrls: number, ok: boolean, out: Outcome): Outcome {
  out.report = false;
  out.attempt = false;
  out.wasUp = s.isUp;
  out.hadRun = s.hasRun;
  let method: 'new' | 'retry' | 'failed';
  if (ok) method = 'new';
  else if (s.isUp || !s.hasRun) {
    s.hasRun = true;
    out.hadRun = true;
    method = 'retry';
  } else method = 'failed';

  if (method === 'new') {
    s.urlIndex = s.urlIndex + 1 >= nUrls ? -1 : s.urlIndex + 1;
    s.retryIt = 0;
    if (s.urlIndex < 0 && s.failedUrl < 0) {
      if (!s.isUp || !s.hasRun) {
        out.report = true;
        out.alive = true;
        s.isUp = true;
        s.hasRun = true;
      }
      s.urlIndex = 0;
    } else if (s.failedUrl >= 0) {
      s.failedUrl = -1;
      s.urlIndex = 0;
    }
    out.delayMs = t.delayLoopMs;
    if (!s.hasRun) s.retryIt = t.retry;
  } else {
    if (method === 'retry') {
      s.retryIt++;
      if (s.retryIt > t.retry) {
        if (s.isUp) {
          out.report = true;
          out.alive = false;
          s.isUp = false;
        }
        s.failedUrl = s.urlIndex < 0 ? 0 : s.urlIndex;
      } else out.attempt = s.isUp;
    }
    out.delayMs = s.failedUrl >= 0 ? Math.max(t.delayBeforeRetryMs, t.delayLoopMs) : t.delayBeforeRetryMs;
  }
  if (fastRecovery && (!s.hasRun || (!s.isUp && s.failedUrl < 0))) out.delayMs = 0;
  return out;
}

export const httpKind: CheckerKind = {
  defaultRetry: 1,
  defaultDelayBeforeRetryMs: 3000,
  retryWhileDown: false,
  plan: ({ checker, rs, vs, conn }) => urlPlans(checker as HttpChecker, rs, vs, conn)[0]!,
  successLog: (n) => `Remote Web server ${n.chk} succeed on service.`,
  failLog: (n, retry, hasRun) =>
    hasRun && retry ? `HTTP_CHECK on service ${n.chk} failed after ${retry} retries.` : `HTTP_CHECK on service ${n.chk} failed.`,
  attemptLog: (n, r) => `${r.detail ?? 'Read error with'} server ${n.chk}.`,
  alertBody: (up) => (up ? '=> CHECK succeed on service <=' : '=> CHECK failed on service : HTTP request failed <='),
};
