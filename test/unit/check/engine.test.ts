// CheckerEngine on a fake clock: scheduling (bootstrap + warmup, delay_loop, delay_before_retry,
// per-type defaults), retry and the pre-consumed startup budget, alpha, inhibit_on_failure,
// quorum with hysteresis and its scripts, sorry server, misc_dynamic and FILE_CHECK weights,
// probes shared by several virtual servers, ha_suspend, omega — keepalived 2.2.7's rules.
import { afterAll, describe, expect, it } from 'vitest';
import { PROBES_PER_TICK } from '../../../src/check/engine.js';
import { Bench, rs, tmp, vs } from './harness.js';

afterAll(() => tmp.cleanup());

const T = 'TCP_CHECK {\n    }';

describe('scheduling', () => {
  it('first run 1 s + random(0..warmup) after start, then every delay_loop after each result', () => {
    const b = Bench.of(vs(rs('10.0.1.1', T), '  warmup 4\n'), () => 0.5);
    b.start();
    expect(b.deadline).toBe(1000 + 2000);
    b.until(2999);
    expect(b.running.size).toBe(0);
    b.until(3000);
    expect(b.running.size).toBe(1);
    b.now = 3200;
    b.answer(true);
    expect(b.deadline).toBe(3200 + 10_000);
  });

  it('a tick starts at most PROBES_PER_TICK probes; the rest stay due and start on the next ticks', () => {
    // 600 real servers with warmup 0: all due together at the bootstrap second
    const servers = Array.from({ length: 600 }, (_, i) => rs(`10.0.${i >> 7}.${(i & 127) + 1}`, T)).join('');
    const b = Bench.of(vs(servers, '  warmup 0\n'));
    b.start();
    b.now = 1000;
    b.input({ type: 'tick' });
    expect(b.running.size).toBe(PROBES_PER_TICK);
    // still due: the driver ticks again at once, after its I/O
    expect(b.deadline).toBe(1000);
    b.until(1000);
    expect(b.running.size).toBe(600);
    expect(new Set(b.started.map((s) => s.id)).size).toBe(600);
    expect(b.started.every((s) => s.at === 1000)).toBe(true);
  });

  it("a tick's maxProbes starts fewer; the rest stay due", () => {
    const servers = Array.from({ length: 100 }, (_, i) => rs(`10.0.1.${i + 1}`, T)).join('');
    const b = Bench.of(vs(servers, '  warmup 0\n'));
    b.start();
    b.now = 1000;
    b.input({ type: 'tick', maxProbes: 30 });
    expect(b.running.size).toBe(30);
    expect(b.deadline).toBe(1000);
    b.input({ type: 'tick', maxProbes: 30 });
    b.input({ type: 'tick', maxProbes: 30 });
    b.input({ type: 'tick', maxProbes: 30 });
    expect(b.running.size).toBe(100);
    expect(new Set(b.started.map((s) => s.id)).size).toBe(100);
  });

  it('a maxProbes below one (or not a number) is the engine limit, not a tick that starts nothing', () => {
    const servers = Array.from({ length: 300 }, (_, i) => rs(`10.0.${i >> 7}.${(i & 127) + 1}`, T)).join('');
    for (const maxProbes of [0, -5, Number.NaN]) {
      const b = Bench.of(vs(servers, '  warmup 0\n'));
      b.start();
      b.now = 1000;
      b.input({ type: 'tick', maxProbes });
      expect(b.running.size).toBe(PROBES_PER_TICK);
    }
  });

  it('warmup defaults to delay_loop; warmup 0 starts after the bootstrap second', () => {
    const a = Bench.of(vs(rs('10.0.1.1', T)), () => 0.25);
    a.start();
    expect(a.deadline).toBe(1000 + 2500);
    const z = Bench.of(vs(rs('10.0.1.1', T), '  warmup 0\n'), () => 0.99);
    z.start();
    expect(z.deadline).toBe(1000);
  });

  it('the plan carries connect_ip/port, bindto, timeout and fwmark', () => {
    const b = Bench.of(vs(rs('10.0.1.1', 'TCP_CHECK {\n      connect_ip 10.0.9.9\n      connect_port 8080\n      bindto 10.0.0.5\n      bind_port 4000\n      connect_timeout 2\n      fwmark 7\n    }')));
    b.start();
    b.until(20_000);
    expect(b.started[0]!.plan).toEqual({
      type: 'TCP_CHECK', conn: { family: 'inet', host: '10.0.9.9', port: 8080, bindto: '10.0.0.5', bindPort: 4000, timeoutMs: 2000, fwmark: 7 },
    });
  });

  it.each([
    ['TCP_CHECK {\n    }', 1, 1000],
    ['MISC_CHECK {\n      misc_path /bin/true\n    }', 0, 1000],
    ['DNS_CHECK {\n    }', 3, 10_000],
    ['HTTP_GET {\n      url {\n        path /\n      }\n    }', 1, 3000],
    ['UDP_CHECK {\n    }', 1, 1000],
  ])('%s: retry %i, delay_before_retry %i ms by default', (checker, retry, dbr) => {
    const b = Bench.of(vs(rs('10.0.1.1', checker)));
    b.start();
    b.step(true); // up
    let t = b.now;
    for (let i = 0; i < retry; i++) {
      b.step(false);
      expect(b.deadline! - b.now).toBe(dbr);
      expect(b.table()).toEqual(['10.0.1.1:80@1']);
      t = b.now;
    }
    b.step(false);
    expect(b.table()).toEqual([]);
    expect(b.now).toBeGreaterThanOrEqual(t);
  });

  it('VS values default RS values, which default the checker\'s', () => {
    const b = Bench.of(vs(rs('10.0.1.1', 'TCP_CHECK {\n      delay_before_retry 5\n    }', '    retry 2\n'), '  retry 4\n  delay_before_retry 7\n'));
    b.start();
    b.step(true);
    b.step(false);
    expect(b.deadline! - b.now).toBe(5000);
    b.step(false);
    b.step(false); // third failure: retry 2 (RS) used up
    expect(b.table()).toEqual([]);
  });
});

