// Robustness of the whole pipeline on broken input: every good fixture without `include`,
// mutated at random (a character deleted, a syntax character, newline or word inserted, a line
// duplicated, two lines swapped, the file truncated), then loaded. loadConfig must never throw,
// every diagnostic must carry a catalogued code, and every diagnostic that counts (kaClass not
// 'OK') must say where: file, line >= 1, col >= 1, on a line that exists in that file.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { KA_CLASSES } from '../../../src/config/diagnostics.js';
import { loadConfig } from '../../../src/config/load.js';
import { ERROR_CODES } from '../../../src/errors/index.js';
import { fakeMachine, TmpDir } from './helpers.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

const GOOD = join(process.cwd(), 'test/fixtures/config/good');
// Fixtures that include other files are left out: a mutant would need its include targets
// copied beside it. None of the kept fixtures contains the word at all, and no mutation inserts
// it, so no mutant can read any file but itself.
const fixtures = readdirSync(GOOD)
  .filter((f) => f.endsWith('.conf'))
  .sort()
  .map((name) => ({ name, text: readFileSync(join(GOOD, name), 'latin1') }))
  .filter((f) => !f.text.includes('include'));

/**
 * Diagnostics that legitimately have no place: keepalived's one-line summary after every
 * missing interface was reported at its own word (validate.ts checkInterfaces). Each
 * interface is reported with its location first; this line only sets the BAD_IF class.
 */
const UNPLACED = new Set(['non-existent interface specified in configuration']);

