/**
 * The checker side (keepalived's Healthcheck child): the sans-I/O checker engine (src/check)
 * driven on real timers, its probes run by src/io, and the kernel's IPVS table kept equal to
 * what the engine says should be live, through the reconciler (src/ipvs) and the generic
 * netlink client. Runs in its own process (checker-child.ts), so nothing here can delay a
 * VRRP advert.
 *
 * IPVS: at start one dump of the kernel's table; services of this configuration, and those an
 * earlier run recorded as ours (state file), are reconciled: a crash never leaves stale
 * destinations behind, and services we never created are never touched. After that the daemon
 * keeps its own copy of the table in step with what it applied, so a change costs one diff and
 * the few operations it needs. At stop the owned services are removed (as keepalived does).
 *
 * The LVS globals, as keepalived's check_daemon.c / ipvswrapper.c: `lvs_timeouts` are set at
 * start and at each reload (the kernel's own values are read first, recorded in the state file
 * so that a restarted child still knows them, and put back at a reload without lvs_timeouts
 * and at stop, -I included); `lvs_flush` empties the whole table at start (not at a reload);
 * `lvs_flush_on_stop` empties it at stop instead of removing the owned services one by one
 * (`VS`: each virtual server is removed whole, which is what keepalived-ts always does).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { KeepalivedConfig } from '../config/model.js';
import { CheckerEngine } from '../check/engine.js';
import type { CheckEffect, CheckInput, ProbePlan, RsKey, VsKey } from '../check/types.js';
import { checkLogText } from '../check/log-text.js';
import { TickBudget } from '../check/tick-budget.js';
import type { VsState } from '../check/servers.js';
import { KtsError } from '../errors/index.js';
import { IpvsClient } from '../io/ipvs-genl.js';
import { closePingSockets, runProbe, type ProbeOptions } from '../io/probes.js';
import { watchCheckFiles, type FileCheckWatchers } from '../io/probe-file.js';
import { Rtnl, type RtnlEvent } from '../io/rtnl.js';
import { Notifier } from '../io/notify.js';
import { runScript } from '../io/script-runner.js';
import { loadTlsCreds, tlsCredsCounters } from '../io/tls-creds.js';
import { alerterFor, smtpCounters, type SmtpAlerter } from '../io/smtp-alert.js';
import { ScriptUsers } from '../io/users.js';
import { droppedLogLines } from '../io/logger.js';
import { desiredChanges, destsFor, servicesFor } from '../ipvs/from-config.js';
import { serviceId } from '../ipvs/keys.js';
import { describeOp } from '../ipvs/keys.js';
import { reconcile } from '../ipvs/reconcile.js';
import { applyToTable, tableOf } from '../ipvs/table.js';
import type { IpvsOp, IpvsService, IpvsTimeouts, IpvsVirtual } from '../ipvs/types.js';
import { sumCounters, type VsCounters } from '../ipvs/counters.js';
import { formatIp } from '../util/ip.js';
import { schedInForce } from '../io/sched.js';
import { virtualServerViews, virtualServerViewsSliced, type CheckDumpView, type CheckView, type VirtualServerView } from './check-view.js';
import { loadForDaemon, type EarlyReading } from './load-config.js';
import { Announcer } from './announcer.js';
import { rtnlAnnounceRoutes } from '../io/announce-routes.js';
import { collectStartupGarbage, withoutPretenuring } from './heap.js';
import { removePidfile, writePidfile } from './pidfile.js';
import { DEFAULT_IPVS_STATE } from './run-identity.js';
import { scriptHost } from './view-host.js';

function fifoConfig(cfg: KeepalivedConfig): string {
  const g = cfg.globalDefs;
  return JSON.stringify([g.lvsNotifyFifo, g.lvsNotifyFifoScript, g.notifyFifo?.path], (k, v: unknown) => (k === 'loc' ? undefined : v));
}

export { DEFAULT_IPVS_STATE };

export interface CheckDaemonOptions {
  readonly file: string;
  readonly configId: string;
  readonly log: Logger;
  readonly pidFile?: string;
  /** where the serviceIds this daemon owns are recorded between runs */
  readonly stateFile?: string;
  /** -I: leave the IPVS services in place at stop */
  readonly dontReleaseIpvs?: boolean;
  /** -C by hand: no VRRP process runs (LoadOptions.process) */
  readonly checkerOnly?: boolean;
}

