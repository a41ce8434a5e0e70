/**
 * What keeps a control listener (server.ts) answering while clients misbehave. Each
 * connection has a budget, and the listener's slots go to clients that use them quickly:
 *
 * - Time: the request head must be in within `headersTimeoutMs` (2 s) of its first byte and the
 *   whole request within `requestTimeoutMs` (5 s), checked every `checkIntervalMs` (Node's
 *   default of 30 s would let a slow client sit for half a minute); a connection that sends and
 *   receives nothing for `idleTimeoutMs` (3 s) before its request is in is destroyed, and so is
 *   a keep-alive one idle for `keepAliveTimeoutMs`; while a handler runs (a handover waits for
 *   the new master, /status up to 1 s for the checker process) there is no idle timeout.
 *   A slow-loris client sending a header line a second therefore loses its slot after 2 s.
 * - Size: request heads up to `maxHeaderBytes`; bodies up to `maxBodyBytes` on every route,
 *   enforced while reading (server.ts): an unknown route or a GET with a body is answered and
 *   destroyed without reading the rest.
 * - Slots: `maxConnections` per listener and `perClient` per remote address (TCP), given out by
 *   ConnSlots (conn-slots.ts): a newcomer takes the slot of the oldest idle, slow or silent
 *   connection, and a sweep every `graceMs` while over the limit evicts what a burst added, so
 *   one client holding or opening many connections cannot starve `keepalived-ts status`.
 * - Errors: after an error answer (400, 404, 405, 408, 413, 431) the socket is destroyed, not
 *   half-closed: a client that never closes its side cannot keep the slot (FIN-WAIT-2).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ConnSlots } from './conn-slots.js';

export interface ListenerLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly checkIntervalMs: number;
  readonly maxHeaderBytes: number;
  readonly maxBodyBytes: number;
  readonly maxConnections: number;
  /** connections beyond which a newcomer that finds no victim is refused (file descriptors) */
  readonly hardMaxConnections: number;
  /** slots one remote address may hold (the Unix socket has one client: all of them) */
  readonly perClient: number;
  /** a connection that has sent nothing cannot be evicted this long after it was accepted */
  readonly graceMs: number;
  /** listen(2) backlog (the kernel caps it at net.core.somaxconn) */
  readonly backlog: number;
}

export const UNIX_LIMITS: ListenerLimits = {
  headersTimeoutMs: 2000,
  requestTimeoutMs: 5000,
  idleTimeoutMs: 3000,
  keepAliveTimeoutMs: 2000,
  checkIntervalMs: 250,
  maxHeaderBytes: 8 * 1024,
  maxBodyBytes: 64 * 1024,
  maxConnections: 128,
  hardMaxConnections: 2048,
  perClient: 128,
  graceMs: 100,
  // a burst must not fill the queue: a connect(2) to a Unix socket with a full backlog fails
  // at once (EAGAIN), and `status` with it
  backlog: 4096,
};

export const TCP_LIMITS: ListenerLimits = { ...UNIX_LIMITS, perClient: 16 };

/** Counter reasons (keepalived_ts_control_bad_requests_total{reason}) of the errors Node reports. */
const CLIENT_ERRORS: Readonly<Record<string, { reason: string; status?: string }>> = {
  ERR_HTTP_REQUEST_TIMEOUT: { reason: 'timeout', status: '408 Request Timeout' },
  HPE_HEADER_OVERFLOW: { reason: 'header-too-large', status: '431 Request Header Fields Too Large' },
  // the client went away (reset, or closed in the middle of its request): nobody to answer
  ECONNRESET: { reason: 'reset' },
  HPE_INVALID_EOF_STATE: { reason: 'reset' },
};

/** Destroy a socket once `data` is handed to the kernel (at the latest after 1 s). */
export function writeAndDestroy(sock: Socket, data?: string): void {
  if (sock.destroyed) return;
  if (data === undefined || !sock.writable) {
    sock.destroy();
    return;
  }
  const t = setTimeout(() => sock.destroy(), 1000);
  t.unref();
  sock.write(data, () => {
    clearTimeout(t);
    sock.destroy();
  });
}

/** End a response and destroy its connection once the answer is written. */
export function endAndDestroy(res: ServerResponse, body: string | Buffer): void {
  const sock = res.socket;
  res.end(body, () => sock?.destroy());
  // a client that does not read: the answer cannot be flushed, the slot is freed anyway
  if (sock) setTimeout(() => sock.destroy(), 1000).unref();
}

/** A request announces a body (a length above 0, or chunks). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * An HTTP server whose connections get slots from ConnSlots and the limits above. `count` is
 * told the reason of each refused request or dropped connection.
 */
export function guardedServer(
  limits: ListenerLimits,
  local: boolean,
  count: (reason: string) => void,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  now: () => number = () => performance.now(),
): Server {
  const slots = new ConnSlots<Socket>(limits, (sock) => sock.bytesRead);
  let sweeping: NodeJS.Timeout | undefined;
  const drop = (victims: readonly Socket[]): void => {
    for (const v of victims) {
      count('evicted');
      v.destroy();
    }
  };
  const sweepLater = (): void => {
    if (sweeping || !slots.overLimit) return;
    sweeping = setTimeout(() => {
      sweeping = undefined;
      drop(slots.sweep(now()));
      sweepLater();
    }, limits.graceMs);
    sweeping.unref();
  };
  const s = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
    maxHeaderSize: limits.maxHeaderBytes,
  }, (req, res) => {
    const sock = req.socket;
    slots.phase(sock, 'body', now());
    req.once('end', () => {
      slots.phase(sock, 'busy', now());
      // the handler may take its time (a handover waits for the new master): no idle timeout
      // while it runs; after the answer Node's keep-alive timeout applies
      sock.setTimeout(0);
    });
    res.once('finish', () => slots.phase(sock, 'idle', now()));
    handle(req, res);
  });
  // sockets with no traffic either way are destroyed (Node: no 'timeout' listener -> destroy)
  s.timeout = limits.idleTimeoutMs;
  s.on('connection', (sock: Socket) => {
    const a = slots.admit(sock, local ? 'local' : sock.remoteAddress ?? '?', now());
    drop(a.evict);
    if (!a.admitted) {
      count('refused');
      sock.destroy();
      return;
    }
    sock.once('close', () => slots.remove(sock));
    sweepLater();
  });
  s.on('clientError', (err: NodeJS.ErrnoException, sock: Socket) => {
    const known = CLIENT_ERRORS[err.code ?? ''];
    count(known?.reason ?? 'client-error');
    // no answer on a reset connection, nor inside an answer already under way
    const inFlight = (sock as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if ((known && !known.status) || inFlight?.headersSent) {
      sock.destroy();
      return;
    }
    const status = known?.status ?? '400 Bad Request';
    const body = `${JSON.stringify({ error: err.code ?? 'bad request', status: Number.parseInt(status, 10) })}\n`;
    writeAndDestroy(sock, `HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
  return s;
}
