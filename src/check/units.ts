/**
 * From the configuration to probe units: every checker of every real server is resolved
 * (VS values default RS values default the checker's; keepalived check_data.c
 * `validate_check_config`) and identical probes are merged into one unit, keyed by the probe
 * type, its target and every probe and timing parameter. A unit runs once per period and its
 * result feeds each real server bound to it.
 */
import { hash } from 'node:crypto';
import type { Checker, CheckerType, KeepalivedConfig, RealServer, VirtualServer } from '../config/model.js';
import { sameSettings } from '../config/same.js';
import type { HeapOwner } from '../util/deadline-heap.js';
import { dnsKind } from './dns.js';
import { fileCheckSpec, type FileCheckSpec } from './file.js';
import { httpKind, urlPlans } from './http.js';
import { connPlan, type CheckerKind } from './kind.js';
import { miscKind } from './misc.js';
import { pingKind } from './ping.js';
import type { RunState, Timing } from './schedule.js';
import type { RsState, VsState } from './servers.js';
import { smtpKind } from './smtp.js';
import { tcpKind } from './tcp.js';
import type { ProbePlan } from './types.js';
import { udpKind } from './udp.js';

export class Unit implements HeapOwner {
  heapAt = Number.POSITIVE_INFINITY;
  heapIndex = -1;
  heapSeq = 0;
  readonly state: RunState;
  running = false;
  /** when its last probe started (the engine's clock) */
  lastRunAt: number | undefined;
  /** bindings whose virtual server is not suspended (ha_suspend) */
  enabled = 0;
  /** sized to what it holds once every unit is built (a pushed-to array keeps spare room) */
  bindings: Binding[] = [];
  /** taken over from the engine a reload replaces, until that reload has carried it over */
  takenOver = false;

  constructor(
    /** its place in its engine's list (a reload's engine that takes it over gives its own: adopt) */
    public id: number,
    /** the probe's identity (a digest of it: reload finds the same probe by it) */
    readonly key: string,
    readonly kind: CheckerKind,
    /** one plan, or one per URL (HTTP_GET / SSL_GET) */
    readonly plans: readonly ProbePlan[],
    readonly timing: Timing,
    readonly warmupMs: number,
    readonly alpha: boolean,
    readonly http: boolean,
    readonly fastRecovery: boolean,
    readonly logAllFailures: boolean,
  ) {
    this.state = { isUp: !alpha, hasRun: false, retryIt: timing.retry, urlIndex: 0, failedUrl: -1 };
  }

  /**
   * A reload's engine takes this unit over for the same probe (the same key: the same plans,
   * timing and options), as its `id`-th; its run state, last run and place in the old
   * engine's heap are left for the reload to carry over (CheckerEngine reload).
   */
  adopt(id: number): void {
    this.id = id;
    this.enabled = 0;
    this.takenOver = true;
    // its bindings are still the old engine's until the build has found its own (buildUnits)
  }
}

/** One checker of one real server: a probe unit, or a FILE_CHECK. */
export interface Binding {
  readonly rs: RsState;
  /** the checker as configured (the state dump prints it) */
  readonly cfg: Checker;
  readonly unit?: Unit;
  readonly file?: FileCheckSpec;
  /** BFD_CHECK: the bfd_instance whose session it follows */
  readonly bfd?: string;
  readonly alpha: boolean;
  readonly dynamic: boolean;
  /** keepalived checker->is_up / has_run of this checker */
  isUp: boolean;
  hasRun: boolean;
  /** dynamic weight this checker adds to the real server (keepalived cur_weight) */
  curWeight: number;
  /** misc_dynamic: last exit status applied; FILE_CHECK: last status */
  last: number;
}

export const BOOTSTRAP_DELAY_MS = 1000;

/** The script a MISC_CHECK's log lines name (its command's first word); undefined for other checkers. */
export function miscScriptName(c: Checker): string | undefined {
  return c.type === 'MISC_CHECK' && c.miscPath ? c.miscPath.argv[0] ?? c.miscPath.text : undefined;
}

