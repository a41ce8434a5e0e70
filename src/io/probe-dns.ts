/**
 * DNS_CHECK's probe: one query on a connected UDP socket (check/dns.ts builds and judges);
 * replies that are not ours are ignored until conn.timeoutMs. An ICMP error (ECONNREFUSED)
 * ends it at once. SO_MARK / SO_BINDTODEVICE are not available on node:dgram sockets.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { buildDnsQuery, DNS_ERRORS, judgeDnsReply } from '../check/dns.js';
import type { ConnPlan, ProbeResult } from '../check/types.js';
import { notRun, probeCounters, targetHost } from './probe-tcp.js';

/** A connected UDP socket bound as conn asks; `ready` gets the socket or a not-run failure. */
export function connectUdp(conn: ConnPlan, onMessage: (msg: Buffer) => void, onError: (code: string) => void, ready: (sock: Socket | undefined, failure?: ProbeResult) => void): Socket {
  if (conn.fwmark !== undefined) probeCounters.fwmarkIgnored++;
  const sock = createSocket({ type: conn.family === 'inet6' ? 'udp6' : 'udp4' });
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
    sock.connect(conn.port, targetHost(conn), () => {
      connected = true;
      ready(sock);
    });
  };
  if (conn.bindto !== undefined || conn.bindPort !== undefined) sock.bind({ address: conn.bindto, port: conn.bindPort ?? 0 }, doConnect);
  else doConnect();
  return sock;
}

export function dnsProbe(conn: ConnPlan, qtype: number, name: string): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const id = randomInt(0, 0x10000);
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let sock: Socket | undefined;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      try { sock?.close(); } catch { /* closed */ }
      resolve(r);
    };
    sock = connectUdp(conn, (msg) => {
      const v = judgeDnsReply(id, msg);
      if (v.kind === 'ok') finish({ ok: true });
      else if (v.kind === 'error') finish({ ok: false, detail: v.detail });
    }, () => finish({ ok: false, detail: DNS_ERRORS.connectionError }), (s, failure) => {
      if (!s) return finish(failure!);
      timer = setTimeout(() => finish({ ok: false, detail: DNS_ERRORS.readTimeout }), conn.timeoutMs);
      s.send(buildDnsQuery(id, qtype, name), (e) => { if (e) finish({ ok: false, detail: DNS_ERRORS.writeFailure }); });
    });
  });
}