export type StateTrap = Extract<CheckEffect, { type: 'stateTrap' }>;

export interface CheckDaemonStats {
  probes: number;
  probeErrors: number;
  ipvsOps: number;
  ipvsErrors: number;
  scripts: number;
}

export class CheckDaemon {
  readonly stats: CheckDaemonStats = { probes: 0, probeErrors: 0, ipvsOps: 0, ipvsErrors: 0, scripts: 0 };
  private cfg!: KeepalivedConfig;
  /** the IPVS services of each virtual server (a group gives several), computed once */
  private services: IpvsService[][] = [];
  private engine!: CheckerEngine;
  /** BFD sessions' states heard before the engine exists (the parent tells a new child at once) */
  private readonly earlyBfd = new Map<string, boolean>();
  /** active-active: the announced VIPs (src/daemon/announcer.ts), and the VRRP states it reads */
  private announcer: Announcer | undefined;
  private announceRtnl: Rtnl | undefined;
  private readonly vrrpStates = new Map<string, string>();
  private ipvs: IpvsClient | undefined;
  private rtnl: Rtnl | undefined;
  private files: FileCheckWatchers | undefined;
  private users!: ScriptUsers;
  private kernel = new Map<string, IpvsVirtual>();
  private owned = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** how many probes a tick starts, from what starting them has cost (kept across reloads) */
  private readonly tickBudget = new TickBudget();
  private flushing: Promise<void> | undefined;
  /** virtual servers (keys) whose live destinations changed since the last reconcile */
  private dirty = new Set<VsKey>();
  private stopped = false;
  private started = false;
  /** interface addresses, for ha_suspend: "family text" present on the box */
  private localAddrs = new Map<string, number>();
  /** ha_suspend: the last presence told to the engine, per virtual server */
  private readonly vipState = new Map<VsKey, boolean>();
  private readonly abort = new AbortController();
  /** what every probe is run with (one object, not one per probe) */
  private probeOpts!: ProbeOptions;
  private alerter: SmtpAlerter | undefined;
  /** the kernel's connection timeouts before lvs_timeouts changed them (put back at stop) */
  private kernelTimeouts: IpvsTimeouts | undefined;

  /** SNMP notifications are on: where the state changes they tell of go (src/daemon/check-snmp.ts) */
  private stateTrap: ((e: StateTrap) => void) | undefined;
  /** changes of the IPVS table applied, and of the engines replaced (with their own changes) */
  private changes = 0;

  /**
   * Grows with every change of what the servers show (a checker's state, alive, weights,
   * quorum, the kernel's table, a reload): a view made at the same number is still true.
   */
  get stateGeneration(): number {
    return this.changes + (this.engine?.stateGeneration ?? 0);
  }

  constructor(private readonly opts: CheckDaemonOptions) {}

  /** Hear of the state changes SNMP notifies; set before the checkers start (start()'s `first`). */
  onStateTrap(listener: (e: StateTrap) => void): void {
    this.stateTrap = listener;
  }

  private get stateFile(): string {
    return this.opts.stateFile ?? DEFAULT_IPVS_STATE;
  }

  private readonly startedAt = Date.now();
  private reloads = 0;
  /** a reload could not build its engine after taking the old one's objects over: exit (main.ts) */
  broken = false;
  private notifier: Notifier | undefined;
  private fifoConfig = '';
  /** bumped at each reload: probe results of an older engine are dropped */
  private generation = 0;
  /** a reload is taking over: the old engine starts no probe and changes no table */
  private holding = false;

  /** lvs_notify_fifo (ours, with its script) and the main process's notify_fifo. */
  private async openFifos(cfg: KeepalivedConfig): Promise<Notifier | undefined> {
    const g = cfg.globalDefs;
    if (!g.lvsNotifyFifo && !g.notifyFifo) return undefined;
    this.fifoConfig = fifoConfig(cfg);
    return Notifier.create({
      ...(g.lvsNotifyFifo ? { lvsNotifyFifo: { ...g.lvsNotifyFifo, ...(g.lvsNotifyFifoScript ? { script: g.lvsNotifyFifoScript } : {}) } } : {}),
      ...(g.notifyFifo ? { sharedFifo: g.notifyFifo.path } : {}),
      users: this.users, log: this.opts.log.child({ mod: 'notify' }),
    });
  }

