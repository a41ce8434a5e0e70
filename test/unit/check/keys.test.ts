// A virtual server is known to the engine's effects, inputs and queries by its key
// (check/types.ts VsKey), not by its place in the configuration: a reload that moves it keeps
// its state, and an IPv6 fwmark service or a second block of the same name has a key of its own.
import { afterAll, describe, expect, it } from 'vitest';
import { vsKeys } from '../../../src/check/format.js';
import { Bench, loadText, rs, tmp, vs } from './harness.js';

afterAll(() => tmp.cleanup());

describe('virtual server keys', () => {
  it('keepalived\'s name, the family of an IPv6 fwmark service, and a count for a name written again', () => {
    const fwmark = (family: string, addr: string): string =>
      `virtual_server fwmark 7 {\n  lb_algo rr\n  lb_kind DR\n  delay_loop 10\n  ip_family ${family}\n  real_server ${addr} {\n    weight 1\n    TCP_CHECK {\n      connect_port 80\n    }\n  }\n}\n`;
    const cfg = loadText(vs(rs('10.0.1.1')) + fwmark('inet', '10.0.1.1') + fwmark('inet6', 'fd00::1') + vs(rs('10.0.1.2')));
    expect(vsKeys(cfg.virtualServers)).toEqual(['[10.0.0.1]:tcp:80', 'FWM 7', 'FWM 7 inet6', '[10.0.0.1]:tcp:80#2']);
  });

  it.each([false, true])('a reload that puts the virtual server elsewhere keeps its real servers\' state (objects taken over: %s)', (takeOver) => {
    const a = vs(rs('10.0.1.1') + rs('10.0.1.2'));
    const other = vs(rs('10.0.9.9', 'TCP_CHECK {\n    }'), '', '10.0.0.9 80');
    const b = Bench.of(a);
    b.start();
    b.until(b.deadline!);
    b.answer(true, [...b.running.keys()][0]);
    b.answer(false, [...b.running.keys()][0]);
    expect(b.table()).toEqual(['10.0.1.1:80@1']);
    // now second in the file, after a new virtual server
    const n = new Bench(loadText(other + a), undefined, takeOver ? b.engine : undefined);
    n.now = b.now;
    n.input({ type: 'reload', previous: b.engine });
    expect(n.table('[10.0.0.1]:tcp:80')).toEqual(['10.0.1.1:80@1']);
    expect(n.key(1)).toBe('[10.0.0.1]:tcp:80');
  });

  it('an input names the virtual server by key; an unknown key changes nothing', () => {
    const b = Bench.of(vs(rs('10.0.1.1'), '  ha_suspend\n'));
    b.start();
    b.until(30_000);
    expect(b.running.size).toBe(0);
    b.input({ type: 'vipPresent', vs: '[10.0.0.2]:tcp:80', present: true });
    b.until(60_000);
    expect(b.running.size).toBe(0);
    b.input({ type: 'vipPresent', vs: '[10.0.0.1]:tcp:80', present: true });
    b.until(90_000);
    expect(b.running.size).toBe(1);
  });
});
