#!/usr/bin/env -S node --no-memory-reducer --max-semi-space-size=1 --v8-pool-size=1
/**
 * The V8 flags on the first line are part of how the daemon runs (the lab and the systemd
 * unit read them from here): no memory reducer (it ran two full GCs in the middle of the
 * advert schedule some 8 s after start), a 1 MB young generation and one V8 worker thread
 * (idle RSS). See bench/RESULTS.md, failover.
 *
 * keepalived-ts command line: keepalived 2.2.7's flags, long forms, defaults, messages and exit
 * statuses (parsed in src/cli-args.ts), the `genhash` and `lab` subcommands. This file turns the
 * parsed arguments into the logger, the service-manager notifier (src/io/sd-notify.ts, main
 * process only) and the daemon's options, and hands over to src/daemon/main.ts.
 */
import { chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, rmdirSync, writeSync } from 'node:fs';
import { release, type, version as osVersion } from 'node:os';
import type { Logger } from 'pino';
import { loadConfig, loadIdentity, defaultConfigId } from './config/load.js';
import { DEFAULT_SETTINGS_FILE } from './config/settings.js';
import { hostMachine } from './io/host-machine.js';
import { formatDiagnostic, isReported, severityOf } from './config/diagnostics.js';
import type { Detached } from './io/detach.js';
import { loadNative } from './io/native.js';
import type { SdNotifier } from './io/sd-notify.js';
import { formatIp, parseIp } from './util/ip.js';
import {
  DEFAULT_CHECKERS_PIDFILE, DEFAULT_MAIN_PIDFILE, DEFAULT_VRRP_PIDFILE, KEEPALIVED_EXIT, KEEPALIVED_VERSION, parseArgs, PROG_ENV, VERSION,
  type Args, type Prog,
} from './cli-args.js';
import { runIdentity, type RunIdentity } from './daemon/run-identity.js';
import type { CheckerOptions, Lifecycle, MainOptions } from './daemon/main.js';
import type { EarlyReading } from './daemon/load-config.js';

/** `keepalived-ts lab [--advert-int S] [--vrrp-version 2|3] [--peer keepalived]` */
async function lab(argv: string[]): Promise<number> {
  let advertInt = 1;
  let version: 2 | 3 = 3;
  let impl: 'kts' | 'keepalived' = 'kts';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--advert-int') advertInt = Number(argv[++i]);
    else if (a === '--vrrp-version') version = argv[++i] === '2' ? 2 : 3;
    else if (a === '--keepalived') impl = 'keepalived';
    else {
      process.stderr.write(`keepalived-ts lab: unknown option ${a}\nUsage: keepalived-ts lab [--advert-int SECONDS] [--vrrp-version 2|3] [--keepalived]\n`);
      return 1;
    }
  }
  if (!(advertInt > 0) || (version === 2 && !Number.isInteger(advertInt))) {
    process.stderr.write('keepalived-ts lab: --advert-int must be a positive number (whole seconds for VRRPv2)\n');
    return 1;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('keepalived-ts lab: needs root (it creates network namespaces)\n');
    return 1;
  }
  const { runLab } = await import('./lab/lab.js');
  try {
    await runLab({ advertInt, version, impl });
    return 0;
  } catch (e) {
    process.stderr.write(`keepalived-ts lab: ${(e as Error).message}\n`);
    return 1;
  }
}

const GENHASH_USAGE = [
  'Usage: keepalived-ts genhash [-S] -s SERVER -p PORT -u URL [OPTIONS]   (also: keepalived-ts --genhash ...)',
  '  -S, --use-ssl            use TLS (SSL_GET)',
  '  -I, --use-sni            send the virtualhost (-V) as TLS server name',
  '  -s, --server ADDR        server IP address',
  '  -p, --port PORT          server port',
  '  -u, --url PATH           url path (e.g. /index.html)',
  '  -V, --use-virtualhost H  Host header (default: SERVER:PORT)',
  '  -P, --protocol V         HTTP protocol: 1.0, 1.0C (1.0 with Connection: close) or 1.1',
  '  -t, --timeout S          timeout in seconds (default 5)',
  '  -v, --verbose            print the status and size too',
  'Prints the MD5 digest of the body, for `digest` in HTTP_GET / SSL_GET url blocks.',
].join('\n');

