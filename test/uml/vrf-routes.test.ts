// Routes with `vrf NAME` on a kernel with VRF devices (user-mode Linux: the host kernel may
// have none), keepalived-ts beside keepalived 2.2.7 (test/uml/guest/vrf-routes.mjs): `-t`
// finds a VRF device by what sysfs shows of it (isVrfSysfs) and says keepalived's words for a
// missing one and a link that is not one; the daemon puts the routes in the VRF's table
// (IFLA_VRF_TABLE), the later of `vrf` and `table` winning, and removes them at stop.
// What keepalived does is written down here too, so that the comparison cannot pass on two
// equally wrong runs.
import { describe, expect, it } from 'vitest';
import { isVrfSysfs } from '../../src/io/host-machine.js';
import { type UmlRun, umlUnavailable } from '../../src/lab/uml.js';
import { describeRun, runGuestScenario } from '../helpers/uml-guest.js';
import { skipUnless } from '../helpers/system.js';

interface Tables { t1001: string; t100: string }
interface Check { rc: number; stderr: string }
interface Rec { testGood: Check; testBad: Check; running: Tables; stopped: Tables }

const why = umlUnavailable();
const RUNNING: Tables = { t1001: ['10.61.0.0/16 dev vd1', '10.63.0.0/16 dev vd1', '10.64.0.0/16 dev vd1'].join(' \n'), t100: '10.62.0.0/16 dev vd1' };

describe.skipIf(skipUnless(why === undefined, `user-mode Linux: ${why}`))('routes in a VRF beside keepalived (UML)', () => {
  let run: UmlRun;
  let rec: Record<string, unknown> = {};
  const of = (impl: string): Rec => rec[impl] as Rec;

  it('runs both implementations in one guest', { timeout: 300_000 }, async () => {
    run = await runGuestScenario({ script: 'node test/uml/guest/vrf-routes.mjs', timeoutMs: 150_000, modules: ['vrf', 'dummy', 'veth'] }, 'vrf-routes');
    rec = JSON.parse(run.files.get('record.json') ?? '{}') as Record<string, unknown>;
    const logs = [...run.files.entries()].filter(([n]) => n.endsWith('.log')).map(([n, t]) => `--- ${n}\n${t.slice(-1500)}`).join('\n');
    expect(run.files.has('done'), describeRun(run, `record:\n${JSON.stringify(rec, null, 1)}\n${logs}`)).toBe(true);
  });

  it('sysfs shows a VRF device as an Ethernet-type master without ARP, which the other links are not (what -t looks at)', () => {
    const sysfs = rec.sysfs as Record<string, { type: string; flags: string; bonding: boolean }>;
    expect(Object.fromEntries(Object.entries(sysfs).map(([n, s]) => [n, isVrfSysfs(s.type, s.flags, s.bonding)])), JSON.stringify(sysfs))
      .toEqual({ blue: true, vd1: false, vr0: false });
  });

  it('-t: both accept the VRF, and refuse a missing one and a link that is not one with keepalived\'s words', () => {
    for (const impl of ['keepalived', 'keepalived-ts']) {
      const r = of(impl);
      expect(r.testGood.rc, `${impl}: ${r.testGood.stderr}`).toBe(0);
      expect(r.testBad.rc, `${impl}: ${r.testBad.stderr}`).toBe(5);
      expect(r.testBad.stderr).toContain('VRF red not found for route');
      expect(r.testBad.stderr).toContain('Route specified VRF vr0 is not a VRF');
    }
  });

  it('the daemon puts the routes in the VRF\'s table as keepalived does, the later of `vrf` and `table` winning', () => {
    const ka = of('keepalived');
    const kts = of('keepalived-ts');
    expect(kts.running, run.files.get('keepalived-ts.log')?.slice(-3000)).toEqual(ka.running);
    expect(ka.running).toEqual(RUNNING);
  });

  it('at stop both remove them all, static ones included', () => {
    expect(of('keepalived-ts').stopped).toEqual(of('keepalived').stopped);
    expect(of('keepalived').stopped).toEqual({ t1001: '', t100: '' });
  });
});
