/**
 * Typed access to the N-API addon in native/ (why it exists: native/README.md): AF_PACKET
 * frames (gratuitous ARP, unsolicited NA), IPv6 raw sockets with ancillary data (VRRP over
 * IPv6), UDP sockets that report each datagram's TTL and destination (BFD, src/io/bfd-socket.ts),
 * AF_UNIX datagrams (sd_notify), the scheduling calls of `vrrp_rt_priority` and its
 * kin (src/io/sched.ts), entering a network namespace (src/io/netns.ts) and linkbeat's link
 * ioctls (src/daemon/linkbeat.ts).
 *
 * The addon is loaded on first use, so commands that never touch these sockets (`-t`) run
 * without it; a missing build is a `NATIVE_UNAVAILABLE` error saying how to build it. Failed
 * system calls become `SyscallError` (`IO_SYSCALL`) carrying the errno name and the call.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { KtsError } from '../errors/index.js';

/** (data, src, dst, hopLimit, ifindex): one IPv6 datagram payload and its addressing. */
export type Raw6Handler = (data: Buffer, src: Buffer, dst: Buffer, hopLimit: number, ifindex: number) => void;

/**
 * (data, src, srcPort, dst, ttl, ifindex): one UDP datagram, its source and destination as
 * text, its TTL (IPv4) or hop limit (IPv6), and its arrival interface; ttl is -1 and dst ''
 * when the kernel gave no such ancillary data.
 */
export type UdpHandler = (data: Buffer, src: string, srcPort: number, dst: string, ttl: number, ifindex: number) => void;

/** The addon's exports (native/src/kts_native.c). */
export interface NativeAddon {
  packetOpen(): number;
  packetSend(fd: number, ifindex: number, frame: Uint8Array): number;
  raw6Open(protocol: number, onPacket: Raw6Handler): number;
  raw6Join(fd: number, ifindex: number, group: Uint8Array): void;
  raw6Leave(fd: number, ifindex: number, group: Uint8Array): void;
  raw6Send(fd: number, ifindex: number, src: Uint8Array, dst: Uint8Array, data: Uint8Array): number;
  raw6BindDevice(fd: number, ifname: string): void;
  /**
   * A UDP socket bound to `port` on `bindAddr` ('' = any; IPv6 may carry %scope), IPv6 ones
   * IPV6_V6ONLY, no SO_REUSEADDR, read on Node's loop with each datagram's TTL / hop limit,
   * destination and ifindex. Bad family: TypeError; bad port: RangeError; close with close(fd).
   */
  udpListen(family: 4 | 6, port: number, bindAddr: string, onPacket: UdpHandler): number;
  unixDgramSend(path: string, data: Uint8Array): number;
  socketOpen(family: 4 | 6, type: 'tcp' | 'udp', mark: number, ifname: string): number;
  close(fd: number): void;
  /** SCHED_RR at 1..99 (with SCHED_RESET_ON_FORK) for the calling thread; 0: SCHED_OTHER */
  schedSet(priority: number): void;
  /** RLIMIT_RTTIME in µs (-1: unlimited) */
  rttimeLimit(softUs: number, hardUs: number): void;
  /** installs the SIGXCPU handler that takes a SCHED_RR thread to SCHED_OTHER (once); how many times it has */
  rtGuard(): number;
  /** sched_setaffinity of thread `tid` of this process (0: the caller) */
  cpuAffinity(tid: number, cpus: number[]): void;
  /** setns + private mounts + /sys again, then execve (src/io/netns.ts); returns only by throwing */
  execInNetns(nsPath: string, sysfsName: string, file: string, argv: string[], env: string[]): never;
  /** linkbeat's ioctls (src/daemon/linkbeat.ts): 1 link up, 0 down, -1 the method does not work there */
  linkProbe(ifname: string, method: 'mii' | 'ethtool' | 'flags'): number;
}

/** A failed system call: `errnoCode` is the errno name ('EPERM'), `syscall` the call ('sendto'). */
export class SyscallError extends KtsError {
  readonly errnoCode: string;
  readonly syscall: string;
  constructor(cause: NodeJS.ErrnoException) {
    super('IO_SYSCALL', cause.message, { cause });
    this.name = 'SyscallError';
    this.errnoCode = cause.code ?? 'EUNKNOWN';
    this.syscall = cause.syscall ?? 'unknown';
  }
}

/** The errno name of a failed call: a SyscallError's, a Node error's `code`, else EUNKNOWN. */
export function errnoCode(e: unknown): string {
  const c = e as { code?: unknown; errnoCode?: unknown } | undefined;
  if (typeof c?.errnoCode === 'string') return c.errnoCode;
  return typeof c?.code === 'string' ? c.code : 'EUNKNOWN';
}

const ADDON_FILE = 'native/build/Release/kts_native.node';
/** From src/io/ (vitest, tsx) or dist/src/io/ (compiled) up to the repository root. */
const CANDIDATES = ['../../', '../../../'].map((up) => fileURLToPath(new URL(up + ADDON_FILE, import.meta.url)));

let addon: NativeAddon | undefined;

