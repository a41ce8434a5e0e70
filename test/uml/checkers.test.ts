// The checker side on a real kernel's IPVS (user-mode Linux): keepalived-ts -C against real
// TCP / HTTP / SMTP / DNS servers and a MISC_CHECK script inside the guest. Servers fail and
// recover and `ipvsadm -Ln` must follow: removal, inhibit (weight 0), quorum loss to the sorry
// server and back with the quorum scripts, misc_dynamic weights, alpha, ha_suspend, a restart
// after a crash that leaves no stale entry, and a clean stop that removes only what we own.
// Guest side: test/uml/guest/checkers.mjs. Needs root and dist/ (run after `npm run build`).
import { describe, expect, it } from 'vitest';
import { type UmlRun, umlUnavailable } from '../../src/lab/uml.js';
import { describeRun, runGuestScenario } from '../helpers/uml-guest.js';
import { skipUnless } from '../helpers/system.js';

interface Step {
  name: string;
  ok: boolean;
  ms?: number;
  table?: string;
  log?: string;
}

const why = umlUnavailable();

describe.skipIf(skipUnless(why === undefined, `user-mode Linux: ${why}`))('health checkers drive IPVS (UML)', () => {
  let steps: Step[] = [];
  let run: UmlRun;

  it('runs the whole scenario in one guest', { timeout: 520_000 }, async () => {
    run = await runGuestScenario({ script: 'node test/uml/guest/checkers.mjs', timeoutMs: 240_000 }, 'checkers');
    steps = JSON.parse(run.files.get('steps.json') ?? '[]') as Step[];
    const detail = describeRun(run, `steps:\n${JSON.stringify(steps, null, 1)}\ndaemon log:\n${(run.files.get('kts-1.log') ?? '').slice(-4000)}\n${(run.files.get('kts-2.log') ?? '').slice(-2000)}`);
    expect(run.files.has('done'), detail).toBe(true);
    expect(run.rc, detail).toBe(0);
    expect(steps.length).toBeGreaterThanOrEqual(20);
  });

  const names = [
    'start: every checked real server in the table',
    'alpha: a real server whose check has not passed stays out',
    'TCP_CHECK failure removes the real server',
    'TCP_CHECK recovery adds it back',
    'lvs_notify_fifo: its script reads RS DOWN then UP lines',
    'HTTP_GET wrong status with inhibit_on_failure: weight 0',
    'HTTP_GET recovery restores the weight',
    'quorum lost: real servers out, sorry server in',
    'quorum regained: sorry server out, real servers in',
    'quorum_down then quorum_up scripts ran',
    'misc_dynamic: exit 12 sets weight 10',
    'misc_dynamic: exit 1 removes the real server',
    'misc_dynamic: exit 0 brings it back at its configured weight',
    'DNS_CHECK failure removes the real server',
    'DNS_CHECK recovery',
    'SMTP_CHECK failure removes the real server',
    'SMTP_CHECK recovery',
    'ha_suspend: no checking while the VS address is absent',
    'ha_suspend: checking resumes when the address appears',
    'restart after a crash: stale destination removed, weights reset',
    'clean stop removes the owned services, keeps the foreign one',
    'daemon: the checker child builds the table',
    'daemon: a killed checker child is restarted and goes on checking',
    'reload: failed server stays out, new weight applies, removed virtual server deleted',
    'reload: the failed server is still out until its check passes, then comes back',
    'daemon: stopping the parent stops the child and clears its services',
  ];
  it.each(names)('%s', (name) => {
    const step = steps.find((s) => s.name === name);
    expect(step, `step not reached; guest log:\n${run?.log ?? ''}`).toBeDefined();
    expect(step!.ok, JSON.stringify(step)).toBe(true);
  });
});
