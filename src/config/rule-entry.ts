/**
 * One virtual_rules / static_rules line (`ip rule` words) as keepalived 2.2.7 reads it when it
 * loads the configuration (vrrp_iprule.c alloc_rule): what `-t` reports, with keepalived's
 * words, and the rules keepalived drops are dropped. The words are kept for the daemon, which
 * reads them again to build the request (src/netlink/rule.ts), names from the iproute2 files
 * included (a table, realm or group name is only looked up then).
 *
 * - The action is one of `table|lookup T`, `l3mdev`, `goto N`, `nop` or a route type, maybe
 *   after `type`: `blackhole`, `unreachable` and `prohibit` are actions, any other type (`nat`,
 *   `local`, ..., or a number) is "Invalid rule action"; an unknown word drops the rule
 *   ("Unknown rule option", `map-to` among them).
 * - `realms` (IPv4 only), `suppress_ifgroup` / `sup_group` and `suppress_prefixlength` /
 *   `sup_pl` need a table action; `tunnel-id` is a decimal 64-bit number.
 * - `track_group NAME` (static rules only) must name a track_group read before it, and the rule
 *   needs `dev` / `iif`.
 */
import { parsePrefix } from '../util/ip.js';
import { argInt } from './kw.js';
import { lineLoc, type Line } from './line.js';
import type { RuleEntry } from './model.js';
import type { ParseCtx } from './parser.js';
import { takeTrackGroup } from './track-group.js';

/** Words whose value the daemon reads (src/netlink/rule.ts). */
const RULE_ARG_WORDS = ['tos', 'dsfield', 'suppress_prefixlength', 'sup_pl', 'uidrange', 'ipproto', 'ip_proto', 'sport', 'dport', 'protocol'];
/** keepalived's route type names (lib/rttables.c); blackhole (6), unreachable (7), prohibit (8) are rule actions */
const RTN_TYPES: ReadonlyMap<string, number> = new Map([
  ['local', 2], ['nat', 10], ['broadcast', 3], ['brd', 3], ['anycast', 4], ['multicast', 5], ['prohibit', 8],
  ['unreachable', 7], ['blackhole', 6], ['xresolve', 11], ['unicast', 1], ['throw', 9],
]);
const ACTION_TYPES = new Set([6, 7, 8]);
const U64_MAX = (1n << 64n) - 1n;
const REALM = /^(?:[0-9]+|[^0-9/][^/]*)$/;

/** A number as strtoul base 0 reads a whole word, else undefined. */
function number0(w: string): number | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(w)) return parseInt(w.slice(2), 16);
  if (/^0[0-7]*$/.test(w)) return parseInt(w, 8);
  return /^[1-9][0-9]*$/.test(w) ? Number(w) : undefined;
}

/** `realms [FROM/]TO`: numbers up to 255, or names (looked up when the rule is installed). */
function realmsOk(v: string): boolean {
  const parts = v.split('/');
  return parts.length <= 2 && parts.every((p) => REALM.test(p) && (!/^[0-9]/.test(p) || (number0(p) ?? 256) <= 255));
}

/**
 * `trackGroups`: for a static rule, the track groups read so far (a virtual rule has none and
 * cannot name one).
 */
