/**
 * From the configuration to probe units: every checker of every real server is resolved
 * (VS values default RS values default the checker's; keepalived check_data.c
 * `validate_check_config`) and identical probes are merged into one unit, keyed by the probe
 * type, its target and every probe and timing parameter. A unit runs once per period and its
 * result feeds each real server bound to it.
 */
import { hash } from 'node:crypto';
import type { Checker, CheckerType, KeepalivedConfig, RealServer, VirtualServer } from '../config/model.js';
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

  constructor(
    readonly id: number,
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
}

/** Units and bindings of every real server of `servers`. */
export function buildUnits(cfg: KeepalivedConfig, servers: readonly VsState[]): Built {
  const units: Unit[] = [];
  const byKey = new Map<string, Unit>();
  const bindings: Binding[] = [];
  const files = new Map<string, Binding[]>();
  const bfds = new Map<string, Binding[]>();
  const timings = new Map<string, Timing>();
  for (const vs of servers) {
    for (const rs of vs.rss) {
      for (const c of rs.cfg.checkers) {
        if (c.type === 'FILE_CHECK') {
          const file = fileCheckSpec(c, cfg.trackFiles);
          if (!file) continue;
          const b: Binding = { rs, cfg: c, file, alpha: false, dynamic: true, isUp: true, hasRun: true, curWeight: 0, last: 0 };
          bindings.push(b);
          files.set(file.file, [...(files.get(file.file) ?? []), b]);
          continue;
        }
        if (c.type === 'BFD_CHECK') {
          // check_bfd.c: no probe; the session's Up / Down is the result (alpha: down until Up)
          if (c.name === undefined) continue;
          const alpha = c.alpha ?? rs.cfg.alpha ?? vs.cfg.alpha;
          const b: Binding = { rs, cfg: c, bfd: c.name, alpha, dynamic: false, isUp: !alpha, hasRun: false, curWeight: 0, last: 0 };
          if (alpha) rs.numFailed++;
          bindings.push(b);
          bfds.set(c.name, [...(bfds.get(c.name) ?? []), b]);
          continue;
        }
        const r = resolveChecker(c, rs.cfg, vs.cfg, timings);
        if (!r) continue;
        const key = probeKey(r);
        let unit = byKey.get(key);
        if (!unit) {
          unit = new Unit(units.length, key, r.kind, r.plans, r.timing, r.warmupMs, r.alpha, r.plans[0]!.type === 'HTTP_GET' || r.plans[0]!.type === 'SSL_GET', r.fastRecovery, r.logAllFailures);
          units.push(unit);
          byKey.set(key, unit);
        }
        const dynamic = c.type === 'MISC_CHECK' && c.miscDynamic;
        const b: Binding = { rs, cfg: c, unit, alpha: r.alpha, dynamic, isUp: !r.alpha, hasRun: false, curWeight: 0, last: 0 };
        if (r.alpha) {
          rs.numFailed++;
        }
        unit.bindings.push(b);
        bindings.push(b);
      }
    }
  }
  for (const u of units) u.bindings = u.bindings.slice();
  return { units, bindings, files, bfds };
}
