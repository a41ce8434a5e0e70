// The Prometheus text formatter (src/control/metrics.ts) read back by a small parser of the
// 0.0.4 text format: HELP / TYPE once per family, label escaping, cumulative histogram
// buckets with +Inf, _sum and _count; and the daemon's series under keepalived-exporter's names.
import { describe, expect, it } from 'vitest';
import type { AddressEntry } from '../../../src/config/model.js';
import { FailoverTiming } from '../../../src/daemon/failover-timing.js';
import { checkMetricsText, checkMetricsTextSliced, collectMetrics, PromText } from '../../../src/control/metrics.js';
import { statusDoc, statusDocBytes, checkerStatus, checkerStatusJson, checkerStatusJsonSliced } from '../../../src/control/status-doc.js';
import type { CheckView } from '../../../src/daemon/check-view.js';
import type { VrrpView } from '../../../src/daemon/view.js';
import { DECODE_REASONS } from '../../../src/vrrp/packet.js';
import { parsePrefix } from '../../../src/util/ip.js';

interface Sample { name: string; labels: Record<string, string>; value: number }
interface Parsed { help: Map<string, string>; type: Map<string, string>; samples: Sample[] }

/** A strict reader of the text format: throws on anything it does not understand. */
function parseProm(text: string): Parsed {
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples: Sample[] = [];
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (m) {
      if (help.has(m[1]!)) throw new Error(`second HELP for ${m[1]}`);
      help.set(m[1]!, m[2]!.replace(/\\(n|\\)/g, (_, c: string) => (c === 'n' ? '\n' : '\\')));
      continue;
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) {
      if (type.has(m[1]!)) throw new Error(`second TYPE for ${m[1]}`);
      type.set(m[1]!, m[2]!);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`bad line: ${line}`);
    const labels: Record<string, string> = {};
    let rest = m[3] ?? '';
    while (rest.length > 0) {
      const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/.exec(rest);
      if (!l) throw new Error(`bad labels: ${m[3]}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(l[0].length);
    }
    const v = m[4]!;
    const value = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
    if (Number.isNaN(value) && v !== 'NaN') throw new Error(`bad value: ${line}`);
    const base = m[1]!.replace(/_(bucket|sum|count)$/, '');
    if (!type.has(m[1]!) && !type.has(base)) throw new Error(`sample before its TYPE: ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { help, type, samples };
}

const find = (p: Parsed, name: string, labels: Record<string, string> = {}): Sample[] =>
  p.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

describe('PromText', () => {
  it('prints HELP and TYPE once per family, samples grouped under it', () => {
    const t = new PromText()
      .counter('a_total', 'A things', 1, { x: '1' })
      .gauge('b', 'B', 2)
      .counter('a_total', 'A things', 3, { x: '2' });
    const text = t.text();
    expect(text).toBe([
      '# HELP a_total A things', '# TYPE a_total counter', 'a_total{x="1"} 1', 'a_total{x="2"} 3',
      '# HELP b B', '# TYPE b gauge', 'b 2', '',
    ].join('\n'));
    expect(parseProm(text).samples).toHaveLength(3);
  });

  it('escapes label values and HELP text', () => {
    const nasty = 'a"b\\c\nd';
    const p = parseProm(new PromText().gauge('g', 'help with \\ and\nnewline', 1, { v: nasty }).text());
    expect(p.samples[0]!.labels.v).toBe(nasty);
    expect(p.help.get('g')).toBe('help with \\ and\nnewline');
  });

  it('prints NaN and infinities as the format spells them', () => {
    const text = new PromText().gauge('g', 'h', NaN, { k: 'a' }).gauge('g', 'h', Infinity, { k: 'b' }).gauge('g', 'h', -Infinity, { k: 'c' }).text();
    expect(text).toContain('g{k="a"} NaN\n');
    expect(text).toContain('g{k="b"} +Inf\n');
    expect(text).toContain('g{k="c"} -Inf\n');
  });

  it('refuses invalid names and a family used with two types (programming errors)', () => {
    expect(() => new PromText().gauge('bad-name', 'h', 1)).toThrow(/invalid metric name/);
    expect(() => new PromText().gauge('g', 'h', 1, { 'bad-label': 'x' })).toThrow(/invalid label name/);
    expect(() => new PromText().gauge('g', 'h', 1).counter('g', 'h', 1)).toThrow(/is a gauge/);
  });

  it('histograms: cumulative buckets, +Inf equal to _count, _sum, scaled bounds', () => {
    const timing = new FailoverTiming([10, 100, 1000]);
    for (const [heard, master] of [[0, 5], [0, 50], [0, 60], [0, 5000]] as const) {
      timing.advertReceived('VI_1', heard);
      timing.enteredMaster('VI_1', master);
    }
    const h = timing.observe().VI_1!.detection;
    const p = parseProm(new PromText().histogram('d_seconds', 'D', h, { iname: 'VI_1' }, 0.001).text());
    expect(p.type.get('d_seconds')).toBe('histogram');
    const buckets = find(p, 'd_seconds_bucket').map((s) => [s.labels.le, s.value]);
    expect(buckets).toEqual([['0.01', 1], ['0.1', 3], ['1', 3], ['+Inf', 4]]);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]![1]).toBeGreaterThanOrEqual(buckets[i - 1]![1] as number);
    expect(find(p, 'd_seconds_count')[0]!.value).toBe(4);
    expect(find(p, 'd_seconds_sum')[0]!.value).toBeCloseTo(5.115, 6);
    expect(find(p, 'd_seconds_bucket')[0]!.labels.iname).toBe('VI_1');
  });
});

