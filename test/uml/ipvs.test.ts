// The IPVS client and reconciler on a real kernel (6.1 in user-mode Linux), checked with
// ipvsadm: every scheduler and its flags, NAT / DR / TUN (ipip, gue, gre), fwmark, IPv6 with a
// mixed-family tunnel destination, persistence timeout / granularity / engine, weights and
// thresholds; a change (add, remove, reweight, reschedule, forwarding method) that agrees with
// ipvsadm; services added by ipvsadm left alone; a restart from a fresh client with a smaller
// config and the previous owned set leaving nothing stale; refused operations reported as
// IPVS_REQUEST naming the service while the rest applies; info, timeouts, the sync daemon and
// flush. One guest boot runs test/uml/guest/ipvs-apply.mjs; the expected `ipvsadm` listings
// are in test/fixtures/ipvs/uml/. Needs root and dist/ (run after `npm run build`).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runUml, umlUnavailable, type UmlRun } from '../../src/lab/uml.js';
import { skipUnless } from '../helpers/system.js';

const why = umlUnavailable();

interface StepRecord {
  ops: string[];
  errors: string[];
  applied: number;
  leftAfterApply: string[];
}

const golden = (name: string): string => readFileSync(`test/fixtures/ipvs/uml/${name}.txt`, 'utf8');
const tidy = (text: string | undefined): string => (text ?? '').trim().split('\n').map((l) => l.trimEnd()).join('\n') + '\n';

describe.skipIf(skipUnless(why === undefined, `user-mode Linux: ${why}`))('IPVS through generic netlink on a real kernel (UML)', () => {
  let run: UmlRun;
  let rec: Record<string, unknown>;
  const listing = (name: string) => tidy(run.files.get(name));
  const step = (name: string) => rec[name] as StepRecord;

  beforeAll(async () => {
    run = await runUml({ script: 'node test/uml/guest/ipvs-apply.mjs', timeoutMs: 180_000 });
    rec = JSON.parse(run.files.get('record.json') ?? '{}') as Record<string, unknown>;
  }, 240_000);

  it('the guest ran every step', () => {
    expect(run.rc, `guest log:\n${run.log}\nconsole:\n${run.console.slice(-2000)}`).toBe(0);
    expect(Object.keys(rec)).toEqual(['full', 'change', 'restart', 'errors', 'misc']);
  });

  it('full config: every scheduler, flag, forwarding method, fwmark, IPv6 and persistence as ipvsadm lists them', () => {
    expect(step('full').errors).toEqual([]);
    expect(step('full').applied).toBe(60);
    expect(listing('full.ln')).toBe(golden('full.ln'));
    expect(listing('full.tun')).toBe(golden('full.tun'));
    expect(listing('full.thresholds')).toBe(golden('full.thresholds'));
    expect(listing('full.exact')).toBe(golden('full.exact'));
  });

  it('a dump of what was applied reconciles to nothing at every step', () => {
    for (const s of ['full', 'change', 'restart']) expect(step(s).leftAfterApply, s).toEqual([]);
  });

  it('a change is the minimum set of operations and ipvsadm agrees', () => {
    expect(step('change').ops).toEqual([
      'DEL_DEST TCP 10.1.0.1:80 -> 10.2.0.2:8081',
      'NEW_DEST TCP 10.1.0.1:80 -> 10.2.0.3:8082',
      'SET_DEST TCP 10.1.0.2:80 -> 10.2.1.2:8081',
      'SET_SERVICE TCP 10.1.0.3:80',
      'SET_DEST TCP 10.1.2.1:80 -> 10.4.0.1:80',
      'SET_SERVICE FWM 100',
      'DEL_DEST TCP [2001:db8::100]:443 -> [2001:db8::202]:443',
    ]);
    expect(step('change').errors).toEqual([]);
    expect(listing('change.ln')).toBe(golden('change.ln'));
  });

  it('services added by ipvsadm (one at a configured address, UDP) survive every step but the flush', () => {
    for (const s of ['full.ln', 'change.ln', 'restart.ln', 'errors.ln']) {
      expect(listing(s), s).toContain('TCP  192.168.99.1:80 rr\n  -> 192.168.99.2:80              Masq    4      0          0\n');
      expect(listing(s), s).toContain('UDP  10.1.0.1:80 rr\n');
    }
    for (const s of ['full', 'change', 'restart']) expect(step(s).ops.join('\n'), s).not.toMatch(/192\.168\.99\.|UDP 10\.1\.0\.1:80/);
  });

  it('a restart with a smaller config and the previous owned set leaves no stale entry', () => {
    const ops = step('restart').ops;
    expect(ops.filter((o) => o.startsWith('DEL_SERVICE'))).toHaveLength(19);
    expect(listing('restart.ln')).toBe(golden('restart.ln'));
  });

  it('refused operations are IPVS_REQUEST errors naming the command and service; the rest applies', () => {
    const e = rec.errors as { errors: { message: string; code: string; index: number; errno: string }[]; applied: number; failed: number[] };
    expect(e.errors).toEqual([
      { message: 'NEW_SERVICE TCP 10.9.0.2:80: ENOENT', code: 'IPVS_REQUEST', index: 2, errno: 'ENOENT' },
      { message: 'NEW_DEST TCP 10.9.0.2:80 -> 10.9.2.1:80: ESRCH', code: 'IPVS_REQUEST', index: 3, errno: 'ESRCH' },
      { message: 'NEW_DEST TCP 10.9.0.2:80 -> 10.9.2.2:80: ESRCH', code: 'IPVS_REQUEST', index: 4, errno: 'ESRCH' },
      { message: 'NEW_DEST TCP 10.9.0.3:80 -> 10.9.3.2:80: ERANGE', code: 'IPVS_REQUEST', index: 7, errno: 'ERANGE' },
    ]);
    expect(e.applied).toBe(4);
    expect(e.failed).toEqual([2, 3, 4, 7]);
    expect(listing('errors.ln')).toBe(golden('errors.ln'));
  });

  it('info, timeouts, the sync daemon and flush', () => {
    const m = rec.misc as Record<string, unknown>;
    expect(m.info).toEqual({ version: '1.2.1', versionCode: 0x010201, connTableSize: 4096 });
    expect(m.before).toEqual({ tcpS: 900, tcpFinS: 120, udpS: 300 });
    expect(m.after).toEqual({ tcpS: 1000, tcpFinS: 120, udpS: 200 });
    expect(m.timeoutText).toBe('Timeout (tcp tcpfin udp): 1000 120 200\n');
    expect(m.daemonErr).toBeUndefined();
    expect(m.daemons).toEqual([{ state: 'MASTER', mcastIfn: 'ktsipvs0', syncId: 42, syncMaxLen: 1400, mcastGroup: { family: 'inet', bytes: { 0: 224, 1: 0, 2: 0, 3: 81 } }, mcastPort: 8850, mcastTtl: 2 }]);
    expect(m.daemonText).toBe('master sync daemon (mcast=ktsipvs0, syncid=42, maxlen=1400, group=224.0.0.81, port=8850, ttl=2)\n');
    expect(m.daemonsAfter).toEqual([]);
    expect(m.flushedSize).toBe(0);
    expect(listing('flushed.ln')).toBe(golden('flushed.ln'));
    expect((m.stats as { malformed: number }).malformed).toBe(0);
  });
});
