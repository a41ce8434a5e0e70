/**
 * vrrp_track_process: is a process running, in the configured numbers? (keepalived 2.2.7
 * core/track_process.c `read_procs`, `check_params`, `check_process`, `check_process_fork`,
 * `check_process_termination`; vrrp_parser.c `vrrp_tprocess_*`; vrrp_track.c
 * `initialise_process_tracking_priorities`.)
 *
 * keepalived listens to the kernel's proc connector (fork/exec/exit/comm events). Node cannot
 * open that netlink socket without native code, so this scans /proc every `pollMs` (1 s)
 * instead and turns the difference between two scans into keepalived's events: a matching
 * process that appeared is an exec, or a fork when its parent was a tracked process; one that
 * vanished is an exit, or a change when the pid still exists but no longer matches (exec of
 * another program, new comm). Changes are therefore seen up to `pollMs` late.
 *
 * Matching, exactly as keepalived:
 * - by name: /proc/PID/stat comm (at most 15 characters) equals `process` argv[0]; zombies
 *   never count;
 * - with `full_command` — implied by parameters after the name or by `param_match` — argv[0]
 *   of /proc/PID/cmdline equals it, and the parameters: exact (no param_match: same
 *   parameters, none if none are configured), `partial` (the configured parameters are the
 *   first ones), `initial` (as partial, but the last configured one may be a prefix).
 *
 * Quorum: up while quorum <= count <= quorum_max (default unlimited). The initial state is
 * reported at start. Crossing a bound (count reaching quorum or quorum_max + 1, or falling
 * back) changes the state at once, except: a fork that crosses it waits `fork_delay` (unless
 * a terminate timer was pending, which is cancelled instead), and an exit that crosses it waits
 * `terminate_delay` (unless a fork timer was pending, cancelled instead); when a timer fires the
 * state is recomputed from the count. `delay` sets both. Within one scan exits are applied
 * before appearances and only the net change is reported, so a restart between two scans is
 * not reported as down-then-up.
 */
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import type { Logger } from 'pino';

export interface TrackProcessSpec {
  /** config/model.ts `TrackProcess` fits; 'exact' = a bare `param_match`. */
  readonly name: string;
  readonly process?: readonly string[];
  readonly paramMatch?: 'initial' | 'partial' | 'exact';
  readonly quorum: number;
  readonly quorumMax?: number;
  readonly forkDelayMs?: number;
  readonly terminateDelayMs?: number;
  readonly fullCommand: boolean;
}

/** One process as read from /proc. `cmdline` is the raw NUL-separated argv (may be empty). */
export interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly startTime: string;
  readonly comm: string;
  readonly zombie: boolean;
  readonly cmdline?: Buffer;
}

export interface ProcessMatcher {
  readonly name: string;
  readonly path: string;
  readonly full: boolean;
  readonly mode: 'none' | 'exact' | 'initial' | 'partial';
  /** Configured parameters, each followed by a NUL (keepalived process_params). */
  readonly params?: Buffer;
}

export function matcherFor(spec: TrackProcessSpec): ProcessMatcher | undefined {
  const argv = spec.process;
  if (!argv || argv.length === 0) return undefined;
  const hasParams = argv.length > 1;
  const mode = spec.paramMatch ?? (hasParams ? 'exact' : 'none');
  return {
    name: spec.name,
    path: argv[0]!,
    full: spec.fullCommand || hasParams || spec.paramMatch !== undefined,
    mode,
    ...(hasParams ? { params: Buffer.from(argv.slice(1).map((a) => `${a}\0`).join('')) } : {}),
  };
}

/** keepalived check_params. */
function paramsMatch(m: ProcessMatcher, params: Buffer): boolean {
  const cfg = m.params;
  const cfgLen = cfg?.length ?? 0;
  if (m.mode === 'exact' && !cfg && params.length === 0) return true;
  if (params.length < cfgLen) return false;
  if (m.mode === 'exact') return params.length === cfgLen && (!cfg || params.equals(cfg));
  if (!cfg) return true;
  if (m.mode === 'partial') return params.subarray(0, cfgLen).equals(cfg);
  return cfgLen === 1 || params.subarray(0, cfgLen - 1).equals(cfg.subarray(0, cfgLen - 1));
}

export function processMatches(m: ProcessMatcher, p: ProcInfo): boolean {
  if (m.full) {
    const cmd = p.cmdline;
    if (!cmd || cmd.length === 0) return false;
    const nul = cmd.indexOf(0);
    const argv0 = (nul === -1 ? cmd : cmd.subarray(0, nul)).toString('utf8');
    if (argv0 !== m.path) return false;
    return m.mode === 'none' || paramsMatch(m, nul === -1 ? Buffer.alloc(0) : cmd.subarray(nul + 1));
  }
  return !p.zombie && p.comm === m.path;
}

