/**
 * keepalived 2.2.7's command line (keepalived/core/main.c `parse_cmdline`), parsed the way its
 * getopt_long does: bundled short flags (`-nlD`), `-fFILE` / `-f FILE`, `--use-file=FILE` /
 * `--use-file FILE`, optional values only when attached (`-gFILE`, `--log-file=FILE`,
 * `-t`, `--config-test=LOG`), unambiguous prefixes of long names (`--log-det`), options after
 * operands, `--` ending the options. Messages and exit statuses are keepalived's.
 *
 * Pure: argv in, a decision out (run, or exit with this text and status). src/cli.ts does
 * the writing and the running.
 */
import { KEEPALIVED_SIGNALS, type SignalName } from './io/signals.js';

export const VERSION = '0.1.0';
export const KEEPALIVED_VERSION = 'v2.2.7 (01/16,2022)';

/** keepalived's process exit statuses (lib/scheduler.h `KEEPALIVED_EXIT_*`). */
export const KEEPALIVED_EXIT = {
  OK: 0,
  FATAL: 1,
  CONFIG: 2,
  MISSING_PERMISSION: 4,
  NO_CONFIG: 6,
  PROGRAM_ERROR: 70,
  NO_MEMORY: 204,
} as const;

export const DEFAULT_CONF = '/etc/keepalived/keepalived.conf';
/** keepalived 2.2.7's pidfiles (RUNSTATEDIR "/" name ".pid", no instance / use_pid_dir). */
export const DEFAULT_MAIN_PIDFILE = '/run/keepalived.pid';
export const DEFAULT_VRRP_PIDFILE = '/run/vrrp.pid';
export const DEFAULT_CHECKERS_PIDFILE = '/run/checkers.pid';
/** `-g` without a file name (keepalived: relative to the working directory). */
export const DEFAULT_LOG_FILE = 'keepalived.log';

export interface Args {
  /** -f */
  file: string;
  /** -i */
  configId?: string;
  /** -s: run in this network namespace (overrides the config's net_namespace) */
  namespace?: string;
  /** -t */
  configTest: boolean;
  /** -t=LOG_FILE, --config-test=LOG_FILE: diagnostics appended to this file instead of stderr */
  configTestLog?: string;
  /** --print-config: print the resolved configuration as JSON and exit */
  dumpJson: boolean;
  /** --settings FILE: keepalived-ts's own settings (src/config/settings.ts); default /etc/keepalived/keepalived-ts.conf when it exists */
  settingsFile?: string;
  /** --show-secrets: --print-config prints auth_pass and passwords instead of [redacted] */
  showSecrets: boolean;
  /** -d: dump the configuration to the log at start (keepalived's -d / DUMP_CONF) */
  dumpConf: boolean;
  /** --strict (keepalived-ts): with -t any diagnostic is an error */
  strict: boolean;
  /** -e */
  allConfig: boolean;
  /** -p */
  pidFile: string;
  /** -r: the VRRP process's pidfile; the VRRP side is the main process here, so it writes both */
  vrrpPidFile: string;
  /** -c: the checker process's pidfile */
  checkersPidFile: string;
  /** -D given (twice: `logDetail` 2) */
  debug: boolean;
  logDetail: number;
  /** -l */
  logConsole: boolean;
  /** -G: nothing to syslog (/dev/log, or stderr when it is journald's stream) */
  noSyslog: boolean;
  /** -S: the syslog facility (0-7 are local0-7; default daemon) */
  logFacility?: string;
  /** -g: JSON lines to this file */
  logFile?: string;
  /** --flush-log-file (every line is written synchronously anyway) */
  flushLogFile: boolean;
  /** -u, numeric */
  umask?: number;
  /** -V */
  dontReleaseVrrp: boolean;
  /** -B: run no BFD session */
  noBfd?: boolean;
  /** -I */
  dontReleaseIpvs: boolean;
  /** -R */
  dontRespawn: boolean;
  /** -n: stay in the foreground (without it the daemon detaches, src/io/detach.ts) */
  dontFork: boolean;
  /** -P: VRRP only; -C: checkers (and IPVS) only */
  vrrpOnly: boolean;
  checkOnly: boolean;
  /** --all: start the checker side even when the configuration has no virtual_server */
  allChildren: boolean;
  /** -a: log every address change rtnetlink reports */
  addressMonitoring: boolean;
  /** internal: this process is the checker child of a daemon */
  checkerChild: boolean;
  /** -x: the VRRP side's SNMP MIBs (KEEPALIVED-MIB's VRRP part, VRRP-MIB, VRRPv3-MIB) */
  snmp?: boolean;
  /** -A: the AgentX master's socket (over the configuration's snmp_socket) */
  snmpSocket?: string;
}

