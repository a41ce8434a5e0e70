/**
 * Performs the VRRP engine's effects on the real machine: adverts out of the VRRP sockets,
 * VIPs / routes / rules through the AddressManager, GARP / NA bursts, notifications, and
 * keepalived's log lines. Received-advert drops are counted by the engine (instance stats,
 * per reason); this logs them with keepalived's words, at most one line per instance and reason
 * a second (LogLimiter), each line carrying the packets it stands for (`packets`) and the
 * instance's total for the reason (`total`). The advert events a packet can trigger on every
 * arrival ("received lower priority ... - discarding" and the other `rx-*` lines, address
 * owner conflicts) are limited the same way: a flood of hostile packets writes a few lines a
 * second, not one per packet.
 */
import type { Logger } from 'pino';
import { formatIp } from '../util/ip.js';
import type { Effect, InstanceStats } from '../vrrp/types.js';
import type { AddressManager, AddressSet } from './addresses.js';
import type { MappedInstance } from './engine-config.js';
import type { GarpSender } from './garp.js';
import type { FailoverTiming } from './failover-timing.js';
import type { FirewallAddress, VipFirewall } from './firewall.js';
import { LogLimiter } from './log-limiter.js';

export interface AdvertPort {
  /** IPv4: whole datagram; IPv6: VRRP message sent from `src` with hop limit 255. */
  send(ifname: string, family: 'inet' | 'inet6', src: Uint8Array, dst: Uint8Array, data: Uint8Array): void;
}

export interface NotifyPort {
  notify(ev: { scope: 'INSTANCE' | 'GROUP'; name: string; state: string; priority: number }): void;
}

/** at most one line per instance and drop reason (or per-packet event) in this time */
export const RX_LOG_INTERVAL_MS = 1000;

type EventEffect = Extract<Effect, { type: 'event' }>;

/** Events a received packet can trigger on every arrival: their lines are rate-limited. */
const perPacket = (e: EventEffect): boolean => e.event.startsWith('rx-') || e.event === 'owner-conflict';

/**
 * The log line of an effect on the wire (VIPs, GARPs) is written once the driver's step is
 * done: a log line costs a tenth of a millisecond or more, and a takeover's GARP should not
 * wait for the line about its VIPs. They keep their order, after the step's state-change line
 * (as keepalived prints them).
 */
const afterStep = (line: () => void): void => queueMicrotask(line);

export class EffectRunner {
  readonly sets = new Map<string, AddressSet>();
  /** adverts the socket refused, per instance */
  readonly sendErrors = new Map<string, number>();
  /** lines of received packets (drops, discards): one per instance and reason per interval */
  private readonly rxLines = new LogLimiter<(packets: number) => void>(RX_LOG_INTERVAL_MS);
  private rxFlush: NodeJS.Timeout | undefined;
  /** -V at stop: VIPs, routes and rules stay where they are */
  keepAddresses = false;
  /** the firewall change of an instance's takeover, that its GARP waits for */
  private readonly firewallPending = new Map<string, Promise<void>>();
  /** GARP bursts waiting for their addresses or drop rule, by instance */
  private readonly garpsWaiting = new Map<string, Promise<void>>();
  private readonly fwAddresses = new Map<string, readonly FirewallAddress[] | undefined>();

  constructor(
    private readonly instances: ReadonlyMap<string, MappedInstance>,
    private readonly adverts: AdvertPort,
    private readonly addresses: AddressManager,
    private readonly garp: GarpSender,
    private readonly notifier: NotifyPort,
    private readonly log: Logger,
    private readonly now: () => number,
    /** the engine's counters of an instance (drops by reason) */
    private readonly stats: (instance: string) => InstanceStats | undefined,
    private readonly timing?: FailoverTiming,
    /** instances without accept mode drop traffic to their VIPs while MASTER (src/daemon/firewall.ts) */
    private readonly firewall?: VipFirewall,
    /** nftables_ifindex: link-local VIPs matched by index even with dont_track_primary */
    private readonly nfIfindex = false,
  ) {
    for (const [name, m] of instances) {
      this.sets.set(name, {
        owner: name,
        // the configured interface (not the VMAC): other-family VIPs and the unicast source GARP
        interface: m.baseInterface,
        addresses: m.addresses,
        routes: m.model.virtualRoutes,
        rules: m.model.virtualRules,
      });
    }
  }

