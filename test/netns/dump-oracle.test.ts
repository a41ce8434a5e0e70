// The effective configuration oracle (issue 16, item 4): on every Debian sample config with
// VRRP instances (read in place from the keepalived package) and every VRRP fixture of
// test/fixtures/config/good, real keepalived 2.2.7 and keepalived-ts run side by side, each in
// a namespace of its own with the same links (src/lab/dump-oracle.ts), and their SIGUSR1 data
// dumps are compared line by line once momentary state is normalised away. Every difference
// that remains must be listed, with its reason, in test/fixtures/dumps/known-differences.json;
// a new one fails, and so does a listed one that is no longer seen (remove it).
//
// Needs root, unshare and keepalived; uses dist/ (run after `npm run build`). About 4 s a config.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareDumps, minusLines as minus } from '../../src/lab/dump-oracle.js';
import { skipUnless } from '../helpers/system.js';

const REPO = process.cwd();
const SAMPLES = '/usr/share/doc/keepalived/samples';
const FIXTURES = 'test/fixtures/config/good';
const KNOWN = 'test/fixtures/dumps/known-differences.json';

type Kind = 'semantics' | 'unsupported' | 'deliberate' | 'format';

interface Difference {
  /** diff lines: "- " only in keepalived's dump, "+ " only in ours (normalised) */
  readonly lines: readonly string[];
  readonly kind: Kind;
  readonly why: string;
  /** who removes it: the config engineer (src/config), the dump formatters, nobody (by design) */
  readonly owner: string;
  /** where keepalived 2.2.7 decides it (file:function), for semantics */
  readonly keepalived?: string;
}

interface ConfigEntry {
  /** not compared, and why (both daemons must still start) */
  readonly notCompared?: string;
  /** keepalived 2.2.7 writes no dump here, and why */
  readonly keepalivedDoesNotRun?: string;
  /** keepalived-ts writes no dump here, and why */
  readonly ktsDoesNotRun?: Omit<Difference, 'lines'>;
  readonly differences?: readonly Difference[];
}

interface KnownDifferences {
  /** differences any config may show (global lines of deliberate defaults) */
  readonly everywhere: readonly Difference[];
  readonly configs: Readonly<Record<string, ConfigEntry>>;
}

const known = JSON.parse(readFileSync(join(REPO, KNOWN), 'utf8')) as KnownDifferences;
const everywhere = new Set(known.everywhere.flatMap((d) => d.lines));

/** The configs under test: id is the key of known-differences.json. */
function configs(): { id: string; file: string; configId?: string }[] {
  const samples = existsSync(SAMPLES)
    ? readdirSync(SAMPLES).filter((f) => /^keepalived\.conf\.(vrrp(\..+)?|track_interface|sample)$/.test(f)).sort().map((f) => join(SAMPLES, f))
    : [];
  const stock = existsSync('/etc/keepalived/keepalived.conf.sample') ? ['/etc/keepalived/keepalived.conf.sample'] : [];
  const fixtures = readdirSync(join(REPO, FIXTURES)).filter((f) => f.endsWith('.conf')).sort()
    .map((f) => `${FIXTURES}/${f}`)
    .filter((f) => /^\s*vrrp_instance\b/m.test(readFileSync(join(REPO, f), 'utf8')));
  return [...samples, ...stock, ...fixtures].map((id) => {
    const configId = /^# kts: id (\S+)/m.exec(readFileSync(id.startsWith('/') ? id : join(REPO, id), 'utf8'))?.[1];
    return { id, file: id.startsWith('/') ? id : join(REPO, id), ...(configId ? { configId } : {}) };
  });
}

const isRoot = process.getuid?.() === 0;
const hasKeepalived = spawnSync('keepalived', ['--version']).status === 0;
const hasUnshare = spawnSync('unshare', ['--version']).status === 0;
const skip = skipUnless(isRoot, 'root') || skipUnless(hasKeepalived, 'keepalived on PATH')
  || skipUnless(hasUnshare, 'unshare (util-linux)') || skipUnless(existsSync(SAMPLES), `the keepalived package's samples (${SAMPLES})`);

