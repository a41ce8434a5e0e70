/**
 * `bfd_instance NAME { ... }` (keepalived/bfd/bfd_parser.c, bfd_data.c alloc_bfd): one BFD
 * session to a neighbour, with keepalived's defaults, ranges and words. Intervals are written
 * in milliseconds with up to three decimals and kept in microseconds. An instance keepalived
 * disables (no neighbour, mixed families, the same addresses as another) is dropped here.
 */
import type { Keyword, Mutable } from './parser.js';
import type { RootDraft } from './root-draft.js';
import { lineLoc, type Line } from './line.js';
import type { BfdInstance } from './model.js';
import { table } from './kw.js';
import { formatIp, type IpAddress, parseSockaddr } from '../util/ip.js';

/**
 * A bfd_instance being read: the model's instance with every field writable, the neighbour and
 * ttl not known yet, and what only the reading needs (which processes were named, whether the
 * instance is already refused). The first typed builder (issue 16): no casts, and a field the
 * model does not have is a compile error. A type, not an interface, so it is also a Draft.
 */
type Known = Omit<BfdInstance, 'neighborIp' | 'ttl' | 'vrrp' | 'checker'>;
export type BfdDraft = Mutable<Known> & {
  neighborIp?: IpAddress;
  ttl?: number;
  /** set when the block ends, from `events` */
  vrrp?: boolean;
  checker?: boolean;
  events?: Set<'vrrp' | 'checker'>;
  dropped?: boolean;
};
type BfdField = 'minRxUs' | 'minTxUs' | 'idleTxUs' | 'multiplier' | 'ttl' | 'maxHops';

/** bfd.h BFD_INAME_MAX: the name and its NUL */
const NAME_MAX = 31;
/** bfd.h: BFD_CONTROL_TTL (IPv4) and BFD_CONTROL_HOPLIMIT (IPv6), the default ttl */
const DEFAULT_TTL = { inet: 255, inet6: 64 } as const;
/** above these, keepalived warns that the value is not sensible (ms) */
const MAX_SENSIBLE_MS = 10_000;

const who = (d: BfdDraft): string => `Configuration error: BFD instance ${d.name}`;

/** min_rx / min_tx / idle_tx: milliseconds with up to three decimals, in [min, UINT32_MAX / 1000] ms. */
function interval(field: BfdField, kw: string, minMs: number): Keyword<BfdDraft> {
  const maxMs = Math.floor(0xffffffff / 1000);
  return {
    handler: (ctx, line, d) => {
      const w = line.words[1] ?? '';
      const us = /^\d+(\.\d{1,3})?$/.test(w) ? Math.round(Number(w) * 1000) : NaN;
      if (!(us >= minMs * 1000 && us <= maxMs * 1000)) {
        ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `${who(d)} ${kw} value ${w} is not valid (must be in range [${minMs}-${maxMs}]), ignoring`, lineLoc(line, 1), { row: 'bfd.value-invalid' });
        return;
      }
      d[field] = us;
      if (us > MAX_SENSIBLE_MS * 1000) {
        ctx.report('CONFIG_VALUE', 'OK', `Configuration warning: BFD instance ${d.name} ${kw} value ${w} is larger than max sensible (${MAX_SENSIBLE_MS})`, lineLoc(line, 1));
      }
    },
  };
}

/** multiplier / ttl / max_hops: a whole number in range. */
function whole(field: BfdField, what: string, min: number, max: number): Keyword<BfdDraft> {
  return {
    handler: (ctx, line, d) => {
      const w = line.words[1] ?? '';
      const v = /^-?\d+$/.test(w) ? Number(w) : NaN;
      if (!(v >= min && v <= max)) {
        ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `${who(d)} ${what} value ${w} not valid (must be in range [${min}-${max}]), ignoring`, lineLoc(line, 1), { row: 'bfd.value-invalid' });
        return;
      }
      d[field] = v;
    },
  };
}

function address(line: Line): IpAddress | undefined {
  return parseSockaddr(line.words[1] ?? '');
}

const neighbor: Keyword<BfdDraft> = {
  handler: (ctx, line, d) => {
    const a = address(line);
    if (!a) {
      // keepalived says "neighbor" whichever spelling was used
      ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `${who(d)} has malformed neighbor address ${line.words[1] ?? ''}, ignoring instance`, lineLoc(line, 1), { row: 'bfd.instance-dropped' });
      d.dropped = true;
      return;
    }
    d.neighborIp = a;
  },
};

