// Issue 20's netns proof: a VRRP pair tracking its BFD sessions to a router that runs FRR's
// bfdd. When the master's link to the router dies silently, the master's session expires, it
// enters FAULT and the backup takes over, the VIP with it; when the link heals, the master takes
// the VIP back. The same scenario runs with keepalived 2.2.7 on both directors and with
// keepalived-ts on both (src/lab/bfd-failover.ts). Times are printed, not asserted: they are
// compared side by side in bench/bfd-failover.mjs. Needs root, keepalived, frr and nft; uses dist/.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addFailoverHosts, bfdFailover } from '../../src/lab/bfd-failover.js';
import { BFDD } from '../../src/lab/bfdd.js';
import { NetLab, sh } from '../../src/lab/netlab.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const haveTools = existsSync(BFDD) && sh('sh', ['-c', 'command -v keepalived && command -v nft']).rc === 0;

describe.skipIf(skipUnless(isRoot && haveTools, 'root, keepalived, frr and nft'))('BFD failover towards FRR bfdd (netns)', () => {
  let lab: NetLab;
  beforeAll(() => {
    lab = new NetLab('ktsbfo');
    addFailoverHosts(lab);
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it.each(['keepalived', 'kts'] as const)('%s on both directors: the master whose link to the router dies steps down, and takes back the VIP', async (impl) => {
    const run = await bfdFailover(lab, impl, { intervalMs: 100, multiplier: 5 }, `ktsbfo-${process.pid}-${impl}`);
    console.log(`bfd failover (${impl}, 100 ms x 5): ${JSON.stringify(Object.fromEntries(Object.entries(run).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v) : v])))}`);
    // the order of the story: the session goes Down, then FAULT, then the backup is master
    expect(run.faultMs).toBeGreaterThanOrEqual(run.bfdDownMs);
    expect(run.takeoverMs).toBeGreaterThan(run.bfdDownMs);
    expect(run.vipMoved).toBe(true);
  }, 90_000);
});
