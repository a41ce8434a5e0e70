/**
 * virtual_rules / static_rules entries -> RTM_NEWRULE / RTM_DELRULE message objects.
 *
 * The entry's `words` (the `ip rule` arguments) are read as keepalived 2.2.7 reads them
 * (vrrp_iprule.c alloc_rule, netlink_rule): exactly one action (`table|lookup T`, `goto N`,
 * `nop`, `blackhole`, `unreachable`, `prohibit`, `l3mdev`), optionally after `type` (another
 * route type, `nat` among them, is "Invalid rule action"); `from`/`to` `all|any|default` match
 * everything; `not` inverts; `fwmark M[/MASK]`; `iif|dev`, `oif` by name; `realms` (IPv4),
 * `suppress_ifgroup` / `sup_group` (names from `group`) and `suppress_prefixlength` need a
 * table action; `tunnel-id` is a 64-bit number sent big-endian; `track_group` (static rules)
 * is the daemon's, not the kernel's; the protocol is `keepalived` (18) unless the rule is
 * `no_track`; add is NLM_F_CREATE|EXCL.
 * A rule without a preference gets one from `defaultRulePreferences` (keepalived counts down
 * from 16384 per family, in configuration order).
 */
import type { rt } from 'netlink';
import type { RuleEntry } from '../config/model.js';
import { parsePrefix, type IpPrefix } from '../util/ip.js';
import { err, ok, type Result } from '../util/result.js';
import {
  AF_INET, AF_INET6, FR_ACT_BLACKHOLE, FR_ACT_GOTO, FR_ACT_NOP, FR_ACT_PROHIBIT, FR_ACT_TO_TBL,
  FR_ACT_UNREACHABLE, FIB_RULE_INVERT, NLM_F_CREATE, NLM_F_EXCL, RT_TABLE_UNSPEC, RTN_BLACKHOLE,
  RTN_PROHIBIT, RTN_UNREACHABLE, RTPROT_KEEPALIVED,
} from './constants.js';
import { DEFAULT_RT_NAMES, GROUP_MAX, lookupName, parseRealms, parseUnsigned, ROUTE_TYPES, type RtNames } from './names.js';
import { u32 } from './attrs.js';

type Family = 'inet' | 'inet6';

export interface PortRange { readonly start: number; readonly end: number }

/** A rule as keepalived understands its words. */
export interface RuleSpec {
  readonly family: Family;
  /** undefined: from all. */
  readonly from?: IpPrefix;
  readonly to?: IpPrefix;
  readonly invert: boolean;
  /** FR_ACT_* */
  readonly action: number;
  /** For action `table` (FR_ACT_TO_TBL without l3mdev). */
  readonly table?: number;
  readonly gotoTarget?: number;
  readonly l3mdev: boolean;
  /** undefined when the words give none (see defaultRulePreferences). */
  readonly preference?: number;
  readonly tos?: number;
  readonly fwmark?: number;
  readonly fwmask?: number;
  readonly iif?: string;
  readonly oif?: string;
  readonly suppressPrefixLength?: number;
  /** FRA_SUPPRESS_IFGROUP (`suppress_ifgroup` / `sup_group`) */
  readonly suppressIfgroup?: number;
  /** FRA_FLOW (`realms [FROM/]TO`): FROM << 16 | TO; 0 is not sent */
  readonly realms?: number;
  /** FRA_TUN_ID (`tunnel-id`); 0 is not sent */
  readonly tunnelId?: bigint;
  readonly uidRange?: PortRange;
  readonly ipProto?: number;
  readonly sport?: PortRange;
  readonly dport?: PortRange;
  readonly protocol: number;
  readonly noTrack: boolean;
  readonly warnings: readonly string[];
}

