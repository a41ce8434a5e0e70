/**
 * The status document of the control API (`GET /status`, `keepalived-ts status --json`): the
 * VRRP side's instances and sync groups and the checker side's view, as plain JSON.
 */
import { formatIp } from '../util/ip.js';
import type { CheckView, RoutingDaemonView, VirtualServerView } from '../daemon/check-view.js';
import { REAL_SERVERS_PER_SLICE, runAtOnce, runInSlices, vipText } from './metrics.js';
import type { VrrpView } from '../daemon/view.js';


export interface InstanceStatus {
  readonly name: string;
  readonly interface: string;
  readonly baseInterface: string;
  readonly vrid: number;
  readonly version: number;
  readonly family: string;
  readonly state: string;
  readonly wantState: string;
  readonly priority: { readonly effective: number; readonly base: number };
  /** the master heard (BACKUP), with its priority */
  readonly master?: { readonly address: string; readonly priority: number };
  readonly vips: readonly string[];
  readonly excludedVips: readonly string[];
  readonly syncGroup?: string;
  /** ISO time of the last state change */
  readonly lastTransition?: string;
  readonly stats: {
    readonly advertsSent: number;
    readonly advertsReceived: number;
    readonly becomeMaster: number;
    readonly releaseMaster: number;
    readonly sendErrors: number;
    readonly rxErrors: Readonly<Record<string, number>>;
  };
}

export interface StatusDoc {
  readonly daemon: {
    readonly pid: number;
    readonly configFile: string;
    readonly startedAt: string;
    readonly uptimeSeconds: number;
    readonly reloads: number;
    readonly lastReloadAt?: string;
  };
  readonly instances: readonly InstanceStatus[];
  readonly syncGroups: readonly { readonly name: string; readonly state: string; readonly members: readonly string[] }[];
  readonly checker:
    | { readonly state: 'none' }
    | { readonly state: 'unknown'; readonly error: string; readonly restarts: number }
    | {
      readonly state: 'up'; readonly pid: number; readonly reloads: number; readonly restarts: number; readonly virtualServers: readonly VirtualServerView[];
      /** announce_vip: the host routes in the announce table now */
      readonly announced?: readonly string[];
      /** announce_vip: the routing daemon watched, and the one running */
      readonly routingDaemon?: RoutingDaemonView;
    };
}

export type CheckerAnswer = { readonly view: CheckView } | { readonly error: string } | undefined;

export function statusDoc(v: VrrpView, checker: CheckerAnswer, restarts: number, now = Date.now()): StatusDoc {
  const iso = (t: number): string => new Date(t).toISOString();
  return {
    daemon: {
      pid: v.pid, configFile: v.configFile, startedAt: iso(v.startedAt), uptimeSeconds: Math.max(0, Math.round((now - v.startedAt) / 1000)),
      reloads: v.reloads, ...(v.lastReloadAt !== undefined ? { lastReloadAt: iso(v.lastReloadAt) } : {}),
    },
    instances: v.instances.map((i) => {
      const l = i.live;
      const seen = l.state === 'BACKUP' && l.masterSaddr && l.masterPriority > 0;
      return {
        name: i.name, interface: l.r.cfg.interface ?? i.baseInterface, baseInterface: i.baseInterface, vrid: l.r.vrid,
        version: l.r.version, family: l.r.family, state: l.state, wantState: l.wantState,
        priority: { effective: l.effectivePriority, base: l.basePriority },
        ...(seen ? { master: { address: formatIp(l.masterSaddr!), priority: l.masterPriority } } : {}),
        vips: i.model.virtualIpaddress.map(vipText), excludedVips: i.model.virtualIpaddressExcluded.map(vipText),
        ...(l.sync ? { syncGroup: l.sync.name } : {}),
        ...(i.lastTransitionAt !== undefined ? { lastTransition: iso(i.lastTransitionAt) } : {}),
        stats: {
          advertsSent: l.stats.advertsSent, advertsReceived: l.stats.advertsReceived, becomeMaster: l.stats.becomeMaster,
          releaseMaster: l.stats.releaseMaster, sendErrors: i.sendErrors, rxErrors: { ...l.stats.rxErrors },
        },
      };
    }),
    syncGroups: v.groups.map((g) => ({ name: g.name, state: g.state, members: g.members.map((m) => m.name) })),
    checker: checker === undefined ? { state: 'none' }
      : 'error' in checker ? { state: 'unknown', error: checker.error, restarts }
        : checkerStatus(checker.view, restarts),
  };
}

type CheckerUp = Extract<StatusDoc['checker'], { readonly state: 'up' }>;

