// Config oracle: every fixture in test/fixtures/config/{good,bad} is judged by the real
// keepalived 2.2.7 (`keepalived -t`) and by us (`node dist/src/cli.js -t`), both inside one
// private network namespace holding exactly lo, eth0 (192.168.50.1/24, fe80::1/64),
// eth1 (10.0.1.1/24) and eth2. Exit codes must match (or ours must equal `# kts: rc` where the
// fixture says `# kts: differs`), and every `# kts: error LINE:COL CODE` must appear in our
// stderr as `path:LINE:COL: ... [CODE]`. keepalived's own messages: test/fixtures/config/ORACLE.md.
//
// Needs root (ip netns) and keepalived on PATH; run after `npm run build`.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { skipUnless } from '../helpers/system.js';

const REPO = process.cwd();
const FIXTURES = 'test/fixtures/config';
const CLI = 'dist/src/cli.js';
const isRoot = process.getuid?.() === 0;

interface ExpectedError { path: string; line: number; col: number; code: string }
interface Fixture {
  kind: 'good' | 'bad';
  /** rows of docs/semantics.md the fixture shows (keepalived's words are checked here) */
  rows: string[];
  path: string; // relative to the repo root, exactly as passed to -f
  id?: string;
  errors: ExpectedError[];
  differs?: { reason: string; rc: number };
  note?: string;
}

function readFixture(kind: 'good' | 'bad', file: string): Fixture {
  const path = `${FIXTURES}/${kind}/${file}`;
  const fx: Fixture = { kind, path, errors: [], rows: [] };
  let differsReason: string | undefined;
  let differsRc: number | undefined;
  for (const raw of readFileSync(join(REPO, path), 'utf8').split('\n')) {
    const m = /^# kts: (\w+)\s*(.*?)\s*$/.exec(raw);
    if (!m) continue;
    const [, key, value = ''] = m;
    if (key === 'id') fx.id = value;
    else if (key === 'row') fx.rows.push(value);
    else if (key === 'effect') continue; // checked by test/unit/config/semantics-table.test.ts
    else if (key === 'note') fx.note = value;
    else if (key === 'differs') differsReason = value;
    else if (key === 'rc') differsRc = Number(value);
    else if (key === 'error') {
      const e = /^(?:(inc\/\S+?):)?(\d+):(\d+)\s+(CONFIG_[A-Z_]+)$/.exec(value);
      if (!e) throw new Error(`${path}: malformed '# kts: error ${value}'`);
      fx.errors.push({
        path: e[1] ? `${FIXTURES}/${e[1]}` : path,
        line: Number(e[2]), col: Number(e[3]), code: e[4]!,
      });
    } else throw new Error(`${path}: unknown annotation '# kts: ${key}'`);
  }
  if (differsReason !== undefined || differsRc !== undefined) {
    if (differsReason === undefined || differsRc === undefined || Number.isNaN(differsRc)) {
      throw new Error(`${path}: '# kts: differs' needs both a reason and '# kts: rc N'`);
    }
    fx.differs = { reason: differsReason, rc: differsRc };
  }
  return fx;
}

function listFixtures(kind: 'good' | 'bad'): Fixture[] {
  return readdirSync(join(REPO, FIXTURES, kind))
    .filter((f) => f.endsWith('.conf'))
    .sort()
    .map((f) => readFixture(kind, f));
}

/** docs/semantics.md: row id -> the "keepalived says" column. */
function semanticsWords(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(join(REPO, 'docs/semantics.md'), 'utf8').split('\n')) {
    const cells = line.split(' | ').map((c) => c.replace(/^\| ?| ?\|$/g, '').trim());
    if (cells.length === 8 && /^[a-z]+\.[a-z0-9-]+$/.test(cells[0]!)) out.set(cells[0]!, cells[4]!);
  }
  return out;
}

interface Run { rc: number; stderr: string; stdout: string }

