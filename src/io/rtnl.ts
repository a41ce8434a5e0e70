/**
 * rtnetlink for the VRRP daemon: the only place that opens a NETLINK_ROUTE socket.
 *
 * ```ts
 * const rtnl = await Rtnl.open({ watch: (ev: RtnlEvent) => ..., onOverflow: () => ... });  // both optional
 * await rtnl.links();      // LinkInfo[]  { index, name, up, running, lowerUp, mac, mtu, kind?, parentIndex?, macvlanMode?, master?, forwarding?: { inet?, inet6? }, flags }
 * await rtnl.addresses();  // AddrInfo[]  { index, family, address, prefixLen, peer?, broadcast?, scope, flags, label? }
 * await rtnl.addAddress(entry: AddressEntry, ifindex);     // EEXIST counts as success
 * rtnl.prepareAddress(entry, ifindex);                     // builds that request ahead (a backup's VIPs)
 * await rtnl.deleteAddress(entry: AddressEntry, ifindex);  // ENOENT, EADDRNOTAVAIL, ENODEV count as success
 * await rtnl.addRoute(entry: RouteEntry, links);           // links: { index(ifname), vrfTable(ifname) } (RouteLinks); EEXIST ok
 * await rtnl.deleteRoute(entry: RouteEntry, links);        // ESRCH, ENOENT, ENODEV (or dev / VRF gone) ok
 * await rtnl.addRule(entry: RuleEntry, { preference? });   // EEXIST ok; preference fills in a rule written without one
 *                                                          // (keepalived's numbering: defaultRulePreferences in src/netlink/rule.ts)
 * await rtnl.deleteRule(entry: RuleEntry, { preference? });// ENOENT ok
 * await rtnl.createMacvlan(parentIndex, name, mac, 'private');  // -> new ifindex; created, addr_gen_mode none, up
 * await rtnl.deleteLink(index);                            // ENODEV ok
 * await rtnl.setLinkUp(index, up);
 * rtnl.stats;   // { events, malformed, overflows, watchErrors }
 * // RtnlEvent = { type: 'link', link: LinkInfo, deleted } | { type: 'addr', addr: AddrInfo, deleted }
 * rtnl.close();
 * ```
 *
 * - Requests go over one socket, notifications arrive on a second one joined to the LINK,
 *   IPV4_IFADDR and IPV6_IFADDR groups (only when `watch` is given), so a dump never
 *   interleaves with events.
 * - Every failed request rejects with an RtnlError (a KtsError) naming the operation, the
 *   object and the errno: `add address 10.0.0.100/32 dev eth0: EPERM` [RTNL_REQUEST]. A
 *   request the kernel does not answer within `timeoutMs` fails with ETIMEDOUT. An entry whose
 *   words cannot be sent fails with RTNL_UNSUPPORTED before anything is sent.
 * - A notification that cannot be parsed is counted (`stats.malformed`) and ignored; when the
 *   kernel drops notifications (ENOBUFS) `onOverflow` is called: re-read links and addresses.
 * - What an entry asks that keepalived also ignores (brd on a /31, label on IPv6, ...) is
 *   logged once per entry as a warning.
 *
 * Neither socket keeps the event loop alive on its own (the daemon has other handles).
 *
 * The conversions live in src/netlink (pure, unit-tested); the VMAC sysctls in
 * ./rtnl-sysctl.ts; the iproute2 name files in ./rtnl-names.ts.
 */
