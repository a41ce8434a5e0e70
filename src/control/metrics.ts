/**
 * Prometheus metrics (text exposition format 0.0.4), without a client library.
 *
 * `PromText` is the formatter: samples are grouped per family (one HELP and TYPE line each),
 * label values are escaped, histograms get cumulative buckets, `+Inf`, `_sum` and `_count`.
 * `collectMetrics` builds the daemon's series from the VRRP and checker views:
 * - `keepalived_*` as mehdy/keepalived-exporter names and labels them (internal/collector/
 *   collector.go), so its dashboards and alerts work unchanged: the common labels are
 *   `iname, intf, vrid`; `keepalived_vrrp_state{iname,intf,vrid,ip_address}` is one series
 *   per VIP with keepalived's state number (0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT);
 * - `keepalived_ts_*` for what only this daemon knows (drops per reason, failover timing,
 *   real servers, the checker process).
 */
import { formatIp } from '../util/ip.js';
import type { AddressEntry } from '../config/model.js';
import type { CheckView } from '../daemon/check-view.js';
import { FAILOVER_PHASES, type FailoverPhase, type HistogramData } from '../daemon/failover-timing.js';
import type { InstanceView, VrrpView } from '../daemon/view.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'untyped';
export type Labels = Readonly<Record<string, string | number>>;

/**
 * A label set rendered once (`{k="v",...}`), for the samples that share it: a director with
 * 50,000 real servers has four series per real server, and rendering their labels each time
 * was most of a scrape's time.
 */
export class LabelText {
  constructor(readonly text: string) {}
}

interface Family {
  readonly type: MetricType;
  readonly help: string;
  readonly lines: string[];
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

const NEEDS_ESCAPE = /[\\"\n]/;

export function escapeLabelValue(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

function labelText(labels: Labels | LabelText): string {
  if (labels instanceof LabelText) return labels.text;
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => {
    if (!LABEL_RE.test(k) || k.startsWith('__')) throw new Error(`invalid label name ${k}`);
    return `${k}="${escapeLabelValue(String(labels[k]))}"`;
  }).join(',')}}`;
}

export class PromText {
  private readonly families = new Map<string, Family>();

  private family(name: string, type: MetricType, help: string): Family {
    let f = this.families.get(name);
    if (!f) {
      if (!NAME_RE.test(name)) throw new Error(`invalid metric name ${name}`);
      this.families.set(name, (f = { type, help, lines: [] }));
    } else if (f.type !== type) throw new Error(`metric ${name} is a ${f.type}, not a ${type}`);
    return f;
  }

  /** Declare a family without samples (its HELP / TYPE lines are printed all the same). */
  declare(name: string, type: MetricType, help: string): this {
    this.family(name, type, help);
    return this;
  }

  /** The labels rendered once, for several samples (LabelText). */
  static labels(labels: Labels): LabelText {
    return new LabelText(labelText(labels));
  }

  gauge(name: string, help: string, value: number, labels: Labels | LabelText = {}): this {
    this.family(name, 'gauge', help).lines.push(`${name}${labelText(labels)} ${formatValue(value)}`);
    return this;
  }

  counter(name: string, help: string, value: number, labels: Labels = {}): this {
    this.family(name, 'counter', help).lines.push(`${name}${labelText(labels)} ${formatValue(value)}`);
    return this;
  }

  untyped(name: string, help: string, value: number, labels: Labels = {}): this {
    this.family(name, 'untyped', help).lines.push(`${name}${labelText(labels)} ${formatValue(value)}`);
    return this;
  }

  /** `h.buckets` are cumulative; `scale` multiplies bounds and sum (ms -> s: 0.001). */
  histogram(name: string, help: string, h: HistogramData, labels: Labels = {}, scale = 1): this {
    const f = this.family(name, 'histogram', help);
    for (const b of h.buckets) {
      f.lines.push(`${name}_bucket${labelText({ ...labels, le: formatValue(round(b.le * scale)) })} ${b.count}`);
    }
    f.lines.push(`${name}_bucket${labelText({ ...labels, le: '+Inf' })} ${h.count}`);
    f.lines.push(`${name}_sum${labelText(labels)} ${formatValue(round(h.sum * scale))}`);
    f.lines.push(`${name}_count${labelText(labels)} ${h.count}`);
    return this;
  }

  text(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`);
      // one by one: a family of 50,000 lines spread into push's arguments nears V8's limit
      for (const line of f.lines) out.push(line);
    }
    return out.length === 0 ? '' : `${out.join('\n')}\n`;
  }
}

