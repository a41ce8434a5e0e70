// Active-active announcement over BGP through FRR, on a real kernel's IPVS (user-mode Linux,
// test/uml/guest/announce.mjs, issue 21): the router learns the VIP while its virtual server
// has quorum, loses it on quorum loss, learns it again; a restarted bgpd on the director
// announces it again by itself (the routes wait in the kernel table); at a clean stop the route
// leaves the router before the service leaves IPVS, and the table is left empty.
// `keepalived-ts handover VIP` withdraws it (the routers drain it) until `--cancel`; a reload
// (SIGHUP) of the same files is taken by both processes and keeps the route. The routing
// daemon watch: started before bgpd, keepalived-ts says no routing daemon runs and fills the
// table all the same; bgpd's arrival, death and return are logged, and status shows it.
import { describe, expect, it } from 'vitest';
import { umlUnavailable } from '../../src/lab/uml.js';
import { describeRun, runGuestScenario } from '../helpers/uml-guest.js';
import { skipUnless } from '../helpers/system.js';

const why = umlUnavailable();

describe.skipIf(skipUnless(why === undefined, `user-mode Linux: ${why}`))('announce_vip through FRR (UML)', () => {
  it('announces with quorum, withdraws on its loss and before the service goes', { timeout: 300_000 }, async () => {
    const run = await runGuestScenario({ script: 'node test/uml/guest/announce.mjs', timeoutMs: 200_000 }, 'announce');
    const rec = JSON.parse(run.files.get('record.json') ?? '{}') as Record<string, boolean | number | undefined>;
    const logs = [...run.files.entries()].filter(([n]) => n.endsWith('.log')).map(([n, t]) => `--- ${n}\n${t.slice(-2000)}`).join('\n');
    const story = describeRun(run, `record:\n${JSON.stringify(rec, null, 1)}\n${logs}`);
    expect(run.files.has('done'), story).toBe(true);
    console.log(`announce: ${JSON.stringify(rec)}`);
    const { routeGoneMs, serviceGoneMs, handoverSays, cancelSays, ...flags } = rec;
    expect(flags, story).toEqual({
      absentLogged: true, tableWithoutDaemon: true, statusNoDaemon: true, arrivalLogged: true,
      announced: true, statusShows: true, metricsShow: true, withdrawnOnQuorumLoss: true, announcedAgain: true, withdrawnByHandover: true, announcedAfterCancel: true,
      reloaded: true, keptThroughReload: true,
      lostWithBgpd: true, stopLogged: true, tableKeptWithoutDaemon: true, reannouncedAfterBgpdRestart: true, returnLogged: true, tableEmptyAfterStop: true,
    });
    expect(handoverSays, story).toMatch(/^10\.9\.0\.1: announcement withdrawn in \d+ ms/);
    expect(cancelSays, story).toBe('10.9.0.1: announced again');
    expect(typeof routeGoneMs, story).toBe('number');
    expect(typeof serviceGoneMs, story).toBe('number');
    // withdraw before the service goes (announce_withdraw_delay 1 s between them)
    expect(routeGoneMs!, story).toBeLessThan(serviceGoneMs as number);
  });
});