describe.skipIf(skip)('effective configuration: keepalived 2.2.7 and keepalived-ts data dumps', () => {
  const list = configs();
  const identical: string[] = [];
  const identicalButEverywhere: string[] = [];
  const compared: string[] = [];

  afterAll(() => {
    process.stdout.write(`dump oracle: of ${compared.length} configs compared, the normalised VRRP dumps are identical on `
      + `${identical.length}, and on ${identicalButEverywhere.length} but for the 'everywhere' lines (keepalived-ts's defaults)\n`);
  });

  it('covers the Debian samples with VRRP instances and the VRRP fixtures; every known entry names a config under test', () => {
    expect(list.filter((c) => c.id.startsWith('/')).length).toBeGreaterThanOrEqual(11);
    expect(list.length).toBeGreaterThanOrEqual(60);
    const ids = new Set(list.map((c) => c.id));
    expect(Object.keys(known.configs).filter((id) => !ids.has(id))).toEqual([]);
    const entries = Object.values(known.configs);
    for (const d of [...known.everywhere, ...entries.flatMap((c) => c.differences ?? [])]) {
      expect(d.lines.length > 0 && d.lines.every((l) => /^[-+] /.test(l)), JSON.stringify(d)).toBe(true);
    }
    for (const d of [...known.everywhere, ...entries.flatMap((c) => [...(c.differences ?? []), ...(c.ktsDoesNotRun ? [c.ktsDoesNotRun] : [])])]) {
      expect(['semantics', 'unsupported', 'deliberate', 'format'], JSON.stringify(d)).toContain(d.kind);
      expect(d.why.length > 20 && d.owner.length > 0, JSON.stringify(d)).toBe(true);
      if (d.kind === 'semantics') expect(d.keepalived, `${d.why}: where keepalived decides it`).toMatch(/\S+:\S+/);
    }
  });

  for (const c of list) {
    const entry = known.configs[c.id] ?? {};
    it(c.id, { timeout: 60_000 }, async () => {
      const r = await compareDumps({ file: c.file, ...(c.configId ? { configId: c.configId } : {}) });
      const logs = `keepalived:\n${r.keepalived.log.slice(-15).join('\n')}\nkeepalived-ts:\n${r.kts.log.slice(-15).join('\n')}`;
      if (entry.keepalivedDoesNotRun) {
        expect(r.keepalived.data, `listed as not run by keepalived (${entry.keepalivedDoesNotRun}), but it wrote a dump`).toBeUndefined();
        expect(r.kts.data, logs).toBeDefined();
        return;
      }
      if (entry.ktsDoesNotRun) {
        expect(r.kts.data, `listed as not run by keepalived-ts (${entry.ktsDoesNotRun.why}), but it wrote a dump`).toBeUndefined();
        expect(r.keepalived.data, logs).toBeDefined();
        return;
      }
      expect(r.keepalived.data, logs).toBeDefined();
      expect(r.kts.data, logs).toBeDefined();
      if (entry.notCompared) return;
      compared.push(c.id);
      if (r.diff.length === 0) identical.push(c.id);
      const expected = (entry.differences ?? []).flatMap((d) => d.lines);
      const seen = r.diff.filter((l) => !everywhere.has(l));
      if (seen.length === 0) identicalButEverywhere.push(c.id);
      const fresh = minus(seen, expected);
      const gone = minus(expected, seen);
      expect(fresh, `differences not in ${KNOWN} (fix them, or list them with the reason):\n${r.diff.join('\n')}`).toEqual([]);
      expect(gone, `listed in ${KNOWN} but no longer seen (remove them):\n${r.diff.join('\n')}`).toEqual([]);
    });
  }
});