export const bfdInstanceTable = table<BfdDraft>({
  neighbor_ip: neighbor,
  neighbour_ip: neighbor,
  source_ip: {
    handler: (ctx, line, d) => {
      const a = address(line);
      if (!a) return void ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `${who(d)} has malformed source address ${line.words[1] ?? ''}, ignoring`, lineLoc(line, 1), { row: 'bfd.value-invalid' });
      d.sourceIp = a;
    },
  },
  min_rx: interval('minRxUs', 'min_rx', 1),
  min_tx: interval('minTxUs', 'min_tx', 1),
  idle_tx: interval('idleTxUs', 'idle_tx', 1000),
  multiplier: whole('multiplier', 'multiplier', 1, 255),
  passive: { handler: (_ctx, _line, d) => { d.passive = true; } },
  ttl: whole('ttl', 'ttl/hoplimit', 1, 255),
  hoplimit: whole('ttl', 'ttl/hoplimit', 1, 255),
  max_hops: whole('maxHops', 'max_hops', -1, 255),
  // the weight a track_bfd entry without its own takes (bfd_parser.c bfd_vrrp_weight_handler)
  weight: {
    handler: (ctx, line, d) => {
      const w = line.words[1] ?? '';
      const v = /^-?\d+$/.test(w) ? Number(w) : NaN;
      if (!(v >= -253 && v <= 253)) {
        ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `${who(d)} weight value ${w} not valid (must be in range [-253-253]), ignoring`, lineLoc(line, 1), { row: 'bfd.value-invalid' });
      } else d.weight = v;
      const opt = line.words[2];
      if (opt === undefined) return;
      if (opt === 'reverse') d.weightReverse = true;
      else ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `${who(d)} unknown weight option ${opt}`, lineLoc(line, 2), { row: 'bfd.value-invalid' });
    },
  },
  // which processes hear of it; neither written: both
  vrrp: { handler: (_ctx, _line, d) => { d.events?.add('vrrp'); } },
  checker: { handler: (_ctx, _line, d) => { d.events?.add('checker'); } },
});

export const bfdInstanceKeyword: Keyword<RootDraft, BfdDraft> = {
  sub: bfdInstanceTable,
  open: (ctx, line, root) => {
    const name = line.words[1] ?? '';
    const list = root.bfdInstances;
    if (name.length > NAME_MAX) {
      ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `Configuration error: BFD instance ${name} name too long (maximum length is ${NAME_MAX} characters) - ignoring`, lineLoc(line, 1), { row: 'bfd.instance-dropped' });
      return undefined;
    }
    if (list.some((b) => b.name === name)) {
      ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', `Configuration error: BFD instance ${name} already configured - ignoring`, lineLoc(line, 1), { row: 'bfd.instance-dropped' });
      return undefined;
    }
    // bfd_data.c alloc_bfd's defaults (ttl: by the neighbour's family, at the end)
    const d: BfdDraft = {
      name, loc: lineLoc(line, 1), events: new Set(), minRxUs: 10_000, minTxUs: 10_000, idleTxUs: 1_000_000, multiplier: 5, passive: false, maxHops: 0,
      weight: 0, weightReverse: false,
    };
    list.push(d);
    return d;
  },
  close: (ctx, d, root) => {
    const list = root.bfdInstances;
    const drop = (): void => void (root.bfdInstances = list.filter((x) => x !== d));
    if (d.dropped) return drop();
    const nbr = d.neighborIp;
    const src = d.sourceIp;
    if (!nbr) {
      ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', `${who(d)} has no neighbor address set, disabling instance`, d.loc, { row: 'bfd.no-neighbor' });
      return drop();
    }
    if (src && src.family !== nbr.family) {
      ctx.report('CONFIG_CONFLICT', 'GENERAL_ERROR', `${who(d)} source address ${formatIp(src)} and neighbor address ${formatIp(nbr)} are not of the same family, disabling instance`, d.loc, { row: 'bfd.instance-dropped' });
      return drop();
    }
    // bfd_data.c find_bfd_by_addr: the same neighbour, and the same source or either without one
    const same = list.find((o) => o !== d && o.neighborIp !== undefined && formatIp(o.neighborIp) === formatIp(nbr)
      && (!o.sourceIp || !src || formatIp(o.sourceIp) === formatIp(src)));
    if (same) {
      const msg = src ? `has duplicate source/neighbor address ${formatIp(src)}/${formatIp(nbr)}, ignoring instance` : `has duplicate neighbor address ${formatIp(nbr)}, ignoring instance`;
      ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', `${who(d)} ${msg}`, d.loc, { row: 'bfd.instance-dropped' });
      return drop();
    }
    d.ttl ??= DEFAULT_TTL[nbr.family];
    if (d.maxHops > d.ttl) {
      ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `BFD instance ${d.name}: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit`, d.loc, { row: 'bfd.max-hops-above-ttl' });
      d.maxHops = d.ttl;
    }
    const events = d.events ?? new Set();
    d.vrrp = events.size === 0 || events.has('vrrp');
    d.checker = events.size === 0 || events.has('checker');
    delete d.events;
  },
};

/** A bfd_instance the block's end kept, as the model's BfdInstance: checked, not cast. */
export function completedBfd(d: BfdDraft): BfdInstance {
  const { neighborIp, ttl, vrrp, checker } = d;
  if (neighborIp === undefined || ttl === undefined || vrrp === undefined || checker === undefined) {
    throw new Error(`internal error: bfd_instance ${d.name} left incomplete at its end`);
  }
  return { ...d, neighborIp, ttl, vrrp, checker };
}
