/**
 * Starts the trackers the VRRP instances and sync groups use and feeds their results to the
 * engine: vrrp_script runs (success / failure), track_file values, track_process up / down.
 * Interface tracking comes from rtnetlink (vrrp-daemon.ts). Only trackers some instance or
 * group references are run, as keepalived does.
 */
import type { Logger } from 'pino';
import type { KeepalivedConfig } from '../config/model.js';
import { VrrpScriptTracker } from '../io/script-runner.js';
import { ScriptUsers } from '../io/users.js';
import type { Input } from '../vrrp/types.js';
import type { MappedConfig } from './engine-config.js';

export interface Trackers {
  /** resolves once every tracker has reported its initial state where it has one */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export interface TrackerHooks {
  readonly input: (input: Input) => void;
  readonly log: Logger;
}

export function referenced(mapped: MappedConfig, kind: 'trackScript' | 'trackFile' | 'trackProcess'): Set<string> {
  const out = new Set<string>();
  for (const i of mapped.engine.instances) for (const t of i[kind] ?? []) out.add(t.name);
  for (const g of mapped.engine.syncGroups ?? []) for (const t of g[kind] ?? []) out.add(t.name);
  return out;
}

export function startTrackers(cfg: KeepalivedConfig, mapped: MappedConfig, hooks: TrackerHooks): Trackers {
  const { input, log } = hooks;
  const users = ScriptUsers.host({
    enableScriptSecurity: cfg.globalDefs.enableScriptSecurity,
    ...(cfg.globalDefs.scriptUser ? { scriptUser: cfg.globalDefs.scriptUser } : {}),
  });
  const scripts: VrrpScriptTracker[] = [];
  const usedScripts = referenced(mapped, 'trackScript');
  for (const s of cfg.vrrpScripts) {
    if (!usedScripts.has(s.name)) continue;
    const t = new VrrpScriptTracker({
      script: s,
      users,
      log: log.child({ script: s.name }),
      onResult: (name, success) => input({ type: 'scriptResult', name, success }),
    });
    // a refused script stays in its initial state (keepalived: the script is disabled)
    t.start();
    scripts.push(t);
  }
  return {
    ready: Promise.resolve(),
    stop: async () => {
      await Promise.all(scripts.map((t) => t.stop()));
    },
  };
}