export function parseRuleEntry(ctx: ParseCtx, line: Line, trackGroups?: ReadonlySet<string>): RuleEntry | undefined {
  const w = line.words;
  const r: { -readonly [K in keyof RuleEntry]: RuleEntry[K] } = { family: 'inet', noTrack: false, words: w.slice(), loc: lineLoc(line, 0) };
  let family: 'inet' | 'inet6' | undefined;
  let action: 'table' | 'other' | undefined;
  let tableOption = false;
  /** keepalived's error, and the rule is not kept */
  const drop = (message: string, at: number, extra?: { row: string }): undefined => {
    ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', message, lineLoc(line, at), extra);
    return undefined;
  };
  for (let i = 0; i < w.length; i++) {
    const k = w[i]!;
    const next = (): string | undefined => {
      const v = w[++i];
      if (v === undefined) ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', `rule option '${k}' needs a value`, lineLoc(line, i - 1));
      return v;
    };
    if (k === 'inet' || k === 'inet6') {
      if (family !== undefined && family !== k) return drop(`${k} specified for ${family === 'inet' ? 'IPv4' : 'IPv6'} rule`, i);
      family = k;
    } else if (k === 'from' || k === 'to') {
      const v = next();
      if (v === undefined) continue;
      if (v === 'all' || v === 'any' || v === 'default') r[k] = 'all';
      else {
        const p = parsePrefix(v);
        if (!p) return drop(`Invalid rule ${k} address ${v}`, i);
        if (family !== undefined && family !== p.family) return drop('rule specification has mixed IPv4 and IPv6', i);
        family = p.family;
        r[k] = p;
      }
    } else if (k === 'table' || k === 'lookup') {
      const v = next();
      if (v === undefined) continue;
      if (number0(v) === 0) return drop('Table 0 is not valid', i);
      // keepalived looks the name up as it reads the rule (vrrp_iprule.c, find_rttables_table)
      // row: rule.table-not-found
      if (ctx.machine?.rtTableId && ctx.machine.rtTableId(v) === undefined) return drop(`Routing table ${v} not found for rule`, i, { row: 'rule.table-not-found' });
      if (action !== undefined) return drop('Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule', i - 1);
      action = 'table';
      r.table = v;
    } else if (k === 'not') continue;
    else if (k === 'preference' || k === 'pref' || k === 'priority' || k === 'order') {
      const v = argInt(ctx, line, ++i, 0, 0xffffffff);
      if (v !== undefined) r.preference = v;
    } else if (k === 'fwmark') {
      const v = next();
      if (v) r.fwmark = v;
    } else if (k === 'dev' || k === 'iif') {
      const v = next();
      if (v) r.iif = v;
    } else if (k === 'oif') {
      const v = next();
      if (v) r.oif = v;
    } else if (k === 'realms') {
      const v = next();
      if (v === undefined) continue;
      if (!realmsOk(v)) return drop(`invalid realms ${v} for rule`, i);
      tableOption = true;
      if (family === 'inet6') return drop('realms is only valid for IPv4', i - 1, { row: 'rule.realms-ipv6' });
      family = 'inet';
    } else if (k === 'suppress_ifgroup' || k === 'sup_group') {
      const v = next();
      if (v === undefined) continue;
      if (/^[0-9]/.test(v) && !((number0(v) ?? Infinity) <= 0x7fffffff)) return drop(`suppress_group ${v} is invalid`, i);
      tableOption = true;
    } else if (k === 'tunnel-id') {
      const v = next();
      if (v === undefined) continue;
      if (!/^[0-9]+$/.test(v) || BigInt(v) > U64_MAX) {
        ctx.report('CONFIG_VALUE', 'INVALID_NUMBER', /^[0-9]+$/.test(v) ? `number '${v}' outside unsigned 64 bit range` : `invalid number '${v}'`, lineLoc(line, i));
        // keepalived names the keyword here, not the value
        return drop(`Invalid tunnel-id ${k} specified`, i - 1, { row: 'rule.tunnel-id-invalid' });
      }
    } else if (k === 'l3mdev') {
      if (action !== undefined) return drop('Cannot specify l3mdev with other action', i);
      action = 'table';
    } else if (k === 'no_track') r.noTrack = true;
    else if (k === 'track_group' && trackGroups) {
      const at = takeTrackGroup(ctx, line, i, trackGroups, r);
      if (at === undefined) break;
      i = at;
    } else if (RULE_ARG_WORDS.includes(k)) {
      if (k === 'suppress_prefixlength' || k === 'sup_pl') tableOption = true;
      next();
    } else {
      // the action: [type] goto N | nop | a route type by name or number
      let at = i;
      const word = k === 'type' ? w[(at = ++i)] ?? '' : k;
      if (word === 'goto') {
        const v = next();
        if (v !== undefined && !(/^[0-9]+$/.test(v) && Number(v) <= 0xffffffff)) return drop(`Invalid target ${word} specified`, i);
      } else if (word !== 'nop') {
        const type = RTN_TYPES.get(word) ?? (/^[0-9]/.test(word) ? number0(word) : undefined);
        if (type === undefined || type > 255) return drop(`Unknown rule option ${word}`, at, { row: 'rule.unknown-option' });
        if (!ACTION_TYPES.has(type)) return drop(`Invalid rule action ${word}`, at, { row: 'rule.invalid-action' });
      }
      if (action !== undefined) return drop('Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule', at);
      action = 'other';
    }
  }
  if (tableOption && action === 'other') return drop('suppressor/realm specified for non table action - skipping', 0, { row: 'rule.table-option' });
  if (r.trackGroup !== undefined && r.iif === undefined) {
    ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', 'Static rule cannot have track_group if dev/iif not specified', lineLoc(line, 0), { row: 'static.rule-track-group-no-iif' });
    delete r.trackGroup;
  }
  r.family = family ?? 'inet';
  return r;
}
