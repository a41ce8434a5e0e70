// A small real server for the checker tests inside the UML guest: one process serving one
// protocol on one address and port, until killed. Usage:
//   node rs-server.mjs tcp|http|smtp|dns|udp ADDR PORT [HTTP_STATUS_FILE]
// http: GET / answers 200 with the body "ok ADDR\n", or the status written in HTTP_STATUS_FILE.
// smtp: 220 banner, 250 to HELO, 221 to QUIT. dns: any query gets RCODE 0 with the query's id.
// udp: echoes every datagram.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const [kind, addr, portText, statusFile] = process.argv.slice(2);
const port = Number(portText);

function httpStatus() {
  try {
    return Number(readFileSync(statusFile, 'utf8').trim()) || 200;
  } catch {
    return 200;
  }
}

if (kind === 'dns' || kind === 'udp') {
  const sock = createSocket(addr.includes(':') ? 'udp6' : 'udp4');
  sock.on('message', (msg, rinfo) => {
    if (kind === 'udp') return sock.send(msg, rinfo.port, rinfo.address);
    if (msg.length < 12) return;
    const reply = Buffer.from(msg);
    reply[2] = 0x81; // QR, RD
    reply[3] = 0x80; // RA, RCODE 0
    sock.send(reply, rinfo.port, rinfo.address);
  });
  sock.bind(port, addr, () => process.stdout.write('ready\n'));
} else {
  const server = createServer((c) => {
    c.on('error', () => undefined);
    if (kind === 'tcp') return c.end();
    if (kind === 'smtp') {
      c.write('220 rs ESMTP\r\n');
      let buf = '';
      c.on('data', (d) => {
        buf += d.toString('latin1');
        let i;
        while ((i = buf.indexOf('\n')) !== -1) {
          const line = buf.slice(0, i).trim().toUpperCase();
          buf = buf.slice(i + 1);
          if (line.startsWith('HELO') || line.startsWith('EHLO')) c.write('250 rs\r\n');
          else if (line.startsWith('QUIT')) c.end('221 bye\r\n');
          else c.write('500 what\r\n');
        }
      });
      return;
    }
    let req = '';
    c.on('data', (d) => {
      req += d.toString('latin1');
      if (!req.includes('\r\n\r\n')) return;
      const status = httpStatus();
      const body = `ok ${addr}\n`;
      c.end(`HTTP/1.1 ${status} X\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    });
  });
  server.listen({ host: addr, port, backlog: 4096 }, () => process.stdout.write('ready\n'));
}
