/**
 * UDP_CHECK's probe: the payload on a connected UDP socket (keepalived layer4.c
 * `udp_bind_connect`). On a connected socket the kernel reports an ICMP port unreachable as
 * ECONNREFUSED: a failure. A reply is judged by check/udp.ts; silence until conn.timeoutMs is
 * a success unless require_reply is set.
 *
 * `udpExchange` is the one request / reply exchange on such a socket, shared with DNS_CHECK.
 * fwmark (SO_MARK) and bind_if (SO_BINDTODEVICE) come on a socket the native addon makes, which
 * node:dgram adopts (`bind({ fd })`); such a socket cannot also take `bindto` / `bind_port`
 * through Node, so with those the mark and device are counted as ignored.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { ConnPlan, ProbePlan, ProbeResult } from '../check/types.js';
import { udpReplyMatches } from '../check/udp.js';
import { notRun, optionSocket, probeCounters, scopedToBindIf, targetHost } from './probe-tcp.js';

/** A connected UDP socket bound as conn asks; `ready` gets the socket or a not-run failure. */
function connectUdp(conn: ConnPlan, onMessage: (msg: Buffer) => void, onError: (code: string) => void, ready: (sock: Socket | undefined, failure?: ProbeResult) => void): Socket {
  const binds = conn.bindto !== undefined || conn.bindPort !== undefined;
  let opt: ReturnType<typeof optionSocket> = {};
  if (!binds) opt = optionSocket(conn, 'udp');
  else {
    if (conn.fwmark !== undefined) probeCounters.fwmarkIgnored++;
    // (an IPv6 link-local target is still scoped to bind_if)
    if (conn.bindIf !== undefined && !scopedToBindIf(conn)) probeCounters.bindIfIgnored++;
  }
  const sock = createSocket({ type: conn.family === 'inet6' ? 'udp6' : 'udp4' });
  if (opt.failure) {
    queueMicrotask(() => ready(undefined, opt.failure));
    return sock;
  }
  let connected = false;
  sock.on('message', onMessage);
  sock.on('error', (e: NodeJS.ErrnoException) => {
    if (!connected) {
      sock.close();
      ready(undefined, notRun(`${e.syscall ?? 'socket'}: ${e.code ?? 'EUNKNOWN'}`));
      return;
    }
    onError(e.code ?? 'EUNKNOWN');
  });
  const doConnect = (): void => {
    // a connect that fails (no route) comes back through this callback, not as an 'error'
    sock.connect(conn.port, targetHost(conn), (err?: Error) => {
      if (err) {
        sock.close();
        ready(undefined, { ok: false, detail: (err as NodeJS.ErrnoException).code ?? 'connect' });
        return;
      }
      connected = true;
      ready(sock);
    });
  };
  if (opt.fd !== undefined) sock.bind({ fd: opt.fd }, doConnect);
  else if (binds) sock.bind({ address: conn.bindto, port: conn.bindPort ?? 0 }, doConnect);
  else doConnect();
  return sock;
}

export interface UdpExchange {
  readonly payload: Uint8Array;
  /** a result for this reply, or undefined to ignore it and keep waiting */
  readonly onReply: (msg: Buffer) => ProbeResult | undefined;
  /** an ICMP error (or another socket error) after the connect */
  readonly onSocketError: (code: string) => ProbeResult;
  readonly onSendError: (code: string) => ProbeResult;
  /** the result when nothing decided it within conn.timeoutMs */
  readonly onTimeout: ProbeResult;
}

/** Send `payload` on a connected socket and wait for a reply that decides the probe. Never rejects. */
export function udpExchange(conn: ConnPlan, x: UdpExchange): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      try { sock.close(); } catch { /* closed */ }
      resolve(r);
    };
    const sock = connectUdp(conn, (msg) => {
      const r = x.onReply(msg);
      if (r) finish(r);
    }, (code) => finish(x.onSocketError(code)), (s, failure) => {
      if (!s) return finish(failure!);
      timer = setTimeout(() => finish(x.onTimeout), conn.timeoutMs);
      s.send(x.payload, (e) => { if (e) finish(x.onSendError((e as NodeJS.ErrnoException).code ?? 'send')); });
    });
  });
}

export function udpProbe(p: Extract<ProbePlan, { type: 'UDP_CHECK' }>): Promise<ProbeResult> {
  return udpExchange(p.conn, {
    payload: p.payload,
    onReply: (msg) => !p.requireReply || udpReplyMatches(msg, p.requireReply, p.minReplyLength, p.maxReplyLength) ? { ok: true } : { ok: false, detail: 'reply mismatch' },
    onSocketError: (code) => ({ ok: false, detail: code }),
    onSendError: (code) => ({ ok: false, detail: code }),
    onTimeout: p.requireReply ? { ok: false, detail: 'timeout' } : { ok: true },
  });
}