/** Rounds away binary noise of a scaled value (0.0025 rather than 0.0025000000000000001). */
function round(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(12)) : v;
}

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

// ---------------------------------------------------------------------------------------------

/** keepalived's state numbers (vrrp.h VRRP_STATE_*), as the exporter reports them; STOP is -1. */
const STATE_NUMBER: Readonly<Record<string, number>> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3 };
const STATES = ['INIT', 'BACKUP', 'MASTER', 'FAULT', 'STOP'] as const;

/** The exporter's counters and the engine's counters / drop reasons behind them. */
const KEEPALIVED_COUNTERS: readonly (readonly [string, string, (i: InstanceView) => number])[] = [
  ['keepalived_advertisements_received_total', 'Advertisements received', (i) => i.live.stats.advertsReceived],
  ['keepalived_advertisements_sent_total', 'Advertisements sent', (i) => i.live.stats.advertsSent],
  ['keepalived_become_master_total', 'Became master', (i) => i.live.stats.becomeMaster],
  ['keepalived_release_master_total', 'Released master', (i) => i.live.stats.releaseMaster],
  ['keepalived_packet_length_errors_total', 'Packet length errors', (i) => i.live.stats.rxErrors.short],
  ['keepalived_advertisements_interval_errors_total', 'Advertisement interval errors', (i) => i.live.stats.rxErrors.interval],
  ['keepalived_ip_ttl_errors_total', 'TTL errors', (i) => i.live.stats.rxErrors.ttl],
  ['keepalived_invalid_type_received_total', 'Invalid type errors', (i) => i.live.stats.rxErrors.type],
  ['keepalived_address_list_errors_total', 'Address list errors', (i) => i.live.stats.rxErrors.naddr + i.live.stats.rxErrors['addr-mismatch']],
  // the decoder has one auth reason: keepalived's invalid type and type mismatch stay 0
  ['keepalived_authentication_invalid_total', 'Authentication invalid', () => 0],
  ['keepalived_authentication_mismatch_total', 'Authentication mismatch', () => 0],
  ['keepalived_authentication_failure_total', 'Authentication failure', (i) => i.live.stats.rxErrors.auth],
  ['keepalived_priority_zero_received_total', 'Priority zero received', (i) => i.live.stats.priZeroReceived],
  ['keepalived_priority_zero_sent_total', 'Priority zero sent', (i) => i.live.stats.priZeroSent],
  ['keepalived_gratuitous_arp_delay_total', 'Gratuitous ARP delay', (i) => Math.round((i.model.garpMasterDelayMs ?? 5000) / 1000)],
];

const PHASE_METRIC: Readonly<Record<FailoverPhase, readonly [string, string]>> = {
  detection: ['keepalived_ts_failover_detection_seconds', 'Last advert heard (or Master_Down timer start) to entering MASTER'],
  vipsInstalled: ['keepalived_ts_failover_vips_installed_seconds', 'Entering MASTER to every VIP added by netlink'],
  firstGarp: ['keepalived_ts_failover_first_garp_seconds', 'Entering MASTER to the first gratuitous ARP / unsolicited NA sent'],
};

/** Checker-side counters with a name of their own; the rest go to keepalived_ts_checker_stat. */
const CHECK_STATS: Readonly<Record<string, readonly [string, string]>> = {
  ipvsOps: ['keepalived_ts_ipvs_operations_total', 'IPVS operations sent to the kernel'],
  ipvsErrors: ['keepalived_ts_ipvs_errors_total', 'IPVS batches the kernel refused'],
  probes: ['keepalived_ts_checker_probes_total', 'Health-check probes finished'],
  probeErrors: ['keepalived_ts_checker_probe_errors_total', 'Health-check probes that failed'],
  smtpAlertsSent: ['keepalived_ts_checker_smtp_alerts_sent_total', 'Email alerts of the checker side the relay accepted'],
  smtpAlertsFailed: ['keepalived_ts_checker_smtp_alerts_failed_total', 'Email alerts of the checker side not delivered (SMTP_ALERT)'],
  logLinesDropped: ['keepalived_ts_checker_log_lines_dropped_total', 'Log lines lost to a stalled or failing log destination (checker process)'],
  sslContextErrors: ['keepalived_ts_checker_ssl_context_errors_total', 'SSL blocks that could not be used (CHECK_SSL_CONTEXT)'],
  announceFailures: ['keepalived_ts_announce_failures_total', 'Announce table changes that failed (tried again)'],
  routingDaemonStops: ['keepalived_ts_routing_daemon_stops_total', 'Times the routing daemon that reads the announce table was seen to stop'],
};