describe('retry and up/down', () => {
  it('startup: the retry budget is used, the first failure removes the real server', () => {
    const b = Bench.of(vs(rs('10.0.1.1', T, '    retry 3\n') + rs('10.0.1.2', T)));
    b.start();
    expect(b.table()).toEqual(['10.0.1.1:80@1', '10.0.1.2:80@1']);
    const from = b.effects.length;
    b.until(20_000);
    b.answer(false, 0);
    expect(b.table()).toEqual(['10.0.1.2:80@1']);
    expect(b.logs(from)).toEqual([
      'TCP_CHECK on service [10.0.1.1]:tcp:80 failed.',
      'Removing service [10.0.1.1]:tcp:80 from VS [10.0.0.1]:tcp:80',
    ]);
    expect(b.effects.slice(from).filter((e) => e.type === 'destsChanged')).toEqual([{ type: 'destsChanged', vs: '[10.0.0.1]:tcp:80' }]);
  });

  it('up: fails only after retry+1 consecutive failures; one success brings it back', () => {
    const b = Bench.of(vs(rs('10.0.1.1', T, '    retry 2\n')));
    b.start();
    b.step(true);
    expect(b.logs()).toContain('TCP connection to [10.0.1.1]:tcp:80 success.');
    b.step(false);
    b.step(false);
    expect(b.table()).toEqual(['10.0.1.1:80@1']);
    b.step(true); // a success in between resets the count
    b.step(false);
    b.step(false);
    expect(b.table()).toEqual(['10.0.1.1:80@1']);
    const from = b.effects.length;
    b.step(false);
    expect(b.table()).toEqual([]);
    expect(b.logs(from)).toContain('TCP_CHECK on service [10.0.1.1]:tcp:80 failed after 2 retries.');
    b.step(true);
    expect(b.table()).toEqual(['10.0.1.1:80@1']);
    expect(b.logs(from)).toContain('Adding service [10.0.1.1]:tcp:80 to VS [10.0.0.1]:tcp:80');
  });

  it('a real server is up only while all its checkers are', () => {
    const b = Bench.of(vs(rs('10.0.1.1', `${T}\n    MISC_CHECK {\n      misc_path /bin/true\n    }`)));
    b.start();
    b.until(20_000);
    const [tcp, misc] = [...b.running.keys()];
    b.answer(false, tcp);
    expect(b.table()).toEqual([]);
    b.answer(true, misc);
    expect(b.table()).toEqual([]);
    b.until(b.deadline!);
    b.answer(true, tcp);
    expect(b.table()).toEqual(['10.0.1.1:80@1']);
  });

  it('a real server without checkers is always in the table', () => {
    const b = Bench.of(vs('  real_server 10.0.1.9 80 {\n  }\n'));
    b.start();
    expect(b.table()).toEqual(['10.0.1.9:80@1']);
    expect(b.deadline).toBeUndefined();
  });
});