/** The document's `checker` when the checker process answered. */
export function checkerStatus(view: CheckView, restarts: number): CheckerUp {
  return {
    state: 'up', pid: view.pid, reloads: view.reloads, restarts, virtualServers: view.virtualServers,
    ...(view.announced ? { announced: view.announced } : {}),
    ...(view.routingDaemon ? { routingDaemon: view.routingDaemon } : {}),
  };
}

/**
 * checkerStatus as the JSON text of its place in the document (`JSON.stringify(doc, null, 2)`,
 * one level in), rendered by the checker process: the VRRP process puts it in as it is
 * (statusDocBytes) and never parses it.
 */
export function checkerStatusJson(view: CheckView, restarts: number): string {
  const out: string[] = [];
  runAtOnce(statusJsonSteps(view, restarts, out));
  return out.join('');
}

/**
 * checkerStatusJson in slices, `pause()` awaited between them (REAL_SERVERS_PER_SLICE); given
 * up once `expired()` says the asker has stopped waiting: undefined. At 50,000 real servers the
 * text is 21 MB, a third of a second on a host, seconds on a slow one.
 */
export async function checkerStatusJsonSliced(view: CheckView, restarts: number, pause: () => Promise<void>, expired: () => boolean): Promise<string | undefined> {
  const out: string[] = [];
  return (await runInSlices(statusJsonSteps(view, restarts, out), pause, expired)) ? out.join('') : undefined;
}

/** where a list goes in its object's text, while the object is rendered without it (no name holds a NUL) */
const LIST_MARK = '\u0000list';
const LIST_MARK_JSON = JSON.stringify(LIST_MARK);

/**
 * `JSON.stringify(value, null, 2)` of an object whose `key` is a list, the list's items each
 * rendered by `item` (its text as at indentation `depth + 2`, the object's own keys being at
 * `depth`), through `out`. A JSON string holds no raw newline: every one is the indentation's.
 */
function* objectWithList<T>(value: object, key: string, list: readonly T[], depth: number, out: string[], item: (x: T, out: string[]) => Generator<void, void, void>): Generator<void, void, void> {
  const text = JSON.stringify({ ...value, [key]: LIST_MARK }, null, 2).replace(/\n/g, `\n${' '.repeat(depth - 2)}`);
  const at = text.indexOf(LIST_MARK_JSON);
  out.push(text.slice(0, at));
  if (list.length === 0) out.push('[]');
  else {
    const indent = ' '.repeat(depth + 2);
    for (let i = 0; i < list.length; i++) {
      out.push(i === 0 ? `[\n${indent}` : `,\n${indent}`);
      yield* item(list[i]!, out);
    }
    out.push(`\n${' '.repeat(depth)}]`);
  }
  out.push(text.slice(at + LIST_MARK_JSON.length));
}

/**
 * The checker's part of the status document as JSON.stringify(checkerStatus, null, 2) one level
 * in (its place in the document), in pieces pushed to `out`, yielding after each
 * REAL_SERVERS_PER_SLICE real servers.
 */
function* statusJsonSteps(view: CheckView, restarts: number, out: string[]): Generator<void, void, void> {
  let sliced = 0;
  // the checker's keys are at 4 in the document, its virtual servers' at 8, their real servers' at 12
  yield* objectWithList(checkerStatus(view, restarts), 'virtualServers', view.virtualServers, 4, out, function* (vs, o) {
    yield* objectWithList(vs, 'realServers', vs.realServers, 8, o, function* (rs, o2) {
      o2.push(JSON.stringify(rs, null, 2).replace(/\n/g, `\n${' '.repeat(10)}`));
      if (++sliced === REAL_SERVERS_PER_SLICE) {
        sliced = 0;
        yield;
      }
    });
  });
}

/** where the checker's part goes (the last key of the document); no configuration name holds a NUL */
const CHECKER_MARK = '\u0000checker';
const CHECKER_MARK_JSON = JSON.stringify(CHECKER_MARK);

/** The document, sent as `JSON.stringify(doc, null, 2)` is, with the checker's part as rendered (checkerStatusJson). */
export function statusDocBytes(v: VrrpView, checkerJson: readonly Buffer[], restarts: number, now = Date.now()): Buffer[] {
  const text = `${JSON.stringify({ ...statusDoc(v, undefined, restarts, now), checker: CHECKER_MARK }, null, 2)}\n`;
  const at = text.lastIndexOf(CHECKER_MARK_JSON);
  return [Buffer.from(text.slice(0, at)), ...checkerJson, Buffer.from(text.slice(at + CHECKER_MARK_JSON.length))];
}