// --- the daemon's series -----------------------------------------------------------------

const vip = (text: string, dev?: string): AddressEntry => ({
  loc: 0 as never, address: parsePrefix(text)!, ...(dev ? { dev } : {}), noDad: true, noPrefixRoute: false, home: false, noTrack: false, useVmac: false,
});

function instance(name: string, state: string, vrid: number, vips: AddressEntry[], extra: Record<string, unknown> = {}) {
  const rxErrors = Object.fromEntries(DECODE_REASONS.map((k) => [k, 0]));
  return {
    name,
    model: { virtualIpaddress: vips, virtualIpaddressExcluded: [], garpMasterDelayMs: 5000 },
    live: {
      state, wantState: state === 'MASTER' ? 'MASTER' : 'BACKUP', effectivePriority: 150, basePriority: 100,
      masterSaddr: undefined, masterPriority: 0, sync: undefined,
      r: { vrid, version: 3, family: 'inet', cfg: { interface: 'eth0' } },
      stats: { advertsSent: 10, advertsReceived: 7, priZeroSent: 1, priZeroReceived: 2, becomeMaster: 3, releaseMaster: 2, transitions: 5, rxErrors },
      ...extra,
    },
    baseInterface: 'eth0', sourceAddress: Uint8Array.of(10, 0, 0, 1), sendErrors: 4,
  };
}

