/**
 * Active-active directors (issue 21): the VIPs this director should attract traffic for, handed
 * to the routing daemon that already runs on it, with no BGP code here. Each announced VIP is a
 * host route (`VIP/32 dev lo`, protocol keepalived) in the kernel table `announce_table`; the
 * routing daemon imports that table and advertises it (FRR `ip import-table N` and
 * `redistribute table N`; BIRD `protocol kernel { kernel table N; learn; }`). Why a kernel table
 * rather than a daemon's API: FRR and BIRD both read it with no plug-in, a restarted routing
 * daemon finds the announcements where they were, and withdrawing is one netlink message that
 * works whether the daemon runs or not (README, "Active-active directors").
 *
 * Runs in the checker process, which knows the virtual servers' quorum; the VRRP states of
 * `announce_vip ... instance NAME` come from the VRRP process over the IPC channel. The
 * decision is src/announce/plan.ts; this file applies it and logs each change. At a clean stop
 * every route is withdrawn first and the services stay for `announce_withdraw_delay`, so the
 * routers move the flows away before the director stops serving them.
 *
 * The routing daemon is watched (src/io/routing-daemon.ts, `announce_daemon`): its absence at
 * start, its stop and its return are logged, and at its return the table is read again and
 * brought back to the decision, should anything have changed it meanwhile.
 */
import type { Logger } from 'pino';
import type { AnnounceVip, KeepalivedConfig } from '../config/model.js';
import { formatIp } from '../util/ip.js';
import type { RoutingDaemonView } from './check-view.js';
import { decide, hostPrefix, routeChanges, type AnnounceDecision, type AnnounceRoutes } from '../announce/plan.js';
import { DEFAULT_ROUTING_DAEMONS, RoutingDaemonWatch, type RoutingDaemonChange, type RoutingDaemonSeen, type RoutingDaemonWatcher } from '../io/routing-daemon.js';

/** What the announcer reads of the checker engine. */
export interface QuorumView {
  quorums(address: string): readonly { readonly name: string; readonly up: boolean }[];
}

/** The family of a host prefix the table holds. */
const familyOf = (prefix: string): 'inet' | 'inet6' => (prefix.includes(':') ? 'inet6' : 'inet');

/** Default `announce_withdraw_delay`: long enough for a BGP update to reach the routers. */
export const DEFAULT_WITHDRAW_DELAY_MS = 2000;
/** A failed route change is tried again this much later. */
const RETRY_MS = 1000;

export class Announcer {
  private vips: readonly AnnounceVip[] = [];
  private table: number | undefined;
  private withdrawDelayMs = DEFAULT_WITHDRAW_DELAY_MS;
  private readonly states = new Map<string, string>();
  /** VIPs handed over (withdrawn until --cancel); kept across reloads */
  private readonly held = new Set<string>();
  /** the last decision per prefix (for the log of changes) */
  private readonly decided = new Map<string, AnnounceDecision>();
  /** our routes as the kernel has them (after the first read) */
  private present: Set<string> | undefined;
  private stopping = false;
  /** the next pass reads the table from the kernel again */
  private reread = false;
  private applying: Promise<void> | undefined;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  /** route changes that failed (the metric) */
  failures = 0;
  /** times the watched routing daemon was seen to stop (the metric) */
  routingDaemonStops = 0;
  private readonly watch: RoutingDaemonWatcher;

  constructor(
    private readonly routes: AnnounceRoutes,
    private readonly quorum: QuorumView,
    private readonly log: Logger,
    watch?: (onChange: RoutingDaemonChange) => RoutingDaemonWatcher,
  ) {
    const onChange: RoutingDaemonChange = (now, was, first) => this.routingDaemon(now, was, first);
    this.watch = watch ? watch(onChange) : new RoutingDaemonWatch(DEFAULT_ROUTING_DAEMONS, onChange);
  }

  /** Start, or a reloaded configuration (a table that changed moves every route). */
  configure(cfg: KeepalivedConfig): void {
    const g = cfg.globalDefs;
    const table = g.announceVips?.length ? g.announceTable : undefined;
    if (this.table !== undefined && table !== this.table) {
      // the old table's routes go: the routing daemon no longer reads it
      const old = this.table;
      const gone = [...(this.present ?? [])];
      this.present = undefined;
      void Promise.all(gone.map((p) => this.routes.remove(p, familyOf(p), old).catch(() => undefined)));
    }
    this.table = table;
    this.vips = table !== undefined ? g.announceVips ?? [] : [];
    this.withdrawDelayMs = g.announceWithdrawDelayMs ?? DEFAULT_WITHDRAW_DELAY_MS;
    const daemons = g.announceDaemons ?? DEFAULT_ROUTING_DAEMONS;
    this.watch.setNames(daemons);
    if (table === undefined || daemons.length === 0) this.watch.stop();
    else this.watch.start();
    this.update();
  }

  /** The routing daemon watched, as last seen (status, metrics): undefined when not watched. */
  routingDaemonView(): RoutingDaemonView | undefined {
    if (this.table === undefined || this.watch.watched().length === 0) return undefined;
    const running = this.watch.current();
    return { watching: this.watch.watched(), ...(running ? { running } : {}) };
  }

