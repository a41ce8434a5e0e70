/**
 * The checker engine of one node: every virtual server's real servers and their checkers,
 * driven sans-I/O as `handle(now, input) -> { effects, deadline }`. It never reads a clock,
 * opens a socket or runs a process: `runProbe` effects ask the driver to probe, and the
 * driver answers with `probeResult` inputs. One heap of probe units gives the next deadline.
 *
 * Start (keepalived check_daemon.c / ipwrapper.c `init_services`, check_api.c
 * `register_checkers_thread`): non-alpha real servers are in the table at once, alpha ones
 * only after their checkers succeed; each unit first runs 1 s + random(0..warmup) after start.
 */
import type { KeepalivedConfig, Script } from '../config/model.js';
import type { LiveDest } from '../ipvs/live-dest.js';
import { DeadlineHeap } from '../util/deadline-heap.js';
import { fileStatus, WEIGHT_FAULT } from './file.js';
import { httpStep } from './http.js';
import { genericStep, newOutcome, type Outcome } from './schedule.js';
import { ServerRules, VsState, type RsState, type Sink } from './servers.js';
import type { CheckEffect, CheckInput, CheckLogEvent, CheckStep, ProbeResult, RsKey, ScriptReason, VsKey } from './types.js';
import { vsKeys } from './format.js';
import { BOOTSTRAP_DELAY_MS, buildUnits, byKeyOf, miscScriptName, ProbedBindings, type Binding, type Unit } from './units.js';

/**
 * The most probes one tick starts (unless the tick says fewer). A driver whose loop lags (a CPU
 * it shares) finds many due at once, and starting them all in one go held its loop: at 5,000
 * real servers in a one-CPU guest a SIGHUP waited 2.4 s behind such a batch. Those left are
 * still due: the step's deadline is already past, and the driver ticks again after the I/O
 * that is waiting.
 */
export const PROBES_PER_TICK = 256;

export interface CheckerEngineOptions {
  /** uniform in [0, 1): the warmup spread (keepalived random()); inject for determinism */
  readonly random?: () => number;
  /** emit 'stateTrap' effects (SNMP notifications are on) */
  readonly stateTraps?: boolean;
  /**
   * The engine a reload replaces: its objects for the same real servers and probes are taken
   * over (RsState.adopt, Unit.adopt), not made again, and it must not be used afterwards. The
   * next input is then `reload` from it.
   */
  readonly takeOver?: CheckerEngine;
}

export interface CheckerStats {
  /** probe units (identical checks of several virtual servers count once) */
  readonly units: number;
  /** checkers of real servers, FILE_CHECK included */
  readonly checkers: number;
  probesStarted: number;
  probesFailed: number;
  staleResults: number;
}

export class CheckerEngine {
  private readonly servers: VsState[];
  private readonly byKey: ReadonlyMap<VsKey, VsState>;
  private readonly units: Unit[];
  private readonly files: Map<string, Binding[]>;
  private readonly bindings: readonly Binding[];
  private readonly fileValues = new Map<string, number>();
  private readonly bfds: Map<string, Binding[]>;
  /** the last Up / Down of each BFD session (keepalived's BFD process reports one at start) */
  private readonly bfdStates = new Map<string, boolean>();
  private readonly heap = new DeadlineHeap<Unit>();
  private readonly rules: ServerRules;
  private readonly random: () => number;
  private readonly outcome: Outcome = newOutcome();
  private fx: CheckEffect[] = [];
  private generation = 0;
  private readonly dirty = new Set<VsState>();
  private started = false;
  private stopped = false;
  /** set by takeOver until the reload: the engine replaced, and what each binding carries over (Built.carried) */
  private tookOver: { readonly engine: CheckerEngine; readonly carried: readonly (Binding | undefined)[] } | undefined;
  readonly stats: CheckerStats;