/** keepalived's text for a VIP: the address, with /len unless it is a host prefix. */
export function vipText(e: AddressEntry): string {
  const full = e.address.bytes.length * 8;
  return e.address.prefixLen < full ? `${formatIp(e.address.bytes)}/${e.address.prefixLen}` : formatIp(e.address.bytes);
}

export interface MetricsInput {
  readonly vrrp: VrrpView;
  /**
   * the checker side: undefined when none is configured, null when it did not answer;
   * 'rendered' when it answered with its series already rendered (checkMetricsText), which the
   * caller puts after this text
   */
  readonly check?: CheckView | null | 'rendered';
  readonly checkerRestarts?: number;
  /** requests served and refused by the control server, by route / reason */
  readonly requests?: Readonly<Record<string, number>>;
  readonly badRequests?: Readonly<Record<string, number>>;
  /** email alerts of the VRRP side (smtp_alert), by outcome */
  readonly smtpAlerts?: { readonly sent: number; readonly failed: number };
  /** log lines of the VRRP process lost to a stalled or failing destination */
  readonly logLinesDropped?: number;
}

export function collectMetrics(m: MetricsInput): string {
  const p = new PromText();
  const v = m.vrrp;
  p.gauge('keepalived_up', 'Status', 1);
  for (const i of v.instances) {
    const common = { iname: i.name, intf: i.live.r.cfg.interface ?? i.baseInterface, vrid: i.live.r.vrid };
    for (const [name, help, get] of KEEPALIVED_COUNTERS) p.counter(name, help, get(i), common);
  }
  p.declare('keepalived_vrrp_state', 'gauge', 'State of vrrp');
  for (const i of v.instances) {
    const intf = i.live.r.cfg.interface ?? i.baseInterface;
    const state = STATE_NUMBER[i.live.state] ?? -1;
    for (const e of i.model.virtualIpaddress) {
      p.gauge('keepalived_vrrp_state', 'State of vrrp', state, { iname: i.name, intf: e.dev ?? intf, vrid: i.live.r.vrid, ip_address: vipText(e) });
    }
    if (i.model.virtualIpaddress.length === 0) {
      p.gauge('keepalived_vrrp_state', 'State of vrrp', state, { iname: i.name, intf, vrid: i.live.r.vrid, ip_address: '' });
    }
    for (const e of i.model.virtualIpaddressExcluded) {
      p.gauge('keepalived_vrrp_excluded_state', 'State of vrrp with excluded VIP', state,
        { iname: i.name, intf: e.dev ?? intf, vrid: i.live.r.vrid, ip_address: vipText(e) });
    }
  }
  for (const s of v.scripts ?? []) {
    if (s.ok !== undefined) p.gauge('keepalived_script_status', 'Tracker Script Status', s.ok ? 1 : 0, { name: s.name });
    // keepalived-exporter's numbers for the dump's "State =": 0 idle, 1 running
    p.gauge('keepalived_script_state', 'Tracker Script State', s.running ? 1 : 0, { name: s.name });
  }
  ours(p, m);
  return p.text();
}

