// The checker side's SNMP (src/daemon/check-snmp.ts, src/snmp/check-mib.ts): the fixture
// configuration run by the checker engine to the state keepalived 2.2.7 was walked in (the
// real servers 10.9.1.2 and 10.9.1.3 failing, every other one answering), its MIB against that
// walk, and its notifications (start, the failures, the stop) against those keepalived sent
// (test/fixtures/snmp/check-*-keepalived-2.2.7.txt, taken by test/uml/guest/check-snmp.mjs).
// The same comparison against the live keepalived runs in test/uml/check-snmp.test.ts.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckerEngine } from '../../../src/check/engine.js';
import type { CheckEffect, ProbePlan } from '../../../src/check/types.js';
import { loadConfig } from '../../../src/config/load.js';
import type { CheckDumpView } from '../../../src/daemon/check-view.js';
import { checkSnapshot, checkSnmpWanted, trapOf } from '../../../src/daemon/check-snmp.js';
import type { StateTrap } from '../../../src/daemon/check-daemon.js';
import { snmpGlobals, snmpSelection } from '../../../src/daemon/vrrp-snmp.js';
import { sumCounters } from '../../../src/ipvs/counters.js';
import { compareOid, parseOid, type Varbind } from '../../../src/snmp/agentx.js';
import { buildCheckMib, weightTarget, type CheckMibStats } from '../../../src/snmp/check-mib.js';
import { globalVarbinds } from '../../../src/snmp/vrrp-mib.js';
import { fakeMachine, TmpDir } from '../config/helpers.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

const hex = (b: Uint8Array): string => `Hex-STRING: ${Array.from(b).map((c) => c.toString(16).toUpperCase().padStart(2, '0')).join(' ')} `;
/** a value as snmpwalk / snmptrapd -On print it (counters masked) */
function value(v: Varbind['value']): string {
  switch (v.type) {
    case 'integer': return `INTEGER: ${v.value}`;
    case 'gauge32': return `Gauge32: ${v.value}`;
    case 'counter32': return 'Counter32: N';
    case 'counter64': return 'Counter64: N';
    case 'oid': return `OID: .${v.value.join('.')}`;
    case 'octets': return v.value.length === 0 ? '""' : Array.from(v.value).every((c) => c >= 0x20 && c < 0x7f) ? `STRING: "${new TextDecoder().decode(v.value)}"` : hex(v.value);
    default: return v.type;
  }
}
const line = (v: Varbind): string => `.${v.oid.join('.')} = ${value(v.value)}`;
const masked = (l: string): string => l.replace(/= Counter(32|64): [^\t]*/g, '= Counter$1: N');

