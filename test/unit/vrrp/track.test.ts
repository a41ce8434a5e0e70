// vrrp_script rise/fall/init_fail and tracker weights (reference §c.3, §c.4, §c.8;
// keepalived vrrp_script_child_thread, process_script_update_priority, track_file.c).
import { describe, expect, it } from 'vitest';
import {
  effectivePriority, fileContribution, initialScriptState, scriptOk, scriptRun, unweightedFault, weightedContribution,
  type ScriptState,
} from '../../../src/vrrp/track.js';
import { wireInterval, type VrrpScriptConfig } from '../../../src/vrrp/config.js';

function run(cfg: VrrpScriptConfig, results: boolean[]): { reports: (boolean | undefined)[]; state: ScriptState } {
  let state = initialScriptState(cfg);
  const reports: (boolean | undefined)[] = [];
  for (const r of results) {
    const step = scriptRun(cfg, state, r);
    state = step.state;
    reports.push(step.report);
  }
  return { reports, state };
}

describe('vrrp_script state', () => {
  it('starts one success from OK: the first success reports OK', () => {
    const cfg = { name: 's', rise: 3, fall: 2 };
    expect(scriptOk(cfg, initialScriptState(cfg))).toBeUndefined();
    expect(run(cfg, [true]).reports).toEqual([true]);
  });

  it('the first result of a new script is reported even when it fails', () => {
    expect(run({ name: 's', rise: 2, fall: 2 }, [false]).reports).toEqual([false]);
  });

  it('fall N consecutive failures to fail, rise N consecutive successes to recover', () => {
    const cfg = { name: 's', rise: 2, fall: 3 };
    const { reports } = run(cfg, [true, false, false, true, false, false, false, true, true]);
    expect(reports).toEqual([true, undefined, undefined, undefined, undefined, undefined, false, undefined, true]);
  });

  it('init_fail starts failed and needs rise successes', () => {
    const cfg = { name: 's', rise: 2, fall: 1, initFail: true };
    expect(scriptOk(cfg, initialScriptState(cfg))).toBe(false);
    expect(run(cfg, [false, true, true]).reports).toEqual([undefined, undefined, true]);
  });
});

describe('tracker contributions', () => {
  it.each([
    [10, false, true, 10], [10, false, false, 0], [-10, false, true, 0], [-10, false, false, -10],
    // reverse negates the weight (keepalived's multiplier -1): `weight 10 reverse` lowers while OK
    [10, true, true, -10], [10, true, false, 0], [-10, true, true, 0], [-10, true, false, 10],
    [-10, false, undefined, 0],
  ] as const)('weight %i reverse %s ok %s -> %i', (w, rev, ok, want) => {
    expect(weightedContribution(w, rev, ok)).toBe(want);
  });

  it('unweighted: fault while failed (or while OK when reversed)', () => {
    expect([unweightedFault(false, false), unweightedFault(false, true), unweightedFault(true, true)]).toEqual([true, false, true]);
  });

  it('track_file: value x weight clamped, -254 or below is FAULT; weight 0: non-zero is FAULT', () => {
    expect(fileContribution(5, false, 3)).toBe(15);
    expect(fileContribution(5, true, 3)).toBe(-15);
    expect(fileContribution(100, false, 9)).toBe(253);
    expect(fileContribution(-100, false, 3)).toBe('fault');
    expect(fileContribution(0, false, 1)).toBe('fault');
    expect(fileContribution(0, false, 0)).toBe(0);
    expect(fileContribution(0, true, 0)).toBe('fault');
  });

  it('effective priority is clamped to 1..254, 255 never moves', () => {
    expect([effectivePriority(100, 200), effectivePriority(100, -200), effectivePriority(255, -100)]).toEqual([254, 1, 255]);
  });
});

describe('advert_int on the wire (reference §c.1)', () => {
  it('v2 whole seconds 1..255, v3 centiseconds 10 ms..40.95 s', () => {
    expect([wireInterval(2, 250), wireInterval(2, 1400), wireInterval(2, 300_000)]).toEqual([1000, 1000, 255_000]);
    expect([wireInterval(3, 4), wireInterval(3, 254), wireInterval(3, 50_000)]).toEqual([10, 250, 40_950]);
  });
});
