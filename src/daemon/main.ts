/**
 * The daemon's process runtime: the main process (VRRP, the supervisor of the checker child,
 * signals, reload) and the checker process. `src/cli.ts` parses argv and calls in here.
 *
 * Signals, as keepalived: HUP reloads (the main process reloads the VRRP side and passes HUP
 * on to the checker child, which reloads itself), TERM / INT stop, USR1 / USR2 / 36 / 63 write
 * the state, stats and JSON dumps (src/daemon/dump-signals.ts). The service manager hears of
 * start, reload and stop through `Lifecycle` (systemd's notify protocol, src/io/sd-notify.ts).
 */
import type { Logger } from 'pino';
import type { KeepalivedConfig } from '../config/model.js';
import { DEFAULT_WITHDRAW_DELAY_MS } from './announcer.js';
import { formatIp, parseIp } from '../util/ip.js';
import { Bytes, CheckerChild, CHECKER_EXIT_FATAL, onParentEvent, parentGo, serveParent, watchParent } from './checker-child.js';
import { setDumpSnmpCli } from '../dump/snmp-cli.js';
import { installDumpSignals } from './dump-signals.js';
import { snmpSelection } from './snmp-selection.js';
import { collectStartupGarbage } from './heap.js';
import { currentSettingsFile, loadForDaemon, loadVrrpSide, vrrpHalf, type EarlyReading } from './load-config.js';
import { startControl } from '../control/server.js';
import { CheckMetrics } from './check-metrics.js';
import { checkerStatusJsonSliced } from '../control/status-doc.js';
import { runLifecycleScript } from './lifecycle-scripts.js';
import { consoleForwarder } from '../io/logger.js';

/** What the service manager is told (systemd notify; a no-op elsewhere). */
export interface Lifecycle {
  /** start-up complete (READY=1) */
  ready(status?: string): void;
  /** a reload begins (RELOADING=1) */
  reloading(): void;
  /** the reload is over, whether it applied or was refused (READY=1) */
  reloaded(status?: string): void;
  /** stopping (STOPPING=1) */
  stopping(): void;
  /** a free-text status line (STATUS=...) */
  status(text: string): void;
}

export const NO_LIFECYCLE: Lifecycle = {
  ready: () => undefined, reloading: () => undefined, reloaded: () => undefined, stopping: () => undefined, status: () => undefined,
};

/**
 * The checker child's command line: the main process's options that concern it. -g takes its
 * value only attached (getopt's optional argument): `-g FILE` would be the default file and a
 * stray word, so the child is given `--log-file=FILE`.
 */
export function checkerChildArgs(o: ChildArgOptions, settings: string | undefined, checkersPidFile: string | undefined): string[] {
  return ['-f', o.file, '-i', o.configId, ...(settings !== undefined ? ['--settings', settings] : []), ...(o.debug ? ['-D'] : []), ...(checkersPidFile ? ['-c', checkersPidFile] : []),
    ...(o.dontReleaseIpvs ? ['-I'] : []), ...(o.snmp ? ['-x'] : []), ...(o.snmpSocket !== undefined ? ['-A', o.snmpSocket] : []),
    ...(o.logFile ? [`--log-file=${o.logFile}`] : []), ...(o.logArgs ?? []), ...(o.namespace !== undefined ? ['-s', o.namespace] : []),
    ...(o.dumpConf ? ['-d'] : [])];
}

/** What of the main process's options the checker child is told. */
type ChildArgOptions = Pick<MainOptions, 'file' | 'configId' | 'debug' | 'dontReleaseIpvs' | 'snmp' | 'snmpSocket' | 'logFile' | 'logArgs' | 'namespace' | 'dumpConf'>;

