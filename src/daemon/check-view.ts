/**
 * What the checker process shows of itself, as plain data: it crosses the IPC channel to the
 * main process (status API, metrics) and feeds the checker's state dump.
 */
import type { CheckerEngine } from '../check/engine.js';
import { realWeight } from '../check/servers.js';
import type { KeepalivedConfig } from '../config/model.js';
import { REAL_SERVERS_PER_SLICE, runAtOnce, runInSlices } from '../control/metrics.js';
import { formatIp } from '../util/ip.js';
import type { ScriptHost } from './view.js';

export interface CheckerView {
  /** TCP_CHECK, HTTP_GET, ... */
  readonly type: string;
  readonly up: boolean;
  readonly hasRun: boolean;
}

export interface RealServerView {
  readonly name: string;
  readonly address: string;
  readonly port?: number;
  readonly alive: boolean;
  /** in the IPVS table now (with weight 0 when inhibited) */
  readonly inTable: boolean;
  readonly weight: number;
  readonly effectiveWeight: number;
  readonly checkers: readonly CheckerView[];
}

export interface VirtualServerView {
  readonly name: string;
  readonly protocol: string;
  readonly scheduler: string;
  readonly lbKind: string;
  readonly quorumUp: boolean;
  readonly sorryActive: boolean;
  readonly suspended: boolean;
  readonly realServers: readonly RealServerView[];
}

export interface CheckView {
  readonly configFile: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly reloads: number;
  readonly virtualServers: readonly VirtualServerView[];
  readonly stats: Readonly<Record<string, number>>;
  /** announce_vip: the host routes now in the announce table */
  readonly announced?: readonly string[];
  /** announce_vip: the routing daemon watched (announce_daemon), and the one running if any */
  readonly routingDaemon?: RoutingDaemonView;
}

export interface RoutingDaemonView {
  readonly watching: readonly string[];
  readonly running?: { readonly name: string; readonly pid: number };
}

/**
 * What the checker process's state dump (keepalived_check.data, src/dump/check.ts) is written from:
 * it stays in the checker process, which holds the engine, and never crosses the IPC channel.
 */
export interface CheckDumpView {
  readonly config: KeepalivedConfig;
  /** undefined before the checkers start */
  readonly engine?: CheckerEngine;
  /** whether cfg.virtualServers[vs]'s IPVS services are in the kernel's table (keepalived vs->alive) */
  readonly serviceUp: (vs: number) => boolean;
  readonly host?: ScriptHost;
  /** this process's SCHED_RR priority (0: normal scheduling) */
  readonly sched?: { readonly rtPriority: number };
}

/** The engine's state as plain data. */
export function virtualServerViews(engine: CheckerEngine): VirtualServerView[] {
  const out: VirtualServerView[] = [];
  runAtOnce(viewSteps(engine, out));
  return out;
}

/**
 * virtualServerViews in slices, `pause()` awaited between them; undefined once `expired()`
 * says the asker has stopped waiting. The engine's state may move between slices (probe
 * results): each real server is as it was when its slice was made.
 */
export async function virtualServerViewsSliced(engine: CheckerEngine, pause: () => Promise<void>, expired: () => boolean): Promise<VirtualServerView[] | undefined> {
  const out: VirtualServerView[] = [];
  return (await runInSlices(viewSteps(engine, out), pause, expired)) ? out : undefined;
}

/**
 * Pushes each virtual server's view to `out`, yielding after each REAL_SERVERS_PER_SLICE real
 * servers. A real server's checkers are found in the engine's list of them, which the build
 * made in the order of the virtual servers and their real servers (units.ts buildUnits): one
 * walk along it, no map.
 */
function* viewSteps(engine: CheckerEngine, out: VirtualServerView[]): Generator<void, void, void> {
  const checkers = engine.checkers;
  let at = 0;
  let sliced = 0;
  for (const vs of engine.virtualServers) {
    const live = new Set(vs.liveDests().map((d) => `${formatIp(d.address.bytes)}:${d.port ?? 0}`));
    const realServers: RealServerView[] = [];
    out.push({
      name: vs.name,
      protocol: vs.cfg.protocol,
      scheduler: vs.cfg.lbAlgo,
      lbKind: vs.cfg.lbKind,
      quorumUp: vs.quorumUp,
      sorryActive: vs.sorry !== undefined && vs.sorryAlive,
      suspended: vs.suspended,
      realServers,
    });
    for (const rs of vs.rss) {
      const views: CheckerView[] = [];
      for (; at < checkers.length && checkers[at]!.rs === rs; at++) {
        const b = checkers[at]!;
        views.push({ type: b.cfg.type, up: b.isUp, hasRun: b.hasRun });
      }
      const address = formatIp(rs.cfg.address.bytes);
      realServers.push({
        name: rs.name,
        address,
        ...(rs.cfg.port !== undefined ? { port: rs.cfg.port } : {}),
        alive: rs.alive,
        inTable: live.has(`${address}:${rs.cfg.port ?? 0}`),
        weight: rs.iweight,
        effectiveWeight: realWeight(rs.effWeight),
        checkers: views,
      });
      if (++sliced === REAL_SERVERS_PER_SLICE) {
        sliced = 0;
        yield;
      }
    }
  }
}
