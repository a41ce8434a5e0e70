/**
 * The control and status API (issue 6): one HTTP request handler, served on
 * - a Unix stream socket, always (global_defs `control_socket`, default
 *   /run/keepalived-ts/control.sock, mode 0600): `keepalived-ts status`, `handover`, `drill`;
 * - TCP when global_defs `metrics_listen [ADDRESS] [PORT]` is configured: Prometheus.
 *
 * Routes live in one table; a route marked `localOnly` (anything that changes state) exists on
 * the Unix socket only. Unknown paths get 404, known paths with another method 405 (with
 * `Allow`), all with a JSON error body, counted per reason; a failing handler gets 500. After
 * an error answer the connection is destroyed. A listener that cannot be opened is logged and
 * skipped: the VRRP side runs on without it.
 *
 * Slow, silent, greedy and oversized clients are held off by guard.ts (timeouts, body
 * and header limits, connection slots per client with eviction of idle and slow connections);
 * the status document itself is status-doc.ts.
 *
 * The checker side is asked over its IPC channel for each request that needs it; when it does
 * not answer within `checkerTimeoutMs`, it shows as unknown. It answers with its part already
 * rendered (metrics text, status JSON), as bytes this process sends on without parsing them:
 * at 50,000 real servers that parse took seconds of the VRRP thread (bulk-frames.ts).
 */
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { KeepalivedConfig } from '../config/model.js';
import { smtpCounters } from '../io/smtp-alert.js';
import { droppedLogLines } from '../io/logger.js';
import { formatIp } from '../util/ip.js';
import { endAndDestroy, guardedServer, hasBody, TCP_LIMITS, UNIX_LIMITS } from './guard.js';
import { collectMetrics, CONTENT_TYPE } from './metrics.js';
import { statusDoc, statusDocBytes } from './status-doc.js';
import type { VrrpView } from '../daemon/view.js';
import { DEFAULT_CONTROL_SOCKET } from '../daemon/run-identity.js';

export type { CheckerAnswer, InstanceStatus, StatusDoc } from './status-doc.js';

export { DEFAULT_CONTROL_SOCKET };
const DEFAULT_CHECKER_TIMEOUT_MS = 1000;
const MAX_BODY_BYTES = UNIX_LIMITS.maxBodyBytes;

/** What the server needs of the checker process (CheckerChild). */
export interface CheckerPort {
  /** times it died and was started again */
  readonly restarts: number;
  requestBytes(method: string, timeoutMs: number, arg?: unknown): Promise<readonly Buffer[]>;
}

/** The checker process's part of an answer, why there is none, or undefined: no checker side. */
type CheckerBytes = { readonly bytes: readonly Buffer[] } | { readonly error: string } | undefined;

export interface ControlOptions {
  readonly log: Logger;
  readonly config: () => KeepalivedConfig;
  readonly vrrp: () => VrrpView;
  readonly checker: () => CheckerPort | undefined;
  /** more routes (e.g. `POST /handover/:instance`), after the built-in ones */
  readonly routes?: readonly Route[];
  /** how long a request waits for the checker process (default 1000 ms) */
  readonly checkerTimeoutMs?: number;
  /** the socket when the configuration names none (default DEFAULT_CONTROL_SOCKET) */
  readonly defaultSocket?: string;
}

export interface RouteContext {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** arrived on the Unix socket */
  readonly local: boolean;
  readonly body: string;
}

export type Reply = {
  readonly status: number;
  /** an object is sent as JSON */
  readonly body: string | object;
  readonly contentType?: string;
} | {
  readonly status: number;
  /** sent as they are */
  readonly bytes: readonly Buffer[];
  readonly contentType: string;
};

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `/status`, `/handover/:instance` (a `:name` segment matches one path segment) */
  readonly path: string;
  /** served on the Unix socket only (anything that changes state) */
  readonly localOnly?: boolean;
  handle(ctx: RouteContext): Reply | Promise<Reply>;
}