function ours(p: PromText, m: MetricsInput): void {
  const v = m.vrrp;
  p.gauge('keepalived_ts_start_time_seconds', 'When the daemon started, seconds since the epoch', v.startedAt / 1000);
  p.counter('keepalived_ts_reloads_total', 'Configuration reloads applied (VRRP side)', v.reloads);
  p.counter('keepalived_ts_unknown_vrid_adverts_total', 'Adverts received for a VRID no instance here uses', v.unknownVrid);
  p.counter('keepalived_ts_address_failures_total', 'Netlink address, route and rule operations that failed', v.addressFailures);
  p.counter('keepalived_ts_addresses_restored_total', 'VIPs deleted by someone else and put back', v.addressesRestored);
  if (v.sched) {
    p.gauge('keepalived_ts_vrrp_rt_priority', 'SCHED_RR priority of the VRRP thread (0: normal scheduling)', v.sched.rtPriority);
    p.counter('keepalived_ts_rt_limit_signals_total', 'SIGXCPU at the RLIMIT_RTTIME soft limit (vrrp_rlimit_rttime)', v.sched.rtLimitSignals);
    p.counter('keepalived_ts_rt_limit_demotions_total', 'Times the VRRP thread left SCHED_RR at that soft limit, before the hard limit\'s SIGKILL, and went back', v.sched.rtLimitDemotions ?? 0);
  }
  for (const i of v.instances) {
    const common = { iname: i.name, intf: i.live.r.cfg.interface ?? i.baseInterface, vrid: i.live.r.vrid };
    for (const s of STATES) p.gauge('keepalived_ts_vrrp_state', 'Current state of the instance (1 for the state it is in)', i.live.state === s ? 1 : 0, { ...common, state: s });
    p.gauge('keepalived_ts_vrrp_effective_priority', 'Priority advertised, after tracking', i.live.effectivePriority, common);
    p.gauge('keepalived_ts_vrrp_base_priority', 'Configured priority', i.live.basePriority, common);
    p.counter('keepalived_ts_vrrp_transitions_total', 'State changes', i.live.stats.transitions, common);
    p.counter('keepalived_ts_vrrp_advert_send_errors_total', 'Adverts the socket refused', i.sendErrors, common);
    for (const [reason, n] of Object.entries(i.live.stats.rxErrors)) {
      p.counter('keepalived_ts_vrrp_advert_drops_total', 'Received adverts dropped, by reason', n, { ...common, reason });
    }
  }
  for (const b of v.bfd?.sessions ?? []) {
    p.gauge('keepalived_ts_bfd_session_up', 'Whether the BFD session (bfd_instance) is Up', b.state === 'Up' ? 1 : 0, { name: b.name });
    p.gauge('keepalived_ts_bfd_detection_time_seconds', 'The BFD session\'s detection time', b.detectionTimeUs / 1e6, { name: b.name });
  }
  for (const [reason, n] of Object.entries(v.bfd?.dropped ?? {})) {
    p.counter('keepalived_ts_bfd_packets_dropped_total', 'BFD packets received and dropped, by reason', n, { reason });
  }
  for (const g of v.groups) {
    for (const s of STATES) p.gauge('keepalived_ts_sync_group_state', 'Current state of the sync group (1 for the state it is in)', g.state === s ? 1 : 0, { group: g.name, state: s });
  }
  for (const [name, help] of Object.values(PHASE_METRIC)) p.declare(name, 'histogram', help);
  for (const [iname, phases] of Object.entries(v.failover ?? {})) {
    for (const ph of FAILOVER_PHASES) {
      const [name, help] = PHASE_METRIC[ph];
      p.histogram(name, help, phases[ph], { iname }, 0.001);
    }
  }
  if (m.smtpAlerts) {
    p.counter('keepalived_ts_vrrp_smtp_alerts_sent_total', 'Email alerts of the VRRP side the relay accepted', m.smtpAlerts.sent);
    p.counter('keepalived_ts_vrrp_smtp_alerts_failed_total', 'Email alerts of the VRRP side not delivered (SMTP_ALERT)', m.smtpAlerts.failed);
  }
  if (m.logLinesDropped !== undefined) p.counter('keepalived_ts_log_lines_dropped_total', 'Log lines lost to a stalled or failing log destination (VRRP process)', m.logLinesDropped);
  for (const [route, n] of Object.entries(m.requests ?? {})) p.counter('keepalived_ts_control_requests_total', 'Requests served by the control / metrics server', n, { route });
  for (const [reason, n] of Object.entries(m.badRequests ?? {})) p.counter('keepalived_ts_control_bad_requests_total', 'Requests refused by the control / metrics server', n, { reason });
  if (m.check === undefined) return;
  p.gauge('keepalived_ts_checker_process_up', 'The checker process answered this scrape', m.check ? 1 : 0);
  p.counter('keepalived_ts_checker_process_restarts_total', 'Times the checker process died and was started again', m.checkerRestarts ?? 0);
  if (m.check && m.check !== 'rendered') {
    checkCounterSeries(p, m.check);
    drain(checkServerSeries(p, m.check));
  }
}

const drain = (steps: Iterable<void>): void => { for (const _ of steps); };

/**
 * The checker side's series, rendered by the checker process itself: its families are its own
 * (no name is shared with the VRRP side's), so its text follows collectMetrics' as it is. Its
 * counters come first, then the servers' state.
 */
export function checkMetricsText(c: CheckView): string {
  const p = new PromText();
  drain(checkServerSeries(p, c));
  return checkCountersText(c) + p.text();
}

/**
 * The checker's counters and sizes, which move with every probe (rendered for each scrape);
 * `c.virtualServers` is not read.
 */
export function checkCountersText(c: CheckView): string {
  const p = new PromText();
  checkCounterSeries(p, c);
  return p.text();
}

