// virtual_rules words -> RTM_NEWRULE / RTM_DELRULE objects, as keepalived 2.2.7 reads them.
import { AttrStream, rt } from 'netlink';
import { describe, expect, it } from 'vitest';
import {
  FR_ACT_BLACKHOLE, FR_ACT_GOTO, FR_ACT_NOP, FR_ACT_PROHIBIT, FR_ACT_TO_TBL, FR_ACT_UNREACHABLE,
  FIB_RULE_INVERT, NLM_F_CREATE, NLM_F_EXCL, RTPROT_KEEPALIVED,
} from '../../../src/netlink/constants.js';
import { defaultRulePreferences, describeRule, parseRuleWords, ruleRequest, type RuleSpec } from '../../../src/netlink/rule.js';
import { u32 } from '../../../src/netlink/attrs.js';
import { DEFAULT_RT_NAMES } from '../../../src/netlink/names.js';
import { parseAttrs } from '../../../src/netlink/attrs.js';
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
    ['from 10.0.0.0/24 blackhole suppress_prefixlength 0 pref 5', 'suppressor/realm specified for non table action - skipping'],
    ['from 10.0.0.0/24 table nosuch pref 5', "routing table 'nosuch' not found"],
    ['fwmark 0x10/zz table 100 pref 5', "invalid rule fwmark '0x10/zz'"],
    ['from 10.0.0.0/24 to 2001:db8::/32 table 100 pref 5', 'rule mixes IPv4 and IPv6'],
    // keepalived reads the action as a route type: only blackhole, unreachable and prohibit are actions
    ['from 10.0.0.0/24 unicast pref 5', 'Invalid rule action unicast'],
    ['from 10.0.0.0/24 nat 10.1.0.0 pref 5', 'Invalid rule action nat'],
    ['from 10.0.0.0/24 type nat pref 5', 'Invalid rule action nat'],
    ['from 10.0.0.0/24 type 10 pref 5', 'Invalid rule action 10'],
    ['from 10.0.0.0/24 table 100 map-to 10.1.0.0 pref 5', "unknown rule option 'map-to'"],
    ['from 10.0.0.0/24 table 100 realms 256 pref 5', 'invalid realms 256 for rule'],
    ['from 10.0.0.0/24 table 100 realms 1/nosuch pref 5', 'invalid realms 1/nosuch for rule'],
    ['from 2001:db8::/32 table 100 realms 5 pref 5', 'realms is only valid for IPv4'],
    ['inet6 table 100 realms 5 pref 5', 'realms is only valid for IPv4'],
    ['table 100 realms 5 from 2001:db8::/32 pref 5', 'rule mixes IPv4 and IPv6'],
    ['from 10.0.0.0/24 blackhole realms 5 pref 5', 'suppressor/realm specified for non table action - skipping'],
    ['from 10.0.0.0/24 prohibit sup_group 5 pref 5', 'suppressor/realm specified for non table action - skipping'],
    ['from 10.0.0.0/24 table 100 suppress_ifgroup nosuch pref 5', 'suppress_group nosuch is invalid'],
    ['from 10.0.0.0/24 table 100 sup_group 2147483648 pref 5', 'suppress_group 2147483648 is invalid'],
    ['from 10.0.0.0/24 table 100 tunnel-id 0x10 pref 5', 'Invalid tunnel-id 0x10 specified'],
    ['from 10.0.0.0/24 table 100 tunnel-id 18446744073709551616 pref 5', 'Invalid tunnel-id 18446744073709551616 specified'],
  ])('refuses %s', (line, error) => {
    expect(parseRuleWords(line.split(' '))).toEqual({ ok: false, error });
  });

  it('realms, suppress_ifgroup / sup_group (numbers or names of the group file) and tunnel-id, as keepalived reads them', () => {
    const names = { ...DEFAULT_RT_NAMES, realms: new Map([['cosmos', 0], ['inner', 9]]), groups: new Map([['default', 0], ['spine', 42]]) };
    const read = (line: string): RuleSpec => {
      const r = parseRuleWords(line.split(' '), names);
      if (!r.ok) throw new Error(r.error);
      return r.value;
    };
    expect(read('from 10.0.0.0/24 table 100 realms 5 pref 1')).toMatchObject({ realms: 5, family: 'inet' });
    expect(read('table 100 realms 3/inner pref 1')).toMatchObject({ realms: (3 << 16) | 9, family: 'inet' });
    expect(read('from all l3mdev realms 0x10/010 pref 1')).toMatchObject({ realms: (16 << 16) | 8 });
    expect(read('from 10.0.0.0/24 table 100 suppress_ifgroup 7 pref 1').suppressIfgroup).toBe(7);
    expect(read('from 10.0.0.0/24 table 100 sup_group spine pref 1').suppressIfgroup).toBe(42);
    expect(read('from 10.0.0.0/24 table 100 sup_group default pref 1').suppressIfgroup).toBe(0);
    expect(read('from 2001:db8::/32 table 100 sup_group 2147483647 pref 1')).toMatchObject({ suppressIfgroup: 0x7fffffff, family: 'inet6' });
    expect(read('from 10.0.0.0/24 blackhole tunnel-id 18446744073709551615 pref 1').tunnelId).toBe(18446744073709551615n);
    expect(read('from 10.0.0.0/24 table 100 track_group TG pref 1').preference).toBe(1);
  });

  it('an action may be written as a route type, by name or number, maybe after `type`', () => {
    expect(spec('from 10.0.0.0/24 type blackhole pref 5').action).toBe(FR_ACT_BLACKHOLE);
    expect(parseRuleWords('from 10.0.0.0/24 type 7 pref 5'.split(' '))).toMatchObject({ ok: true, value: { action: FR_ACT_UNREACHABLE } });
    expect(parseRuleWords('from 10.0.0.0/24 0x8 pref 5'.split(' '))).toMatchObject({ ok: true, value: { action: FR_ACT_PROHIBIT } });
  });

  it('a tracked rule keeps protocol keepalived, with a warning', () => {
    const s = spec('from 10.0.0.0/24 table 100 protocol 99 pref 5');
    expect(s.protocol).toBe(RTPROT_KEEPALIVED);
    expect(s.warnings.join()).toMatch(/protocol 99 replaced by keepalived/);
  });
});

