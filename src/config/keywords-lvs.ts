/** virtual_server_group, virtual_server, real_server and the checkers (keepalived/check/check_*.c). */
import { type Family, type IpAddress, parseIp, parseSockaddr } from '../util/ip.js';
import { granularityFamily, granularityPrefix, parseTunnelOptions, type ServerKind, type TunnelSpec } from './lvs-values.js';
import { argInt, argWord, type FieldOf, flag, int, ip, lenientInt, mark, need, notHonoured, script, seconds, str, table, wholeSeconds } from './kw.js';
import type { Keyword, KeywordTable, Mutable, ParseCtx } from './parser.js';
import { lineLoc, type Line } from './line.js';
import { packedNodeJson, packedNodeLoc, packNodeLoc, setFieldLoc, type Loc } from './loc.js';
import type { Script } from './model.js';
import type { Checker, CheckerCommon, CheckerType, HttpUrl, LbKind, RealServer, VirtualServer, VsGroupEntry } from './model-lvs.js';
import { compileRegex, pcreDifferences } from '../util/pcre.js';

export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos'] as const;

// ------------------------------------------------------------------ drafts

/*
 * The blocks being read, derived from the model's types as keywords-bfd.ts's BfdDraft is: every
 * field writable, the lists that grow as the block is read mutable arrays (of drafts), and the
 * fields complete-lvs.ts fills optional. A keyword naming a field its block's draft does not
 * have, or whose type does not take the keyword's value, does not compile. Types, not
 * interfaces, so they are also Drafts.
 */

/** The model's checker variants whose type is T (HTTP_GET and SSL_GET share one). */
type CheckerVariant<C, T> = C extends { readonly type: infer U } ? (T extends U ? C : never) : never;

/** A url block of HTTP_GET / SSL_GET. */
export type UrlDraft = Omit<Mutable<HttpUrl>, 'statusCode'> & { statusCode: HttpUrl['statusCode'][number][] };

/** An HTTP_GET / SSL_GET block: its urls are drafts (a url without a path is dropped at its '}'). */
type HttpDraft = Omit<Mutable<CheckerVariant<Checker, 'HTTP_GET'>>, 'url'> & { url: UrlDraft[] };

/** A checker block of type T, its model variant made writable; without T, any checker (a union on `type`). */
export type CheckerDraft<T extends CheckerType = CheckerType> = T extends 'HTTP_GET' | 'SSL_GET' ? HttpDraft : Mutable<CheckerVariant<Checker, T>>;

/** What every checker block reads (checkerCommon, and SMTP_CHECK's deprecated host blocks). */
type CheckerCommonDraft = Mutable<CheckerCommon>;

/** A real_server block; its weight is the virtual server's unless written (the completion). */
export type RsDraft = Omit<Mutable<RealServer>, 'weight' | 'checkers'> & { weight?: RealServer['weight']; checkers: CheckerDraft[] };

/** A virtual_server block; the completion sets the scheduler, the forwarding method and the protocol when not written. */
export type VsDraft = Omit<Mutable<VirtualServer>, 'lbAlgo' | 'lbKind' | 'protocol' | 'schedFlags' | 'realServers'> & {
  lbAlgo?: VirtualServer['lbAlgo'];
  lbKind?: VirtualServer['lbKind'];
  protocol?: VirtualServer['protocol'];
  schedFlags: string[];
  realServers: RsDraft[];
};

// ------------------------------------------------------------------ virtual_server_group