describe('alpha, inhibit_on_failure, notify scripts', () => {
  it('alpha: added only after a success; the first failure runs notify_down', () => {
    const b = Bench.of(vs(rs('10.0.1.1', T, '    notify_up /bin/up\n    notify_down /bin/down\n'), '  alpha\n'));
    b.start();
    expect(b.table()).toEqual([]);
    b.step(false);
    expect(b.table()).toEqual([]);
    expect(b.scripts()).toEqual(['notify_down /bin/down']);
    b.step(true);
    expect(b.table()).toEqual(['10.0.1.1:80@1']);
    expect(b.scripts()).toEqual(['notify_down /bin/down', 'notify_up /bin/up']);
  });

  it('inhibit_on_failure: a failed real server stays with weight 0', () => {
    const b = Bench.of(vs(rs('10.0.1.1', T, '    weight 3\n'), '  inhibit_on_failure\n'));
    b.start();
    const from = b.effects.length;
    b.step(false);
    expect(b.table()).toEqual(['10.0.1.1:80@0']);
    expect(b.logs(from)).toContain('Disabling service [10.0.1.1]:tcp:80 of VS [10.0.0.1]:tcp:80');
    b.step(true);
    expect(b.table()).toEqual(['10.0.1.1:80@3']);
    expect(b.logs(from)).toContain('Enabling service [10.0.1.1]:tcp:80 of VS [10.0.0.1]:tcp:80');
  });

  it('inhibit with alpha: in the table at weight 0 from the start', () => {
    const b = Bench.of(vs(rs('10.0.1.1', T), '  alpha\n  inhibit_on_failure\n'));
    b.start();
    expect(b.table()).toEqual(['10.0.1.1:80@0']);
  });
});