/**
 * Reads /proc. procfs reads never wait for a disk, and the promise-based fs API costs several
 * times more CPU than the reads themselves, so files are read synchronously into one buffer,
 * yielding to the event loop every `CHUNK` processes (a few ms at most per chunk). A command
 * line is read once per process (keepalived does not see later cmdline changes either) and at
 * most `cmdlineMax` bytes of it (longer than any configured command: matching stays exact).
 */
export class ProcScanner {
  private readonly buf: Buffer;
  private cmdlines = new Map<string, Buffer>();

  constructor(private readonly procRoot = '/proc', cmdlineMax = 4096) {
    this.buf = Buffer.alloc(Math.max(cmdlineMax, 1024));
  }

  async scan(withCmdline: boolean): Promise<ProcInfo[]> {
    let names: string[];
    try {
      names = readdirSync(this.procRoot).filter((n) => /^[1-9][0-9]*$/.test(n));
    } catch {
      return [];
    }
    const out: ProcInfo[] = [];
    const cmdlines = new Map<string, Buffer>();
    for (let i = 0; i < names.length; i++) {
      if (i > 0 && i % CHUNK === 0) await new Promise((r) => setImmediate(r));
      const n = names[i]!;
      const stat = this.read(`${this.procRoot}/${n}/stat`, 1024)?.toString('latin1');
      if (!stat) continue;
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      if (open < 0 || close < open) continue;
      const rest = stat.slice(close + 2).split(' ', 21);
      let info: ProcInfo = { pid: Number(n), comm: stat.slice(open + 1, close), zombie: rest[0] === 'Z', ppid: Number(rest[1]), startTime: rest[19] ?? '' };
      if (withCmdline) {
        const k = key(info);
        const cmd = this.cmdlines.get(k) ?? this.read(`${this.procRoot}/${n}/cmdline`, this.buf.length);
        if (cmd) {
          // an empty command line (zombie, kernel thread, not yet exec'd) is read again next time
          if (cmd.length > 0) cmdlines.set(k, cmd);
          info = { ...info, cmdline: cmd };
        }
      }
      out.push(info);
    }
    this.cmdlines = cmdlines;
    return out;
  }

  private read(path: string, max: number): Buffer | undefined {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return undefined;
    }
    try {
      const len = readSync(fd, this.buf, 0, max, null);
      return Buffer.from(this.buf.subarray(0, len));
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }
}

const CHUNK = 64;

/** One scan of /proc (tests, one-off use). */
export function scanProc(withCmdline: boolean, procRoot = '/proc'): Promise<ProcInfo[]> {
  return new ProcScanner(procRoot).scan(withCmdline);
}

export interface ProcessTrackerOptions {
  readonly processes: readonly TrackProcessSpec[];
  readonly log: Logger;
  readonly onChange: (name: string, up: boolean) => void;
  /** Scan interval (keepalived reacts to proc connector events at once). */
  readonly pollMs?: number;
  /** Injected for tests; default scans /proc. */
  readonly scan?: (withCmdline: boolean) => Promise<ProcInfo[]>;
}

interface Tracked {
  readonly spec: TrackProcessSpec;
  readonly m: ProcessMatcher;
  readonly quorumMax: number;
  readonly forkDelayMs: number;
  readonly terminateDelayMs: number;
  pids: Map<string, ProcInfo>; // key pid:starttime
  count: number;
  up: boolean;
  forkTimer?: NodeJS.Timeout;
  terminateTimer?: NodeJS.Timeout;
}

export class ProcessTracker {
  private readonly tracked: Tracked[] = [];
  private timer: NodeJS.Timeout | undefined;
  private scanning = false;
  private stopped = false;
  private batch: Map<Tracked, boolean> | undefined;
  private readonly scanner: ProcScanner;

  constructor(private readonly opts: ProcessTrackerOptions) {
    for (const spec of opts.processes) {
      const m = matcherFor(spec);
      if (!m) {
        opts.log.error({ trackProcess: spec.name }, `track process '${spec.name}' process name not specified`);
        continue;
      }
      if (!m.full && m.path.length > 15) {
        opts.log.warn({ trackProcess: spec.name, process: m.path }, 'process names (comm) have at most 15 characters: this one can only match with full_command');
      }
      this.tracked.push({
        spec, m, quorumMax: spec.quorumMax ?? Infinity,
        forkDelayMs: spec.forkDelayMs ?? 0,
        terminateDelayMs: spec.terminateDelayMs ?? 0,
        pids: new Map(), count: 0, up: false,
      });
    }
    const longest = Math.max(0, ...this.tracked.map((t) => Buffer.byteLength(t.m.path) + 1 + (t.m.params?.length ?? 0)));
    this.scanner = new ProcScanner('/proc', Math.max(4096, longest + 2));
  }