/** Loads the addon once; throws NATIVE_UNAVAILABLE when it is not built or cannot load. */
export function loadNative(): NativeAddon {
  if (addon) return addon;
  const path = CANDIDATES.find((p) => existsSync(p));
  if (path === undefined) {
    throw new KtsError('NATIVE_UNAVAILABLE',
      `native addon not built (${ADDON_FILE} missing): reinstall keepalived-ts (the Debian package ships it built; an npm install builds it with node-gyp, which needs a C compiler, make and python3: \`npm rebuild -g keepalived-ts\` for a global one)`);
  }
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (e) {
    throw new KtsError('NATIVE_UNAVAILABLE', `native addon ${path} cannot be loaded: ${(e as Error).message}`, { cause: e });
  }
  return addon;
}

/** True when the addon is built and loads. */
export function nativeAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}

/** Runs a native call, turning its errno errors into SyscallError (argument errors pass as they are). */
function sys<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    if (e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === 'string') throw new SyscallError(e);
    throw e;
  }
}

/** Sends one datagram to an AF_UNIX SOCK_DGRAM socket; '@name' is an abstract socket. */
export function unixDgramSend(path: string, data: Uint8Array): number {
  const n = loadNative();
  return sys(() => n.unixDgramSend(path, data));
}

/**
 * A non-blocking TCP / UDP socket with SO_MARK (`mark` >= 0) and SO_BINDTODEVICE (`ifname`)
 * already set, for a probe's fwmark / bind_if; the fd is the caller's (Node's handle takes it).
 */
export function markedSocket(family: 'inet' | 'inet6', type: 'tcp' | 'udp', opts: { mark?: number; ifname?: string }): number {
  const n = loadNative();
  return sys(() => n.socketOpen(family === 'inet' ? 4 : 6, type, opts.mark ?? -1, opts.ifname ?? ''));
}

/**
 * Listens on UDP `port` of `bindAddr` ('' = any) with the addon's udpListen: `onPacket` gets
 * each datagram with its TTL / hop limit, destination and ifindex. The fd is closed with
 * closeFd (also from inside onPacket). errno failures (EADDRINUSE) are SyscallError.
 */
export function udpListen(family: 4 | 6, port: number, bindAddr: string, onPacket: UdpHandler): number {
  const n = loadNative();
  return sys(() => n.udpListen(family, port, bindAddr, onPacket));
}

/** Closes a descriptor the addon made (one Node did not take over). */
export function closeFd(fd: number): void {
  try {
    loadNative().close(fd);
  } catch { /* already closed */ }
}

/** A send-only AF_PACKET socket for whole Ethernet frames (opened once, any interface). */
export class PacketSocket {
  private readonly n = loadNative();
  private fd: number;

  constructor() {
    this.fd = sys(() => this.n.packetOpen());
  }

  /** Sends `frame` (destination MAC and ethertype taken from its header) on `ifindex`. */
  send(ifindex: number, frame: Uint8Array): number {
    if (this.fd < 0) throw new KtsError('INTERNAL', 'PacketSocket used after close');
    return sys(() => this.n.packetSend(this.fd, ifindex, frame));
  }

  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    sys(() => this.n.close(fd));
  }
}

/**
 * An IPv6 raw socket for one IP protocol (112 for VRRP): multicast loop off, hop limits 255,
 * traffic class 0xc0, only groups joined on it. Each received datagram calls `onPacket`
 * with the payload (no IPv6 header), source, destination, hop limit and arrival interface.
 * An exception from `onPacket` goes to `onError` (default: a process warning), never further.
 */
export class Raw6Socket {
  private readonly n = loadNative();
  private fd: number;

  /** the socket's descriptor (for the data dump) */
  get descriptor(): number {
    return this.fd;
  }

  constructor(protocol: number, onPacket: Raw6Handler, onError: (err: unknown) => void = warn) {
    const guarded: Raw6Handler = (data, src, dst, hopLimit, ifindex) => {
      try {
        onPacket(data, src, dst, hopLimit, ifindex);
      } catch (e) {
        try {
          onError(e);
        } catch {
          // the error handler failed too: nothing sensible is left to do with it
        }
      }
    };
    this.fd = sys(() => this.n.raw6Open(protocol, guarded));
  }

  get closed(): boolean {
    return this.fd < 0;
  }

  join(ifindex: number, group: Uint8Array): void {
    sys(() => this.n.raw6Join(this.live(), ifindex, group));
  }

  leave(ifindex: number, group: Uint8Array): void {
    sys(() => this.n.raw6Leave(this.live(), ifindex, group));
  }

  /** SO_BINDTODEVICE ('' unbinds). */
  bindDevice(ifname: string): void {
    sys(() => this.n.raw6BindDevice(this.live(), ifname));
  }

  /**
   * Sends `data` to `dst` out of `ifindex` from `src` (16 zero bytes: the kernel chooses).
   * Link-local and multicast destinations are scoped to `ifindex`.
   */
  send(ifindex: number, src: Uint8Array, dst: Uint8Array, data: Uint8Array): number {
    return sys(() => this.n.raw6Send(this.live(), ifindex, src, dst, data));
  }

  /** Stops receiving and closes the socket; safe to call twice and from inside onPacket. */
  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    sys(() => this.n.close(fd));
  }

  private live(): number {
    if (this.fd < 0) throw new KtsError('INTERNAL', 'Raw6Socket used after close');
    return this.fd;
  }
}

function warn(err: unknown): void {
  process.emitWarning(err instanceof Error ? err : new Error(`Raw6Socket onPacket: ${String(err)}`));
}