describe('quorum, hysteresis, sorry server', () => {
  const three = rs('10.0.1.1', T) + rs('10.0.1.2', T) + rs('10.0.1.3', T);

  it('quorum 2 hysteresis 1: lost below 1, regained at 3; quorum scripts each time', () => {
    const b = Bench.of(vs(three, '  quorum 2\n  hysteresis 1\n  quorum_up /bin/qup\n  quorum_down /bin/qdown\n'));
    b.start();
    expect(b.logs()).toContain('Gained quorum 2+1=3 <= 3 for VS [10.0.0.1]:tcp:80');
    expect(b.scripts()).toEqual(['quorum_up /bin/qup']);
    b.until(20_000);
    b.answer(false, 0);
    b.answer(false, 1);
    expect(b.scripts()).toEqual(['quorum_up /bin/qup']); // 1 live >= 2-1
    b.answer(false, 2);
    expect(b.logs()).toContain('Lost quorum 2-1=1 > 0 for VS [10.0.0.1]:tcp:80');
    expect(b.scripts()).toEqual(['quorum_up /bin/qup', 'quorum_down /bin/qdown']);
    b.until(b.deadline!);
    b.answer(true, 0);
    b.answer(true, 1);
    expect(b.scripts()).toHaveLength(2); // 2 < 2+1
    b.answer(true, 2);
    expect(b.scripts()).toEqual(['quorum_up /bin/qup', 'quorum_down /bin/qdown', 'quorum_up /bin/qup']);
  });

  it('sorry server: replaces the live real servers while quorum is lost', () => {
    const b = Bench.of(vs(rs('10.0.1.1', T) + rs('10.0.1.2', T), '  quorum 2\n  sorry_server 10.0.2.2 8080\n'));
    b.start();
    b.until(20_000);
    b.answer(false, 0);
    expect(b.table()).toEqual(['10.0.2.2:8080@1']);
    expect(b.logs()).toEqual(expect.arrayContaining([
      'Lost quorum 2-0=2 > 1 for VS [10.0.0.1]:tcp:80',
      'Adding sorry server [10.0.2.2]:tcp:8080 to VS [10.0.0.1]:tcp:80',
      'Removing alive servers from the pool for VS [10.0.0.1]:tcp:80',
    ]));
    b.until(b.deadline!);
    b.answer(true, 0);
    b.answer(true, 1);
    expect(b.table()).toEqual(['10.0.1.1:80@1', '10.0.1.2:80@1']);
    expect(b.logs()).toContain('Removing sorry server [10.0.2.2]:tcp:8080 from VS [10.0.0.1]:tcp:80');
  });

  it('sorry_server_inhibit keeps the sorry server at weight 0; alpha starts with quorum down', () => {
    const b = Bench.of(vs(rs('10.0.1.1', T), '  alpha\n  sorry_server 10.0.2.2 80\n  sorry_server_inhibit\n  sorry_server_lvs_method DR\n'));
    b.start();
    expect(b.logs()).toContain('Starting with quorum down 1-0=1 > 0 for VS [10.0.0.1]:tcp:80');
    expect(b.engine.liveDests('[10.0.0.1]:tcp:80')).toEqual([expect.objectContaining({ weight: 1, lvsMethod: 'DR' })]);
    b.step(true);
    expect(b.table()).toEqual(['10.0.1.1:80@1', '10.0.2.2:80@0']);
  });
});

describe('dynamic weights', () => {
  it('misc_dynamic: exit 2..255 sets weight exit-2, exit 0 restores it, exit 1 is down', () => {
    const b = Bench.of(vs(rs('10.0.1.1', 'MISC_CHECK {\n      misc_path /bin/check\n      misc_dynamic\n    }', '    weight 10\n')));
    b.start();
    b.step({ ok: true, exitCode: 7, weight: 5 });
    expect(b.table()).toEqual(['10.0.1.1:80@5']);
    expect(b.logs()).toContain('Changing weight from 10 to 5 for active service [10.0.1.1]:tcp:80 of VS [10.0.0.1]:tcp:80');
    b.step({ ok: true, exitCode: 0 });
    expect(b.table()).toEqual(['10.0.1.1:80@10']);
    b.step({ ok: false, exitCode: 1, detail: 'exited with status 1' });
    expect(b.table()).toEqual([]);
    expect(b.logs()).toContain('Misc check for [[10.0.1.1]:tcp:80 VS [10.0.0.1]:tcp:80] by [/bin/check] failed with retry disabled (exited with status 1).');
  });

  it('FILE_CHECK: value * weight is added; weight 0 means non-zero is down', () => {
    const b = Bench.of(`track_file tf {\n  file /tmp/x\n  weight 0\n}\n` + vs(rs('10.0.1.1', 'FILE_CHECK {\n      track_file tf\n      weight 2\n    }', '    weight 5\n') + rs('10.0.1.2', 'FILE_CHECK {\n      track_file tf\n    }')));
    b.input({ type: 'fileValue', name: 'tf', value: 0 });
    b.start();
    expect(b.table()).toEqual(['10.0.1.1:80@5', '10.0.1.2:80@1']);
    b.input({ type: 'fileValue', name: 'tf', value: 3 });
    expect(b.table()).toEqual(['10.0.1.1:80@11']);
    b.input({ type: 'fileValue', name: 'tf', value: -4 });
    expect(b.table()).toEqual(['10.0.1.1:80@0']);
    b.input({ type: 'fileValue', name: 'tf', value: 0 });
    expect(b.table()).toEqual(['10.0.1.1:80@5', '10.0.1.2:80@1']);
  });
});

