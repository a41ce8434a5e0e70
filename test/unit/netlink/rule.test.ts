// virtual_rules words -> RTM_NEWRULE / RTM_DELRULE objects, as keepalived 2.2.7 reads them.
import { describe, expect, it } from 'vitest';
import {
  FR_ACT_BLACKHOLE, FR_ACT_GOTO, FR_ACT_NOP, FR_ACT_PROHIBIT, FR_ACT_TO_TBL, FR_ACT_UNREACHABLE,
  FIB_RULE_INVERT, NLM_F_CREATE, NLM_F_EXCL, RTPROT_KEEPALIVED,
} from '../../../src/netlink/constants.js';
import { defaultRulePreferences, describeRule, parseRuleWords, ruleRequest, type RuleSpec } from '../../../src/netlink/rule.js';
import { u32 } from '../../../src/netlink/attrs.js';
import { bytes, rules } from './helpers.js';

function spec(line: string): RuleSpec {
  const [e] = rules(line);
  if (!e) throw new Error(`no rule parsed from '${line}'`);
  const r = parseRuleWords(e.words);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('parseRuleWords', () => {
  it.each<[string, Partial<RuleSpec>]>([
    ['from 10.0.0.0/24 table 100 preference 1000', { family: 'inet', action: FR_ACT_TO_TBL, table: 100, preference: 1000, protocol: RTPROT_KEEPALIVED, invert: false }],
    ['from all lookup main pref 5', { table: 254, preference: 5 }],
    ['to 10.0.0.0/8 table local priority 6', { table: 255, preference: 6 }],
    ['from 10.0.0.0/24 table 70000 order 7', { table: 70000, preference: 7 }],
    ['not from 10.0.0.0/24 table 100 pref 8', { invert: true }],
    ['fwmark 0x10 table 100 pref 9', { fwmark: 16 }],
    ['fwmark 0x10/0xff table 100 pref 9', { fwmark: 16, fwmask: 255 }],
    ['iif eth0 table 100 pref 10', { iif: 'eth0' }],
    ['oif eth1 table 100 pref 11', { oif: 'eth1' }],
    ['from 10.0.0.0/24 blackhole pref 12', { action: FR_ACT_BLACKHOLE }],
    ['from 10.0.0.0/24 unreachable pref 13', { action: FR_ACT_UNREACHABLE }],
    ['from 10.0.0.0/24 prohibit pref 14', { action: FR_ACT_PROHIBIT }],
    ['from 10.0.0.0/24 goto 100 pref 15', { action: FR_ACT_GOTO, gotoTarget: 100 }],
    ['from 2001:db8::/32 table 100 pref 16', { family: 'inet6' }],
    ['inet6 table 100 pref 17', { family: 'inet6' }],
    ['from 10.0.0.0/24 table 100 tos 0x10 pref 18', { tos: 16 }],
    ['from 10.0.0.0/24 table 100 suppress_prefixlength 0 pref 19', { suppressPrefixLength: 0 }],
    ['from 10.0.0.0/24 table 100 uidrange 100-200 pref 20', { uidRange: { start: 100, end: 200 } }],
    ['from 10.0.0.0/24 table 100 ipproto tcp dport 80-81 sport 1000 pref 21', { ipProto: 6, dport: { start: 80, end: 81 }, sport: { start: 1000, end: 1000 } }],
    ['from 10.0.0.0/24 table 100 no_track protocol 99 pref 22', { protocol: 99, noTrack: true }],
    ['from 10.0.0.0/24 l3mdev pref 23', { action: FR_ACT_TO_TBL, l3mdev: true }],
  ])('%s', (line, want) => {
    expect(spec(line)).toMatchObject(want);
  });

  it('leaves out what the words do not give', () => {
    const s = spec('from all fwmark 0x10 l3mdev pref 5');
    expect(s.from).toBeUndefined();
    expect(s.fwmask).toBeUndefined();
    expect(s.table).toBeUndefined();
  });

  it('nop is an action (read as keepalived reads it)', () => {
    const r = parseRuleWords(['from', '10.0.0.0/24', 'nop', 'pref', '3']);
    expect(r.ok && r.value.action).toBe(FR_ACT_NOP);
  });

  it.each([
    ['from 10.0.0.0/24 pref 5', 'no action (table, goto, nop, blackhole, unreachable, prohibit or l3mdev) for rule'],
    ['from 10.0.0.0/24 table 100 blackhole pref 5', "more than one action ('blackhole'): use one of table/goto/nop/blackhole/unreachable/prohibit/l3mdev"],
    ['from 10.0.0.0/24 table 0 pref 5', 'table 0 is not valid for a rule'],
    ['from 10.0.0.0/24 goto 100', 'goto 100 needs a preference'],
    ['from 10.0.0.0/24 goto 100 pref 100', 'preference 100 is not below goto target 100'],
    ['from 10.0.0.0/24 blackhole suppress_prefixlength 0 pref 5', 'suppress_prefixlength needs a table action'],
    ['from 10.0.0.0/24 table 100 realms 5 pref 5', "'realms' is not supported by keepalived-ts"],
    ['from 10.0.0.0/24 table nosuch pref 5', "routing table 'nosuch' not found"],
    ['fwmark 0x10/zz table 100 pref 5', "invalid rule fwmark '0x10/zz'"],
    ['from 10.0.0.0/24 to 2001:db8::/32 table 100 pref 5', 'rule mixes IPv4 and IPv6'],
    ['from 10.0.0.0/24 unicast pref 5', "unknown rule option 'unicast'"],
  ])('refuses %s', (line, error) => {
    const [e] = rules(line);
    expect(parseRuleWords(e!.words)).toEqual({ ok: false, error });
  });

  it('a tracked rule keeps protocol keepalived, with a warning', () => {
    const s = spec('from 10.0.0.0/24 table 100 protocol 99 pref 5');
    expect(s.protocol).toBe(RTPROT_KEEPALIVED);
    expect(s.warnings.join()).toMatch(/protocol 99 replaced by keepalived/);
  });
});

describe('ruleRequest', () => {
  it('table rule: fib_rule_hdr and attributes', () => {
    const r = ruleRequest(spec('not from 10.0.0.0/24 to 192.168.0.0/16 fwmark 0x10/0xff iif eth0 oif eth1 table 100 tos 4 preference 1000'), 'add');
    expect(r.data).toEqual({ family: 2, action: FR_ACT_TO_TBL, table: 100, srcLen: 24, dstLen: 16, tos: 4, flags: { __unknown: FIB_RULE_INVERT } });
    expect(bytes(r.attrs.src)).toEqual([10, 0, 0, 0]);
    expect(bytes(r.attrs.dst)).toEqual([192, 168, 0, 0]);
    expect(r.attrs).toMatchObject({ priority: 1000, fwmark: 16, fwmask: 255, iifname: 'eth0', oifname: 'eth1', protocol: RTPROT_KEEPALIVED });
    expect(r.attrs.table).toBeUndefined();
    expect(r.flags).toBe(NLM_F_CREATE | NLM_F_EXCL);
    expect(ruleRequest(spec('from 10.0.0.0/24 table 100 preference 1000'), 'delete').flags).toBe(0);
  });

  it.each([
    ['from 10.0.0.0/24 table 255 pref 1', 255, undefined],
    ['from 10.0.0.0/24 table 256 pref 1', 0, 256],
    ['from 10.0.0.0/24 blackhole pref 1', 0, undefined],
    ['from 10.0.0.0/24 l3mdev pref 1', 0, undefined],
  ])('%s: frh.table %d, FRA_TABLE %s', (line, frh, fra) => {
    const r = ruleRequest(spec(line), 'add');
    expect(r.data.table).toBe(frh);
    expect(r.attrs.table).toBe(fra);
  });

  it('from all sends no FRA_SRC; goto sends FRA_GOTO; l3mdev sends FRA_L3MDEV', () => {
    const a = ruleRequest(spec('from all table 100 pref 1'), 'add');
    expect(a.attrs.src).toBeUndefined();
    expect(a.data.srcLen).toBeUndefined();
    expect(ruleRequest(spec('from 10.0.0.0/8 goto 50 pref 1'), 'add').attrs.goto).toBe(50);
    expect(ruleRequest(spec('from 10.0.0.0/8 l3mdev pref 1'), 'add').attrs.l3Mdev).toBe(1);
    expect(ruleRequest(spec('from 10.0.0.0/8 table 9 suppress_prefixlength 0 pref 1'), 'add').attrs.suppressPrefixlen).toEqual(u32(0));
  });

  it('a preference from the words wins over the one given', () => {
    expect(ruleRequest(spec('from 10.0.0.0/8 table 9 pref 7'), 'add', 16384).attrs.priority).toBe(7);
    const [e] = rules('from 10.0.0.0/8 table 9');
    const s = parseRuleWords(e!.words);
    expect(s.ok && ruleRequest(s.value, 'add', 16384).attrs.priority).toBe(16384);
    expect(s.ok && ruleRequest(s.value, 'add').attrs.priority).toBeUndefined();
  });
});

describe('defaultRulePreferences', () => {
  it('counts down from 16384 per family, in order, for rules without a preference', () => {
    const rs = rules(
      'from 10.0.0.0/8 table 9',
      'from 10.1.0.0/16 table 9 pref 5',
      'from 2001:db8::/32 table 9',
      'to 10.2.0.0/16 table 9',
      'from 2001:db8:1::/48 table 9',
    );
    const prefs = defaultRulePreferences(rs);
    expect(rs.map((r) => prefs.get(r))).toEqual([16384, undefined, 16384, 16383, 16383]);
  });
});

describe('describeRule', () => {
  it('gives the words as written', () => {
    expect(describeRule(rules('from 10.0.0.0/8 table 9 pref 7')[0]!)).toBe('from 10.0.0.0/8 table 9 pref 7');
  });
});