function vrrpFixture(): VrrpView {
  const i1 = instance('VI_1', 'MASTER', 51, [vip('10.0.0.100/32'), vip('10.0.1.100/24', 'eth1')]);
  (i1.live.stats.rxErrors as Record<string, number>).ttl = 6;
  (i1.live.stats.rxErrors as Record<string, number>).auth = 8;
  (i1.live.stats.rxErrors as Record<string, number>).naddr = 1;
  (i1.live.stats.rxErrors as Record<string, number>)['addr-mismatch'] = 2;
  const i2 = instance('VI "2"', 'BACKUP', 52, [], { masterSaddr: Uint8Array.of(10, 0, 0, 12), masterPriority: 200 });
  const timing = new FailoverTiming();
  timing.backupEntered('VI_1', 1000);
  timing.advertReceived('VI_1', 2000);
  timing.enteredMaster('VI_1', 5600);
  timing.vipsInstalled('VI_1', 5603);
  timing.garpSent('VI_1', 5601);
  return {
    config: {} as never, configFile: '/etc/keepalived/keepalived.conf', pid: 1234, startedAt: 1_700_000_000_000, reloads: 2,
    instances: [i1, i2] as never, groups: [{ name: 'G1', state: 'MASTER', members: [i1.live] }] as never,
    unknownVrid: 9, addressFailures: 0, addressesRestored: 1, failover: timing.observe(), sched: { rtPriority: 1, rtLimitSignals: 2, rtLimitDemotions: 1 },
    scripts: [{ name: 'chk_a', ok: true }, { name: 'chk_b', ok: false, running: true }, { name: 'chk_c', ok: undefined }],
  };
}

function checkFixture(): CheckView {
  return {
    configFile: '/etc/keepalived/keepalived.conf', pid: 1235, startedAt: 1_700_000_000_500, reloads: 1,
    stats: { ipvsOps: 12, ipvsErrors: 1, probes: 100, probeErrors: 3, units: 2 },
    virtualServers: [{
      name: '10.0.0.100:80', protocol: 'TCP', scheduler: 'rr', lbKind: 'NAT', quorumUp: true, sorryActive: false, suspended: false,
      realServers: [
        { name: '10.0.2.1:80', address: '10.0.2.1', port: 80, alive: true, inTable: true, weight: 2, effectiveWeight: 2,
          checkers: [{ type: 'TCP_CHECK', up: true, hasRun: true }, { type: 'HTTP_GET', up: true, hasRun: true }] },
        { name: '10.0.2.2:80', address: '10.0.2.2', port: 80, alive: false, inTable: false, weight: 1, effectiveWeight: 1,
          checkers: [{ type: 'TCP_CHECK', up: false, hasRun: true }] },
      ],
    }],
  };
}

/** 5,000 real servers behind 2 virtual servers: 3 slices of at most 2,000 */
function bigView(): CheckView {
  const one = checkFixture();
  const vs = one.virtualServers[0]!;
  const rs = vs.realServers[0]!;
  return {
    ...one,
    virtualServers: [0, 1].map((v) => ({
      ...vs, name: `10.0.0.${v}:80`,
      realServers: Array.from({ length: 2500 }, (_, i) => ({ ...rs, name: `10.1.${i >> 8}.${i & 255}:80`, address: `10.1.${i >> 8}.${i & 255}`, alive: i % 3 !== 0, weight: i % 7 })),
    })),
  };
}

