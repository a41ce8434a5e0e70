/**
 * The UDP sockets of BFD single hop (RFC 5881), for the sans-I/O core in src/bfd/: this module
 * only moves bytes, and knows nothing of sessions beyond a key per sending socket.
 *
 * - Receiving: one socket per family actually needed, bound to port 3784 (IPv4 and IPv6 apart,
 *   the IPv6 one IPV6_V6ONLY), opened through the addon's `udpListen` (native/README.md): Node's
 *   `dgram` cannot tell a datagram's TTL / hop limit, which the GTSM check needs (the core's
 *   `ttlAcceptable`), nor its destination address and arrival interface. keepalived 2.2.7
 *   (bfd_scheduler.c `bfd_open_fd_in`) uses one dual-stack socket instead; what it receives is
 *   the same. A datagram the kernel gave no TTL for is reported with ttl 0, keepalived's
 *   "unknown" (counted in `rxNoTtl`).
 * - Sending: one `dgram` socket per session, bound to a source port in 49152-65535 (RFC 5881
 *   §4) as keepalived's `bfd_open_fd_out` picks it: a random port within
 *   /proc/sys/net/ipv4/ip_local_port_range clipped to that range (the whole range when less
 *   than 1024 ports remain), the next one on EADDRINUSE, wrapping round; unlike keepalived also
 *   without a source address (it then lets the kernel choose, possibly outside the range).
 *   Its TTL / hop limit is set with `setTTL`, which in Node 20 is libuv's `uv_udp_set_ttl`:
 *   IP_TTL or IPV6_UNICAST_HOPS, the unicast value (test/netns/bfd-socket.test.ts sees
 *   `ttl 255` / `hlim 255` with tcpdump).
 *
 * Nothing here throws from a callback or at a caller for an I/O failure: `listen`,
 * `openSession` and `send` return `Result`s, asynchronous send failures are counted, logged
 * (once per session and errno until a send succeeds again) and passed to `onSendError`, and an
 * exception from `onPacket` is counted and logged.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { err, ok, type Result } from '../util/result.js';
import { rootLogger } from './logger.js';
import { closeFd, errnoCode, udpListen } from './native.js';

/** RFC 5881 §4 */
export const BFD_PORT = 3784;
export const BFD_SRC_PORT_MIN = 49152;
export const BFD_SRC_PORT_MAX = 65535;

export type BfdFamily = 4 | 6;

/** How one received datagram arrived. */
export interface BfdPacketInfo {
  /** source address as text (IPv6 without a scope: see `ifindex`) */
  readonly src: string;
  readonly srcPort: number;
  /** destination address of the datagram ('' if the kernel did not say) */
  readonly dst: string;
  /** IPv4 TTL / IPv6 hop limit; 0 when unknown */
  readonly ttl: number;
  /** arrival interface (0 if unknown) */
  readonly ifindex: number;
  readonly family: BfdFamily;
}

export type BfdPacketHandler = (data: Buffer, info: BfdPacketInfo) => void;

/** A failure, as a value. `code` is the errno name ('EADDRINUSE') or one of this module's. */
export interface BfdSocketError {
  readonly op: 'listen' | 'bind' | 'ttl' | 'send';
  /**
   * errno name, or: ENOSESSION (no open session under that key), EEXIST (one already),
   * EINVAL (a peer / source that is not an address of the session's family, a bad TTL),
   * ECLOSED (closed while opening), NATIVE_UNAVAILABLE (the addon is not built)
   */
  readonly code: string;
  readonly message: string;
  readonly key?: string;
  readonly family?: BfdFamily;
}

/** What a session's sending socket is bound to. */
export interface BfdSessionSocketInfo {
  readonly family: BfdFamily;
  readonly srcAddress: string;
  readonly srcPort: number;
  readonly ttl: number;
}

export interface BfdSessionOptions {
  readonly family: BfdFamily;
  /** source address ('' or absent: the kernel chooses); IPv6 link-local with %ifname */
  readonly source?: string;
  /** TTL / hop limit of sent packets, 1..255 (default 255) */
  readonly ttl?: number;
}

