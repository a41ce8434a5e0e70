// The dump formatters (src/dump/*.ts) against what keepalived 2.2.7 wrote for the same
// configuration (test/fixtures/dumps, captured by scripts/capture-dump-golden.sh): the engine
// runs the fixture until both instances are MASTER, the counters and transition times are set
// to the golden's, then .stats and .json must be keepalived's bytes. keepalived-exporter's
// parsing rules (test/helpers/keepalived-exporter.ts) must read the same values from both.
// keepalived.data: dump-data.test.ts; keepalived_check.data: dump-check.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { clearCounters, keepalivedCounters, printfG, secUsec } from '../../../src/dump/common.js';
import { inetAton } from '../../../src/dump/global.js';
import { formatJson, jsonString } from '../../../src/dump/json.js';
import { formatStats } from '../../../src/dump/stats.js';
import type { VrrpView } from '../../../src/daemon/view.js';
import { parseJson, parseStats, parseVip } from '../../helpers/keepalived-exporter.js';
import { TmpDir } from '../config/helpers.js';
import { asGolden, fixtureView as fixtureViewOf, golden, LAST } from './views.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());
const fixtureView = (): VrrpView => fixtureViewOf(tmp);

describe('keepalived.stats', () => {
  it('is keepalived 2.2.7 vrrp_print_stats byte for byte', () => {
    const view = asGolden(fixtureView(), { VI_1: 5, VI_2: 12 }, LAST);
    expect(formatStats(view)).toBe(golden('keepalived-2.2.7.stats'));
  });

  it('maps each decode reason onto keepalived counters, and STATS_CLEAR zeroes them', () => {
    const view = fixtureView();
    const s = view.instances[0]!.live.stats;
    Object.assign(s.rxErrors, { short: 1, ttl: 2, type: 3, interval: 4, naddr: 5, 'addr-mismatch': 6, dst: 7, auth: 8, checksum: 9 });
    s.priZeroReceived = 10;
    s.priZeroSent = 11;
    s.releaseMaster = 12;
    s.advertsReceived = 13;
    const c = keepalivedCounters(s);
    expect(c).toMatchObject({
      packet_len_err: 1, ip_ttl_err: 2, invalid_type_rcvd: 3, advert_interval_err: 4, addr_list_err: 18,
      auth_failure: 8, pri_zero_rcvd: 10, pri_zero_sent: 11, release_master: 12, advert_rcvd: 13,
    });
    const parsed = parseStats(formatStats(view)).get('VI_1')!;
    expect(parsed).toMatchObject({
      packetLenErr: 1, ipTtlErr: 2, invalidTypeRcvd: 3, advertIntervalErr: 4, addrListErr: 18, authFailure: 8,
      priZeroRcvd: 10, priZeroSent: 11, releaseMaster: 12, advertRcvd: 13,
    });
    clearCounters(s);
    expect(Object.values(keepalivedCounters(s)).every((v) => v === 0)).toBe(true);
  });

  it('reads the same through the exporter as keepalived 2.2.7', () => {
    const view = asGolden(fixtureView(), { VI_1: 5, VI_2: 12 }, LAST);
    expect(parseStats(formatStats(view))).toEqual(parseStats(golden('keepalived-2.2.7.stats')));
    expect(parseStats(golden('keepalived-2.2.7.stats')).get('VI_2')!.advertSent).toBe(12);
  });
});

describe('keepalived.json', () => {
  it('is keepalived 2.2.7 vrrp_json.c byte for byte (json_version 1)', () => {
    const view = asGolden(fixtureView(), { VI_1: 5, VI_2: 13 }, LAST);
    expect(formatJson(view, 1)).toBe(golden('keepalived-2.2.7.json'));
  });

  it('parses through the exporter into the same values as keepalived 2.2.7, and the engine state', () => {
    const view = asGolden(fixtureView(), { VI_1: 5, VI_2: 13 }, LAST);
    const ours = parseJson(formatJson(view, 1));
    expect(ours).toEqual(parseJson(golden('keepalived-2.2.7.json')));
    expect(ours.map((x) => [x.data.iname, x.data.state, x.data.vrid])).toEqual([['VI_1', 2, 71], ['VI_2', 2, 72]]);
    expect(ours[0]!.data.vips.map((v) => parseVip(v))).toEqual([['10.13.0.100/24', 'veth0'], ['10.13.0.101', 'veth0']]);
  });

  it('json_version 2 wraps the array in {"vrrp": [...]} as keepalived 2.3 does', () => {
    const view = asGolden(fixtureView(), { VI_1: 5, VI_2: 13 }, LAST);
    const v2 = JSON.parse(formatJson(view, 2)) as { vrrp: unknown[] };
    expect(v2).toEqual({ vrrp: JSON.parse(formatJson(view, 1)) });
  });

  it('writes keepalived\'s printf conversions and string escapes', () => {
    expect([0.5, 1, 5, 0.001, 1e-5, 123456, 1234567, 2.5e-7, 100.25].map(printfG))
      .toEqual(['0.5', '1', '5', '0.001', '1e-05', '123456', '1.23457e+06', '2.5e-07', '100.25']);
    expect(secUsec(1795335101980.094)).toBe('1795335101.980094');
    expect(jsonString('a/b"c\\d\n')).toBe('"a\\/b\\"c\\\\d\\n"');
  });
});

describe('inet_aton forms (smtp_server in keepalived.data)', () => {
  it.each([
    ['0.01', '0.0.0.1'], ['10.1', '10.0.0.1'], ['0x7f.1', '127.0.0.1'], ['1.16777215', '1.255.255.255'], ['192.168.0.010', '192.168.0.8'],
  ])('%s is %s', (text, want) => expect(inetAton(text)?.join('.')).toBe(want));
  it.each(['1.2.3.256', 'a.b', '', '1.2.3.4.5', '08'])('%s is none', (text) => expect(inetAton(text)).toBeUndefined());
});
