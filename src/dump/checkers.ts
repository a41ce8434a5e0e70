/**
 * "------< Health checkers >------" of keepalived_check.data, as keepalived 2.2.7 writes each
 * checker (check/check_api.c dump_checker, dump_connection_opts, then the type's own dump:
 * check_tcp.c, check_http.c dump_http_check / dump_url, check_misc.c, check_smtp.c,
 * check_dns.c, check_udp.c, check_ping.c, check_file.c). keepalived queues FILE_CHECKs after
 * every other checker, so they come last. Times are keepalived's µs; the values are the ones
 * keepalived-ts probes with (units.ts `resolveChecker`: checker, then real server, then virtual
 * server, then the type's default) and the engine's state of each checker.
 */
import { formatVs } from '../check/format.js';
import { connPlan } from '../check/kind.js';
import { SMTP_DEFAULT_HELO } from '../check/smtp.js';
import type { Binding } from '../check/units.js';
import type { Checker, HttpUrl } from '../config/model.js';
import { REGEX_OPTIONS } from '../config/keywords-lvs.js';
import type { CheckDumpView } from '../daemon/check-view.js';
import { cmdStr, ctime24Us, secUsec, type DumpTime } from './common.js';
import { serviceProtocol, trio } from './lvs.js';

const yes = (b: boolean): string => (b ? 'yes' : 'no');
const us = (ms: number): number => Math.round(ms * 1000);

/** keepalived's HTTP_STATUS_CODE_MIN / _MAX and the default 2xx. */
const STATUS_MIN = 100;
const STATUS_MAX = 599;
const DEFAULT_STATUS = [{ from: 200, to: 299 }];

/** The status codes of a url as keepalived lists them: runs of codes, one line each. */
function statusLines(ranges: readonly { readonly from: number; readonly to: number }[]): string[] {
  const set = new Set<number>();
  for (const r of ranges.length ? ranges : DEFAULT_STATUS) {
    for (let c = Math.max(r.from, STATUS_MIN); c <= Math.min(r.to, STATUS_MAX); c++) set.add(c);
  }
  const out: string[] = [];
  for (let c = STATUS_MIN; c <= STATUS_MAX; c++) {
    if (!set.has(c) || set.has(c - 1)) continue;
    let end = c;
    while (set.has(end + 1)) end++;
    out.push(end === c ? `       ${c}` : `       ${c}-${end}`);
  }
  return out;
}

/** keepalived shares one compiled regex between urls with the same pattern and options. */
const regexKey = (u: HttpUrl): string => `${[...new Set(u.regexOptions ?? [])].sort().join(',')}|${u.regex ?? ''}`;

function urlLines(u: HttpUrl, regexRefs: ReadonlyMap<string, number>): string[] {
  const out = [`   Checked url = ${u.path ?? ''}`];
  if (u.digest !== undefined) out.push(`     digest = ${u.digest}`);
  out.push('     HTTP Status Code(s)', ...statusLines(u.statusCode));
  if (u.virtualhost !== undefined) out.push(`     Virtual host = ${u.virtualhost}`);
  if (u.regex === undefined) return out;
  out.push(`     Regex = "${u.regex}"`);
  if (u.regexNoMatch) out.push('     Regex no match');
  const min = u.regexMinOffset ?? 0;
  if (u.regexMaxOffset !== undefined) out.push(`     Regex min offset = ${min}, max_offset = ${u.regexMaxOffset}`);
  else if (min) out.push(`     Regex min offset = ${min}`);
  // keepalived 2.2.7 names every option it knows once any is set
  out.push(`     Regex options:${u.regexOptions?.length ? REGEX_OPTIONS.map((o) => ` ${o}`).join('') : ''}`);
  out.push(`     Regex ref count = ${regexRefs.get(regexKey(u)) ?? 1}`);
  return out;
}

type Typed<T extends Checker['type']> = Extract<Checker, { type: T }>;

function httpLines(c: Typed<'HTTP_GET' | 'SSL_GET'>, b: Binding, regexRefs: ReadonlyMap<string, number>): string[] {
  const out = [`   Keepalive method = ${c.type}, http protocol ${c.httpProtocol ?? '1.0'}`];
  if (c.virtualhost !== undefined) out.push(`   Virtualhost = ${c.virtualhost}`);
  out.push(`   Enable SNI ${c.enableSni ? '' : 'un'}set`, `   Fast recovery ${c.fastRecovery ? '' : 'un'}set`);
  for (const u of c.url) out.push(...urlLines(u, regexRefs));
  const failed = b.unit ? b.unit.state.failedUrl : -1;
  if (failed >= 0 && c.url[failed]) out.push(`   Failed URL = ${c.url[failed].path ?? ''}`);
  return out;
}

function miscLines(c: Typed<'MISC_CHECK'>, b: Binding, view: CheckDumpView, time: DumpTime): string[] {
  const script = c.miscPath!;
  const r = view.host?.resolveScript({ argv: script.argv, ...(c.user ? { user: c.user.user, ...(c.user.group ? { group: c.user.group } : {}) } : {}) });
  const ran = b.unit?.lastRunAt;
  const ranMs = ran === undefined ? 0 : time.wallMs - (time.monoMs - ran);
  return [
    '   Keepalive method = MISC_CHECK',
    `   script = ${cmdStr(r?.argv ?? script.argv)}`,
    `   timeout = ${Math.floor((c.miscTimeoutMs ?? 0) / 1000)}`,
    `   dynamic = ${c.miscDynamic ? 'YES' : 'NO'}`,
    `   uid:gid = ${r?.uid ?? 0}:${r?.gid ?? 0}`,
    `   Last ran = ${secUsec(ranMs)} (${ctime24Us(ranMs)})`,
    `   Last status = ${b.last}`,
  ];
}

