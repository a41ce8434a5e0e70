// docs/semantics.md, the table of keepalived 2.2.7's configuration semantics, checked both
// ways against the code: every row tagged in src/config is in the table and every row of the
// table is tagged in the code; every row has a test; a row's fixture completes with the row
// reported in keepalived's words and class, and with its `# kts: effect` lines true of the
// completed configuration. (test/netns/config-oracle.test.ts checks the same fixtures and
// words against the real keepalived.)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { hostMachine } from '../../../src/io/host-machine.js';
import { fakeMachine, TmpDir } from './helpers.js';

const FIXTURES = 'test/fixtures/config';

interface Row {
  readonly id: string;
  readonly cls: string;
  readonly says: string;
  readonly test: string;
}

function tableRows(): Row[] {
  const rows: Row[] = [];
  for (const line of readFileSync('docs/semantics.md', 'utf8').split('\n')) {
    const cells = line.split(' | ').map((c) => c.replace(/^\| ?| ?\|$/g, '').trim());
    if (cells.length !== 8 || !/^[a-z]+\.[a-z0-9-]+$/.test(cells[0]!)) continue;
    rows.push({ id: cells[0]!, cls: cells[3]!, says: cells[4]!, test: cells[7]! });
  }
  return rows;
}

/** Row ids the code tags: `row: 'id'`, the completion helpers' first argument, `// row: id`. */
function codeRows(): Set<string> {
  const ids = new Set<string>();
  const files = ['src/config', 'src/vrrp'].flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f)));
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const re of [
      /\brow: '([a-z]+\.[a-z0-9-]+)'/g,
      /\b(?:report\(c, |drop\(|say\()'([a-z]+\.[a-z0-9-]+)'/g,
      /\bpick\([^\n]*?'([a-z]+\.[a-z0-9-]+)'/g,
      /\/\/ row: ([a-z]+\.[a-z0-9-]+)/g,
    ]) {
      for (const m of text.matchAll(re)) ids.add(m[1]!);
    }
  }
  return ids;
}

/** `# kts: row` and `# kts: effect` lines of a fixture. */
function annotations(path: string): { rows: string[]; effects: string[] } {
  const text = readFileSync(path, 'utf8');
  return {
    rows: [...text.matchAll(/^# kts: row (\S+)$/gm)].map((m) => m[1]!),
    effects: [...text.matchAll(/^# kts: effect (.+)$/gm)].map((m) => m[1]!),
  };
}

function valueAt(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const part of path.split('.')) {
    if (cur === undefined || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function parseValue(text: string): unknown {
  if (text === 'undefined') return undefined;
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^-?[0-9]+$/.test(text)) return Number(text);
  return text;
}

const rows = tableRows();
const byId = new Map(rows.map((r) => [r.id, r]));
const fixtures = rows.filter((r) => !r.test.startsWith('unit:'));

describe('docs/semantics.md', () => {
  it('has rows, each once', () => {
    expect(rows.length).toBeGreaterThan(60);
    expect(byId.size).toBe(rows.length);
  });

  it('names every row the code tags, and the code tags every row it names', () => {
    const code = codeRows();
    expect([...code].filter((id) => !byId.has(id)).sort(), 'tagged in src/config or src/vrrp, missing from docs/semantics.md').toEqual([]);
    expect(rows.map((r) => r.id).filter((id) => !code.has(id)), 'in docs/semantics.md, tagged nowhere in src/config or src/vrrp').toEqual([]);
  });

  it('gives every row a test: a fixture naming it, or a unit test mentioning it', () => {
    for (const r of rows) {
      if (r.test.startsWith('unit:')) {
        const file = join('test/unit/config', r.test.slice('unit:'.length).trim());
        expect(existsSync(file), `${r.id}: ${file}`).toBe(true);
        expect(readFileSync(file, 'utf8').includes(`'${r.id}'`), `${r.id} is not mentioned in ${file}`).toBe(true);
      } else {
        const file = join(FIXTURES, r.test);
        expect(existsSync(file), `${r.id}: ${file}`).toBe(true);
        expect(annotations(file).rows, `${file} has no '# kts: row ${r.id}'`).toContain(r.id);
      }
    }
  });
});

/** The `-t` oracle namespace's links: ARPHRD type and IFF_MULTICAST. */
const ORACLE_LINKS = new Map<string, { hwType: number; multicast: boolean }>([
  ['lo', { hwType: 772, multicast: false }], ['eth0', { hwType: 1, multicast: true }], ['eth1', { hwType: 1, multicast: true }],
  ['eth2', { hwType: 1, multicast: true }], ['nomc0', { hwType: 1, multicast: false }], ['tun0', { hwType: 65534, multicast: true }],
]);

describe('each row fixture: reported in keepalived\'s words and class, with the effects it states', () => {
  const files = [...new Set(fixtures.map((r) => join(FIXTURES, r.test)))];
  for (const file of files) {
    it(file.slice(FIXTURES.length + 1), () => {
      const { rows: ids, effects } = annotations(file);
      // this machine's users and files (a fixture may name a script that is not there), the
      // `-t` oracle's interfaces (test/netns/config-oracle.test.ts createNamespace)
      const r = loadConfig(file, { machine: { ...hostMachine(), interfaceExists: (n) => ORACLE_LINKS.has(n), isLoopback: (n) => n === 'lo', linkKind: (n) => ORACLE_LINKS.get(n) } });
      for (const id of ids) {
        const row = byId.get(id);
        expect(row, `${file}: row ${id} is not in docs/semantics.md`).toBeDefined();
        if (!/^[A-Z_]+$/.test(row!.cls)) continue; // a silent default or a start-up log line
        const hit = r.diagnostics.list.find((d) => d.row === id);
        expect(hit, `${file}: nothing reported for ${id}`).toBeDefined();
        expect(hit!.kaClass, `${id}: class`).toBe(row!.cls);
        expect(hit!.message.startsWith(row!.says), `${id}: '${hit!.message}' does not start with keepalived's '${row!.says}'`).toBe(true);
      }
      for (const e of effects) {
        const eq = e.indexOf('=');
        expect(valueAt(r.config, e.slice(0, eq)), `${file}: ${e}`).toEqual(parseValue(e.slice(eq + 1)));
      }
    });
  }
});

describe('silent defaults (rows with a unit test)', () => {
  const tmp = new TmpDir();
  afterAll(() => tmp.cleanup());
  const load = (text: string) => loadConfig(tmp.conf(text), { machine: fakeMachine() });
  const inst = (body: string, name = 'VI_1'): string =>
    `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${name === 'VI_1' ? 51 : 52}\n  priority 100\n${body}  virtual_ipaddress {\n    10.0.0.1/24\n  }\n}\n`;

  it("'vrrp.smtp-alert-inherit': the instance's, else smtp_alert_vrrp, else smtp_alert, else off", () => {
    expect(load(inst('')).config.vrrpInstances[0]!.smtpAlert).toBe(false);
    expect(load(`global_defs {\n  smtp_alert\n}\n${inst('')}`).config.vrrpInstances[0]!.smtpAlert).toBe(true);
    expect(load(`global_defs {\n  smtp_alert\n  smtp_alert_vrrp false\n}\n${inst('')}`).config.vrrpInstances[0]!.smtpAlert).toBe(false);
    expect(load(`global_defs {\n  smtp_alert_vrrp false\n}\n${inst('  smtp_alert\n')}`).config.vrrpInstances[0]!.smtpAlert).toBe(true);
  });

  it("'vrrp.notify-priority-changes-inherit': the instance's, else its sync group's, else the global one", () => {
    const groups = 'vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n  notify_priority_changes\n}\n';
    const c = load(`global_defs {\n  vrrp_notify_priority_changes false\n}\n${inst('')}${inst('  notify_priority_changes false\n', 'VI_2')}${groups}`).config;
    expect(c.vrrpInstances.map((i) => i.notifyPriorityChanges)).toEqual([true, false]);
    expect(load(`global_defs {\n  vrrp_notify_priority_changes\n}\n${inst('')}`).config.vrrpInstances[0]!.notifyPriorityChanges).toBe(true);
  });

  it("'vrrp.track-src-ip-cleared': track_src_ip needs a configured source address", () => {
    expect(load(inst('  track_src_ip\n')).config.vrrpInstances[0]!.trackSrcIp).toBe(false);
    expect(load(inst('  track_src_ip\n  mcast_src_ip 10.0.0.5\n')).config.vrrpInstances[0]!.trackSrcIp).toBe(true);
  });

  it("'global.min-garp' and 'global.garp-lower-prio-default': the GARP settings an instance inherits", () => {
    const plain = load(inst('')).config.vrrpInstances[0]!;
    expect([plain.garpMasterRepeat, plain.garpMasterDelayMs, plain.garpLowerPrioRepeat, plain.garpLowerPrioDelayMs]).toEqual([5, 5000, 5, 5000]);
    const min = load(`global_defs {\n  vrrp_min_garp\n}\n${inst('')}`).config.vrrpInstances[0]!;
    expect([min.garpMasterRepeat, min.garpMasterDelayMs, min.garpMasterRefreshRepeat, min.garpLowerPrioRepeat]).toEqual([1, 0, 0, 1]);
    const set = load(`global_defs {\n  vrrp_min_garp\n  vrrp_garp_master_repeat 3\n}\n${inst('')}`).config.vrrpInstances[0]!;
    expect(set.garpMasterRepeat).toBe(3);
  });

  it("'lvs.smtp-alert-inherit': smtp_alert_checker, else smtp_alert, else off", () => {
    const vs = 'virtual_server 10.0.0.1 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server 10.0.0.2 80 {\n  }\n}\n';
    expect(load(vs).config.virtualServers[0]!.smtpAlert).toBe(false);
    expect(load(`global_defs {\n  smtp_alert\n}\n${vs}`).config.virtualServers[0]!.smtpAlert).toBe(true);
    expect(load(`global_defs {\n  smtp_alert\n  smtp_alert_checker false\n}\n${vs}`).config.virtualServers[0]!.smtpAlert).toBe(false);
  });

  it("'vrrp.track-script-insecure' and 'script.insecure-disabled': an error for a track script, advice for a notify script", () => {
    const insecure = fakeMachine({ scriptStatus: () => 'insecure' });
    const text = `global_defs {\n  enable_script_security\n  script_user root\n}\nvrrp_script chk {\n  script /x/check.sh\n}\n${inst('  track_script {\n    chk\n  }\n  notify_master /x/notify.sh\n')}`;
    const r = loadConfig(tmp.conf(text), { machine: insecure });
    const track = r.diagnostics.list.find((d) => d.row === 'vrrp.track-script-insecure');
    expect([track?.kaClass, track?.message.startsWith('Disabling track script chk due to insecure')]).toEqual(['GENERAL_ERROR', true]);
    const notify = r.diagnostics.list.find((d) => d.row === 'script.insecure-disabled');
    expect([notify?.kaClass, notify?.advisory]).toEqual(['OK', true]);
  });
});