export type Parsed =
  | { readonly kind: 'run'; readonly args: Args; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'exit'; readonly code: number; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'genhash'; readonly argv: string[]; readonly stderr: string };

type HasArg = 'none' | 'required' | 'optional';

interface Opt {
  readonly long?: string;
  readonly short?: string;
  readonly arg: HasArg;
  /** what the option does to Args, or an exit */
  readonly apply: (a: Args, value: string | undefined, ctx: Ctx) => void;
}

interface Ctx {
  out: string[];
  err: string[];
  exit?: { code: number };
  bad: boolean;
  genhash?: { index: number; first: boolean; name: string };
  /** the name the command answers to (-v, -h) */
  prog: Prog;
}

const FACILITIES = ['user', 'daemon'];

const notSupported = (what: string) => (_a: Args, _v: string | undefined, ctx: Ctx): void => {
  ctx.err.push(`keepalived-ts: ${what} is not supported by keepalived-ts`);
  ctx.bad = true;
};

/** keepalived's options (the Debian build: VRRP, LVS, BFD, SNMP) and keepalived-ts's own. */
const OPTIONS: readonly Opt[] = [
  { short: 'f', long: 'use-file', arg: 'required', apply: (a, v) => { a.file = v!; } },
  { short: 'P', long: 'vrrp', arg: 'none', apply: (a) => { a.vrrpOnly = true; } },
  { short: 'C', long: 'check', arg: 'none', apply: (a) => { a.checkOnly = true; } },
  // no BFD sessions (a track_bfd then stays down, as with keepalived -B)
  { short: 'B', long: 'no_bfd', arg: 'none', apply: (a) => { a.noBfd = true; } },
  { long: 'all', arg: 'none', apply: (a) => { a.allChildren = true; } },
  { short: 'l', long: 'log-console', arg: 'none', apply: (a) => { a.logConsole = true; } },
  { short: 'D', long: 'log-detail', arg: 'none', apply: (a) => { a.debug = true; a.logDetail++; } },
  {
    short: 'S', long: 'log-facility', arg: 'required', apply: (a, v, ctx) => {
      // keepalived reports a bad facility and carries on with its default (daemon)
      if (/^(local)?[0-7]$/.test(v!) || FACILITIES.includes(v!)) a.logFacility = v!;
      else ctx.err.push(`Invalid log facility '${v!}'`);
    },
  },
  { short: 'g', long: 'log-file', arg: 'optional', apply: (a, v) => { a.logFile = v || DEFAULT_LOG_FILE; } },
  { short: 'e', long: 'all-config', arg: 'none', apply: (a) => { a.allConfig = true; } },
  { long: 'flush-log-file', arg: 'none', apply: (a) => { a.flushLogFile = true; } },
  { short: 'G', long: 'no-syslog', arg: 'none', apply: (a) => { a.noSyslog = true; } },
  {
    short: 'u', long: 'umask', arg: 'required', apply: (a, v, ctx) => {
      const n = parseCNumber(v!);
      // Deliberate difference: keepalived prints this and carries on with its default umask
      if (n === undefined || n < 0 || n > 0o777) {
        ctx.err.push(`Invalid --umask option ${v!}`);
        ctx.bad = true;
      } else a.umask = n;
    },
  },
  { short: 'X', long: 'release-vips', arg: 'none', apply: notSupported('-X, --release-vips') },
  { short: 'V', long: 'dont-release-vrrp', arg: 'none', apply: (a) => { a.dontReleaseVrrp = true; } },
  { short: 'I', long: 'dont-release-ipvs', arg: 'none', apply: (a) => { a.dontReleaseIpvs = true; } },
  { short: 'R', long: 'dont-respawn', arg: 'none', apply: (a) => { a.dontRespawn = true; } },
  { short: 'n', long: 'dont-fork', arg: 'none', apply: (a) => { a.dontFork = true; } },
  { short: 'd', long: 'dump-conf', arg: 'none', apply: (a) => { a.dumpConf = true; } },
  // keepalived-ts: print the resolved configuration as JSON and exit
  { long: 'print-config', arg: 'none', apply: (a) => { a.dumpJson = true; } },
  { long: 'show-secrets', arg: 'none', apply: (a) => { a.showSecrets = true; } },
  { long: 'settings', arg: 'required', apply: (a, v) => { a.settingsFile = v!; } },
  { short: 'p', long: 'pid', arg: 'required', apply: (a, v) => { a.pidFile = v!; } },
  { short: 'r', long: 'vrrp_pid', arg: 'required', apply: (a, v) => { a.vrrpPidFile = v!; } },
  { short: 'T', long: 'genhash', arg: 'none', apply: () => undefined },
  { short: 'c', long: 'checkers_pid', arg: 'required', apply: (a, v) => { a.checkersPidFile = v!; } },
  { short: 'a', long: 'address-monitoring', arg: 'none', apply: (a) => { a.addressMonitoring = true; } },
  // no BFD child, so no BFD pidfile to write
  { short: 'b', long: 'bfd_pid', arg: 'required', apply: () => undefined },
  // SNMP (src/daemon/vrrp-snmp.ts, check-snmp.ts): -x as every enable_snmp_* keyword
  { short: 'x', long: 'snmp', arg: 'none', apply: (a) => { a.snmp = true; } },
  { short: 'A', long: 'snmp-agent-socket', arg: 'required', apply: (a, v) => { a.snmpSocket = v!; } },
  // core dumps of a Node process are a debugging aid keepalived-ts does not configure
  { short: 'm', long: 'core-dump', arg: 'none', apply: () => undefined },
  { short: 'M', long: 'core-dump-pattern', arg: 'optional', apply: () => undefined },
  { short: 's', long: 'namespace', arg: 'required', apply: (a, v) => { a.namespace = v!; } },
  { short: 'i', long: 'config-id', arg: 'required', apply: (a, v) => { a.configId = v!; } },
  {
    long: 'signum', arg: 'required', apply: (_a, v, ctx) => {
      const n = (KEEPALIVED_SIGNALS as Record<string, number>)[v!];
      if (n === undefined) {
        ctx.err.push(`Unknown sigfunc ${v!}`);
        ctx.exit ??= { code: 1 };
      } else {
        ctx.out.push(`${n}`);
        ctx.exit ??= { code: 0 };
      }
    },
  },
  {
    short: 't', long: 'config-test', arg: 'optional', apply: (a, v) => {
      a.configTest = true;
      a.dontRespawn = true;
      if (v) a.configTestLog = v;
    },
  },
  { long: 'config-fd', arg: 'required', apply: notSupported('--config-fd') },
  {
    short: 'v', long: 'version', arg: 'none', apply: (_a, _v, ctx) => {
      ctx.err.push(versionText(ctx.prog));
      ctx.exit ??= { code: 0 };
    },
  },
  {
    short: 'h', long: 'help', arg: 'none', apply: (_a, _v, ctx) => {
      ctx.err.push(usage(ctx.prog));
      ctx.exit ??= { code: 0 };
    },
  },
  // keepalived-ts's own
  { long: 'strict', arg: 'none', apply: (a) => { a.strict = true; } },
  { long: 'checker-child', arg: 'none', apply: (a) => { a.checkerChild = true; } },
];

