// The dump formatters (src/daemon/dump-*.ts) against what keepalived 2.2.7 wrote for the same
// configuration (test/fixtures/dumps, captured by scripts/capture-dump-golden.sh): the engine
// runs the fixture until both instances are MASTER, the counters and transition times are set
// to the golden's, then .stats and .json must be keepalived's bytes and the .data topology
// keepalived's lines (less the ones that name sockets and timers). keepalived-exporter's
// parsing rules (test/helpers/keepalived-exporter.ts) must read the same values from both.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { CheckView } from '../../../src/daemon/check-view.js';
import { clearCounters, keepalivedCounters, printfG, secUsec } from '../../../src/daemon/dump-common.js';
import { formatCheckData } from '../../../src/daemon/dump-check.js';
import { formatData } from '../../../src/daemon/dump-data.js';
import { formatJson, jsonString } from '../../../src/daemon/dump-json.js';
import { formatStats } from '../../../src/daemon/dump-stats.js';
import { mapConfig } from '../../../src/daemon/engine-config.js';
import type { InstanceView, VrrpView } from '../../../src/daemon/view.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { parseJson, parseStats, parseVip, parseVrrpData } from '../../helpers/keepalived-exporter.js';
import { fakeMachine, TmpDir } from '../config/helpers.js';

const FIX = join(__dirname, '..', '..', 'fixtures', 'dumps');
const golden = (name: string): string => readFileSync(join(FIX, name), 'utf8');
const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

const VETH0 = Uint8Array.of(10, 13, 0, 1);

/** The fixture's configuration run by the engine until both instances are MASTER. */
function fixtureView(): VrrpView {
  const text = golden('keepalived.conf');
  const machine = fakeMachine({ interfaceExists: (n) => n === 'veth0' || n === 'lo' });
  const { config } = loadConfig(tmp.conf(text), { configId: 'x', machine });
  const mapped = mapConfig(config, (n) => (n === 'veth0' ? { inet: VETH0 } : undefined));
  const engine = new VrrpEngine(mapped.engine);
  let step = engine.handle(0, { type: 'start' });
  for (let i = 0; i < 100 && step.deadline !== undefined && engine.instances.some((x) => x.state !== 'MASTER'); i++) {
    step = engine.handle(step.deadline, { type: 'tick' });
  }
  const instances: InstanceView[] = [...mapped.instances].map(([name, m]) => ({
    name, model: m.model, live: engine.instance(name)!, baseInterface: m.baseInterface,
    sourceAddress: m.config.sourceAddress.bytes, sendErrors: 0,
  }));
  return {
    config, configFile: 'keepalived.conf', pid: 1, startedAt: 0, reloads: 0, instances, groups: engine.groups,
    unknownVrid: 0, addressFailures: 0, addressesRestored: 0,
  };
}

/** Set what keepalived had counted when it wrote the golden. */
function asGolden(view: VrrpView, sent: Record<string, number>, transitions: Record<string, number>): VrrpView {
  const instances = view.instances.map((iv) => {
    const s = iv.live.stats;
    clearCounters(s);
    s.advertsSent = sent[iv.name]!;
    s.becomeMaster = 1;
    return { ...iv, lastTransitionAt: transitions[iv.name]! };
  });
  return { ...view, instances };
}

const LAST = { VI_1: 1795335101980.094, VI_2: 1795335100333.358 };

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

