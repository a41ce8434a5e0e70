/**
 * One vrrp_script, run as keepalived's vrrp_script_thread runs it: first at start, then every
 * interval; a run is skipped while the previous one is still running (keepalived >= 2.3.3;
 * 2.2.7 logs "skipping run" and runs it anyway); each finished run is reported as success
 * (exit 0) or failure. Running a script itself is script-runner.ts.
 */
import type { Logger } from 'pino';
import { prepareScript, runScript, type PreparedScript, type ScriptResult, type ScriptSpec } from './script-runner.js';
import type { MachineView } from '../config/validate.js';
import type { ScriptUsers } from './users.js';

export interface VrrpScriptTrackerOptions {
  /** config/model.ts `VrrpScript` fits. Its `user` block (not words after `script`) picks the user. */
  readonly script: {
    readonly name: string;
    readonly script?: ScriptSpec;
    readonly intervalMs: number;
    readonly timeoutMs?: number;
    readonly user?: { readonly user: string; readonly group?: string };
  };
  readonly users: ScriptUsers;
  readonly log: Logger;
  readonly onResult: (name: string, success: boolean) => void;
  readonly machine?: MachineView;
  /** SIGKILL this long after the timeout's SIGTERM (keepalived: 2 s). */
  readonly killAfterMs?: number;
}

/** What runs for a vrrp_script. keepalived ignores user words on its `script` line: only the
 * `user` keyword counts. */
export function vrrpScriptSpec(s: VrrpScriptTrackerOptions['script'] & { readonly script: ScriptSpec }): ScriptSpec {
  return { argv: s.script.argv, ...(s.user ? { user: s.user.user, ...(s.user.group !== undefined ? { group: s.user.group } : {}) } : {}) };
}

/** Runs one vrrp_script on its interval and reports each finished run. */
export class VrrpScriptTracker {
  readonly name: string;
  readonly stats = { runs: 0, skipped: 0, timeouts: 0, failures: 0 };
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private current: { abort: AbortController; done: Promise<unknown> } | undefined;
  private prepared: PreparedScript | undefined;
  private lastStatus = 0; // keepalived: last_status starts at 0, so a first success is not logged

  constructor(private readonly opts: VrrpScriptTrackerOptions) {
    this.name = opts.script.name;
    // every line names the vrrp_script (`script`); the file it runs is `command`
    this.log = opts.log.child({ script: opts.script.name });
  }

  /** Check the script (refusals are logged) and start running it. False if refused. */
  start(): boolean {
    if (this.timer || this.prepared) return true;
    const s = this.opts.script;
    if (!s.script) {
      this.log.error({ code: 'SCRIPT_REFUSED' }, `No script set for vrrp_script ${s.name}`);
      return false;
    }
    const spec = vrrpScriptSpec({ ...s, script: s.script });
    const p = prepareScript(spec, { users: this.opts.users, log: this.log, ...(this.opts.machine ? { machine: this.opts.machine } : {}) });
    if (!p.ok) {
      this.log.error({ code: 'SCRIPT_REFUSED', kind: p.error.kind, command: s.script.argv[0] }, `disabling track script ${s.name}: ${p.error.message}`);
      return false;
    }
    if (!(s.intervalMs > 0)) {
      this.log.error(`(${s.name}): vrrp script interval must be greater than 0, setting to 1`);
    }
    this.prepared = p.value;
    this.tick();
    return true;
  }

  /** Stop the schedule; a running script gets SIGTERM (SIGKILL `killAfterMs` later) and is awaited. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.prepared = undefined;
    const cur = this.current;
    if (cur) {
      cur.abort.abort();
      await cur.done;
    }
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  /** keepalived turns an interval of 0 into 1 s. */
  private get intervalMs(): number {
    return this.opts.script.intervalMs > 0 ? this.opts.script.intervalMs : 1000;
  }

  private tick(): void {
    const prepared = this.prepared;
    if (!prepared) return;
    this.timer = setTimeout(() => this.tick(), this.intervalMs);
    if (this.current) {
      this.stats.skipped++;
      this.log.info(`Track script ${this.name} is already running, expect idle - skipping run`);
      return;
    }
    const abort = new AbortController();
    const done = runScript(prepared, {
      log: this.log,
      timeoutMs: this.opts.script.timeoutMs ?? this.intervalMs,
      killAfterMs: this.opts.killAfterMs ?? 2000,
      signal: abort.signal,
    }).then((r) => this.finished(r, abort.signal.aborted));
    this.current = { abort, done };
  }

  private finished(r: ScriptResult, stopped: boolean): void {
    this.current = undefined;
    if (stopped) return;
    this.stats.runs++;
    if (r.code !== null && r.code !== this.lastStatus) this.log.info({ status: r.code }, `Script \`${this.name}\` now returning ${r.code}`);
    if (r.code !== null) this.lastStatus = r.code;
    if (r.timedOut) this.stats.timeouts++;
    // keepalived: exit 0 is a success even after our SIGTERM; death by signal is a failure.
    const success = r.code === 0;
    if (!success) this.stats.failures++;
    this.opts.onResult(this.name, success);
  }
}