import { createRequire } from 'node:module';
import type * as Netlink from 'netlink';
import type { NetlinkMessage, NetlinkSocket, RtNetlinkSocket, rt } from 'netlink';
import type { Logger } from 'pino';
import type { AddressEntry, RouteEntry, RuleEntry } from '../config/model.js';
import { addressRequest, describeAddress } from '../netlink/address.js';
import type { MacvlanMode } from '../netlink/constants.js';
import { RtnlError } from '../netlink/error.js';
import { names as defaultNames } from './rtnl-names.js';
import { addrFromMessage, eventFromMessage, linkFromMessage } from '../netlink/parse.js';
import { describeRoute, parseRouteWords, routeRequest, withVrfTable, type RouteLinks } from '../netlink/route.js';
import { encapRefusal } from '../netlink/route-encap.js';
import { describeRule, parseRuleWords, ruleRequest } from '../netlink/rule.js';
import type { RtNames } from '../netlink/names.js';
import type { AddrInfo, LinkInfo, RtnlEvent } from '../netlink/types.js';
import { addrGenModeNoneRequest, linkUpRequest, macvlanRequest } from '../netlink/vmac.js';
import { formatIp, formatMac } from '../util/ip.js';
import { rootLogger } from './logger.js';

// Only the rtnetlink half of the `netlink` package: its index also loads the nl80211 and
// WireGuard modules, about 6 MB of resident memory a VRRP daemon never uses.
const requireCjs = createRequire(import.meta.url);
const { createNetlink } = requireCjs('netlink/dist/netlink.js') as Pick<typeof Netlink, 'createNetlink'>;
const { Protocol } = requireCjs('netlink/dist/constants.js') as Pick<typeof Netlink, 'Protocol'>;
const { createRtNetlink } = requireCjs('netlink/dist/rt/rt.js') as Pick<typeof Netlink, 'createRtNetlink'>;
const rtStructs = requireCjs('netlink/dist/rt/structs.js') as typeof Netlink.rt;
const { AttrStream } = requireCjs('netlink/dist/structs.js') as typeof import('netlink/dist/structs.js');

export type { AddrInfo, LinkInfo, RtnlEvent } from '../netlink/types.js';
export { RtnlError } from '../netlink/error.js';

export interface RtnlOptions {
  /** Called for each link/address notification; omit for a request-only socket. */
  readonly watch?: (ev: RtnlEvent) => void;
  /**
   * Called when the kernel dropped notifications (ENOBUFS on the watch socket): the view built
   * from events is stale, re-read links() and addresses().
   */
  readonly onOverflow?: () => void;
  /** Table/protocol/scope names (default: /etc/iproute2 files plus keepalived's defaults). */
  readonly names?: RtNames;
  readonly log?: Logger;
  /** How long a request may wait for the kernel's answer (default 5000 ms). */
  readonly timeoutMs?: number;
}

export interface RtnlStats {
  /** Notifications delivered to `watch`. */
  events: number;
  /** Notifications that could not be parsed (ignored). */
  malformed: number;
  /** Times the kernel dropped notifications (ENOBUFS). */
  overflows: number;
  /** Exceptions thrown by the `watch` callback (logged, not rethrown). */
  watchErrors: number;
}

const GROUP_LINK = 1;
const GROUP_IPV4_IFADDR = 5;
const GROUP_IPV6_IFADDR = 9;
/** rtnetlink message types (RTM_NEWADDR, RTM_DELADDR) */
const MSG_NEWADDR = 20;
const MSG_DELADDR = 21;

/** The errno name of a failed request: `Request rejected: EEXIST`, an ErrnoException, a timeout. */
function errnoOf(e: unknown): string {
  const err = e as { message?: unknown; code?: unknown };
  if (typeof err?.code === 'string' && /^E[A-Z0-9]+$/.test(err.code)) return err.code;
  const msg = typeof err?.message === 'string' ? err.message : String(e);
  const m = /Request rejected: (\S+)/.exec(msg);
  if (m) return m[1]!;
  if (/Timeout has been reached/.test(msg)) return 'ETIMEDOUT';
  if (/socket is closed/i.test(msg)) return 'EBADF';
  return msg;
}

