/**
 * `lvs_sync_daemon` driven by VRRP state, in the VRRP (main) process, as keepalived 2.2.7 does:
 *
 * - start (vrrp_scheduler.c vrrp_init_state): the BACKUP sync daemon, or the MASTER one when the
 *   named instance is already MASTER (the class is built right after the VRRP side started);
 * - the instance enters MASTER (vrrp.c vrrp_state_become_master -> ipvs_syncd_master):
 *   stop BACKUP, start MASTER;
 * - the instance leaves MASTER for BACKUP or FAULT (vrrp_state_leave_master -> ipvs_syncd_backup):
 *   stop MASTER, start BACKUP;
 * - shutdown (vrrp_daemon.c stop_vrrp): stop the daemon of the current state.
 *
 * The sync id defaults to the instance's virtual_router_id (keepalived vrrp_complete_init).
 * Without an instance the checker process runs MASTER and BACKUP together for the whole run, as
 * keepalived's check_daemon.c does (startCheckerLvsSync): with `-C` too, where no VRRP process
 * runs, and restarted when a reload changes the setting. An instance name that does not exist
 * is logged and ignored, as keepalived clears the setting ("Unable to find vrrp instance").
 *
 * Failures never reach the VRRP side: no IPVS in the kernel logs one error and disables the
 * class; a refused request is logged and the next transition is tried all the same. Kernel
 * requests run one at a time, in the order the transitions happened.
 */
import type { Logger } from 'pino';
import type { KeepalivedConfig, LvsSyncDaemon } from '../config/model.js';
import type { IpvsDaemon } from '../ipvs/types.js';
import type { Effect, VrrpState } from '../vrrp/types.js';

type SyncState = 'MASTER' | 'BACKUP';

/** The part of IpvsClient this class uses (a fake in the unit tests). */
export interface SyncdClient {
  getDaemons(): Promise<IpvsDaemon[]>;
  startDaemon(d: IpvsDaemon): Promise<void>;
  stopDaemon(state: SyncState): Promise<void>;
  close(): void;
}

export interface LvsSyncOptions {
  readonly sync: LvsSyncDaemon;
  /** virtual_router_id of each configured VRRP instance, by name */
  readonly vrids: ReadonlyMap<string, number>;
  /** the instance's live state now */
  readonly stateOf: (instance: string) => VrrpState | undefined;
  readonly onEffect: (listener: (e: Effect) => void) => () => void;
  readonly open: () => Promise<SyncdClient>;
  readonly log: Logger;
}

export class LvsSync {
  /** the daemons this class started and has not stopped */
  readonly running = new Set<SyncState>();
  private client: SyncdClient | undefined;
  private chain: Promise<void>;
  private unsubscribe: (() => void) | undefined;
  private disabled = false;
  private stopped = false;
  private readonly log: Logger;
  private readonly syncId: number;

  constructor(private readonly o: LvsSyncOptions) {
    this.log = o.log.child({ mod: 'lvs-sync', ifname: o.sync.interface, ...(o.sync.instance ? { inst: o.sync.instance } : {}) });
    const inst = o.sync.instance;
    this.syncId = o.sync.syncId ?? (inst !== undefined ? o.vrids.get(inst) ?? 0 : 0);
    if (inst !== undefined && !o.vrids.has(inst)) {
      this.log.error(`Unable to find vrrp instance ${inst} for lvs_syncd - clearing lvs_syncd config`);
      this.disabled = true;
      this.chain = Promise.resolve();
      return;
    }
    this.chain = this.openClient();
    if (inst === undefined) {
      this.queue(['MASTER', 'BACKUP'], []);
      return;
    }
    this.queue([o.stateOf(inst) === 'MASTER' ? 'MASTER' : 'BACKUP'], []);
    this.unsubscribe = o.onEffect((e) => {
      if (e.type !== 'stateChange' || e.instance !== inst || this.stopped) return;
      if (e.to === 'MASTER' && e.from !== 'MASTER') this.queue(['MASTER'], ['BACKUP']);
      else if (e.from === 'MASTER' && (e.to === 'BACKUP' || e.to === 'FAULT')) this.queue(['BACKUP'], ['MASTER']);
    });
  }

  /** Resolves when every request queued so far has been answered (or failed). */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Stops the daemons this class started and closes its socket. Never rejects. */
  async stop(): Promise<void> {
    if (this.stopped) return this.chain;
    this.stopped = true;
    this.unsubscribe?.();
    this.chain = this.chain.then(async () => {
      for (const state of [...this.running]) await this.request(state, 'stop');
      this.client?.close();
      this.client = undefined;
    });
    return this.chain;
  }