export function parseVsgEntry(ctx: ParseCtx, l: Line): VsGroupEntry | undefined {
  const w = l.words;
  if (w[0] === 'fwmark') {
    const mark = argInt(ctx, l, 1, 1, 0xffffffff);
    if (mark === undefined) return undefined;
    const fam = w[2];
    if (fam !== undefined && fam !== 'inet' && fam !== 'inet6') ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `unknown fwmark family '${fam}'`, lineLoc(l, 2));
    return { fwmark: mark, ...(fam === 'inet' || fam === 'inet6' ? { family: fam } : {}), loc: lineLoc(l, 0) };
  }
  const spec = w[0]!;
  let first = parseIp(spec);
  let last = first;
  if (!first) {
    // a.b.c.d-e, a.b.c.d-e.f.g.h, or net/len
    const range = /^(.+)-([0-9a-fA-F.:]+)$/.exec(spec);
    const slash = /^(.+)\/([0-9]+)$/.exec(spec);
    if (range) {
      first = parseIp(range[1]!);
      if (first) {
        const end = range[2]!;
        if (first.family === 'inet' && /^[0-9]+$/.test(end)) {
          const b = Uint8Array.from(first.bytes);
          b[3] = Number(end);
          last = Number(end) <= 255 && Number(end) >= first.bytes[3]! ? { family: 'inet', bytes: b } : undefined;
        } else if (first.family === 'inet6' && /^[0-9a-fA-F]{1,4}$/.test(end)) {
          const b = Uint8Array.from(first.bytes);
          const n = parseInt(end, 16);
          b[14] = n >> 8;
          b[15] = n & 0xff;
          last = { family: 'inet6', bytes: b };
        } else last = parseIp(end);
      }
    } else if (slash) {
      const base = parseIp(slash[1]!);
      const len = Number(slash[2]);
      const max = base?.family === 'inet' ? 32 : 128;
      if (base && len <= max) {
        const lo = Uint8Array.from(base.bytes);
        const hi = Uint8Array.from(base.bytes);
        for (let bit = len; bit < max; bit++) {
          lo[bit >> 3]! &= ~(0x80 >> (bit & 7));
          hi[bit >> 3]! |= 0x80 >> (bit & 7);
        }
        first = { family: base.family, bytes: lo };
        last = { family: base.family, bytes: hi };
      }
    }
  }
  if (!first || !last || first.family !== last.family) {
    ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid virtual server group entry '${spec}'`, lineLoc(l, 0));
    return undefined;
  }
  const port = w[1] !== undefined ? argInt(ctx, l, 1, 0, 65535) : undefined;
  return { first, last, ...(port !== undefined ? { port } : {}), loc: lineLoc(l, 0) };
}

// ------------------------------------------------------------------ checkers

const checkerCommon: Record<string, Keyword<CheckerCommonDraft>> = {
  connect_ip: ip('connectIp'),
  connect_port: lenientInt('connectPort', 1, 65535),
  bindto: ip('bindto'),
  bind_port: lenientInt('bindPort', 1, 65535),
  bind_if: str('bindIf'),
  connect_timeout: seconds('connectTimeoutMs', 0.001, 86400),
  fwmark: lenientInt('fwmark', 1, 0xffffffff),
  retry: lenientInt('retry', 0, 2 ** 31 - 1),
  delay_before_retry: seconds('delayBeforeRetryMs', 0, 86400),
  warmup: seconds('warmupMs', 0, 86400),
  delay_loop: seconds('delayLoopMs', 0.001, 86400),
  alpha: flag('alpha'),
  log_all_failures: flag('logAllFailures'),
};

function statusCodes(ctx: ParseCtx, line: Line, d: UrlDraft): void {
  const list = d.statusCode ?? [];
  for (let i = 1; i < line.words.length; i++) {
    const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(line.words[i]!);
    const from = m ? Number(m[1]) : NaN;
    const to = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || from < 100 || to > 599 || from > to) {
      ctx.report('CONFIG_RANGE', 'GENERAL_ERROR', `status_code '${line.words[i]}' is not a code or range within 100..599`, lineLoc(line, i));
      continue;
    }
    list.push({ from, to });
  }
  d.statusCode = list;
}

const urlTable = table<UrlDraft>({
  path: str('path'),
  digest: {
    handler: (ctx, line, d) => {
      const v = need(ctx, line, 1);
      if (v === undefined) return;
      // check_http.c digest_handler: the first one is kept (keepalived-ts kept the last)
      // row: lvs.digest-duplicate
      if (d.digest !== undefined) return void ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', `Digest '${v}' is a duplicate`, lineLoc(line, 1), { row: 'lvs.digest-duplicate' });
      if (!/^[0-9a-fA-F]{32}$/.test(v)) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `digest '${v}' is not 32 hexadecimal characters (an MD5 sum)`, lineLoc(line, 1));
      else d.digest = v.toLowerCase();
    },
  },
  status_code: { handler: statusCodes },
  virtualhost: str('virtualhost'),
  regex: str('regex'),
  regex_no_match: mark('regexNoMatch'),
  // keepalived ignores words it does not know
  regex_options: {
    handler: (_ctx, line, d) => {
      d.regexOptions = [...(d.regexOptions ?? []), ...line.words.slice(1).filter((w) => REGEX_OPTIONS.includes(w))];
    },
  },
  regex_stack: notHonoured({}, 'it sizes PCRE2\'s JIT stack; keepalived-ts matches with JavaScript\'s RegExp, which has none to size'),
  regex_min_offset: regexOffset('regexMinOffset', 'min'),
  regex_max_offset: regexOffset('regexMaxOffset', 'max'),
});

const httpTable = table<HttpDraft>({
  ...checkerCommon,
  // deprecated in HTTP_GET / SSL_GET only (check_http.c); an unknown keyword in other checkers
  nb_get_retry: {
    handler: (ctx, line, d) => {
      ctx.report('CONFIG_DEPRECATED', 'GENERAL_ERROR', "nb_get_retry is deprecated - please use 'retry'", lineLoc(line, 0), { row: 'lvs.nb-get-retry' });
      const v = argInt(ctx, line, 1, 0, 2 ** 31 - 1);
      if (v !== undefined) d.retry = v;
    },
  },
  url: {
    sub: urlTable,
    open: (_ctx, line, d) => {
      const u: UrlDraft = { statusCode: [], regexNoMatch: false, loc: lineLoc(line, 0) };
      d.url.push(u);
      return u;
    },
    close: (ctx, u, d) => {
      // check_http.c url_check: a url without a path is dropped
      if (u.path === undefined) {
        ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', 'HTTP/SSL_GET checker url has no path - ignoring', u.loc, { row: 'lvs.url-no-path' });
        d.url = d.url.filter((x) => x !== u);
        return;
      }
      completeRegex(ctx, u);
    },
  } satisfies Keyword<HttpDraft, UrlDraft>,
  http_protocol: { handler: (ctx, line, d) => { const v = argWord(ctx, line, 1, ['1.0', '1.0C', '1.0c', '1.1']); if (v) d.httpProtocol = v === '1.0c' ? '1.0C' : v; } },
  virtualhost: str('virtualhost'),
  fast_recovery: flag('fastRecovery'),
  enable_sni: flag('enableSni'),
});

/** check_http.c http_get_check_end: an HTTP_GET / SSL_GET without a url is dropped */
function httpEnd(ctx: ParseCtx, c: HttpDraft, rs: RsDraft): void {
  if (c.url.length > 0) return;
  ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', 'HTTP/SSL_GET checker has no urls specified - ignoring', c.loc, { row: 'lvs.http-no-url' });
  rs.checkers = rs.checkers.filter((x) => x !== c);
}

/*
 * Real servers and their checkers are the model's most numerous objects (100,000 of each in a
 * large file), so they are made by constructors of their own, not as literals. V8 leaves spare
 * room in a constructor's objects, and keeps there the fields written after the opening line
 * (weight, the checker's timers, each field's source place). A literal's later fields go to a
 * property array of its own: 13 MB of a 100,000-server model, and its collections.
 */
class RsNode {
  declare address: IpAddress;
  declare port?: number;
  declare checkers: CheckerDraft[];

  constructor(address: IpAddress, port: number | undefined, line: Line) {
    this.address = address;
    if (port !== undefined) this.port = port;
    this.checkers = [];
    packNodeLoc(this, line);
  }

  /** Its place is packed (src/config/loc.ts): no Loc object per real server. */
  get loc(): Loc {
    return packedNodeLoc(this);
  }

  toJSON(): object {
    return packedNodeJson(this);
  }
}

class CheckerNode {
  declare type: CheckerType;

  constructor(type: CheckerType, defaults: object, line: Line) {
    this.type = type;
    Object.assign(this, defaults);
    packNodeLoc(this, line);
  }

  get loc(): Loc {
    return packedNodeLoc(this);
  }

  toJSON(): object {
    return packedNodeJson(this);
  }
}

/** A checker block's keywords, its starting fields (besides its type and place), and its end. */
interface CheckerSpec<D extends object> {
  readonly table: KeywordTable<D>;
  readonly defaults: () => Omit<D, 'type' | 'loc'>;
  /** keepalived's *_end_handler: may drop the checker from its real server */
  readonly close?: (ctx: ParseCtx, c: D, rs: RsDraft) => void;
}

const checkerTables: { readonly [T in CheckerType]: CheckerSpec<CheckerDraft<T>> } = {
  TCP_CHECK: { table: table(checkerCommon), defaults: () => ({}) },
  HTTP_GET: { table: httpTable, defaults: () => ({ url: [] }), close: httpEnd },
  SSL_GET: { table: httpTable, defaults: () => ({ url: [] }), close: httpEnd },
  MISC_CHECK: {
    table: table<CheckerDraft<'MISC_CHECK'>>({
      ...checkerCommon,
      misc_path: script('miscPath'),
      misc_timeout: wholeSeconds('miscTimeoutMs', 0, 4294),
      misc_dynamic: mark('miscDynamic'),
      user: {
        handler: (ctx, line, d) => {
          const u = need(ctx, line, 1);
          if (u === undefined) return;
          d.user = { user: u, ...(line.words[2] ? { group: line.words[2] } : {}) };
          setFieldLoc(d, 'user', line);
        },
      },
    }),
    defaults: () => ({ miscDynamic: false }),
    // check_misc.c misc_end_handler: a MISC_CHECK without misc_path is dropped
    close: (ctx, c, rs) => {
      if (c.miscPath !== undefined) return;
      ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', 'No script path has been specified for MISC_CHECKER - skipping', c.loc, { row: 'lvs.misc-no-path' });
      rs.checkers = rs.checkers.filter((x) => x !== c);
    },
  },
  SMTP_CHECK: {
    table: table<CheckerDraft<'SMTP_CHECK'>>({
      ...checkerCommon,
      helo_name: str('heloName'),
      host: {
        sub: table(checkerCommon),
        open: (ctx, line) => {
          ctx.report('CONFIG_DEPRECATED', 'OK', `'host' blocks in SMTP_CHECK are deprecated; use one SMTP_CHECK per host`, lineLoc(line, 0));
          // keepalived still checks each host; keepalived-ts does not: said, not dropped silently
          ctx.report('CONFIG_UNSUPPORTED', 'OK', `'host' is accepted but not supported by keepalived-ts (this host is not checked: write one SMTP_CHECK per host)`, lineLoc(line, 0));
          return {};
        },
      } satisfies Keyword<CheckerDraft<'SMTP_CHECK'>, CheckerCommonDraft>,
    }),
    defaults: () => ({}),
  },
  DNS_CHECK: {
    table: table<CheckerDraft<'DNS_CHECK'>>({
      ...checkerCommon,
      type: { handler: (ctx, line, d) => { const v = argWord(ctx, line, 1, ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA', 'RRSIG', 'DNSKEY']); if (v) d.dnsType = v; } },
      name: { handler: dnsName },
    }),
    // keepalived's DNS_DEFAULT_NAME: empty, the root (the query is the same as for '.')
    defaults: () => ({ dnsType: 'SOA', name: '' }),
  },
  UDP_CHECK: {
    table: table<CheckerDraft<'UDP_CHECK'>>({
      ...checkerCommon,
      // keepalived reads the hex of both from every word after the keyword (blanks between octets)
      payload: { handler: (ctx, line, d) => { if (need(ctx, line, 1) !== undefined) d.payload = line.words.slice(1).join(' '); } },
      require_reply: { handler: (_ctx, line, d) => { d.requireReply = line.words.slice(1).join(' '); } },
      min_reply_length: int('minReplyLength', 0, 65535),
      max_reply_length: int('maxReplyLength', 0, 65535),
    }),
    defaults: () => ({ minReplyLength: 0, maxReplyLength: 255 }),
  },
  PING_CHECK: { table: table(checkerCommon), defaults: () => ({}) },
  FILE_CHECK: {
    table: table<CheckerDraft<'FILE_CHECK'>>({
      ...checkerCommon,
      track_file: str('trackFile'),
      weight: { handler: (ctx, line, d) => { const v = argInt(ctx, line, 1, -254, 254, 10, true); if (v !== undefined) d.weight = v; if (line.words[2] === 'reverse') d.weightReverse = true; } },
    }),
    defaults: () => ({ weightReverse: false }),
    // check_file.c file_end_handler: a FILE_CHECK without track_file is dropped
    close: (ctx, c, rs) => {
      if (c.trackFile !== undefined) return;
      ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', 'FILE_CHECK has no track_file specified - ignoring', c.loc, { row: 'lvs.file-check-no-file' });
      rs.checkers = rs.checkers.filter((x) => x !== c);
    },
  },
  BFD_CHECK: { table: table<CheckerDraft<'BFD_CHECK'>>({ ...checkerCommon, name: str('name') }), defaults: () => ({}) },
};

const checkerKeywords: Record<string, Keyword<RsDraft, CheckerDraft>> = Object.fromEntries(
  Object.entries(checkerTables).map(([type, spec]) => [
    type,
    {
      sub: spec.table,
      open: (ctx: ParseCtx, line: Line, rs: RsDraft) => {
        // Object.entries forgets which type goes with which spec (checkerTables' type pairs them)
        const c = new CheckerNode(type as CheckerType, spec.defaults(), line) as unknown as CheckerDraft;
        // a new array of exactly the checkers (one grown by push keeps some 130 bytes of spare
        // room at one element; one per real server adds up). `rs` is an empty stand-in when
        // its real_server line was refused and a stray brace keeps the block open.
        rs.checkers = rs.checkers?.length ? rs.checkers.concat(c) : [c];
        return c;
      },
      ...(spec.close ? { close: spec.close } : {}),
    } satisfies Keyword<RsDraft, CheckerDraft>,
  ]),
);

/**
 * DNS_CHECK's `name` (check_dns.c dns_name_handler): the first one is kept (keepalived-ts kept
 * the last), and a name with an empty label (`a..b`, `.x`) is ignored with keepalived's words.
 * Deliberate difference: keepalived's label check also refuses a name whose first label is one
 * character (`a.example`: it looks at the character after the first one before it looks after
 * a dot); such a name is a name here.
 */
function dnsName(ctx: ParseCtx, line: Line, d: CheckerDraft<'DNS_CHECK'>): void {
  // row: lvs.dns-name
  if (d.name !== '') return void ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', 'DNS_CHECK name already specified - ignoring', lineLoc(line, 1), { row: 'lvs.dns-name' });
  const v = need(ctx, line, 1);
  if (v === undefined) return;
  if ((v.startsWith('.') && v.length > 1) || v.includes('..')) {
    return void ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `DNS_CHECK name '${v}' has empty label - ignoring`, lineLoc(line, 1), { row: 'lvs.dns-name' });
  }
  d.name = v;
}

// ------------------------------------------------------------------ real_server

/**
 * notify_up / notify_down of a real server, quorum_up / quorum_down of a virtual server
 * (check_parser.c): a second one is refused with keepalived's words and the first kept. The
 * message names the virtual server's group ("(null)" without one) and reads the script's word
 * without checking it is there: with none (an unterminated quote took it) the reading stops.
 */
const checkScript = <D extends object>(field: NoInfer<FieldOf<D, Script>>, onRealServer: boolean): Keyword<D> => ({
  handler: (ctx, line, d) => {
    if (d[field] !== undefined) {
      if (line.words.length < 2) return void ctx.missingValue(line);
      // the virtual server: this block, or the one around the real server (ctx.enclosing() is an untyped Draft)
      const vs = (onRealServer ? ctx.enclosing() : d) as Pick<VsDraft, 'group'> | undefined;
      // row: lvs.notify-twice
      ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', `(${vs?.group ?? '(null)'}) ${line.words[0]!} script already specified - ignoring ${line.words[1]!}`,
        lineLoc(line, 1), { row: 'lvs.notify-twice' });
      return;
    }
    script<D>(field).handler!(ctx, line, d);
  },
});

/**
 * What `lbKind` writes, a forwarding method and its tunnel options (a real server's, a virtual
 * server's, or its sorry server's), and reads: the sorry server, which must come first.
 */
type Forwarding = { lvsMethod?: LbKind; lbKind?: LbKind; sorryServerLvsMethod?: LbKind; tunnel?: TunnelSpec; sorryServerTunnel?: TunnelSpec; sorryServer?: VsDraft['sorryServer'] };

/**
 * `lb_kind` / `lvs_method` / `sorry_server_lvs_method`: the method, then tunnel options (read
 * for any method, as keepalived reads them); after a bad option the method is set and the
 * server's options are left as they were.
 */
const lbKind = <D extends Forwarding>(field: NoInfer<FieldOf<D, LbKind>> & FieldOf<Forwarding, LbKind>, tunnelField: NoInfer<FieldOf<D, TunnelSpec>> & FieldOf<Forwarding, TunnelSpec>,
  server: ServerKind): Keyword<D> => ({
  // d: D seen as the Forwarding it extends: TypeScript writes a field named by a generic key of a
  // concrete type, not of D (the names were checked against D above)
  handler: (ctx, line, d: Forwarding) => {
    if (server === 'sorry' && d.sorryServer === undefined) {
      return void ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', 'sorry_server forwarding used without sorry_server', lineLoc(line, 0), { row: 'lvs.sorry-method-first' });
    }
    const v = argWord(ctx, line, 1, ['NAT', 'DR', 'TUN']);
    if (!v) return;
    d[field] = v;
    const t = parseTunnelOptions(line.words.slice(2), server);
    if (typeof t === 'string') return void ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', t, lineLoc(line, 2), { row: 'lvs.tunnel-options' });
    d[tunnelField] = t;
  },
});

/** The virtual server's address family so far, as keepalived's vs->af: its address's, ip_family's, or its first real server's that is not tunnelled. */
function vsFamilySoFar(d: VsDraft): Family | undefined {
  const own = d.address?.family ?? d.ipFamily;
  if (own) return own;
  const rs = (d.realServers ?? []).find((r) => r.lvsMethod !== 'TUN');
  return rs?.address?.family;
}

/** snmp_name: one word, the server's name in KEEPALIVED-MIB (the last one given is kept); the field named at the call site, as the tables name theirs */
function snmpName(field: 'snmpName', what: string): Keyword<Pick<VsDraft & RsDraft, 'snmpName'>> {
  return {
    handler: (ctx, line, d) => {
      // row: lvs.snmp-name-words
      if (line.words.length !== 2) return void ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `${what} snmp_name missing or extra parameters`, lineLoc(line, 0), { row: 'lvs.snmp-name-words' });
      d[field] = line.words[1];
      setFieldLoc(d, field, line);
    },
  };
}

const realServerTable = table<RsDraft>({
  weight: lenientInt('weight', 0, 2 ** 31 - 1),
  lvs_method: lbKind('lvsMethod', 'tunnel', 'real'),
  notify_up: checkScript('notifyUp', true),
  notify_down: checkScript('notifyDown', true),
  uthreshold: lenientInt('uthreshold', 0, 2 ** 31 - 1),
  lthreshold: lenientInt('lthreshold', 0, 2 ** 31 - 1),
  inhibit_on_failure: flag('inhibitOnFailure'),
  alpha: flag('alpha'),
  retry: int('retry', 0, 2 ** 31 - 1),
  delay_before_retry: seconds('delayBeforeRetryMs', 0, 86400),
  warmup: seconds('warmupMs', 0, 86400),
  connect_timeout: seconds('connectTimeoutMs', 0.001, 86400),
  delay_loop: seconds('delayLoopMs', 0.001, 86400),
  smtp_alert: flag('smtpAlert'),
  virtualhost: str('virtualhost'),
  snmp_name: snmpName('snmpName', 'real server'),
  ...checkerKeywords,
});

function openRealServer(ctx: ParseCtx, line: Line, vs: VsDraft): RsDraft | undefined {
  const w = need(ctx, line, 1);
  if (w === undefined) return undefined;
  let address = ctx.realServerAddresses.get(w);
  if (!address) {
    address = parseSockaddr(w);
    if (!address) {
      ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid real server address '${w}' - skipping real server`, lineLoc(line, 1));
      return undefined;
    }
    ctx.realServerAddresses.set(w, address);
  }
  const port = line.words[2] !== undefined ? argInt(ctx, line, 2, 0, 65535) : undefined;
  const rs: RsDraft = new RsNode(address, port, line);
  // alloc_rs: a real server starts with the virtual server's method as it is now (if any yet)
  if (vs.lbKind !== undefined) rs.lvsMethod = vs.lbKind;
  if (vs.tunnel !== undefined) rs.tunnel = vs.tunnel;
  (vs.realServers ??= []).push(rs);
  return rs;
}

