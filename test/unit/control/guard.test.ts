// The control listeners under abuse (src/control/guard.ts with ControlServer's handler),
// on Unix sockets in a temp directory and on 127.0.0.x: error answers destroy the connection,
// bodies are refused unread, slow and silent clients lose their slot, a full listener evicts
// them for a real request, one address cannot take another's slots. Small limits keep it fast.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlServer } from '../../../src/control/server.js';
import { guardedServer, UNIX_LIMITS, type ListenerLimits } from '../../../src/control/guard.js';
import type { VrrpView } from '../../../src/daemon/view.js';

const log = pino({ level: 'silent' });
const fakeVrrp = (): VrrpView => ({ pid: process.pid, configFile: '/tmp/k.conf', startedAt: Date.now(), reloads: 0, instances: [], groups: [], unknownVrid: 0 }) as unknown as VrrpView;

/** A raw client: what it received, whether the server closed it, how much it could write. */
interface Raw {
  readonly sock: Socket;
  data: string;
  written: number;
  closed: Promise<void>;
}

function rawClient(target: string | { port: number; host: string; localAddress?: string }): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const sock = typeof target === 'string' ? connect(target) : connect({ port: target.port, host: target.host, ...(target.localAddress ? { localAddress: target.localAddress } : {}) });
    const r: Raw = { sock, data: '', written: 0, closed: new Promise((res) => sock.once('close', () => res())) };
    sock.on('data', (d) => { r.data += d.toString(); });
    sock.on('error', () => undefined);
    sock.once('connect', () => resolve(r));
    sock.once('error', reject);
  });
}

