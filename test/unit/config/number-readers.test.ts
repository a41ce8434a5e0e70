// keepalived 2.2.7 reads a bad number differently when it runs than under `-t` (lib/parser.c
// read_unsigned_func / read_int_func with ignore_error, row 'parser.number-prefix-at-run-time'):
// outside -t the word's numeric prefix is taken, with a warning, when it is in range; -t reports
// the invalid number and keeps the default. Keywords read without ignore_error (priority,
// virtual_router_id) refuse the word either way. And the timers keepalived reads as whole
// seconds (row 'parser.whole-seconds').
import { afterAll, describe, expect, it } from 'vitest';
import { keepalivedDecimal } from '../../../src/config/kw.js';
import { loadConfig } from '../../../src/config/load.js';
import { fakeMachine, TmpDir } from './helpers.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

const conf = (globals: string, instance = '', script = ''): string => tmp.conf(
  `global_defs {\n  enable_script_security\n  script_user root\n${globals}}\n`
  + (script ? `vrrp_script chk {\n  script "/bin/true"\n${script}}\n` : '')
  + `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n${instance}`
  + `  virtual_ipaddress {\n    10.0.0.1/24\n  }\n${script ? '  track_script {\n    chk\n  }\n' : ''}}\n`,
);

const load = (file: string, runtime: boolean) => loadConfig(file, { machine: fakeMachine(), runtime });

describe('a bad number at run time and under -t', () => {
  it('a lenient keyword runs its numeric prefix, with keepalived\'s warning; -t keeps the default', () => {
    const file = conf('  vrrp_garp_master_repeat 1.5\n  vrrp_garp_lower_prio_repeat maybe\n');
    const run = load(file, true);
    expect(run.config.globalDefs.vrrpGarpMasterRepeat).toBe(1);
    expect(run.config.globalDefs.vrrpGarpLowerPrioRepeat).toBe(0);
    const warnings = run.diagnostics.list.filter((d) => d.row === 'parser.number-prefix-at-run-time').map((d) => d.message);
    expect(warnings).toEqual(["WARNING - invalid number '1.5'", "WARNING - invalid number 'maybe'"]);
    const test = load(file, false);
    expect(test.config.globalDefs.vrrpGarpMasterRepeat).toBe(5);
    expect(test.config.globalDefs.vrrpGarpLowerPrioRepeat).toBe(5);
    expect(test.diagnostics.list.map((d) => d.message)).toEqual(["invalid number '1.5'", "invalid number 'maybe'"]);
    // the -t class is the same either way
    expect(run.diagnostics.configTestExitCode()).toBe(test.diagnostics.configTestExitCode());
  });

  it('the prefix must be in range, and an unsigned reader refuses a negative one', () => {
    const run = load(conf('  vrrp_garp_master_repeat 0x\n  vrrp_down_timer_adverts -3x\n'), true);
    expect(run.config.globalDefs.vrrpGarpMasterRepeat).toBe(5);
    expect(run.config.globalDefs.vrrpDownTimerAdverts).toBe(3);
    expect(run.diagnostics.list.filter((d) => d.row === 'parser.number-prefix-at-run-time')).toEqual([]);
  });

  it('a signed reader (a track weight, a script weight) takes a negative prefix', () => {
    const run = load(conf('', '  track_interface {\n    eth1 weight -20x\n  }\n', '  weight -10;\n'), true);
    expect(run.config.vrrpInstances[0]!.trackInterface[0]!.weight).toBe(-20);
    expect(run.config.vrrpScripts[0]!.weight).toBe(-10);
  });

  it('a keyword keepalived reads without ignore_error refuses the word at run time too', () => {
    const run = load(conf('', '  advert_int 1\n').replace('priority 100', 'priority 150;'), true);
    expect(run.config.vrrpInstances[0]!.priority).toBe(100);
  });
});

