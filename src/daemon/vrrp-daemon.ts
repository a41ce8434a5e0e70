/**
 * The VRRP daemon: composition root. Loads the configuration, reads the machine's interfaces
 * through rtnetlink, maps the configuration onto the engine, opens the VRRP sockets, starts the
 * trackers and drives the engine until SIGTERM / SIGINT, then stops as keepalived does
 * (priority-0 adverts from masters, VIPs removed, STOP notifications) and exits 0.
 */
import type { Logger } from 'pino';
import { readFileSync } from 'node:fs';
import type { KeepalivedConfig } from '../config/model.js';
import { KtsError } from '../errors/index.js';
import { TimerClock } from '../io/clock.js';
import { PacketSocket, Raw6Socket } from '../io/native.js';
import { Rtnl, type RtnlEvent } from '../io/rtnl.js';
import { setNice } from '../io/sched.js';
import { ScriptUsers } from '../io/users.js';
import { Vrrp4Socket, IPPROTO_VRRP } from '../io/vrrp-socket4.js';
import { VrrpEngine } from '../vrrp/engine.js';
import { AddressManager, type AddressSet } from './addresses.js';
import { EffectRunner, type AdvertPort } from './effects.js';
import { mapConfig, type MappedConfig } from './engine-config.js';
import { GarpSender } from './garp.js';
import { LinkTable } from './links.js';
import { loadForDaemon } from './load-config.js';
import { removePidfile, writePidfile } from './pidfile.js';
import { disabledScripts, startTrackers, type Trackers } from './trackers.js';
import { VrrpDriver } from './driver.js';
import { collectStartupGarbage } from './heap.js';
import { warmUp } from './warmup.js';
import { createNotifier, type DaemonNotifier } from './notifier.js';
import { Vmacs } from './vmac.js';
import type { InstanceView, VrrpView } from './view.js';

export interface DaemonOptions {
  readonly file: string;
  readonly configId: string;
  readonly pidFile: string;
  readonly log: Logger;
  /** the configuration, when the caller has already loaded it (loadForDaemon) */
  readonly config?: KeepalivedConfig;
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
  private readonly sockets4 = new Map<string, Vrrp4Socket>();
  private raw6: Raw6Socket | undefined;
  private packet: PacketSocket | undefined;
  private staticSet: AddressSet | undefined;
  /** interfaces the instances and groups track -> families they must hold an address of */
  private tracked = new Map<string, ('inet' | 'inet6')[]>();
  /** interface name -> last state reported to the engine */
  private readonly ifState = new Map<string, boolean>();
  private stopping: Promise<void> | undefined;

  private readonly startedAt = Date.now();
  private reloads = 0;
  private lastReloadAt: number | undefined;
  private cfg!: KeepalivedConfig;
  /** wall clock of each instance's last state change */
  private readonly transitionAt = new Map<string, number>();

  constructor(private readonly opts: DaemonOptions) {}

  /** The VRRP side's state, for dumps, metrics and the status API. */
  view(): VrrpView {
    const instances: InstanceView[] = [];
    for (const [name, m] of this.mapped?.instances ?? []) {
      const live = this.engine.instance(name)!;
      const at = this.transitionAt.get(name);
      instances.push({
        name, model: m.model, live, baseInterface: m.baseInterface, sourceAddress: m.config.sourceAddress.bytes,
        sendErrors: this.runner?.sendErrors.get(name) ?? 0, ...(at !== undefined ? { lastTransitionAt: at } : {}),
      });
    }
    return {
      config: this.cfg, configFile: this.opts.file, pid: process.pid, startedAt: this.startedAt,
      reloads: this.reloads, ...(this.lastReloadAt !== undefined ? { lastReloadAt: this.lastReloadAt } : {}),
      instances, groups: this.engine?.groups ?? [], unknownVrid: this.engine?.unknownVrid ?? 0,
      addressFailures: this.addresses?.failures ?? 0, addressesRestored: this.addresses?.restored ?? 0,
    };
  }

