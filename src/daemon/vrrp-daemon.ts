/**
 * The VRRP daemon: composition root. Loads the configuration, reads the machine's interfaces
 * through rtnetlink, maps the configuration onto the engine, opens the VRRP sockets, starts the
 * trackers and drives the engine until SIGTERM / SIGINT, then stops as keepalived does
 * (priority-0 adverts from masters, VIPs removed, STOP notifications) and exits 0.
 */
import type { Logger } from 'pino';
import { readFileSync } from 'node:fs';
import type { GlobalDefs, KeepalivedConfig, RuleEntry } from '../config/model.js';
import { KtsError } from '../errors/index.js';
import { TimerClock } from '../io/clock.js';
import { effectiveDelays, LinkDebounce } from './link-debounce.js';
import { Linkbeat, linkbeatPlan } from './linkbeat.js';
import type { BfdRunner } from './bfd-runner.js';
import { loadNative, PacketSocket } from '../io/native.js';
import { Rtnl, type RtnlEvent } from '../io/rtnl.js';
import { names as iproute2Names } from '../io/rtnl-names.js';
import type { RtNames } from '../netlink/names.js';
import { applyProcessSched, bumpRtPriority, schedInForce } from '../io/sched.js';
import { ScriptUsers } from '../io/users.js';
import { HANDOVER_RELEASE_MS, VrrpEngine } from '../vrrp/engine.js';
import { AddressManager, addressText, type AddressSet } from './addresses.js';
import { flagsUp, staticOnInterface } from './static-reinstate.js';
import { EffectRunner } from './effects.js';
import { type FirewallAddress, type FirewallVmac, VipFirewall } from './firewall.js';
import { NftRunner } from '../io/nft.js';
import { PromoteSecondaries } from './promote-secondaries.js';
import { ANY_INTERFACE, type InterfaceAddresses, mapConfig, type MappedConfig, parseSourceTrack } from './engine-config.js';
import { GarpSender, garpSpacing } from './garp.js';
import { LinkTable } from './links.js';
import { loadForDaemon } from './load-config.js';
import { removePidfile, writePidfiles } from './pidfile.js';
import { disabledScripts, startTrackers, type Trackers } from './trackers.js';
import { type EffectSink, VrrpDriver } from './driver.js';
import { collectStartupGarbage } from './heap.js';
import { warmUp, warmUpAddresses } from './warmup.js';
import { FailoverTiming } from './failover-timing.js';
import { createNotifier, type DaemonNotifier } from './notifier.js';
import { Vmacs } from './vmac.js';
import { LocalIgmp } from './local-igmp.js';
import { VrrpSockets } from './vrrp-sockets.js';
import type { InstanceView, ScriptView, VrrpView } from './view.js';
import { hostView } from './view-host.js';
import { applyReloadDiff, matchInstances } from './reload-diff.js';
import type { Effect, Input } from '../vrrp/types.js';
import { formatIp, parseIp } from '../util/ip.js';

export interface HandoverResult {
  readonly instance: string;
  readonly result: 'handed-over' | 'no-takeover' | 'yielded' | 'cancelled' | 'unknown-instance' | 'address-owner' | 'withdrawn' | 'released';
  readonly newMaster?: string;
  readonly ms?: number;
  readonly state?: string;
  /** an announced VIP (announce_vip): whether its route is in the announce table now */
  readonly announced?: boolean;
}

export interface DaemonOptions {
  readonly file: string;
  readonly configId: string;
  readonly pidFile: string;
  /** -B: no BFD sessions (track_bfd stays down, BFD_CHECK at its initial state) */
  readonly noBfd?: boolean;
  /** a BFD session the checkers hear of went Up or Down (passed on to the checker child: BFD_CHECK) */
  readonly onBfd?: (name: string, up: boolean) => void;
  /** -r: the VRRP process's pidfile too (our main process is the VRRP process) */
  readonly vrrpPidFile?: string;
  /** -V: leave VIPs, virtual routes and rules in place at stop (the priority-0 advert still goes) */
  readonly dontReleaseVrrp?: boolean;
  /** -a: log every address change */
  readonly addressMonitoring?: boolean;
  readonly log: Logger;
  /** the configuration, when the caller has already loaded it (loadForDaemon) */
  readonly config?: KeepalivedConfig;
}

/** The configuration the notifier is built from: unchanged, the FIFOs stay open across a reload. */
function notifyConfig(cfg: KeepalivedConfig): string {
  const g = cfg.globalDefs;
  const scripts = (o: object): Record<string, unknown> =>
    Object.fromEntries(Object.entries(o).filter(([k]) => k.startsWith('notify') || k === 'name'));
  return JSON.stringify([g.notifyFifo, g.vrrpNotifyFifo, g.enableScriptSecurity, g.scriptUser,
    cfg.vrrpInstances.map(scripts), cfg.vrrpSyncGroups.map(scripts)], (k, v: unknown) => (k === 'loc' ? undefined : v));
}

