/**
 * The tracked objects of one engine and who tracks them: the last known state of every
 * tracked interface, process, file and vrrp_script, and one binding per (tracker, instance)
 * with the verdict it currently holds (a priority contribution, a fault, or a script still in
 * its initial state). The engine (engine.ts) turns changed verdicts into state changes;
 * this file only keeps and evaluates them (reference §c.8, vrrp_track.c).
 */
import type { TrackRef, VrrpScriptConfig } from './config.js';
import type { VrrpInstance } from './instance.js';
import {
  fileContribution, initialScriptState, scriptOk, scriptRun, unweightedFault, weightedContribution, type ScriptState,
} from './track.js';

export type TrackKind = 'interface' | 'script' | 'file' | 'process' | 'bfd';

export interface Verdict {
  /** priority contribution (weighted trackers) */
  readonly contribution: number;
  /** fault held by this tracker (unweighted, or track_file at -254) */
  readonly fault: boolean;
  /** unweighted script that has not reported yet (keepalived num_script_init) */
  readonly init: boolean;
}

/** One tracker reference of one instance, with the verdict it holds now. */
export interface Binding {
  readonly kind: TrackKind;
  readonly ref: TrackRef;
  readonly inst: VrrpInstance;
  contribution: number;
  fault: boolean;
  init: boolean;
}

export class Trackers {
  private readonly scriptCfg = new Map<string, VrrpScriptConfig>();
  private readonly scripts = new Map<string, ScriptState>();
  private readonly interfaces = new Map<string, boolean>();
  private readonly processes = new Map<string, boolean>();
  /** BFD sessions as their process reported them: down until it says Up (vrrp_track.c) */
  private readonly bfds = new Map<string, boolean>();
  private readonly files = new Map<string, number>();
  private readonly bindings = new Map<string, Binding[]>();
  private readonly instBindings = new Map<VrrpInstance, Binding[]>();

  constructor(scripts: readonly VrrpScriptConfig[] = []) {
    for (const s of scripts) {
      this.scriptCfg.set(s.name, s);
      this.scripts.set(s.name, initialScriptState(s));
    }
  }

  /** vrrp_script results (status API, metrics): true GOOD, false BAD, undefined not known yet. */
  scriptResults(): { name: string; ok: boolean | undefined }[] {
    return [...this.scriptCfg].map(([name, cfg]) => ({ name, ok: scriptOk(cfg, this.scripts.get(name) ?? initialScriptState(cfg)) }));
  }

  /** A new binding, with the verdict of the tracked object's state now. */
  bind(kind: TrackKind, ref: TrackRef, inst: VrrpInstance): Binding {
    const b: Binding = { kind, ref, inst, contribution: 0, fault: false, init: false };
    Object.assign(b, this.evaluate(b));
    const key = `${kind}:${ref.name}`;
    this.bindings.set(key, [...(this.bindings.get(key) ?? []), b]);
    this.instBindings.set(inst, [...(this.instBindings.get(inst) ?? []), b]);
    return b;
  }

  /** The bindings of one tracked object. */
  bound(kind: TrackKind, name: string): readonly Binding[] {
    return this.bindings.get(`${kind}:${name}`) ?? [];
  }

  /** The sum of an instance's weighted contributions. */
  adjustment(inst: VrrpInstance): number {
    let adj = 0;
    for (const b of this.instBindings.get(inst) ?? []) adj += b.contribution;
    return adj;
  }

  /** The verdict of one binding from the tracked object's state. */
  evaluate(b: Binding): Verdict {
    const { weight } = b.ref;
    const reverse = b.ref.reverse ?? false;
    if (b.kind === 'file') {
      const v = fileContribution(weight, reverse, this.files.get(b.ref.name) ?? 0);
      return v === 'fault' ? { fault: true, contribution: 0, init: false } : { fault: false, contribution: v, init: false };
    }
    let ok: boolean | undefined;
    if (b.kind === 'script') {
      const cfg = this.scriptCfg.get(b.ref.name) ?? { name: b.ref.name };
      ok = scriptOk(cfg, this.scripts.get(b.ref.name) ?? initialScriptState(cfg));
    } else if (b.kind === 'bfd') {
      ok = this.bfds.get(b.ref.name) ?? false;
    } else {
      ok = (b.kind === 'interface' ? this.interfaces : this.processes).get(b.ref.name) ?? true;
    }
    // Weighted trackers on an address owner are ignored (reference §c.8).
    if (weight !== 0) return { fault: false, contribution: b.inst.basePriority === 255 ? 0 : weightedContribution(weight, reverse, ok), init: false };
    if (ok === undefined) return { fault: false, contribution: 0, init: true };
    return { fault: unweightedFault(reverse, ok), contribution: 0, init: false };
  }

  setInterface(name: string, up: boolean): void {
    this.interfaces.set(name, up);
  }

  setProcess(name: string, up: boolean): void {
    this.processes.set(name, up);
  }

  setBfd(name: string, up: boolean): void {
    this.bfds.set(name, up);
  }

  setFile(name: string, value: number): void {
    this.files.set(name, value);
  }

  /** One run of a vrrp_script; true when its rise / fall reports a new result. */
  scriptRan(name: string, success: boolean): boolean {
    const cfg = this.scriptCfg.get(name) ?? { name };
    const step = scriptRun(cfg, this.scripts.get(name) ?? initialScriptState(cfg), success);
    this.scripts.set(name, step.state);
    return step.report !== undefined;
  }

  /**
   * SIGHUP: the states the previous engine knew carry over (a script's only if its definition
   * is unchanged). Returns the tracked objects that were set, to be re-evaluated.
   */
  adopt(prev: Trackers): [TrackKind, string][] {
    const set: [TrackKind, string][] = [];
    for (const [name, up] of prev.interfaces) { this.interfaces.set(name, up); set.push(['interface', name]); }
    for (const [name, up] of prev.processes) { this.processes.set(name, up); set.push(['process', name]); }
    for (const [name, v] of prev.files) { this.files.set(name, v); set.push(['file', name]); }
    for (const [name, up] of prev.bfds) { this.bfds.set(name, up); set.push(['bfd', name]); }
    for (const [name, state] of prev.scripts) {
      const was = prev.scriptCfg.get(name);
      const now = this.scriptCfg.get(name);
      if (!was || !now || !sameScript(was, now)) continue;
      this.scripts.set(name, state);
      set.push(['script', name]);
    }
    return set;
  }
}

function sameScript(a: VrrpScriptConfig, b: VrrpScriptConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