describe('timers keepalived reads as whole seconds', () => {
  it('a decimal is an invalid number (its prefix at run time); 0 runs 1 s where keepalived raises it', () => {
    const file = conf('  vrrp_garp_master_delay 1.5\n  smtp_connect_timeout 0\n', '', '  interval 0.5\n  timeout 0\n');
    const test = load(file, false);
    expect(test.config.globalDefs.vrrpGarpMasterDelayMs).toBe(5000);
    expect(test.config.globalDefs.smtpConnectTimeoutMs).toBe(1000);
    expect(test.config.vrrpScripts[0]).toMatchObject({ intervalMs: 1000, timeoutMs: 1000 });
    expect(test.diagnostics.list.map((d) => d.message)).toEqual(expect.arrayContaining([
      "invalid number '1.5'", 'smtp_conect_timeout must be greater than 0, setting to 1',
      "invalid number '0.5'", '(chk): vrrp script timeout must be greater than 0, setting to 1',
    ]));
    const run = load(file, true);
    expect(run.config.globalDefs.vrrpGarpMasterDelayMs).toBe(1000);
    // interval 0.5 runs its prefix 0, which keepalived then raises to 1 s
    expect(run.config.vrrpScripts[0]).toMatchObject({ intervalMs: 1000, timeoutMs: 1000 });
  });
});

describe('decimal timers (read_decimal_unsigned with ignore_error)', () => {
  it('keepalivedDecimal drops the point, cuts and rounds the decimals, and reads the leading digits', () => {
    expect(keepalivedDecimal('1.5', 6)).toEqual({ value: 1_500_000, valid: true, tooManyDecimals: false });
    expect(keepalivedDecimal('0.1234567', 6)).toEqual({ value: 123_457, valid: true, tooManyDecimals: true });
    expect(keepalivedDecimal('0.5s', 6)).toEqual({ value: 5, valid: false, tooManyDecimals: false });
    expect(keepalivedDecimal('/bin/true.01', 6)).toEqual({ value: 0, valid: false, tooManyDecimals: false });
  });

  it('keepalivedDecimal reads plain words (its fast path) as the general path does', () => {
    expect(keepalivedDecimal('3', 6)).toEqual({ value: 3_000_000, valid: true, tooManyDecimals: false });
    expect(keepalivedDecimal('007', 6)).toEqual({ value: 7_000_000, valid: true, tooManyDecimals: false });
    expect(keepalivedDecimal('1.000001', 6)).toEqual({ value: 1_000_001, valid: true, tooManyDecimals: false });
    expect(keepalivedDecimal('123456789.123456', 6)).toEqual({ value: 123_456_789_123_456, valid: true, tooManyDecimals: false });
    expect(keepalivedDecimal('2.5', 3)).toEqual({ value: 2_500, valid: true, tooManyDecimals: false });
    // not plain: the general path
    expect(keepalivedDecimal('5.', 6)).toEqual({ value: 5_000_000, valid: true, tooManyDecimals: false });
    expect(keepalivedDecimal('.5', 6)).toEqual({ value: 500_000, valid: true, tooManyDecimals: false });
    expect(keepalivedDecimal('1.25', 1)).toEqual({ value: 13, valid: true, tooManyDecimals: true });
  });

  it('at run time a bad word runs what keepalived reads of it; -t keeps the default; extra decimals are rounded both ways', () => {
    const file = conf('', '  advert_int 2x\n  preempt_delay 0.1234567\n');
    const run = load(file, true).config.vrrpInstances[0]!;
    // '2x' is 2 followed by six zeros appended after the x: strtoull reads 2 (µs), below advert_int's minimum
    expect(run.advertIntMs).toBe(1000);
    expect(run.preemptDelayMs).toBeCloseTo(123.457, 6);
    const test = load(file, false).config.vrrpInstances[0]!;
    expect(test.preemptDelayMs).toBeCloseTo(123.457, 6);
    const grp = load(tmp.conf('garp_group {\n  garp_interval nope\n  interface eth0\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    10.0.0.1/24\n  }\n}\n'), true);
    expect(grp.config.garpGroups?.[0]?.garpIntervalMs).toBe(0);
    expect(grp.diagnostics.list.map((d) => d.message)).toContain("WARNING - invalid number 'nope'");
  });
});