function udpLines(b: Binding): string[] {
  const c = b.cfg as Typed<'UDP_CHECK'>;
  const plan = b.unit?.plans[0];
  const out = ['   Keepalive method = UDP_CHECK'];
  if (plan?.type !== 'UDP_CHECK') return out;
  out.push(c.payload !== undefined ? `   Payload len = ${plan.payload.length}` : '   Payload specified = no');
  out.push(`   Require reply = ${yes(plan.requireReply !== undefined)}`);
  const reply = plan.requireReply;
  if (!reply) return out;
  out.push(
    `     Min reply length = ${plan.minReplyLength}`,
    `     Max reply length = ${plan.maxReplyLength}`,
    `     Reply data len = ${reply.data.length}`,
  );
  if (reply.data.length) out.push(`     Reply data mask = ${yes(reply.mask.some((m) => m !== 0))}`);
  return out;
}

/** The lines of the checker's own dump function. */
function typeLines(b: Binding, view: CheckDumpView, time: DumpTime, regexRefs: ReadonlyMap<string, number>): string[] {
  const c = b.cfg;
  switch (c.type) {
    case 'TCP_CHECK': return ['   Keepalive method = TCP_CHECK'];
    case 'HTTP_GET': case 'SSL_GET': return httpLines(c, b, regexRefs);
    case 'MISC_CHECK': return miscLines(c, b, view, time);
    case 'SMTP_CHECK': return ['   Keepalive method = SMTP_CHECK', `   helo = ${c.heloName ?? SMTP_DEFAULT_HELO}`];
    case 'DNS_CHECK': return ['   Keepalive method = DNS_CHECK', `   Type = ${c.dnsType}`, `   Name = ${c.name}`];
    case 'UDP_CHECK': return udpLines(b);
    case 'PING_CHECK': return ['   Keepalive method = PING_CHECK'];
    case 'FILE_CHECK': return ['   Keepalive method = FILE_CHECK', `     Tracked file = ${b.file?.file ?? c.trackFile ?? ''}`, '     Reloaded = No'];
    case 'BFD_CHECK': return ['   Keepalive method = BFD_CHECK', `   Name = ${c.name ?? ''}`, `   Alpha is ${b.alpha ? 'ON' : 'OFF'}`];
    default: return [];
  }
}

/** dump_connection_opts of a checker that connects (all but MISC_CHECK and FILE_CHECK). */
function connectionLines(b: Binding): string[] {
  const plan = b.unit?.plans[0];
  if (!plan || plan.type === 'MISC_CHECK') return [];
  const conn = plan.conn;
  // a PING_CHECK's destination keeps the real server's port, as keepalived's does (never used)
  const port = plan.type === 'PING_CHECK' ? connPlan(b.cfg, b.rs.cfg, b.rs.vs.cfg).port : conn.port;
  const out = ['   Connection', `     Dest = [${conn.host}]:${port}`];
  if (conn.bindto !== undefined) out.push(`     Bind to = [${conn.bindto}]:${conn.bindPort ?? 0}`);
  if (conn.bindIf !== undefined) out.push(`     Bind i/f = ${conn.bindIf}`);
  if (conn.fwmark) out.push(`     Mark = ${conn.fwmark}`);
  out.push(`     Timeout = ${(conn.timeoutMs / 1000).toFixed(6)}`);
  return out;
}

function checkerLines(b: Binding, view: CheckDumpView, time: DumpTime, regexRefs: ReadonlyMap<string, number>): string[] {
  const vs = b.rs.vs;
  const rsName = trio(b.rs.cfg.address, serviceProtocol(vs.cfg, view.config.virtualServerGroups), b.rs.cfg.port);
  const out = [
    ` ${formatVs(vs.cfg)} -> ${rsName}`,
    `   Enabled = ${yes(!vs.suspended)}`,
    `   Up = ${yes(b.isUp)}`,
    `   Has run = ${yes(b.hasRun)}`,
    `   Current weight = ${b.curWeight}`,
  ];
  const u = b.unit;
  if (u) {
    const t = u.timing;
    out.push(
      `   Alpha = ${yes(b.alpha)}`,
      `   Delay loop = ${us(t.delayLoopMs)} us`,
      `   Warmup = ${us(u.warmupMs)} us`,
      `   Retries = ${t.retry}`,
    );
    if (t.retry) out.push(`   Delay before retry = ${us(t.delayBeforeRetryMs)} us`, `   Retries iterations = ${u.state.retryIt}`);
    out.push(`   Default delay before retry = ${us(u.kind.defaultDelayBeforeRetryMs ?? 0)} us`);
  }
  out.push(`   Log all failures = ${yes(u?.logAllFailures ?? false)}`, ...connectionLines(b), ...typeLines(b, view, time, regexRefs));
  return out;
}

/** "------< Health checkers >------" and every checker; nothing without checkers. */
export function healthCheckerLines(view: CheckDumpView, time: DumpTime): string[] {
  const bindings = view.engine?.checkers ?? [];
  if (bindings.length === 0) return [];
  const regexRefs = new Map<string, number>();
  for (const b of bindings) {
    if (b.cfg.type !== 'HTTP_GET' && b.cfg.type !== 'SSL_GET') continue;
    for (const u of b.cfg.url) if (u.regex !== undefined) regexRefs.set(regexKey(u), (regexRefs.get(regexKey(u)) ?? 0) + 1);
  }
  const ordered = [...bindings.filter((b) => !b.file), ...bindings.filter((b) => b.file)];
  return ['------< Health checkers >------', ...ordered.flatMap((b) => checkerLines(b, view, time, regexRefs))];
}