  /** The configuration running now (after the last reload). */
  get config(): KeepalivedConfig {
    return this.cfg;
  }

  /** The checker side's state as plain data (dumps, status API, metrics). */
  view(): CheckView {
    return this.viewOf(this.engine ? virtualServerViews(this.engine) : []);
  }

  /**
   * view() with the virtual servers made in slices, `pause()` awaited between them (the status
   * API and metrics at tens of thousands of real servers); undefined once `expired()`.
   */
  async viewSliced(pause: () => Promise<void>, expired: () => boolean): Promise<CheckView | undefined> {
    const vss = this.engine ? await virtualServerViewsSliced(this.engine, pause, expired) : [];
    return vss && this.viewOf(vss);
  }

  /** The view without its servers: the counters and sizes (a metrics scrape's, check-metrics.ts). */
  counterView(): CheckView {
    return this.viewOf([]);
  }

  private viewOf(virtualServers: VirtualServerView[]): CheckView {
    const routingDaemon = this.announcer?.routingDaemonView();
    return {
      configFile: this.opts.file,
      pid: process.pid,
      startedAt: this.startedAt,
      reloads: this.reloads,
      virtualServers,
      stats: {
        ...this.stats, ...(this.engine ? this.engine.stats : {}),
        smtpAlertsSent: smtpCounters.sent, smtpAlertsFailed: smtpCounters.failed, sslContextErrors: tlsCredsCounters.contextErrors,
        logLinesDropped: droppedLogLines(),
        ...(this.announcer ? { announceFailures: this.announcer.failures, routingDaemonStops: this.announcer.routingDaemonStops } : {}),
      },
      ...(this.announcer ? { announced: this.announcer.announced() } : {}),
      ...(routingDaemon ? { routingDaemon } : {}),
    };
  }

  /** What keepalived_check.data is written from (SIGUSR1 in this process). */
  dumpView(): CheckDumpView {
    const cfg = this.cfg;
    return {
      config: cfg,
      ...(this.engine ? { engine: this.engine } : {}),
      serviceUp: (vs) => (this.services[vs] ?? []).some((s) => this.kernel.has(serviceId(s.key))),
      host: scriptHost(cfg.globalDefs),
      sched: schedInForce(),
    };
  }

  /**
   * The kernel's counters of each virtual server's services and destinations (its services
   * summed, as keepalived's ipvs_update_stats sums a group's); undefined without IPVS.
   */
  async ipvsCounters(): Promise<VsCounters[] | undefined> {
    if (!this.ipvs) return undefined;
    const all = await this.ipvs.dumpStats();
    return this.services.map((svcs) => sumCounters(svcs.map((s) => all.get(serviceId(s.key))).filter((x) => x !== undefined)));
  }

  /** SIGHUP: load the configuration again and apply what changed (real servers keep their state). */
  async reload(): Promise<void> {
    if (!this.started || this.stopped) throw new KtsError('DAEMON_CONFIG', 'the checker side is not running');
    const log = this.opts.log;
    const t0 = performance.now();
    // a configuration that cannot be run throws here, and the running one carries on
    const next = loadForDaemon(this.opts.file, this.opts.configId, log, this.opts.checkerOnly ? 'checker' : undefined);
    const loaded = performance.now();
    // From here the old engine starts no probe and no new flush: the flush under way ends, and
    // the table is reconciled from the new engine below. (After a long read, its overdue probes
    // would all start at once, and the failures of that burst be applied.)
    this.holding = true;
    this.disarm();
    try {
      await this.flushing?.catch(() => undefined);
      await this.reloadWith(next, log, t0, loaded, performance.now());
    } finally {
      if (this.holding && !this.broken) {
        // the reload failed before the new engine took over: the old one goes on, and what
        // it changed meanwhile is applied
        this.holding = false;
        this.arm(this.engine.nextDeadline());
        for (const vs of [...this.dirty]) this.markDirty(vs);
      }
    }
  }