// ------------------------------------------------------------------ virtual_server

const persistenceTimeout: Keyword<VsDraft> = {
  handler: (ctx, line, d) => {
    if (line.words[1] === undefined) {
      d.persistenceTimeoutS = 360;
      return;
    }
    const v = argInt(ctx, line, 1, 1, 31 * 24 * 3600);
    if (v !== undefined) d.persistenceTimeoutS = v;
  },
};

const schedFlag = (name: string): Keyword<VsDraft> => ({ handler: (_c, _l, d) => (d.schedFlags ??= []).push(name) });

export const virtualServerTable = table<VsDraft>({
  lb_algo: { handler: (ctx, line, d) => { const v = argWord(ctx, line, 1, SCHEDULERS); if (v) d.lbAlgo = v; } },
  lvs_sched: { handler: (ctx, line, d) => { const v = argWord(ctx, line, 1, SCHEDULERS); if (v) d.lbAlgo = v; } },
  lb_kind: lbKind('lbKind', 'tunnel', 'virtual'),
  lvs_method: lbKind('lbKind', 'tunnel', 'virtual'),
  protocol: {
    handler: (ctx, line, d) => {
      const v = need(ctx, line, 1);
      if (v === undefined) return;
      const up = v.toUpperCase();
      if (up === 'TCP' || up === 'UDP' || up === 'SCTP') d.protocol = up;
      else ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `unknown protocol '${v}' (expected TCP|UDP|SCTP)`, lineLoc(line, 1));
    },
  },
  persistence_timeout: persistenceTimeout,
  persistence_granularity: {
    // keepalived's pgr_handler: read in the virtual server's family (or the value's own, which
    // then becomes the virtual server's), and persistence at the default timeout follows
    handler: (ctx, line, d) => {
      const v = need(ctx, line, 1);
      if (v === undefined) return;
      const known = vsFamilySoFar(d);
      const family = granularityFamily(v, known);
      const p = granularityPrefix(v, family);
      if (typeof p !== 'number') {
        if (p.notSolid) return void ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', p.error, lineLoc(line, 1), { row: 'lvs.granularity-not-solid' });
        return void ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', p.error, lineLoc(line, 1), { row: 'lvs.granularity' });
      }
      d.persistenceGranularity = { family, prefix: p };
      if (known === undefined) d.ipFamily = family;
      d.persistenceTimeoutS ??= 360;
    },
  },
  persistence_engine: str('persistenceEngine'),
  ...Object.fromEntries(['flag-1', 'flag-2', 'flag-3', 'sh-port', 'sh-fallback', 'mh-port', 'mh-fallback', 'ops', 'hashed'].map((f) => [f, schedFlag(f)])),
  ha_suspend: mark('haSuspend'),
  delay_loop: seconds('delayLoopMs', 0.001, 86400),
  connect_timeout: seconds('connectTimeoutMs', 0.001, 86400),
  retry: int('retry', 0, 2 ** 31 - 1),
  delay_before_retry: seconds('delayBeforeRetryMs', 0, 86400),
  warmup: seconds('warmupMs', 0, 86400),
  alpha: mark('alpha'),
  omega: mark('omega'),
  quorum: lenientInt('quorum', 1, 2 ** 31 - 1),
  hysteresis: lenientInt('hysteresis', 0, 2 ** 31 - 1),
  quorum_up: checkScript('quorumUp', false),
  quorum_down: checkScript('quorumDown', false),
  sorry_server: {
    handler: (ctx, line, d) => {
      const w = need(ctx, line, 1);
      if (w === undefined) return;
      const address = parseSockaddr(w);
      if (!address) return void ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid sorry_server address '${w}'`, lineLoc(line, 1));
      const port = line.words[2] !== undefined ? argInt(ctx, line, 2, 0, 65535) : undefined;
      d.sorryServer = { address, ...(port !== undefined ? { port } : {}), loc: lineLoc(line, 0) };
      // alloc_ssvr: the sorry server starts with the virtual server's method as it is now
      delete d.sorryServerLvsMethod;
      delete d.sorryServerTunnel;
      if (d.lbKind !== undefined) d.sorryServerLvsMethod = d.lbKind;
      if (d.tunnel !== undefined) d.sorryServerTunnel = d.tunnel;
    },
  },
  sorry_server_inhibit: mark('sorryServerInhibit'),
  sorry_server_lvs_method: lbKind('sorryServerLvsMethod', 'sorryServerTunnel', 'sorry'),
  inhibit_on_failure: mark('inhibitOnFailure'),
  virtualhost: str('virtualhost'),
  smtp_alert: flag('smtpAlert'),
  weight: int('weight', 0, 2 ** 31 - 1),
  ip_family: {
    handler: (ctx, line, d) => {
      const v = argWord(ctx, line, 1, ['inet', 'inet6']);
      if (!v) return;
      const known = vsFamilySoFar(d);
      if (known !== undefined && known !== v) {
        return void ctx.report('CONFIG_CONFLICT', 'GENERAL_ERROR', `Virtual server specified family ${v} conflicts with server family`, lineLoc(line, 1), { row: 'lvs.ip-family-conflict' });
      }
      d.ipFamily = v;
    },
  },
  snmp_name: snmpName('snmpName', 'virtual server'),
  real_server: {
    sub: realServerTable, open: openRealServer,
  } satisfies Keyword<VsDraft, RsDraft>,
});

export function openVirtualServer(ctx: ParseCtx, line: Line): VsDraft | undefined {
  const base: VsDraft = {
    loc: lineLoc(line, 1),
    schedFlags: [],
    haSuspend: false,
    delayLoopMs: 60_000,
    alpha: false,
    omega: false,
    quorum: 1,
    hysteresis: 0,
    sorryServerInhibit: false,
    inhibitOnFailure: false,
    weight: 1,
    realServers: [],
  };
  const w1 = need(ctx, line, 1);
  if (w1 === undefined) return undefined;
  if (w1 === 'fwmark') {
    const mark = argInt(ctx, line, 2, 1, 0xffffffff);
    if (mark === undefined) return undefined;
    return { ...base, fwmark: mark };
  }
  if (w1 === 'group') {
    const name = need(ctx, line, 2);
    if (name === undefined) return undefined;
    return { ...base, group: name };
  }
  const address = parseSockaddr(w1);
  if (!address) {
    ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid virtual server address '${w1}' - skipping virtual server`, lineLoc(line, 1));
    return undefined;
  }
  const port = line.words[2] !== undefined ? argInt(ctx, line, 2, 0, 65535) : undefined;
  const vs: VsDraft = { ...base, address, ...(port !== undefined ? { port } : {}) };
  if (port !== undefined) setFieldLoc(vs, 'port', lineLoc(line, 2));
  return vs;
}