export interface MainOptions {
  readonly file: string;
  readonly configId: string;
  readonly pidFile: string;
  readonly checkersPidFile?: string;
  readonly debug: boolean;
  /** -P: no checker child */
  readonly vrrpOnly: boolean;
  readonly log: Logger;
  /** the CLI script, to start the checker child with */
  readonly cli: string;
  readonly lifecycle?: Lifecycle;
  /** -r (written only when given, or when -p is keepalived's default too) */
  readonly vrrpPidFile?: string;
  readonly dontReleaseVrrp?: boolean;
  /** -B: no BFD sessions */
  readonly noBfd?: boolean;
  readonly dontReleaseIpvs?: boolean;
  readonly dontRespawn?: boolean;
  /** -d: the configuration to the log at start and after each reload */
  readonly dumpConf?: boolean;
  readonly logFile?: string;
  /** -l, -G, -S as given to the main process: the checker child logs to the same places */
  readonly logArgs?: readonly string[];
  /** --all: the checker child even without virtual servers */
  readonly allChildren?: boolean;
  readonly addressMonitoring?: boolean;
  /** the control socket when the configuration names none (src/daemon/run-identity.ts) */
  readonly controlSocket?: string;
  /** -s as given: the checker child is told too (it is in the namespace already) */
  readonly namespace?: string;
  /** -x, -A: SNMP of the VRRP side (src/daemon/vrrp-snmp.ts) */
  readonly snmp?: boolean;
  readonly snmpSocket?: string;
}

const DEFAULT_PIDFILES = { main: '/run/keepalived.pid', vrrp: '/run/vrrp.pid', checkers: '/run/checkers.pid' };

/**
 * keepalived writes -p, -r and -c. A pidfile at its default path is written only when -p is
 * at its default too: a daemon started with its own -p (tests, a second instance) never
 * claims /run/vrrp.pid or /run/checkers.pid of the system's daemon.
 */
function sidePidfile(given: string | undefined, dflt: string, mainPid: string): string | undefined {
  if (given === undefined) return undefined;
  return given !== dflt || mainPid === DEFAULT_PIDFILES.main ? given : undefined;
}

function dumpConfig(log: Logger, cfg: KeepalivedConfig, when: string): void {
  log.info({ config: JSON.parse(JSON.stringify(cfg, (k, v: unknown) => {
    if (k === 'loc') return undefined;
    if (k === 'authPass') return '[redacted]';
    if (v instanceof Uint8Array) return Array.from(v).join('.');
    return v;
  })) as unknown, when }, 'configuration dump (-d)');
}

/**
 * One reload at a time: a HUP that arrives during a reload asks for one more reload after it
 * (any number of them fold into that one); none runs once `stopped()` is true.
 */
export function serialised(run: () => Promise<void>, stopped: () => boolean): () => void {
  let running = false;
  let again = false;
  const go = (): void => {
    if (stopped()) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    void run().finally(() => {
      running = false;
      if (again) {
        again = false;
        go();
      }
    });
  };
  return go;
}

/** One turn of the event loop: between the slices of a long answer, probes and signals go on. */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Whether the parent has stopped waiting for a request's answer: its `deadline` (the parent's
 * Date.now() when it gives up; the two processes share the clock) has passed.
 */
function askerGone(arg: unknown): () => boolean {
  const deadline = askerDeadline(arg);
  return () => Date.now() > deadline;
}

/** The parent's `deadline` for a request's answer (Date.now()), Infinity without one. */
function askerDeadline(arg: unknown): number {
  const d = Number((arg as { deadline?: unknown } | undefined)?.deadline ?? Infinity);
  return Number.isNaN(d) ? Infinity : d;
}

/** Logs a start-up failure; returns keepalived's exit status for it (lib/scheduler.h). */
function fatal(log: Logger, e: unknown): number {
  const code = (e as { code?: string }).code;
  log.fatal({ code, err: (e as Error).message }, `${(e as Error).message}${code ? ` [${code}]` : ''}`);
  return exitStatus(e);
}

/**
 * keepalived's runtime exit statuses: 2 for a configuration it cannot run (a missing
 * interface is a configuration error there too), 4 for a missing permission (raw sockets,
 * netlink as non-root), 1 for everything else.
 */
export function exitStatus(e: unknown): number {
  const code = (e as { code?: string }).code;
  const cause = (e as { cause?: { code?: string } }).cause?.code;
  if (code === 'DAEMON_CONFIG' || code === 'DAEMON_INTERFACE') return 2;
  if (cause === 'EPERM' || cause === 'EACCES' || /\b(EPERM|EACCES|Operation not permitted)\b/.test((e as Error).message ?? '')) return 4;
  return 1;
}