const IP_PROTOS: ReadonlyMap<string, number> = new Map([['icmp', 1], ['igmp', 2], ['tcp', 6], ['udp', 17], ['gre', 47], ['esp', 50], ['ah', 51], ['ipv6-icmp', 58], ['sctp', 132]]);
/** The route types that are rule actions (keepalived reads the action as a route type, a name or a number). */
const TYPE_ACTIONS: ReadonlyMap<number, number> = new Map([[RTN_BLACKHOLE, FR_ACT_BLACKHOLE], [RTN_UNREACHABLE, FR_ACT_UNREACHABLE], [RTN_PROHIBIT, FR_ACT_PROHIBIT]]);
const U64_MAX = (1n << 64n) - 1n;
/** keepalived's first automatic preference (RULE_START_PRIORITY), counting down per family. */
export const RULE_START_PREFERENCE = 16384;

function parseRange(v: string | undefined, max: number, single: boolean): PortRange | undefined {
  if (v === undefined) return undefined;
  const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(v);
  if (!m || (!single && m[2] === undefined)) return undefined;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  return start <= max && end <= max ? { start, end } : undefined;
}

/** Reads `ip rule` words as keepalived does; errors name the offending word. */
export function parseRuleWords(words: readonly string[], names: RtNames = DEFAULT_RT_NAMES): Result<RuleSpec, string> {
  let family: Family | undefined;
  const s: { -readonly [K in keyof RuleSpec]?: RuleSpec[K] } = {};
  let action: number | undefined;
  let invert = false;
  let l3mdev = false;
  let noTrack = false;
  let protocol: number | undefined;
  let tableOption = false;
  const warnings: string[] = [];
  const setAction = (a: number, w: string): string | undefined => {
    if (action !== undefined) return `more than one action ('${w}'): use one of table/goto/nop/blackhole/unreachable/prohibit/l3mdev`;
    action = a;
    return undefined;
  };
  for (let i = 0; i < words.length; i++) {
    let w = words[i]!;
    const arg = (): string | undefined => words[++i];
    let problem: string | undefined;
    if (w === 'inet' || w === 'inet6') {
      if (family !== undefined && family !== w) problem = `${w} given for a rule of the other family`;
      family = w;
    } else if (w === 'from' || w === 'to') {
      const v = arg();
      if (v === 'all' || v === 'any' || v === 'default') continue;
      const p = v === undefined ? undefined : parsePrefix(v);
      if (!p) return err(`invalid rule ${w} address '${v ?? ''}'`);
      if (family !== undefined && family !== p.family) return err('rule mixes IPv4 and IPv6');
      family = p.family;
      s[w] = p;
    } else if (w === 'table' || w === 'lookup') {
      const v = arg();
      const t = v === undefined ? undefined : lookupName(names.tables, v, 0xffffffff);
      if (t === undefined) return err(`routing table '${v ?? ''}' not found`);
      if (t === 0) return err('table 0 is not valid for a rule');
      s.table = t;
      problem = setAction(FR_ACT_TO_TBL, w);
    } else if (w === 'not') invert = true;
    else if (w === 'preference' || w === 'pref' || w === 'order' || w === 'priority') {
      const v = arg();
      const p = v === undefined ? undefined : parseUnsigned(v, 0xffffffff);
      if (p === undefined) return err(`invalid rule preference '${v ?? ''}'`);
      s.preference = p;
    } else if (w === 'tos' || w === 'dsfield') {
      const v = arg();
      const t = v === undefined ? undefined : parseUnsigned(v, 255);
      if (t === undefined) return err(`tos '${v ?? ''}' is not a number (names from rt_dsfield are not supported by keepalived-ts)`);
      s.tos = t;
    } else if (w === 'fwmark') {
      const v = arg() ?? '';
      const [markText, maskText, extra] = v.split('/');
      const mark = markText === undefined ? undefined : parseUnsigned(markText, 0xffffffff);
      const mask = maskText === undefined ? undefined : parseUnsigned(maskText, 0xffffffff);
      if (mark === undefined || extra !== undefined || (maskText !== undefined && mask === undefined)) return err(`invalid rule fwmark '${v}'`);
      s.fwmark = mark;
      if (mask !== undefined) s.fwmask = mask;
    } else if (w === 'dev' || w === 'iif' || w === 'oif') {
      const v = arg();
      if (v === undefined) return err(`'${w}' needs an interface`);
      if (w === 'oif') s.oif = v;
      else s.iif = v;
    } else if (w === 'suppress_prefixlength' || w === 'sup_pl') {
      const v = arg();
      const n = v === undefined ? undefined : parseUnsigned(v, 0x7fffffff);
      if (n === undefined) return err(`invalid suppress_prefixlength '${v ?? ''}'`);
      s.suppressPrefixLength = n;
      tableOption = true;
    } else if (w === 'uidrange') {
      const v = arg();
      const r = parseRange(v, 0xffffffff, false);
      if (!r) return err(`invalid uidrange '${v ?? ''}'`);
      s.uidRange = r;
    } else if (w === 'l3mdev') {
      l3mdev = true;
      problem = setAction(FR_ACT_TO_TBL, w);
    } else if (w === 'protocol' || w === 'proto') {
      const v = arg();
      const p = v === undefined ? undefined : lookupName(names.protocols, v, 255);
      if (p === undefined) return err(`invalid rule protocol '${v ?? ''}'`);
      protocol = p;
    } else if (w === 'ipproto' || w === 'ip_proto') {
      const v = arg();
      const p = v === undefined ? undefined : /^[0-9]/.test(v) ? parseUnsigned(v, 255) : IP_PROTOS.get(v);
      if (p === undefined) return err(`invalid ipproto '${v ?? ''}'`);
      s.ipProto = p;
    } else if (w === 'sport' || w === 'dport') {
      const v = arg();
      const r = parseRange(v, 0xffff, true);
      if (!r) return err(`invalid ${w} range '${v ?? ''}'`);
      s[w] = r;
    } else if (w === 'realms') {
      const v = arg();
      const r = v === undefined ? undefined : parseRealms(v, names);
      if (r === undefined) return err(`invalid realms ${v ?? ''} for rule`);
      if (family === 'inet6') return err('realms is only valid for IPv4');
      family = 'inet';
      s.realms = r;
      tableOption = true;
    } else if (w === 'suppress_ifgroup' || w === 'sup_group') {
      const v = arg();
      const g = v === undefined ? undefined : lookupName(names.groups ?? new Map(), v, GROUP_MAX);
      if (g === undefined) return err(`suppress_group ${v ?? ''} is invalid`);
      s.suppressIfgroup = g;
      tableOption = true;
    } else if (w === 'tunnel-id') {
      const v = arg();
      const id = v !== undefined && /^[0-9]+$/.test(v) ? BigInt(v) : undefined;
      if (id === undefined || id > U64_MAX) return err(`Invalid tunnel-id ${v ?? ''} specified`);
      s.tunnelId = id;
    } else if (w === 'track_group') {
      // a static rule's group of instances tracking its interface (src/daemon/engine-config.ts)
      arg();
    } else if (w === 'no_track') noTrack = true;
    else {
      if (w === 'type') w = arg() ?? '';
      if (w === 'goto') {
        const v = arg();
        const t = v === undefined ? undefined : parseUnsigned(v, 0xffffffff);
        if (t === undefined) return err(`invalid goto target '${v ?? ''}'`);
        s.gotoTarget = t;
        problem = setAction(FR_ACT_GOTO, w);
      } else if (w === 'nop') problem = setAction(FR_ACT_NOP, w);
      else {
        // a route type by name or number: blackhole, unreachable and prohibit are actions
        const type = ROUTE_TYPES.get(w) ?? parseUnsigned(w, 255);
        if (type === undefined) return err(`unknown rule option '${w}'`);
        const action = TYPE_ACTIONS.get(type);
        if (action === undefined) return err(`Invalid rule action ${w}`);
        problem = setAction(action, w);
      }
    }
    if (problem) return err(problem);
  }
  if (action === undefined) return err('no action (table, goto, nop, blackhole, unreachable, prohibit or l3mdev) for rule');
  if (action === FR_ACT_GOTO) {
    if (s.preference === undefined) return err(`goto ${s.gotoTarget} needs a preference`);
    if (s.preference >= s.gotoTarget!) return err(`preference ${s.preference} is not below goto target ${s.gotoTarget}`);
  }
  if (action !== FR_ACT_TO_TBL && tableOption) return err('suppressor/realm specified for non table action - skipping');
  if (l3mdev && s.table !== undefined) return err('table cannot be given for an l3mdev rule');
  if (protocol !== undefined && !noTrack && protocol !== RTPROT_KEEPALIVED) {
    warnings.push(`protocol ${protocol} replaced by keepalived (${RTPROT_KEEPALIVED}): a tracked rule must carry it (add no_track to keep it)`);
    protocol = RTPROT_KEEPALIVED;
  }
  return ok({
    ...s, family: family ?? 'inet', action, invert, l3mdev, noTrack,
    protocol: protocol ?? RTPROT_KEEPALIVED, warnings,
  } as RuleSpec);
}

