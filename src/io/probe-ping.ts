/**
 * PING_CHECK's probe: an ICMP / ICMPv6 echo on a raw socket of the `raw-socket` package,
 * answered within conn.timeoutMs (keepalived check_ping.c uses unprivileged ping sockets; raw
 * sockets need CAP_NET_RAW, which the daemon has).
 *
 * One socket per (family, bindto, bind_if, fwmark) is shared by every probe with those options;
 * echoes carry the socket's random identifier and a sequence number per probe, and a reply
 * counts only from the probed address. raw-socket has no bind(): bindto is the IPv4 source in
 * a header we build (IP_HDRINCL), and the IPv6 source through the sticky IPV6_PKTINFO option.
 * bind_if is SO_BINDTODEVICE and fwmark SO_MARK, both set with setsockopt on the raw socket.
 */
import { randomInt } from 'node:crypto';
import { buildEchoRequest, parseEchoReply } from '../check/ping.js';
import type { ConnPlan, ProbeResult } from '../check/types.js';
import { parseIp } from '../util/ip.js';
import { notRun } from './probe-tcp.js';
import { rawSocketModule, type RawSocket } from './raw-socket.js';


// Linux <asm-generic/socket.h>, <linux/in.h>, <linux/in6.h>
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const SO_MARK = 36;
const IPPROTO_IP = 0;
const IP_HDRINCL = 3;
const IPPROTO_IPV6 = 41;
const IPV6_PKTINFO = 50;

const PAYLOAD = new TextEncoder().encode('keepalived-ts ping check');

interface Pending {
  readonly host: string;
  readonly resolve: (r: ProbeResult) => void;
  readonly timer: NodeJS.Timeout;
}

class PingSocket {
  readonly id = randomInt(1, 0x10000);
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly sock: RawSocket;
  private readonly src4: Uint8Array | undefined;

  constructor(readonly family: 'inet' | 'inet6', conn: ConnPlan) {
    const raw = rawSocketModule();
    this.sock = raw.createSocket({
      protocol: family === 'inet' ? 1 : 58,
      addressFamily: family === 'inet' ? raw.AddressFamily.IPv4 : raw.AddressFamily.IPv6,
      bufferSize: 2048,
    });
    try {
      if (conn.bindIf !== undefined) {
        const dev = Buffer.from(`${conn.bindIf}\0`);
        this.sock.setOption(SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length);
      }
      if (conn.fwmark !== undefined) this.sock.setOption(SOL_SOCKET, SO_MARK, conn.fwmark);
      if (conn.bindto !== undefined && family === 'inet') {
        this.src4 = parseIp(conn.bindto)?.bytes;
        this.sock.setOption(IPPROTO_IP, IP_HDRINCL, 1);
      } else if (conn.bindto !== undefined) {
        const info = Buffer.alloc(20);
        info.set(parseIp(conn.bindto)?.bytes ?? new Uint8Array(16), 0);
        this.sock.setOption(IPPROTO_IPV6, IPV6_PKTINFO, info, info.length);
      }
    } catch (e) {
      this.sock.close();
      throw e;
    }
    this.sock.on('message', (buf, source) => this.onMessage(buf, source));
    this.sock.on('error', () => undefined);
  }

  ping(host: string, timeoutMs: number): Promise<ProbeResult> {
    const seq = (this.seq = (this.seq + 1) & 0xffff);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        resolve({ ok: false, detail: 'timeout' });
      }, timeoutMs);
      this.pending.set(seq, { host, resolve, timer });
      let msg = buildEchoRequest(this.family, this.id, seq, PAYLOAD);
      if (this.src4) msg = ipv4Header(this.src4, parseIp(host)!.bytes, msg);
      const buf = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
      this.sock.send(buf, 0, buf.length, host, (err) => {
        if (!err) return;
        this.settle(seq, { ok: false, detail: err.message });
      });
    });
  }

  private onMessage(buf: Buffer, source: string): void {
    const r = parseEchoReply(this.family, buf);
    if (!r || r.id !== this.id) return;
    const p = this.pending.get(r.seq);
    if (!p || p.host !== source) return;
    this.settle(r.seq, { ok: true });
  }

  private settle(seq: number, r: ProbeResult): void {
    const p = this.pending.get(seq);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(seq);
    p.resolve(r);
  }

  close(): void {
    for (const seq of [...this.pending.keys()]) this.settle(seq, { ok: false, detail: 'closed' });
    this.sock.close();
  }
}

/** An IPv4 header (checksum and id left to the kernel) in front of `payload`. */
function ipv4Header(src: Uint8Array, dst: Uint8Array, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(20 + payload.length);
  b[0] = 0x45;
  b[2] = b.length >> 8;
  b[3] = b.length & 0xff;
  b[8] = 64; // TTL
  b[9] = 1; // ICMP
  b.set(src, 12);
  b.set(dst, 16);
  b.set(payload, 20);
  return b;
}

const sockets = new Map<string, PingSocket>();

export async function pingProbe(conn: ConnPlan): Promise<ProbeResult> {
  const key = `${conn.family}|${conn.bindto ?? ''}|${conn.bindIf ?? ''}|${conn.fwmark ?? ''}`;
  let s = sockets.get(key);
  if (!s) {
    try {
      s = new PingSocket(conn.family, conn);
    } catch (e) {
      return notRun(`raw socket: ${(e as Error).message}`);
    }
    sockets.set(key, s);
  }
  return s.ping(conn.host, conn.timeoutMs);
}

/** Closes the shared ping sockets (at stop; pending probes end as failures). */
export function closePingSockets(): void {
  for (const s of sockets.values()) s.close();
  sockets.clear();
}