export interface BfdSocketsOptions {
  readonly onPacket: BfdPacketHandler;
  /** an asynchronous send failure (also counted and logged) */
  readonly onSendError?: (error: BfdSocketError) => void;
  readonly log?: Pick<Logger, 'warn' | 'error'>;
  /** port listened on (default 3784) */
  readonly port?: number;
  /** port sent to (default 3784) */
  readonly peerPort?: number;
  /** address each family's listener binds ('' / absent: any) */
  readonly listenAddress?: { readonly 4?: string; readonly 6?: string };
  /** source port range (default: ip_local_port_range within 49152-65535, as keepalived) */
  readonly sourcePorts?: readonly [number, number];
}

export interface BfdSocketCounters {
  rxPackets: number;
  /** received without a TTL / hop limit (reported as ttl 0) */
  rxNoTtl: number;
  /** onPacket threw */
  rxHandlerErrors: number;
  txPackets: number;
  txErrors: number;
  listenErrors: number;
  bindErrors: number;
}

interface Session {
  readonly key: string;
  readonly family: BfdFamily;
  socket: Socket | undefined; // undefined while opening
  closed: boolean;
  info: BfdSessionSocketInfo | undefined;
  /** errno of the last failed send, logged once until a send succeeds */
  lastErrorCode: string | undefined;
  /**
   * The peer the socket is connected to, and whether the connect finished: a connected socket
   * sends without resolving the address each time (dgram looks up every address it is given)
   */
  peer?: string;
  connected?: boolean;
  /** packets sent while the connect runs, sent when it is done (a few: BFD repeats itself) */
  queue?: Uint8Array[];
  /** the send callback, made once */
  sent?: (e: Error | null) => void;
}

/** The address part of an address that may carry a %scope. */
const bare = (a: string): string => a.replace(/%.*$/, '');