/** keepalived's genhash: the digest of a URL's body, as HTTP_GET / SSL_GET compute it. */
async function genhashCommand(argv: string[]): Promise<number> {
  let ssl = false;
  let sni = false;
  let verbose = false;
  let server: string | undefined;
  let port: number | undefined;
  let path: string | undefined;
  let vhost: string | undefined;
  let protocol: '1.0' | '1.0C' | '1.1' | undefined;
  let timeoutMs = 5000;
  const fail = (msg: string): number => {
    process.stderr.write(`genhash: ${msg}\n${GENHASH_USAGE}\n`);
    return 1;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string | undefined => argv[++i];
    switch (a) {
      case '-S': case '--use-ssl': ssl = true; break;
      case '-I': case '--use-sni': sni = true; break;
      case '-v': case '--verbose': verbose = true; break;
      case '-h': case '--help': process.stdout.write(`${GENHASH_USAGE}\n`); return 0;
      case '-s': case '--server': server = value(); break;
      case '-p': case '--port': port = Number(value()); break;
      case '-u': case '--url': path = value(); break;
      case '-V': case '--use-virtualhost': vhost = value(); break;
      case '-P': case '--protocol': {
        const v = value()?.toUpperCase();
        if (v !== '1.0' && v !== '1.0C' && v !== '1.1') return fail(`invalid HTTP protocol version '${v ?? ''}'`);
        protocol = v;
        break;
      }
      case '-t': case '--timeout': timeoutMs = Number(value()) * 1000; break;
      default: return fail(`unknown option ${a}`);
    }
  }
  if (!server || !parseIp(server)) return fail(`server should be an IP address${server ? `, not ${server}` : ''}`);
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return fail('a port 1..65535 is needed (-p)');
  if (!path) return fail('a url path is needed (-u)');
  if (!(timeoutMs > 0)) return fail('invalid timeout');
  const { genhash } = await import('./io/probe-http.js');
  const host = server.includes(':') ? `[${server}]` : server;
  try {
    const r = await genhash(`${ssl ? 'https' : 'http'}://${host}:${port}${path.startsWith('/') ? path : `/${path}`}`, {
      timeoutMs, ...(vhost ? { virtualhost: vhost } : {}), ...(protocol ? { protocol } : {}), ...(sni && vhost ? { sni: vhost } : {}),
    });
    if (verbose) process.stdout.write(`HTTP status ${r.status}, ${r.bytes} bytes of body\nMD5SUM = ${r.digest}\n`);
    else process.stdout.write(`${r.digest}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`genhash: ${(e as Error).message}\n`);
    return 1;
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'lab') return lab(argv.slice(1));
  if (argv[0] === 'genhash') return genhashCommand(argv.slice(1));
  if (argv[0] === 'status') return (await import('./commands/status.js')).statusCommand(argv.slice(1));
  if (argv[0] === 'handover') return (await import('./commands/handover.js')).handoverCommand(argv.slice(1));
  if (argv[0] === 'realserver') return (await import('./commands/realserver.js')).realserverCommand(argv.slice(1));
  if (argv[0] === 'drill') return (await import('./commands/drill.js')).drillCommand(argv.slice(1));
  // libexec/keepalived runs us as `keepalived`; scripts and the checker child need not know
  const prog: Prog = process.env[PROG_ENV] === 'keepalived' ? 'keepalived' : 'keepalived-ts';
  delete process.env[PROG_ENV];
  const parsed = parseArgs(argv, prog);
  process.stdout.write(parsed.kind === 'genhash' ? '' : parsed.stdout);
  process.stderr.write(parsed.stderr);
  if (parsed.kind === 'exit') return parsed.code;
  if (parsed.kind === 'genhash') return genhashCommand(parsed.argv);
  // the background half of a daemon started without -n (src/io/detach.ts): it runs in /
  // (the daemon's modules are loaded for the daemon only: -t on a large file is timed against keepalived's)
  const detach = parsed.args.configTest || parsed.args.dumpJson || parsed.args.checkerChild ? undefined : await import('./io/detach.js');
  const detached = detach?.takeDetached();
  const args = detached ? commandDirPaths(parsed.args, (path) => detach!.fromCommandDir(detached, path)) : parsed.args;
  // keepalived applies -u at once, before any file is created; it outranks the config's umask
  if (args.umask !== undefined) process.umask(args.umask);
  if (!existsSync(args.file)) {
    process.stderr.write(`${args.file}: configuration file not found [CONFIG_FILE]\n`);
    // keepalived: "not configured" for the daemon. Deliberate difference: keepalived -t exits 0
    // for a missing file (keepalived#955); -t and --print-config exit 1.
    return args.configTest || args.dumpJson ? KEEPALIVED_EXIT.FATAL : KEEPALIVED_EXIT.NO_CONFIG;
  }
  const daemon = !args.configTest && !args.dumpJson;
  // -t reads the file twice at once (identity, then all of it): the second time from memory
  const readBefore = daemon ? undefined : new Map<string, string>();
  const id = identityOf(args, readBefore);
  if (daemon) return runDaemon(args, detached, id, prog);
  // keepalived -t checks the interfaces in the namespace it would run in
  const nsNote = args.configTest && id.namespace !== undefined ? await enterNamespace(id.namespace, prog) : undefined;
  // -t=LOG_FILE: diagnostics go to that file (appended), as keepalived's stderr does
  let errFd = 2;
  if (args.configTestLog) {
    try {
      errFd = openSync(args.configTestLog, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      process.stderr.write(`Unable to open config-test log file ${args.configTestLog} ${-(err.errno ?? 0)} - ${err.code ?? err.message}\n`);
      return KEEPALIVED_EXIT.FATAL;
    }
  }
  try {
    const settings = settingsFileOf(args);
    const result = loadConfig(args.file, {
      configId: args.configId ?? defaultConfigId(hostMachine().hostname()),
      allIncludeChecks: args.allConfig,
      machine: hostMachine(),
      ...(settings !== undefined ? { settingsFile: settings } : {}),
      ...(readBefore ? { readBefore } : {}),
    });
    if (args.dumpJson) {
      process.stdout.write(`${JSON.stringify(result.config, jsonReplacer(args.showSecrets, await import('./io/logger.js')), 2)}\n`);
    }
    const shown = result.diagnostics.list.filter(isReported);
    for (const d of shown) writeSync(errFd, `${formatDiagnostic(d, result.sources)}\n`);
    // keepalived -t is silent here (exit 0); the daemon would not start
    if (nsNote) writeSync(errFd, `keepalived-ts: ${nsNote}: the daemon would not start, and interfaces were checked in the current network namespace\n`);
    if (args.configTest) {
      // a configuration that passes is no use to a daemon that cannot open its sockets
      const native = nativeProblem();
      if (native) {
        writeSync(errFd, `${native} [NATIVE_UNAVAILABLE]\n`);
        return Math.max(KEEPALIVED_EXIT.FATAL, result.diagnostics.configTestExitCode());
      }
      if (args.strict && result.diagnostics.list.some((d) => severityOf(d) !== 'info' || d.code === 'CONFIG_UNSUPPORTED')) return Math.max(5, result.diagnostics.configTestExitCode());
      return result.diagnostics.configTestExitCode();
    }
    return 0;
  } finally {
    if (errFd !== 2) closeSync(errFd);
  }
}

/**
 * What the command line adds to the daemon's options. src/daemon/main.ts takes them as it grows
 * the fields (same names); until then they ride along unread.
 */
export interface DaemonCliOptions {
  /** -x: SNMP of the VRRP side, as every enable_snmp_* keyword */
  readonly snmp?: boolean;
  /** -A: the AgentX master's socket */
  readonly snmpSocket?: string;
  /** -r: the VRRP process's pidfile (the main process is the VRRP process: it writes -p and -r) */
  readonly vrrpPidFile: string;
  /** -c (keepalived's default /run/checkers.pid): the checker child's pidfile */
  readonly checkersPidFile: string;
  /** -V: leave VIPs, virtual routes and rules in place at stop */
  readonly dontReleaseVrrp: boolean;
  /** -B: no BFD sessions */
  readonly noBfd?: boolean;
  /** -I: leave the IPVS services in place at stop (the checker child needs it: pass -I on) */
  readonly dontReleaseIpvs: boolean;
  /** -R: a dead checker child is not restarted; the main process stops instead */
  readonly dontRespawn: boolean;
  /** -d: write the configuration to the log once it is loaded (and after each reload) */
  readonly dumpConf: boolean;
  /** -g: the log file (the checker child gets `-g FILE` too) */
  readonly logFile?: string;
  /** -u: the umask already applied; the configuration's `umask` must not override it */
  readonly umask?: number;
  /** --all: start the checker child even with no virtual_server */
  readonly allChildren: boolean;
  /** -a: log every address change rtnetlink reports */
  readonly addressMonitoring: boolean;
  /** -l, -G, -S as given: the checker child logs where the main process does */
  readonly logArgs: readonly string[];
}

/** The checker child's own journald stream, held for the process's life. */
let ownJournal: import('./io/journal-stream.js').JournalStream | undefined;

/**
 * keepalived's destinations: syslog unless -G (the -S facility, daemon by default), the console
 * (stderr) with -l. Under systemd stderr is journald's stream (JOURNAL_STREAM), and it is the
 * syslog channel there instead of /dev/log, which journald reads too: each line is logged once.
 */
async function startLogger(args: Args, detached: Detached | undefined, ident = 'keepalived-ts'): Promise<Logger | undefined> {
  // loaded here: -t and the subcommands log nothing, and pino is a third of the command's modules
  const { createRootLogger, toJournal } = await import('./io/logger.js');
  const { facilityCode, SYSLOG_SOCKET, syslogSocketPresent } = await import('./io/syslog.js');
  const journal = toJournal(2);
  const syslog = !args.noSyslog && !journal;
  // the checker child writes to a journald stream of its own, not to the one it inherits
  // (src/io/journal-stream.ts); KTS_JOURNAL_SOCKET points it elsewhere (tests)
  const own = journal && args.checkerChild && (args.logConsole || !args.noSyslog)
    ? await (await import('./io/journal-stream.js')).openJournalStream(ident, process.env.KTS_JOURNAL_SOCKET || undefined)
    : undefined;
  if (own) ownJournal = own;
  // the syslog socket; KTS_SYSLOG_SOCKET points it elsewhere (tests, a chroot)
  const syslogPath = process.env.KTS_SYSLOG_SOCKET || SYSLOG_SOCKET;
  if (syslog && !args.checkerChild && !detached && !args.logConsole && !syslogSocketPresent(syslogPath)) {
    process.stderr.write(`keepalived-ts: nothing listens on ${syslogPath} (no syslog daemon): use -l to log to the console, or -g FILE\n`);
  }
  try {
    return createRootLogger({
      ...(own ? { fd: own.fd, journal: true } : {}),
      level: args.logDetail >= 2 ? 'trace' : args.debug ? 'debug' : 'info',
      console: args.logConsole || (journal && !args.noSyslog),
      format: args.logConsole && process.stderr.isTTY ? 'readable' : 'json',
      ...(syslog ? { syslog: { facility: facilityCode(args.logFacility), ident, path: syslogPath } } : {}),
      // keepalived: 0666 masked by its umask (0177 unless -u), so 0600 by default
      ...(args.logFile ? { file: args.logFile, fileMode: 0o666 & ~(args.umask ?? 0o177) } : {}),
    });
  } catch (e) {
    process.stderr.write(`keepalived-ts: cannot open log file ${args.logFile ?? ''}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return undefined;
  }
}

async function runDaemon(given: Args, detached: Detached | undefined, id: RunIdentity, prog: Prog): Promise<number> {
  // keepalived enters the namespace before it forks; here the command runs itself again inside
  if (id.namespace !== undefined && !given.checkerChild) {
    const why = await enterNamespace(id.namespace, prog);
    if (why !== undefined) {
      const log = await startLogger(given, detached, id.ident);
      log?.error({ netns: id.namespace }, why);
      log?.error({ netns: id.namespace }, `Unable to set network namespace ${id.namespace} - exiting`);
      if (!given.logConsole) process.stderr.write(`keepalived-ts: ${why}: unable to set network namespace ${id.namespace}\n`);
      return KEEPALIVED_EXIT.FATAL;
    }
  }
  const args = withPidDir(given, id);
  // without -n: to the background, as keepalived (src/io/detach.ts)
  if (!args.dontFork && !args.checkerChild) {
    const r = await (await import('./io/detach.js')).detachDaemon(process.argv[1]!, process.argv.slice(2));
    if (r.why) process.stderr.write(`keepalived-ts: ${r.why}\n`);
    return r.code;
  }
  const log = await startLogger(args, detached, id.ident);
  if (!log) return KEEPALIVED_EXIT.FATAL;
  const configId = args.configId ?? defaultConfigId(hostMachine().hostname());
  // Only the main process talks to systemd (NotifyAccess=main); the variables are removed from
  // the environment so that the checker child and scripts never see them.
  const { SdNotifier: Notifier } = await import('./io/sd-notify.js');
  const { signalRunning } = await import('./io/detach.js');
  const lifecycle = args.checkerChild ? undefined : alsoWhenRunning(new Notifier({
    unsetEnvironment: true,
    onError: (err, message) => log.error({ err: err.message, socket: process.env.NOTIFY_SOCKET, message }, 'cannot notify the service manager (NOTIFY_SOCKET)'),
  }), detached && signalRunning(detached));
  const extra: DaemonCliOptions = {
    vrrpPidFile: args.vrrpPidFile, checkersPidFile: args.checkersPidFile,
    dontReleaseVrrp: args.dontReleaseVrrp, dontReleaseIpvs: args.dontReleaseIpvs, dontRespawn: args.dontRespawn, noBfd: args.noBfd ?? false,
    dumpConf: args.dumpConf, allChildren: args.allChildren, addressMonitoring: args.addressMonitoring,
    logArgs: [...(args.logConsole ? ['-l'] : []), ...(args.noSyslog ? ['-G'] : []), ...(args.logFacility !== undefined ? ['-S', args.logFacility] : [])],
    ...(args.logFile ? { logFile: args.logFile } : {}), ...(args.umask !== undefined ? { umask: args.umask } : {}),
    ...(args.snmp ? { snmp: true } : {}), ...(args.snmpSocket !== undefined ? { snmpSocket: args.snmpSocket } : {}),
  };
  // `pidof keepalived-ts`, ps and process checks find it by name, not as `node`
  process.title = args.checkerChild ? 'keepalived-ts: checker' : 'keepalived-ts';
  if (!args.checkerChild) {
    startBanner(log, process.argv.slice(2), args.file);
    if (id.overridden) log.info(`Overriding config net_namespace '${id.overridden.config}' with command line namespace '${id.overridden.command}'`);
    if (id.ident !== 'keepalived-ts') log.info(`Changing syslog ident to ${id.ident}`);
  }
  const loadConfigMod = await import('./daemon/load-config.js');
  loadConfigMod.useSettingsFile(settingsFileOf(args));
  // The checker child reads its configuration first, and says so: the daemon's first start
  // waits for that before its VRRP side starts (main.ts runDaemon). The checker's own modules
  // load after it, beside the VRRP process's start.
  let read: EarlyReading | undefined;
  if (args.checkerChild) {
    read = loadConfigMod.readEarly(args.file, configId, log.child({ proc: 'check' }));
    if ('config' in read) (await import('./daemon/checker-child.js')).sayConfigRead();
  }
  const { runDaemon: runMain, runCheckers } = await import('./daemon/main.js');
  if (args.checkOnly || args.checkerChild) {
    const o: CheckerOptions & DaemonCliOptions = {
      ...extra, file: args.file, configId, log, child: args.checkerChild, ipvsState: id.ipvsState,
      ...(lifecycle ? { lifecycle } : {}), ...(read ? { read } : {}),
    };
    return runCheckers(o);
  }
  const o: MainOptions & DaemonCliOptions = {
    ...extra, file: args.file, configId, pidFile: args.pidFile, debug: args.debug, vrrpOnly: args.vrrpOnly, log,
    cli: process.argv[1]!, ...(lifecycle ? { lifecycle } : {}), controlSocket: id.controlSocket,
    ...(args.namespace !== undefined ? { namespace: args.namespace } : {}),
  };
  makePidDirs(id);
  // the daemon ends with process.exit once everything stopped (pidfiles removed first)
  process.once('exit', () => removePidDirs(id));
  return runMain(o);
}

/**
 * The root-level keywords that say which daemon this is (net_namespace, instance,
 * use_pid_dir), read before anything starts as keepalived reads them; the daemon reports the
 * configuration's problems itself when it loads it.
 */
function identityOf(args: Args, readBefore?: Map<string, string>): RunIdentity {
  try {
    return runIdentity(loadIdentity(args.file, { configId: args.configId ?? defaultConfigId(hostMachine().hostname()), ...(readBefore ? { readBefore } : {}) }), args.namespace);
  } catch {
    return runIdentity({}, args.namespace);
  }
}

/**
 * Runs this command again inside network namespace `ns` (src/io/netns.ts): returns only when
 * it is inside already (undefined) or cannot get in (why).
 */
async function enterNamespace(ns: string, prog: Prog): Promise<string | undefined> {
  const { execInNetns, netnsPath, netnsState } = await import('./io/netns.js');
  const state = netnsState(ns);
  if (state === 'inside') return undefined;
  if (state === 'missing') return `Failed to open ${netnsPath(ns)}`;
  try {
    return execInNetns(ns, process.argv[1]!, process.argv.slice(2), prog === 'keepalived' ? { ...process.env, [PROG_ENV]: 'keepalived' } : process.env);
  } catch (e) {
    return `cannot enter network namespace ${ns} (${(e as Error).message})`;
  }
}

/** With use_pid_dir (or an instance or namespace) keepalived's default pidfiles move to /run/keepalived/. */
function withPidDir(a: Args, id: RunIdentity): Args {
  const p = id.pidFiles;
  if (!p) return a;
  return {
    ...a,
    pidFile: a.pidFile === DEFAULT_MAIN_PIDFILE ? p.main : a.pidFile,
    vrrpPidFile: a.vrrpPidFile === DEFAULT_VRRP_PIDFILE ? p.vrrp : a.vrrpPidFile,
    checkersPidFile: a.checkersPidFile === DEFAULT_CHECKERS_PIDFILE ? p.checkers : a.checkersPidFile,
  };
}

/** keepalived's create_pid_dir: rwxr-xr-x whatever the umask. */
function makePidDirs(id: RunIdentity): void {
  for (const dir of [...id.pidDirs].reverse()) {
    try {
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, 0o755);
    } catch {
      // writing the pidfile reports it
    }
  }
}

