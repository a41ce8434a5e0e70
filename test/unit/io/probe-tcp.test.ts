// TCP_CHECK's connect on the loopback: success, refusal, and the case a held-up process gets
// wrong if a timeout decides before the I/O already waiting is read (a reload of a large
// configuration blocks the checker for seconds; its connects completed meanwhile).
import { once } from 'node:events';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTcp, tcpProbe } from '../../../src/io/probe-tcp.js';
import type { ConnPlan } from '../../../src/check/types.js';

let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((s) => s.destroy()).listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const plan = (p: number, timeoutMs = 2000): ConnPlan => ({ family: 'inet', host: '127.0.0.1', port: p, timeoutMs });

/** Holds the event loop for `ms` (the process busy reading a configuration). */
const holdUp = (ms: number): void => {
  const until = Date.now() + ms;
  while (Date.now() < until) { /* busy */ }
};

describe('TCP_CHECK connect', () => {
  it('succeeds on a listening port and fails on a closed one', async () => {
    expect(await tcpProbe(plan(port))).toEqual({ ok: true });
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const p = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await tcpProbe(plan(p))).toMatchObject({ ok: false, detail: 'ECONNREFUSED' });
  });

  it('a connect that completed while the process was held up past its timeout is a success', async () => {
    const probe = tcpProbe(plan(port, 20));
    holdUp(150);
    expect(await probe).toEqual({ ok: true });
  });

  it('the same on the net.Socket path (HTTP_GET, SMTP_CHECK)', async () => {
    const result = new Promise<boolean>((resolve) => {
      connectTcp(plan(port, 20), (sock: Socket | undefined) => {
        sock?.destroy();
        resolve(sock !== undefined);
      });
    });
    // net.Socket connects on the next tick: held up once the connect is under way
    process.nextTick(() => holdUp(150));
    expect(await result).toBe(true);
  });
});