/** keepalived's read_local_port_range + the clipping in bfd_open_fd_out. */
export function sourcePortRange(procText?: string): [number, number] {
  let lo = BFD_SRC_PORT_MIN;
  let hi = BFD_SRC_PORT_MAX;
  try {
    const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(procText ?? readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'));
    if (m) {
      lo = Math.max(BFD_SRC_PORT_MIN, Number(m[1]));
      hi = Math.min(BFD_SRC_PORT_MAX, Number(m[2]));
    }
  } catch {
    // no /proc: the RFC's range
  }
  if (lo + 1023 > hi) return [BFD_SRC_PORT_MIN, BFD_SRC_PORT_MAX];
  return [lo, hi];
}

/** One dgram socket bound to address:port, or the bind's error. */
function bindOnce(family: BfdFamily, address: string | undefined, port: number): Promise<Result<Socket, unknown>> {
  return new Promise((resolve) => {
    const s = createSocket({ type: family === 4 ? 'udp4' : 'udp6' });
    const onError = (e: unknown): void => {
      s.removeListener('listening', onListening);
      try {
        s.close();
      } catch {
        // never bound: nothing to close
      }
      resolve(err(e));
    };
    const onListening = (): void => {
      s.removeListener('error', onError);
      resolve(ok(s));
    };
    s.once('error', onError);
    s.once('listening', onListening);
    try {
      s.bind({ port, address, exclusive: true });
    } catch (e) {
      onError(e);
    }
  });
}

export class BfdSockets {
  readonly counters: BfdSocketCounters = { rxPackets: 0, rxNoTtl: 0, rxHandlerErrors: 0, txPackets: 0, txErrors: 0, listenErrors: 0, bindErrors: 0 };
  private readonly listeners = new Map<BfdFamily, number>();
  private readonly sessions = new Map<string, Session>();
  private readonly log: Pick<Logger, 'warn' | 'error'>;
  private readonly port: number;
  private readonly peerPort: number;
  private closed = false;

  constructor(private readonly opts: BfdSocketsOptions) {
    this.log = opts.log ?? rootLogger().child({ mod: 'bfd' });
    this.port = opts.port ?? BFD_PORT;
    this.peerPort = opts.peerPort ?? BFD_PORT;
  }

  /** The families listened on. */
  get listening(): BfdFamily[] {
    return [...this.listeners.keys()].sort();
  }

  /** Where a session's packets leave from (undefined while opening or when there is none). */
  session(key: string): BfdSessionSocketInfo | undefined {
    return this.sessions.get(key)?.info;
  }

  /** Opens the listener of `family` on the port, unless open already. */
  listen(family: BfdFamily): Result<void, BfdSocketError> {
    if (this.closed) return err({ op: 'listen', code: 'ECLOSED', message: 'BFD sockets closed', family });
    if (this.listeners.has(family)) return ok(undefined);
    const addr = this.opts.listenAddress?.[family] ?? '';
    try {
      const fd = udpListen(family, this.port, addr, (data, src, srcPort, dst, ttl, ifindex) =>
        this.receive(data, { src, srcPort, dst, ttl: ttl < 0 ? 0 : ttl, ifindex, family }, ttl < 0));
      this.listeners.set(family, fd);
      return ok(undefined);
    } catch (e) {
      this.counters.listenErrors++;
      const code = errnoCode(e);
      const where = family === 4 ? `${addr || '0.0.0.0'}:${this.port}` : `[${addr || '::'}]:${this.port}`;
      const message = `BFD: cannot listen on UDP ${where}: ${code === 'EUNKNOWN' ? String((e as Error)?.message ?? e) : code}`;
      this.log.error({ family, port: this.port, code }, message);
      return err({ op: 'listen', code, message, family });
    }
  }

  /**
   * Opens the sending socket of session `key` (and the listener of its family): bound to a
   * free source port of the range on `source`, TTL set. Resolves with where it is bound.
   */
  async openSession(key: string, o: BfdSessionOptions): Promise<Result<BfdSessionSocketInfo, BfdSocketError>> {
    const fail = (op: BfdSocketError['op'], code: string, message: string): Result<BfdSessionSocketInfo, BfdSocketError> => {
      if (op === 'bind' || op === 'ttl') {
        this.counters.bindErrors++;
        this.log.error({ key, family: o.family, code }, message);
      }
      return err({ op, code, message, key, family: o.family });
    };
    if (this.sessions.has(key)) return fail('bind', 'EEXIST', `BFD session ${key}: its socket is open already`);
    const ttl = o.ttl ?? 255;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) return fail('ttl', 'EINVAL', `BFD session ${key}: ttl ${ttl} is not 1..255`);
    const source = o.source || undefined;
    if (source !== undefined && isIP(bare(source)) !== o.family) {
      return fail('bind', 'EINVAL', `BFD session ${key}: source ${source} is not an IPv${o.family} address`);
    }
    const l = this.listen(o.family);
    if (!l.ok) return err({ ...l.error, key });

    const s: Session = { key, family: o.family, socket: undefined, closed: false, info: undefined, lastErrorCode: undefined };
    this.sessions.set(key, s);
    const [lo, hi] = this.opts.sourcePorts ?? sourcePortRange();
    const first = lo + Math.floor(Math.random() * (hi - lo + 1));
    let port = first;
    let r: Result<Socket, unknown>;
    for (;;) {
      r = await bindOnce(o.family, source, port);
      if (r.ok || errnoCode(r.error) !== 'EADDRINUSE' || s.closed) break;
      port = port >= hi ? lo : port + 1;
      if (port === first) break;
    }
    if (s.closed) { // closeSession / close while binding
      if (r.ok) r.value.close();
      return err({ op: 'bind', code: 'ECLOSED', message: `BFD session ${key}: closed while opening`, key, family: o.family });
    }
    if (!r.ok) {
      this.forget(s);
      const code = errnoCode(r.error);
      return fail('bind', code, `BFD session ${key}: cannot bind a UDP source port ${lo}-${hi}${source ? ` on ${source}` : ''}: ${code}`);
    }
    const sock = r.value;
    try {
      sock.setTTL(ttl);
    } catch (e) {
      this.forget(s);
      sock.close();
      const code = errnoCode(e);
      return fail('ttl', code, `BFD session ${key}: cannot set TTL ${ttl}: ${code}`);
    }
    // after bind, what comes here is a send's ICMP error (ECONNREFUSED: the peer's port is closed)
    sock.on('error', (e) => this.sendFailed(s, e, s.peer ?? ''));
    const a = sock.address();
    s.socket = sock;
    s.info = { family: o.family, srcAddress: a.address, srcPort: a.port, ttl };
    return ok(s.info);
  }

  /**
   * Sends one control packet of session `key` to `peer` (an address of the session's family,
   * IPv6 link-local with %ifname). Errors found now are returned; later ones (the kernel's)
   * are counted, logged and go to `onSendError`.
   */
  send(key: string, bytes: Uint8Array, peer: string): Result<void, BfdSocketError> {
    const s = this.sessions.get(key);
    if (!s?.socket) return err({ op: 'send', code: 'ENOSESSION', message: `BFD session ${key}: no open socket`, key });
    if (isIP(bare(peer)) !== s.family) {
      return err({ op: 'send', code: 'EINVAL', message: `BFD session ${key}: peer ${peer} is not an IPv${s.family} address`, key, family: s.family });
    }
    const socket = s.socket;
    if (s.peer !== peer) {
      // connect once per peer, so that a send need not resolve the address (dgram looks up
      // every address it is given); what is sent meanwhile waits for the connect
      if (s.peer !== undefined && s.connected) socket.disconnect();
      s.peer = peer;
      s.connected = false;
      s.queue = [];
      try {
        socket.connect(this.peerPort, peer, (e?: Error) => {
          if (s.peer !== peer || s.closed) return;
          if (e) {
            // each packet that waited fails with the connect's error, as its send would have
            s.peer = undefined;
            const failed = s.queue ?? [];
            s.queue = undefined;
            for (let i = 0; i < Math.max(1, failed.length); i++) this.sendFailed(s, e, peer);
            return;
          }
          s.connected = true;
          const queued = s.queue ?? [];
          s.queue = undefined;
          for (const b of queued) this.send(key, b, peer);
        });
      } catch (e) {
        s.peer = undefined;
        return err(this.sendFailed(s, e, peer));
      }
    }
    if (!s.connected) {
      if ((s.queue ??= []).length < 4) s.queue.push(bytes);
      return ok(undefined);
    }
    s.sent ??= (e) => {
      if (e) this.sendFailed(s, e, s.peer ?? '');
      else {
        this.counters.txPackets++;
        s.lastErrorCode = undefined;
      }
    };
    try {
      socket.send(bytes, s.sent);
      return ok(undefined);
    } catch (e) {
      return err(this.sendFailed(s, e, peer));
    }
  }

  /** Closes the sending socket of session `key` (also one still opening). */
  closeSession(key: string): void {
    const s = this.sessions.get(key);
    if (!s) return;
    this.sessions.delete(key);
    s.closed = true;
    const sock = s.socket;
    s.socket = undefined;
    try {
      sock?.close();
    } catch {
      // closed already
    }
  }

  /** Closes every socket; safe twice and from inside onPacket. */
  close(): void {
    this.closed = true;
    for (const key of [...this.sessions.keys()]) this.closeSession(key);
    for (const fd of this.listeners.values()) closeFd(fd);
    this.listeners.clear();
  }

  private forget(s: Session): void {
    if (this.sessions.get(s.key) === s) this.sessions.delete(s.key);
  }

  private receive(data: Buffer, info: BfdPacketInfo, noTtl: boolean): void {
    this.counters.rxPackets++;
    if (noTtl) this.counters.rxNoTtl++;
    try {
      this.opts.onPacket(data, info);
    } catch (e) {
      this.counters.rxHandlerErrors++;
      try {
        this.log.error({ err: e, src: info.src }, 'BFD: packet handler failed');
      } catch {
        // the logger failed too
      }
    }
  }

  private sendFailed(s: Session, e: unknown, peer: string): BfdSocketError {
    this.counters.txErrors++;
    const code = errnoCode(e);
    const message = `BFD session ${s.key}: send to ${peer || '?'} failed: ${code}`;
    const error: BfdSocketError = { op: 'send', code, message, key: s.key, family: s.family };
    try {
      if (s.lastErrorCode !== code) this.log.warn({ key: s.key, peer, code }, message);
      s.lastErrorCode = code;
      this.opts.onSendError?.(error);
    } catch {
      // a failing logger or onSendError must not escape from a socket callback
    }
    return error;
  }
}