describe('BFD_CHECK (check_bfd.c bfd_check_handle_event)', () => {
  const bfd = 'bfd_instance b1 {\n  neighbor_ip 10.0.1.1\n}\nbfd_instance b2 {\n  neighbor_ip 10.0.1.2\n}\n';

  it('follows its session: Down takes the real server out, Up puts it back; the start-up report counts', () => {
    const b = Bench.of(bfd + vs(rs('10.0.1.1', 'BFD_CHECK {\n      name b1\n    }') + rs('10.0.1.2', 'BFD_CHECK {\n      name b2\n      alpha\n    }')));
    // keepalived's BFD process reports every session's state at its start
    b.input({ type: 'bfd', name: 'b1', up: false });
    b.start();
    // b1 reported Down before the start; b2 (alpha) waits for its first Up
    expect(b.table()).toEqual([]);
    b.input({ type: 'bfd', name: 'b2', up: true });
    b.input({ type: 'bfd', name: 'b1', up: true });
    expect(b.table()).toEqual(['10.0.1.1:80@1', '10.0.1.2:80@1']);
    expect(b.logs()).toContain('BFD check of [b1] RS([10.0.1.1]:tcp:80) is UP');
    b.input({ type: 'bfd', name: 'b1', up: false });
    expect(b.table()).toEqual(['10.0.1.2:80@1']);
    // the same state again changes nothing and says nothing
    const n = b.logs().length;
    b.input({ type: 'bfd', name: 'b1', up: false });
    expect(b.logs().length).toBe(n);
    // a session no checker follows is ignored
    b.input({ type: 'bfd', name: 'nosuch', up: false });
    expect(b.table()).toEqual(['10.0.1.2:80@1']);
  });
});

describe('checker state as keepalived keeps it (its state dump shows it)', () => {
  it('a failure that is retried is not reported, but the checker has run', () => {
    const b = Bench.of(vs(rs('10.0.1.1', 'TCP_CHECK {\n      retry 2\n    }')));
    b.start();
    b.step(true);
    b.step(false);
    const [c] = b.engine.checkers;
    expect([c!.isUp, c!.hasRun, c!.unit!.state.retryIt]).toEqual([true, true, 1]);
    expect(b.table()).toEqual(['10.0.1.1:80@1']);
  });

  it('a MISC_CHECK keeps its last exit status: the one that took it down', () => {
    const b = Bench.of(vs(rs('10.0.1.1', 'MISC_CHECK {\n      misc_path /bin/false\n    }')));
    b.start();
    b.step({ ok: true, exitCode: 0 });
    expect(b.engine.checkers[0]!.last).toBe(0);
    b.step({ ok: false, exitCode: 3 });
    expect(b.engine.checkers[0]!.last).toBe(3);
  });

  it('FILE_CHECK: a file reading 0 at start leaves the checker up, even with weight 0 reverse; reading the same value again changes nothing', () => {
    const b = Bench.of(`track_file f {\n  file /nonexistent\n  weight 0 reverse\n}\n${vs(rs('10.0.1.1', 'FILE_CHECK {\n      track_file f\n    }'))}`);
    b.input({ type: 'fileValue', name: 'f', value: 0 });
    b.start();
    b.input({ type: 'fileValue', name: 'f', value: 0 });
    expect(b.engine.checkers[0]!.isUp).toBe(true);
    expect(b.table()).toEqual(['10.0.1.1:80@1']);
    // a new value is judged as keepalived judges it: with reverse, 0 is the fault
    b.input({ type: 'fileValue', name: 'f', value: 2 });
    b.input({ type: 'fileValue', name: 'f', value: 0 });
    expect(b.table()).toEqual([]);
  });
});