const WORDS = ['vrrp_instance', 'virtual_server', 'real_server', 'priority', 'state', 'MASTER', '300', '-1', 'eth9', '10.0.0.1/24', 'fe80::1', '$X=1', '$X', '${X}', '@lb1', '~SEQ(i,2)', '~LST(v,a)', '"', 'notify_master', 'global_defs', 'track_script', 'weight'];
const CHARS = ['{', '}', '"', '#', '!', '$', '@', '~', '\\', '\n'];

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'duplicate'; line: number }
  | { kind: 'swap'; line: number; other: number }
  | { kind: 'truncate'; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...CHARS) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...WORDS).map((w) => ` ${w} `) }),
  fc.record({ kind: fc.constant('duplicate' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), line: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(text: string, m: Mutation): string {
  const n = Math.max(1, text.length);
  switch (m.kind) {
    case 'delete':
      return text.slice(0, m.at % n) + text.slice((m.at % n) + 1);
    case 'insert':
      return text.slice(0, m.at % (text.length + 1)) + m.text + text.slice(m.at % (text.length + 1));
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
    case 'duplicate': {
      const lines = text.split('\n');
      const i = m.line % lines.length;
      lines.splice(i, 0, lines[i]!);
      return lines.join('\n');
    }
    case 'swap': {
      const lines = text.split('\n');
      const i = m.line % lines.length;
      const j = m.other % lines.length;
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join('\n');
    }
  }
}

describe('mutated good fixtures', () => {
  it('keeps enough fixtures to mean something', () => {
    expect(fixtures.length).toBeGreaterThan(50);
  });

  it('never throw; catalogued codes; every counting diagnostic has a real place', () => {
    const dir = tmp.tree({});
    const file = join(dir, 'mutant.conf');
    const machine = fakeMachine({ interfaceExists: (n) => ['lo', 'eth0', 'eth1', 'eth2'].includes(n) });
    const codes = new Set<string>(ERROR_CODES);
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (fx, ms) => {
        const text = ms.reduce(mutate, fx.text);
        writeFileSync(file, text, 'latin1');
        const r = loadConfig(file, { configId: 'lb1', machine, displayBase: dir, random: () => 0.5 });
        const physical = text.split('\n');
        for (const d of r.diagnostics.list) {
          expect(codes.has(d.code), `${d.code}: ${d.message}`).toBe(true);
          expect(KA_CLASSES).toContain(d.kaClass);
          if (d.kaClass === 'OK' || UNPLACED.has(d.message)) continue;
          expect(d.loc, `no place for [${d.code}] ${d.message}`).toBeDefined();
          const { file: f, line, col } = d.loc!;
          expect(f).toBe('mutant.conf');
          expect(line).toBeGreaterThanOrEqual(1);
          expect(line).toBeLessThanOrEqual(physical.length);
          expect(col).toBeGreaterThanOrEqual(1);
          expect(col, `[${d.code}] ${d.message} at ${line}:${col} of ${JSON.stringify(physical[line - 1])}`).toBeLessThanOrEqual(physical[line - 1]!.length + 1);
        }
        expect([0, 2, 4, 5, 6]).toContain(r.diagnostics.configTestExitCode());
      }),
      { numRuns: 300 },
    );
  });

  it('the unplaced summary really comes with placed reports of each interface', () => {
    const file = tmp.conf('vrrp_instance V {\n  interface eth9\n  virtual_router_id 1\n  virtual_ipaddress {\n    10.0.0.1/24\n  }\n}\n');
    const list = loadConfig(file, { configId: 'lb1', machine: fakeMachine() }).diagnostics.list;
    const summary = list.filter((d) => UNPLACED.has(d.message));
    expect(summary).toHaveLength(1);
    expect(summary[0]!.loc).toBeUndefined();
    expect(list.filter((d) => d.code === 'CONFIG_INTERFACE' && d.loc).map((d) => [d.loc!.line, d.loc!.col])).toEqual([[2, 13]]);
  });

  // Found by the property above. A block whose opening keyword is refused (bad or missing
  // argument, duplicate name) and has no '{' after it is not skipped (keepalived's skip_block
  // only skips a braced block): its keywords still run, on a throwaway draft, and used to
  // crash on the draft's missing lists (TypeError: Cannot read properties of undefined).
  // (a bare `real_server` now ends the parse, exit 2, as keepalived's does: lib/parser.c null_strvec)
  it.each([
    ['real_server without address, then a checker', 'virtual_server 10.1.0.1 80 {\n  protocol TCP\n  real_server# 10.0.1.5 80 {\n    UDP_CHECK {\n    }\n  }\n}\n', 2, 'MISSING_PARAMETER'],
    ['bad virtual_server address, then scheduler flags and a real_server', 'virtual_server 10.0.0.300 80\n  ops\n  real_server 10.2.0.1 80 {\n  }\n}\n', 5, 'MISSING_BOB'],
    ['duplicate sync group without a brace, then its group block', 'vrrp_sync_group G {\n}\nvrrp_sync_group G\n  group {\n    VI_1\n  }\n', 5, 'MISSING_BOB'],
  ])('regression: %s loads without throwing', (_name, text, exit, cls) => {
    const r = loadConfig(tmp.conf(text), { configId: 'lb1', machine: fakeMachine() });
    expect(r.diagnostics.configTestExitCode()).toBe(exit);
    expect(r.diagnostics.list.some((d) => d.kaClass === cls)).toBe(true);
  });

  // Found by the differential fuzzer (test/netns/config-fuzz.test.ts), keepalived 2.2.7's exit in
  // the third column: a MISC_CHECK's own `user` is its script's user (check_misc.c misc_end_handler
  // looks for a default user only without it); a second `instance` is refused (instance_handler).
  it.each([
    ['misc check with its own user under script security', 'global_defs {\n  enable_script_security\n}\nvirtual_server 10.1.0.1 53 {\n  lb_algo rr\n  lb_kind NAT\n  protocol UDP\n  real_server 10.0.1.5 53 {\n    MISC_CHECK {\n      misc_path "/bin/true --probe"\n      user root\n    }\n  }\n}\n', 0, undefined],
    ['misc check whose user does not exist', 'virtual_server 10.1.0.1 53 {\n  protocol UDP\n  real_server 10.0.1.5 53 {\n    MISC_CHECK {\n      misc_path /bin/true\n      user kts_nobody_here\n    }\n  }\n}\n', 5, 'Failed to set uid/gid for misc checker script \'/bin/true\' - removing'],
    ['instance twice', 'instance a\ninstance b\n', 5, 'Duplicate instance definition b - ignoring'],
  ])('fuzzer finding: %s', (_name, text, exit, message) => {
    const r = loadConfig(tmp.conf(text), { configId: 'lb1', machine: fakeMachine() });
    expect(r.diagnostics.configTestExitCode()).toBe(exit);
    if (message !== undefined) expect(r.diagnostics.list.map((d) => d.message)).toContain(message);
  });
});