  constructor(cfg: KeepalivedConfig, opts: CheckerEngineOptions = {}) {
    this.random = opts.random ?? Math.random;
    const keys = vsKeys(cfg.virtualServers);
    const prev = opts.takeOver;
    this.servers = cfg.virtualServers.map((vs, i) => new VsState(i, vs, keys[i]!, prev?.byKey.get(keys[i]!)));
    this.byKey = new Map(this.servers.map((vs) => [vs.key, vs]));
    const built = buildUnits(cfg, this.servers, prev ? { units: prev.units, bindings: prev.bindings } : undefined);
    if (prev) this.tookOver = { engine: prev, carried: built.carried! };
    this.units = built.units;
    this.files = built.files;
    this.bfds = built.bfds;
    this.bindings = built.bindings;
    for (const u of this.units) for (const b of u.bindings) if (!b.rs.vs.suspended) u.enabled++;
    // what the server rules say is a change of state (not the engine's own probe lines)
    const sink: Sink = {
      log: (event) => {
        this.generation++;
        this.fx.push({ type: 'log', event });
      },
      script: (script: Script, reason: ScriptReason, vs, rs, stopping) =>
        this.fx.push({ type: 'runScript', script, reason, vs: vs.key, ...(rs !== undefined ? { rs: rs.name } : {}), stopping }),
      fifo: (line) => this.fx.push({ type: 'fifo', line }),
      trap: (vs, rs, stopping) => {
        if (!opts.stateTraps) return;
        this.fx.push({
          type: 'stateTrap', vs: vs.key, ...(rs ? { rs: rs.name, alive: rs.alive } : {}), quorumUp: vs.quorumUp, realUp: vs.liveCount(), stopping,
        });
      },
      alert: (subject, body) => this.fx.push({ type: 'alert', subject, body }),
      dirty: (vs) => {
        this.generation++;
        vs.invalidate();
        this.dirty.add(vs);
      },
    };
    // keepalived: a real server alerts unless told not to, a virtual server only when told to
    const g = cfg.globalDefs;
    this.rules = new ServerRules(sink, {
      rs: g.smtpAlertChecker ?? g.smtpAlert ?? true, vs: g.smtpAlertChecker ?? g.smtpAlert ?? false, noCheckerEmails: g.noCheckerEmails === true,
    });
    this.stats = { units: this.units.length, checkers: built.bindings.length, probesStarted: 0, probesFailed: 0, staleResults: 0 };
  }

  /** The real servers (and sorry server) that must be in virtual server `vs`'s table now. */
  liveDests(vs: VsKey): readonly LiveDest[] {
    return this.byKey.get(vs)?.liveDests() ?? [];
  }

  /** Virtual server `vs`'s state. */
  server(vs: VsKey): VsState | undefined {
    return this.byKey.get(vs);
  }

  /** Every virtual server's state, in configuration order (views and reload). */
  get virtualServers(): readonly VsState[] {
    return this.servers;
  }

  /** Every checker of every real server (views and reload). */
  get checkers(): readonly Binding[] {
    return this.bindings;
  }

  nextDeadline(): number | undefined {
    return this.heap.peek();
  }

  private realServer(vs: VsKey, rs: RsKey): RsState | undefined {
    return this.byKey.get(vs)?.rss.find((r) => r.name === rs);
  }

  /**
   * Bumped by every change of what the servers show (a checker's state, alive, weights, quorum,
   * the table, suspension): a view made at the same number is still true. A probe that only
   * confirms what was known changes nothing.
   */
  get stateGeneration(): number {
    return this.generation;
  }

  handle(now: number, input: CheckInput): CheckStep {
    this.fx = [];
    if (input.type !== 'tick' && input.type !== 'probeResult') this.generation++;
    switch (input.type) {
      case 'start': this.start(now); break;
      // (a limit below one would leave every due probe unstarted and the driver ticking at once)
      case 'tick': this.tick(now, input.maxProbes !== undefined && input.maxProbes >= 1 ? input.maxProbes : PROBES_PER_TICK); break;
      case 'probeResult': this.result(now, input.probeId, input); break;
      case 'vipPresent': this.vipPresent(input.vs, input.present); break;
      case 'fileValue': this.fileValue(input.name, input.value); break;
      case 'bfd': this.bfdState(input.name, input.up); break;
      case 'setWeight': {
        const rs = this.realServer(input.vs, input.rs);
        if (rs && !this.stopped) this.rules.setWeight(rs, input.weight);
        break;
      }
      case 'shutdown': this.shutdown(); break;
      case 'reload': this.reload(now, input.previous); break;
    }
    if (this.dirty.size) {
      for (const vs of this.dirty) this.fx.push({ type: 'destsChanged', vs: vs.key });
      this.dirty.clear();
    }
    // not kept here: a start's effects (a line for each of 50,000 checkers) would stay alive
    // until the next input
    const effects = this.fx;
    this.fx = [];
    return { effects, deadline: this.heap.peek() };
  }