/** The kind of a checker type (a MISC_CHECK's names its script); undefined for a checker that never probes. */
export function kindFor(type: CheckerType, miscScript: string | undefined): CheckerKind | undefined {
  switch (type) {
    case 'TCP_CHECK': return tcpKind;
    case 'HTTP_GET': case 'SSL_GET': return httpKind;
    case 'SMTP_CHECK': return smtpKind;
    case 'DNS_CHECK': return dnsKind;
    case 'UDP_CHECK': return udpKind;
    case 'PING_CHECK': return pingKind;
    case 'MISC_CHECK': return miscScript !== undefined ? miscKind(miscScript) : undefined;
    default: return undefined;
  }
}

/**
 * A resolved checker's probe identity (units with the same key are one probe): a digest of its
 * JSON (bytes as hex, without source locations). A unit keeps only the digest: the JSON is some
 * 200 characters, and a TCP_CHECK is one unit per real server.
 */
export function probeKey(r: Resolved): string {
  const v = [r.plans, r.timing, r.warmupMs, r.alpha, r.fastRecovery, r.logAllFailures];
  // TCP_CHECK and PING_CHECK plans hold only strings and numbers: the replacer would change
  // nothing, and calling it for every key was the most of a 50,000-server build's keys
  const plain = r.plans.every((p) => p.type === 'TCP_CHECK' || p.type === 'PING_CHECK');
  const text = plain ? JSON.stringify(v) : JSON.stringify(v, (k, x) => (k === 'loc' ? undefined : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x));
  return hash('sha256', text, 'base64');
}

export interface Resolved {
  readonly kind: CheckerKind;
  readonly plans: readonly ProbePlan[];
  readonly timing: Timing;
  readonly warmupMs: number;
  readonly alpha: boolean;
  readonly fastRecovery: boolean;
  readonly logAllFailures: boolean;
}

/** The checker with every default applied, or undefined for a checker that never probes. */
export function resolveChecker(c: Checker, rs: RealServer, vs: VirtualServer, timings?: Map<string, Timing>): Resolved | undefined {
  const kind = kindFor(c.type, miscScriptName(c));
  if (!kind) return undefined;
  const delayLoopMs = c.delayLoopMs ?? rs.delayLoopMs ?? vs.delayLoopMs;
  const retry = c.retry ?? rs.retry ?? vs.retry ?? kind.defaultRetry;
  const dbr = c.delayBeforeRetryMs ?? rs.delayBeforeRetryMs ?? vs.delayBeforeRetryMs ?? kind.defaultDelayBeforeRetryMs ?? delayLoopMs;
  const warmupMs = c.warmupMs ?? rs.warmupMs ?? vs.warmupMs ?? delayLoopMs;
  const alpha = c.alpha ?? rs.alpha ?? vs.alpha;
  const conn = connPlan(c, rs, vs, c.type === 'DNS_CHECK' ? 53 : c.type === 'SMTP_CHECK' ? 25 : 0);
  const http = c.type === 'HTTP_GET' || c.type === 'SSL_GET';
  const plans = http ? urlPlans(c, rs, vs, conn) : [kind.plan({ checker: c, rs, vs, conn, delayLoopMs })];
  // one object for every checker of the same timing (timings: the build's table of them)
  const tkey = `${retry}/${delayLoopMs}/${dbr}`;
  let timing = timings?.get(tkey);
  if (!timing) {
    timing = { retry, delayLoopMs, delayBeforeRetryMs: dbr };
    timings?.set(tkey, timing);
  }
  return {
    kind, plans, timing, warmupMs, alpha,
    fastRecovery: http && (c.fastRecovery ?? false), logAllFailures: c.logAllFailures ?? false,
  };
}

export interface Built {
  readonly units: Unit[];
  readonly bindings: Binding[];
  /** FILE_CHECK bindings by track_file name */
  readonly files: Map<string, Binding[]>;
  /** BFD_CHECK bindings by bfd_instance name */
  readonly bfds: Map<string, Binding[]>;
  /**
   * Built taking another engine over: for each binding, the old one whose results the reload
   * carries over (itself when taken over), else undefined.
   */
  readonly carried?: (Binding | undefined)[];
}

