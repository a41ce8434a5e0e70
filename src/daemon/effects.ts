/**
 * Performs the VRRP engine's effects on the real machine: adverts out of the VRRP sockets,
 * VIPs / routes / rules through the AddressManager, GARP / NA bursts, notifications, and
 * keepalived's log lines. Received-advert drops are counted by the engine (instance stats,
 * per reason); this logs them, at most once a minute per instance at warn level.
 */
import type { Logger } from 'pino';
import { formatIp } from '../util/ip.js';
import type { Effect, InstanceStats } from '../vrrp/types.js';
import type { AddressManager, AddressSet } from './addresses.js';
import type { MappedInstance } from './engine-config.js';
import type { GarpSender } from './garp.js';
import type { FailoverTiming } from './failover-timing.js';

export interface AdvertPort {
  /** IPv4: whole datagram; IPv6: VRRP message sent from `src` with hop limit 255. */
  send(ifname: string, family: 'inet' | 'inet6', src: Uint8Array, dst: Uint8Array, data: Uint8Array): void;
}

export interface NotifyPort {
  notify(ev: { scope: 'INSTANCE' | 'GROUP'; name: string; state: string; priority: number }): void;
}

const DROP_LOG_INTERVAL_MS = 60_000;

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
  private readonly lastDropLogAt = new Map<string, number>();
  /** -V at stop: VIPs, routes and rules stay where they are */
  keepAddresses = false;

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
        try {
          this.adverts.send(e.interface, e.family, m.config.sourceAddress.bytes, e.dst, e.data);
        } catch (err) {
          this.sendErrors.set(e.instance, (this.sendErrors.get(e.instance) ?? 0) + 1);
          this.log.warn({ inst: e.instance, err: (err as Error).message }, 'advert send failed');
        }
        return;
      }
      case 'addVips': {
        const set = this.sets.get(e.instance)!;
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
        afterStep(() => this.log.info({ inst: e.instance, count: set.addresses.length }, `(${e.instance}) removing VIPs.`));
        return;
      }
      case 'sendGarp': {
        const set = this.sets.get(e.instance)!;
        // after the addresses are in the kernel, so that a client that follows the GARP at once
        // finds the VIP here; usually at once, the adds of a takeover being sent in this same
        // turn (AddressManager.submitted)
        const burst = (): void => {
          this.garp.burst(e.instance, set.interface!, set.addresses, e.repeat);
          this.timing?.garpSent(e.instance, this.now());
        };
        if (this.addresses.allSubmitted()) burst();
        else void this.addresses.submitted().then(burst);
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
        const t = this.now();
        if (t - (this.lastDropLogAt.get(e.instance) ?? -Infinity) >= DROP_LOG_INTERVAL_MS) {
          this.lastDropLogAt.set(e.instance, t);
          this.log.warn({ inst: e.instance, reason: e.reason, drops: this.stats(e.instance)?.rxErrors }, `(${e.instance}) ${e.message}`);
        } else this.log.debug({ inst: e.instance, reason: e.reason }, `(${e.instance}) ${e.message}`);
        return;
      }
      case 'event':
        this.logEvent(e);
        return;
    }
  };

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

  private logEvent(e: Extract<Effect, { type: 'event' }>): void {
    const from = e.from ? formatIp(e.from) : '?';
    const n = e.instance;
    const log = this.log.child({ inst: n, event: e.event });
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