  private start(now: number): void {
    // its units are still in the replaced engine's heap: only a reload starts it
    if (this.tookOver) throw new Error('CheckerEngine: an engine that took another over starts with its reload');
    if (this.started || this.stopped) return;
    this.started = true;
    for (const [name, bs] of this.files) {
      const value = this.fileValues.get(name) ?? 0;
      this.fileValues.set(name, value);
      for (const b of bs) this.initFile(b, value);
    }
    for (const vs of this.servers) this.rules.initVs(vs);
    for (const [name, up] of this.bfdStates) this.bfdState(name, up);
    for (const u of this.units) {
      for (const b of u.bindings) {
        this.log({ event: 'checkerStart', suspended: b.rs.vs.suspended, rs: b.rs.name, vs: b.rs.vs.name });
      }
      const warmup = u.warmupMs ? Math.floor(u.warmupMs * this.random()) : 0;
      this.heap.schedule(u, now + BOOTSTRAP_DELAY_MS + warmup);
    }
  }

  private tick(now: number, maxProbes: number): void {
    // at most maxProbes units; those left are still due, and the deadline says so
    for (let n = 0; n < maxProbes; n++) {
      const u = this.heap.popDue(now);
      if (!u) break;
      if (u.enabled === 0) {
        // suspended (ha_suspend): look again a delay_loop later
        this.heap.schedule(u, now + u.timing.delayLoopMs);
        continue;
      }
      u.running = true;
      u.lastRunAt = now;
      this.stats.probesStarted++;
      this.fx.push({ type: 'runProbe', probeId: u.id, plan: u.plans[u.http ? u.state.urlIndex : 0]! });
    }
  }

  private result(now: number, id: number, r: ProbeResult): void {
    const u = this.units[id];
    if (!u || !u.running || this.stopped) {
      this.stats.staleResults++;
      return;
    }
    u.running = false;
    if (!r.ok) this.stats.probesFailed++;
    const url = u.http ? u.plans[u.state.urlIndex] : undefined;
    const o = u.http
      ? httpStep(u.state, u.timing, u.fastRecovery, u.plans.length, r.ok, this.outcome)
      : genericStep(u.state, u.timing, u.kind.retryWhileDown, r.ok, this.outcome);
    for (const b of u.bindings) {
      // a checker of a suspended virtual server (ha_suspend) does not run in keepalived: a
      // probe shared with another virtual server leaves its state alone
      if (b.rs.vs.suspended) continue;
      if (url && r.ok && !o.wasUp && url.type !== 'TCP_CHECK' && 'url' in url) {
        this.log({ event: 'urlSuccess', ...(r.detail !== undefined ? { detail: r.detail } : {}), rs: b.rs.name, path: url.url.path });
      }
      if (b.dynamic && r.ok) this.dynamicWeight(b, r);
      if (o.attempt && u.logAllFailures) this.log(probeEvent(b, 'attempt', r, u.state.retryIt, u.timing.retry, o.hadRun));
      if (!o.report) {
        // keepalived marks a checker as run after every result, reported or not
        b.hasRun = true;
        continue;
      }
      this.log(probeEvent(b, o.alive ? 'up' : 'down', r, u.state.retryIt, u.timing.retry, o.hadRun));
      if (!o.alive && b.dynamic) {
        b.rs.effWeight -= b.curWeight;
        b.curWeight = 0;
        b.last = r.exitCode ?? -1;
      } else if (!o.alive && r.exitCode !== undefined) {
        // a MISC_CHECK's last exit status, as keepalived keeps it (the state dump shows it)
        b.last = r.exitCode;
      }
      const wasUp = b.isUp;
      const rsWasAlive = b.rs.alive;
      this.checkerState(b, o.alive);
      if (u.kind.alertOnReport || wasUp !== o.alive) this.rules.checkerAlert(b.rs, rsWasAlive, u.kind.alertBody(o.alive, r));
    }
    this.heap.schedule(u, now + o.delayMs);
  }