/** The PCRE2 option words keepalived's regex_options knows (check_http.c regex_options). */
export const REGEX_OPTIONS = [
  'allow_empty_class', 'alt_bsux', 'auto_callout', 'caseless', 'dollar_endonly', 'dotall', 'dupnames', 'extended',
  'firstline', 'match_unset_backref', 'multiline', 'never_ucp', 'never_utf', 'no_auto_capture', 'no_auto_possess',
  'no_dotstar_anchor', 'no_start_optimize', 'ucp', 'ungreedy', 'utf', 'never_backslash_c', 'alt_circumflex',
  'alt_verbnames', 'use_offset_limit',
];

/** regex_min_offset / regex_max_offset N: keepalived only logs a bad value (and uses 0). */
function regexOffset(field: 'regexMinOffset' | 'regexMaxOffset', which: 'min' | 'max'): Keyword<UrlDraft> {
  return {
    handler: (ctx, line, d) => {
      const v = line.words[1];
      if (line.words.length !== 2) return void ctx.report('CONFIG_VALUE', 'OK', `Missing or too may options for regex_${which}_offset`, lineLoc(line, 0));
      if (!/^\d+$/.test(v!)) return void ctx.report('CONFIG_VALUE', 'OK', `Invalid regex_${which}_offset ${v!} specified`, lineLoc(line, 1));
      d[field] = Number(v);
    },
  };
}

