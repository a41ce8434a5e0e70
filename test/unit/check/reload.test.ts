// CheckerEngine reload (reference §f.4, keepalived-issues #16): real servers keep their
// checker results and weights; a failed real server is not re-added until its checker succeeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { probeKey, resolveChecker } from '../../../src/check/units.js';
import { Bench, loadText, rs, tmp, vs } from './harness.js';

afterAll(() => tmp.cleanup());

/**
 * Each test runs twice: the new engine makes its own objects, or takes the old engine's over
 * (what the checker daemon does): the reload must do the same either way.
 */
let takeOver = false;

/** A new Bench on `text` that takes over `b`'s engine at b.now. */
function reload(b: Bench, text: string, random?: () => number): Bench {
  const n = new Bench(loadText(text), random, takeOver ? b.engine : undefined);
  n.now = b.now;
  n.input({ type: 'reload', previous: b.engine });
  return n;
}

const two = vs(rs('10.0.1.1') + rs('10.0.1.2'));

describe.each([false, true])('checker reload (objects taken over: %s)', (mode) => {
  beforeAll(() => {
    takeOver = mode;
  });

  it("a probe's key is the digest of its JSON without source places, bytes as hex, whatever the kind", () => {
    // units.ts canonical skips its replacer for TCP_CHECK and PING_CHECK plans: the same text
    const cfg = loadText(vs(rs('10.0.1.1', 'TCP_CHECK {\n    }') + rs('10.0.1.2', 'PING_CHECK {\n    }') + rs('10.0.1.3', 'UDP_CHECK {\n      payload 0a0b\n    }') + rs('10.0.1.4', 'MISC_CHECK {\n      misc_path "/bin/true"\n    }')));
    const v = cfg.virtualServers[0]!;
    expect(v.realServers).toHaveLength(4);
    for (const r of v.realServers) {
      const res = resolveChecker(r.checkers[0]!, r, v)!;
      const text = JSON.stringify([res.plans, res.timing, res.warmupMs, res.alpha, res.fastRecovery, res.logAllFailures], (k, x) => (k === 'loc' ? undefined : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x));
      expect(probeKey(res), r.checkers[0]!.type).toBe(createHash('sha256').update(text).digest('base64'));
    }
  });

  it('a failed real server stays out after a reload, and comes back only when its checker succeeds', () => {
    const b = Bench.of(two);
    b.start();
    b.until(b.deadline!);
    b.answer(true, [...b.running.keys()][0]);
    b.answer(false, [...b.running.keys()][0]);
    expect(b.table()).toEqual(['10.0.1.1:80@1']);
    const n = reload(b, two);
    expect(n.table()).toEqual(['10.0.1.1:80@1']);
    // no "Activating healthchecker" and no notify for unchanged checkers
    expect(n.logs()).toEqual([]);
    n.until(n.deadline!);
    n.answer(true);
    expect(n.table()).toEqual(['10.0.1.1:80@1', '10.0.1.2:80@1']);
  });

  it('a real server with several checkers: each carries over its own result, found by its probe', () => {
    // two checkers on other ports, and the real server's own port twice (one probe, two checkers)
    const three = vs(rs('10.0.1.1', 'TCP_CHECK {\n      connect_port 81\n    }\n    TCP_CHECK {\n      connect_port 82\n    }\n    TCP_CHECK {\n    }\n    TCP_CHECK {\n    }') + rs('10.0.1.2'));
    const b = Bench.of(three);
    b.start();
    b.until(b.deadline!);
    const port = (id: number): number | undefined => (b.running.get(id) as { conn?: { port?: number } } | undefined)?.conn?.port;
    // 10.0.1.1's probes on 81 and 80 succeed, on 82 fails; 10.0.1.2's succeeds
    for (const id of [...b.running.keys()]) b.answer(port(id) !== 82, id);
    expect(b.table()).toEqual(['10.0.1.2:80@1']);
    const n = reload(b, three);
    expect(n.table()).toEqual(['10.0.1.2:80@1']);
    const up = (): boolean[] => n.engine.checkers.filter((c) => c.rs.name.includes('10.0.1.1')).map((c) => c.isUp);
    expect(up()).toEqual([true, false, true, true]);
    // the failed checker alone runs again: its success brings the real server back
    n.until(n.deadline!);
    const again = [...n.running.keys()];
    for (const id of again) n.answer(true, id);
    expect(n.table()).toEqual(['10.0.1.1:80@1', '10.0.1.2:80@1']);
    expect(up()).toEqual([true, true, true, true]);
  });

  it('keeps the probe schedule of unchanged checkers', () => {
    const b = Bench.of(two);
    b.start();
    b.step(true);
    const next = b.deadline!;
    b.now += 2000;
    const n = reload(b, two);
    expect(n.deadline).toBe(next);
  });

  it('probes that fell due while the reload read the file are spread over their warmup, not run at once', () => {
    const b = Bench.of(two);
    b.start();
    b.step(true);
    const due = b.deadline!;
    // the reading took longer than a delay_loop: both units are overdue
    b.now = due + 10_000;
    const n = reload(b, two, () => 0.5);
    // warmup defaults to delay_loop (10 s here): half of it, as the random draw says
    expect(n.deadline).toBe(b.now + 5_000);
  });

  it('a probe in flight at the reload runs again at once in the new engine', () => {
    const b = Bench.of(vs(rs('10.0.1.1')));
    b.start();
    b.until(b.deadline!);
    expect(b.running.size).toBe(1);
    const n = reload(b, vs(rs('10.0.1.1')));
    expect(n.deadline).toBe(b.now);
  });

  it('a new real server starts as at start-up; a removed one leaves the table', () => {
    const b = Bench.of(two);
    b.start();
    const n = reload(b, vs(rs('10.0.1.1') + rs('10.0.1.3')));
    expect(n.table()).toEqual(['10.0.1.1:80@1', '10.0.1.3:80@1']);
    expect(n.logs().some((l) => /Activating healthchecker for service \[10\.0\.1\.3\]:tcp:80/.test(l))).toBe(true);
  });

  it('a changed weight applies to a live real server', () => {
    const b = Bench.of(two);
    b.start();
    const n = reload(b, vs(rs('10.0.1.1', undefined, '    weight 5\n') + rs('10.0.1.2')));
    expect(n.table()).toContain('10.0.1.1:80@5');
  });

  it('quorum state carries over: no quorum script runs again', () => {
    const q = vs(rs('10.0.1.1') + rs('10.0.1.2'), '  quorum 2\n  quorum_up "/bin/true up"\n  quorum_down "/bin/true down"\n');
    const b = Bench.of(q);
    b.start();
    expect(b.scripts()).toEqual(['quorum_up /bin/true up']);
    const n = reload(b, q);
    expect(n.scripts()).toEqual([]);
  });

  it('a probe shared by two virtual servers stays one unit with both checkers, one virtual server changed or not', () => {
    const text = (algo: string): string => vs(rs('10.0.1.1')) + vs(rs('10.0.1.1'), '', '10.0.0.2 80').replace('lb_algo rr', `lb_algo ${algo}`);
    for (const algo of ['rr', 'wrr']) {
      const b = Bench.of(text('rr'));
      b.start();
      b.until(b.deadline!);
      b.answer(false, [...b.running.keys()][0]);
      expect(b.engine.stats.units).toBe(1);
      const n = reload(b, text(algo));
      expect(n.engine.stats.units).toBe(1);
      const [c1, c2] = n.engine.checkers;
      expect(c1!.unit).toBe(c2!.unit);
      expect(c1!.unit!.bindings).toEqual([c1, c2]);
      expect([c1!.isUp, c2!.isUp]).toEqual([false, false]);
      expect(n.table('[10.0.0.1]:tcp:80')).toEqual([]);
    }
  });

  it('an HTTP checker starts again at its first URL, with no failed one; a MISC_CHECK keeps its last exit status', () => {
    const http = 'HTTP_GET {\n      url {\n        path /a\n      }\n      url {\n        path /b\n      }\n      retry 0\n    }';
    const text = vs(rs('10.0.1.1', http) + rs('10.0.1.2', 'MISC_CHECK {\n      misc_path /bin/false\n    }'));
    const b = Bench.of(text);
    b.start();
    b.until(b.deadline!);
    for (const [id, p] of [...b.running]) b.answer(p.type === 'MISC_CHECK' ? { ok: false, exitCode: 4 } : { ok: true }, id);
    b.until(b.deadline!);
    b.answer(false);
    const failed = b.engine.checkers.find((c) => c.cfg.type === 'HTTP_GET')!;
    expect([failed.unit!.state.urlIndex, failed.unit!.state.failedUrl]).toEqual([1, 1]);
    const n = reload(b, text);
    const [http2, misc] = [n.engine.checkers.find((c) => c.cfg.type === 'HTTP_GET')!, n.engine.checkers.find((c) => c.cfg.type === 'MISC_CHECK')!];
    expect([http2.isUp, http2.unit!.state.urlIndex, http2.unit!.state.failedUrl]).toEqual([false, 0, -1]);
    expect(misc.last).toBe(4);
    expect(n.engine.virtualServers[0]!.rss.map((r) => [r.reloaded, r.prevEffWeight])).toEqual([[true, 1], [true, 1]]);
  });
});

