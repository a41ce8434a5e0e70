// Client of the active-active lab (test/uml/guest/active-active.mjs), run in its namespace:
// LONG persistent connections to VIP:80, each asking every 200 ms which real server it talks
// to, and one new short connection every 20 ms. Each line sent is answered by the real
// server's name. Every event goes to stdout as one JSON line with its time (Date.now(), the
// guest's clock, which the scenario's marks use too):
//   {t, k:'long-up', id, rs}         a long connection's first answer
//   {t, k:'long-moved', id, from, to} its answer changed (another real server: the flow moved)
//   {t, k:'long-broken', id, why}    it broke (error, close, or 10 s without an answer: TCP
//                                    itself would go on retransmitting through a few seconds)
//   {t, k:'short', ok, rs?}          one short connection, answered or not within 1 s
//   {t, k:'stall', ms}               the client itself did not run for `ms` (more than 300 ms
//                                    between two 20 ms ticks): the guest was not scheduled, and
//                                    a short connection in flight then fails without the network
// It runs until stdin closes.
import { connect } from 'node:net';

const [vip, longCount] = [process.argv[2], Number(process.argv[3] ?? 60)];
const out = (o) => process.stdout.write(`${JSON.stringify({ t: Date.now(), ...o })}\n`);

function ask(sock, onName) {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (d) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      onName(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
}

function long(id) {
  const s = connect({ host: vip, port: 80 });
  let rs;
  let broken = false;
  let lastAnswer = Date.now();
  const fail = (why) => {
    if (broken) return;
    broken = true;
    clearInterval(timer);
    out({ k: 'long-broken', id, why });
    s.destroy();
  };
  ask(s, (name) => {
    lastAnswer = Date.now();
    if (rs === undefined) out({ k: 'long-up', id, rs: name });
    else if (name !== rs) out({ k: 'long-moved', id, from: rs, to: name });
    rs = name;
  });
  const timer = setInterval(() => {
    if (Date.now() - lastAnswer > 10_000 && rs !== undefined) return fail('silent');
    s.write('q\n');
  }, 200);
  s.on('error', (e) => fail(e.code ?? 'error'));
  s.on('close', () => fail('closed'));
}

function short() {
  const s = connect({ host: vip, port: 80 });
  let done = false;
  const end = (ok, rs) => {
    if (done) return;
    done = true;
    out({ k: 'short', ok, ...(rs ? { rs } : {}) });
    s.destroy();
  };
  const timer = setTimeout(() => end(false), 1000);
  ask(s, (name) => {
    clearTimeout(timer);
    end(true, name);
  });
  s.on('connect', () => s.write('q\n'));
  s.on('error', () => {
    clearTimeout(timer);
    end(false);
  });
}

for (let i = 0; i < longCount; i++) setTimeout(() => long(i), i * 10);
let lastTick = Date.now();
const shorts = setInterval(() => {
  const now = Date.now();
  if (now - lastTick > 300) out({ k: 'stall', ms: now - lastTick });
  lastTick = now;
  short();
}, 20);
process.stdin.on('end', () => {
  clearInterval(shorts);
  setTimeout(() => process.exit(0), 1200);
});
process.stdin.resume();