/**
 * keepalived's preferences for rules written without one: 16384, 16383, ... per family, in the
 * order given (pass all virtual and static rules in configuration order).
 */
export function defaultRulePreferences(rules: readonly RuleEntry[], names: RtNames = DEFAULT_RT_NAMES): Map<RuleEntry, number> {
  const next = { inet: RULE_START_PREFERENCE, inet6: RULE_START_PREFERENCE };
  const out = new Map<RuleEntry, number>();
  for (const r of rules) {
    const spec = parseRuleWords(r.words, names);
    if (!spec.ok || spec.value.preference !== undefined) continue;
    out.set(r, next[spec.value.family]--);
  }
  return out;
}

export interface RuleRequest {
  readonly data: rt.Rule;
  readonly attrs: rt.RuleAttrs;
  readonly flags: number;
}

/** The message for adding or deleting `spec`; `preference` fills in a missing one. */
export function ruleRequest(spec: RuleSpec, op: 'add' | 'delete', preference?: number): RuleRequest {
  const data: rt.Rule = { family: spec.family === 'inet' ? AF_INET : AF_INET6, action: spec.action, table: RT_TABLE_UNSPEC };
  const attrs: rt.RuleAttrs = {};
  if (spec.action === FR_ACT_TO_TBL && !spec.l3mdev && spec.table !== undefined) {
    if (spec.table < 256) data.table = spec.table;
    else attrs.table = spec.table;
  }
  if (spec.invert) data.flags = { __unknown: FIB_RULE_INVERT };
  if (spec.tos !== undefined) data.tos = spec.tos;
  if (spec.from) {
    data.srcLen = spec.from.prefixLen;
    attrs.src = Buffer.from(spec.from.bytes);
  }
  if (spec.to) {
    data.dstLen = spec.to.prefixLen;
    attrs.dst = Buffer.from(spec.to.bytes);
  }
  const pref = spec.preference ?? preference;
  if (pref !== undefined) attrs.priority = pref;
  if (spec.fwmark !== undefined) attrs.fwmark = spec.fwmark;
  if (spec.fwmask !== undefined) attrs.fwmask = spec.fwmask;
  if (spec.realms) attrs.flow = spec.realms;
  if (spec.suppressPrefixLength !== undefined) attrs.suppressPrefixlen = u32(spec.suppressPrefixLength);
  if (spec.suppressIfgroup !== undefined) attrs.suppressIfgroup = u32(spec.suppressIfgroup);
  if (spec.iif !== undefined) attrs.iifname = spec.iif;
  if (spec.oif !== undefined) attrs.oifname = spec.oif;
  if (spec.tunnelId) attrs.tunId = be64(spec.tunnelId);
  if (spec.uidRange) attrs.uidRange = { ...spec.uidRange };
  if (spec.l3mdev) attrs.l3Mdev = 1;
  attrs.protocol = spec.protocol;
  if (spec.ipProto !== undefined) attrs.ipProto = spec.ipProto;
  if (spec.sport) attrs.sportRange = { ...spec.sport };
  if (spec.dport) attrs.dportRange = { ...spec.dport };
  if (spec.action === FR_ACT_GOTO) attrs.goto = spec.gotoTarget!;
  return { data, attrs, flags: op === 'add' ? NLM_F_CREATE | NLM_F_EXCL : 0 };
}

function be64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b;
}

/** The rule as written (its `ip rule` words), for messages. */
export function describeRule(r: RuleEntry): string {
  return r.words.join(' ');
}
