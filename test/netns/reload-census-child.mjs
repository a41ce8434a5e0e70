// Child process of test/netns/reload.test.ts, run in a namespace with
// `ip netns exec NS node --no-warnings test/netns/reload-census-child.mjs CONF_A CONF_B N DIR`.
// It starts the VRRP daemon from dist/ in this process, reloads it N times, alternating the
// two configurations as SIGHUP would (loadForDaemon, then reload), and then counts the live
// objects of each generation with v8.queryObjects (which collects garbage first). A daemon
// that lets go of its previous generation holds exactly one engine, one effect runner and
// one driver. Reports one JSON line on stdout.
import { queryObjects } from 'node:v8';
import { join } from 'node:path';
import pino from 'pino';

const dist = new URL('../../dist/src/', import.meta.url).pathname;
const { VrrpDaemon } = await import(join(dist, 'daemon/vrrp-daemon.js'));
const { loadForDaemon } = await import(join(dist, 'daemon/load-config.js'));
const { VrrpEngine } = await import(join(dist, 'vrrp/engine.js'));
const { VrrpInstance } = await import(join(dist, 'vrrp/instance.js'));
const { EffectRunner } = await import(join(dist, 'daemon/effects.js'));
const { VrrpDriver } = await import(join(dist, 'daemon/driver.js'));

const [confA, confB, n, dir] = process.argv.slice(2);
const log = pino({ level: 'silent' });
const daemon = new VrrpDaemon({ file: confA, configId: 'census', pidFile: join(dir, 'census.pid'), log });
await daemon.start();
const census = () => ({
  engines: queryObjects(VrrpEngine, { format: 'count' }),
  instances: queryObjects(VrrpInstance, { format: 'count' }),
  runners: queryObjects(EffectRunner, { format: 'count' }),
  drivers: queryObjects(VrrpDriver, { format: 'count' }),
});
const before = census();
for (let i = 0; i < Number(n); i++) {
  const file = i % 2 === 0 ? confB : confA;
  await daemon.reload(loadForDaemon(file, 'census', log));
}
// let the last reload's asynchronous work (address queue, trackers) settle
await new Promise((r) => setTimeout(r, 300));
const after = census();
await daemon.stop();
process.stdout.write(`${JSON.stringify({ before, after })}\n`);
process.exit(0);
