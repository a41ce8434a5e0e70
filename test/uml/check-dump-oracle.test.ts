// The effective configuration oracle, checker side (issue 16): on every configuration of
// test/fixtures/dumps/check, real keepalived 2.2.7 and keepalived-ts run their checker process
// (-C) one after the other in a user-mode Linux guest (IPVS exists only there) against the same
// real servers; each one's keepalived_check.data is taken once the table is applied and the
// checkers have settled, and again after a reload of the same configuration
// (test/uml/guest/check-dump.mjs). The dumps are compared line by line once what is momentary
// is masked (src/lab/check-dump-oracle.ts CHECK_NORMALISE). Every difference that remains must
// be listed, with its reason, in test/fixtures/dumps/check/known-differences.json; a new one
// fails, and so does a listed one that is no longer seen (remove it).
//
// Needs root and user-mode Linux; uses dist/ (run after `npm run build`). About 3 minutes.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffCheckDumps } from '../../src/lab/check-dump-oracle.js';
import { minusLines } from '../../src/lab/dump-oracle.js';
import { type UmlRun, umlUnavailable } from '../../src/lab/uml.js';
import { skipUnless } from '../helpers/system.js';
import { describeRun, runGuestScenario } from '../helpers/uml-guest.js';

const FIXTURES = 'test/fixtures/dumps/check';
const KNOWN = join(FIXTURES, 'known-differences.json');

interface Difference {
  /** diff lines: "- " only in keepalived's dump, "+ " only in ours (normalised) */
  readonly lines: readonly string[];
  readonly kind: 'semantics' | 'unsupported' | 'deliberate';
  readonly why: string;
  readonly owner: string;
  /** where keepalived 2.2.7 decides it (file:function), for semantics */
  readonly keepalived?: string;
}

interface KnownDifferences {
  readonly everywhere: readonly Difference[];
  readonly configs: Readonly<Record<string, { readonly differences?: readonly Difference[] }>>;
}

const known = JSON.parse(readFileSync(KNOWN, 'utf8')) as KnownDifferences;
const everywhere = new Set(known.everywhere.flatMap((d) => d.lines));
const configs = readdirSync(FIXTURES).filter((f) => f.endsWith('.conf')).sort().map((f) => basename(f, '.conf'));
/** each dump: CONF at start, CONF.reload after the reload */
const dumps = configs.flatMap((c) => [c, `${c}.reload`]);

const why = umlUnavailable();

describe.skipIf(skipUnless(why === undefined, `user-mode Linux: ${why}`))('keepalived_check.data beside keepalived 2.2.7 (UML)', () => {
  let run: UmlRun | undefined;
  const everywhereSeen = new Set<string>();
  const identical: string[] = [];

  afterAll(() => {
    process.stdout.write(`check dump oracle: of ${dumps.length} dumps, ${identical.length} identical once normalised but for the 'everywhere' lines\n`);
  });

  it('every known entry names a dump under test and says why', () => {
    expect(configs.length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(known.configs).filter((id) => !dumps.includes(id))).toEqual([]);
    for (const d of [...known.everywhere, ...Object.values(known.configs).flatMap((c) => c.differences ?? [])]) {
      expect(d.lines.length > 0 && d.lines.every((l) => /^[-+] /.test(l)), JSON.stringify(d)).toBe(true);
      expect(['semantics', 'unsupported', 'deliberate'], JSON.stringify(d)).toContain(d.kind);
      expect(d.why.length > 20 && d.owner.length > 0, JSON.stringify(d)).toBe(true);
      if (d.kind === 'semantics') expect(d.keepalived, `${d.why}: where keepalived decides it`).toMatch(/\S+:\S+/);
    }
  });

  it('runs keepalived 2.2.7 and keepalived-ts on every configuration in one guest', { timeout: 700_000 }, async () => {
    run = await runGuestScenario({ script: 'node test/uml/guest/check-dump.mjs', timeoutMs: 330_000 }, 'check-dump');
    const logs = [...run.files.entries()].filter(([n]) => n.endsWith('.log') && !n.startsWith('srv-')).map(([n, t]) => `--- ${n}\n${t.slice(-1500)}`).join('\n');
    expect(run.files.has('done'), describeRun(run, `record:\n${run.files.get('record.json') ?? ''}\n${logs}`)).toBe(true);
  });

  it.each(dumps)('%s', (id) => {
    expect(run, 'the guest did not run').toBeDefined();
    const [conf, phase] = id.split('.') as [string, string | undefined];
    const file = (impl: string): string | undefined => run!.files.get(`${conf}.${impl}.${phase ? `${phase}.` : ''}data`);
    const ka = file('keepalived');
    const kts = file('keepalived-ts');
    const log = (impl: string): string => (run!.files.get(`${conf}.${impl}.log`) ?? '').slice(-2500);
    expect(ka, `keepalived wrote no dump:\n${log('keepalived')}`).toBeDefined();
    expect(kts, `keepalived-ts wrote no dump:\n${log('keepalived-ts')}`).toBeDefined();
    const diff = diffCheckDumps(ka!, kts!);
    for (const l of diff) if (everywhere.has(l)) everywhereSeen.add(l);
    const seen = diff.filter((l) => !everywhere.has(l));
    if (seen.length === 0) identical.push(id);
    const expected = (known.configs[id]?.differences ?? []).flatMap((d) => d.lines);
    expect(minusLines(seen, expected), `differences not in ${KNOWN} (fix them, or list them with the reason):\n${diff.join('\n')}`).toEqual([]);
    expect(minusLines(expected, seen), `listed in ${KNOWN} but no longer seen (remove them):\n${diff.join('\n')}`).toEqual([]);
  });

  it('every line listed for every configuration was seen in some dump', () => {
    expect(run, 'the guest did not run').toBeDefined();
    expect([...everywhere].filter((l) => !everywhereSeen.has(l))).toEqual([]);
  });

  it('the comparison covers what keepalived 2.2.7 writes: each checker type, groups, tunnels, SSL, track files, a reload', () => {
    expect(run, 'the guest did not run').toBeDefined();
    const all = configs.map((c) => run!.files.get(`${c}.keepalived.data`) ?? '').join('\n');
    for (const t of ['TCP_CHECK', 'HTTP_GET, http protocol 1.1', 'SSL_GET, http protocol 1.0', 'MISC_CHECK', 'SMTP_CHECK', 'DNS_CHECK', 'UDP_CHECK', 'PING_CHECK', 'FILE_CHECK']) {
      expect(all).toContain(`   Keepalive method = ${t}`);
    }
    for (const line of [
      ' Virtual Server Group = G1, IPv4 = yes, IPv6 = no', '   FWMARK = 8 IPv4', '   VIP Range = 10.9.0.20-10.9.0.22, VPORT = 80',
      '   forwarding method = TUN, type = GUE, port = 6080, no checksum', '   forwarding method = TUN, type = GRE, checksum',
      '   sorry server (duplicates rs) = [10.9.1.2]:sctp:80', ' Using autogen SSL context', ' Password : secret',
      '     [10.9.0.1]:tcp:80 -> [10.9.1.2]:tcp:80, weight 1', '   Enabled = no', '   Last status = 3', '   Current weight = 4',
    ]) expect(all).toContain(line);
    const reloaded = run!.files.get('every-checker.keepalived.reload.data') ?? '';
    expect(reloaded).toContain('   reloaded = 1');
    expect(reloaded).toContain('   previous effective_weight = 4');
  });
});
