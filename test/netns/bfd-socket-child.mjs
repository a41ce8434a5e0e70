// Child process of test/netns/bfd-socket.test.ts, run inside a namespace with
// `ip netns exec NS node test/netns/bfd-socket-child.mjs MODE JSON`. It loads
// src/io/bfd-socket.ts through vite's module loader, so the sockets under test are the ones
// the daemon uses, opened in that namespace. Reports as JSON lines on stdout; log lines of
// BfdSockets come out as {"log": level, ...}.
//
//   listen {closeOn, throwOn}   BfdSockets listening on 3784 (IPv4 and IPv6), one line per
//                               packet; a packet whose bytes are `throwOn` makes the handler
//                               throw, one that is `closeOn` closes everything from inside
//                               onPacket. The process must then exit on its own.
//   send [{key, family, ttl, source, peer, hex}]
//                               one session per entry (source port from the BFD range), one
//                               packet each; waits for every send to complete, then closes
//   busy {}                     EADDRINUSE on 3784, source port walking, errors as values
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'vite';

const root = new URL('../../', import.meta.url).pathname;
const cacheDir = mkdtempSync(join(tmpdir(), 'ktsbfd-vite-'));
const vite = await createServer({
  root, configFile: false, cacheDir, logLevel: 'silent', appType: 'custom',
  server: { middlewareMode: true, hmr: false, watch: null }, optimizeDeps: { noDiscovery: true, include: [] },
});
const { BfdSockets } = await vite.ssrLoadModule('/src/io/bfd-socket.ts');
await vite.close();
rmSync(cacheDir, { recursive: true, force: true });

const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const log = {
  warn: (obj, msg) => say({ log: 'warn', msg, code: obj?.code }),
  error: (obj, msg) => say({ log: 'error', msg, code: obj?.code }),
};
const [mode, json] = process.argv.slice(2);
const arg = JSON.parse(json ?? '{}');
const waitUntil = async (pred, ms = 5000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
};

if (mode === 'listen') {
  let socks;
  socks = new BfdSockets({
    log,
    onPacket: (data, info) => {
      const hex = data.toString('hex');
      say({ data: hex, ...info });
      if (hex === arg.throwOn) throw new Error('handler failure on purpose');
      if (hex === arg.closeOn) {
        socks.close();
        socks.close(); // twice is harmless
        say({ closedInside: true, listening: socks.listening, counters: socks.counters });
        // No timers, no process.exit: the process ends only if close() released every handle.
      }
    },
  });
  say({ ready: true, v4: socks.listen(4), v6: socks.listen(6), again: socks.listen(4), listening: socks.listening });
} else if (mode === 'send') {
  const errors = [];
  const socks = new BfdSockets({ log, onPacket: () => {}, onSendError: (e) => errors.push(e) });
  let expected = 0;
  for (const s of arg) {
    const opened = await socks.openSession(s.key, { family: s.family, ttl: s.ttl, source: s.source });
    const sent = opened.ok ? socks.send(s.key, Buffer.from(s.hex, 'hex'), s.peer) : undefined;
    if (sent?.ok) expected++;
    say({ key: s.key, opened, sent });
  }
  const done = await waitUntil(() => socks.counters.txPackets + socks.counters.txErrors >= expected);
  say({ done, counters: socks.counters, errors, listening: socks.listening });
  socks.close();
} else if (mode === 'busy') {
  const a = new BfdSockets({ log, onPacket: () => {} });
  const b = new BfdSockets({ log, onPacket: () => {} });
  say({ step: 'first', v4: a.listen(4), v6: a.listen(6) });
  say({ step: 'second', v4: b.listen(4), v6: b.listen(6), session: await b.openSession('s1', { family: 4 }), counters: b.counters });
  a.close();
  b.close();

  // source ports: the lower of two is taken, so the other is chosen; with both taken, EADDRINUSE
  const blocker = (port) => new Promise((res) => { const s = createSocket('udp4'); s.bind({ port, exclusive: true }, () => res(s)); });
  const c = new BfdSockets({ log, onPacket: () => {}, port: 3785, sourcePorts: [50000, 50001] });
  const b1 = await blocker(50000);
  say({ step: 'walk', session: await c.openSession('w1', { family: 4 }) });
  say({ step: 'full', session: await c.openSession('w2', { family: 4 }), counters: c.counters });
  say({ step: 'dup', session: await c.openSession('w1', { family: 4 }) });
  say({ step: 'misuse',
    unknown: c.send('nope', Buffer.alloc(24), '10.0.0.1'),
    wrongFamily: c.send('w1', Buffer.alloc(24), 'fd00::1'),
    notAnAddress: c.send('w1', Buffer.alloc(24), 'localhost'),
    badTtl: await c.openSession('t0', { family: 4, ttl: 0 }),
    badSource: await c.openSession('t1', { family: 6, source: '10.0.0.1' }),
  });
  // closing while a session is opening
  const pending = c.openSession('late', { family: 4 });
  c.closeSession('late');
  say({ step: 'closedWhileOpening', session: await pending });
  // an asynchronous send failure (no route in this namespace): a value, counted, logged once
  const errors = [];
  const d = new BfdSockets({ log, onPacket: () => {}, port: 3786, onSendError: (e) => errors.push(e) });
  await d.openSession('u', { family: 4 });
  const sends = [d.send('u', Buffer.alloc(24), '192.0.2.1'), d.send('u', Buffer.alloc(24), '192.0.2.1')];
  await waitUntil(() => d.counters.txErrors >= 2);
  say({ step: 'unroutable', sends, errors, counters: d.counters });
  c.close();
  d.close();
  b1.close();
  const closed = new BfdSockets({ log, onPacket: () => {} });
  closed.close();
  say({ step: 'afterClose', listen: closed.listen(4), session: await closed.openSession('x', { family: 4 }) });
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exitCode = 2;
}
