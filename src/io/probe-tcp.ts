/**
 * TCP_CHECK's probe, and the connect every TCP-based probe shares (HTTP, SMTP): a non-blocking
 * connect to conn.host:port within conn.timeoutMs, from bindto[:bind_port] when set
 * (keepalived layer4.c `socket_bind_connect`).
 *
 * `fwmark` (SO_MARK) and `bind_if` (SO_BINDTODEVICE) need options node:net cannot set before
 * a connect: the socket is then made by the native addon with them set (native.ts
 * `markedSocket`) and handed to Node's TCP handle. Without the addon they are not applied and
 * counted in `probeCounters`. An IPv6 link-local target also gets `%bind_if` as its scope.
 */
import { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';
import type { ConnPlan, ProbeResult } from '../check/types.js';
import { closeFd, markedSocket, nativeAvailable, type SyscallError } from './native.js';

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

/**
 * A connect timeout decides only after the I/O already waiting has been read: after the
 * process was held up (a reload of a large configuration, a long GC), the timers that expired
 * meanwhile run before the poll for I/O (libuv's order), and a connect that completed in time
 * would count as timed out. setImmediate runs after that poll.
 */
function afterPendingIo(fn: () => void): void {
  setImmediate(fn);
}

export function notRun(detail: string): ProbeResult {
  probeCounters.notRun++;
  return { ok: false, detail, code: 'CHECK_PROBE' };
}

/** An IPv6 link-local target with bind_if: the address is scoped to that interface. */
export const scopedToBindIf = (conn: ConnPlan): boolean =>
  conn.bindIf !== undefined && conn.family === 'inet6' && /^fe[89ab]/i.test(conn.host);

/** The connect target: an IPv6 link-local address is scoped to bind_if. */
export function targetHost(conn: ConnPlan): string {
  return scopedToBindIf(conn) ? `${conn.host}%${conn.bindIf!}` : conn.host;
}

/**
 * A socket with the probe's fwmark / bind_if set (undefined when it asks for neither); a
 * failure is the probe's (not run). Without the native addon the options are counted as
 * ignored and the probe runs on a plain socket, as before.
 */
export function optionSocket(conn: ConnPlan, type: 'tcp' | 'udp' = 'tcp'): { fd?: number; failure?: ProbeResult } {
  if (conn.fwmark === undefined && conn.bindIf === undefined) return {};
  if (!nativeAvailable()) {
    if (conn.fwmark !== undefined) probeCounters.fwmarkIgnored++;
    if (conn.bindIf !== undefined) probeCounters.bindIfIgnored++;
    return {};
  }
  try {
    return { fd: markedSocket(conn.family, type, { ...(conn.fwmark !== undefined ? { mark: conn.fwmark } : {}), ...(conn.bindIf !== undefined ? { ifname: conn.bindIf } : {}) }) };
  } catch (e) {
    return { failure: notRun(`socket: ${(e as SyscallError).errnoCode ?? (e as Error).message}`) };
  }
}

/** Starts a connect; `done` is called once with the socket (connected) or a failure. */
export function connectTcp(conn: ConnPlan, done: (sock: Socket | undefined, failure?: ProbeResult) => void): Socket {
  const opt = optionSocket(conn);
  if (opt.failure) {
    const s = new Socket();
    queueMicrotask(() => done(undefined, opt.failure));
    return s;
  }
  const sock = opt.fd !== undefined ? new Socket({ fd: opt.fd, readable: true, writable: true }) : new Socket();
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
  sock.setTimeout(conn.timeoutMs, () => afterPendingIo(() => finish(false, { ok: false, detail: 'timeout' })));
  sock.connect({
    host: targetHost(conn), port: conn.port, family: conn.family === 'inet6' ? 6 : 4,
    ...(conn.bindto !== undefined ? { localAddress: conn.bindto } : {}),
    ...(conn.bindPort !== undefined ? { localPort: conn.bindPort } : {}),
  });
  return sock;
}

export function tcpProbe(conn: ConnPlan): Promise<ProbeResult> {
  const lean = tcpWrap();
  if (lean) return leanConnect(lean, conn);
  return new Promise((resolve) => {
    connectTcp(conn, (sock, failure) => {
      if (!sock) return resolve(failure!);
      sock.destroy();
      resolve(OK);
    });
  });
}

/*
 * TCP_CHECK only connects and closes, so it does not need a net.Socket (a stream with its
 * buffers, events and timers): Node's own TCP handle does the same system calls for about a
 * third less CPU per probe (bench/RESULTS.md, checkers), which matters at thousands of checks a
 * second. `process.binding('tcp_wrap')` is the handle net.Socket itself sits on; if a future
 * Node removes it, tcpWrap() returns null and net.Socket is used.
 */
interface TcpHandle {
  open(fd: number): number;
  bind(addr: string, port: number): number;
  bind6(addr: string, port: number, flags: number): number;
  connect(req: ConnectReq, addr: string, port: number): number;
  connect6(req: ConnectReq, addr: string, port: number): number;
  close(): void;
}
interface ConnectReq {
  oncomplete: (status: number) => void;
}
interface TcpWrapBinding {
  readonly TCP: new (type: number) => TcpHandle;
  readonly TCPConnectWrap: new () => ConnectReq;
  readonly constants: { readonly SOCKET: number };
}

let tcpWrapBinding: TcpWrapBinding | null | undefined;
function tcpWrap(): TcpWrapBinding | null {
  if (tcpWrapBinding === undefined) {
    try {
      const b = (process as unknown as { binding(name: string): Partial<TcpWrapBinding> }).binding('tcp_wrap');
      tcpWrapBinding = typeof b.TCP === 'function' && typeof b.TCPConnectWrap === 'function' && b.constants ? (b as TcpWrapBinding) : null;
    } catch {
      tcpWrapBinding = null;
    }
  }
  return tcpWrapBinding;
}

function leanConnect(b: TcpWrapBinding, conn: ConnPlan): Promise<ProbeResult> {
  const opt = optionSocket(conn);
  if (opt.failure) return Promise.resolve(opt.failure);
  return new Promise((resolve) => {
    const h = new b.TCP(b.constants.SOCKET);
    if (opt.fd !== undefined) {
      const err = h.open(opt.fd);
      if (err) {
        closeFd(opt.fd);
        h.close();
        resolve(notRun(`socket: ${getSystemErrorName(err)}`));
        return;
      }
    }
    const v6 = conn.family === 'inet6';
    let settled = false;
    const finish = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      h.close();
      resolve(r);
    };
    // a timer of its own, counted from this connect's start. Tried and not kept: one timer for
    // all probes, each counted from its engine step's time (a clock read less per probe). A
    // probe started late in a step of 256 then had that much less time, and connects answered
    // just after a SYN's second retransmission (3 s, the bench's connect_timeout) failed in
    // bursts (bench/RESULTS.md, checkers).
    const timer = setTimeout(() => afterPendingIo(() => finish({ ok: false, detail: 'timeout' })), conn.timeoutMs);
    if (conn.bindto !== undefined || conn.bindPort !== undefined) {
      const addr = conn.bindto ?? (v6 ? '::' : '0.0.0.0');
      const err = v6 ? h.bind6(addr, conn.bindPort ?? 0, 0) : h.bind(addr, conn.bindPort ?? 0);
      if (err) return finish(notRun(`bind: ${getSystemErrorName(err)}`));
    }
    const req = new b.TCPConnectWrap();
    req.oncomplete = (status) => finish(status === 0 ? OK : { ok: false, detail: getSystemErrorName(status) });
    const err = v6 ? h.connect6(req, targetHost(conn), conn.port) : h.connect(req, conn.host, conn.port);
    if (err) finish(LOCAL_ERRORS.has(getSystemErrorName(err)) ? notRun(`connect: ${getSystemErrorName(err)}`) : { ok: false, detail: getSystemErrorName(err) });
  });
}

const OK: ProbeResult = Object.freeze({ ok: true });