/**
 * The probed checkers of an engine's real servers, found by real server and probe key (the last
 * of two with the same probe). A real server has one checker or a few: they are kept as they
 * come, not in a Map per real server (50,000 of them were most of a 50,000-server reload's
 * memory). Indexed loops: this code runs once per reload, before V8 optimises it, and a for-of
 * there makes an iterator result per step.
 */
export class ProbedBindings {
  private readonly byRs = new Map<RsState, Binding | Binding[]>();

  constructor(bindings: readonly Binding[]) {
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i]!;
      if (!b.unit) continue;
      const had = this.byRs.get(b.rs);
      if (had === undefined) this.byRs.set(b.rs, b);
      else if (Array.isArray(had)) had.push(b);
      else this.byRs.set(b.rs, [had, b]);
    }
  }

  get(rs: RsState, key: string): Binding | undefined {
    const had = this.byRs.get(rs);
    if (had === undefined) return undefined;
    if (!Array.isArray(had)) return had.unit!.key === key ? had : undefined;
    for (let i = had.length - 1; i >= 0; i--) if (had[i]!.unit!.key === key) return had[i];
    return undefined;
  }
}

/**
 * What a reload's engine takes over from the one it replaces (CheckerEngineOptions.takeOver).
 * A unit of the same key is taken over (Unit.adopt), and a real server taken over
 * (RsState.adopt) takes its checker of that probe over too.
 */
export interface TakenOver {
  readonly units: readonly Unit[];
  /** its bindings: a real server's are together, from its checkersAt */
  readonly bindings: readonly Binding[];
}

