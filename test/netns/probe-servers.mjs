// Small real servers for test/netns/probes.test.ts, run inside the "server" namespace:
//   TCP/HTTP on :80 (/ok -> 200 "hello", /404, /whoami -> the client's address, /hang never
//   answers), HTTPS on :443 with the certificate given in argv (and on :8443 asking for a client
//   certificate signed by the CA file given third), SMTP on :25 (good) and :2525
//   (bad banner), DNS on udp :53 (answers SOA queries with RCODE 0, others with NXDOMAIN),
//   UDP on :9000 echoing "PONG"+payload. Prints "ready" when all listen.
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { createServer as createTcp } from 'node:net';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

const [certFile, keyFile, clientCa] = process.argv.slice(2);
const handler = (req, res) => {
  if (req.url === '/hang') return;
  if (req.url === '/whoami') return res.end(`you are ${req.socket.remoteAddress}`);
  if (req.url === '/ok') return res.end('hello');
  res.statusCode = 404;
  res.end('no');
};
const listens = [];
const listen = (srv, port) => listens.push(new Promise((r) => srv.listen(port, '0.0.0.0', r)));
listen(createHttp(handler), 80);
if (certFile) listen(createHttps({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, handler), 443);
if (clientCa) {
  const tls = { cert: readFileSync(certFile), key: readFileSync(keyFile), ca: readFileSync(clientCa), requestCert: true, rejectUnauthorized: true };
  listen(createHttps(tls, handler), 8443);
}
const smtp = (banner) => createTcp((s) => {
  s.write(`${banner}\r\n`);
  let buf = '';
  s.on('data', (d) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line.startsWith('HELO ')) s.write('250 pleased to meet you\r\n');
      else if (line === 'QUIT') s.end('221 bye\r\n');
      else s.write('500 what\r\n');
    }
  });
  s.on('error', () => {});
});
listen(smtp('220 mx.test ESMTP'), 25);
listen(smtp('554 go away'), 2525);
const dns = createSocket('udp4');
dns.on('message', (m, r) => {
  const out = Buffer.from(m);
  out[2] |= 0x80; // QR
  const qtype = m.readUInt16BE(m.length - 4);
  out[3] = (out[3] & 0xf0) | (qtype === 6 ? 0 : 3);
  dns.send(out, r.port, r.address);
});
listens.push(new Promise((r) => dns.bind(53, '0.0.0.0', r)));
const udp = createSocket('udp4');
udp.on('message', (m, r) => udp.send(Buffer.concat([Buffer.from('PONG'), m]), r.port, r.address));
listens.push(new Promise((r) => udp.bind(9000, '0.0.0.0', r)));
await Promise.all(listens);
process.stdout.write('ready\n');