/** The signal names `--signum` knows (keepalived 2.2.7 on Linux). */
export const SIGNUM_NAMES = Object.keys(KEEPALIVED_SIGNALS) as SignalName[];

/**
 * The names keepalived-ts answers to: its own, and `keepalived` when run through
 * libexec/keepalived, the entry point for tools that run `keepalived` from PATH
 * (keepalived-exporter, see README.md).
 */
export type Prog = 'keepalived-ts' | 'keepalived';

/** The environment variable libexec/keepalived sets to be `keepalived`. */
export const PROG_ENV = 'KEEPALIVED_TS_PROG';

/**
 * -v's text. As `keepalived`, the first line is keepalived's own ("Keepalived v2.2.7 (...)"):
 * tools read the version from it (keepalived-exporter takes the second word). Both name the
 * optional keepalived feature keepalived-ts has that tools look for in this text: the JSON
 * dump (`--enable-json`, which keepalived-exporter needs for -ka.json).
 */
export function versionText(prog: Prog = 'keepalived-ts'): string {
  const own = `keepalived-ts v${VERSION}, compatible with Keepalived ${KEEPALIVED_VERSION}`;
  return [
    ...(prog === 'keepalived' ? [`Keepalived ${KEEPALIVED_VERSION}`, '', own] : [own]),
    '',
    `Running on Node.js ${process.version} (${process.platform} ${process.arch})`,
    '',
    'Equivalent keepalived configure options: --enable-json',
  ].join('\n');
}