  /** `flushed`: when the IPVS flush under way at the reload had ended. */
  private async reloadWith(next: KeepalivedConfig, log: Logger, t0: number, loaded: number, flushed: number): Promise<void> {
    const prevEngine = this.engine;
    const prevOwned = new Set(this.owned);
    this.cfg = next;
    this.services = next.virtualServers.map((vs) => servicesFor(next, vs));
    this.users = ScriptUsers.host({
      enableScriptSecurity: next.globalDefs.enableScriptSecurity,
      ...(next.globalDefs.scriptUser ? { scriptUser: next.globalDefs.scriptUser } : {}),
    });
    this.configureIo(next, log);
    await this.applyTimeouts(next);
    if (fifoConfig(next) !== this.fifoConfig) {
      await this.notifier?.close();
      this.notifier = await this.openFifos(next);
    }
    this.changes += this.engine.stateGeneration + 1;
    const prepared = performance.now();
    try {
      // the old engine's objects for the same real servers and probes are taken over, not
      // made again (at 50,000 real servers in a small VM, their pages were most of a reload)
      this.engine = withoutPretenuring(() => new CheckerEngine(next, { random: Math.random, stateTraps: this.stateTrap !== undefined, takeOver: prevEngine }));
    } catch (e) {
      // a bug: the old engine may be half taken over and cannot go on (main.ts exits, and the
      // VRRP process starts a new checker, which finds its table in the state file)
      this.broken = true;
      throw new KtsError('INTERNAL', `internal error: the new checkers could not be built (${(e as Error).message}); the checker process restarts`, { cause: e });
    }
    const made = performance.now();
    // results of probes started by the old engine are dropped
    this.generation++;
    this.holding = false;
    this.disarm();
    const step = this.engine.handle(performance.now(), { type: 'reload', previous: prevEngine });
    const built = performance.now();
    // services that left the configuration go; the others keep their destinations
    this.owned = new Set();
    await this.applyDesired(prevOwned);
    const applied = performance.now();
    this.writeState();
    this.files?.stop();
    this.files = watchCheckFiles(next, log.child({ mod: 'track' }), (name, value) => this.input({ type: 'fileValue', name, value }));
    if (next.virtualServers.some((vs) => vs.haSuspend)) {
      this.vipState.clear();
      if (this.rtnl) this.announceVips();
      else await this.watchAddresses();
    }
    await this.announce(next);
    // the old configuration and engine, and the new one's reading: collected at once too, and
    // settled: the pages of both models given back (heap.ts)
    collectStartupGarbage({ settle: true });
    this.perform(step.effects);
    this.arm(step.deadline);
    this.reloads++;
    const ms = (a: number, b: number): number => Math.round(b - a);
    log.info({
      virtualServers: next.virtualServers.length, owned: this.owned.size,
      // where the reload's time went: reading the file, the new checkers, the IPVS table; and
      // within the checkers: the IPVS flush it waited for, the services and settings, the new
      // engine, its state carried over from the old one
      ms: ms(t0, performance.now()), readMs: ms(t0, loaded), checkersMs: ms(loaded, built), ipvsMs: ms(built, applied),
      flushWaitMs: ms(loaded, flushed), prepareMs: ms(flushed, prepared), engineMs: ms(prepared, made), carryMs: ms(made, built),
    }, 'checker configuration reloaded');
  }