function run(cmd: string, args: string[], timeoutMs = 30_000): Run {
  const r = spawnSync(cmd, args, { cwd: REPO, encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  // A signal-killed child (e.g. timeout) has status null: report it as -1, never as success.
  return { rc: r.status ?? -1, stderr: r.stderr ?? '', stdout: r.stdout ?? '' };
}

function ip(...args: string[]): void {
  const r = run('ip', args);
  if (r.rc !== 0) throw new Error(`ip ${args.join(' ')} failed (${r.rc}): ${r.stderr.trim()}`);
}

const ns = `ktscfg-${process.pid}-${randomBytes(3).toString('hex')}`;
let nsCreated = false;

function deleteNamespace(): void {
  if (!nsCreated) return;
  spawnSync('ip', ['netns', 'del', ns]);
  nsCreated = false;
}

function createNamespace(): void {
  ip('netns', 'add', ns);
  nsCreated = true;
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  for (const ifname of ['eth0', 'eth1', 'eth2']) {
    // Kernels built without the dummy driver get port-less bridges (also ARPHRD_ETHER); the
    // config test only looks interfaces up, it does not care about carrier.
    if (run('ip', ['-n', ns, 'link', 'add', ifname, 'type', 'dummy']).rc !== 0) {
      ip('-n', ns, 'link', 'add', ifname, 'type', 'bridge');
    }
    ip('-n', ns, 'link', 'set', ifname, 'up');
  }
  ip('-n', ns, 'addr', 'add', '192.168.50.1/24', 'dev', 'eth0');
  ip('-n', ns, '-6', 'addr', 'add', 'fe80::1/64', 'dev', 'eth0', 'nodad');
  ip('-n', ns, 'addr', 'add', '10.0.1.1/24', 'dev', 'eth1');
  // links an instance cannot run on (bad/142): one without multicast, one that is not Ethernet
  ip('-n', ns, 'link', 'add', 'nomc0', 'type', 'bridge');
  ip('-n', ns, 'link', 'set', 'nomc0', 'multicast', 'off', 'up');
  ip('netns', 'exec', ns, 'ip', 'tuntap', 'add', 'tun0', 'mode', 'tun');
  ip('-n', ns, 'link', 'set', 'tun0', 'up');
}

function configArgs(path: string, id?: string): string[] {
  return ['-t', '-f', path, ...(id !== undefined ? ['-i', id] : [])];
}

function keepalived(path: string, id?: string): Run {
  return run('ip', ['netns', 'exec', ns, 'keepalived', ...configArgs(path, id)]);
}

function ours(path: string, id?: string): Run {
  return run('ip', ['netns', 'exec', ns, process.execPath, CLI, ...configArgs(path, id)]);
}

function show(who: string, r: Run): string {
  return `${who}: rc=${r.rc}\n${r.stderr.trim() || '(no stderr)'}`;
}

const good = listFixtures('good');
const bad = listFixtures('bad');

describe.skipIf(skipUnless(isRoot, 'root'))('config oracle: keepalived 2.2.7 -t vs keepalived-ts -t', () => {
  beforeAll(() => {
    // Leave nothing behind even if the run is interrupted.
    process.once('exit', deleteNamespace);
    createNamespace();
  });
  afterAll(() => {
    deleteNamespace();
    process.removeListener('exit', deleteNamespace);
  });

  it('has the fixture corpus the issue asks for', () => {
    expect(good.length).toBeGreaterThanOrEqual(60);
    expect(bad.length).toBeGreaterThanOrEqual(40);
    for (const fx of bad) {
      if (fx.differs?.rc === 0) continue; // nothing for us to report
      expect(fx.errors.length, `${fx.path} has no '# kts: error'`).toBeGreaterThan(0);
    }
  });

  describe('good fixtures: both accept (rc 0)', () => {
    for (const fx of good) {
      it(fx.path.slice(FIXTURES.length + 1), () => {
        const k = keepalived(fx.path, fx.id);
        expect(k.rc, `keepalived should accept it\n${show('keepalived', k)}`).toBe(0);
        const o = ours(fx.path, fx.id);
        expect(o.rc, `${show('keepalived-ts', o)}`).toBe(fx.differs ? fx.differs.rc : 0);
      });
    }
  });

  describe('bad fixtures: same rc, errors at the annotated places', () => {
    for (const fx of bad) {
      it(fx.path.slice(FIXTURES.length + 1), () => {
        const k = keepalived(fx.path, fx.id);
        expect(k.rc, `keepalived should reject it\n${show('keepalived', k)}`).not.toBe(0);
        const o = ours(fx.path, fx.id);
        const want = fx.differs ? fx.differs.rc : k.rc;
        const why = fx.differs ? ` (deliberate difference: ${fx.differs.reason})` : '';
        expect(o.rc, `rc must be ${want}${why}\n${show('keepalived', k)}\n${show('keepalived-ts', o)}`)
          .toBe(want);
        const lines = o.stderr.split('\n');
        for (const e of fx.errors) {
          const prefix = `${e.path}:${e.line}:${e.col}:`;
          const hit = lines.some((l) => l.startsWith(prefix) && l.includes(`[${e.code}]`));
          expect(hit, `expected a line '${prefix} ... [${e.code}]'\n${show('keepalived-ts', o)}`).toBe(true);
        }
      });
    }
  });

  describe("docs/semantics.md: keepalived 2.2.7 says what the table says it says", () => {
    const says = semanticsWords();
    for (const fx of [...good, ...bad].filter((f) => f.rows.length > 0)) {
      it(fx.path.slice(FIXTURES.length + 1), () => {
        const k = keepalived(fx.path, fx.id);
        // keepalived prefixes a message with '(FILE: Line N) ' when it knows the line
        const printed = k.stderr.split('\n').map((l) => l.replace(/^\([^)]*Line [0-9]+\) /, ''));
        for (const row of fx.rows) {
          const words = says.get(row);
          expect(words, `row ${row} is not in docs/semantics.md`).toBeDefined();
          if (words === undefined || words.startsWith('(at start)') || words === '—' || words.startsWith('(nothing')) continue;
          expect(printed, `keepalived did not print the table's words for ${row}\n${show('keepalived', k)}`).toContain(words);
        }
      });
    }
  });

  it('missing -f file: keepalived exits 0, we exit 1 (documented deviation)', () => {
    const missing = `${FIXTURES}/does-not-exist-${process.pid}.conf`;
    const k = keepalived(missing);
    expect(k.rc, show('keepalived', k)).toBe(0);
    const o = ours(missing);
    expect(o.rc, show('keepalived-ts', o)).toBe(1);
  });
});