describe('collectMetrics', () => {
  const p = parseProm(collectMetrics({ vrrp: vrrpFixture(), check: checkFixture(), checkerRestarts: 2, badRequests: { 'not-found': 3 } }));

  it('keepalived_up and the exporter counters with iname, intf, vrid', () => {
    expect(find(p, 'keepalived_up')[0]!.value).toBe(1);
    const l = { iname: 'VI_1', intf: 'eth0', vrid: '51' };
    expect(find(p, 'keepalived_advertisements_received_total', l)[0]!.value).toBe(7);
    expect(find(p, 'keepalived_advertisements_sent_total', l)[0]!.value).toBe(10);
    expect(find(p, 'keepalived_become_master_total', l)[0]!.value).toBe(3);
    expect(find(p, 'keepalived_release_master_total', l)[0]!.value).toBe(2);
    expect(find(p, 'keepalived_ip_ttl_errors_total', l)[0]!.value).toBe(6);
    expect(find(p, 'keepalived_authentication_failure_total', l)[0]!.value).toBe(8);
    expect(find(p, 'keepalived_address_list_errors_total', l)[0]!.value).toBe(3);
    expect(find(p, 'keepalived_priority_zero_sent_total', l)[0]!.value).toBe(1);
    expect(find(p, 'keepalived_priority_zero_received_total', l)[0]!.value).toBe(2);
    expect(find(p, 'keepalived_gratuitous_arp_delay_total', l)[0]!.value).toBe(5);
    expect(Object.keys(find(p, 'keepalived_advertisements_sent_total', l)[0]!.labels).sort()).toEqual(['iname', 'intf', 'vrid']);
    for (const n of ['keepalived_packet_length_errors_total', 'keepalived_advertisements_interval_errors_total', 'keepalived_invalid_type_received_total',
      'keepalived_authentication_invalid_total', 'keepalived_authentication_mismatch_total']) {
      expect(p.type.get(n)).toBe('counter');
    }
  });

  it('keepalived_vrrp_state: one series per VIP with keepalived state numbers; empty ip_address without VIPs', () => {
    expect(find(p, 'keepalived_vrrp_state', { iname: 'VI_1' }).map((s) => [s.labels.intf, s.labels.ip_address, s.value]))
      .toEqual([['eth0', '10.0.0.100', 2], ['eth1', '10.0.1.100/24', 2]]);
    expect(find(p, 'keepalived_vrrp_state', { iname: 'VI "2"' }).map((s) => [s.labels.ip_address, s.value])).toEqual([['', 1]]);
  });

  it('keepalived_script_status: GOOD 1, BAD 0, not yet run absent', () => {
    expect(find(p, 'keepalived_script_status').map((s) => [s.labels.name, s.value])).toEqual([['chk_a', 1], ['chk_b', 0]]);
  });

  it('keepalived_script_state: the exporter\'s numbers for the dump\'s State (0 idle, 1 running), for every script', () => {
    expect(find(p, 'keepalived_script_state').map((s) => [s.labels.name, s.value])).toEqual([['chk_a', 0], ['chk_b', 1], ['chk_c', 0]]);
    expect(p.type.get('keepalived_script_state')).toBe('gauge');
  });

  it('ours: priorities, state set, drops by reason, unknown VRID, send errors', () => {
    const l = { iname: 'VI_1', intf: 'eth0', vrid: '51' };
    expect(find(p, 'keepalived_ts_vrrp_effective_priority', l)[0]!.value).toBe(150);
    expect(find(p, 'keepalived_ts_vrrp_base_priority', l)[0]!.value).toBe(100);
    expect(find(p, 'keepalived_ts_vrrp_state', l).filter((s) => s.value === 1).map((s) => s.labels.state)).toEqual(['MASTER']);
    expect(find(p, 'keepalived_ts_vrrp_advert_drops_total', { ...l, reason: 'ttl' })[0]!.value).toBe(6);
    expect(find(p, 'keepalived_ts_vrrp_advert_drops_total', l)).toHaveLength(DECODE_REASONS.length);
    expect(find(p, 'keepalived_ts_vrrp_advert_send_errors_total', l)[0]!.value).toBe(4);
    expect(find(p, 'keepalived_ts_unknown_vrid_adverts_total')[0]!.value).toBe(9);
    expect(find(p, 'keepalived_ts_reloads_total')[0]!.value).toBe(2);
    expect(find(p, 'keepalived_ts_sync_group_state', { group: 'G1', state: 'MASTER' })[0]!.value).toBe(1);
    expect(find(p, 'keepalived_ts_control_bad_requests_total', { reason: 'not-found' })[0]!.value).toBe(3);
    expect(find(p, 'keepalived_ts_vrrp_rt_priority')[0]!.value).toBe(1);
    expect(find(p, 'keepalived_ts_rt_limit_signals_total')[0]!.value).toBe(2);
    expect(find(p, 'keepalived_ts_rt_limit_demotions_total')[0]!.value).toBe(1);
  });

  it('failover histograms in seconds', () => {
    const det = find(p, 'keepalived_ts_failover_detection_seconds_bucket', { iname: 'VI_1' });
    expect(det.find((s) => s.labels.le === '2.5')!.value).toBe(0);
    expect(det.find((s) => s.labels.le === '5')!.value).toBe(1);
    expect(find(p, 'keepalived_ts_failover_detection_seconds_sum')[0]!.value).toBeCloseTo(3.6, 6);
    expect(find(p, 'keepalived_ts_failover_vips_installed_seconds_sum')[0]!.value).toBeCloseTo(0.003, 6);
    expect(find(p, 'keepalived_ts_failover_first_garp_seconds_count')[0]!.value).toBe(1);
  });

  it('the checker side: real servers, weights, checkers per type, IPVS counters, restarts', () => {
    expect(find(p, 'keepalived_ts_checker_process_up')[0]!.value).toBe(1);
    expect(find(p, 'keepalived_ts_checker_process_restarts_total')[0]!.value).toBe(2);
    expect(find(p, 'keepalived_ts_real_server_up', { vs: '10.0.0.100:80', rs: '10.0.2.1:80' })[0]!.value).toBe(1);
    expect(find(p, 'keepalived_ts_real_server_up', { rs: '10.0.2.2:80' })[0]!.value).toBe(0);
    expect(find(p, 'keepalived_ts_real_server_weight', { rs: '10.0.2.1:80' })[0]!.value).toBe(2);
    expect(find(p, 'keepalived_ts_checkers', { type: 'TCP_CHECK' })[0]!.value).toBe(2);
    expect(find(p, 'keepalived_ts_checkers_up', { type: 'TCP_CHECK' })[0]!.value).toBe(1);
    expect(find(p, 'keepalived_ts_ipvs_operations_total')[0]!.value).toBe(12);
    expect(find(p, 'keepalived_ts_checker_stat', { name: 'units' })[0]!.value).toBe(2);
  });

  it('a checker process that did not answer: up 0 and no real-server series; none configured: no checker series', () => {
    const down = parseProm(collectMetrics({ vrrp: vrrpFixture(), check: null }));
    expect(find(down, 'keepalived_ts_checker_process_up')[0]!.value).toBe(0);
    expect(find(down, 'keepalived_ts_real_server_up')).toHaveLength(0);
    const none = parseProm(collectMetrics({ vrrp: vrrpFixture() }));
    expect(find(none, 'keepalived_ts_checker_process_up')).toHaveLength(0);
  });

  it('email alerts of both sides, and unusable SSL blocks, as counters', () => {
    const check = checkFixture();
    const m = parseProm(collectMetrics({
      vrrp: vrrpFixture(), smtpAlerts: { sent: 4, failed: 1 },
      check: { ...check, stats: { ...check.stats, smtpAlertsSent: 6, smtpAlertsFailed: 2, sslContextErrors: 1 } },
    }));
    expect(find(m, 'keepalived_ts_vrrp_smtp_alerts_sent_total')[0]!.value).toBe(4);
    expect(find(m, 'keepalived_ts_vrrp_smtp_alerts_failed_total')[0]!.value).toBe(1);
    expect(find(m, 'keepalived_ts_checker_smtp_alerts_sent_total')[0]!.value).toBe(6);
    expect(find(m, 'keepalived_ts_checker_smtp_alerts_failed_total')[0]!.value).toBe(2);
    expect(find(m, 'keepalived_ts_checker_ssl_context_errors_total')[0]!.value).toBe(1);
    expect(m.type.get('keepalived_ts_checker_smtp_alerts_failed_total')).toBe('counter');
  });

  it('the checker process\'s own text after the VRRP side\'s is the same exposition, byte for byte', () => {
    const input = { vrrp: vrrpFixture(), checkerRestarts: 2, badRequests: { 'not-found': 3 } };
    const whole = collectMetrics({ ...input, check: checkFixture() });
    const split = collectMetrics({ ...input, check: 'rendered' }) + checkMetricsText(checkFixture());
    expect(split).toBe(whole);
    parseProm(split); // one HELP / TYPE per family: no family is on both sides
  });

  it('in slices: the same text with the event loop\'s turns between them, and nothing once the scrape stopped waiting', async () => {
    const big = bigView();
    let pauses = 0;
    const pause = async (): Promise<void> => {
      pauses++;
      await new Promise((r) => setImmediate(r));
    };
    const text = await checkMetricsTextSliced(big, pause, () => false);
    expect(text).toBe(checkMetricsText(big));
    expect(pauses).toBe(2);
    expect(find(parseProm(text!), 'keepalived_ts_real_server_up')).toHaveLength(5000);
    // the scrape's deadline passes during the first pause: given up
    let expired = false;
    const given = await checkMetricsTextSliced(big, async () => { expired = true; }, () => expired);
    expect(given).toBeUndefined();
  });

  it('a label value with a backslash, a quote or a newline is escaped; one without is kept as it is', () => {
    const text = checkMetricsText({ ...checkFixture(), virtualServers: [{ ...checkFixture().virtualServers[0]!, name: 'a\\b"c\nd' }] });
    expect(text).toContain('{vs="a\\\\b\\"c\\nd",rs="10.0.2.1:80"}');
    expect(checkMetricsText(checkFixture())).toContain('keepalived_ts_virtual_server_quorum_up{vs="10.0.0.100:80"} 1');
  });
});