export function usage(prog = 'keepalived-ts'): string {
  return [
    `Usage: ${prog} [OPTION...]`,
    `       ${prog} genhash [-S] -s SERVER -p PORT -u URL ...   (also -T, --genhash; keepalived's genhash)`,
    `       ${prog} lab [--advert-int S] [--vrrp-version 2|3] [--keepalived]   (built-in failover lab, root)`,
    `       ${prog} status [--json]                  (the running daemon: instances, virtual and real servers)`,
    `       ${prog} handover [--cancel] INSTANCE...|--all   (hand a MASTER over without losing a packet)`,
    `       ${prog} drill --vip VIP --vrid N --interface IF --trigger CMD ...   (measure a failover from a client)`,
    `       ${prog} realserver --mode dr|tun --vip VIP ... [--down|--status]   (prepare a DR / TUN real server)`,
    '  -f, --use-file=FILE          Use the specified configuration file',
    `                                default '${DEFAULT_CONF}'`,
    '  -P, --vrrp                   Only run with VRRP subsystem',
    '  -C, --check                  Only run with Health-checker subsystem',
    '  -B, --no_bfd                 Don\'t run BFD subsystem',
    '  -x, --snmp                   Enable SNMP subsystem (the VRRP and checker MIBs)',
    '  -A, --snmp-agent-socket=FILE Use the specified socket for master agent',
    '      --all                    Run the health-checker process even without virtual servers',
    '  -l, --log-console            Log messages to the console (readable lines on a terminal)',
    '  -D, --log-detail             Detailed log messages',
    '  -S, --log-facility=([0-7]|local[0-7]|user|daemon)',
    '                               Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)',
    '  -G, --no-syslog              Don\'t log via syslog (nor to journald\'s stderr stream)',
    '  -g, --log-file[=FILE]        Also log to FILE as JSON lines (default keepalived.log)',
    '      --flush-log-file         Accepted (every line is written at once)',
    '  -u, --umask=MASK             umask for file creation (in numeric form)',
    '  -V, --dont-release-vrrp      Don\'t remove VRRP VIPs and VROUTEs on daemon stop',
    '  -I, --dont-release-ipvs      Don\'t remove IPVS topology on daemon stop',
    '  -R, --dont-respawn           Don\'t respawn child processes',
    '  -n, --dont-fork              Don\'t fork the daemon process',
    '  -d                           Dump the configuration data to the log at start',
    '      --print-config           Print the resolved configuration as JSON and exit',
    '                                (keepalived: the long form of -d)',
    '      --show-secrets           With --print-config: print auth_pass and passwords',
    '                                (default [redacted])',
    '      --settings=FILE          keepalived-ts\'s own settings (metrics_listen, control_socket, ...)',
    '                                (default /etc/keepalived/keepalived-ts.conf when it exists)',
    `  -p, --pid=FILE               Use specified pidfile for parent process (default ${DEFAULT_MAIN_PIDFILE})`,
    `  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP process (default ${DEFAULT_VRRP_PIDFILE})`,
    '  -T, --genhash                Enter into genhash utility mode (this should be the first option used).',
    `  -c, --checkers_pid=FILE      Use specified pidfile for checkers child process (default ${DEFAULT_CHECKERS_PIDFILE})`,
    '  -a, --address-monitoring     Report all address additions/deletions notified via netlink',
    '  -b, --bfd_pid=FILE           Accepted (BFD runs in the VRRP process: no pidfile of its own)',
    '  -m, --core-dump              Accepted',
    '  -M, --core-dump-pattern=PATN Accepted',
    '  -s, --namespace=NAME         Run in network namespace NAME (overrides config)',
    '  -e, --all-config             Error if any configuration file missing (same as includet)',
    '  -i, --config-id id           Skip any configuration lines beginning \'@\' that don\'t match id',
    '                                or any lines beginning @^ that do match.',
    '                                The config-id defaults to the node name if option not used',
    `      --signum=SIGFUNC         Return signal number for ${SIGNUM_NAMES.join(', ')}`,
    '  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output to',
    '                                stderr by default',
    '      --strict                 With -t: any diagnostic is an error',
    '  -v, --version                Display the version number',
    '  -h, --help                   Display this help message',
    'Not supported (refused): -X/--release-vips.',
  ].join('\n');
}