describe('shared probes, ha_suspend, omega', () => {
  it('one real server checked identically by two virtual servers is probed once', () => {
    const b = Bench.of(vs(rs('10.0.1.1', T)) + vs(rs('10.0.1.1', T), '', '10.0.0.2 80'));
    expect(b.engine.stats).toMatchObject({ units: 1, checkers: 2 });
    b.start();
    b.until(20_000);
    expect(b.running.size).toBe(1);
    const fx = b.answer(false);
    expect(fx.filter((e) => e.type === 'destsChanged')).toEqual([{ type: 'destsChanged', vs: '[10.0.0.1]:tcp:80' }, { type: 'destsChanged', vs: '[10.0.0.2]:tcp:80' }]);
    expect([b.table(0), b.table(1)]).toEqual([[], []]);
  });

  it('different probe parameters are different probes', () => {
    const b = Bench.of(vs(rs('10.0.1.1', T)) + vs(rs('10.0.1.1', 'TCP_CHECK {\n      connect_port 81\n    }'), '', '10.0.0.2 80'));
    expect(b.engine.stats.units).toBe(2);
  });

  it('ha_suspend: no probes while the VIP is absent', () => {
    const b = Bench.of(vs(rs('10.0.1.1', T), '  ha_suspend\n'));
    b.start();
    expect(b.logs()).toContain('Deactivating healthchecker for service [10.0.1.1]:tcp:80 for VS [10.0.0.1]:tcp:80');
    b.until(60_000);
    expect(b.started).toHaveLength(0);
    b.input({ type: 'vipPresent', vs: b.key(0), present: true });
    expect(b.logs()).toContain('Activating healthchecker for service [10.0.1.1]:tcp:80 for VS [10.0.0.1]:tcp:80');
    b.until(b.deadline!);
    expect(b.started).toHaveLength(1);
    b.answer(true);
    b.input({ type: 'vipPresent', vs: b.key(0), present: false });
    b.until(200_000);
    expect(b.started).toHaveLength(1);
  });

  it('ha_suspend: a probe shared with an active virtual server leaves the suspended one\'s checker alone', () => {
    const b = Bench.of(vs(rs('10.0.1.1', T)) + vs(rs('10.0.1.1', T), '  ha_suspend\n', '10.0.0.2 80'));
    expect(b.engine.stats).toMatchObject({ units: 1, checkers: 2 });
    b.start();
    b.step(false);
    const [active, suspended] = b.engine.checkers;
    expect([active!.isUp, active!.hasRun]).toEqual([false, true]);
    expect([suspended!.isUp, suspended!.hasRun]).toEqual([true, false]);
    expect(b.table(1)).toEqual(['10.0.1.1:80@1']);
    // once its address is here, it takes up what the shared probe found meanwhile
    b.input({ type: 'vipPresent', vs: b.key(1), present: true });
    expect([suspended!.isUp, suspended!.hasRun]).toEqual([false, true]);
    expect(b.table(1)).toEqual([]);
  });

  it('omega: shutdown runs notify_down and quorum_down; without omega nothing runs', () => {
    const conf = (extra: string) => vs(rs('10.0.1.1', T, '    notify_down /bin/down\n'), `  quorum_down /bin/qdown\n${extra}`);
    const b = Bench.of(conf('  omega\n'));
    b.start();
    const from = b.effects.length;
    b.input({ type: 'shutdown' });
    expect(b.scripts(from)).toEqual(['notify_down /bin/down', 'quorum_down /bin/qdown']);
    expect(b.logs(from)).toContain('Shutting down service [10.0.1.1]:tcp:80 from VS [10.0.0.1]:tcp:80');
    expect(b.table()).toEqual([]);
    expect(b.deadline).toBeUndefined();
    const n = Bench.of(conf(''));
    n.start();
    const f2 = n.effects.length;
    n.input({ type: 'shutdown' });
    expect(n.scripts(f2)).toEqual([]);
  });

  it('a stale result (no probe running) is ignored and counted', () => {
    const b = Bench.of(vs(rs('10.0.1.1', T)));
    b.start();
    expect(b.input({ type: 'probeResult', probeId: 0, ok: false })).toEqual([]);
    expect(b.engine.stats.staleResults).toBe(1);
    expect(b.table()).toEqual(['10.0.1.1:80@1']);
  });
});

