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
import { formatIp, parseIp } from './util/ip.js';

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
  /** -P: VRRP only; -C: checkers (and IPVS) only */
  vrrpOnly: boolean;
  checkOnly: boolean;
  /** -c: the checker process's pidfile */
  checkersPidFile?: string;
  /** internal: this process is the checker child of a daemon */
  checkerChild: boolean;
}

function usage(): string {
  return [
    'Usage: keepalived-ts [OPTION...]',
    '       keepalived-ts lab [--advert-int S] [--vrrp-version 2|3] [--keepalived]   (built-in failover lab, root)',
    '       keepalived-ts genhash [-S] -s SERVER -p PORT -u URL [-V VHOST] [-P 1.0|1.0C|1.1] [-t S] [-v]',
    '  -f, --use-file=FILE      configuration file (default /etc/keepalived/keepalived.conf)',
    '  -t, --config-test        check the configuration and exit (keepalived exit codes)',
    '  -i, --config-id ID       id for @ID conditional lines (default: short host name)',
    '  -e, --all-config         apply every include check',
    '      --strict             with -t: any diagnostic is an error',
    '      --dump-conf          print the resolved configuration as JSON and exit',
    '  -n, --dont-fork          run in the foreground (always the case; accepted)',
    '  -l, --log-console        log to the console (always the case; accepted)',
    '  -D, --log-detail         detailed (debug) logging',
    '  -P, --vrrp               VRRP only (no health checkers, no IPVS)',
    '  -C, --check              health checkers and IPVS only (no VRRP)',
    '  -c, --checkers_pid=FILE  pidfile of the health-checker process',
    '  -p, --pid=FILE           pidfile (default /run/keepalived.pid)',
    '  -v, --version            print the version',
    '  -h, --help               this help',
  ].join('\n');
}

function parseArgs(argv: string[]): Args | number {
  const a: Args = {
    file: DEFAULT_CONF, configTest: false, dumpConf: false, strict: false, allConfig: false,
    pidFile: DEFAULT_PIDFILE, debug: false, vrrpOnly: false, checkOnly: false, checkerChild: false,
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
      case '-P': case '--vrrp': a.vrrpOnly = true; break;
      case '-C': case '--check': a.checkOnly = true; break;
      case '-c': case '--checkers_pid': a.checkersPidFile = value(); break;
      case '--checker-child': a.checkerChild = true; break;
      // the VRRP side runs in the main process: its pidfile is -p
      case '-r': case '--vrrp_pid': value(); break;
      // accepted keepalived flags that change nothing here
      case '-n': case '--dont-fork': case '-l': case '--log-console': case '-B': case '--no_bfd':
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
  if (argv[0] === 'genhash' || argv[0] === '--genhash' || argv[0] === '-T') return genhashCommand(argv.slice(1));
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
  const configId = args.configId ?? defaultConfigId();
  const { runDaemon: runMain, runCheckers } = await import('./daemon/main.js');
  if (args.checkOnly || args.checkerChild) {
    return runCheckers({
      file: args.file, configId, log, child: args.checkerChild,
      ...(args.checkersPidFile ? { checkersPidFile: args.checkersPidFile } : {}),
    });
  }
  return runMain({
    file: args.file, configId, pidFile: args.pidFile, debug: args.debug, vrrpOnly: args.vrrpOnly, log, cli: process.argv[1]!,
    ...(args.checkersPidFile ? { checkersPidFile: args.checkersPidFile } : {}),
  });
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