  /** The watch saw the routing daemon come, go or be absent at start. */
  private routingDaemon(now: RoutingDaemonSeen | undefined, was: RoutingDaemonSeen | undefined, first: boolean): void {
    const table = this.table;
    if (table === undefined) return;
    const names = this.watch.watched().join(', ');
    if (first && !now) {
      this.log.warn({ watching: names, table }, `No routing daemon (${names}) runs in this network namespace: the announcements wait in table ${table} until one reads it`);
    } else if (!now && was) {
      this.routingDaemonStops++;
      this.log.warn({ daemon: was.name, pid: was.pid, table }, `Routing daemon ${was.name} (pid ${was.pid}) stopped: the routers lose the announcements at their hold time; they wait in table ${table} for its return`);
    } else if (now) {
      const announced = this.announced();
      this.log.info({ daemon: now.name, pid: now.pid, table, announced }, `Routing daemon ${now.name} (pid ${now.pid}) ${first ? 'runs' : was ? 'was restarted' : 'runs again'}: it reads table ${table}, where ${announced.length ? announced.join(', ') : 'nothing'} is announced`);
      if (!first) {
        // the table is read again: whatever changed it while the daemon was away is undone
        this.reread = true;
        this.apply();
      }
    }
  }

  /** A VRRP instance's state, from the VRRP process. */
  vrrpState(name: string, state: string): void {
    if (this.states.get(name) === state) return;
    this.states.set(name, state);
    this.update();
  }

  /** The facts may have changed (a checker step): apply the decision if it did. */
  update(): void {
    if (this.table === undefined && this.present === undefined) return;
    const ds = decide(this.vips, {
      quorums: (a) => this.quorum.quorums(a), instanceState: (n) => this.states.get(n), held: (a) => this.held.has(a), stopping: this.stopping,
    });
    let changed = this.present === undefined;
    for (const d of ds) {
      const was = this.decided.get(d.prefix);
      if (was?.announce === d.announce) continue;
      changed = true;
      this.decided.set(d.prefix, d);
      if (d.announce) this.log.info({ prefix: d.prefix, table: this.table, why: d.why }, `Announcing ${d.prefix} (${d.why})`);
      else if (was) this.log.warn({ prefix: d.prefix, table: this.table, why: d.why }, `Withdrawing ${d.prefix} (${d.why})`);
    }
    for (const p of [...this.decided.keys()]) {
      if (!ds.some((d) => d.prefix === p)) {
        this.decided.delete(p);
        changed = true;
      }
    }
    if (changed) this.apply();
  }

  /** A clean stop: withdraw every route, then wait for the routers to move the flows. */
  async withdraw(): Promise<void> {
    if (this.table === undefined) return;
    this.stopping = true;
    this.update();
    await this.settled();
    if (this.withdrawDelayMs > 0) {
      this.log.info({ delayMs: this.withdrawDelayMs }, `Announcements withdrawn; services stay ${this.withdrawDelayMs / 1000} s for the routers to move the flows`);
      await new Promise((r) => setTimeout(r, this.withdrawDelayMs));
    }
  }

  /**
   * `keepalived-ts handover VIP`: withdraw it and hold it withdrawn (the routers move the new
   * flows to the other directors; flows already here go on), answering once the route is out
   * of the table and `announce_withdraw_delay` has passed; `cancel` announces it again.
   */
  async handover(address: string, cancel: boolean): Promise<{ result: 'withdrawn' | 'released' | 'unknown-vip'; announced: boolean; ms: number }> {
    const t0 = performance.now();
    const vip = this.vips.find((v) => formatIp(v.address) === address);
    if (!vip) return { result: 'unknown-vip', announced: false, ms: 0 };
    if (cancel) this.held.delete(address);
    else this.held.add(address);
    this.update();
    await this.settled();
    if (!cancel && this.withdrawDelayMs > 0) await new Promise((r) => setTimeout(r, this.withdrawDelayMs));
    return { result: cancel ? 'released' : 'withdrawn', announced: this.present?.has(hostPrefix(vip)) ?? false, ms: Math.round(performance.now() - t0) };
  }

  /** Routes now announced (status, tests). */
  announced(): string[] {
    return [...(this.present ?? [])].sort();
  }

  close(): void {
    this.watch.stop();
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
  }

  private async settled(): Promise<void> {
    while (this.applying) await this.applying;
  }

  /** Brings the table to the decision; one pass at a time, the last change wins. */
  private apply(): void {
    if (this.applying) {
      this.again = true;
      return;
    }
    this.applying = this.pass().finally(() => {
      this.applying = undefined;
      if (this.again) {
        this.again = false;
        this.apply();
      }
    });
  }

  private async pass(): Promise<void> {
    const table = this.table;
    if (table === undefined) return;
    let present = this.present;
    if (!present || this.reread) {
      this.reread = false;
      try {
        present = new Set(await this.routes.present(table));
      } catch (e) {
        this.fail('read', table, e);
        return;
      }
      this.present = present;
    }
    const wanted = new Set([...this.decided.values()].filter((d) => d.announce).map((d) => d.prefix));
    const { add, remove } = routeChanges(wanted, present);
    for (const p of remove) {
      try {
        await this.routes.remove(p, familyOf(p), table);
        present.delete(p);
        if (!this.decided.has(p)) this.log.info({ prefix: p, table }, `Withdrawing ${p} (not an announce_vip)`);
      } catch (e) {
        this.fail(`withdraw ${p}`, table, e);
      }
    }
    for (const p of add) {
      try {
        await this.routes.add(p, familyOf(p), table);
        present.add(p);
      } catch (e) {
        this.fail(`announce ${p}`, table, e);
      }
    }
  }

  private fail(what: string, table: number, e: unknown): void {
    this.failures++;
    this.log.error({ table, err: (e as Error).message }, `announce: cannot ${what} in table ${table}; trying again`);
    this.retry ??= setTimeout(() => {
      this.retry = undefined;
      this.apply();
    }, RETRY_MS);
  }
}