/** '/bin/true' as keepalived resolves it on Debian */
const host = { resolveScript: (s: { argv: readonly string[] }) => ({ argv: [s.argv[0]!.replace(/^\/bin\//, '/usr/bin/'), ...s.argv.slice(1)], uid: 0, gid: 0, refused: false }) };

/** 10.9.1.3 never answers; 10.9.1.2 stops answering after 10 s (the guest kills its server) */
const answers = (host: string, now: number): boolean => host !== '10.9.1.3' && !(host === '10.9.1.2' && now >= 10_000);

/** The fixture configuration's checker engine, started and run until every checker has answered twice. */
function run(): { view: CheckDumpView; traps: StateTrap[]; engine: CheckerEngine } {
  const file = tmp.conf(readFileSync('test/fixtures/snmp/check.conf', 'utf8'));
  const r = loadConfig(file, { configId: 'lb1', machine: fakeMachine(), displayBase: file.replace(/\/keepalived\.conf$/, '') });
  const engine = new CheckerEngine(r.config, { random: () => 0, stateTraps: true });
  const effects: CheckEffect[] = [];
  const running = new Map<number, ProbePlan>();
  let now = 0;
  let deadline: number | undefined;
  const input = (i: Parameters<CheckerEngine['handle']>[1]): void => {
    const step = engine.handle(now, i);
    for (const e of step.effects) if (e.type === 'runProbe') running.set(e.probeId, e.plan);
    effects.push(...step.effects);
    deadline = step.deadline;
  };
  input({ type: 'start' });
  // ha_suspend: the address of the fourth virtual server is here
  input({ type: 'vipPresent', vs: engine.virtualServers[3]!.key, present: true });
  while (now < 20_000) {
    for (const [id, plan] of [...running]) {
      running.delete(id);
      input({ type: 'probeResult', probeId: id, ok: answers(plan.conn.host, now) });
    }
    if (deadline === undefined) break;
    now = Math.max(now, deadline);
    input({ type: 'tick' });
  }
  const view: CheckDumpView = { config: r.config, engine, serviceUp: () => true, host };
  return { view, engine, traps: effects.filter((e): e is StateTrap => e.type === 'stateTrap') };
}

const byOid = (a: string, b: string): number => compareOid(parseOid(a.split(' = ')[0]!), parseOid(b.split(' = ')[0]!));

describe('the checker process as SNMP', () => {
  it('shows what keepalived 2.2.7 showed for the same configuration and state', () => {
    const { view } = run();
    const ours = [...globalVarbinds(snmpGlobals(view.config, 'host')), ...buildCheckMib(checkSnapshot(view, undefined))].map(line);
    // built in OID order (the session's view is not sorted again)
    expect(ours).toEqual([...ours].sort(byOid));
    const theirs = readFileSync('test/fixtures/snmp/check-walk-keepalived-2.2.7.txt', 'utf8').split('\n').filter(Boolean).map(masked).sort(byOid);
    // what the walk is about: groups, every kind of virtual server, the sorry server's row, tunnels, names, the failure
    for (const l of [
      '.1.3.6.1.4.1.9586.100.5.3.2.1.7.1.1 = Hex-STRING: 0A 09 00 16 ', '.1.3.6.1.4.1.9586.100.5.3.3.1.23.1 = INTEGER: 2',
      '.1.3.6.1.4.1.9586.100.5.3.4.1.2.1.1 = INTEGER: 2', '.1.3.6.1.4.1.9586.100.5.3.3.1.69.2 = Gauge32: 6080', '.1.3.6.1.4.1.9586.100.5.3.4.1.55.1.2 = STRING: "web-a"',
      '.1.3.6.1.4.1.9586.100.5.3.4.1.6.1.2 = INTEGER: 2', '.1.3.6.1.4.1.9586.100.5.3.7.1.0 = INTEGER: 900',
    ]) expect(theirs).toContain(l);
    expect(ours.filter((l, i) => l !== theirs[i])).toEqual([]);
    expect(ours).toHaveLength(theirs.length);
  });

  it('sends the notifications keepalived 2.2.7 sent: at start, as real servers fail, at stop', () => {
    const { view, traps, engine } = run();
    const step = engine.handle(30_000, { type: 'shutdown' });
    traps.push(...step.effects.filter((e): e is StateTrap => e.type === 'stateTrap'));
    const ours = traps.map((t) => trapOf(t, view, 'host')!.map(line).join('\t'));
    const theirs = readFileSync('test/fixtures/snmp/check-traps-keepalived-2.2.7.txt', 'utf8').split('\n').filter(Boolean);
    // the same notifications; their order only differs between virtual servers (checks of two
    // services finish in either order), never for one
    expect([...ours].sort()).toEqual([...theirs].sort());
    const service = (t: string): string => t.split('\t').filter((v) => /\.3\.3\.1\.[2-7] = /.test(v)).join('\t');
    const perService = (ts: readonly string[]): Map<string, string[]> => {
      const m = new Map<string, string[]>();
      for (const t of ts) m.set(service(t), [...(m.get(service(t)) ?? []), t]);
      return m;
    };
    expect(perService(ours)).toEqual(perService(theirs));
  });

  it('sends none when SNMP is off (the engine emits no stateTrap)', () => {
    const file = tmp.conf(readFileSync('test/fixtures/snmp/check.conf', 'utf8'));
    const r = loadConfig(file, { configId: 'lb1', machine: fakeMachine(), displayBase: file.replace(/\/keepalived\.conf$/, '') });
    const step = new CheckerEngine(r.config, { random: () => 0 }).handle(0, { type: 'start' });
    expect(step.effects.some((e) => e.type === 'stateTrap')).toBe(false);
  });
});

describe('which process serves what', () => {
  const cfg = (globals: string): Parameters<typeof snmpSelection>[0] => {
    const file = tmp.conf(`global_defs {\n${globals}\n}\nvirtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.1.1 80 {\n  }\n}\n`);
    return loadConfig(file, { configId: 'lb1', machine: fakeMachine() }).config;
  };

  it('the checker serves its MIB with enable_snmp_checker or -x, and then the global scalars', () => {
    expect(checkSnmpWanted(cfg(''), {})).toBe(false);
    expect(checkSnmpWanted(cfg('  enable_snmp_checker'), {})).toBe(true);
    expect(checkSnmpWanted(cfg(''), { snmp: true })).toBe(true);
    // keepalived's vrrp_handles_global_oid: the VRRP process keeps them only without the checker's SNMP
    expect(snmpSelection(cfg('  enable_snmp_vrrp\n  enable_snmp_checker'), {}, true)?.global).toBe(false);
    expect(snmpSelection(cfg('  enable_snmp_vrrp\n  enable_snmp_checker'), {}, false)?.global).toBe(true);
    expect(snmpSelection(cfg('  enable_snmp_vrrp'), {}, true)?.global).toBe(true);
    expect(snmpSelection(cfg(''), { snmp: true }, true)?.global).toBe(false);
  });
});

describe('IPVS counters', () => {
  const c = (n: bigint): CheckMibStats => ({ conns: n, inpkts: n, outpkts: n, inbytes: n, outbytes: n, cps: n, inpps: n, outpps: n, inbps: n, outbps: n });
  const d = (n: bigint, conns: number) => ({ ...c(n), activeConns: conns, inactConns: conns, persistConns: conns });

  it('a group\'s services are summed, and a destination in several of them too', () => {
    const sum = sumCounters([
      { stats: c(1n), dests: new Map([['a', d(2n, 1)]]) },
      { stats: c(10n), dests: new Map([['a', d(3n, 2)], ['b', d(5n, 0)]]) },
    ]);
    expect(sum.stats.inbytes).toBe(11n);
    expect(sum.dests.get('a')).toMatchObject({ conns: 5n, activeConns: 3 });
    expect(sum.dests.get('b')?.outbps).toBe(5n);
  });

  it('the MIB shows them, the 64-bit rates split in two 32-bit halves', () => {
    const { view } = run();
    const big = 0x1_0000_0005n;
    const counters = view.config.virtualServers.map(() => ({ stats: c(big), dests: new Map() }));
    const mib = buildCheckMib(checkSnapshot(view, counters)).map(line);
    expect(mib).toContain('.1.3.6.1.4.1.9586.100.5.3.3.1.27.1 = Gauge32: 5');
    expect(mib).toContain('.1.3.6.1.4.1.9586.100.5.3.3.1.41.1 = Gauge32: 5');
    expect(mib).toContain('.1.3.6.1.4.1.9586.100.5.3.3.1.42.1 = Gauge32: 1');
    // a destination the kernel did not list shows zeros
    expect(mib).toContain('.1.3.6.1.4.1.9586.100.5.3.4.1.15.1.2 = Gauge32: 0');
  });
});

describe('realServerWeight written', () => {
  const rows = [{ sorry: true, reals: 2 }, { sorry: false, reals: 1 }];
  const col = [1, 3, 6, 1, 4, 1, 9586, 100, 5, 3, 4, 1, 7];

  it('names a real server by its row (the sorry server, first, is not one); nothing else', () => {
    expect(weightTarget([...col, 1, 2], rows)).toEqual({ vs: 0, rs: 0 });
    expect(weightTarget([...col, 1, 3], rows)).toEqual({ vs: 0, rs: 1 });
    expect(weightTarget([...col, 2, 1], rows)).toEqual({ vs: 1, rs: 0 });
    expect(weightTarget([...col, 1, 1], rows)).toBeUndefined();
    expect(weightTarget([...col, 1, 4], rows)).toBeUndefined();
    expect(weightTarget([...col, 3, 1], rows)).toBeUndefined();
    expect(weightTarget([1, 3, 6, 1, 4, 1, 9586, 100, 5, 3, 4, 1, 6, 1, 2], rows)).toBeUndefined();
  });
});
