// BFD_CHECK on a real kernel's IPVS (user-mode Linux), keepalived-ts beside keepalived 2.2.7
// (test/uml/guest/bfd-check.mjs): with keepalived's BFD as the real server's peer, the real
// server is in the table while the session is Up, leaves it when the peer dies, and comes
// back with it. The session is shared by two virtual servers' real servers and a VRRP
// instance's track_bfd, whose priority follows it too. With -C alone (no VRRP process)
// keepalived keeps its BFD process, and keepalived-ts runs the sessions in the checker process. What keepalived does is asserted too, so that two equally wrong runs fail.
import { describe, expect, it } from 'vitest';
import { type UmlRun, umlUnavailable } from '../../src/lab/uml.js';
import { describeRun, runGuestScenario } from '../helpers/uml-guest.js';
import { skipUnless } from '../helpers/system.js';

interface Rec { up: boolean; stillUp: boolean; priorityRose: boolean; removed: boolean; removedMs: number; priorityFell: boolean; back: boolean; afterStop: boolean }

const why = umlUnavailable();

describe.skipIf(skipUnless(why === undefined, `user-mode Linux: ${why}`))('BFD_CHECK beside keepalived (UML)', () => {
  let run: UmlRun;
  let rec: Record<string, Rec> = {};

  it('runs both implementations in one guest', { timeout: 360_000 }, async () => {
    run = await runGuestScenario({ script: 'node test/uml/guest/bfd-check.mjs', timeoutMs: 240_000 }, 'bfd-check');
    rec = JSON.parse(run.files.get('record.json') ?? '{}') as Record<string, Rec>;
    const logs = [...run.files.entries()].filter(([n]) => n.endsWith('.log')).map(([n, t]) => `--- ${n}\n${t.slice(-1500)}`).join('\n');
    expect(run.files.has('done'), describeRun(run, `record:\n${JSON.stringify(rec, null, 1)}\n${logs}`)).toBe(true);
  });

  it.each(['keepalived', 'keepalived-ts', 'keepalived -C', 'keepalived-ts -C'])('%s: the real servers and the VRRP priority follow their shared BFD session', (impl) => {
    const r = rec[impl];
    expect(r, `${impl} ran`).toBeDefined();
    const { removedMs: _ms, ...shape } = r!;
    expect(shape).toEqual({ up: true, stillUp: true, priorityRose: true, removed: true, priorityFell: true, back: true, afterStop: false });
  });
});
