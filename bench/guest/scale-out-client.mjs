// Load of bench/scale-out.mjs, run in the client's namespace: CONCURRENCY workers, each in a
// loop opening a TCP connection to VIP:80, sending one request line of REQ_BYTES, waiting for
// the real server's answer (its name) and closing: requests per second over SECONDS after a
// WARMUP_S warm-up, failures (error, or no answer in 3 s), and the answers per real server.
// Prints one JSON line. Usage: node scale-out-client.mjs VIP CONCURRENCY SECONDS REQ_BYTES [WARMUP_S]
import { connect } from 'node:net';

const [vip, conc, secs, reqBytes, warm = '2'] = process.argv.slice(2);
const payload = `${'x'.repeat(Number(reqBytes) - 1)}\n`;
const t0 = performance.now();
const from = t0 + Number(warm) * 1000;
const until = from + Number(secs) * 1000;
let done = 0;
let failed = 0;
const byRs = {};

function one() {
  return new Promise((res) => {
    const s = connect({ host: vip, port: 80 });
    let answer = '';
    let ended = false;
    const end = (ok) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      s.destroy();
      const now = performance.now();
      if (now >= from && now < until) {
        if (ok) {
          done++;
          byRs[answer] = (byRs[answer] ?? 0) + 1;
        } else failed++;
      }
      res();
    };
    const timer = setTimeout(() => end(false), 3000);
    s.setEncoding('utf8');
    s.on('connect', () => s.write(payload));
    s.on('data', (d) => {
      answer += d;
      const nl = answer.indexOf('\n');
      if (nl >= 0) {
        answer = answer.slice(0, nl);
        end(true);
      }
    });
    s.on('error', () => end(false));
    s.on('close', () => end(false));
  });
}

async function worker() {
  while (performance.now() < until) await one();
}
await Promise.all(Array.from({ length: Number(conc) }, worker));
console.log(JSON.stringify({ rps: Math.round((done / Number(secs)) * 10) / 10, done, failed, byRs }));
