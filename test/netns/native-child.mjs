// Child process of test/netns/native.test.ts, run inside a namespace with
// `ip netns exec NS node test/netns/native-child.mjs MODE ...`. It loads the TypeScript
// sources (src/io/native.ts, src/l2/) through vite's module loader, so the sockets under test
// are the ones the daemon uses, opened in that namespace. Reports as JSON lines on stdout.
//
//   send-frames IFINDEX MAC IPV4 IPV6          one GARP and one unsolicited NA (PacketSocket)
//   raw6-listen PROTO IFINDEX GROUP            Raw6Socket + a bare addon socket, both joined to
//                                              GROUP; 'quit' on stdin closes them and the
//                                              process must then exit on its own
//   raw6-send PROTO IFINDEX SRC DST=HEX...     one Raw6Socket.send per DST=HEX, in order
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createServer } from 'vite';

const root = new URL('../../', import.meta.url).pathname;
const cacheDir = mkdtempSync(join(tmpdir(), 'ktsnat-vite-'));
const vite = await createServer({
  root, configFile: false, cacheDir, logLevel: 'silent', appType: 'custom',
  server: { middlewareMode: true, hmr: false, watch: null }, optimizeDeps: { noDiscovery: true, include: [] },
});
const native = await vite.ssrLoadModule('/src/io/native.ts');
const { parseIp, parseMac } = await vite.ssrLoadModule('/src/util/ip.ts');
const l2 = await vite.ssrLoadModule('/src/l2/index.ts');
await vite.close();
rmSync(cacheDir, { recursive: true, force: true });

const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const hex = (b) => Buffer.from(b).toString('hex');
const [mode, ...args] = process.argv.slice(2);

if (mode === 'send-frames') {
  const [ifindex, mac, ip4, ip6] = args;
  const sock = new native.PacketSocket();
  const garp = l2.buildGarp(parseMac(mac), parseIp(ip4).bytes);
  const na = l2.buildUnsolicitedNa(parseMac(mac), parseIp(ip6).bytes, false);
  say({ garp: { sent: sock.send(Number(ifindex), garp), hex: hex(garp) }, na: { sent: sock.send(Number(ifindex), na), hex: hex(na) } });
  sock.close();
  sock.close(); // twice is harmless
} else if (mode === 'raw6-listen') {
  const [proto, ifindex, group] = args;
  const g = parseIp(group).bytes;
  const report = (sock) => (data, src, dst, hopLimit, ifi) =>
    say({ sock, data: hex(data), src: hex(src), dst: hex(dst), hopLimit, ifindex: ifi });
  // The wrapper: its handler throws on every first byte 0xee; the error must reach onError.
  let wrapped;
  wrapped = new native.Raw6Socket(Number(proto), (data, ...rest) => {
    report('wrapped')(data, ...rest);
    if (data[0] === 0xee) throw new Error('handler failure on purpose');
  }, (err) => say({ sock: 'wrapped', onError: String(err?.message ?? err) }));
  wrapped.join(Number(ifindex), g);
  // The bare addon: its callback throws too, with nobody to catch it but the addon; and it
  // closes its own socket from inside the callback on a packet starting with 0xcc.
  const addon = native.loadNative();
  const fd = addon.raw6Open(Number(proto), (data, ...rest) => {
    report('bare')(data, ...rest);
    if (data[0] === 0xcc) {
      addon.close(fd);
      say({ sock: 'bare', closedInside: true });
    }
    if (data[0] === 0xee) throw new Error('uncaught on purpose');
  });
  addon.raw6Join(fd, Number(ifindex), g);
  say({ ready: true, fd, wrappedClosed: wrapped.closed });
  createInterface({ input: process.stdin }).on('line', (l) => {
    if (l.trim() !== 'quit') return;
    wrapped.close();
    wrapped.close();
    say({ quitting: true, wrappedClosed: wrapped.closed });
    process.stdin.destroy();
    // No timers, no process.exit: the process ends only if close() released every handle.
  });
} else if (mode === 'raw6-send') {
  const [proto, ifindex, src, ...datagrams] = args;
  const sock = new native.Raw6Socket(Number(proto), () => {});
  for (const d of datagrams) {
    const [dst, data] = d.split('=');
    say({ sent: sock.send(Number(ifindex), parseIp(src).bytes, parseIp(dst).bytes, Buffer.from(data, 'hex')) });
  }
  sock.close();
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exitCode = 2;
}