describe('checkerStatusJson', () => {
  /** the text as JSON.stringify makes it, one level in (its place in the document) */
  const reference = (view: CheckView, restarts: number): string => JSON.stringify(checkerStatus(view, restarts), null, 2).replace(/\n/g, '\n  ');

  it('is JSON.stringify of the checker\'s status one level in: with no virtual server, no real server, no checker', () => {
    const one = checkFixture();
    const vs = one.virtualServers[0]!;
    const views: CheckView[] = [
      one,
      { ...one, virtualServers: [] },
      { ...one, virtualServers: [{ ...vs, realServers: [] }, vs], announced: ['10.0.0.100/32'], routingDaemon: { watching: ['bird'] } },
      { ...one, virtualServers: [{ ...vs, realServers: [{ ...vs.realServers[0]!, checkers: [] }] }] },
    ];
    for (const v of views) expect(checkerStatusJson(v, 4)).toBe(reference(v, 4));
  });

  it('in slices: the same text with the event loop\'s turns between them, and nothing once the asker stopped waiting', async () => {
    const big = bigView();
    let pauses = 0;
    const text = await checkerStatusJsonSliced(big, 1, async () => {
      pauses++;
      await new Promise((r) => setImmediate(r));
    }, () => false);
    expect(text).toBe(reference(big, 1));
    expect(pauses).toBe(2);
    let expired = false;
    expect(await checkerStatusJsonSliced(big, 1, async () => { expired = true; }, () => expired)).toBeUndefined();
  });
});

describe('statusDocBytes', () => {
  it('is JSON.stringify(doc, null, 2) with the checker\'s part put in as the checker rendered it', () => {
    const view = { ...checkFixture(), announced: ['10.0.0.100/32'], routingDaemon: { watching: ['bird'], running: { name: 'bird', pid: 7 } } };
    const now = 1_700_000_100_000;
    const whole = `${JSON.stringify(statusDoc(vrrpFixture(), { view }, 3, now), null, 2)}\n`;
    const bytes = statusDocBytes(vrrpFixture(), [Buffer.from(checkerStatusJson(view, 3))], 3, now);
    expect(Buffer.concat(bytes).toString()).toBe(whole);
    // chunks split anywhere make the same document
    const json = Buffer.from(checkerStatusJson(view, 3));
    const pieces = [json.subarray(0, 5), json.subarray(5, 200), json.subarray(200)];
    expect(Buffer.concat(statusDocBytes(vrrpFixture(), pieces, 3, now)).toString()).toBe(whole);
  });
});