export class Rtnl {
  readonly stats: RtnlStats = { events: 0, malformed: 0, overflows: 0, watchErrors: 0 };
  private readonly warned = new WeakSet<object>();
  /** address payloads by entry, then `op ifindex` (see addressPayload) */
  private readonly payloads = new WeakMap<AddressEntry, Map<string, Buffer>>();
  private localPort: number | undefined;
  private closed = false;

  private constructor(
    private readonly sock: RtNetlinkSocket,
    private readonly watchSock: NetlinkSocket | undefined,
    private readonly names: RtNames,
    private readonly log: Logger,
    private readonly timeoutMs: number,
  ) {}

  /** Opens the request socket, and the notification socket when `watch` is given. */
  static async open(opts: RtnlOptions = {}): Promise<Rtnl> {
    const log = opts.log ?? rootLogger().child({ mod: 'rtnl' });
    const names = opts.names ?? (await defaultNames());
    let sock: RtNetlinkSocket | undefined;
    let watchSock: NetlinkSocket | undefined;
    try {
      sock = createRtNetlink();
      sock.socket.on('error', (e: Error) => log.error({ err: e.message }, 'rtnetlink request socket error'));
      if (opts.watch) {
        watchSock = createNetlink(Protocol.ROUTE);
        for (const g of [GROUP_LINK, GROUP_IPV4_IFADDR, GROUP_IPV6_IFADDR]) watchSock.addMembership(g);
      }
    } catch (e) {
      sock?.socket.close();
      watchSock?.close();
      throw new RtnlError('RTNL_SOCKET', 'open', 'rtnetlink socket', errnoOf(e), { errno: errnoOf(e), cause: e });
    }
    const r = new Rtnl(sock, watchSock, names, log, opts.timeoutMs ?? 5000);
    if (watchSock && opts.watch) r.listen(watchSock, opts.watch, opts.onOverflow);
    return r;
  }

  private listen(s: NetlinkSocket, watch: (ev: RtnlEvent) => void, onOverflow: (() => void) | undefined): void {
    const guarded = (what: string, f: () => void): void => {
      try {
        f();
      } catch (e) {
        this.stats.watchErrors++;
        this.log.error({ err: (e as Error)?.message ?? String(e), event: what }, 'rtnetlink watch callback threw');
      }
    };
    const deliver = (ev: RtnlEvent): void => {
      this.stats.events++;
      guarded(ev.type, () => watch(ev));
    };
    s.on('message', (msgs: NetlinkMessage[]) => {
      for (const m of msgs) {
        let parsed: rt.Message;
        try {
          parsed = rtStructs.parseMessage(m.type, m.data);
        } catch (e) {
          this.malformed(`type ${m.type}: ${(e as Error)?.message ?? String(e)}`);
          continue;
        }
        const ev = eventFromMessage(m.type, parsed);
        if (ev === undefined) continue;
        if (!ev.ok) this.malformed(ev.reason);
        else deliver(ev.value);
      }
    });
    s.on('invalid', (e: unknown) => this.malformed(`unparsable datagram: ${(e as Error)?.message ?? String(e)}`));
    s.on('error', (e: Error & { code?: string }) => {
      if (e.code === 'ENOBUFS') {
        this.stats.overflows++;
        this.log.warn('rtnetlink notifications dropped by the kernel (ENOBUFS): resynchronising');
        if (onOverflow) guarded('overflow', onOverflow);
      } else this.log.error({ err: e.message }, 'rtnetlink notification socket error');
    });
  }

  private malformed(reason: string): void {
    this.stats.malformed++;
    this.log.debug({ reason }, 'malformed rtnetlink notification ignored');
  }

  private warn(entry: object, object: string, warnings: readonly string[]): void {
    if (warnings.length === 0 || this.warned.has(entry)) return;
    this.warned.add(entry);
    this.log.warn({ object, warnings }, 'rtnetlink request ignores part of the configuration (as keepalived does)');
  }

