// SNMP of the checker side beside keepalived 2.2.7 (issue 19), in a user-mode Linux guest (IPVS
// exists only there): test/uml/guest/check-snmp.mjs runs keepalived and then keepalived-ts on
// test/fixtures/snmp/check.conf (-C, the checker side alone, enable_snmp_checker), each under
// a fresh net-snmp snmpd and snmptrapd. KEEPALIVED-MIB is walked with the checkers settled and
// three connections counted, and again once a real server has failed and its virtual server
// lost its quorum; a real server's weight is then set through SNMP, and the daemon stopped.
// Both walks must be equal OID by OID but for what moves by itself (counters, rates, the
// kernel's connection gauges), and the notifications must be the same (their order may differ
// only between virtual servers, whose checks finish in either order).
//
// Needs root and user-mode Linux (with snmpd, snmpwalk and snmptrapd in the guest's root,
// which is the host's); uses dist/ (run after `npm run build`). About 80 s.
import { afterAll, describe, expect, it } from 'vitest';
import { type UmlRun, umlUnavailable } from '../../src/lab/uml.js';
import { skipUnless } from '../helpers/system.js';
import { describeRun, runGuestScenario } from '../helpers/uml-guest.js';

const why = umlUnavailable();

/**
 * The lines of a walk that must not move between two runs: counters masked, and the columns
 * that change by themselves left out (rates: virtual server 32-36 and 41-50, real server 22-26
 * and 30-39; a real server's active, inactive and persistent connections 15-17).
 */
function stable(walk: string): string[] {
  return walk.split('\n').filter((l) => l.startsWith('.'))
    .filter((l) => !/^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.3\.3\.1\.(3[2-6]|4[1-9]|50)\.\d+ /.test(l))
    .filter((l) => !/^\.1\.3\.6\.1\.4\.1\.9586\.100\.5\.3\.4\.1\.(1[5-7]|2[2-6]|3\d)\.\d+\.\d+ /.test(l))
    .map((l) => l.replace(/= (Counter32|Counter64): .*$/, '= $1: N'));
}

/** snmptrapd -On: the varbinds after sysUpTime.0 of each checker notification */
const notifications = (log: string): string[] => log.split('\n').filter((l) => l.startsWith('.1.3.6.1.2.1.1.3.0'))
  .map((l) => l.split('\t').slice(1).join('\t')).filter((l) => l.includes('OID: .1.3.6.1.4.1.9586.100.5.3.5.0.'));

/** the notifications of each virtual server (named by its type, group, fwmark or address), in order */
function perService(ts: readonly string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const t of ts) {
    const key = t.split('\t').filter((v) => /\.9586\.100\.5\.3\.3\.1\.[2-7] = /.test(v)).join('\t');
    m.set(key, [...(m.get(key) ?? []), t]);
  }
  return m;
}

describe.skipIf(skipUnless(why === undefined, `user-mode Linux: ${why}`))('the checker MIB and notifications beside keepalived 2.2.7 (UML)', () => {
  let run: UmlRun | undefined;
  const file = (name: string): string => run?.files.get(name) ?? '';

  afterAll(() => {
    if (run && !run.files.has('done')) process.stdout.write(describeRun(run, `record:\n${file('record.json')}`));
  });

  it('runs keepalived 2.2.7 and keepalived-ts in one guest', { timeout: 400_000 }, async () => {
    run = await runGuestScenario({ script: 'node test/uml/guest/check-snmp.mjs', timeoutMs: 240_000 }, 'check-snmp');
    const logs = ['keepalived', 'keepalived-ts'].map((i) => `--- ${i}\n${file(`${i}.log`).slice(-2500)}`).join('\n');
    expect(run.files.has('done'), describeRun(run, `record:\n${file('record.json')}\n${logs}`)).toBe(true);
  });

  it('the reference: every table filled in, the counters read, the failure seen', () => {
    const ka = file('keepalived.walk');
    for (const l of [
      '.1.3.6.1.4.1.9586.100.5.1.2.0 = STRING: "chk1"', '.1.3.6.1.4.1.9586.100.5.3.1.1.2.1 = STRING: "G1"',
      '.1.3.6.1.4.1.9586.100.5.3.3.1.71.1 = STRING: "web"', '.1.3.6.1.4.1.9586.100.5.3.4.1.2.1.1 = INTEGER: 2',
      '.1.3.6.1.4.1.9586.100.5.3.3.1.27.1 = Gauge32: 3', '.1.3.6.1.4.1.9586.100.5.3.7.3.0 = INTEGER: 300',
    ]) expect(ka).toContain(l);
    expect(file('keepalived.walk2')).toContain('.1.3.6.1.4.1.9586.100.5.3.3.1.23.1 = INTEGER: 2');
    expect(notifications(file('keepalived.traps')).length).toBeGreaterThanOrEqual(15);
  });

  it('keepalived-ts shows the same MIB, settled and after the failure', () => {
    for (const w of ['walk', 'walk2']) {
      const theirs = stable(file(`keepalived.${w}`));
      const ours = stable(file(`keepalived-ts.${w}`));
      expect(ours.length, w).toBeGreaterThan(400);
      expect(ours.filter((l, i) => l !== theirs[i]), w).toEqual([]);
      expect(ours).toHaveLength(theirs.length);
    }
  });

  it('realServerWeight can be set, as in keepalived: the table follows; the sorry server\'s row cannot', () => {
    const rec = JSON.parse(file('record.json') || '{}') as Record<string, { set?: { rc: number; out: string; sorryRc: number; table: string; now: string } }>;
    for (const impl of ['keepalived', 'keepalived-ts']) {
      const s = rec[impl]?.set;
      expect(s, impl).toBeDefined();
      expect(s!.rc, `${impl}: ${s!.out}`).toBe(0);
      expect(s!.table, impl).toMatch(/-> 10\.9\.1\.7:53\s+Route\s+5 /);
      expect(s!.now, impl).toBe('.1.3.6.1.4.1.9586.100.5.3.4.1.7.4.1 = INTEGER: 5');
      expect(s!.sorryRc, impl).not.toBe(0);
    }
  });

  it('keepalived-ts sends the same notifications: at start, as servers fail, at stop', () => {
    const theirs = notifications(file('keepalived.traps'));
    const ours = notifications(file('keepalived-ts.traps'));
    expect([...ours].sort()).toEqual([...theirs].sort());
    expect(perService(ours)).toEqual(perService(theirs));
  });
});