  /** SIGHUP with a configuration that loaded: apply it, keeping what did not change. */
  async reload(next: KeepalivedConfig): Promise<void> {
    void next;
    throw new KtsError('DAEMON_CONFIG', 'VRRP reload not implemented yet');
  }

  async start(): Promise<void> {
    const log = this.opts.log;
    const cfg = this.opts.config ?? loadForDaemon(this.opts.file, this.opts.configId, this.opts.log);
    this.cfg = cfg;
    writePidfile(this.opts.pidFile);
    if (cfg.globalDefs.vrrpPriority !== undefined && cfg.globalDefs.vrrpPriority !== 0) {
      const err = setNice(cfg.globalDefs.vrrpPriority);
      if (err) log.warn({ err, nice: cfg.globalDefs.vrrpPriority }, 'cannot set vrrp_priority');
      else log.info({ nice: cfg.globalDefs.vrrpPriority }, 'VRRP process priority set (vrrp_priority)');
    }
    this.rtnl = await Rtnl.open({ watch: (ev) => this.onRtnl(ev), onOverflow: () => void this.resync() });
    this.links = new LinkTable(await this.rtnl.links(), await this.rtnl.addresses());
    this.vmacs = await Vmacs.prepare(cfg, this.rtnl, this.links, log.child({ mod: 'vmac' }));
    const users = ScriptUsers.host({
      enableScriptSecurity: cfg.globalDefs.enableScriptSecurity,
      ...(cfg.globalDefs.scriptUser ? { scriptUser: cfg.globalDefs.scriptUser } : {}),
    });
    const disabled = disabledScripts(cfg, users, log.child({ mod: 'track' }));
    this.mapped = mapConfig(cfg, (name) => {
      const inet = this.links.primary(name, 'inet');
      const inet6 = this.links.primary(name, 'inet6');
      return { ...(inet ? { inet } : {}), ...(inet6 ? { inet6 } : {}) };
    }, disabled, (name) => this.vmacs?.vmacOf(name));
    for (const [name, m] of this.mapped.instances) {
      if (this.links.index(m.config.interface) === undefined) {
        throw new KtsError('DAEMON_INTERFACE', `(${name}) interface ${m.config.interface} does not exist`);
      }
    }
    this.engine = new VrrpEngine(this.mapped.engine);
    this.addresses = new AddressManager(this.rtnl, this.links, log.child({ mod: 'addr' }));
    this.addresses.numberRules([...cfg.staticRules, ...cfg.vrrpInstances.flatMap((i) => i.virtualRules)]);
    this.packet = new PacketSocket();
    const garp = new GarpSender(this.packet, this.links, forwarding6, log.child({ mod: 'garp' }),
      { garpMs: cfg.globalDefs.vrrpGarpIntervalMs, gnaMs: cfg.globalDefs.vrrpGnaIntervalMs });
    this.notifier = await createNotifier(cfg, users, log.child({ mod: 'notify' }));
    this.runner = new EffectRunner(this.mapped.instances, this.advertPort(), this.addresses, garp, this.notifier,
      log.child({ mod: 'vrrp' }), () => this.clock.now(), (name) => this.engine.instance(name)?.stats);
    this.driver = new VrrpDriver(this.engine, this.clock, this.runner.perform, (e, effect) => {
      log.error({ err: (e as Error).message, effect: effect.type }, 'effect failed');
    });
    this.openSockets();

    // keepalived: leftovers from an earlier run go first, then static addresses / routes / rules
    await this.addresses.removeLeftovers([...this.runner.sets.values()]);
    this.staticSet = { owner: 'static', addresses: cfg.staticIpaddress, routes: cfg.staticRoutes, rules: cfg.staticRules };
    if (cfg.staticIpaddress.length + cfg.staticRoutes.length + cfg.staticRules.length > 0) {
      await this.addresses.install(this.staticSet);
    }

    this.tracked = this.trackedInterfaces();
    this.reportInterfaces();
    this.trackers = startTrackers(cfg, this.mapped, { input: (i) => this.driver.input(i), log: log.child({ mod: 'track' }), users });
    await this.trackers.ready;
    warmUp(this.mapped.engine.instances);
    collectStartupGarbage();
    log.info({ instances: this.mapped.instances.size, pid: process.pid }, 'Starting VRRP child process');
    this.driver.input({ type: 'start' });
  }