/** Match `path` against a route pattern; the decoded `:params`, or undefined. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const ps = pattern.split('/');
  const xs = path.split('/');
  if (ps.length !== xs.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    if (p.startsWith(':')) {
      if (xs[i] === '') return undefined;
      try {
        params[p.slice(1)] = decodeURIComponent(xs[i]!);
      } catch {
        return undefined;
      }
    } else if (p !== xs[i]) return undefined;
  }
  return params;
}

// --- the server ----------------------------------------------------------------------------

const json = (status: number, body: object): Reply => ({ status, body });

export class ControlServer {
  readonly requests: Record<string, number> = {};
  readonly badRequests: Record<string, number> = {};
  private readonly routes: readonly Route[];
  private readonly servers: Server[] = [];
  private socketPath: string | undefined;
  private socketIno: number | undefined;

  constructor(private readonly o: ControlOptions) {
    this.routes = [
      { method: 'GET', path: '/metrics', handle: () => this.metrics() },
      { method: 'GET', path: '/status', handle: () => this.status() },
      { method: 'GET', path: '/healthz', handle: () => json(200, { status: 'ok', pid: process.pid }) },
      ...(o.routes ?? []),
    ];
  }

  /**
   * The checker process's rendered part of `method`'s answer, or why there is none. The request
   * carries its `deadline` (Date.now() when this stops waiting): the checker gives up its work
   * for an answer no one waits for.
   */
  async checkerBytes(method: 'metrics' | 'status', arg: Readonly<Record<string, unknown>> = {}): Promise<CheckerBytes> {
    const c = this.o.checker();
    if (!c) return undefined;
    const ms = this.o.checkerTimeoutMs ?? DEFAULT_CHECKER_TIMEOUT_MS;
    const asked = { ...arg, deadline: Date.now() + ms };
    let timer: NodeJS.Timeout | undefined;
    try {
      // requestBytes() times out on its own; this bound holds whatever the checker object does
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the checker process did not answer '${method}' within ${ms} ms`)), ms + 50);
      });
      return { bytes: await Promise.race([c.requestBytes(method, ms, asked), late]) };
    } catch (e) {
      return { error: (e as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  async status(): Promise<Reply> {
    const restarts = this.o.checker()?.restarts ?? 0;
    const a = await this.checkerBytes('status', { restarts });
    if (a && 'bytes' in a) return { status: 200, bytes: statusDocBytes(this.o.vrrp(), a.bytes, restarts), contentType: 'application/json' };
    return json(200, statusDoc(this.o.vrrp(), a, restarts));
  }

  async metrics(): Promise<Reply> {
    const a = await this.checkerBytes('metrics');
    const text = collectMetrics({
      vrrp: this.o.vrrp(), check: a === undefined ? undefined : 'bytes' in a ? 'rendered' : null,
      checkerRestarts: this.o.checker()?.restarts ?? 0, requests: this.requests, badRequests: this.badRequests,
      smtpAlerts: { ...smtpCounters }, logLinesDropped: droppedLogLines(),
    });
    return { status: 200, bytes: [Buffer.from(text), ...(a && 'bytes' in a ? a.bytes : [])], contentType: CONTENT_TYPE };
  }

  private count(reason: string): void {
    this.badRequests[reason] = (this.badRequests[reason] ?? 0) + 1;
  }

  /** An error answer, counted; the connection is destroyed once it is written. */
  private refuse(res: ServerResponse, status: number, reason: string, error: string, headers: Record<string, string> = {}): void {
    this.count(reason);
    this.send(res, { status, body: { error, status } }, { ...headers, connection: 'close' }, true);
  }

  private send(res: ServerResponse, r: Reply, headers: Record<string, string> = {}, close = false): void {
    if ('bytes' in r) {
      const length = r.bytes.reduce((n, c) => n + c.length, 0);
      res.writeHead(r.status, { 'content-type': r.contentType, 'content-length': length, ...headers });
      if (close) return endAndDestroy(res, Buffer.concat(r.bytes));
      for (const c of r.bytes) res.write(c);
      res.end();
      return;
    }
    const body = typeof r.body === 'string' ? r.body : `${JSON.stringify(r.body, null, 2)}\n`;
    const type = r.contentType ?? (typeof r.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json');
    res.writeHead(r.status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
    if (close) endAndDestroy(res, body);
    else res.end(body);
  }

  /** The route for a request, or the error answer sent instead. */
  private route(req: IncomingMessage, res: ServerResponse, local: boolean): { route: Route; params: Record<string, string>; url: URL } | undefined {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      this.refuse(res, 400, 'bad-url', 'malformed request target');
      return undefined;
    }
    const allowed: string[] = [];
    for (const r of this.routes) {
      if (r.localOnly && !local) continue;
      const params = matchPath(r.path, url.pathname);
      if (!params) continue;
      allowed.push(r.method);
      if (r.method === req.method || (req.method === 'HEAD' && r.method === 'GET')) return { route: r, params, url };
    }
    if (allowed.length > 0) this.refuse(res, 405, 'method', `method ${req.method} not allowed on ${url.pathname}`, { allow: allowed.join(', ') });
    else this.refuse(res, 404, 'not-found', `no route ${url.pathname}`);
    return undefined;
  }

  /**
   * The one request handler of both listeners. Bodies are read only for a known route that
   * takes one, up to MAX_BODY_BYTES; any other body is refused unread with its connection.
   */
  handle = (req: IncomingMessage, res: ServerResponse, local: boolean): void => {
    const found = this.route(req, res, local);
    if (!found) return;
    const { route: r, params, url } = found;
    if (r.method === 'GET' && hasBody(req)) {
      this.refuse(res, 400, 'body-not-allowed', `a ${req.method} request takes no body`);
      return;
    }
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      this.refuse(res, 413, 'too-large', `request body over ${MAX_BODY_BYTES} bytes`);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
      else if (!res.headersSent) {
        req.pause();
        this.refuse(res, 413, 'too-large', `request body over ${MAX_BODY_BYTES} bytes`);
      }
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return;
      const key = `${r.method} ${r.path}`;
      this.requests[key] = (this.requests[key] ?? 0) + 1;
      const ctx: RouteContext = { params, query: url.searchParams, local, body: Buffer.concat(chunks).toString('utf8') };
      Promise.resolve().then(() => r.handle(ctx)).then(
        (reply) => {
          if (!res.headersSent && !res.destroyed) this.send(res, reply);
        },
        (e: unknown) => {
          this.o.log.error({ route: key, err: (e as Error)?.message }, 'control request failed');
          if (!res.headersSent && !res.destroyed) this.refuse(res, 500, 'handler', (e as Error)?.message ?? 'internal error');
        },
      );
    });
  };

  private server(local: boolean): Server {
    const s = guardedServer(local ? UNIX_LIMITS : TCP_LIMITS, local, (reason) => this.count(reason), (req, res) => this.handle(req, res, local));
    this.servers.push(s);
    return s;
  }

  /** Open the Unix socket; false (logged) when it cannot be. */
  async listenUnix(path: string): Promise<boolean> {
    const log = this.o.log;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
      let st;
      try {
        st = lstatSync(path);
      } catch {
        st = undefined;
      }
      if (st && !st.isSocket()) throw new Error(`${path} exists and is not a socket`);
      if (st) {
        if (await answers(path)) throw new Error(`${path} is in use by another running daemon`);
        unlinkSync(path); // stale, from a daemon that did not stop cleanly
      }
      const s = this.server(true);
      const old = process.umask(0o177);
      try {
        await listen(s, () => s.listen({ path, backlog: UNIX_LIMITS.backlog }));
      } finally {
        process.umask(old);
      }
      chmodSync(path, 0o600);
      this.socketPath = path;
      this.socketIno = lstatSync(path).ino;
      log.info({ path }, 'control socket listening');
      return true;
    } catch (e) {
      log.error({ path, err: (e as Error).message }, 'cannot open the control socket; status and handover commands are unavailable');
      return false;
    }
  }

  /** Open the TCP listener for /metrics, /status, /healthz; false (logged) when it cannot be. */
  async listenTcp(address: string, port: number): Promise<boolean> {
    const s = this.server(false);
    try {
      await listen(s, () => s.listen({ port, host: address, backlog: TCP_LIMITS.backlog }));
      this.o.log.info({ address, port }, 'metrics listening');
      return true;
    } catch (e) {
      this.o.log.error({ address, port, err: (e as Error).message }, 'cannot open the metrics listener');
      return false;
    }
  }

  /** The TCP port actually bound (metrics_listen port 0 in tests). */
  tcpPort(): number | undefined {
    for (const s of this.servers) {
      const a = s.address();
      if (a && typeof a === 'object') return a.port;
    }
    return undefined;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((res) => {
      s.close(() => res());
      s.closeAllConnections();
    })));
    this.servers.length = 0;
    if (this.socketPath) {
      try {
        // only the socket this process made: a newer daemon may have replaced it
        if (lstatSync(this.socketPath).ino === this.socketIno) unlinkSync(this.socketPath);
      } catch {
        // already gone
      }
      this.socketPath = undefined;
    }
  }
}

function listen(s: Server, start: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    s.once('error', onError);
    s.once('listening', () => {
      s.off('error', onError);
      resolve();
    });
    start();
  });
}

/** Something accepts connections on this Unix socket. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(path);
    const done = (v: boolean): void => {
      c.destroy();
      resolve(v);
    };
    c.once('connect', () => done(true));
    c.once('error', () => done(false));
    c.setTimeout(500, () => done(false));
  });
}

/** Start the control socket and, when configured, the metrics listener. Never throws. */
export async function startControl(o: ControlOptions): Promise<{ close(): Promise<void>; readonly server: ControlServer }> {
  const g = o.config().globalDefs;
  const server = new ControlServer({ ...o, log: o.log.child({ mod: 'control' }) });
  await server.listenUnix(g.controlSocket ?? o.defaultSocket ?? DEFAULT_CONTROL_SOCKET);
  if (g.metricsListen) await server.listenTcp(formatIp(g.metricsListen.address.bytes), g.metricsListen.port);
  return { close: () => server.close(), server };
}