  /**
   * `first`: what runs once the configuration is read, before anything starts (the startup
   * script of -C). `read`: the configuration as read already, or what its reading threw (the
   * checker child reads it before it loads this module: cli.ts, load-config.ts readEarly).
   */
  async start(first?: (cfg: KeepalivedConfig) => Promise<void>, read?: EarlyReading): Promise<void> {
    const log = this.opts.log;
    if (read && 'error' in read) throw read.error;
    this.cfg = read?.config ?? loadForDaemon(this.opts.file, this.opts.configId, log, this.opts.checkerOnly ? 'checker' : undefined);
    await first?.(this.cfg);
    this.services = this.cfg.virtualServers.map((vs) => servicesFor(this.cfg, vs));
    if (this.opts.pidFile) writePidfile(this.opts.pidFile);
    this.users = ScriptUsers.host({
      enableScriptSecurity: this.cfg.globalDefs.enableScriptSecurity,
      ...(this.cfg.globalDefs.scriptUser ? { scriptUser: this.cfg.globalDefs.scriptUser } : {}),
    });
    this.configureIo(this.cfg, log);
    this.notifier = await this.openFifos(this.cfg);
    this.ipvs = await IpvsClient.open({ log: log.child({ mod: 'ipvs' }) });
    log.info('Initializing ipvs');
    const state = this.readState();
    this.kernelTimeouts = state.kernelTimeouts;
    if (this.cfg.globalDefs.lvsFlush) {
      // keepalived: "Remove any entries left over from previous invocation"
      await this.ipvs.flush().then(
        () => log.info('IPVS table flushed (lvs_flush)'),
        (e: unknown) => { this.stats.ipvsErrors++; log.error({ err: (e as Error).message }, 'lvs_flush: the IPVS table could not be flushed'); },
      );
    }
    this.kernel = new Map(await this.ipvs.dump());
    const previous = this.cfg.globalDefs.lvsFlush ? [] : state.owned;
    this.engine = new CheckerEngine(this.cfg, { random: Math.random, stateTraps: this.stateTrap !== undefined });
    for (const [name, up] of this.earlyBfd) this.engine.handle(performance.now(), { type: 'bfd', name, up });
    this.earlyBfd.clear();
    const step = this.engine.handle(performance.now(), { type: 'start' });
    // the first apply takes over what an earlier run left: owned = this config + the recorded set
    await this.applyDesired(previous);
    this.writeState();
    await this.applyTimeouts(this.cfg);
    if (this.cfg.virtualServers.some((vs) => vs.haSuspend)) await this.watchAddresses();
    this.started = true;
    this.files = watchCheckFiles(this.cfg, log.child({ mod: 'track' }), (name, value) => this.input({ type: 'fileValue', name, value }));
    await this.announce(this.cfg);
    // the configuration's reading left garbage the size of the model: collected now, before
    // the first probes, and the memory given back (as the VRRP process does, src/daemon/heap.ts)
    collectStartupGarbage({ settle: true });
    this.perform(step.effects);
    this.arm(step.deadline);
    log.info('Startup complete');
  }

  /** `keepalived-ts handover VIP [--cancel]` for an announced VIP (src/daemon/announcer.ts). */
  handoverVip(address: string, cancel: boolean): Promise<{ result: 'withdrawn' | 'released' | 'unknown-vip'; announced: boolean; ms: number }> {
    return this.announcer?.handover(address, cancel) ?? Promise.resolve({ result: 'unknown-vip', announced: false, ms: 0 });
  }

  /** SNMP's realServerWeight written: virtual server `vs`'s real server `rs` takes `weight` as its effective weight. */
  setWeight(vs: VsKey, rs: RsKey, weight: number): void {
    this.input({ type: 'setWeight', vs, rs, weight });
  }

  /** A VRRP instance's state, from the VRRP process (announce_vip ... instance NAME). */
  vrrpState(name: string, state: string): void {
    this.vrrpStates.set(name, state);
    this.announcer?.vrrpState(name, state);
  }

  /** The announcer of a configuration with announce_vip (started with the first one that has some). */
  private async announce(cfg: KeepalivedConfig): Promise<void> {
    if (!this.announcer && !cfg.globalDefs.announceVips?.length) return;
    if (!this.announcer) {
      this.announceRtnl = await Rtnl.open({ log: this.opts.log.child({ mod: 'rtnl' }) });
      // the virtual servers by address, once per engine: the announcer asks after every checker step
      let indexed: { engine: CheckerEngine | undefined; byAddress: Map<string, VsState[]> } | undefined;
      const byAddress = (): Map<string, VsState[]> => {
        if (indexed?.engine !== this.engine) {
          const m = new Map<string, VsState[]>();
          for (const vs of this.engine?.virtualServers ?? []) {
            if (vs.cfg.address === undefined) continue;
            const a = formatIp(vs.cfg.address);
            m.set(a, [...(m.get(a) ?? []), vs]);
          }
          indexed = { engine: this.engine, byAddress: m };
        }
        return indexed.byAddress;
      };
      this.announcer = new Announcer(rtnlAnnounceRoutes(this.announceRtnl), {
        quorums: (address) => (byAddress().get(address) ?? []).map((vs) => ({ name: vs.name, up: vs.quorumUp })),
      }, this.opts.log.child({ mod: 'announce' }));
      for (const [name, state] of this.vrrpStates) this.announcer.vrrpState(name, state);
    }
    this.announcer.configure(cfg);
  }

