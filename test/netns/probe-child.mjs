// Prober side of test/netns/probes.test.ts, run inside the "prober" namespace: reads a JSON
// array of probe plans from argv[2], runs them all at once with the built runProbe
// (dist/src/io/probes.js, so `npm run build` first) and prints one JSON array of results.
// `genhash URL [VHOST]` runs genhash instead. argv[3], when given, is an `SSL` block (JSON of
// the config model's SslContextConfig) whose credentials the probes use.
import pino from 'pino';

const root = new URL('../../', import.meta.url).pathname;
const { runProbe, closePingSockets, genhash } = await import(`${root}dist/src/io/probes.js`);
const { loadTlsCreds } = await import(`${root}dist/src/io/tls-creds.js`);
const log = pino({ level: 'silent' });
if (process.argv[2] === 'genhash') {
  // genhash URL [VHOST]: prints {status, digest, bytes} or {error}
  const r = await genhash(process.argv[3], process.argv[4] ? { virtualhost: process.argv[4] } : {}).catch((e) => ({ error: e.code }));
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}
const revive = (k, v) => (v && typeof v === 'object' && v.$bytes !== undefined ? Uint8Array.from(Buffer.from(v.$bytes, 'hex')) : v);
const plans = JSON.parse(process.argv[2], revive);
const tls = process.argv[3] ? loadTlsCreds(JSON.parse(process.argv[3]), log) : undefined;
const results = await Promise.all(plans.map((p) => runProbe(p, { log, ...(tls ? { tls } : {}) })));
closePingSockets();
process.stdout.write(`${JSON.stringify(results)}\n`);