export function byKeyOf(units: readonly Unit[]): Map<string, Unit> {
  const m = new Map<string, Unit>();
  for (let i = 0; i < units.length; i++) m.set(units[i]!.key, units[i]!);
  return m;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Units and bindings of every real server of `servers`. `before`: what the engine a reload
 * replaces has, taken over where the probe is the same (its run state and results kept, for the
 * reload to carry over), not made again.
 */
export function buildUnits(cfg: KeepalivedConfig, servers: readonly VsState[], before?: TakenOver): Built {
  const units: Unit[] = [];
  const byKey = new Map<string, Unit>();
  // made at their size (a list pushed to 50,000 times is copied as it grows, and at a reload
  // each copy lived long enough to be an old-generation page)
  let most = 0;
  for (const vs of servers) for (const rs of vs.rss) most += rs.cfg.checkers.length;
  const bindings = new Array<Binding>(most);
  let nb = 0;
  const files = new Map<string, Binding[]>();
  const bfds = new Map<string, Binding[]>();
  const timings = new Map<string, Timing>();
  const carried = before ? new Array<Binding | undefined>(most) : undefined;
  let oldByKey: Map<string, Unit> | undefined;
  for (const vs of servers) {
    for (const rs of vs.rss) {
      const oldAt = before && rs.reloaded ? rs.checkersAt : -1;
      rs.checkersAt = nb;
      for (const c of rs.cfg.checkers) {
        if (c.type === 'FILE_CHECK') {
          const file = fileCheckSpec(c, cfg.trackFiles);
          if (!file) continue;
          const b: Binding = { rs, cfg: c, file, alpha: false, dynamic: true, isUp: true, hasRun: true, curWeight: 0, last: 0 };
          if (carried) carried[nb] = undefined;
          bindings[nb++] = b;
          files.set(file.file, [...(files.get(file.file) ?? []), b]);
          continue;
        }
        if (c.type === 'BFD_CHECK') {
          // check_bfd.c: no probe; the session's Up / Down is the result (alpha: down until Up)
          if (c.name === undefined) continue;
          const alpha = c.alpha ?? rs.cfg.alpha ?? vs.cfg.alpha;
          const b: Binding = { rs, cfg: c, bfd: c.name, alpha, dynamic: false, isUp: !alpha, hasRun: false, curWeight: 0, last: 0 };
          if (alpha) rs.numFailed++;
          if (carried) carried[nb] = undefined;
          bindings[nb++] = b;
          bfds.set(c.name, [...(bfds.get(c.name) ?? []), b]);
          continue;
        }
        // A real server taken over with its probes' settings as before, and a checker written as
        // before: the same probe as its old checker's, not made again (its key is a digest)
        const same = rs.probesAsBefore && oldAt >= 0 ? sameChecker(before!.bindings, oldAt, rs, c) : undefined;
        let unit = same?.unit;
        if (!unit) {
          const r = resolveChecker(c, rs.cfg, vs.cfg, timings);
          if (!r) continue;
          const key = probeKey(r);
          unit = before ? (oldByKey ??= byKeyOf(before.units)).get(key) : undefined;
          // units made anew are found by key (the old ones are never in it: no map is made at
          // a reload that changed nothing)
          if (!unit) {
            unit = byKey.get(key);
            if (!unit) {
              unit = new Unit(units.length, key, r.kind, r.plans, r.timing, r.warmupMs, r.alpha, r.plans[0]!.type === 'HTTP_GET' || r.plans[0]!.type === 'SSL_GET', r.fastRecovery, r.logAllFailures);
              units.push(unit);
              byKey.set(key, unit);
            }
          }
        }
        // an old unit (the probe of the same key) is taken over once, and is then this build's
        if (units[unit.id] !== unit) {
          unit.adopt(units.length);
          units.push(unit);
        }
        const dynamic = c.type === 'MISC_CHECK' && c.miscDynamic;
        // A real server taken over takes its checker of the same probe over (the last of two,
        // and once: its cfg is then one of this real server's), with its results: the reload
        // carries them over. The unit's list is still the old engine's (fillUnitBindings).
        const ob = same ?? (unit.takenOver && rs.reloaded ? lastOf(unit.bindings, rs) : undefined);
        let b: Binding;
        if (ob && !rs.cfg.checkers.includes(ob.cfg)) {
          b = ob;
          (b as Writable<Binding>).cfg = c;
        } else b = { rs, cfg: c, unit, alpha: unit.alpha, dynamic, isUp: !unit.alpha, hasRun: false, curWeight: 0, last: 0 };
        if (unit.alpha) {
          rs.numFailed++;
        }
        if (carried) carried[nb] = ob;
        bindings[nb++] = b;
      }
    }
  }
  bindings.length = nb;
  if (carried) carried.length = nb;
  fillUnitBindings(units, bindings);
  return { units, bindings, files, bfds, ...(carried ? { carried } : {}) };
}

/**
 * The old checker of real server `rs` (its old ones from `at` in `old`) written as `c` is, not
 * taken over yet (its cfg is then one of the new real server's).
 */
function sameChecker(old: readonly Binding[], at: number, rs: RsState, c: Checker): Binding | undefined {
  for (let i = at; i < old.length && old[i]!.rs === rs; i++) {
    const b = old[i]!;
    if (b.unit && b.cfg.type === c.type && sameSettings(b.cfg, c) && !rs.cfg.checkers.includes(b.cfg)) return b;
  }
  return undefined;
}

function lastOf(list: readonly Binding[], rs: RsState): Binding | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (list[i]!.rs === rs) return list[i];
  return undefined;
}

/**
 * Each unit's bindings, in an array of their number: pushed to one by one, a unit's array
 * would hold 17 slots (most units have one binding), and be copied again.
 */
function fillUnitBindings(units: readonly Unit[], bindings: readonly Binding[]): void {
  const counts = new Uint32Array(units.length);
  for (let i = 0; i < bindings.length; i++) {
    const u = bindings[i]!.unit;
    if (u) counts[u.id]!++;
  }
  const filled = new Uint32Array(units.length);
  for (let i = 0; i < bindings.length; i++) {
    const b = bindings[i]!;
    const u = b.unit;
    if (!u) continue;
    const n = counts[u.id]!;
    if (filled[u.id] === 0) {
      // a unit taken over has its old list until here: written over when of the same length
      if (u.bindings.length !== n) u.bindings = n === 1 ? [b] : new Array<Binding>(n);
    }
    u.bindings[filled[u.id]!++] = b;
  }
}