  /** BFD_CHECK: a session went Up or Down (the parent runs the sessions: src/daemon/bfd-runner.ts). */
  bfd(name: string, up: boolean): void {
    if (!this.engine) this.earlyBfd.set(name, up);
    else this.input({ type: 'bfd', name, up });
  }

  /** Feed one input to the engine and perform what it asks. */
  private input(input: CheckInput): void {
    if (this.stopped) return;
    const step = this.engine.handle(performance.now(), input);
    this.perform(step.effects);
    this.arm(step.deadline);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private arm(deadline: number | undefined): void {
    if (deadline === undefined || this.stopped || this.holding) return;
    if (this.timer && deadline >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.tick();
    }, Math.max(0, deadline - performance.now()));
  }

  /** The engine's timers: at most the budget's probes, and what their starts cost, measured. */
  private tick(): void {
    const started = this.stats.probes;
    const t0 = performance.now();
    this.input({ type: 'tick', maxProbes: this.tickBudget.maxProbes });
    this.tickBudget.record(this.stats.probes - started, performance.now() - t0);
  }

  private perform(effects: readonly CheckEffect[]): void {
    for (const e of effects) {
      switch (e.type) {
        case 'runProbe':
          this.probe(e.probeId, e.plan);
          break;
        case 'destsChanged':
          this.markDirty(e.vs);
          break;
        case 'runScript':
          this.script(e);
          break;
        case 'fifo':
          // lvs_notify_fifo, and notify_fifo (the main process's) when it exists
          this.notifier?.line(e.line);
          break;
        case 'alert':
          void this.alerter?.send(e.subject, e.body);
          break;
        case 'stateTrap':
          this.stateTrap?.(e);
          break;
        case 'log': {
          // keepalived's words in the message (operators grep them), the servers in fields
          const text = checkLogText(e.event);
          if (text === undefined) break;
          const ev = e.event;
          this.opts.log.info({ vs: 'vs' in ev ? ev.vs : undefined, rs: 'rs' in ev ? ev.rs : undefined }, text);
          break;
        }
      }
    }
    // a quorum may have moved: what the routers are told follows
    if (effects.length > 0) this.announcer?.update();
  }

  /** What probes run with and where alerts go, for this configuration (start and reload). */
  private configureIo(cfg: KeepalivedConfig, log: Logger): void {
    const tls = loadTlsCreds(cfg.ssl, log);
    this.probeOpts = { signal: this.abort.signal, users: this.users, log, ...(tls ? { tls } : {}) };
    this.alerter = alerterFor(cfg.globalDefs, hostname(), log);
  }

  private probe(probeId: number, plan: ProbePlan): void {
    this.stats.probes++;
    const gen = this.generation;
    runProbe(plan, this.probeOpts).then(
      (r) => {
        if (gen === this.generation) this.input({ type: 'probeResult', probeId, ...r });
      },
      (err: unknown) => {
        if (gen !== this.generation) return;
        // runProbe never rejects by contract; if it does, count it and treat it as a failure
        this.stats.probeErrors++;
        this.input({ type: 'probeResult', probeId, ok: false, detail: (err as Error).message });
      },
    );
  }

  private script(e: Extract<CheckEffect, { type: 'runScript' }>): void {
    this.stats.scripts++;
    const log = this.opts.log;
    void runScript(e.script, { log, users: this.users, ...(e.stopping ? { timeoutMs: 1000, timeoutSignal: 'SIGKILL' as const } : {}) }).then((r) => {
      if (r.error || (r.code !== 0 && r.code !== null)) {
        log.warn({ code: 'CHECK_SCRIPT', reason: e.reason, command: e.script.text, exit: r.code, error: r.error }, `${e.reason} script ${e.script.text} failed [CHECK_SCRIPT]`);
      }
    });
  }