describe('HTTP_GET url round robin', () => {
  const http = 'HTTP_GET {\n      url {\n        path /a\n      }\n      url {\n        path /b\n      }\n    }';
  const path = (b: Bench) => {
    const p = b.started[b.started.length - 1]!.plan;
    return p.type === 'HTTP_GET' ? p.url.path : '?';
  };

  it('one URL per delay_loop; up only after every URL passed; a failed URL is rechecked alone', () => {
    const b = Bench.of(vs(rs('10.0.1.1', http), '  alpha\n'));
    b.start();
    b.until(20_000);
    expect(path(b)).toBe('/a');
    b.answer({ ok: true, detail: 'HTTP status code' });
    expect(b.table()).toEqual([]);
    expect(b.logs()).toContain('HTTP status code success to [10.0.1.1]:tcp:80 url(/a)');
    b.step({ ok: true });
    expect(path(b)).toBe('/b');
    expect(b.table()).toEqual(['10.0.1.1:80@1']);
    expect(b.logs()).toContain('Remote Web server [10.0.1.1]:tcp:80 succeed on service.');
    b.step(true); // /a
    const t = b.now;
    b.step({ ok: false, detail: 'HTTP status code error to' }); // /b: retry in 3 s
    expect(b.now - t).toBe(10_000);
    expect(b.deadline! - b.now).toBe(3000);
    b.step(false); // /b again: down, then /b every max(dbr, delay_loop)
    expect(path(b)).toBe('/b');
    expect(b.table()).toEqual([]);
    expect(b.logs()).toContain('HTTP_CHECK on service [10.0.1.1]:tcp:80 failed after 1 retries.');
    expect(b.deadline! - b.now).toBe(10_000);
    b.step(true); // /b passes: start again from /a
    b.until(b.deadline!);
    expect(path(b)).toBe('/a');
  });

  it('the request text: vhost, protocol, Connection: close', () => {
    const b = Bench.of(vs(rs('10.0.1.1', 'HTTP_GET {\n      http_protocol 1.1\n      url {\n        path /health\n        status_code 200-204 301\n      }\n    }', '    virtualhost rs.example\n')));
    b.start();
    b.until(20_000);
    const p = b.started[0]!.plan;
    expect(p.type === 'HTTP_GET' && p.request).toBe('GET /health HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: rs.example\r\n\r\n');
    expect(p.type === 'HTTP_GET' && p.url.statusCode).toEqual([{ from: 200, to: 204 }, { from: 301, to: 301 }]);
  });
});

