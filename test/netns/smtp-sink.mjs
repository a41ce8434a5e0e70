// A minimal SMTP relay for the tests: listens on argv[2] (a TCP port on 127.0.0.1, or a Unix
// socket path), answers the conversation of an alert, and appends every accepted message to
// argv[3] as one JSON line { helo, from, to, data }. `SINK_REFUSE=RCPT` makes it refuse that
// command with 550. Prints "ready" once listening.
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';

const [where, out] = process.argv.slice(2);
const refuse = process.env.SINK_REFUSE;
const server = createServer((s) => {
  s.setEncoding('utf8');
  const msg = { to: [] };
  let buf = '';
  let inData = false;
  s.write('220 sink.test ESMTP\r\n');
  s.on('error', () => undefined);
  s.on('data', (d) => {
    buf += d;
    for (let nl = buf.indexOf('\r\n'); nl >= 0; nl = buf.indexOf('\r\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 2);
      if (inData) {
        if (line === '.') {
          inData = false;
          appendFileSync(out, `${JSON.stringify(msg)}\n`);
          s.write('250 2.0.0 queued\r\n');
        } else msg.data = `${msg.data ?? ''}${line}\n`;
        continue;
      }
      const verb = line.split(/[ :]/)[0].toUpperCase();
      if (verb === refuse) { s.write('550 5.1.1 refused\r\n'); continue; }
      if (verb === 'HELO') { msg.helo = line.slice(5); s.write('250-sink.test\r\n250 ok\r\n'); }
      else if (verb === 'MAIL') { msg.from = line.slice(10); s.write('250 ok\r\n'); }
      else if (verb === 'RCPT') { msg.to.push(line.slice(8)); s.write('250 ok\r\n'); }
      else if (verb === 'DATA') { inData = true; s.write('354 go ahead\r\n'); }
      else if (verb === 'QUIT') { s.end('221 bye\r\n'); }
      else s.write('502 unknown\r\n');
    }
  });
});
const ready = () => process.stdout.write('ready\n');
if (/^\d+$/.test(where)) server.listen(Number(where), '127.0.0.1', ready);
else server.listen(where, ready);
process.on('SIGTERM', () => process.exit(0));