  /**
   * Sends one request. Resolves true when the kernel did it, false when it answered one of the
   * `tolerated` errnos (already there / already gone); otherwise rejects with an RtnlError.
   */
  private async request(op: string, object: () => Promise<string> | string, send: (o: { timeout: number; flags?: number }) => Promise<unknown>, tolerated: readonly string[], flags = 0): Promise<boolean> {
    try {
      if (this.closed) throw new Error('socket is closed');
      await send({ timeout: this.timeoutMs, flags });
      return true;
    } catch (e) {
      const errno = errnoOf(e);
      if (tolerated.includes(errno)) return false;
      throw new RtnlError('RTNL_REQUEST', op, await object(), errno, { errno, cause: e });
    }
  }

  private async dump<T, M>(what: string, get: () => Promise<M[]>, conv: (m: M) => { ok: true; value: T } | { ok: false; reason: string }): Promise<T[]> {
    let msgs: M[];
    try {
      if (this.closed) throw new Error('socket is closed');
      msgs = await get();
    } catch (e) {
      throw new RtnlError('RTNL_REQUEST', 'dump', what, errnoOf(e), { errno: errnoOf(e), cause: e });
    }
    const out: T[] = [];
    for (const m of msgs) {
      const r = conv(m);
      if (r.ok) out.push(r.value);
      else this.malformed(r.reason);
    }
    return out;
  }

  links(): Promise<LinkInfo[]> {
    return this.dump('links', () => this.sock.getLinks(undefined, undefined, { timeout: this.timeoutMs }), linkFromMessage);
  }

  addresses(): Promise<AddrInfo[]> {
    return this.dump('addresses', () => this.sock.getAddresses(undefined, undefined, { timeout: this.timeoutMs }), addrFromMessage);
  }

  /**
   * The destinations (`10.0.0.10/32`) of the routes in table `table` that carry `protocol`:
   * the announcer's own routes, found again after a restart.
   */
  routesInTable(table: number, protocol: number): Promise<string[]> {
    return this.dump('routes', () => this.sock.getRoutes(undefined, undefined, { timeout: this.timeoutMs }), (m: rt.RouteMessage) => {
      const inTable = (m.attrs.table ?? m.data.table) === table;
      const proto = typeof m.data.protocol === 'number' ? m.data.protocol : undefined;
      if (!inTable || proto !== protocol) return { ok: true, value: undefined };
      const dst = m.attrs.dst;
      const len = m.data.dstLen ?? 0;
      if (!dst || (dst.length !== 4 && dst.length !== 16)) return { ok: true, value: undefined };
      return { ok: true, value: `${formatIp(new Uint8Array(dst))}/${len}` };
    }).then((xs) => xs.filter((x): x is string => x !== undefined));
  }

  /** The name of `index` for messages (`if#N` when it cannot be read). */
  private async nameOf(index: number): Promise<string> {
    try {
      const [m] = await this.sock.getLink({ index }, undefined, { timeout: this.timeoutMs });
      return m?.attrs.ifname ?? `if#${index}`;
    } catch {
      return `if#${index}`;
    }
  }

  /**
   * The RTM_NEWADDR / RTM_DELADDR payload (ifaddrmsg and attributes) of `e` on `ifindex`, built
   * once and kept with the entry: a takeover sends its VIPs' adds as they are, with no
   * JavaScript between the new master's advert and its GARP but the netlink header.
   */
  private addressPayload(op: 'add' | 'delete', e: AddressEntry, ifindex: number): { ok: true; value: Buffer } | { ok: false; error: string } {
    let mine = this.payloads.get(e);
    if (!mine) this.payloads.set(e, (mine = new Map()));
    const key = `${op} ${ifindex}`;
    const cached = mine.get(key);
    if (cached) return { ok: true, value: cached };
    const req = addressRequest(e, ifindex, op, this.names);
    if (!req.ok) return req;
    this.warn(e, describeAddress(e), req.value.warnings);
    const out = new AttrStream();
    rtStructs.formatAddressMessage({ kind: 'address', data: req.value.data, attrs: req.value.attrs }, out);
    const value = Buffer.concat(out.bufs);
    mine.set(key, value);
    return { ok: true, value };
  }