/** Write `total` bytes in 64 KiB pieces as fast as the socket takes them, until it breaks. */
function stream(r: Raw, total: number): Promise<void> {
  const piece = Buffer.alloc(64 * 1024, 0x61);
  return new Promise((resolve) => {
    const pump = (): void => {
      while (r.written < total && !r.sock.destroyed) {
        r.written += piece.length;
        if (!r.sock.write(piece)) {
          r.sock.once('drain', pump);
          return;
        }
      }
      resolve();
    };
    r.sock.once('close', () => resolve());
    pump();
  });
}

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))]);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('control listeners under abuse', () => {
  let dir: string;
  const servers: Server[] = [];
  let n = 0;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kts-guard-'));
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((res) => {
      s.close(() => res());
      s.closeAllConnections();
    })));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A ControlServer's handler behind a guarded server with these limits, on a fresh Unix socket. */
  async function start(over: Partial<ListenerLimits> = {}, tcp?: string) {
    const control = new ControlServer({
      log, config: () => ({}) as never, vrrp: fakeVrrp, checker: () => undefined,
      routes: [
        { method: 'POST', path: '/echo', localOnly: false, handle: ({ body }) => ({ status: 200, body: { length: body.length } }) },
        // a handler that takes its time (a handover waits for the new master)
        { method: 'POST', path: '/slow', localOnly: false, handle: async () => { await sleep(600); return { status: 200, body: { done: true } }; } },
      ],
    });
    const counts: Record<string, number> = {};
    const conns: Socket[] = [];
    const s = guardedServer({ ...UNIX_LIMITS, ...over }, tcp === undefined, (reason) => {
      counts[reason] = (counts[reason] ?? 0) + 1;
    }, (req, res) => control.handle(req, res, tcp === undefined));
    s.on('connection', (c: Socket) => conns.push(c));
    servers.push(s);
    const path = join(dir, `g${n++}.sock`);
    await new Promise<void>((res) => (tcp === undefined ? s.listen(path, res) : s.listen(0, tcp, res)));
    const port = (s.address() as { port?: number } | null)?.port ?? 0;
    const connections = (): Promise<number> => new Promise((res) => s.getConnections((_e, c) => res(c)));
    return { s, path, port, counts, conns, control, connections };
  }

  // timeouts far away: only the error answer may end these connections
  const patient = { idleTimeoutMs: 60_000, keepAliveTimeoutMs: 60_000 };

  it('an error answer destroys the connection: the client keeps its side open, the server holds nothing', async () => {
    const g = await start(patient);
    const c = await rawClient(g.path);
    c.sock.write('GET /nope HTTP/1.1\r\nhost: x\r\n\r\n');
    await within(c.closed, 2000, 'server close');
    expect(c.data).toMatch(/^HTTP\/1\.1 404 /);
    expect(c.data).toContain('"error": "no route /nope"');
    expect(await g.connections()).toBe(0);
    expect(g.control.badRequests['not-found']).toBe(1);
  });

  /** Send a request head, then stream `total` bytes of body: the answer comes, the socket goes, the body is not read. */
  async function refusedUnread(g: Awaited<ReturnType<typeof start>>, head: string, total: number): Promise<Raw> {
    const c = await rawClient(g.path);
    c.sock.write(head);
    await within(stream(c, total), 10_000, 'client stream');
    await within(c.closed, 5000, 'server close');
    // a socket buffer or two, not the whole body
    expect(g.conns.at(-1)!.bytesRead).toBeLessThan(8 * 1024 * 1024);
    return c;
  }

  it('a body sent to an unknown route is not read: the connection goes after the answer', async () => {
    const g = await start(patient);
    const c = await refusedUnread(g, 'POST /nope HTTP/1.1\r\nhost: x\r\ncontent-length: 104857600\r\n\r\n', 100 * 1024 * 1024);
    expect(c.data).toMatch(/^HTTP\/1\.1 404 /);
  });

  it('a GET with a body is refused unread', async () => {
    const g = await start(patient);
    const c = await refusedUnread(g, 'GET /healthz HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n', 50 * 1024 * 1024);
    expect(c.data).toMatch(/^HTTP\/1\.1 400 /);
    expect(g.control.badRequests['body-not-allowed']).toBe(1);
  });

  it('a body over the limit on a known route: 413 while it is read, then the connection goes', async () => {
    const g = await start(patient);
    const announced = await rawClient(g.path);
    announced.sock.write('POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 10000000\r\n\r\n');
    await within(announced.closed, 5000, 'server close (announced length)');
    expect(announced.data).toMatch(/^HTTP\/1\.1 413 /);
    const chunked = await rawClient(g.path);
    chunked.sock.write('POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n');
    const chunk = `10000\r\n${'b'.repeat(0x10000)}\r\n`;
    for (let i = 0; i < 4 && !chunked.sock.destroyed; i++) chunked.sock.write(chunk);
    await within(chunked.closed, 5000, 'server close (chunked)');
    expect(chunked.data).toMatch(/^HTTP\/1\.1 413 /);
    expect(g.control.badRequests['too-large']).toBe(2);
    // a body within the limit is served
    const ok = await rawClient(g.path);
    ok.sock.write('POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello');
    await within(new Promise<void>((res) => { const t = setInterval(() => { if (ok.data.includes('}')) { clearInterval(t); res(); } }, 10); }), 5000, 'echo');
    expect(ok.data).toMatch(/^HTTP\/1\.1 200 /);
    expect(ok.data).toContain('"length": 5');
    ok.sock.destroy();
  });

  it('slow-loris: a client sending a header line now and then gets 408 at the headers timeout and loses its slot', async () => {
    const g = await start({ headersTimeoutMs: 300, requestTimeoutMs: 1000, checkIntervalMs: 50, idleTimeoutMs: 10_000 });
    const c = await rawClient(g.path);
    c.sock.write('GET /healthz HTTP/1.1\r\n');
    // two more lines, then quiet before the timeout: a line in flight when the server destroys
    // the socket would reset it and could take the 408 with it
    let lines = 0;
    const t = setInterval(() => lines++ < 2 && c.sock.writable && c.sock.write(`x-slow-${lines}: 1\r\n`), 100);
    try {
      await within(c.closed, 10_000, 'server close');
    } finally {
      clearInterval(t);
    }
    expect(c.data).toMatch(/^HTTP\/1\.1 408 /);
    expect(g.counts.timeout).toBe(1);
    expect(await g.connections()).toBe(0);
  });

  it('a request whose handler takes longer than the idle timeout is answered', async () => {
    const g = await start({ idleTimeoutMs: 200, requestTimeoutMs: 300, headersTimeoutMs: 250, checkIntervalMs: 50 });
    const c = await rawClient(g.path);
    c.sock.write('POST /slow HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    await within(c.closed, 5000, 'answer');
    expect(c.data).toMatch(/^HTTP\/1\.1 200 /);
    expect(c.data).toContain('"done": true');
  });

  it('a silent connection is closed at the idle timeout', async () => {
    const g = await start({ idleTimeoutMs: 200 });
    const c = await rawClient(g.path);
    await within(c.closed, 10_000, 'server close');
    expect(c.data).toBe('');
  });

  it('a listener over its slots: the oldest silent connections are swept, a real request is answered', async () => {
    const g = await start({ maxConnections: 4, graceMs: 10, ...patient });
    const held = await Promise.all([0, 1, 2, 3, 4, 5].map(() => rawClient(g.path)));
    held[5]!.sock.write('GET /healthz HTTP/1.1\r\n'); // slow, but the newest
    await within(Promise.all([held[0]!.closed, held[1]!.closed]), 5000, 'the two oldest swept');
    expect(g.counts.evicted).toBe(2);
    const c = await rawClient(g.path);
    c.sock.write('GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    await within(c.closed, 5000, 'healthz answered');
    expect(c.data).toMatch(/^HTTP\/1\.1 200 /);
    await sleep(50);
    expect(await g.connections()).toBeLessThanOrEqual(4);
    for (const h of held) h.sock.destroy();
  });

  it('TCP: one address over its share evicts its own connections, not another address\'s', async () => {
    const g = await start({ perClient: 2, graceMs: 0 }, '127.0.0.1');
    const other = await rawClient({ host: '127.0.0.1', port: g.port, localAddress: '127.0.0.3' });
    const greedy: Raw[] = [];
    for (let i = 0; i < 6; i++) greedy.push(await rawClient({ host: '127.0.0.1', port: g.port, localAddress: '127.0.0.2' }));
    await within(Promise.all(greedy.slice(0, 4).map((r) => r.closed)), 5000, 'own connections evicted');
    await sleep(50);
    expect(other.sock.destroyed).toBe(false);
    expect(greedy[5]!.sock.destroyed).toBe(false);
    expect(g.counts.evicted).toBe(4);
    for (const r of [other, ...greedy]) r.sock.destroy();
  });
});
