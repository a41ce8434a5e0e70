// A whole LVS cluster end to end in user-mode Linux, once per forwarding method (NAT, DR, TUN):
// a client, two keepalived-ts directors (VRRP + checker child, lvs_sync_daemon on) and two real
// servers, each in its own network namespace of one guest, on a bridged LAN (plus, for NAT, the
// real servers' network behind the directors with a floating gateway VIP). Checked: rr spreads
// the client's requests over both real servers; a stopped HTTP service leaves the master's
// table with no client error; the master losing its link hands the VIP and the same table to
// the backup while the client loops (outage and failed requests recorded); a long-lived TCP
// connection survives the takeover through connection sync; a clean stop stops the sync
// daemon; and (DR) a real server without arp_ignore answers ARP for the VIP.
// Guest side: test/uml/guest/cluster.mjs. Needs root and dist/ (run after `npm run build`).
import { describe, expect, it } from 'vitest';
import { IPVS_MODULES, type UmlRun, umlUnavailable } from '../../src/lab/uml.js';
import { describeRun, runGuestScenario } from '../helpers/uml-guest.js';
import { skipUnless } from '../helpers/system.js';

interface Step {
  name: string;
  ok: boolean;
  ms?: number;
  [k: string]: unknown;
}

const why = umlUnavailable();

const common = [
  'start: the master holds the VIP, both directors built the table',
  'rr: the client gets answers from both real servers',
  "checker: a stopped HTTP service leaves the master's table",
  'checker: no client error after the removal',
  'checker: the service is back in both tables',
  'sync: MASTER sync daemon on the master, BACKUP on the backup',
  'sync: the backup director holds the long-lived connection',
  'failover: the new master has the same IPVS table',
  "sync: the new master's sync daemon is MASTER",
  'failover: the client loop recovers',
  'sync: the long-lived connection survives the takeover',
  'stop: the new master stops and its sync daemon is gone',
];
const byMode: Record<'nat' | 'dr' | 'tun', string[]> = {
  nat: [
    ...common,
    'start: the master holds the internal gateway VIP',
    'failover: the backup takes the VIP and the internal gateway VIP',
  ],
  dr: [
    ...common,
    'real servers prepared by keepalived-ts realserver',
    'failover: the backup takes the VIP',
    'arp: with arp_ignore=1 only the director answers; without it the real server answers ARP for the VIP',
  ],
  tun: [
    ...common,
    'real servers prepared by keepalived-ts realserver',
    'failover: the backup takes the VIP',
  ],
};

describe.skipIf(skipUnless(why === undefined, `user-mode Linux: ${why}`)).each(['nat', 'dr', 'tun'] as const)('LVS cluster end to end, %s (UML)', (mode) => {
  let steps: Step[] = [];
  let run: UmlRun | undefined;

  it('runs the scenario in one guest', { timeout: 520_000 }, async () => {
    run = await runGuestScenario({
      script: `node test/uml/guest/cluster.mjs scenario ${mode}`,
      timeoutMs: 240_000,
      memMb: 1024,
      modules: [...IPVS_MODULES, 'veth', 'bridge', 'ipip'],
    }, `cluster ${mode}`);
    steps = JSON.parse(run.files.get('steps.json') ?? '[]') as Step[];
    const detail = describeRun(run, `steps:\n${JSON.stringify(steps, null, 1)}\nd1:\n${(run.files.get('d1-kts.log') ?? '').slice(-3000)}\nd2:\n${(run.files.get('d2-kts.log') ?? '').slice(-3000)}`);
    expect(run.files.has('done'), detail).toBe(true);
    expect(run.rc, detail).toBe(0);
    const loop = steps.find((s) => s.name.endsWith('failover: the client loop recovers'));
    // the figures of this run, for the log
    console.log(`${mode}: takeover ${String(loop?.takeoverMs)} ms, client outage ${String(loop?.outageMs)} ms, ${String(loop?.failed)} failed of ${String(loop?.requests)}`);
    // a takeover far past Master_Down_Interval (3.6 s): the directors' own account of it, for
    // telling a stalled guest from a slow daemon
    if (typeof loop?.takeoverMs === 'number' && loop.takeoverMs > 5000) {
      for (const d of ['d1-kts.log', 'd2-kts.log']) {
        const lines = (run.files.get(d) ?? '').split('\n').filter((l) => /Entering|sync daemon|setting VIPs|removing VIPs|gratuitous|DOWN|FAULT/.test(l));
        console.log(`${mode} ${d} (slow takeover):\n${lines.slice(-25).join('\n')}`);
      }
    }
  });

  it.each(byMode[mode])('%s', (name) => {
    const step = steps.find((s) => s.name === `${mode}: ${name}`);
    expect(step, `step not reached; guest log:\n${run?.log ?? ''}\nsteps:\n${JSON.stringify(steps, null, 1)}`).toBeDefined();
    expect(step!.ok, JSON.stringify(step)).toBe(true);
  });
});
