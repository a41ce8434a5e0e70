// keepalived-ts's own settings outside keepalived.conf (src/config/settings.ts, issue 18): read
// from their file after keepalived.conf and winning; only those keywords there; in
// keepalived.conf still read, with advice that keepalived refuses that file, and the exit
// status keepalived-ts gives unchanged.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { KTS_SETTINGS } from '../../../src/config/settings.js';
import { fakeMachine, TmpDir } from './helpers.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

const KA_CONF = 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    10.0.0.1/24\n  }\n}\n';

describe('keepalived-ts settings file', () => {
  it('sets metrics_listen, control_socket and handover_on_stop; keepalived.conf stays free of them', () => {
    const file = tmp.conf(KA_CONF, { 'keepalived-ts.conf': '# ours\nmetrics_listen 127.0.0.1 9700\ncontrol_socket /run/kts.sock\nhandover_on_stop\n' });
    const r = loadConfig(file, { configId: 'lb1', machine: fakeMachine(), settingsFile: join(file, '..', 'keepalived-ts.conf') });
    expect(r.diagnostics.list).toEqual([]);
    const g = r.config.globalDefs;
    expect(g.metricsListen?.port).toBe(9700);
    expect(g.controlSocket).toBe('/run/kts.sock');
    expect(g.handoverOnStop).toBe(true);
  });

  it('wins over keepalived.conf, which is told that keepalived refuses it', () => {
    const file = tmp.conf(`global_defs {\n  control_socket /run/a.sock\n}\n${KA_CONF}`, { 'keepalived-ts.conf': 'control_socket /run/b.sock\n' });
    const r = loadConfig(file, { configId: 'lb1', machine: fakeMachine(), settingsFile: join(file, '..', 'keepalived-ts.conf') });
    expect(r.config.globalDefs.controlSocket).toBe('/run/b.sock');
    const advice = r.diagnostics.list.filter((d) => d.message.includes('keepalived 2.2.7 refuses this file'));
    expect(advice.map((d) => [d.kaClass, d.loc?.line])).toEqual([['OK', 2]]);
    expect(r.diagnostics.configTestExitCode()).toBe(0);
  });

  it('takes nothing but keepalived-ts settings', () => {
    const file = tmp.conf(KA_CONF, { 'keepalived-ts.conf': 'router_id lb9\n' });
    const r = loadConfig(file, { configId: 'lb1', machine: fakeMachine(), settingsFile: join(file, '..', 'keepalived-ts.conf') });
    expect(r.diagnostics.list.map((d) => d.code)).toEqual(['CONFIG_UNKNOWN_KEYWORD']);
    expect(r.config.globalDefs.routerId).not.toBe('lb9');
  });

  it('names the keywords keepalived 2.2.7 calls unknown', () => {
    expect([...KTS_SETTINGS].sort()).toEqual([
      'announce_daemon', 'announce_table', 'announce_vip', 'announce_withdraw_delay',
      'control_socket', 'handover_on_stop', 'json_dump_file', 'json_version', 'metrics_listen', 'state_dump_file', 'stats_dump_file', 'v3_checksum_as_v2',
    ]);
  });
});

describe('announce (active-active directors)', () => {
  const VS = 'virtual_server 10.0.0.80 80 {\n  lb_algo mh\n  lb_kind DR\n  protocol TCP\n  real_server 10.0.1.1 80 {\n    TCP_CHECK {\n    }\n  }\n}\n';
  const load = (settings: string) => {
    const file = tmp.conf(KA_CONF + VS, { 'keepalived-ts.conf': settings });
    return loadConfig(file, { configId: 'lb1', machine: fakeMachine(), settingsFile: join(file, '..', 'keepalived-ts.conf') });
  };

  it('reads the table, the VIPs (with an instance) and the withdraw delay', () => {
    const r = load('announce_table 250\nannounce_vip 10.0.0.80 instance VI_1\nannounce_withdraw_delay 1.5\n');
    expect(r.diagnostics.list).toEqual([]);
    const g = r.config.globalDefs;
    expect([g.announceTable, g.announceWithdrawDelayMs, g.announceVips?.map((v) => v.instance)]).toEqual([250, 1500, ['VI_1']]);
    expect(g.announceDaemons).toBeUndefined();
  });

  it("the VRRP process's reading (the virtual servers skipped) leaves announce_vip's virtual server to the checker's", () => {
    const file = tmp.conf(KA_CONF + VS, { 'keepalived-ts.conf': 'announce_table 250\nannounce_vip 10.0.0.80 instance VI_1\n' });
    const r = loadConfig(file, { configId: 'lb1', machine: fakeMachine(), settingsFile: join(file, '..', 'keepalived-ts.conf'), vrrpReading: true });
    expect(r.diagnostics.list).toEqual([]);
    expect(r.config.virtualServers).toEqual([]);
    expect(r.config.globalDefs.announceVips?.map((v) => v.instance)).toEqual(['VI_1']);
    // the instance is the VRRP process's own: still checked there
    const bad = tmp.conf(KA_CONF + VS, { 'keepalived-ts.conf': 'announce_table 250\nannounce_vip 10.0.0.80 instance VI_9\n' });
    const b = loadConfig(bad, { configId: 'lb1', machine: fakeMachine(), settingsFile: join(bad, '..', 'keepalived-ts.conf'), vrrpReading: true });
    expect(b.diagnostics.list.map((d) => d.message)).toEqual(['announce_vip 10.0.0.80: no vrrp_instance VI_9']);
  });

  it('reads the routing daemon watched: names, or none', () => {
    expect(load('announce_table 250\nannounce_daemon bird bgpd\n').config.globalDefs.announceDaemons).toEqual(['bird', 'bgpd']);
    expect(load('announce_table 250\nannounce_daemon none\n').config.globalDefs.announceDaemons).toEqual([]);
  });

  it.each([
    ['announce_vip 10.0.0.80\n', 'announce_vip needs announce_table'],
    ['announce_table 250\nannounce_vip 10.0.0.99\n', 'announce_vip 10.0.0.99: no virtual_server has this address'],
    ['announce_table 250\nannounce_vip 10.0.0.80 instance VI_9\n', 'announce_vip 10.0.0.80: no vrrp_instance VI_9'],
    ['announce_table 250\nannounce_vip 10.0.0.80\nannounce_vip 10.0.0.80\n', 'announce_vip 10.0.0.80 is given twice'],
    ['announce_table 254\n', 'out of range'],
    ['announce_table 250\nannounce_vip 10.0.0.80 via VI_1\n', "expected 'instance NAME'"],
    ['announce_table 250\nannounce_daemon\n', "announce_daemon needs the routing daemon's process name"],
    ['announce_table 250\nannounce_daemon bgpd a-very-long-daemon-name\n', 'at most 15 characters'],
  ])('%j is refused: %s', (settings, message) => {
    const r = load(settings);
    expect(r.diagnostics.list.map((d) => d.message).join('\n')).toContain(message);
    expect(r.diagnostics.configTestExitCode()).not.toBe(0);
  });
});