  private async address(op: 'add' | 'delete', e: AddressEntry, ifindex: number): Promise<void> {
    const opName = `${op} address`;
    const object = async () => describeAddress(e, e.dev ?? (await this.nameOf(ifindex)));
    const payload = this.addressPayload(op, e, ifindex);
    if (!payload.ok) throw new RtnlError('RTNL_UNSUPPORTED', opName, await object(), payload.error);
    // the port fills in the header without a getsockname() per request
    this.localPort ??= this.sock.socket.address().port;
    const o = { timeout: this.timeoutMs, localPort: this.localPort };
    if (op === 'add') await this.request(opName, object, () => this.sock.socket.request(MSG_NEWADDR, payload.value, o), ['EEXIST']);
    else await this.request(opName, object, () => this.sock.socket.request(MSG_DELADDR, payload.value, o), ['ENOENT', 'EADDRNOTAVAIL', 'ENODEV']);
  }

  /** Builds the request adding `e` on `ifindex` now, so that the add sends it as it is. */
  prepareAddress(e: AddressEntry, ifindex: number): void {
    this.addressPayload('add', e, ifindex);
  }

  addAddress(e: AddressEntry, ifindex: number): Promise<void> {
    return this.address('add', e, ifindex);
  }

  deleteAddress(e: AddressEntry, ifindex: number): Promise<void> {
    return this.address('delete', e, ifindex);
  }

  private async route(op: 'add' | 'delete', r: RouteEntry, links: RouteLinks): Promise<void> {
    const opName = `${op} route`;
    const object = describeRoute(r);
    const words = parseRouteWords(r.words, this.names);
    if (!words.ok) throw new RtnlError('RTNL_UNSUPPORTED', opName, object, words.error);
    this.warn(r, object, words.value.warnings);
    const spec = withVrfTable(words.value, links);
    if (!spec.ok) {
      if (op === 'delete') return; // the VRF is gone, and its table's routes with it
      throw new RtnlError('RTNL_REQUEST', opName, object, `ENODEV (${spec.error})`, { errno: 'ENODEV' });
    }
    const resolveIf = (name: string): number | undefined => links.index(name);
    let oif: number | undefined;
    if (spec.value.dev !== undefined) {
      oif = resolveIf(spec.value.dev);
      if (oif === undefined) {
        if (op === 'delete') return; // the interface is gone, and its routes with it
        throw new RtnlError('RTNL_REQUEST', opName, object, `ENODEV (no interface ${spec.value.dev})`, { errno: 'ENODEV' });
      }
    }
    for (const nh of spec.value.nexthops) {
      if (nh.dev !== undefined && resolveIf(nh.dev) === undefined) {
        if (op === 'delete') return;
        throw new RtnlError('RTNL_REQUEST', opName, object, `ENODEV (no interface ${nh.dev} for a nexthop)`, { errno: 'ENODEV' });
      }
    }
    const { data, attrs, flags } = routeRequest(spec.value, oif, op, resolveIf);
    if (op === 'add') {
      try {
        await this.request(opName, () => object, (o) => this.sock.newRoute(data, attrs, o), ['EEXIST'], flags);
      } catch (e) {
        if (!(e instanceof RtnlError) || e.errno === undefined) throw e;
        // a kernel without that kind of lightweight tunnel says only EOPNOTSUPP: name the kind
        const kinds = [spec.value.encap, ...spec.value.nexthops.map((nh) => nh.encap)].flatMap((x) => (x ? [x.kind] : []));
        const why = encapRefusal(e.errno, kinds);
        throw why === undefined ? e : new RtnlError('RTNL_REQUEST', opName, object, why, { errno: e.errno, cause: e.cause });
      }
    } else await this.request(opName, () => object, (o) => this.sock.delRoute(data, attrs, o), ['ESRCH', 'ENOENT', 'ENODEV']);
  }

