// IPVS in a network namespace on a real kernel (user-mode Linux), keepalived-ts beside
// keepalived 2.2.7: started in the guest's root namespace with `net_namespace NAME` or `-s NAME`,
// the checker side programs the namespace's IPVS table, never the root one, and empties it at
// stop (test/uml/guest/netns-ipvs.mjs). What keepalived does is written down here too, so that
// the comparison cannot pass on two equally wrong runs.
import { describe, expect, it } from 'vitest';
import { type UmlRun, umlUnavailable } from '../../src/lab/uml.js';
import { describeRun, runGuestScenario } from '../helpers/uml-guest.js';
import { skipUnless } from '../helpers/system.js';

interface Snap { root: string; netns: string }
interface Step { running: Snap; stopped: Snap; pidfile: string }
type Rec = Record<'config' | 'option', Step>;

const why = umlUnavailable();
const OURS = 'TCP  10.9.0.1:80 rr\n  -> 10.9.1.1:80                  Masq    2      0          0';

describe.skipIf(skipUnless(why === undefined, `user-mode Linux: ${why}`))('IPVS in a network namespace beside keepalived (UML)', () => {
  let run: UmlRun;
  let rec: Record<string, Rec> = {};

  it('runs both implementations in one guest', { timeout: 300_000 }, async () => {
    run = await runGuestScenario({ script: 'node test/uml/guest/netns-ipvs.mjs', timeoutMs: 150_000 }, 'netns-ipvs');
    rec = JSON.parse(run.files.get('record.json') ?? '{}') as Record<string, Rec>;
    const logs = [...run.files.entries()].filter(([n]) => n.endsWith('.log')).map(([n, t]) => `--- ${n}\n${t.slice(-1500)}`).join('\n');
    expect(run.files.has('done'), describeRun(run, `record:\n${JSON.stringify(rec, null, 1)}\n${logs}`)).toBe(true);
  });

  it.each(['config', 'option'] as const)('net_namespace given by the %s: the namespace\'s table, not the root one, and empty after the stop', (how) => {
    const ka = rec.keepalived?.[how];
    const kts = rec['keepalived-ts']?.[how];
    expect(ka, 'keepalived ran').toBeDefined();
    expect(kts, 'keepalived-ts ran').toBeDefined();
    expect(kts, 'keepalived-ts as keepalived').toEqual(ka);
    expect(ka, 'keepalived 2.2.7 did what this test says it does').toEqual({
      running: { root: '', netns: OURS }, stopped: { root: '', netns: '' }, pidfile: 'yes',
    });
  });
});