function forwarding6(ifname: string): boolean {
  try {
    return readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

export class VrrpDaemon {
  private rtnl!: Rtnl;
  /** the iproute2 names routes and rules are read with (tables, realms, groups, ...) */
  private rtNames?: RtNames;
  private links!: LinkTable;
  private mapped!: MappedConfig;
  private engine!: VrrpEngine;
  private driver!: VrrpDriver;
  private runner!: EffectRunner;
  private addresses!: AddressManager;
  private notifier!: DaemonNotifier;
  private trackers: Trackers | undefined;
  /** use_vmac: created before the sockets, deleted after the last advert */
  private vmacs: Vmacs | undefined;
  private readonly clock = new TimerClock();
  private readonly timing = new FailoverTiming();
  private sockets!: VrrpSockets;
  private packet: PacketSocket | undefined;
  private garp!: GarpSender;
  /** the nftables drop rules of instances without accept mode, when the configuration names a table */
  private firewall: VipFirewall | undefined;
  private readonly localIgmp = new LocalIgmp();
  /** disable_local_igmp in force (set at start only, as keepalived) */
  private igmpDisabled = false;
  private promote: PromoteSecondaries | undefined;
  private staticSet: AddressSet | undefined;
  /** interfaces the instances and groups track -> families they must hold an address of */
  private tracked = new Map<string, ('inet' | 'inet6')[]>();
  /** interface_up_down_delays applied to the link states the instances see */
  private readonly debounce = new LinkDebounce(new Map(), {
    set: (ms, fn) => setTimeout(fn, ms),
    clear: (h) => clearTimeout(h as NodeJS.Timeout),
  }, () => {
    if (this.driver && !this.stopping) this.reportInterfaces();
  }, (n) => {
    if (n.type === 'cancelled') this.opts.log.info({ mod: 'vrrp', ifname: n.ifname }, `Delay timer for ${n.ifname} cancelled`);
    else this.opts.log.info({ mod: 'vrrp', ifname: n.ifname, up: n.up, delayMs: n.delayMs }, `${n.ifname}: link ${n.up ? 'up' : 'down'} delayed by ${n.delayMs} ms (interface_up_down_delays)`);
  });
  /** bfd_instance sessions (track_bfd), run in this process */
  private bfd: BfdRunner | undefined;
  /** the BFD modules, loaded with the first configuration that has a bfd_instance (an idle director without BFD does not carry them) */
  private bfdModule: typeof import('./bfd-runner.js') | undefined;
  /** linkbeat_interfaces / linkbeat_use_polling: link states polled, not taken from rtnetlink */
  private linkbeat: Linkbeat | undefined;
  /** interface name -> last state reported to the engine */
  private readonly ifState = new Map<string, boolean>();
  private stopping: Promise<void> | undefined;

  private readonly startedAt = Date.now();
  private reloads = 0;
  private reloadChain: Promise<void> = Promise.resolve();
  /** a rebind is queued (an interface or address instances wait for came) */
  private rebinding = false;
  private lastReloadAt: number | undefined;
  private cfg!: KeepalivedConfig;
  /** wall clock of each instance's last state change */
  private readonly transitionAt = new Map<string, number>();
  /** effect listeners (handover waits for its outcome) */
  private readonly listeners = new Set<(e: Effect) => void>();

  constructor(private readonly opts: DaemonOptions) {}

  /** The engine's vrrp_script results, with the scripts running now. */
  private scriptViews(): ScriptView[] {
    const running = this.trackers?.running() ?? new Set<string>();
    return (this.engine?.scriptResults() ?? []).map((s) => (running.has(s.name) ? { ...s, running: true } : s));
  }

  /** The VRRP side's state, for dumps, metrics and the status API. */
  view(): VrrpView {
    const instances: InstanceView[] = [];
    for (const [name, m] of this.mapped?.instances ?? []) {
      const live = this.engine.instance(name)!;
      const at = this.transitionAt.get(name);
      const vmac = this.vmacs?.vmacOf(name)?.name;
      instances.push({
        name, model: m.model, live, baseInterface: m.baseInterface, sourceAddress: m.config.sourceAddress.bytes,
        sendErrors: this.runner?.sendErrors.get(name) ?? 0, ...(at !== undefined ? { lastTransitionAt: at } : {}),
        ...(vmac !== undefined ? { vmac } : {}),
      });
    }
    return {
      config: this.cfg, configFile: this.opts.file, pid: process.pid, startedAt: this.startedAt,
      reloads: this.reloads, ...(this.lastReloadAt !== undefined ? { lastReloadAt: this.lastReloadAt } : {}),
      instances, groups: this.engine?.groups ?? [], unknownVrid: this.engine?.unknownVrid ?? 0,
      addressFailures: this.addresses?.failures ?? 0, addressesRestored: this.addresses?.restored ?? 0,
      failover: this.timing.observe(), scripts: this.scriptViews(), ...(this.rtNames ? { rtNames: this.rtNames } : {}),
      ...(this.bfd ? { bfd: { sessions: this.bfd.states(), dropped: Object.fromEntries(this.bfd.dropped) } } : {}),
      sched: schedInForce(), ...(this.links && this.sockets ? { host: hostView(this.links, this.sockets, this.cfg.globalDefs, {
        linkbeat: (ifname) => this.linkbeat?.method(ifname), bfdUp: (name) => this.bfd?.isUp(name) ?? false, promoteSecondaries: (ifname) => this.promote?.counter(ifname) ?? 0,
        processStatus: (name) => this.trackers?.processStatus(name),
      }) } : {}),
    };
  }

  /**
   * SIGHUP with a configuration that loaded (keepalived reload_vrrp_thread / clear_diff_vrrp,
   * reference §f.4). Anything that makes the new configuration unrunnable here (an interface
   * that does not exist) throws before a thing has changed, and the old configuration runs on.
   * Then, without a gap in adverts:
   * - instances that left the configuration: masters send priority 0 and drop their VIPs, and
   *   are notified DELETED (FAULT unless notify_deleted);
   * - the same instance (keepalived's identity: VRID, family, interface, unicast source or
   *   multicast group; not the name) keeps its state, counters and tracker results; a MASTER
   *   adverts at once and only adds the addresses, routes and rules the new configuration adds
   *   and deletes those it no longer has: what both have is never touched; a GARP burst goes
   *   out when addresses were added;
   * - new instances start as at start-up; static addresses, routes and rules are diffed too.
   */
  reload(next: KeepalivedConfig): Promise<void> {
    // one at a time: a SIGHUP and a rebind (an interface that came) never interleave
    const run = this.reloadChain.then(() => this.doReload(next));
    this.reloadChain = run.catch(() => undefined);
    return run;
  }

  private async doReload(next: KeepalivedConfig, rebind = false): Promise<void> {
    if (this.stopping || !this.driver) throw new KtsError('DAEMON_CONFIG', 'not running');
    const log = this.opts.log;
    this.missingInterfaces(next, 'reload refused');
    const vmacs = next.vrrpInstances.some((vi) => vi.useVmac) || this.cfg.vrrpInstances.some((vi) => vi.useVmac)
      ? await Vmacs.prepare(next, this.rtnl, this.links, log.child({ mod: 'vmac' }))
      : this.vmacs;
    const users = ScriptUsers.host({
      enableScriptSecurity: next.globalDefs.enableScriptSecurity,
      ...(next.globalDefs.scriptUser ? { scriptUser: next.globalDefs.scriptUser } : {}),
    });
    const disabled = disabledScripts(next, users, log.child({ mod: 'track' }));
    const mapped = mapConfig(next, this.primaries, disabled, (name) => vmacs?.vmacOf(name));
    const matches = matchInstances(this.mapped.instances, mapped.instances);
    const kept = new Set(matches.values());
    const removed = [...this.mapped.instances.keys()].filter((n) => !kept.has(n));

    await this.trackers?.stop();
    this.trackers = undefined;
    const old = { engine: this.engine, runner: this.runner, notifier: this.notifier, vmacs: this.vmacs, cfg: this.cfg };

    // instances that left: their masters release (through the old runner and notifier)
    if (removed.length > 0) {
      const notifyDeleted = new Set(removed.filter((n) => this.mapped.instances.get(n)?.model.notifyDeleted !== undefined));
      this.driver.input({ type: 'retire', instances: removed, notifyDeleted });
    }
    if (notifyConfig(next) !== notifyConfig(old.cfg)) {
      // FIFOs and scripts are opened again for the new configuration (keepalived does too)
      await old.notifier.flush();
      this.notifier = await createNotifier(next, users, log.child({ mod: 'notify' }));
    }

    await this.useFirewall(next);
    void this.firewall?.setVmacs(this.firewallVmacs(vmacs, next));
    await this.promote?.apply(next);

    await this.loadBfd(next);

    // --- from here on, synchronous: the old engine hands over to the new one ---
    this.addresses.addRuleNumbers([...next.staticRules, ...next.vrrpInstances.flatMap((i) => i.virtualRules)]);
    const pref = (r: object): number | undefined => this.addresses.rulePreference(r as RuleEntry);
    const { engine, runner, driver } = this.bind(mapped, next.globalDefs.vrrpNfIfindex);
    const staticSet: AddressSet = { owner: 'static', addresses: next.staticIpaddress, routes: next.staticRoutes, rules: next.staticRules };
    const regarp = applyReloadDiff({
      matches, wasMaster: (was) => old.engine.instance(was)?.vipSet ?? false,
      oldSets: old.runner.sets, newSets: runner.sets, oldStatic: this.staticSet, newStatic: staticSet,
      addresses: this.addresses, pref, log,
    });
    this.staticSet = staticSet;
    // the drop rules follow the masters without accept mode of the new configuration
    if (this.firewall) {
      const held = new Map<string, readonly FirewallAddress[]>();
      for (const [was, now] of matches) {
        const addrs = old.engine.instance(was)?.vipSet ? runner.firewallAddresses(now) : undefined;
        if (addrs) held.set(now, addrs);
      }
      void this.firewall.reconcile(held);
    }

    this.cfg = next;
    this.mapped = mapped;
    this.engine = engine;
    this.runner = runner;
    this.vmacs = vmacs;
    this.driver = driver;
    this.sockets.update(mapped.instances.values());
    this.tracked = this.trackedInterfaces();
    this.debounce.setDelays(effectiveDelays(next));
    this.pollLinks(next);
    this.runBfd(next);
    this.garp?.setSpacing(garpSpacing(next));
    // interfaces tracked for the first time are reported before the new engine runs
    this.reportInterfaces(true);
    this.driver.input({ type: 'reload', previous: old.engine, matches, regarp });
    this.trackers = startTrackers(next, mapped, { input: this.input, log: log.child({ mod: 'track' }), users });
    if (old.vmacs && old.vmacs !== vmacs) await old.vmacs.releaseUnused(vmacs);
    applyProcessSched('vrrp', next.globalDefs, log);
    this.watchOverdue(next.globalDefs);
    if (rebind) {
      log.info({ waiting: [...mapped.instances.values()].filter((m) => m.waitingForSource).map((m) => m.config.name) }, 'VRRP instances mapped again: an interface or address they wait for came');
      return;
    }
    this.reloads++;
    this.lastReloadAt = Date.now();
    log.info({ kept: matches.size, added: mapped.instances.size - matches.size, removed: removed.length, regarp: [...regarp] }, 'VRRP configuration reloaded');
  }

  /** An input for the engine in force (trackers and sockets outlive a generation: they call this). */
  private readonly input = (i: Input): void => this.driver.input(i);

  /**
   * One generation: the engine, effect runner and driver of a mapped configuration, bound to
   * the daemon's ports. Start and reload both bind through here. It is a method of its own so
   * that the closures a generation keeps (its counters, its error log) capture this scope only:
   * a closure made in reload() would keep reload()'s scope, which holds the previous
   * generation, and each generation would then keep the one before it alive.
   */
  private bind(mapped: MappedConfig, nfIfindex: boolean): { engine: VrrpEngine; runner: EffectRunner; driver: VrrpDriver } {
    const log = this.opts.log;
    const engine = new VrrpEngine(mapped.engine);
    const runner = new EffectRunner(mapped.instances, this.sockets, this.addresses, this.garp, this.notifier,
      log.child({ mod: 'vrrp' }), () => this.clock.now(), (name) => engine.instance(name)?.stats, this.timing,
      this.firewall, nfIfindex);
    const driver = new VrrpDriver(engine, this.clock, this.perform(runner), (e, effect) => {
      log.error({ err: (e as Error).message, effect: effect.type }, 'effect failed');
    });
    return { engine, runner, driver };
  }

  /** Performs an effect, noting when each instance last changed state. */
  private perform(runner: EffectRunner): EffectSink {
    return (e, stepAt) => {
      if (e.type === 'stateChange') {
        this.transitionAt.set(e.instance, Date.now());
        // the step's time: its GARP (on the wire, performed first) may already be out
        const now = stepAt;
        if (e.to === 'MASTER') this.timing.enteredMaster(e.instance, now, this.engine.instance(e.instance)?.lastAdvertAtMs);
        else if (e.from === 'MASTER') this.timing.leftMaster(e.instance);
        if (e.to === 'BACKUP') this.timing.backupEntered(e.instance, now);
      }
      runner.perform(e);
      for (const l of this.listeners) l(e);
    };
  }

  /** Every effect the engine produces from now on (state changes, events); returns the remover. */
  onEffect(listener: (e: Effect) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Planned handover of one instance (`keepalived-ts handover`): a MASTER gives way
   * make-before-break and the call resolves when the new master was heard (or nobody took
   * over); any instance then advertises priority 1 until `cancel`.
   */
  handover(name: string, cancel = false): Promise<HandoverResult> {
    const inst = this.engine?.instance(name);
    if (!inst || this.stopping) return Promise.resolve({ instance: name, result: 'unknown-instance' });
    if (inst.basePriority === 255) return Promise.resolve({ instance: name, result: 'address-owner' });
    if (cancel) {
      this.driver.input({ type: 'handover', instance: name, yield: false });
      return Promise.resolve({ instance: name, result: 'cancelled', state: inst.state });
    }
    if (inst.state !== 'MASTER' || inst.handingOver) {
      this.driver.input({ type: 'handover', instance: name, yield: true });
      return Promise.resolve({ instance: name, result: 'yielded', state: inst.state });
    }
    const t0 = performance.now();
    return new Promise((resolve) => {
      const l = (e: Effect): void => {
        if (e.type !== 'event' || e.instance !== name || (e.event !== 'handover-done' && e.event !== 'handover-timeout')) return;
        this.listeners.delete(l);
        resolve({
          instance: name, result: e.event === 'handover-done' ? 'handed-over' : 'no-takeover',
          ...(e.from ? { newMaster: formatIp(e.from) } : {}), ms: Math.round(performance.now() - t0),
          state: this.engine.instance(name)?.state ?? 'STOP',
        });
      };
      this.listeners.add(l);
      this.driver.input({ type: 'handover', instance: name, yield: true });
    });
  }

  async start(): Promise<void> {
    const log = this.opts.log;
    const cfg = this.opts.config ?? loadForDaemon(this.opts.file, this.opts.configId, this.opts.log);
    this.cfg = cfg;
    writePidfiles([this.opts.pidFile, ...(this.opts.vrrpPidFile ? [this.opts.vrrpPidFile] : [])]);
    this.rtNames = await iproute2Names();
    this.rtnl = await Rtnl.open({ names: this.rtNames, watch: (ev) => this.onRtnl(ev), onOverflow: () => void this.resync() });
    this.links = new LinkTable(await this.rtnl.links(), await this.rtnl.addresses());
    // keepalived turns the link-local IGMP reports off before it makes the VMACs
    this.igmpDisabled = cfg.globalDefs.disableLocalIgmp === true && this.localIgmp.disable(log);
    this.vmacs = await Vmacs.prepare(cfg, this.rtnl, this.links, log.child({ mod: 'vmac' }));
    const users = ScriptUsers.host({
      enableScriptSecurity: cfg.globalDefs.enableScriptSecurity,
      ...(cfg.globalDefs.scriptUser ? { scriptUser: cfg.globalDefs.scriptUser } : {}),
    });
    const disabled = disabledScripts(cfg, users, log.child({ mod: 'track' }));
    this.mapped = mapConfig(cfg, this.primaries, disabled, (name) => this.vmacs?.vmacOf(name));
    this.missingInterfaces(cfg, 'cannot start');
    for (const [name, m] of this.mapped.instances) {
      if (!m.waitingForSource) continue;
      // keepalived's words
      if (this.links.index(m.baseInterface) === undefined) {
        log.warn({ inst: name, ifname: m.baseInterface }, `Configuration specifies interface ${m.baseInterface} which doesn't currently exist - will use if created`);
      } else {
        log.warn({ inst: name, ifname: m.baseInterface }, `(${name}) entering FAULT state (no ${m.config.family === 'inet' ? 'IPv4' : 'IPv6'} address for interface)`);
      }
    }
    this.addresses = new AddressManager(this.rtnl, this.links, log.child({ mod: 'addr' }), this.rtNames);
    this.addresses.numberRules([...cfg.staticRules, ...cfg.vrrpInstances.flatMap((i) => i.virtualRules)]);
    this.packet = new PacketSocket();
    this.sockets = new VrrpSockets(this.links, (ifname, packet) => this.input({ type: 'packet', interface: ifname, packet }), log);
    this.garp = new GarpSender(this.packet, this.links, forwarding6, log.child({ mod: 'garp' }), garpSpacing(cfg));
    this.notifier = await createNotifier(cfg, users, log.child({ mod: 'notify' }));
    await this.useFirewall(cfg);
    void this.firewall?.setVmacs(this.firewallVmacs(this.vmacs, cfg));
    this.promote = new PromoteSecondaries(log.child({ mod: 'vrrp' }));
    await this.promote.apply(cfg);
    ({ engine: this.engine, runner: this.runner, driver: this.driver } = this.bind(this.mapped, cfg.globalDefs.vrrpNfIfindex));
    this.sockets.update(this.mapped.instances.values());

    // keepalived: leftovers from an earlier run go first, then static addresses / routes / rules
    await this.addresses.removeLeftovers([...this.runner.sets.values()]);
    this.staticSet = { owner: 'static', addresses: cfg.staticIpaddress, routes: cfg.staticRoutes, rules: cfg.staticRules };
    if (cfg.staticIpaddress.length + cfg.staticRoutes.length + cfg.staticRules.length > 0) {
      await this.addresses.install(this.staticSet);
    }

    this.tracked = this.trackedInterfaces();
    this.debounce.setDelays(effectiveDelays(cfg));
    this.pollLinks(cfg);
    this.reportInterfaces();
    await this.loadBfd(cfg);
    this.runBfd(cfg);
    this.trackers = startTrackers(cfg, this.mapped, { input: this.input, log: log.child({ mod: 'track' }), users });
    await this.trackers.ready;
    warmUp(this.mapped.engine.instances);
    await warmUpAddresses(this.rtnl, [...this.mapped.instances.values()].flatMap((m) => m.addresses));
    // before the first advert: the start's reading (the whole file, the checker's blocks too)
    // given back to the system, not kept in the heap for the daemon's life
    collectStartupGarbage({ shrink: true });
    // real-time once the start-up's compiling and collecting are done (src/io/sched.ts)
    applyProcessSched('vrrp', cfg.globalDefs, log);
    this.watchOverdue(cfg.globalDefs);
    log.info({ instances: this.mapped.instances.size, pid: process.pid }, 'Starting VRRP child process');
    this.driver.input({ type: 'start' });
  }

  /** The VMACs whose reports the firewall moves: IPv4 ones only while local IGMP reports are on (keepalived vrrp_vmac.c). */
  private firewallVmacs(vmacs: Vmacs | undefined, cfg: KeepalivedConfig): FirewallVmac[] {
    return (vmacs?.firewallVmacs(cfg) ?? []).filter((v) => v.family === 'inet6' || !this.igmpDisabled);
  }

  /**
   * The firewall of the configuration's nftables table (`nftables`, or named for instances
   * without accept mode): made at start, where a table left by a crash is removed first; a
   * reload that renames the table removes the old one. The same table stays across reloads.
   */
  private async useFirewall(cfg: KeepalivedConfig): Promise<void> {
    const g = cfg.globalDefs;
    const same = this.firewall && g.vrrpNfTable === this.firewall.table && g.vrrpNfPriority === this.firewall.priority && g.nfCounters === this.firewall.counters;
    if (same) return;
    if (this.firewall) {
      await this.firewall.stop();
      this.firewall = undefined;
    }
    if (g.vrrpNfTable === undefined) return;
    this.firewall = new VipFirewall(new NftRunner(), { table: g.vrrpNfTable, priority: g.vrrpNfPriority, counters: g.nfCounters }, this.opts.log.child({ mod: 'firewall' }));
    await this.firewall.clearLeftovers();
  }

  /**
   * max_auto_priority: a timer met more than min_auto_priority_delay late (a starved process)
   * raises the VRRP thread's SCHED_RR priority by one, up to the maximum, in keepalived's words.
   */
  private watchOverdue(g: GlobalDefs): void {
    const max = g.maxAutoPriority ?? 0;
    if (max <= 0) return this.clock.watchOverdue(undefined);
    const log = this.opts.log.child({ mod: 'vrrp' });
    this.clock.watchOverdue({
      afterMs: (g.minAutoPriorityDelayUs ?? 1_000_000) / 1000,
      call: (lateMs) => {
        log.warn({ lateMs: Math.round(lateMs) }, `A thread timer expired ${(lateMs / 1000).toFixed(6)} seconds ago`);
        const p = bumpRtPriority('vrrp', g, max);
        if (p !== undefined) log.info({ rtPriority: p }, `Set realtime priority ${p}`);
      },
    });
  }

  /** The primary addresses of an interface; undefined when it does not exist (mapConfig). */
  private readonly primaries = (name: string): InterfaceAddresses | undefined => {
    if (this.links.index(name) === undefined) return undefined;
    const inet = this.links.primary(name, 'inet');
    const inet6 = this.links.primary(name, 'inet6');
    return { ...(inet ? { inet } : {}), ...(inet6 ? { inet6 } : {}) };
  };

  /**
   * An instance's interface that does not exist: an error (keepalived exits), unless
   * dynamic_interfaces, where the instance waits for it in FAULT.
   */
  private missingInterfaces(cfg: KeepalivedConfig, what: string): void {
    if (cfg.globalDefs.dynamicInterfaces) return;
    for (const vi of cfg.vrrpInstances) {
      const ifname = vi.interface ?? cfg.globalDefs.defaultInterface;
      if (ifname !== undefined && this.links.index(ifname) === undefined) {
        throw new KtsError('DAEMON_INTERFACE', `(${vi.name}) interface ${ifname} does not exist; ${what}`);
      }
    }
  }

  /**
   * Instances waiting for their interface or its address, or whose interface was created again
   * (a new index), are mapped again once it is there: the same configuration, through the
   * reload path, so that their adverts get the real source and their sockets the new index.
   */
  private rebindIfReady(): void {
    if (this.rebinding || this.stopping || !this.mapped) return;
    const ready = [...this.mapped.instances.values()].some((m) => m.waitingForSource
      ? this.links.index(m.baseInterface) !== undefined && (this.primaries(m.baseInterface)?.[m.config.family] !== undefined || m.model.mcastSrcIp !== undefined || m.model.unicastSrcIp !== undefined)
      : this.sockets.stale(m.config.interface));
    if (ready) this.rebind();
  }

  /** Maps the configuration again through the reload path (queued behind any reload). */
  private rebind(force = false): void {
    if (this.rebinding && !force) return;
    this.rebinding = true;
    const run = this.reloadChain.then(async () => {
      this.rebinding = false;
      await this.doReload(this.cfg, true);
      this.reportInterfaces();
    });
    this.reloadChain = run.catch((e: unknown) => {
      this.opts.log.error({ mod: 'vrrp', err: (e as Error).message }, 'mapping the instances again failed');
    });
  }

  /** Interfaces an instance tracks (its own unless dont_track_primary, and track_interface). */
  private trackedInterfaces(): Map<string, ('inet' | 'inet6')[]> {
    const out = new Map<string, ('inet' | 'inet6')[]>();
    for (const sg of this.mapped.engine.syncGroups ?? []) {
      for (const t of sg.trackInterface ?? []) if (!out.has(t.name)) out.set(t.name, []);
    }
    for (const m of this.mapped.instances.values()) {
      for (const t of m.config.trackInterface ?? []) if (!out.has(t.name)) out.set(t.name, []);
      // the own interface also needs an address to send from, unless one is configured
      const own = m.baseInterface;
      const explicit = m.model.mcastSrcIp ?? m.model.unicastSrcIp;
      if (!explicit && out.has(own)) out.get(own)!.push(m.config.family);
    }
    return out;
  }

  /** Report tracked interfaces whose usability changed (link up + running + address). */
  private reportInterfaces(onlyNew = false): void {
    for (const [name, families] of this.tracked) {
      if (onlyNew && this.ifState.has(name)) continue;
      const src = parseSourceTrack(name);
      const anywhere = src?.ifname === ANY_INTERFACE;
      const up = src
        ? (anywhere ? this.localAddress(src.address) : this.linkUp(src.ifname) && this.sourcePresent(src.ifname, src.address))
        : this.linkUp(name) && families.every((f) => this.links.primary(name, f) !== undefined) && !this.waitingOn(name);
      if (this.ifState.get(name) === up) continue;
      const first = !this.ifState.has(name);
      this.ifState.set(name, up);
      if (src && anywhere) {
        if (!first || !up) this.opts.log.info({ mod: 'vrrp', address: src.address, up }, up ? `unicast source address ${src.address} is configured` : `unicast source address ${src.address} is not configured: its instances are FAULT (src address not configured)`);
      } else if (src && (!first || !up)) this.opts.log.info({ mod: 'vrrp', ifname: src.ifname, address: src.address, up }, `source address ${src.address} ${up ? 'is on' : 'is not on'} ${src.ifname} (track_src_ip)`);
      else if ((!first || !up) && !this.linkbeat?.polls(name)) this.opts.log.info({ mod: 'vrrp', ifname: name, up }, `Netlink reports ${name} ${up ? 'up' : 'down'}`);
      this.driver.input({ type: 'interface', name, up });
    }
  }

  /** The interface's link state as it counts: polled (linkbeat), else the kernel's after interface_up_down_delays. */
  private linkUp(ifname: string): boolean {
    return this.linkbeat?.up(ifname) ?? this.debounce.linkUp(ifname, this.links.linkUp(ifname));
  }

  /**
   * The bfd_instance sessions (src/daemon/bfd-runner.ts): started with the first configuration
   * that has one, moved to each reloaded one; their Up / Down goes to the engine (track_bfd).
   */
  private runBfd(cfg: KeepalivedConfig): void {
    // the module is loaded (loadBfd) only without -B and once a configuration has a bfd_instance
    if (!this.bfdModule || (!this.bfd && cfg.bfdInstances.length === 0)) return;
    if (!this.bfd) {
      this.bfd = this.bfdModule.bfdOnSockets(this.opts.log.child({ mod: 'bfd' }), (name, up) => {
        const b = this.cfg.bfdInstances.find((x) => x.name === name);
        if (b?.vrrp !== false && this.driver && !this.stopping) this.input({ type: 'bfd', name, up });
        if (b?.checker !== false) this.opts.onBfd?.(name, up);
      });
    }
    this.bfd.set(cfg.bfdInstances);
  }

  /** The BFD modules, before the first configuration with a bfd_instance runs. */
  private async loadBfd(cfg: KeepalivedConfig): Promise<void> {
    if (!this.bfdModule && !this.opts.noBfd && cfg.bfdInstances.length > 0) this.bfdModule = await import('./bfd-runner.js');
  }

  /** The sessions the checkers hear of, and whether each is Up (for a checker child that starts). */
  bfdStates(): { name: string; up: boolean }[] {
    return this.cfg.bfdInstances.filter((b) => b.checker).map((b) => ({ name: b.name, up: this.bfd?.isUp(b.name) ?? false }));
  }

  /** Poll the links of linkbeat_interfaces and, with linkbeat_use_polling, the instances' interfaces. */
  private pollLinks(cfg: KeepalivedConfig): void {
    const instances = [...this.mapped.instances.values()].map((m) => {
      const vmac = this.vmacs?.vmacOf(m.config.name);
      return { ifname: vmac?.name ?? m.baseInterface, vmac: vmac !== undefined, usePolling: m.model.linkbeatUsePolling };
    });
    const plan = linkbeatPlan(cfg, instances, new Set(this.tracked.keys()));
    if (plan.polled.size === 0 && !this.linkbeat) {
      for (const n of plan.notes) this.opts.log.info({ mod: 'vrrp' }, n);
      return;
    }
    this.linkbeat ??= new Linkbeat((ifname, how) => loadNative().linkProbe(ifname, how), (ifname) => this.links.index(ifname) !== undefined, () => {
      if (this.driver && !this.stopping) this.reportInterfaces();
    }, this.opts.log);
    this.linkbeat.set(plan);
  }


  private localAddress(address: string): boolean {
    const a = parseIp(address);
    return a !== undefined && this.links.isLocal(a.bytes);
  }

  private sourcePresent(ifname: string, address: string): boolean {
    const index = this.links.index(ifname);
    const a = parseIp(address);
    return index !== undefined && a !== undefined && this.links.hasAddress(index, a.bytes);
  }

  /** An instance on this interface still sends from a placeholder: not usable before its rebind. */
  private waitingOn(ifname: string): boolean {
    for (const m of this.mapped?.instances.values() ?? []) if (m.waitingForSource && m.baseInterface === ifname) return true;
    return false;
  }

  private onRtnl(ev: RtnlEvent): void {
    if (!this.links) return;
    const was = ev.type === 'link' ? this.links.linkByIndex(ev.link.index) : undefined;
    this.links.apply(ev);
    if (ev.type === 'link' && !ev.deleted && !flagsUp(was) && flagsUp(ev.link)) this.reinstateStatic(ev.link.name);
    if (this.opts.addressMonitoring && ev.type === 'addr') {
      this.opts.log.info({ mod: 'addr', ifindex: ev.addr.index, address: `${formatIp(ev.addr.address)}/${ev.addr.prefixLen}` },
        `Netlink reports address ${ev.deleted ? 'deleted' : 'added'}`);
    }
    if (ev.type === 'addr' && ev.deleted) this.addresses?.addressDeleted(ev.addr);
    if (ev.type === 'link' && ev.deleted && !this.stopping) {
      const lost = this.vmacs?.lost(ev.link.index);
      if (lost) {
        this.opts.log.warn({ mod: 'vmac', inst: lost.instance, vmac: lost.name }, `(${lost.instance}) VMAC ${lost.name} was deleted: creating it again`);
        this.rebind(true);
      }
    }
    // once stopping, links going (our VMACs deleted) must not move instances out of STOP
    if (this.driver && !this.stopping) {
      this.reportInterfaces();
      this.rebindIfReady();
    }
  }

  /** An interface came up: its static addresses and routes go back (src/daemon/static-reinstate.ts). */
  private reinstateStatic(ifname: string): void {
    const set = this.staticSet && !this.stopping && this.addresses ? staticOnInterface(this.staticSet, ifname) : undefined;
    if (!set) return;
    const log = this.opts.log;
    for (const a of set.addresses) log.info({ mod: 'addr', address: addressText(a, ifname) }, 'Restoring deleted static address');
    for (const r of set.routes) log.info({ mod: 'addr', route: r.words.join(' ') }, 'Restoring deleted static route');
    void this.addresses.install(set);
  }

  /** The kernel dropped notifications: read links and addresses again and re-evaluate. */
  private async resync(): Promise<void> {
    if (!this.links || this.stopping) return;
    this.opts.log.warn({ mod: 'vrrp' }, 'netlink notifications were lost; re-reading links and addresses');
    try {
      const [links, addrs] = await Promise.all([this.rtnl.links(), this.rtnl.addresses()]);
      this.links.reset(links, addrs);
      if (this.driver && !this.stopping) this.reportInterfaces();
    } catch (e) {
      this.opts.log.error({ mod: 'vrrp', err: (e as Error).message }, 'netlink re-read failed');
    }
  }

  /** SIGTERM / SIGINT: stop as keepalived does, then release everything. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const log = this.opts.log;
    if (this.cfg?.globalDefs.handoverOnStop && this.driver) {
      // handover_on_stop: masters give way make-before-break before the usual stop
      const masters = (this.engine?.instances ?? []).filter((i) => i.state === 'MASTER' && i.basePriority !== 255);
      if (masters.length > 0) {
        log.info({ instances: masters.map((m) => m.name) }, 'handing over before stopping (handover_on_stop)');
        const results = await Promise.all(masters.map((m) => this.handover(m.name)));
        log.info({ results }, 'handover before stop finished');
        // the VIPs are released a moment after the new master was heard (HANDOVER_RELEASE_MS)
        await new Promise((r) => setTimeout(r, HANDOVER_RELEASE_MS + 50));
      }
    }
    log.info('Stopping');
    const trackersStopped = this.trackers?.stop();
    if (this.opts.dontReleaseVrrp && this.runner) this.runner.keepAddresses = true;
    if (this.driver) this.driver.input({ type: 'shutdown' });
    this.clock.stop();
    this.debounce.forget();
    this.linkbeat?.stop();
    this.bfd?.stop();
    await this.sockets?.drain();
    if (this.addresses) {
      if (this.staticSet) await this.addresses.remove(this.staticSet);
      await this.addresses.idle();
    }
    await this.firewall?.stop();
    this.localIgmp.restore(this.opts.log);
    await this.promote?.restore();
    await this.notifier?.flush();
    await trackersStopped;
    this.sockets?.close();
    this.packet?.close();
    await this.vmacs?.release();
    this.rtnl?.close();
    removePidfile(this.opts.pidFile);
    if (this.opts.vrrpPidFile) removePidfile(this.opts.vrrpPidFile);
    log.info('Stopped');
  }
}