/**
 * The end of a url block (check_http.c url_check): regex settings without a regex are dropped,
 * offsets that leave no room too; a pattern that JavaScript cannot compile, or that uses PCRE2
 * constructs it does not match the same way, is said (src/check/regex.ts).
 */
function completeRegex(ctx: ParseCtx, u: UrlDraft): void {
  const loc = u.loc;
  if (u.regex === undefined) {
    if (u.regexOptions?.length || u.regexNoMatch || u.regexMinOffset || u.regexMaxOffset !== undefined) {
      ctx.report('CONFIG_VALUE', 'OK', 'regex parameters specified without regex', loc);
      delete u.regexOptions;
      delete u.regexMinOffset;
      delete u.regexMaxOffset;
      u.regexNoMatch = false;
    }
    return;
  }
  if (u.regexMaxOffset !== undefined && (u.regexMinOffset ?? 0) > u.regexMaxOffset) {
    ctx.report('CONFIG_VALUE', 'OK', `regex min offset ${u.regexMinOffset} > regex_max_offset ${u.regexMaxOffset} - ignoring`, loc);
    delete u.regexMinOffset;
    delete u.regexMaxOffset;
  }
  const pattern = u.regex;
  const options = u.regexOptions ?? [];
  const compiled = compileRegex({ pattern, options });
  const differs = pcreDifferences(pattern, options);
  if (differs.length) {
    const never = compiled.ok ? '' : ` (here it does not compile, so it never matches: ${compiled.error})`;
    ctx.diagnostics.add('CONFIG_UNSUPPORTED', 'OK', `regex '${pattern}' uses ${differs.join(', ')}: keepalived-ts matches with JavaScript's RegExp, which does not match it as PCRE2 does${never} (docs/errors.md)`, loc);
  } else if (!compiled.ok) ctx.report('CONFIG_VALUE', 'OK', `Invalid regex: '${pattern}': ${compiled.error}`, loc);
}