  /** keepalived clear_diff_services / set_rs_... on reload: carry what did not change. */
  private reload(now: number, prev: CheckerEngine): void {
    if (this.started || this.stopped) return;
    const took = this.tookOver;
    if (took && took.engine !== prev) throw new Error('CheckerEngine: reload from another engine than the one taken over');
    this.tookOver = undefined;
    this.started = true;
    for (const [k, v] of prev.fileValues) this.fileValues.set(k, v);
    for (const [k, v] of prev.bfdStates) this.bfdStates.set(k, v);
    for (const [name, up] of this.bfdStates) this.bfdState(name, up);
    for (const [name, bs] of this.files) {
      const value = this.fileValues.get(name) ?? 0;
      this.fileValues.set(name, value);
      for (const b of bs) this.initFile(b, value);
    }
    const oldVs = prev.byKey;
    // The same real server's old state, and its probed checkers; taken over, the build has
    // paired them already (buildUnits carried)
    const oldOf = new Map<RsState, RsState>();
    const probed = took ? undefined : new ProbedBindings(prev.bindings);
    const servers = this.servers;
    for (let v = 0; v < servers.length; v++) {
      const vs = servers[v]!;
      const ov = oldVs.get(vs.key);
      if (!ov) continue;
      vs.reloaded = true;
      vs.quorumUp = ov.quorumUp;
      vs.sorryAlive = ov.sorryAlive;
      // taken over (RsState.adopt): its real servers of the same name have their state already
      if (took) continue;
      const oldRs = new Map<string, RsState>();
      for (let i = 0; i < ov.rss.length; i++) oldRs.set(ov.rss[i]!.name, ov.rss[i]!);
      for (let i = 0; i < vs.rss.length; i++) {
        const rs = vs.rss[i]!;
        const o = oldRs.get(rs.name);
        if (!o) continue;
        oldOf.set(rs, o);
        rs.reloaded = true;
        rs.prevEffWeight = o.effWeight;
        rs.alive = o.alive;
        rs.set = o.set;
      }
    }
    const bindings = this.bindings;
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i]!;
      const o = b.unit && probed ? oldOf.get(b.rs) : undefined;
      const ob = took ? took.carried[i] : o ? probed!.get(o, b.unit!.key) : undefined;
      if (!ob) continue;
      // ob === b: taken over with its results (buildUnits)
      const own = ob === b;
      if (b.alpha) b.rs.numFailed--; // the build counted it as failed until its first success
      if (!own) {
        b.isUp = ob.isUp;
        b.hasRun = ob.hasRun;
      }
      if (!b.isUp) b.rs.numFailed++;
      if (b.dynamic) {
        if (!own) {
          b.curWeight = ob.curWeight;
          b.last = ob.last;
        }
        b.rs.effWeight += b.curWeight;
      } else if (b.cfg.type === 'MISC_CHECK' && !own) b.last = ob.last; // its last exit status (the state dump)
    }
    // a real server whose checkers all carried over keeps its alive state; otherwise the
    // start-up rule decides (alive unless a checker is down)
    for (let v = 0; v < servers.length; v++) {
      const vs = servers[v]!;
      for (let i = 0; i < vs.rss.length; i++) {
        const rs = vs.rss[i]!;
        if (rs.alive && rs.numFailed > 0) rs.alive = false;
      }
      this.rules.initVs(vs);
    }
    // taken over, a unit of an old probe is the old unit itself (Unit.takenOver), and the others are new
    const oldUnits = took ? undefined : byKeyOf(prev.units);
    const units = this.units;
    for (let i = 0; i < units.length; i++) {
      const u = units[i]!;
      const ou = oldUnits ? oldUnits.get(u.key) : u.takenOver ? u : undefined;
      u.takenOver = false;
      if (ou) {
        const at = ou.running || !Number.isFinite(ou.heapAt) ? now : ou.heapAt;
        if (ou === u) {
          // taken over: its state is here already; out of the old engine's heap and run
          u.heapAt = Number.POSITIVE_INFINITY;
          u.heapIndex = -1;
          u.running = false;
        } else {
          Object.assign(u.state, ou.state);
          if (ou.lastRunAt !== undefined) u.lastRunAt = ou.lastRunAt;
        }
        // keepalived's new HTTP checker starts again at its first URL, with no failed one
        if (u.http) Object.assign(u.state, { urlIndex: 0, failedUrl: -1 });
        // due while the reload read the file (seconds, at tens of thousands of real servers):
        // spread over a random part of its warmup, as keepalived starts every checker after a
        // reload, not all at once (a burst of connects the real servers' backlogs drop)
        this.heap.schedule(u, at < now && u.warmupMs ? now + Math.floor(u.warmupMs * this.random()) : at);
        continue;
      }
      for (const b of u.bindings) {
        this.log({ event: 'checkerStart', suspended: b.rs.vs.suspended, rs: b.rs.name, vs: b.rs.vs.name });
      }
      const warmup = u.warmupMs ? Math.floor(u.warmupMs * this.random()) : 0;
      this.heap.schedule(u, now + BOOTSTRAP_DELAY_MS + warmup);
    }
  }

  /** misc_dynamic: the weight from the exit status (check_misc.c `misc_check_child_thread`). */
  private dynamicWeight(b: Binding, r: ProbeResult): void {
    const status = r.exitCode ?? (r.weight !== undefined ? r.weight + 2 : 0);
    if (status === b.last) return;
    const rs = b.rs;
    let w = rs.effWeight - b.curWeight;
    b.curWeight = status ? status - 2 - rs.iweight : 0;
    w += b.curWeight;
    b.last = status;
    this.rules.setWeight(rs, w);
  }

  /** update_svr_checker_state: one checker of a real server goes up or down. */
  private checkerState(b: Binding, alive: boolean): void {
    this.generation++;
    const rs = b.rs;
    if (b.isUp === alive) {
      if (!b.hasRun) {
        if (b.alpha || !alive) this.rules.rsNotify(rs, false);
        b.hasRun = true;
      }
      return;
    }
    b.hasRun = true;
    if (alive ? rs.numFailed <= 1 : rs.numFailed === 0) this.rules.setAlive(rs, alive);
    b.isUp = alive;
    if (!alive) rs.numFailed++;
    else if (rs.numFailed) rs.numFailed--;
  }

  private vipPresent(key: VsKey, present: boolean): void {
    const vs = this.byKey.get(key);
    if (!vs || !vs.cfg.haSuspend || vs.cfg.fwmark !== undefined || vs.suspended === !present) return;
    vs.suspended = !present;
    for (const u of this.units) {
      for (const b of u.bindings) {
        if (b.rs.vs !== vs) continue;
        u.enabled += present ? 1 : -1;
        if (this.started) this.log({ event: 'checkerSuspend', suspended: !present, rs: b.rs.name, vs: vs.name });
        // a probe shared with another virtual server went on while this one was suspended:
        // its checker takes up the probe's state (keepalived's own probe would find it next)
        if (present && this.started && u.state.hasRun && b.isUp !== u.state.isUp) this.checkerState(b, u.state.isUp);
      }
    }
  }

  private initFile(b: Binding, value: number): void {
    // keepalived (check_file.c set_track_file_checkers_down) looks at a file only when its value
    // is not 0: a file reading 0 at start leaves the checker up, `weight 0 reverse` included
    const status = value === 0 ? 0 : fileStatus(b.file!, value);
    b.last = status;
    if (status === WEIGHT_FAULT) {
      b.isUp = false;
      b.rs.numFailed++;
    } else {
      b.curWeight = status;
      b.rs.effWeight += status;
    }
  }

  /** check_bfd.c bfd_check_handle_event: a BFD_CHECK takes its session's state as its result */
  private bfdState(name: string, up: boolean): void {
    this.bfdStates.set(name, up);
    if (!this.started || this.stopped) return;
    for (const b of this.bfds.get(name) ?? []) {
      if (up === b.isUp && b.hasRun) continue;
      this.log({ event: 'bfd', name, up, rs: b.rs.name });
      const wasUp = b.isUp;
      const rsWasAlive = b.rs.alive;
      this.checkerState(b, up);
      if (wasUp !== up) this.rules.checkerAlert(b.rs, rsWasAlive, `=> BFD CHECK ${name} ${up ? 'succeeded' : 'failed'} on service <=`);
    }
  }

  /** process_update_checker_track_file_status */
  private fileValue(name: string, value: number): void {
    const before = this.fileValues.get(name);
    this.fileValues.set(name, value);
    // keepalived (update_track_file_status) acts on a new value only, not on a read of the same one
    if (!this.started || this.stopped || before === value) return;
    for (const b of this.files.get(name) ?? []) {
      const status = fileStatus(b.file!, value);
      const prev = b.last;
      if (status === prev) continue;
      b.last = status;
      const rs = b.rs;
      if (status === WEIGHT_FAULT) {
        this.checkerState(b, false);
        rs.effWeight -= b.curWeight;
        b.curWeight = 0;
      } else if (prev === WEIGHT_FAULT) {
        b.curWeight = status;
        rs.effWeight += status;
        this.checkerState(b, true);
      } else {
        this.rules.setWeight(rs, rs.effWeight + status - prev);
        b.curWeight = status;
      }
    }
  }

  private shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.heap.clear();
    if (!this.started) return;
    for (const vs of this.servers) this.rules.stopVs(vs);
  }

  private log(event: CheckLogEvent): void {
    this.fx.push({ type: 'log', event });
  }
}

/** A checker's result as a log event (log-text.ts words it as its checker type does). */
function probeEvent(b: Binding, outcome: 'up' | 'down' | 'attempt', result: ProbeResult, retryIt: number, retry: number, hasRun: boolean): CheckLogEvent {
  const script = miscScriptName(b.cfg);
  return { event: 'probe', outcome, checker: b.cfg.type, ...(script !== undefined ? { script } : {}), rs: b.rs.name, vs: b.rs.vs.name, result, retry, retryIt, hasRun };
}