  private advertPort(): AdvertPort {
    return {
      send: (ifname, family, src, dst, data) => {
        if (family === 'inet') {
          const s = this.sockets4.get(ifname);
          if (!s) throw new Error(`no VRRP socket on ${ifname}`);
          s.send(data, dst);
        } else {
          const ifindex = this.links.index(ifname);
          if (ifindex === undefined || !this.raw6) throw new Error(`no VRRP socket on ${ifname}`);
          this.raw6.send(ifindex, src, dst, data);
        }
      },
    };
  }

  private openSockets(): void {
    const groups4 = new Map<string, Uint8Array[]>();
    const groups6 = new Map<string, Uint8Array[]>();
    for (const m of this.mapped.instances.values()) {
      const c = m.config;
      const map = c.family === 'inet' ? groups4 : groups6;
      const list = map.get(c.interface) ?? [];
      if (!c.unicastPeer?.length && c.mcastDstIp) list.push(c.mcastDstIp.bytes);
      map.set(c.interface, list);
    }
    for (const [ifname, groups] of groups4) {
      this.sockets4.set(ifname, new Vrrp4Socket({
        ifname,
        ifindex: this.links.index(ifname)!,
        groups,
        onPacket: (data) => this.driver.input({ type: 'packet', interface: ifname, packet: { family: 'inet', data } }),
        onSendError: (err, dst) => this.opts.log.warn({ mod: 'vrrp', ifname, err, dst }, 'VRRP send failed'),
      }));
    }
    if (groups6.size > 0) {
      this.raw6 = new Raw6Socket(IPPROTO_VRRP, (data, src, dst, hopLimit, ifindex) => {
        const ifname = this.links.linkByIndex(ifindex)?.name;
        if (ifname === undefined || !groups6.has(ifname)) return;
        this.driver.input({ type: 'packet', interface: ifname, packet: { family: 'inet6', data, src, dst, hopLimit } });
      });
      for (const [ifname, groups] of groups6) {
        const ifindex = this.links.index(ifname)!;
        for (const g of groups) this.raw6.join(ifindex, g);
      }
    }
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
  private reportInterfaces(): void {
    for (const [name, families] of this.tracked) {
      const up = this.links.linkUp(name) && families.every((f) => this.links.primary(name, f) !== undefined);
      if (this.ifState.get(name) === up) continue;
      const first = !this.ifState.has(name);
      this.ifState.set(name, up);
      if (!first || !up) this.opts.log.info({ mod: 'vrrp', ifname: name, up }, `Netlink reports ${name} ${up ? 'up' : 'down'}`);
      this.driver.input({ type: 'interface', name, up });
    }
  }

  private onRtnl(ev: RtnlEvent): void {
    if (!this.links) return;
    this.links.apply(ev);
    if (ev.type === 'addr' && ev.deleted) this.addresses?.addressDeleted(ev.addr);
    // once stopping, links going (our VMACs deleted) must not move instances out of STOP
    if (this.driver && !this.stopping) this.reportInterfaces();
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
    log.info('Stopping');
    const trackersStopped = this.trackers?.stop();
    if (this.driver) this.driver.input({ type: 'shutdown' });
    this.clock.stop();
    await Promise.all([...this.sockets4.values()].map((s) => s.drain()));
    if (this.addresses) {
      if (this.staticSet) await this.addresses.remove(this.staticSet);
      await this.addresses.idle();
    }
    await this.notifier?.flush();
    await trackersStopped;
    for (const s of this.sockets4.values()) s.close();
    this.raw6?.close();
    this.packet?.close();
    await this.vmacs?.release();
    this.rtnl?.close();
    removePidfile(this.opts.pidFile);
    log.info('Stopped');
  }
}