describe('smtp_alert', () => {
  const alerts = (b: Bench, from = 0): string[] =>
    b.effects.slice(from).flatMap((e) => (e.type === 'alert' ? [`${e.subject} | ${e.body}`] : []));

  it('a real server alerts on each change by default, after its quorum; a virtual server only with smtp_alert', () => {
    const b = Bench.of(vs(rs('10.0.1.1', T) + rs('10.0.1.2', T, '    smtp_alert off\n'), '  quorum 2\n  smtp_alert\n'));
    b.start();
    const from = b.effects.length;
    b.until(20_000);
    b.answer(false, 0);
    // keepalived sends the checker's email after update_svr_checker_state, which sent the quorum's
    expect(alerts(b, from)).toEqual([
      'Virtualserver [10.0.0.1]:tcp:80 - DOWN | => Lost quorum <=',
      'Realserver [10.0.1.1]:tcp:80 of virtual server [10.0.0.1]:tcp:80 - DOWN | => TCP CHECK failed on service <=',
    ]);
    b.answer(false, 1);
    expect(alerts(b, from)).toHaveLength(2);
    b.until(40_000);
    b.answer(true, b.running.keys().next().value);
    expect(alerts(b, from).slice(2)).toEqual([
      'Realserver [10.0.1.1]:tcp:80 of virtual server [10.0.0.1]:tcp:80 - UP | => TCP CHECK succeed on service <=',
    ]);
  });

  it('smtp_alert_checker off silences real servers; a stop sends nothing', () => {
    const b = Bench.of(`global_defs {\n  smtp_alert_checker off\n}\n${vs(rs('10.0.1.1', T, '    smtp_alert\n') + rs('10.0.1.2', T))}`);
    b.start();
    const from = b.effects.length;
    b.until(20_000);
    b.answer(false);
    expect(alerts(b, from)).toEqual(['Realserver [10.0.1.1]:tcp:80 of virtual server [10.0.0.1]:tcp:80 - DOWN | => TCP CHECK failed on service <=']);
    const stop = b.effects.length;
    b.input({ type: 'shutdown' });
    expect(alerts(b, stop)).toEqual([]);
  });

  // check_tcp.c: the email goes when the checker changes and (the real server changed or
  // no_checker_emails is not set)
  it.each([
    [false, ['DOWN | => TCP CHECK failed on service <=', 'DOWN | => TCP CHECK failed on service <=', 'DOWN | => TCP CHECK succeed on service <=', 'UP | => TCP CHECK succeed on service <=']],
    [true, ['DOWN | => TCP CHECK failed on service <=', 'UP | => TCP CHECK succeed on service <=']],
  ] as const)('two checkers of one real server, no_checker_emails %s: an email per checker change, or per real server change', (quiet, want) => {
    const two = '    TCP_CHECK {\n      connect_port 81\n      retry 0\n    }\n    TCP_CHECK {\n      connect_port 82\n      retry 0\n    }\n';
    const b = Bench.of(`${quiet ? 'global_defs {\n  no_checker_emails\n}\n' : ''}${vs(`  real_server 10.0.1.1 80 {\n${two}  }\n`)}`);
    b.start();
    const from = b.effects.length;
    b.until(20_000);
    const [p1, p2] = [...b.running.keys()];
    b.answer(false, p1);
    b.answer(false, p2);
    b.until(40_000);
    const [q1, q2] = [...b.running.keys()];
    b.answer(true, q1);
    b.answer(true, q2);
    expect(alerts(b, from).map((a) => a.replace(/^.* - /, ''))).toEqual(want);
  });

  it('MISC_CHECK emails its first result too (check_misc.c tests no previous state), unless no_checker_emails', () => {
    const misc = '    MISC_CHECK {\n      misc_path /bin/true\n    }\n';
    for (const [quiet, want] of [[false, ['UP | => MISC CHECK succeeded on service <=']], [true, []]] as const) {
      const b = Bench.of(`${quiet ? 'global_defs {\n  no_checker_emails\n}\n' : ''}${vs(`  real_server 10.0.1.1 80 {\n${misc}  }\n`)}`);
      b.start();
      const from = b.effects.length;
      b.until(20_000);
      b.answer(true);
      expect(alerts(b, from).map((a) => a.replace(/^.* - /, ''))).toEqual(want);
    }
  });
});
