// The LVS globals on a real kernel (user-mode Linux), keepalived-ts beside keepalived 2.2.7:
// `lvs_timeouts` set at start, put back to the kernel's values by a reload without them and
// at stop; `lvs_flush` empties the table at start; `lvs_flush_on_stop` empties it at stop, and
// `lvs_flush_on_stop VS` removes only the virtual servers. Both implementations run the same
// steps in one guest (test/uml/guest/lvs-globals.mjs); `ipvsadm -L --timeout` and `ipvsadm -Ln`
// after every step must be the same for both, and what keepalived does is also written down
// here so that the comparison cannot pass on two equally wrong runs.
import { describe, expect, it } from 'vitest';
import { type UmlRun, umlUnavailable } from '../../src/lab/uml.js';
import { describeRun, runGuestScenario } from '../helpers/uml-guest.js';
import { skipUnless } from '../helpers/system.js';

interface Snap { timeouts: string; table: string }
type Rec = Record<string, Snap>;

const why = umlUnavailable();
const FOREIGN = 'TCP  192.168.99.1:80 rr\n  -> 192.168.99.2:80              Masq    4      0          0';
const OURS = 'TCP  10.9.0.1:80 rr\n  -> 10.9.1.1:80                  Masq    2      0          0\n  -> 10.9.1.2:80                  Masq    1      0          0';
const T = (tcp: number, fin: number, udp: number): string => `Timeout (tcp tcpfin udp): ${tcp} ${fin} ${udp}`;

describe.skipIf(skipUnless(why === undefined, `user-mode Linux: ${why}`))('LVS globals beside keepalived (UML)', () => {
  let run: UmlRun;
  let rec: Record<string, Rec> = {};

  it('runs both implementations through every step in one guest', { timeout: 400_000 }, async () => {
    run = await runGuestScenario({ script: 'node test/uml/guest/lvs-globals.mjs', timeoutMs: 200_000 }, 'lvs-globals');
    rec = JSON.parse(run.files.get('record.json') ?? '{}') as Record<string, Rec>;
    const logs = [...run.files.entries()].filter(([n]) => n.endsWith('.log')).map(([n, t]) => `--- ${n}\n${t.slice(-1500)}`).join('\n');
    expect(run.files.has('done'), describeRun(run, `record:\n${JSON.stringify(rec, null, 1)}\n${logs}`)).toBe(true);
  });

  const steps: [string, string, Snap][] = [
    ['before', 'a foreign service, the kernel\'s timeouts', { timeouts: T(900, 120, 300), table: FOREIGN }],
    ['started', 'lvs_flush removed the foreign service; lvs_timeouts tcp 7200 udp 60 set', { timeouts: T(7200, 120, 60), table: OURS }],
    ['reloadedWithout', 'a reload without lvs_timeouts put the kernel\'s back', { timeouts: T(900, 120, 300), table: OURS }],
    ['reloadedTcpfin', 'a reload with lvs_timeouts tcpfin 30 set only that one', { timeouts: T(900, 30, 300), table: OURS }],
    ['stoppedFull', 'lvs_flush_on_stop flushed everything, a foreign service added meanwhile too; timeouts put back', { timeouts: T(900, 120, 300), table: '' }],
    ['startedVs', 'without lvs_flush the foreign service stays', { timeouts: T(900, 120, 45), table: `${OURS}\n${FOREIGN}` }],
    ['stoppedVs', 'lvs_flush_on_stop VS removed our virtual server only; timeouts put back', { timeouts: T(900, 120, 300), table: FOREIGN }],
    ['startedNone', 'no lvs_timeouts: the kernel\'s values are left alone', { timeouts: T(900, 120, 300), table: `${OURS}\n${FOREIGN}` }],
    ['stoppedNone', 'a plain stop removes our virtual server only', { timeouts: T(900, 120, 300), table: FOREIGN }],
  ];

  it.each(steps)('%s: %s', (step, _what, want) => {
    const ka = rec.keepalived?.[step];
    const kts = rec['keepalived-ts']?.[step];
    expect(ka, `keepalived did not reach ${step}`).toBeDefined();
    expect(kts, `keepalived-ts did not reach ${step}`).toBeDefined();
    expect(kts, 'keepalived-ts as keepalived').toEqual(ka);
    // the table lists services in the kernel's hash order: compare as sets of services
    const services = (t: string): string[] => t.split(/\n(?=TCP|UDP|FWM)/).filter((x) => x !== '').sort();
    expect({ timeouts: ka!.timeouts, table: services(ka!.table) }, 'keepalived 2.2.7 did what this test says it does').toEqual({ timeouts: want.timeouts, table: services(want.table) });
  });
});