/** The main process: VRRP here, the checkers in a child. Resolves only on a start-up failure. */
export async function runDaemon(o: MainOptions): Promise<number> {
  const log = o.log;
  const life = o.lifecycle ?? NO_LIFECYCLE;
  let config: KeepalivedConfig;
  // whether the file has the checker's blocks (keepalived: a virtual_server keyword)
  let checkerBlocks = false;
  try {
    if (o.vrrpOnly) config = loadForDaemon(o.file, o.configId, log, 'vrrp');
    // as keepalived's VRRP process reads it: the checker child reads and judges its own blocks
    // (at 50,000 real servers they were most of this process's start), and this side starts
    // only once it has (below)
    else ({ config, checkerBlocks } = loadVrrpSide(o.file, o.configId, log));
  } catch (e) {
    return fatal(log, e);
  }
  // keepalived starts each side only when the configuration has work for it
  const startWithChecker = !o.vrrpOnly && (checkerBlocks || o.allChildren === true);
  const checkersPidFile = sidePidfile(o.checkersPidFile, DEFAULT_PIDFILES.checkers, o.pidFile);
  const settings = currentSettingsFile();
  const childArgs = checkerChildArgs(o, settings, checkersPidFile);
  let checker: CheckerChild | undefined;
  const forwardConsole = consoleForwarder();
  // (`daemon` and `stop`, below, are used only once the child's start is released)
  const startChecker = (hold = false): void => {
    checker = new CheckerChild({
      cli: o.cli, args: childArgs, log,
      // a console of JSON lines (-l, not a terminal): the child's lines are written here, whole,
      // among this process's own (checker-child.ts); elsewhere the child writes its own
      ...(forwardConsole ? { console: forwardConsole } : {}),
      // the daemon's own V8 flags (the launcher's: small young generation, one GC helper
      // thread), not node's defaults, whose 16 MB semi-spaces the checker's heap grew into
      nodeFlags: process.execArgv.filter((f) => !/^--(inspect|debug)/.test(f)),
      // -R: keepalived's parent exits when a child dies instead of starting it again
      ...(o.dontRespawn ? { onDied: (code: number | null) => stop('checker child died (--dont-respawn)', code ?? 1) } : {}),
      // as keepalived: a checker that cannot run stops the director (exit 1), its peer takes over
      onFatal: () => stop('the checker process cannot run (permanent error)', 1),
      // BFD_CHECK: the sessions run here; a (re)started child hears each one's state first
      onStarted: () => {
        for (const b of daemon.bfdStates()) checker?.event({ type: 'bfd', name: b.name, up: b.up });
        // announce_vip ... instance NAME: the states so far, then each change (below)
        for (const i of daemon.view().instances) checker?.event({ type: 'vrrp', name: i.name, state: i.live.state });
      },
    });
    checker.start(hold);
  };
  // The checker child reads the file (its own blocks) while this process gets its side ready,
  // and nothing starts unless it can run it (below)
  if (startWithChecker) startChecker(true);
  // loaded here so that -t / --dump-conf never need the native modules
  const { VrrpDaemon } = await import('./vrrp-daemon.js');
  if (o.dumpConf) dumpConfig(log, config, 'start');
  config = vrrpHalf(config);
  const vrrpPidFile = sidePidfile(o.vrrpPidFile, DEFAULT_PIDFILES.vrrp, o.pidFile);
  const daemon = new VrrpDaemon({
    file: o.file, configId: o.configId, pidFile: o.pidFile, log, config,
    onBfd: (name, up) => checker?.event({ type: 'bfd', name, up }),
    noBfd: o.noBfd ?? false,
    ...(vrrpPidFile ? { vrrpPidFile } : {}), dontReleaseVrrp: o.dontReleaseVrrp ?? false, addressMonitoring: o.addressMonitoring ?? false,
  });
  // the checker child's announcer follows the instances' states (announce_vip ... instance NAME)
  daemon.onEffect((e) => {
    if (e.type === 'stateChange') checker?.event({ type: 'vrrp', name: e.instance, state: e.to });
  });
  // A configuration that keepalived-ts cannot run is refused before any advert, as when this
  // process read it all. (keepalived starts both children, and its parent ends them when the
  // checker exits with a configuration error: a short flap.)
  if (startWithChecker && !(await checker!.configRead())) {
    const status = checker!.exitCode === CHECKER_EXIT_FATAL ? 2 : 1;
    log.fatal({ code: 'DAEMON_CONFIG', status }, `${o.file}: the checker process cannot run the configuration (its lines above say why); not starting`);
    return status;
  }
  // keepalived: the startup script before the children run, waited for (src/daemon/lifecycle-scripts.ts)
  await runLifecycleScript('startup', config.globalDefs, log);

  let stopping = false;
  const stop = (why: string, status = 0): void => {
    if (stopping) return;
    stopping = true;
    life.stopping();
    log.info({ why }, 'stopping');
    // the sync daemon first: keepalived stops it before it releases the instances
    // child_wait_time: how long the checker child has to stop before it is killed (keepalived's sigend)
    const waitMs = daemon.view().config.globalDefs.childWaitTimeMs;
    // announce_vip: the checker child withdraws the routes and keeps the services for the
    // withdraw delay; the VIPs go after it, so the routers have moved the flows first
    const announcing = (daemon.view().config.globalDefs.announceVips?.length ?? 0) > 0;
    const g = daemon.view().config.globalDefs;
    const checkerFirst = announcing ? checker?.stop(waitMs + (g.announceWithdrawDelayMs ?? DEFAULT_WITHDRAW_DELAY_MS)) : undefined;
    void Promise.resolve(checkerFirst)
      // SNMP after the VRRP side: its STOP notifications go out first
      .then(() => Promise.all([lvsSync?.stop(), daemon.stop().then(() => snmp?.stop()), announcing ? undefined : checker?.stop(waitMs), control?.close()]))
      // the shutdown script once everything stopped
      .then(() => runLifecycleScript('shutdown', daemon.view().config.globalDefs, log))
      .then(() => process.exit(status));
  };

  const sched = await import('../io/sched.js');
  // the reload runs without RLIMIT_RTTIME (src/io/sched.ts relaxSchedForReload); the reload's
  // own applyProcessSched puts it back, and a refused reload's is done here
  const reload = async (): Promise<void> => {
    sched.relaxSchedForReload();
    try {
      await reloadOnce();
    } finally {
      if (sched.schedRelaxed()) sched.applyProcessSched('vrrp', daemon.view().config.globalDefs, log);
    }
  };
  const reloadOnce = async (): Promise<void> => {
    life.reloading();
    log.info({ file: o.file }, 'Reloading');
    let next: KeepalivedConfig;
    // whether the new file has the checker's blocks, which this process no longer reads
    let checkerBlocks: boolean;
    try {
      if (o.vrrpOnly) {
        next = loadForDaemon(o.file, o.configId, log, 'vrrp');
        checkerBlocks = false;
      } else {
        // as keepalived's VRRP process reads it: the checker process reads and judges its own
        // blocks (at 50,000 real servers they were most of this reading)
        ({ config: next, checkerBlocks } = loadVrrpSide(o.file, o.configId, log));
      }
    } catch (e) {
      log.error({ code: (e as { code?: string }).code, err: (e as Error).message },
        'configuration reload refused: the new configuration cannot be run; the running configuration is kept');
      life.reloaded('reload refused: configuration error');
      return;
    }
    const was = daemon.view().config;
    const fixed = (['netNamespace', 'instance'] as const).filter((k) => next[k] !== was[k]);
    if (fixed.length > 0) {
      // keepalived: these cannot change without a restart ("please restart")
      log.error({ keywords: fixed }, `configuration reload refused: ${fixed.map((k) => (k === 'netNamespace' ? 'net_namespace' : 'instance')).join(', ')} cannot be changed by a reload, please restart`);
      life.reloaded('reload refused: restart needed');
      return;
    }
    try {
      await daemon.reload(vrrpHalf(next));
    } catch (e) {
      log.error({ code: (e as { code?: string }).code, err: (e as Error).message }, 'reload failed; the running configuration is kept');
      life.reloaded('reload failed');
      return;
    }
    if (o.dumpConf) dumpConfig(log, next, 'reload');
    const withChecker = !o.vrrpOnly && (checkerBlocks || o.allChildren === true);
    const leaving = withChecker ? undefined : checker;
    if (withChecker && !checker?.running) startChecker();
    else if (withChecker) checker!.signal('SIGHUP');
    // the reading's garbage and the old configuration, collected now: after the checker has
    // its signal, whose reload need not wait for this
    collectStartupGarbage();
    if (leaving) {
      checker = undefined;
      await leaving.stop(next.globalDefs.childWaitTimeMs);
    }
    life.reloaded();
    log.info('Reload finished');
  };
  const onHup = serialised(reload, () => stopping);

  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', onHup);
  installDumpSignals({ log, vrrp: () => daemon.view(), forward: (sig) => checker?.signal(sig) });
  setDumpSnmpCli({ ...(o.snmp ? { snmp: true } : {}), ...(o.snmpSocket !== undefined ? { snmpSocket: o.snmpSocket } : {}) });
  let control: { close(): Promise<void> } | undefined;
  let lvsSync: { stop(): Promise<void> } | undefined;
  let snmp: { stop(): Promise<void> } | undefined;
  try {
    // before the instances start: their first notifications are sent once the subagent is connected
    const snmpCli = { ...(o.snmp ? { snmp: true } : {}), ...(o.snmpSocket !== undefined ? { snmpSocket: o.snmpSocket } : {}) };
    // the subagent and its MIBs are loaded only when some MIB is asked for
    if (snmpSelection(config, snmpCli, startWithChecker)) snmp = (await import('./vrrp-snmp.js')).startVrrpSnmp(daemon, config, log, snmpCli, startWithChecker);
    await daemon.start();
    // the checker child goes on from its reading now (held above)
    checker?.release();
    lvsSync = await (await import('./lvs-sync.js')).startLvsSync(daemon, log);
    (await import('./vrrp-alerts.js')).startVrrpAlerts(daemon, log);
    const { handoverRoute } = await import('../commands/handover.js');
    control = await startControl({
      log, config: () => daemon.view().config, vrrp: () => daemon.view(), checker: () => checker,
      routes: [handoverRoute(async (name, cancel) => {
        // an announced VIP (announce_vip): the checker child withdraws it, or announces it again
        const announced = daemon.view().config.globalDefs.announceVips ?? [];
        const ip = parseIp(name);
        if (!ip || !announced.some((v) => formatIp(v.address) === formatIp(ip))) return daemon.handover(name, cancel);
        if (!checker) return { instance: name, result: 'unknown-instance' };
        const r = await checker.request<{ result: string; announced: boolean; ms: number }>('handover', 30_000 + (daemon.view().config.globalDefs.announceWithdrawDelayMs ?? DEFAULT_WITHDRAW_DELAY_MS), { vip: formatIp(ip), cancel });
        return { instance: name, result: r.result === 'withdrawn' ? 'withdrawn' : r.result === 'released' ? 'released' : 'unknown-instance', ms: r.ms, announced: r.announced };
      }, () => [...daemon.view().instances.map((i) => i.name), ...(daemon.view().config.globalDefs.announceVips ?? []).map((v) => formatIp(v.address))])],
      ...(o.controlSocket !== undefined ? { defaultSocket: o.controlSocket } : {}),
    });
  } catch (e) {
    const status = fatal(log, e);
    await Promise.all([daemon.stop().catch(() => undefined), checker?.stop(config.globalDefs.childWaitTimeMs), snmp?.stop()]);
    return status;
  }
  // STATUS= for `systemctl status`: the instances' states, kept current
  const statusLine = (): string => {
    const v = daemon.view();
    const count = (st: string): number => v.instances.filter((i) => i.live.state === st).length;
    return `${v.instances.length} VRRP instance(s): ${count('MASTER')} MASTER, ${count('BACKUP')} BACKUP, ${count('FAULT')} FAULT`;
  };
  daemon.onEffect((e) => {
    if (e.type === 'stateChange') life.status(statusLine());
  });
  life.ready(statusLine());
  return runUntilStopped();
}

