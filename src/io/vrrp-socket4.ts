/**
 * IPv4 VRRP sockets (IP protocol 112) on the `raw-socket` package: one socket per interface,
 * bound to it (SO_BINDTODEVICE, so every received datagram is known to come from that
 * interface), joined to the VRRP multicast group there, multicast loop off, and IP_HDRINCL:
 * the engine builds the whole datagram (TOS 0xC0, TTL 255, keepalived's IP IDs, our source).
 *
 * Received datagrams are handed to `onPacket` synchronously with a copy of the bytes;
 * send errors are counted and reported through `onSendError`, never thrown.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { KtsError } from '../errors/index.js';
import { formatIp } from '../util/ip.js';
import { rawSocketModule, type RawSocket } from './raw-socket.js';


// Linux <netinet/in.h>, <asm-generic/socket.h>
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const SO_RCVBUF = 8;
const IPPROTO_IP = 0;
const IP_HDRINCL = 3;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;
const IP_DROP_MEMBERSHIP = 36;
export const IPPROTO_VRRP = 112;

/** struct ip_mreqn { in_addr multiaddr; in_addr address; int ifindex; } */
function mreqn(group: Uint8Array | undefined, ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  if (group) b.set(group, 0);
  b.writeInt32LE(ifindex, 8);
  return b;
}

/** The receive buffer each socket asks for (SO_RCVBUF). */
export const VRRP4_RCVBUF = 256 * 1024;

/** This process's socket descriptors (the "socket:[inode]" links of /proc/self/fd). */
function socketFds(): Set<number> {
  const out = new Set<number>();
  try {
    for (const name of readdirSync('/proc/self/fd')) {
      try {
        if (readlinkSync(`/proc/self/fd/${name}`).startsWith('socket:')) out.add(Number(name));
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return out;
}

/** raw-socket throws errors whose message is strerror(errno), e.g. "Operation not permitted". */
function reason(e: unknown): string {
  return String((e as Error)?.message ?? e);
}

/** strerror(EAGAIN) on Linux: the socket buffer is full, queue the datagram instead. */
const WOULD_BLOCK = /Resource temporarily unavailable/;

export interface Vrrp4SocketOptions {
  readonly ifname: string;
  readonly ifindex: number;
  /** IPPROTO_VRRP (default), or 51 for auth_type AH, whose datagrams carry an AH before VRRP */
  readonly protocol?: number;
  /** multicast groups to join on this interface (224.0.0.18 or vrrp_mcast_group4 / mcast_dst_ip) */
  readonly groups: readonly Uint8Array[];
  readonly onPacket: (data: Uint8Array) => void;
  readonly onSendError?: (err: string, dst: string) => void;
}

export class Vrrp4Socket {
  private readonly sock: RawSocket;
  private readonly joined: Uint8Array[] = [];
  private closed = false;
  private pending = 0;
  private drained: (() => void) | undefined;
  sendErrors = 0;
  /**
   * The socket's descriptor, for the data dump (raw-socket does not tell it: it is the one
   * socket descriptor that appeared while the socket was made); undefined when not known.
   */
  readonly fd: number | undefined;

  get ifname(): string {
    return this.opts.ifname;
  }

  constructor(private readonly opts: Vrrp4SocketOptions) {
    const r = rawSocketModule();
    const before = socketFds();
    try {
      this.sock = r.createSocket({ protocol: opts.protocol ?? IPPROTO_VRRP, addressFamily: r.AddressFamily.IPv4, bufferSize: 2048 });
    } catch (e) {
      throw new KtsError('DAEMON_SOCKET', `open VRRP socket on ${opts.ifname}: ${reason(e)}`, { cause: e });
    }
    const made = [...socketFds()].filter((fd) => !before.has(fd));
    this.fd = made.length === 1 ? made[0] : undefined;
    try {
      const dev = Buffer.from(`${opts.ifname}\0`);
      this.sock.setOption(SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length);
      this.sock.setOption(SOL_SOCKET, SO_RCVBUF, VRRP4_RCVBUF);
      this.sock.setOption(IPPROTO_IP, IP_HDRINCL, 1);
      this.sock.setOption(IPPROTO_IP, IP_MULTICAST_LOOP, 0);
      const mif = mreqn(undefined, opts.ifindex);
      this.sock.setOption(IPPROTO_IP, IP_MULTICAST_IF, mif, mif.length);
      for (const g of opts.groups) this.join(g);
    } catch (e) {
      this.sock.close();
      throw new KtsError('DAEMON_SOCKET', `set up VRRP socket on ${opts.ifname}: ${reason(e)}`, { cause: e });
    }
    this.sock.on('message', (buf) => {
      // raw-socket reuses its receive buffer: copy before anything can be deferred
      if (!this.closed) opts.onPacket(Uint8Array.prototype.slice.call(buf));
    });
    this.sock.on('error', (err) => {
      this.sendErrors++;
      opts.onSendError?.(reason(err), '');
    });
  }

  private join(group: Uint8Array): void {
    if (this.joined.some((g) => g.every((v, i) => v === group[i]))) return;
    const m = mreqn(group, this.opts.ifindex);
    this.sock.setOption(IPPROTO_IP, IP_ADD_MEMBERSHIP, m, m.length);
    this.joined.push(group);
  }

  /** Send a whole IPv4 datagram (IP_HDRINCL) to `dst`. */
  send(datagram: Uint8Array, dst: Uint8Array): void {
    if (this.closed) return;
    const to = formatIp(dst);
    const buf = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
    if (this.pending === 0) {
      // Send now, not on the next writability event: an advert must leave before the GARPs
      // that follow it, and its timing is the point. raw-socket's queue is the fallback
      // when the socket buffer is full (EAGAIN) or a send is already queued.
      try {
        this.sock.wrap.send(buf, 0, buf.length, to, () => undefined);
        return;
      } catch (e) {
        if (!WOULD_BLOCK.test(reason(e))) {
          this.sendErrors++;
          this.opts.onSendError?.(reason(e), to);
          return;
        }
      }
    }
    this.pending++;
    this.sock.send(buf, 0, buf.length, to, (err) => {
      if (--this.pending === 0) this.drained?.();
      if (err) {
        this.sendErrors++;
        this.opts.onSendError?.(reason(err), to);
      }
    });
  }

  /** Resolves when every queued datagram has been handed to the kernel (or `maxMs` passed). */
  drain(maxMs = 200): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, maxMs);
      this.drained = () => { clearTimeout(t); resolve(); };
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const g of this.joined) {
      try {
        const m = mreqn(g, this.opts.ifindex);
        this.sock.setOption(IPPROTO_IP, IP_DROP_MEMBERSHIP, m, m.length);
      } catch { /* closing anyway */ }
    }
    this.sock.close();
  }
}