  /** First scan: every tracker's initial state is reported. Then scans every pollMs. */
  async start(): Promise<void> {
    const procs = await this.scan();
    for (const t of this.tracked) {
      t.pids = new Map(procs.filter((p) => processMatches(t.m, p)).map((p) => [key(p), p]));
      t.count = t.pids.size;
      t.up = t.count >= t.spec.quorum && t.count <= t.quorumMax;
      this.opts.log.info({ trackProcess: t.spec.name, count: t.count, up: t.up }, 'track process initial state');
      this.opts.onChange(t.spec.name, t.up);
    }
    if (!this.stopped) this.timer = setInterval(() => void this.poll(), this.opts.pollMs ?? 1000);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const t of this.tracked) {
      clearTimeout(t.forkTimer);
      clearTimeout(t.terminateTimer);
    }
  }

  /** Current count and state of one tracker. */
  status(name: string): { count: number; up: boolean } | undefined {
    const t = this.tracked.find((x) => x.spec.name === name);
    return t && { count: t.count, up: t.up };
  }

  /** One scan now (also used by tests). */
  async poll(): Promise<void> {
    if (this.scanning || this.stopped) return;
    this.scanning = true;
    try {
      const procs = await this.scan();
      if (this.stopped) return;
      const all = new Map(procs.map((p) => [key(p), p]));
      this.batch = new Map();
      for (const t of this.tracked) {
        const now = new Map(procs.filter((p) => processMatches(t.m, p)).map((p) => [key(p), p]));
        for (const k of t.pids.keys()) if (!now.has(k)) this.gone(t, all.has(k) ? 'change' : 'exit');
        for (const [k, p] of now) if (!t.pids.has(k)) this.appeared(t, [...t.pids.values()].some((q) => q.pid === p.ppid) ? 'fork' : 'exec');
        t.pids = now;
      }
      const batch = this.batch;
      this.batch = undefined;
      for (const [t, before] of batch) if (t.up !== before) this.emit(t);
    } finally {
      this.scanning = false;
    }
  }

  private scan(): Promise<ProcInfo[]> {
    const withCmdline = this.tracked.some((t) => t.m.full);
    return this.opts.scan ? this.opts.scan(withCmdline) : this.scanner.scan(withCmdline);
  }

  private appeared(t: Tracked, how: 'fork' | 'exec'): void {
    t.count++;
    if (t.count !== t.spec.quorum && t.count !== t.quorumMax + 1) return;
    if (t.terminateTimer) {
      clearTimeout(t.terminateTimer);
      t.terminateTimer = undefined;
    } else if (how === 'fork' && t.forkDelayMs > 0) {
      clearTimeout(t.forkTimer);
      t.forkTimer = setTimeout(() => this.timerFired(t, 'forkTimer'), t.forkDelayMs);
      return;
    }
    this.update(t, t.count === t.spec.quorum);
  }

  private gone(t: Tracked, how: 'exit' | 'change'): void {
    const was = t.count--;
    if (was !== t.spec.quorum && t.count !== t.quorumMax) return;
    if (t.forkTimer) {
      clearTimeout(t.forkTimer);
      t.forkTimer = undefined;
    } else if (how === 'exit' && t.terminateDelayMs > 0) {
      clearTimeout(t.terminateTimer);
      t.terminateTimer = setTimeout(() => this.timerFired(t, 'terminateTimer'), t.terminateDelayMs);
      return;
    }
    this.update(t, t.count === t.quorumMax);
  }

  private timerFired(t: Tracked, which: 'forkTimer' | 'terminateTimer'): void {
    t[which] = undefined;
    if (this.stopped) return;
    this.update(t, t.count >= t.spec.quorum && t.count <= t.quorumMax);
  }

  private update(t: Tracked, up: boolean): void {
    if (up === t.up) return;
    if (this.batch) {
      if (!this.batch.has(t)) this.batch.set(t, t.up);
      t.up = up;
      return;
    }
    t.up = up;
    this.emit(t);
  }

  private emit(t: Tracked): void {
    this.opts.log.info({ trackProcess: t.spec.name, count: t.count, up: t.up }, `Process ${t.spec.name} quorum ${t.up ? 'gained' : 'lost'}`);
    this.opts.onChange(t.spec.name, t.up);
  }
}

const key = (p: ProcInfo) => `${p.pid}:${p.startTime}`;