export function defaultArgs(): Args {
  return {
    file: DEFAULT_CONF, configTest: false, dumpJson: false, showSecrets: false, dumpConf: false, strict: false, allConfig: false,
    pidFile: DEFAULT_MAIN_PIDFILE, vrrpPidFile: DEFAULT_VRRP_PIDFILE, checkersPidFile: DEFAULT_CHECKERS_PIDFILE,
    debug: false, logDetail: 0, logConsole: false, noSyslog: false, flushLogFile: false,
    dontReleaseVrrp: false, dontReleaseIpvs: false, dontRespawn: false, dontFork: false,
    vrrpOnly: false, checkOnly: false, allChildren: false, addressMonitoring: false, checkerChild: false,
  };
}

/** strtol(s, &end, 0): 0x hex, leading 0 octal, else decimal; undefined unless all of s is used. */
function parseCNumber(s: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s.trim() === s ? s : '');
  if (!m) return undefined;
  const body = m[2]!;
  const n = body.startsWith('0x') || body.startsWith('0X') ? Number.parseInt(body.slice(2), 16)
    : body.startsWith('0') ? Number.parseInt(body, 8) : Number.parseInt(body, 10);
  return m[1] === '-' ? -n : n;
}

function findLong(name: string): Opt | 'ambiguous' | undefined {
  const exact = OPTIONS.find((o) => o.long === name);
  if (exact) return exact;
  const prefixed = OPTIONS.filter((o) => o.long?.startsWith(name));
  if (prefixed.length === 1) return prefixed[0];
  return prefixed.length > 1 ? 'ambiguous' : undefined;
}

/** Parses argv (without node and the script) as keepalived 2.2.7 does; `prog` is the name -v and -h print. */
export function parseArgs(argv: readonly string[], prog: Prog = 'keepalived-ts'): Parsed {
  const a = defaultArgs();
  const ctx: Ctx = { out: [], err: [], bad: false, prog };
  const operands: string[] = [];
  let first = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      const opt = findLong(name);
      if (opt === undefined || opt === 'ambiguous') {
        ctx.err.push(`Unknown option ${arg}`);
        ctx.bad = true;
        continue;
      }
      let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
      if (opt.arg === 'none' && value !== undefined) {
        ctx.err.push(`Unknown option ${arg}`);
        ctx.bad = true;
        continue;
      }
      if (opt.arg === 'required' && value === undefined) value = argv[++i];
      if (opt.arg === 'required' && !value) {
        ctx.err.push(`Missing parameter for option --${opt.long!}`);
        ctx.bad = true;
        continue;
      }
      if (opt.short === 'T') return { kind: 'genhash', argv: argv.slice(i + 1), stderr: genhashWarning(first, '--genhash') };
      opt.apply(a, value, ctx);
      first = false;
      if (ctx.exit) break;
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // a cluster of short options: -nlD, -fFILE, -f FILE, -gFILE
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j]!;
        const opt = OPTIONS.find((o) => o.short === c);
        if (!opt) {
          ctx.err.push(`Unknown option -${c}`);
          ctx.bad = true;
          continue;
        }
        if (opt.short === 'T') return { kind: 'genhash', argv: argv.slice(i + 1), stderr: genhashWarning(first, '-T') };
        let value: string | undefined;
        if (opt.arg !== 'none') {
          const rest = arg.slice(j + 1);
          if (rest) value = rest;
          else if (opt.arg === 'required') value = argv[++i];
          j = arg.length;
          if (opt.arg === 'required' && value === undefined) {
            ctx.err.push(`Missing parameter for option -${c}`);
            ctx.bad = true;
            continue;
          }
        }
        opt.apply(a, value, ctx);
        first = false;
        if (ctx.exit) break;
      }
      if (ctx.exit) break;
      continue;
    }
    operands.push(arg);
  }
  const stdout = [...ctx.out];
  // keepalived prints this on stdout and carries on
  if (operands.length > 0 && !ctx.exit) stdout.push(`Unexpected argument(s): ${operands.map((o) => `${o} `).join('')}`);
  const text = (lines: string[]): string => (lines.length ? `${lines.join('\n')}\n` : '');
  if (ctx.exit) return { kind: 'exit', code: ctx.exit.code, stdout: text(stdout), stderr: text(ctx.err) };
  if (ctx.bad) return { kind: 'exit', code: KEEPALIVED_EXIT.FATAL, stdout: text(stdout), stderr: text(ctx.err) };
  return { kind: 'run', args: a, stdout: text(stdout), stderr: text(ctx.err) };
}

function genhashWarning(first: boolean, name: string): string {
  return first ? '' : `Warning -- \`${name}\` not used as first option, previous options ignored\n`;
}