/** keepalived's remove_pid_dir: only when empty (another instance may still use it). */
function removePidDirs(id: RunIdentity): void {
  for (const dir of [...id.pidDirs, ...id.runtimeDirs]) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty, or gone
    }
  }
}

/** Why the native addon cannot load (src/io/native.ts), or undefined when it loads. */
function nativeProblem(): string | undefined {
  try {
    loadNative();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** A detached daemon runs in /: the command line's relative paths are the typed command's. */
function commandDirPaths(a: Args, p: (path: string) => string): Args {
  return {
    ...a, file: p(a.file), pidFile: p(a.pidFile), vrrpPidFile: p(a.vrrpPidFile), checkersPidFile: p(a.checkersPidFile),
    ...(a.logFile !== undefined ? { logFile: p(a.logFile) } : {}),
    ...(a.settingsFile !== undefined ? { settingsFile: p(a.settingsFile) } : {}),
  };
}

/** The service manager's lifecycle, and, in a detached daemon, "running" to the command that waits for it (`running`). */
function alsoWhenRunning(sd: SdNotifier, running: (() => void) | undefined): Lifecycle {
  if (!running) return sd;
  return {
    ready: (status) => { sd.ready(status); running(); },
    reloading: () => sd.reloading(),
    reloaded: (status) => sd.reloaded(status),
    stopping: () => sd.stopping(),
    status: (text) => sd.status(text),
  };
}

/** --settings FILE, else the default file when it exists (src/config/settings.ts). */
function settingsFileOf(args: Args): string | undefined {
  return args.settingsFile ?? (existsSync(DEFAULT_SETTINGS_FILE) ? DEFAULT_SETTINGS_FILE : undefined);
}

/** keepalived's first lines at start: the version, the system, the command line as typed. */
function startBanner(log: Logger, argv: readonly string[], file: string): void {
  log.info({ version: VERSION, keepalived: KEEPALIVED_VERSION }, `Starting keepalived-ts v${VERSION}, compatible with Keepalived ${KEEPALIVED_VERSION}`);
  log.info({ release: release(), node: process.version }, `Running on ${type()} ${release()} ${osVersion()} (Node ${process.version})`);
  log.info({ argv: ['keepalived-ts', ...argv] }, `Command line: ${['keepalived-ts', ...argv].map((a) => `'${a}'`).join(' ')}`);
  log.info({ file }, `Configuration file ${file}`);
}

/** Addresses print as text in --print-config; secrets as [redacted] unless `showSecrets`. */
function jsonReplacer(showSecrets: boolean, { SECRET_FIELDS, REDACTED }: typeof import('./io/logger.js')): (key: string, value: unknown) => unknown {
  return (key, value) => (!showSecrets && SECRET_FIELDS.has(key) && typeof value === 'string' ? REDACTED : printable(value));
}

function printable(value: unknown): unknown {
  if (value && typeof value === 'object' && 'bytes' in value && 'family' in value) {
    const v = value as { bytes: Uint8Array; family: string; prefixLen?: number };
    const text = formatIp(v.bytes);
    return v.prefixLen !== undefined ? `${text}/${v.prefixLen}` : text;
  }
  return value;
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