  addRoute(r: RouteEntry, links: RouteLinks): Promise<void> {
    return this.route('add', r, links);
  }

  deleteRoute(r: RouteEntry, links: RouteLinks): Promise<void> {
    return this.route('delete', r, links);
  }

  private async rule(op: 'add' | 'delete', r: RuleEntry, preference: number | undefined): Promise<void> {
    const opName = `${op} rule`;
    const object = describeRule(r);
    const spec = parseRuleWords(r.words, this.names);
    if (!spec.ok) throw new RtnlError('RTNL_UNSUPPORTED', opName, object, spec.error);
    this.warn(r, object, spec.value.warnings);
    const { data, attrs, flags } = ruleRequest(spec.value, op, preference);
    if (op === 'add') await this.request(opName, () => object, (o) => this.sock.newRule(data, attrs, o), ['EEXIST'], flags);
    else await this.request(opName, () => object, (o) => this.sock.delRule(data, attrs, o), ['ENOENT']);
  }

  /** `preference` is used when the rule's words give none (see defaultRulePreferences). */
  addRule(r: RuleEntry, opts: { preference?: number } = {}): Promise<void> {
    return this.rule('add', r, opts.preference);
  }

  deleteRule(r: RuleEntry, opts: { preference?: number } = {}): Promise<void> {
    return this.rule('delete', r, opts.preference);
  }

  /**
   * Creates macvlan `name` with `mac` on `parentIndex` (keepalived's VMAC: mode private), turns
   * off IPv6 link-local generation on it and brings it up. Resolves to its ifindex.
   * The sysctls keepalived sets on a VMAC are applied separately (./rtnl-sysctl.ts).
   */
  async createMacvlan(parentIndex: number, name: string, mac: Uint8Array, mode: MacvlanMode = 'private'): Promise<number> {
    const object = `${name} link ${parentIndex} address ${formatMac(mac)} mode ${mode}`;
    const req = macvlanRequest(parentIndex, name, mac, mode);
    await this.request('create macvlan', () => object, (o) => this.sock.newLink(req.data, req.attrs, o), [], req.flags);
    let index: number | undefined;
    try {
      const [m] = await this.sock.getLink({}, { ifname: name }, { timeout: this.timeoutMs });
      index = m?.data.index;
    } catch (e) {
      throw new RtnlError('RTNL_REQUEST', 'look up macvlan', name, errnoOf(e), { errno: errnoOf(e), cause: e });
    }
    if (index === undefined) throw new RtnlError('RTNL_REQUEST', 'look up macvlan', name, 'ENODEV', { errno: 'ENODEV' });
    const gen = addrGenModeNoneRequest(index);
    await this.request('set addrgenmode none', () => name, (o) => this.sock.setLink(gen.data, gen.attrs, o), []);
    await this.setLinkUp(index, true);
    return index;
  }

  /** Deletes link `index`; a link already gone is success. */
  async deleteLink(index: number): Promise<void> {
    await this.request('delete link', () => this.nameOf(index).then((n) => `${n} (${index})`), (o) => this.sock.delLink({ index }, undefined, o), ['ENODEV']);
  }

  async setLinkUp(index: number, up: boolean): Promise<void> {
    const req = linkUpRequest(index, up);
    await this.request(`set link ${up ? 'up' : 'down'}`, () => this.nameOf(index), (o) => this.sock.setLink(req.data, req.attrs, o), []);
  }

  /** Closes both sockets; later requests reject with EBADF. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.sock.socket.close();
    } catch (e) {
      this.log.debug({ err: (e as Error).message }, 'closing rtnetlink request socket');
    }
    try {
      this.watchSock?.close();
    } catch (e) {
      this.log.debug({ err: (e as Error).message }, 'closing rtnetlink notification socket');
    }
  }
}