function checkCounterSeries(p: PromText, c: CheckView): void {
  p.counter('keepalived_ts_checker_reloads_total', 'Configuration reloads applied (checker side)', c.reloads);
  for (const [k, n] of Object.entries(c.stats)) {
    const known = CHECK_STATS[k];
    if (known) p.counter(known[0], known[1], n);
    else p.gauge('keepalived_ts_checker_stat', 'Other counters and sizes of the checker engine', n, { name: k });
  }
  if (c.routingDaemon) p.gauge('keepalived_ts_routing_daemon_up', 'The routing daemon that reads the announce table runs (announce_daemon)', c.routingDaemon.running ? 1 : 0);
  for (const prefix of c.announced ?? []) p.gauge('keepalived_ts_announced', 'A VIP announced to the routing daemon (its route is in announce_table)', 1, { prefix });
}

/**
 * Real servers made into views, or rendered, between two turns of the event loop by the sliced
 * callers (the checker's views, metrics and status: check-view.ts, status-doc.ts): at 50,000 real
 * servers each takes a tenth of a second or more on a host, seconds on a slow one, and the
 * checker's probes and signals (a SIGHUP) would wait behind it.
 */
export const REAL_SERVERS_PER_SLICE = 2000;

/**
 * Runs `steps` (a generator yielding between slices) with `pause()` awaited at each yield;
 * false, and no more steps, once `expired()` says the asker has stopped waiting (looked at
 * before the first step too).
 */
export async function runInSlices(steps: Iterable<void>, pause: () => Promise<void>, expired: () => boolean): Promise<boolean> {
  if (expired()) return false;
  for (const _ of steps) {
    if (expired()) return false;
    await pause();
    if (expired()) return false;
  }
  return true;
}

/** Runs `steps` to their end at once (the unsliced form of a sliced rendering). */
export function runAtOnce(steps: Iterable<void>): void {
  for (const _ of steps) {
    // no pause
  }
}

/**
 * The servers' series of checkMetricsText (after its counters) in slices, `pause()` awaited
 * between them: at 50,000 real servers the rendering takes a quarter of a second on a host and
 * seconds on a slow one, and the checker's probes and signals (a SIGHUP) would wait behind it.
 * When `expired()` says the scrape has stopped waiting for it, the rendering is given up:
 * undefined.
 */
export async function checkServersTextSliced(c: CheckView, pause: () => Promise<void>, expired: () => boolean): Promise<string | undefined> {
  const p = new PromText();
  return (await runInSlices(checkServerSeries(p, c), pause, expired)) ? p.text() : undefined;
}

/** checkMetricsText in slices (checkServersTextSliced), its counters as they are at the end. */
export async function checkMetricsTextSliced(c: CheckView, pause: () => Promise<void>, expired: () => boolean): Promise<string | undefined> {
  const servers = await checkServersTextSliced(c, pause, expired);
  return servers === undefined ? undefined : checkCountersText(c) + servers;
}

/** The servers' state; yields after each REAL_SERVERS_PER_SLICE real servers. */
function* checkServerSeries(p: PromText, c: CheckView): Generator<void, void, void> {
  const perType = new Map<string, { up: number; all: number }>();
  let sliced = 0;
  for (const vs of c.virtualServers) {
    p.gauge('keepalived_ts_virtual_server_quorum_up', 'The virtual server has its quorum', vs.quorumUp ? 1 : 0, { vs: vs.name });
    p.gauge('keepalived_ts_virtual_server_sorry_active', 'The sorry server is in use', vs.sorryActive ? 1 : 0, { vs: vs.name });
    for (const rs of vs.realServers) {
      const l = PromText.labels({ vs: vs.name, rs: rs.port !== undefined ? `${rs.address}:${rs.port}` : rs.address });
      p.gauge('keepalived_ts_real_server_up', 'The real server passes its checks', rs.alive ? 1 : 0, l);
      p.gauge('keepalived_ts_real_server_in_table', 'The real server is in the IPVS table (weight 0 when inhibited)', rs.inTable ? 1 : 0, l);
      p.gauge('keepalived_ts_real_server_weight', 'Configured weight', rs.weight, l);
      p.gauge('keepalived_ts_real_server_effective_weight', 'Weight in effect (after MISC_CHECK dynamic weights)', rs.effectiveWeight, l);
      for (const ck of rs.checkers) {
        const t = perType.get(ck.type) ?? { up: 0, all: 0 };
        t.all++;
        if (ck.up) t.up++;
        perType.set(ck.type, t);
      }
      if (++sliced === REAL_SERVERS_PER_SLICE) {
        sliced = 0;
        yield;
      }
    }
  }
  for (const [type, t] of perType) {
    p.gauge('keepalived_ts_checkers', 'Checkers configured, per type', t.all, { type });
    p.gauge('keepalived_ts_checkers_up', 'Checkers whose last result is up, per type', t.up, { type });
  }
}