describe('keepalived.data', () => {
  // lines that name sockets and timers, which differ from run to run
  const transient = /^ {3}(Last transition|Read timeout|fd_in) /;
  const section = (text: string, title: string): string[] => {
    const lines = text.split('\n');
    const from = lines.indexOf(`------< ${title} >------`);
    const to = lines.findIndex((l, i) => i > from && l.startsWith('------<'));
    return lines.slice(from + 1, to < 0 ? undefined : to).filter((l) => l !== '');
  };

  it('has keepalived 2.2.7\'s VRRP Topology lines', () => {
    const view = asGolden(fixtureView(), { VI_1: 5, VI_2: 13 }, LAST);
    const ours = formatData(view, { wallMs: 1795335105000, monoMs: 0 }, 'host');
    const theirs = section(golden('keepalived-2.2.7.data'), 'VRRP Topology').filter((l) => !transient.test(l));
    expect(section(ours, 'VRRP Topology').filter((l) => !transient.test(l))).toEqual(theirs);
    expect(ours).toContain('   Last transition = 1795335101.980094 (');
  });

  it('prints global definitions with keepalived\'s words and values, in its order', () => {
    const view = fixtureView();
    const ours = section(formatData(view, { wallMs: 0, monoMs: 0 }, 'host'), 'Global definitions');
    const theirs = section(golden('keepalived-2.2.7.data'), 'Global definitions');
    const at = ours.map((l) => theirs.indexOf(l));
    expect(ours.filter((_, k) => at[k]! < 0)).toEqual([]);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(ours.length).toBeGreaterThan(20);
  });

  it('reads the same through the exporter as keepalived 2.2.7', () => {
    const view = asGolden(fixtureView(), { VI_1: 5, VI_2: 13 }, LAST);
    const ours = parseVrrpData(formatData(view, { wallMs: 0, monoMs: 0 }, 'host'));
    expect(ours).toEqual(parseVrrpData(golden('keepalived-2.2.7.data')));
    expect(ours.get('VI_1')).toEqual({
      iname: 'VI_1', state: 2, wantstate: 2, intf: 'veth0', garpDelay: 5, vrid: 71,
      vips: ['10.13.0.100/24 dev veth0 scope global set', '10.13.0.101 dev veth0 scope global label veth0:vip set'],
    });
  });

  it('shows the master seen by a BACKUP and turns the engine deadline into wall-clock time', () => {
    const view = fixtureView();
    const live = view.instances[1]!.live;
    live.state = 'BACKUP';
    live.masterSaddr = Uint8Array.of(10, 13, 0, 9);
    live.masterPriority = 200;
    live.sands = 2500;
    const text = formatData(view, { wallMs: 1_700_000_000_000, monoMs: 1000 }, 'host');
    expect(text).toContain('   Master router = 10.13.0.9\n   Master priority = 200\n   Master advert int = 0.50 sec\n');
    expect(text).toContain('   Read timeout = 1700000001.500000 (');
    expect(parseVrrpData(text).get('VI_2')!.state).toBe(1);
  });
});

describe('keepalived_check.data', () => {
  it('lists virtual servers, real servers with alive and weights, and checkers', () => {
    const view: CheckView = {
      configFile: 'k.conf', pid: 2, startedAt: 0, reloads: 0, stats: {},
      virtualServers: [{
        name: '[10.0.0.1]:tcp:80', protocol: 'TCP', scheduler: 'rr', lbKind: 'NAT', quorumUp: true, sorryActive: false, suspended: false,
        realServers: [
          { name: '[10.0.0.11]:tcp:80', address: '10.0.0.11', port: 80, alive: true, inTable: true, weight: 2, effectiveWeight: 2,
            checkers: [{ type: 'TCP_CHECK', up: true, hasRun: true }] },
          { name: '[10.0.0.12]:tcp:80', address: '10.0.0.12', port: 80, alive: false, inTable: false, weight: 1, effectiveWeight: 1,
            checkers: [{ type: 'HTTP_GET', up: false, hasRun: true }] },
        ],
      }],
    };
    const lines = formatCheckData(view).split('\n');
    expect(lines.slice(0, 3)).toEqual(['------< LVS Topology >------', ' ------< Virtual server >------', ' VS = [10.0.0.1]:tcp:80']);
    expect(lines).toContain('   RIP = 10.0.0.11, RPORT = 80, WEIGHT = 2 EFF WEIGHT = 2');
    expect(lines).toContain('   quorum_state_up = 1');
    const rs2 = lines.indexOf('   RIP = 10.0.0.12, RPORT = 80, WEIGHT = 1 EFF WEIGHT = 1');
    expect(lines.slice(rs2, rs2 + 6)).toContain('   alive = 0');
    const hc = lines.indexOf('------< Health checkers >------');
    expect(lines.slice(hc + 1, hc + 6)).toEqual([
      ' [10.0.0.1]:tcp:80 -> [10.0.0.11]:tcp:80', '   Keepalive method = TCP_CHECK', '   Enabled = yes', '   Up = yes', '   Has run = yes',
    ]);
    expect(formatCheckData({ ...view, virtualServers: [] })).toBe('');
  });
});