  private async openClient(): Promise<void> {
    try {
      this.client = await this.o.open();
    } catch (e) {
      this.disabled = true;
      this.log.error({ code: (e as { code?: string }).code, err: (e as Error).message },
        'lvs_sync_daemon: IPVS is not available, the connection sync daemon will not be run');
      return;
    }
    // a daemon of ours left running by a previous run that died would make NEW_DAEMON fail (EEXIST)
    try {
      const stale = await this.client.getDaemons();
      for (const d of stale) {
        this.log.warn({ state: d.state, mcastIfn: d.mcastIfn, syncId: d.syncId }, 'lvs_sync_daemon: stopping a sync daemon left running');
        await this.client.stopDaemon(d.state);
      }
    } catch (e) {
      this.log.warn({ code: (e as { code?: string }).code, err: (e as Error).message }, 'lvs_sync_daemon: cannot list running sync daemons');
    }
  }

  /** keepalived ipvs_syncd_master / ipvs_syncd_backup: stop first, then start. */
  private queue(start: readonly SyncState[], stop: readonly SyncState[]): void {
    this.chain = this.chain.then(async () => {
      for (const s of stop) if (this.running.has(s)) await this.request(s, 'stop');
      for (const s of start) if (!this.running.has(s)) await this.request(s, 'start');
    });
  }

  private async request(state: SyncState, what: 'start' | 'stop'): Promise<void> {
    const client = this.client;
    if (this.disabled || !client) return;
    const { sync } = this.o;
    try {
      if (what === 'start') {
        await client.startDaemon({
          state, mcastIfn: sync.interface, syncId: this.syncId,
          ...(sync.maxLen !== undefined ? { syncMaxLen: sync.maxLen } : {}),
          ...(sync.port !== undefined ? { mcastPort: sync.port } : {}),
          ...(sync.ttl !== undefined ? { mcastTtl: sync.ttl } : {}),
          ...(sync.group !== undefined ? { mcastGroup: sync.group } : {}),
        });
        this.running.add(state);
        this.log.info({ state, syncId: this.syncId }, `Starting IPVS sync daemon ${state}`);
      } else {
        this.running.delete(state);
        await client.stopDaemon(state);
        this.log.info({ state, syncId: this.syncId }, `Stopping IPVS sync daemon ${state}`);
      }
    } catch (e) {
      this.log.error({ state, code: (e as { code?: string }).code, err: (e as Error).message }, `lvs_sync_daemon: ${what} ${state} failed`);
    }
  }
}

/** The class wired to a running VRRP daemon; undefined unless lvs_sync_daemon names an instance. */
export async function startLvsSync(
  daemon: {
    view(): { readonly config: KeepalivedConfig; readonly instances: readonly { readonly name: string; readonly live: { readonly state: VrrpState } }[] };
    onEffect(listener: (e: Effect) => void): () => void;
  },
  log: Logger,
): Promise<LvsSync | undefined> {
  const { config } = daemon.view();
  const sync = config.globalDefs.lvsSyncDaemon;
  if (!sync || sync.instance === undefined) return undefined;
  const vrids = new Map(config.vrrpInstances.map((i) => [i.name, i.virtualRouterId ?? 0]));
  return new LvsSync({
    sync, vrids, log,
    stateOf: (name) => daemon.view().instances.find((i) => i.name === name)?.live.state,
    onEffect: (l) => daemon.onEffect(l),
    open: await ipvsOpener(log),
  });
}

/**
 * The checker process's sync daemons: MASTER and BACKUP together when lvs_sync_daemon names no
 * instance (check_daemon.c checker_ipvs_syncd_needed); undefined otherwise.
 */
export async function startCheckerLvsSync(config: KeepalivedConfig, log: Logger): Promise<LvsSync | undefined> {
  const sync = config.globalDefs.lvsSyncDaemon;
  if (!sync || sync.instance !== undefined) return undefined;
  return new LvsSync({ sync, vrids: new Map(), log, stateOf: () => undefined, onEffect: () => () => undefined, open: await ipvsOpener(log) });
}

/** The IPVS client LvsSync opens (loaded only when a sync daemon is configured). */
async function ipvsOpener(log: Logger): Promise<() => Promise<SyncdClient>> {
  const { IpvsClient } = await import('../io/ipvs-genl.js');
  return () => IpvsClient.open({ log: log.child({ mod: 'ipvs' }) });
}

/** What a reload compares: the setting without its place in the file. */
export const lvsSyncKey = (config: KeepalivedConfig): string => JSON.stringify(config.globalDefs.lvsSyncDaemon ?? null, (k, v: unknown) => (k === 'loc' ? undefined : v));
