#!/usr/bin/env -S node --no-memory-reducer --max-semi-space-size=1 --v8-pool-size=1
/**
 * The V8 flags on the first line are part of how the daemon runs (the lab and the systemd
 * unit read them from here): no memory reducer (it ran two full GCs in the middle of the
 * advert schedule some 8 s after start), a 1 MB young generation and one V8 worker thread
 * (idle RSS). See bench/RESULTS.md, failover.
 *
 * keepalived-ts command line. keepalived's flags where they exist (-f, -t, -i, -n, -l, -D, ...).
 * This file only parses argv and hands over to the command's module.
 */
import { existsSync } from 'node:fs';
import { loadConfig, defaultConfigId } from './config/load.js';
import { hostMachine } from './config/machine.js';
import { formatDiagnostic, isReported, severityOf } from './config/diagnostics.js';
import { createRootLogger } from './io/logger.js';
import { DEFAULT_PIDFILE } from './daemon/pidfile.js';
import { formatIp } from './util/ip.js';

const DEFAULT_CONF = '/etc/keepalived/keepalived.conf';

interface Args {
  file: string;
  configId?: string;
  configTest: boolean;
  dumpConf: boolean;
  strict: boolean;
  allConfig: boolean;
  pidFile: string;
  debug: boolean;
}

function usage(): string {
  return [
    'Usage: keepalived-ts [OPTION...]',
    '       keepalived-ts lab [--advert-int S] [--vrrp-version 2|3] [--keepalived]   (built-in failover lab, root)',
    '  -f, --use-file=FILE      configuration file (default /etc/keepalived/keepalived.conf)',
    '  -t, --config-test        check the configuration and exit (keepalived exit codes)',
    '  -i, --config-id ID       id for @ID conditional lines (default: short host name)',
    '  -e, --all-config         apply every include check',
    '      --strict             with -t: any diagnostic is an error',
    '      --dump-conf          print the resolved configuration as JSON and exit',
    '  -n, --dont-fork          run in the foreground (always the case; accepted)',
    '  -l, --log-console        log to the console (always the case; accepted)',
    '  -D, --log-detail         detailed (debug) logging',
    '  -P, --vrrp               VRRP only (accepted; checkers and IPVS are not run yet)',
    '  -p, --pid=FILE           pidfile (default /run/keepalived.pid)',
    '  -v, --version            print the version',
    '  -h, --help               this help',
  ].join('\n');
}

function parseArgs(argv: string[]): Args | number {
  const a: Args = {
    file: DEFAULT_CONF, configTest: false, dumpConf: false, strict: false, allConfig: false,
    pidFile: DEFAULT_PIDFILE, debug: false,
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let inline: string | undefined;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    if (eq !== -1) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new Error(`option ${arg} needs a value`);
      return v;
    };
    if (/^-[a-zA-Z]{2,}$/.test(arg) && !['-f', '-i', '-p', '-r', '-c'].includes(arg.slice(0, 2))) {
      // bundled short flags: -nlD
      argv.splice(i + 1, 0, ...arg.slice(2).split('').map((c) => `-${c}`));
      arg = arg.slice(0, 2);
    } else if (/^-[fiprc].+/.test(arg)) {
      inline = arg.slice(2);
      arg = arg.slice(0, 2);
    }
    switch (arg) {
      case '-f': case '--use-file': a.file = value(); break;
      case '-t': case '--config-test': a.configTest = true; break;
      case '-i': case '--config-id': a.configId = value(); break;
      case '-e': case '--all-config': a.allConfig = true; break;
      case '--strict': a.strict = true; break;
      case '--dump-conf': a.dumpConf = true; break;
      case '-v': case '--version': process.stdout.write('keepalived-ts 0.1.0\n'); return 0;
      case '-h': case '--help': process.stdout.write(`${usage()}\n`); return 0;
      case '-p': case '--pid': a.pidFile = value(); break;
      case '-D': case '--log-detail': a.debug = true; break;
      // keepalived's per-child pidfiles: one process here
      case '-r': case '--vrrp_pid': case '-c': case '--checkers_pid': value(); break;
      // accepted keepalived flags that change nothing here
      case '-n': case '--dont-fork': case '-l': case '--log-console':
      case '-P': case '--vrrp': case '-C': case '--check': case '-B': case '--no_bfd':
        break;
      default:
        process.stderr.write(`keepalived-ts: unknown option ${arg}\n${usage()}\n`);
        return 1;
    }
  }
  return a;
}

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

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'lab') return lab(argv.slice(1));
  let args: Args | number;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`keepalived-ts: ${(e as Error).message}\n`);
    return 1;
  }
  if (typeof args === 'number') return args;
  if (!existsSync(args.file)) {
    // Deliberate difference: keepalived -t exits 0 for a missing file (keepalived#955).
    process.stderr.write(`${args.file}: configuration file not found [CONFIG_FILE]\n`);
    return 1;
  }
  if (!args.configTest && !args.dumpConf) return runDaemon(args);
  const result = loadConfig(args.file, {
    configId: args.configId ?? defaultConfigId(),
    allIncludeChecks: args.allConfig,
    machine: hostMachine(),
  });
  if (args.dumpConf) {
    process.stdout.write(`${JSON.stringify(result.config, jsonReplacer, 2)}\n`);
  }
  const shown = result.diagnostics.list.filter(isReported);
  for (const d of shown) process.stderr.write(`${formatDiagnostic(d, result.sources)}\n`);
  if (args.configTest) {
    if (args.strict && result.diagnostics.list.some((d) => severityOf(d) !== 'info' || d.code === 'CONFIG_UNSUPPORTED')) return Math.max(5, result.diagnostics.configTestExitCode());
    return result.diagnostics.configTestExitCode();
  }
  return 0;
}

async function runDaemon(args: Args): Promise<number> {
  const log = createRootLogger({ level: args.debug ? 'debug' : 'info' });
  // loaded here so that -t / --dump-conf never need the native modules
  const { VrrpDaemon } = await import('./daemon/vrrp-daemon.js');
  const daemon = new VrrpDaemon({
    file: args.file, configId: args.configId ?? defaultConfigId(), pidFile: args.pidFile, log,
  });
  const stop = (signal: string): void => {
    log.info({ signal }, 'received signal, stopping');
    void daemon.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => log.warn({ signal: 'SIGHUP' }, 'reload is not implemented yet; configuration unchanged'));
  try {
    await daemon.start();
  } catch (e) {
    const code = (e as { code?: string }).code;
    log.fatal({ code, err: (e as Error).message }, `${(e as Error).message}${code ? ` [${code}]` : ''}`);
    await daemon.stop().catch(() => undefined);
    return 1;
  }
  // keep running until a signal
  return new Promise<number>(() => undefined);
}

/** Addresses print as text in --dump-conf. */
function jsonReplacer(_key: string, value: unknown): unknown {
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