  perform = (e: Effect): void => {
    switch (e.type) {
      case 'stateChange': {
        if (e.to === 'BACKUP') this.prepareTakeover(e.instance);
        const log = this.log.child({ inst: e.instance });
        if (!e.quiet) {
          log.info({ from: e.from, to: e.to, reason: e.reason }, `(${e.instance}) Entering ${e.to} STATE`);
        } else log.debug({ from: e.from, to: e.to, reason: e.reason }, 'state change');
        return;
      }
      case 'groupStateChange':
        this.log.info({ group: e.group, from: e.from, to: e.to }, `VRRP_Group(${e.group}) Syncing instances to ${e.to} state`);
        return;
      case 'sendAdvert': {
        const m = this.instances.get(e.instance)!;
        const send = (): void => {
          try {
            this.adverts.send(e.interface, e.family, m.config.sourceAddress.bytes, e.dst, e.data);
          } catch (err) {
            this.sendErrors.set(e.instance, (this.sendErrors.get(e.instance) ?? 0) + 1);
            this.log.warn({ inst: e.instance, err: (err as Error).message }, 'advert send failed');
          }
        };
        // a takeover's advert follows its GARPs (make-before-break, VrrpInstance.becomeMaster),
        // also when they wait for the addresses or the drop rule
        const garp = e.afterGarp ? this.garpsWaiting.get(e.instance) : undefined;
        if (garp) void garp.then(send, send);
        else send();
        return;
      }
      case 'addVips': {
        const set = this.sets.get(e.instance)!;
        const fw = this.firewallAddresses(e.instance);
        if (fw) {
          const done = this.firewall!.add(e.instance, fw);
          this.firewallPending.set(e.instance, done);
          void done.then(() => { if (this.firewallPending.get(e.instance) === done) this.firewallPending.delete(e.instance); });
        }
        void this.addresses.install(set).then(() => this.timing?.vipsInstalled(e.instance, this.now()));
        afterStep(() => this.log.info({ inst: e.instance, count: set.addresses.length }, `(${e.instance}) setting VIPs.`));
        return;
      }
      case 'removeVips': {
        const set = this.sets.get(e.instance)!;
        if (this.keepAddresses) {
          this.log.info({ inst: e.instance }, `(${e.instance}) leaving VIPs in place (--dont-release-vrrp)`);
          return;
        }
        void this.addresses.remove(set);
        // keepalived: the VIPs go, then their drop rule
        if (this.firewallAddresses(e.instance)) void this.firewall!.remove(e.instance);
        afterStep(() => this.log.info({ inst: e.instance, count: set.addresses.length }, `(${e.instance}) removing VIPs.`));
        return;
      }
      case 'sendGarp': {
        const set = this.sets.get(e.instance)!;
        if (e.reason === 'extra-if') {
          // garp_extra_if: one GARP / NA per other interface, for its first VIP there
          const devs = this.instances.get(e.instance)?.garpExtraIfDevs ?? [];
          const done = new Set<string>();
          const first = set.addresses.filter((a) => {
            const dev = a.dev ?? set.interface!;
            if (!devs.includes(dev) || done.has(dev)) return false;
            done.add(dev);
            return true;
          });
          this.garp.burst(e.instance, set.interface!, first, 1);
          afterStep(() => this.log.debug({ inst: e.instance, interfaces: [...done] }, `(${e.instance}) gratuitous ARP on the other interfaces (garp_extra_if)`));
          return;
        }
        // after the addresses are in the kernel, so that a client that follows the GARP at once
        // finds the VIP here; usually at once, the adds of a takeover being sent in this same
        // turn (AddressManager.submitted)
        const burst = (): void => {
          this.garp.burst(e.instance, set.interface!, set.addresses, e.repeat);
          this.timing?.garpSent(e.instance, this.now());
        };
        // and after the drop rule of a master without accept mode: clients are sent here only
        // once the VIPs are both up and firewalled
        const fw = this.firewallPending.get(e.instance);
        let waiting: Promise<void> | undefined;
        if (fw) waiting = Promise.all([fw, this.addresses.submitted()]).then(burst);
        else if (this.addresses.allSubmitted()) burst();
        else waiting = this.addresses.submitted().then(burst);
        if (waiting) {
          const w = waiting;
          this.garpsWaiting.set(e.instance, w);
          const done = (): void => { if (this.garpsWaiting.get(e.instance) === w) this.garpsWaiting.delete(e.instance); };
          void w.then(done, done);
        }
        afterStep(() => this.log.info({ inst: e.instance, repeat: e.repeat, reason: e.reason },
          `(${e.instance}) Sending/queueing gratuitous ARPs on ${set.interface}`));
        return;
      }
      case 'sendGarpSource':
        this.garp.single(e.instance, this.sets.get(e.instance)!.interface!, e.address);
        return;
      case 'notify':
        this.notifier.notify({ scope: e.scope, name: e.name, state: e.state, priority: e.priority });
        return;
      case 'priorityChange':
        this.log.info({ inst: e.instance, from: e.from, to: e.to }, `(${e.instance}) Changing effective priority from ${e.from} to ${e.to}`);
        return;
      case 'rxDrop': {
        const ifname = this.instances.get(e.instance)?.config.interface;
        this.limited(`${e.instance} ${e.reason}`, (packets) => this.log.warn({
          inst: e.instance, ifname, reason: e.reason, packets, total: this.stats(e.instance)?.rxErrors[e.reason],
        }, `(${e.instance}) ${e.message}`));
        return;
      }
      case 'event':
        if (perPacket(e)) this.limited(`${e.instance} ${e.event}`, (packets) => this.logEvent(e, packets));
        else this.logEvent(e);
        return;
    }
  };