/**
 * A daemon runs until it is stopped, even with nothing to wait for (a -C run of virtual servers
 * without checkers has no socket or timer of its own): keepalived's event loop never ends by
 * itself, Node's does when nothing holds it open. stop() ends the process.
 */
function runUntilStopped(): Promise<number> {
  setInterval(() => undefined, 0x7fffffff);
  return new Promise<number>(() => undefined);
}

export interface CheckerOptions {
  readonly file: string;
  readonly configId: string;
  readonly checkersPidFile?: string;
  readonly log: Logger;
  /** this process is the checker child of a daemon (else: -C by hand) */
  readonly child: boolean;
  readonly lifecycle?: Lifecycle;
  /** -I: leave the IPVS services in place at stop */
  readonly dontReleaseIpvs?: boolean;
  /** where the IPVS services it owns are recorded (src/daemon/run-identity.ts) */
  readonly ipvsState?: string;
  /** -B: no BFD session (with -C by hand, where this process runs the BFD_CHECK sessions) */
  readonly noBfd?: boolean;
  /** -x, -A: SNMP of the checker side (src/daemon/check-snmp.ts) */
  readonly snmp?: boolean;
  readonly snmpSocket?: string;
  /** -d: its configuration to the log at start and after each reload (keepalived: each process its own) */
  readonly dumpConf?: boolean;
  /** the child's configuration, read before this module was loaded (cli.ts) */
  readonly read?: EarlyReading;
}

