/**
 * Tracker arithmetic as pure functions (reference §c.3, §c.4, §c.8, §d.6; keepalived
 * vrrp_scheduler.c `vrrp_script_child_thread`, vrrp_track.c, track_file.c).
 */
import type { VrrpScriptConfig } from './config.js';

/** keepalived's vrrp_script result counter: OK when result >= rise. */
export interface ScriptState {
  readonly result: number;
  /** 'init': no run finished yet ("one success from OK"); 'done' afterwards. */
  readonly phase: 'init' | 'failed-init' | 'done';
}

export function initialScriptState(cfg: VrrpScriptConfig): ScriptState {
  const rise = cfg.rise ?? 1;
  // init_fail: start FAILED (result 0); otherwise one success from OK (result rise - 1).
  return cfg.initFail ? { result: 0, phase: 'failed-init' } : { result: rise - 1, phase: 'init' };
}

/** OK / failed, or undefined while still in its initial (unknown) state. */
export function scriptOk(cfg: VrrpScriptConfig, s: ScriptState): boolean | undefined {
  if (s.phase === 'init') return undefined;
  return s.result >= (cfg.rise ?? 1);
}

export interface ScriptStep {
  readonly state: ScriptState;
  /** Set when the script's status is reported to its trackers (keepalived update_script_priorities). */
  readonly report: boolean | undefined;
}

/**
 * One script run finished. Rise/fall hysteresis exactly as keepalived: successes climb to
 * rise + fall - 1, failures fall to rise - 1 then jump to 0; the first result of a script
 * still in its initial state is always reported.
 */
export function scriptRun(cfg: VrrpScriptConfig, s: ScriptState, success: boolean): ScriptStep {
  const rise = cfg.rise ?? 1;
  const fall = cfg.fall ?? 1;
  const top = rise + fall - 1;
  let result = s.result;
  let report: boolean | undefined;
  if (success) {
    if (result < rise - 1) result++;
    else if (result !== top) {
      if (result < rise) report = true;
      result = top;
    }
  } else if (result > rise) {
    result--;
  } else {
    if (result === rise || s.phase === 'init') report = false;
    result = 0;
  }
  return { state: { result, phase: 'done' }, report };
}

/**
 * Priority contribution of a weighted tracker (weight != 0), as keepalived computes it
 * (vrrp_track.c, initialise_*_tracking_priorities and the updates after them): a positive
 * weight counts while the tracked object is OK, a negative one while it has failed, and
 * `reverse` negates the weight (multiplier -1), not the state: `weight 20 reverse` lowers the
 * priority by 20 while OK. `ok` undefined = initial state, which contributes nothing.
 */
// row: vrrp.track-weight-reverse
export function weightedContribution(weight: number, reverse: boolean, ok: boolean | undefined): number {
  if (ok === undefined) return 0;
  const signed = reverse ? -weight : weight;
  if (weight > 0) return ok ? signed : 0;
  return ok ? 0 : signed;
}

/** Does an unweighted tracker hold the instance in FAULT? `reverse` = fault while OK. */
export function unweightedFault(reverse: boolean, ok: boolean): boolean {
  return ok === reverse;
}

/** The value a track_file contributes, or 'fault' (keepalived: clamped, -254 = FAULT). */
export function fileContribution(weight: number, reverse: boolean, value: number): number | 'fault' {
  if (weight === 0) return (value !== 0) !== reverse ? 'fault' : 0;
  const v = Math.max(-254, Math.min(253, value * weight * (reverse ? -1 : 1)));
  return v === -254 ? 'fault' : v;
}

/** vrrp_set_effective_priority: base + adjustments clamped to 1..254; owners never change. */
export function effectivePriority(basePriority: number, adjustment: number): number {
  if (basePriority === 255) return 255;
  const total = basePriority + adjustment;
  return total < 1 ? 1 : total >= 255 ? 254 : total;
}