  private markDirty(vs: VsKey): void {
    this.dirty.add(vs);
    // while a reload takes over, no new flush: its reconcile of the whole table is what applies
    if (!this.started || this.flushing || this.holding) return;
    // coalesce every change of this turn of the event loop into one reconcile
    this.flushing = new Promise<void>((res) => setImmediate(res)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    try {
      while (this.dirty.size > 0 && !this.stopped) {
        const changed = [...this.dirty];
        this.dirty.clear();
        await this.applyChanged(changed);
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Make the kernel hold the engine's live destinations; `previous`: extra services to own. */
  private async applyDesired(previous: Iterable<string>): Promise<void> {
    this.dirty.clear();
    const engine = this.engine;
    // the services the kernel already holds as desired (a reload of the same table) cost no objects
    const { changed, settled } = desiredChanges(this.cfg, this.services, (i) => engine.virtualServers[i]?.liveDests() ?? [], this.kernel);
    for (const id of settled) this.owned.add(id);
    for (const id of changed.keys()) this.owned.add(id);
    await this.applyOps(reconcile(changed, this.kernel, { previouslyOwned: previous, settled }));
  }

  /** Reconcile only the services of the virtual servers whose live destinations changed. */
  private async applyChanged(keys: readonly VsKey[]): Promise<void> {
    const entries = keys.flatMap((key) => {
      const state = this.engine.server(key);
      if (!state) return [];
      const live = state.liveDests();
      return (this.services[state.idx] ?? []).map((service) => ({ service, dests: destsFor(state.cfg, live, service.key) }));
    });
    const desired = tableOf(entries);
    await this.applyOps(reconcile(desired, this.kernel, { only: entries.map((e) => serviceId(e.service.key)) }));
  }

  private async applyOps(ops: IpvsOp[]): Promise<void> {
    const ipvs = this.ipvs;
    if (!ipvs || ops.length === 0) return;
    const result = await ipvs.apply(ops);
    this.stats.ipvsOps += ops.length;
    for (const err of result.errors) {
      this.stats.ipvsErrors++;
      this.opts.log.error({ code: err.code }, `${err.message} [${err.code}]`);
    }
    applyToTable(this.kernel, ops, result.failed);
    this.changes++;
    if (this.opts.log.isLevelEnabled('debug')) for (const op of ops) this.opts.log.debug({ op: describeOp(op) }, 'ipvs');
  }

  /** ha_suspend: follow the box's addresses and tell the engine which VS addresses are here. */
  private async watchAddresses(): Promise<void> {
    this.rtnl = await Rtnl.open({ watch: (ev) => this.onRtnl(ev), onOverflow: () => void this.readAddresses() });
    await this.readAddresses();
  }

  private async readAddresses(): Promise<void> {
    if (!this.rtnl) return;
    this.localAddrs.clear();
    for (const a of await this.rtnl.addresses()) this.countAddr(formatIp(a.address), 1);
    this.announceVips();
  }

  private onRtnl(ev: RtnlEvent): void {
    if (ev.type !== 'addr') return;
    this.countAddr(formatIp(ev.addr.address), ev.deleted ? -1 : 1);
    this.announceVips();
  }

  private countAddr(text: string, delta: number): void {
    const n = (this.localAddrs.get(text) ?? 0) + delta;
    if (n > 0) this.localAddrs.set(text, n);
    else this.localAddrs.delete(text);
  }

  private announceVips(): void {
    for (const { cfg: vs, key } of this.engine.virtualServers) {
      if (!vs.haSuspend || !vs.address) continue;
      const present = this.localAddrs.has(formatIp(vs.address));
      if (this.vipState.get(key) === present) continue;
      this.vipState.set(key, present);
      this.input({ type: 'vipPresent', vs: key, present });
    }
  }

  /**
   * lvs_timeouts: set the configured ones (0 keeps the kernel's), or put the kernel's own back
   * when none is configured any more. A failure is logged and counted; the rest carries on.
   */
  private async applyTimeouts(cfg: KeepalivedConfig): Promise<void> {
    const ipvs = this.ipvs;
    if (!ipvs) return;
    const t = cfg.globalDefs.lvsTimeouts;
    try {
      if (t && (t.tcpS || t.tcpfinS || t.udpS)) {
        if (!this.kernelTimeouts) {
          this.kernelTimeouts = await ipvs.getTimeouts();
          this.writeState();
        }
        const k = this.kernelTimeouts;
        await ipvs.setTimeouts({ tcpS: t.tcpS || k.tcpS, tcpFinS: t.tcpfinS || k.tcpFinS, udpS: t.udpS || k.udpS });
      } else await this.restoreTimeouts();
    } catch (e) {
      this.stats.ipvsErrors++;
      this.opts.log.error({ err: (e as Error).message }, 'Failed to set ipvs timeouts');
    }
  }

  private async restoreTimeouts(): Promise<void> {
    if (!this.ipvs || !this.kernelTimeouts) return;
    await this.ipvs.setTimeouts(this.kernelTimeouts);
    this.kernelTimeouts = undefined;
    this.writeState();
  }

  /** The state file: the services we own, and the kernel's timeouts while lvs_timeouts has changed them. (An array: the owned services of an earlier version.) */
  private readState(): { owned: string[]; kernelTimeouts?: IpvsTimeouts } {
    const ids = (x: unknown): string[] => (Array.isArray(x) ? x.filter((v): v is string => typeof v === 'string') : []);
    try {
      const j = JSON.parse(readFileSync(this.stateFile, 'utf8')) as unknown;
      if (Array.isArray(j)) return { owned: ids(j) };
      const o = j as { owned?: unknown; kernelTimeouts?: Partial<Record<keyof IpvsTimeouts, unknown>> };
      const k = o.kernelTimeouts;
      const n = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
      return { owned: ids(o.owned), ...(k && n(k.tcpS) && n(k.tcpFinS) && n(k.udpS) ? { kernelTimeouts: { tcpS: k.tcpS, tcpFinS: k.tcpFinS, udpS: k.udpS } } : {}) };
    } catch {
      return { owned: [] };
    }
  }

  private writeState(): void {
    try {
      mkdirSync(dirname(this.stateFile), { recursive: true });
      const tmp = `${this.stateFile}.tmp`;
      writeFileSync(tmp, JSON.stringify({ owned: [...this.owned], ...(this.kernelTimeouts ? { kernelTimeouts: this.kernelTimeouts } : {}) }));
      renameSync(tmp, this.stateFile);
    } catch (e) {
      this.opts.log.warn({ err: (e as Error).message, file: this.stateFile }, 'cannot record the IPVS services we own');
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    const log = this.opts.log;
    // active-active: the routers move the flows away before the services go
    await this.announcer?.withdraw();
    if (this.engine && this.started) {
      // omega: quorum_down / notify_down at shutdown
      const step = this.engine.handle(performance.now(), { type: 'shutdown' });
      this.perform(step.effects.filter((e) => e.type !== 'destsChanged' && e.type !== 'runProbe'));
    }
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.flushing?.catch(() => undefined);
    if (this.ipvs && this.opts.dontReleaseIpvs) {
      log.info({ services: this.owned.size }, 'leaving the IPVS services in place (--dont-release-ipvs)');
      await this.restoreTimeouts().catch((e: unknown) => log.error({ err: (e as Error).message }, 'Failed to set ipvs timeouts'));
      this.ipvs.close();
    } else if (this.ipvs && this.cfg.globalDefs.lvsFlushOnStop === 'full') {
      await this.ipvs.flush().then(
        () => log.info({ services: this.owned.size }, 'IPVS table flushed (lvs_flush_on_stop)'),
        (e: unknown) => log.error({ err: (e as Error).message }, 'lvs_flush_on_stop: the IPVS table could not be flushed'),
      );
      this.owned.clear();
      await this.restoreTimeouts().catch((e: unknown) => log.error({ err: (e as Error).message }, 'Failed to set ipvs timeouts'));
      this.writeState();
      this.ipvs.close();
    } else if (this.ipvs) {
      // keepalived removes every virtual server it set up when it stops
      const ops = reconcile(new Map(), this.kernel, { previouslyOwned: this.owned });
      if (ops.length) {
        const r = await this.ipvs.apply(ops).catch((e: unknown) => ({ errors: [e as KtsError], failed: new Set<number>() }));
        for (const err of r.errors) log.error({ code: err.code }, `${err.message} [${err.code}]`);
      }
      for (const op of ops) if (op.type === 'DEL_SERVICE') log.info(`Removing Virtual Server ${describeOp(op)}`);
      this.owned.clear();
      await this.restoreTimeouts().catch((e: unknown) => log.error({ err: (e as Error).message }, 'Failed to set ipvs timeouts'));
      this.writeState();
      this.ipvs.close();
    }
    this.files?.stop();
    await this.notifier?.close();
    closePingSockets();
    this.rtnl?.close();
    this.announcer?.close();
    this.announceRtnl?.close();
    if (this.opts.pidFile) removePidfile(this.opts.pidFile);
  }
}