describe('checker reload, objects taken over', () => {
  it('the same real servers and probes are the old objects; a changed probe or a new real server is made anew', () => {
    const b = Bench.of(vs(rs('10.0.1.1') + rs('10.0.1.2') + rs('10.0.1.3')));
    b.start();
    const [r1, r2] = b.engine.virtualServers[0]!.rss;
    const units = b.engine.checkers.map((c) => c.unit);
    // 10.0.1.2's checker changes (a new probe), 10.0.1.3 goes, 10.0.1.4 comes, 10.0.1.1's weight changes
    const n = new Bench(loadText(vs(rs('10.0.1.1', undefined, '    weight 3\n') + rs('10.0.1.2', 'TCP_CHECK {\n      connect_timeout 7\n    }') + rs('10.0.1.4'))), undefined, b.engine);
    const [n1, n2, n4] = n.engine.virtualServers[0]!.rss;
    expect(n1).toBe(r1);
    expect(n2).toBe(r2);
    expect(n1!.vs).toBe(n.engine.virtualServers[0]);
    expect([n1!.iweight, n1!.effWeight, n1!.prevEffWeight, n1!.reloaded]).toEqual([3, 3, 1, true]);
    expect(n4!.reloaded).toBe(false);
    const [c1, c2] = n.engine.checkers;
    expect(c1!.unit).toBe(units[0]);
    expect(c2!.unit).not.toBe(units[1]);
    expect(n.engine.checkers.map((c) => c.unit!.id)).toEqual([0, 1, 2]);
    n.input({ type: 'reload', previous: b.engine });
    expect(n.table()).toEqual(['10.0.1.1:80@3', '10.0.1.2:80@1', '10.0.1.4:80@1']);
    // the taken-over unit runs when the old engine would have run it; the new ones after the bootstrap delay
    expect(c1!.unit!.heapAt).toBe(b.deadline);
  });

  it('real servers in another order are taken over by name; one at its old place with another port or protocol is another real server', () => {
    const three = rs('10.0.1.1') + rs('10.0.1.2') + rs('10.0.1.3');
    const b = Bench.of(vs(three));
    b.start();
    const [r1, r2, r3] = b.engine.virtualServers[0]!.rss;
    const n = new Bench(loadText(vs(rs('10.0.1.3') + rs('10.0.1.1') + rs('10.0.1.2'))), undefined, b.engine);
    expect(n.engine.virtualServers[0]!.rss).toEqual([r3, r1, r2]);
    expect(n.engine.virtualServers[0]!.rss.every((r, i) => r === [r3, r1, r2][i])).toBe(true);
    const p = new Bench(loadText(vs(three.replace('10.0.1.2 80', '10.0.1.2 81'))), undefined, Bench.of(vs(three)).engine);
    expect(p.engine.virtualServers[0]!.rss.map((r) => [r.reloaded, r.name])).toEqual([
      [true, '[10.0.1.1]:tcp:80'], [false, '[10.0.1.2]:tcp:81'], [true, '[10.0.1.3]:tcp:80'],
    ]);
    // a group's virtual server keeps its key when its protocol changes; its real servers' names change
    const group = (proto: string): string => `virtual_server_group G {\n  10.0.0.1 80\n}\n${vs(three, '', 'group G').replace('protocol TCP', `protocol ${proto}`)}`;
    const u = new Bench(loadText(group('UDP')), undefined, Bench.of(group('TCP')).engine);
    expect(u.engine.virtualServers[0]!.rss.map((r) => [r.reloaded, r.name])).toEqual([
      [false, '[10.0.1.1]:udp:80'], [false, '[10.0.1.2]:udp:80'], [false, '[10.0.1.3]:udp:80'],
    ]);
  });

  it("a probe whose virtual server's or real server's settings changed is made anew, even with its checker written as before", () => {
    const b = Bench.of(two);
    b.start();
    const old = b.engine.checkers.map((c) => c.unit);
    // the virtual server's delay_loop is the probes' period; the first real server's connect_timeout its timeout
    const n = new Bench(loadText(vs(rs('10.0.1.1', undefined, '    connect_timeout 4\n') + rs('10.0.1.2')).replace('delay_loop 10', 'delay_loop 20')), undefined, b.engine);
    expect(n.engine.checkers.map((c) => old.includes(c.unit))).toEqual([false, false]);
    expect(n.engine.checkers.map((c) => c.unit!.timing.delayLoopMs)).toEqual([20_000, 20_000]);
    const m = new Bench(loadText(vs(rs('10.0.1.1', undefined, '    connect_timeout 4\n') + rs('10.0.1.2'))), undefined, Bench.of(two).engine);
    const plans = m.engine.checkers.map((c) => c.unit!.plans[0]);
    expect(plans[0]).not.toEqual(plans[1]);
  });

  it('an engine that took another over starts only with its reload, from that engine', () => {
    const b = Bench.of(two);
    b.start();
    const other = Bench.of(two);
    const n = new Bench(loadText(two), undefined, b.engine);
    expect(() => n.start()).toThrow(/starts with its reload/);
    expect(() => n.input({ type: 'reload', previous: other.engine })).toThrow(/another engine/);
  });
});
