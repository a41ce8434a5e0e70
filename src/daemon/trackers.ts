/**
 * Starts the trackers the VRRP instances and sync groups use and feeds their results to the
 * engine: vrrp_script runs (success / failure), track_file values, track_process up / down.
 * Interface tracking comes from rtnetlink (vrrp-daemon.ts). Only trackers some instance or
 * group references are run, as keepalived does.
 */
import type { Logger } from 'pino';
import type { KeepalivedConfig } from '../config/model.js';
import { prepareScript } from '../io/script-runner.js';
import { vrrpScriptSpec, VrrpScriptTracker } from '../io/vrrp-script-tracker.js';
import { TrackFileWatcher } from '../io/track-file.js';
import { ProcessTracker } from '../io/track-process.js';
import type { ScriptUsers } from '../io/users.js';
import type { Input } from '../vrrp/types.js';
import type { MappedConfig } from './engine-config.js';

export interface Trackers {
  /** resolves once every tracker has reported its initial state where it has one */
  readonly ready: Promise<void>;
  /** the vrrp_scripts with a run in progress */
  running(): ReadonlySet<string>;
  /** a tracked vrrp_track_process's matching processes and quorum now; undefined: not tracked */
  processStatus(name: string): { readonly count: number; readonly up: boolean } | undefined;
  stop(): Promise<void>;
}

export interface TrackerHooks {
  readonly input: (input: Input) => void;
  readonly log: Logger;
  readonly users: ScriptUsers;
}

export function referenced(mapped: MappedConfig, kind: 'trackScript' | 'trackFile' | 'trackProcess'): Set<string> {
  const out = new Set<string>();
  for (const i of mapped.engine.instances) for (const t of i[kind] ?? []) out.add(t.name);
  for (const g of mapped.engine.syncGroups ?? []) for (const t of g[kind] ?? []) out.add(t.name);
  return out;
}

/**
 * vrrp_scripts that cannot run (missing, not executable, unknown user, or unsafe under
 * enable_script_security): keepalived disables them and stops tracking them, so the
 * instances run as if they were not configured. Each refusal is logged with its reason.
 */
export function disabledScripts(cfg: KeepalivedConfig, users: ScriptUsers, log: Logger): Set<string> {
  const out = new Set<string>();
  for (const s of cfg.vrrpScripts) {
    if (!s.script) {
      out.add(s.name);
      log.error({ code: 'SCRIPT_REFUSED', script: s.name }, `No script set for vrrp_script ${s.name}, disabling it`);
      continue;
    }
    const p = prepareScript(vrrpScriptSpec({ ...s, script: s.script }), { users });
    if (!p.ok) {
      out.add(s.name);
      log.error({ code: 'SCRIPT_REFUSED', script: s.name, kind: p.error.kind }, `Disabling track script ${s.name}: ${p.error.message}`);
    }
  }
  return out;
}

export function startTrackers(cfg: KeepalivedConfig, mapped: MappedConfig, hooks: TrackerHooks): Trackers {
  const { input, log, users } = hooks;
  const scripts: VrrpScriptTracker[] = [];
  const usedScripts = referenced(mapped, 'trackScript');
  for (const s of cfg.vrrpScripts) {
    if (!usedScripts.has(s.name)) continue;
    const t = new VrrpScriptTracker({
      script: s,
      users,
      log,
      onResult: (name, success) => input({ type: 'scriptResult', name, success }),
    });
    // a refused script stays in its initial state (keepalived: the script is disabled)
    t.start();
    scripts.push(t);
  }
  const usedFiles = referenced(mapped, 'trackFile');
  const files: TrackFileWatcher[] = [];
  const ready: Promise<unknown>[] = [];
  for (const f of cfg.trackFiles) {
    if (!usedFiles.has(f.name)) continue;
    const w = new TrackFileWatcher({
      trackFile: f,
      log, // its lines name the track_file (trackFile)
      onValue: (name, value) => input({ type: 'fileValue', name, value }),
    });
    files.push(w);
    ready.push(w.start());
  }
  const usedProcs = referenced(mapped, 'trackProcess');
  const procs = cfg.trackProcesses.filter((p) => usedProcs.has(p.name));
  let procTracker: ProcessTracker | undefined;
  if (procs.length > 0) {
    procTracker = new ProcessTracker({
      processes: procs,
      log, // its lines name the track_process (trackProcess)
      onChange: (name, up) => input({ type: 'process', name, up }),
    });
    ready.push(procTracker.start());
  }
  return {
    ready: Promise.all(ready).then(() => undefined),
    running: () => new Set(scripts.filter((t) => t.running).map((t) => t.name)),
    processStatus: (name) => procTracker?.status(name),
    stop: async () => {
      for (const w of files) w.stop();
      procTracker?.stop();
      await Promise.all(scripts.map((t) => t.stop()));
    },
  };
}