const FRA_FLOW = 11;
const FRA_TUN_ID = 12;
const FRA_SUPPRESS_IFGROUP = 13;

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

  it('realms, suppress_ifgroup and tunnel-id: FRA_FLOW, FRA_SUPPRESS_IFGROUP (u32) and FRA_TUN_ID (u64, big-endian) in the message', () => {
    const r = ruleRequest(spec('from 10.0.0.0/24 table 100 realms 3/4 sup_group 5 tunnel-id 4294967298 preference 9'), 'add');
    const out = new AttrStream();
    rt.formatRuleMessage({ kind: 'rule', data: r.data, attrs: r.attrs }, out);
    const msg = Buffer.concat(out.bufs);
    const a = parseAttrs(msg.subarray(12))!; // after struct fib_rule_hdr
    expect([...a.get(FRA_FLOW)!]).toEqual([4, 0, 3, 0]); // 3 << 16 | 4, host order (x86-64)
    expect([...a.get(FRA_SUPPRESS_IFGROUP)!]).toEqual([5, 0, 0, 0]);
    expect(a.get(FRA_TUN_ID)!.toString('hex')).toBe('0000000100000002');
    // group 0 is sent (keepalived's mask bit), realms and tunnel-id 0 are not
    const zero = ruleRequest(spec('from 10.0.0.0/24 table 100 realms 0 sup_group 0 tunnel-id 0 preference 9'), 'add').attrs;
    expect([zero.flow, zero.tunId, zero.suppressIfgroup]).toEqual([undefined, undefined, u32(0)]);
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
