/**
 * TCP_CHECK's probe, and the connect every TCP-based probe shares (HTTP, SMTP): a non-blocking
 * connect to conn.host:port within conn.timeoutMs, from bindto[:bind_port] when set
 * (keepalived layer4.c `socket_bind_connect`).
 *
 * Not possible with node:net, so not done (counted in `probeCounters`): SO_MARK (`fwmark`)
 * and SO_BINDTODEVICE (`bind_if`) on TCP sockets; an IPv6 link-local target gets `%bind_if`
 * as its scope instead, which routes it out of that interface.
 */
import { Socket } from 'node:net';
import type { ConnPlan, ProbeResult } from '../check/types.js';

export const probeCounters = {
  /** probes that could not be run at all (socket, bind): CHECK_PROBE */
  notRun: 0,
  /** fwmark asked for on a socket Node cannot mark */
  fwmarkIgnored: 0,
  /** bind_if asked for on a socket Node cannot bind to a device */
  bindIfIgnored: 0,
};

/** errno codes that mean the probe never left this host (keepalived: "bind failed. Rescheduling"). */
const LOCAL_ERRORS = new Set(['EADDRNOTAVAIL', 'EADDRINUSE', 'EACCES', 'EPERM', 'EMFILE', 'ENFILE', 'EINVAL', 'ENOBUFS']);

export function notRun(detail: string): ProbeResult {
  probeCounters.notRun++;
  return { ok: false, detail, code: 'CHECK_PROBE' };
}

/** The connect target: an IPv6 link-local address is scoped to bind_if. */
export function targetHost(conn: ConnPlan): string {
  if (conn.bindIf !== undefined && conn.family === 'inet6' && /^fe[89ab]/i.test(conn.host)) return `${conn.host}%${conn.bindIf}`;
  if (conn.bindIf !== undefined) probeCounters.bindIfIgnored++;
  return conn.host;
}

/** Starts a connect; `done` is called once with the socket (connected) or a failure. */
export function connectTcp(conn: ConnPlan, done: (sock: Socket | undefined, failure?: ProbeResult) => void): Socket {
  if (conn.fwmark !== undefined) probeCounters.fwmarkIgnored++;
  const sock = new Socket();
  let settled = false;
  const finish = (ok: boolean, failure?: ProbeResult): void => {
    if (settled) return;
    settled = true;
    sock.setTimeout(0);
    sock.removeListener('connect', onConnect);
    if (ok) done(sock);
    else {
      sock.destroy();
      done(undefined, failure);
    }
  };
  const onConnect = (): void => finish(true);
  sock.once('connect', onConnect);
  sock.on('error', (e: NodeJS.ErrnoException) => {
    if (settled) return;
    const code = e.code ?? 'EUNKNOWN';
    finish(false, LOCAL_ERRORS.has(code) && e.syscall !== 'connect' ? notRun(`${e.syscall ?? 'socket'}: ${code}`) : { ok: false, detail: code });
  });
  sock.setTimeout(conn.timeoutMs, () => finish(false, { ok: false, detail: 'timeout' }));
  sock.connect({
    host: targetHost(conn), port: conn.port, family: conn.family === 'inet6' ? 6 : 4,
    ...(conn.bindto !== undefined ? { localAddress: conn.bindto } : {}),
    ...(conn.bindPort !== undefined ? { localPort: conn.bindPort } : {}),
  });
  return sock;
}

export function tcpProbe(conn: ConnPlan): Promise<ProbeResult> {
  return new Promise((resolve) => {
    connectTcp(conn, (sock, failure) => {
      if (!sock) return resolve(failure!);
      sock.destroy();
      resolve(OK);
    });
  });
}

const OK: ProbeResult = Object.freeze({ ok: true });