/** The health-checker side: -C by hand, or the checker child of a daemon (--checker-child). */
export async function runCheckers(o: CheckerOptions): Promise<number> {
  const { CheckDaemon } = await import('./check-daemon.js');
  const life = o.lifecycle ?? NO_LIFECYCLE;
  const clog = o.log.child({ proc: 'check' });
  const daemon = new CheckDaemon({
    file: o.file, configId: o.configId, pidFile: o.checkersPidFile, log: clog, dontReleaseIpvs: o.dontReleaseIpvs ?? false, checkerOnly: !o.child,
    ...(o.ipvsState !== undefined ? { stateFile: o.ipvsState } : {}),
  });
  let stopping = false;
  let snmp: { stop(): Promise<void> } | undefined;
  let bfd: { set(b: KeepalivedConfig['bfdInstances']): void; stop(): void } | undefined;
  let bfdSet = (): void => undefined;
  const lvsSyncMod = await import('./lvs-sync.js');
  let lvsSync: { stop(): Promise<void> } | undefined;
  let lvsSyncKey = '';
  // lvs_sync_daemon without an instance: MASTER and BACKUP here, as keepalived's checker runs them
  const syncSet = async (): Promise<void> => {
    const key = lvsSyncMod.lvsSyncKey(daemon.config);
    if (key === lvsSyncKey) return;
    lvsSyncKey = key;
    await lvsSync?.stop();
    lvsSync = await lvsSyncMod.startCheckerLvsSync(daemon.config, clog);
  };
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    life.stopping();
    clog.info({ why }, 'stopping');
    bfd?.stop();
    const shutdown = (): Promise<void> => (o.child ? Promise.resolve() : runLifecycleScript('shutdown', daemon.config.globalDefs, clog));
    // the notifications of the stop are sent before the subagent closes
    void Promise.all([lvsSync?.stop(), daemon.stop().then(() => snmp?.stop())]).then(() => shutdown().then(() => process.exit(0)), () => process.exit(1));
  };
  // Deliberate difference: keepalived runs both children at nice 0; without checker_priority
  // the checker child yields to the VRRP process, so a burst of checks can never hold an advert
  // back on a busy CPU.
  const { applyProcessSched, relaxSchedForReload, CHECKER_DEFAULT_NICE } = await import('../io/sched.js');
  const sched = (): void => void applyProcessSched('checker', daemon.config.globalDefs, clog, o.child ? CHECKER_DEFAULT_NICE : undefined);
  const onHup = serialised(async () => {
    life.reloading();
    // no RLIMIT_RTTIME while reloading, when checker_rt_priority made it real-time (sched() restores)
    relaxSchedForReload();
    try {
      await daemon.reload();
      if (o.dumpConf) dumpConfig(clog, daemon.config, 'reload');
      bfdSet();
      sched();
      await syncSet();
      life.reloaded();
    } catch (e) {
      if (daemon.broken) {
        // the running checkers are lost (check-daemon.ts): a new checker process takes over
        fatal(clog, e);
        process.exit(1);
      }
      clog.error({ code: (e as { code?: string }).code, err: (e as Error).message }, 'reload refused; the running configuration is kept');
      sched();
      life.reloaded('reload refused');
    }
  }, () => stopping);
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', onHup);
  installDumpSignals({ log: clog, check: () => daemon.dumpView(), checkPaths: () => daemon.config.globalDefs });
  setDumpSnmpCli({ ...(o.snmp ? { snmp: true } : {}), ...(o.snmpSocket !== undefined ? { snmpSocket: o.snmpSocket } : {}) });
  if (o.child) {
    watchParent(() => stop('parent gone'));
    const checkMetrics = new CheckMetrics(daemon, turn);
    serveParent({
      // rendered here, sent as bytes: the VRRP process must not parse 50,000 real servers
      // (bulk-frames.ts); in slices, a turn of the event loop between them (probes and signals
      // go on). The servers' part is kept while nothing changes, and made to its end for the
      // next scrape when this one cannot wait, which gets the last part made and its age; only
      // before the first one is made does a scrape get nothing (check-metrics.ts)
      metrics: async (arg) => {
        const pieces = await checkMetrics.text(askerDeadline(arg));
        if (pieces === undefined) throw new Error('metrics: the scrape stopped waiting before they were rendered');
        return new Bytes(pieces);
      },
      // the status API's checker part (21 MB of JSON at 50,000 real servers), given up once the
      // request has stopped waiting (askerGone): a late answer would be read for nothing
      status: async (arg) => {
        const expired = askerGone(arg);
        const view = await daemon.viewSliced(turn, expired);
        const json = view && await checkerStatusJsonSliced(view, Number((arg as { restarts?: unknown } | undefined)?.restarts ?? 0), turn, expired);
        if (json === undefined) throw new Error('status: the request stopped waiting before it was answered');
        return new Bytes(json);
      },
      handover: (arg) => {
        const a = arg as { vip?: unknown; cancel?: unknown } | undefined;
        if (typeof a?.vip !== 'string') throw new Error('handover: no vip');
        return daemon.handoverVip(a.vip, a.cancel === true);
      },
    });
    onParentEvent((e) => (e.type === 'bfd' ? daemon.bfd(e.name, e.up) : daemon.vrrpState(e.name, e.state)));
  }
  try {
    await daemon.start(async (cfg) => {
      if (o.dumpConf) dumpConfig(clog, cfg, 'start');
      // the child said it had read (cli.ts); the daemon's VRRP side waited for that, and this
      // side waits for its go (runDaemon)
      if (o.child) await parentGo();
      // SNMP before the checkers start: their first notifications are sent once the subagent is connected
      const started = (await import('./check-snmp.js')).startCheckSnmp(daemon, cfg, clog, {
        ...(o.snmp ? { snmp: true } : {}), ...(o.snmpSocket !== undefined ? { snmpSocket: o.snmpSocket } : {}),
      });
      if (started) daemon.onStateTrap((e) => started.trap(e));
      snmp = started;
      // -C by hand: this process is keepalived's parent too, and runs the startup script
      if (!o.child) await runLifecycleScript('startup', cfg.globalDefs, clog);
    }, o.read);
  } catch (e) {
    const status = fatal(clog, e);
    await daemon.stop().catch(() => undefined);
    await snmp?.stop();
    return o.child ? CHECKER_EXIT_FATAL : status;
  }
  sched();
  await syncSet();
  // -C by hand: keepalived keeps its BFD process with -C, so the BFD_CHECK sessions run here
  // (in the checker child they run in the VRRP process and come over IPC)
  if (!o.child && !o.noBfd) {
    const { bfdOnSockets } = await import('./bfd-runner.js');
    bfdSet = () => {
      const sessions = daemon.config.bfdInstances.filter((b) => b.checker);
      if (!bfd && sessions.length === 0) return;
      bfd ??= bfdOnSockets(clog.child({ mod: 'bfd' }), (name, up) => daemon.bfd(name, up));
      bfd.set(sessions);
    };
    bfdSet();
  }
  life.ready();
  return runUntilStopped();
}