  /**
   * The VIPs the firewall holds while the instance is MASTER: an instance without accept mode
   * that is not the address owner (keepalived vrrp_handle_accept_mode); undefined otherwise.
   */
  firewallAddresses(instance: string): readonly FirewallAddress[] | undefined {
    // the same for the whole generation: built once, not on each takeover's step
    if (this.fwAddresses.has(instance)) return this.fwAddresses.get(instance);
    const m = this.instances.get(instance);
    const addrs = !this.firewall || !m || m.model.accept || m.model.priority === 255 ? undefined : m.addresses.map((a) => ({
      family: a.address.family,
      ip: formatIp(a.address),
      ifname: a.dev ?? m.baseInterface,
      // keepalived: by name for an instance with dont_track_primary, an address on the
      // instance's own interface or not tracked, unless nftables_ifindex
      byName: !this.nfIfindex && m.model.dontTrackPrimary && (a.dev === undefined || a.dev === m.config.interface || a.noTrack),
    }));
    this.fwAddresses.set(instance, addrs);
    return addrs;
  }

  /**
   * A backup builds its takeover's VIP requests and GARP frames now, so that Master_Down
   * finds them built (the advert is encoded ahead by the engine).
   */
  private prepareTakeover(instance: string): void {
    const set = this.sets.get(instance);
    if (!set) return;
    this.addresses.prepare(set);
    if (set.interface) this.garp.prepare(instance, set.interface, set.addresses);
  }

  /** Write a received packet's line now, or count it for the next one (LogLimiter). */
  private limited(key: string, write: (packets: number) => void): void {
    const line = this.rxLines.hit(key, write, this.now());
    if (line) write(line.count);
    this.flushRxLater();
  }

  /** The summary lines of packets that came while their key was quiet, when they are due. */
  private flushRxLater(): void {
    if (this.rxFlush) return;
    const at = this.rxLines.nextDueMs();
    if (at === undefined) return;
    this.rxFlush = setTimeout(() => {
      this.rxFlush = undefined;
      for (const l of this.rxLines.due(this.now())) l.payload(l.count);
      this.flushRxLater();
    }, Math.max(0, at - this.now()));
    this.rxFlush.unref();
  }

  /** `packets`: the packets a rate-limited line stands for (RX_LOG_INTERVAL_MS). */
  private logEvent(e: EventEffect, packets?: number): void {
    const from = e.from ? formatIp(e.from) : '?';
    const n = e.instance;
    const log = this.log.child({ inst: n, event: e.event, ...(packets !== undefined ? { packets } : {}) });
    switch (e.event) {
      case 'rx-prio-zero': log.info(`(${n}) Backup received priority 0 advertisement`); return;
      case 'rx-lower-prio-discard': log.info({ from, priority: e.priority }, `(${n}) received lower priority (${e.priority}) advert from ${from} - discarding`); return;
      case 'rx-lower-prio': log.info({ from, priority: e.priority, ours: e.ours },
        `(${n}) Received advert from ${from} with lower priority ${e.priority}, ours ${e.ours}${e.forcingElection ? ', forcing new election' : ''}`); return;
      case 'rx-higher-prio': log.info({ from, priority: e.priority, ours: e.ours },
        `(${n}) Master received advert from ${from} with higher priority ${e.priority}, ours ${e.ours}`); return;
      case 'rx-equal-prio-higher-ip': log.info({ from, priority: e.priority },
        `(${n}) Master received advert from ${from} with same priority ${e.priority} but higher IP address than ours`); return;
      case 'rx-equal-prio-own-ip': log.warn({ from }, `(${n}) Received advert with our own address and priority`); return;
      case 'owner-conflict': log.warn({ from }, `(${n}) Another address owner is on the network; our priority is reduced to 254`); return;
      case 'preempt-delay-start': log.info(`(${n}) preempt delay started`); return;
      case 'preempt-delay-stop': log.info(`(${n}) preempt delay ended`); return;
      case 'handover-start': log.info(`(${n}) handing over: priority 0 sent, VIPs kept until the new master is heard`); return;
      case 'handover-done': log.info({ from, priority: e.priority }, `(${n}) handover done: new master ${from} (priority ${e.priority}) heard, VIPs released`); return;
      case 'handover-timeout': log.warn(`(${n}) handover: no new master within Master_Down_Interval; staying MASTER`); return;
      case 'yield-end': log.info(`(${n}) handover cancelled: competing with the configured priority again`); return;
      case 'interval-learnt': log.info({ intervalMs: e.intervalMs }, `(${n}) advertisement interval learnt from master: ${e.intervalMs} ms`); return;
    }
  }
}
