// The command line, as keepalived 2.2.7's getopt_long reads it (keepalived/core/main.c):
// every flag with its long form, values attached or apart, bundles, prefixes, defaults,
// keepalived's messages and exit statuses. The last block runs dist/src/cli.js (npm run build).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_CHECKERS_PIDFILE, DEFAULT_CONF, DEFAULT_MAIN_PIDFILE, DEFAULT_VRRP_PIDFILE, VERSION,
  defaultArgs, parseArgs, type Args,
} from '../../src/cli-args.js';
import { checkerChildArgs } from '../../src/daemon/main.js';

function run(...argv: string[]): Args {
  const p = parseArgs(argv);
  if (p.kind !== 'run') throw new Error(`expected a run, got ${JSON.stringify(p)}`);
  return p.args;
}

describe('parseArgs: defaults', () => {
  it('are keepalived 2.2.7\'s (config file, three pidfiles under /run)', () => {
    const a = run();
    expect(a.file).toBe(DEFAULT_CONF);
    expect(DEFAULT_CONF).toBe('/etc/keepalived/keepalived.conf');
    expect([a.pidFile, a.vrrpPidFile, a.checkersPidFile]).toEqual(['/run/keepalived.pid', '/run/vrrp.pid', '/run/checkers.pid']);
    expect([DEFAULT_MAIN_PIDFILE, DEFAULT_VRRP_PIDFILE, DEFAULT_CHECKERS_PIDFILE]).toEqual(['/run/keepalived.pid', '/run/vrrp.pid', '/run/checkers.pid']);
    expect(a).toEqual(defaultArgs());
  });
});

describe('parseArgs: every flag, short and long', () => {
  const cases: [string[], string[], Partial<Args>][] = [
    [['-f', 'k.conf'], ['--use-file=k.conf'], { file: 'k.conf' }],
    [['-P'], ['--vrrp'], { vrrpOnly: true }],
    [['-C'], ['--check'], { checkOnly: true }],
    [['-l'], ['--log-console'], { logConsole: true }],
    [['-D'], ['--log-detail'], { debug: true, logDetail: 1 }],
    [['-S', 'local3'], ['--log-facility=local3'], { logFacility: 'local3' }],
    [['-gk.log'], ['--log-file=k.log'], { logFile: 'k.log' }],
    [['-G'], ['--no-syslog'], { noSyslog: true }],
    [['-u', '022'], ['--umask=022'], { umask: 0o22 }],
    [['-V'], ['--dont-release-vrrp'], { dontReleaseVrrp: true }],
    [['-I'], ['--dont-release-ipvs'], { dontReleaseIpvs: true }],
    [['-R'], ['--dont-respawn'], { dontRespawn: true }],
    [['-n'], ['--dont-fork'], { dontFork: true }],
    [['-p', 'm.pid'], ['--pid=m.pid'], { pidFile: 'm.pid' }],
    [['-r', 'v.pid'], ['--vrrp_pid=v.pid'], { vrrpPidFile: 'v.pid' }],
    [['-c', 'c.pid'], ['--checkers_pid=c.pid'], { checkersPidFile: 'c.pid' }],
    [['-a'], ['--address-monitoring'], { addressMonitoring: true }],
    [['-e'], ['--all-config'], { allConfig: true }],
    [['-i', 'lb1'], ['--config-id=lb1'], { configId: 'lb1' }],
    [['-t'], ['--config-test'], { configTest: true, dontRespawn: true }],
    [['-tcheck.log'], ['--config-test=check.log'], { configTest: true, configTestLog: 'check.log' }],
  ];
  it.each(cases)('%j and %j', (short, long, want) => {
    expect(run(...short)).toMatchObject(want);
    expect(run(...long)).toMatchObject(want);
  });

  it('-d / --dump-conf dump the configuration to the log (keepalived); --print-config prints JSON and exits', () => {
    expect(run('-d')).toMatchObject({ dumpConf: true, dumpJson: false });
    expect(run('--dump-conf')).toMatchObject({ dumpConf: true, dumpJson: false });
    expect(run('--print-config')).toMatchObject({ dumpConf: false, dumpJson: true, showSecrets: false });
    expect(run('--print-config', '--show-secrets')).toMatchObject({ dumpJson: true, showSecrets: true });
  });

  it('accepts what does nothing here: -B, --all, -b, -m, -M, --flush-log-file', () => {
    expect(run('-B', '-b', '/run/bfd.pid', '-m', '-Mcore', '--no_bfd', '--bfd_pid=x', '--core-dump', '--core-dump-pattern', '--flush-log-file', '--all'))
      .toMatchObject({ allChildren: true, flushLogFile: true });
  });

  it('-DD is extra detail', () => {
    expect(run('-DD').logDetail).toBe(2);
    expect(run('-D', '--log-detail').logDetail).toBe(2);
  });

  it('keepalived-ts\'s own long options', () => {
    expect(run('--strict', '--checker-child')).toMatchObject({ strict: true, checkerChild: true });
  });
});

describe('the checker child\'s command line', () => {
  it('reads as the main process meant it: the log file (an optional value, attached), pid file, settings, namespace', () => {
    const o = {
      file: '/etc/k.conf', configId: 'lb1', debug: true,
      logFile: '/var/log/kts.log', logArgs: ['-l', '-G'], namespace: 'blue', dontReleaseIpvs: true, snmp: true, snmpSocket: 'tcp:localhost:705',
    };
    const args = run(...checkerChildArgs(o, '/run/settings.json', '/run/c.pid'), '--checker-child');
    expect(args).toMatchObject({
      file: '/etc/k.conf', configId: 'lb1', logFile: '/var/log/kts.log', logConsole: true, noSyslog: true, debug: true,
      checkersPidFile: '/run/c.pid', namespace: 'blue', dontReleaseIpvs: true, snmp: true, snmpSocket: 'tcp:localhost:705', checkerChild: true,
    });
  });
});

describe('parseArgs: getopt_long\'s grammar', () => {
  it('bundles short flags, with a value at the end of the bundle or in the next word', () => {
    expect(run('-nlDf', 'k.conf')).toMatchObject({ dontFork: true, logConsole: true, debug: true, file: 'k.conf' });
    expect(run('-nlfk.conf')).toMatchObject({ dontFork: true, logConsole: true, file: 'k.conf' });
    expect(run('-fk.conf', '-pm.pid')).toMatchObject({ file: 'k.conf', pidFile: 'm.pid' });
  });

  it('takes a required long value from the next word, an optional one only after =', () => {
    expect(run('--use-file', 'k.conf', '--pid', 'm.pid')).toMatchObject({ file: 'k.conf', pidFile: 'm.pid' });
    const p = parseArgs(['--log-file', 'x.log']);
    expect(p.kind).toBe('run');
    if (p.kind !== 'run') return;
    expect(p.args.logFile).toBe('keepalived.log');
    expect(p.stdout).toBe('Unexpected argument(s): x.log \n');
    expect(run('-g').logFile).toBe('keepalived.log');
    expect(run('-t', 'x').configTestLog).toBeUndefined();
  });

  it('accepts unambiguous prefixes of long names', () => {
    expect(run('--log-det', '--use=k.conf')).toMatchObject({ debug: true, file: 'k.conf' });
    expect(run('--dont-release-v')).toMatchObject({ dontReleaseVrrp: true });
    const p = parseArgs(['--log']);
    expect(p).toMatchObject({ kind: 'exit', code: 1, stderr: 'Unknown option --log\n' });
  });

  it('reads options after operands, prints the operands on stdout and carries on', () => {
    const p = parseArgs(['extra1', '-n', 'extra2']);
    expect(p).toMatchObject({ kind: 'run', stdout: 'Unexpected argument(s): extra1 extra2 \n' });
    expect(run('--', '-n').dontFork).toBe(false);
  });
});

describe('parseArgs: errors and early exits, as keepalived', () => {
  it('unknown options: every one reported, then exit 1', () => {
    expect(parseArgs(['--bogus', '-Q', '-n'])).toMatchObject({ kind: 'exit', code: 1, stderr: 'Unknown option --bogus\nUnknown option -Q\n' });
    expect(parseArgs(['-nZ'])).toMatchObject({ kind: 'exit', code: 1, stderr: 'Unknown option -Z\n' });
    expect(parseArgs(['--vrrp=yes'])).toMatchObject({ kind: 'exit', code: 1, stderr: 'Unknown option --vrrp=yes\n' });
  });

  it('a missing value: exit 1', () => {
    expect(parseArgs(['-f'])).toMatchObject({ kind: 'exit', code: 1, stderr: 'Missing parameter for option -f\n' });
    expect(parseArgs(['--use-file'])).toMatchObject({ kind: 'exit', code: 1, stderr: 'Missing parameter for option --use-file\n' });
    expect(parseArgs(['--use-file='])).toMatchObject({ kind: 'exit', code: 1, stderr: 'Missing parameter for option --use-file\n' });
  });

  it('--signum prints keepalived\'s numbers on stdout and exits 0', () => {
    const want = { STOP: 15, RELOAD: 1, DATA: 10, STATS: 12, STATS_CLEAR: 63, JSON: 36 };
    for (const [name, n] of Object.entries(want)) {
      expect(parseArgs([`--signum=${name}`])).toEqual({ kind: 'exit', code: 0, stdout: `${n}\n`, stderr: '' });
      expect(parseArgs(['--signum', name])).toMatchObject({ kind: 'exit', code: 0, stdout: `${n}\n` });
    }
  });

  it('--signum with an unknown name: "Unknown sigfunc", exit 1 (TDUMP too, as the Debian build)', () => {
    expect(parseArgs(['--signum=FOO'])).toEqual({ kind: 'exit', code: 1, stdout: '', stderr: 'Unknown sigfunc FOO\n' });
    expect(parseArgs(['--signum=TDUMP'])).toMatchObject({ kind: 'exit', code: 1 });
    expect(parseArgs(['--signum=json'])).toMatchObject({ kind: 'exit', code: 1 });
  });

  it('-v and -h print on stderr and exit 0, ignoring what follows', () => {
    const v = parseArgs(['-v', '--bogus']);
    expect(v).toMatchObject({ kind: 'exit', code: 0, stdout: '' });
    if (v.kind !== 'exit') return;
    expect(v.stderr).toMatch(new RegExp(`^keepalived-ts v${VERSION.replace(/\./g, '\\.')}, compatible with Keepalived v2\\.2\\.7`));
    expect(v.stderr).not.toContain('Unknown option');
    const h = parseArgs(['--help']);
    expect(h).toMatchObject({ kind: 'exit', code: 0, stdout: '' });
    if (h.kind !== 'exit') return;
    expect(h.stderr).toMatch(/^Usage: keepalived-ts \[OPTION\.\.\.\]/);
    for (const flag of ['-f, --use-file', '-V, --dont-release-vrrp', '-I, --dont-release-ipvs', '-R, --dont-respawn', '-r, --vrrp_pid', '--signum', '-g, --log-file', '-S, --log-facility']) {
      expect(h.stderr).toContain(flag);
    }
  });

  it('an invalid -S is reported and ignored (keepalived carries on); an invalid -u is refused', () => {
    expect(parseArgs(['-S', 'mail'])).toMatchObject({ kind: 'run', stderr: 'Invalid log facility \'mail\'\n' });
    for (const f of ['0', '7', 'local0', 'local7', 'user', 'daemon']) expect(run('-S', f).logFacility).toBe(f);
    expect(parseArgs(['-u', '0999'])).toMatchObject({ kind: 'exit', code: 1, stderr: 'Invalid --umask option 0999\n' });
    expect(parseArgs(['-u', '01000'])).toMatchObject({ kind: 'exit', code: 1 });
    expect(run('-u', '0x12').umask).toBe(0x12);
    expect(run('-u', '18').umask).toBe(18);
  });

  it('refuses what it does not implement rather than run differently: -X, --config-fd', () => {
    for (const argv of [['-X'], ['--config-fd=3']]) {
      const p = parseArgs(argv);
      expect(p, argv.join(' ')).toMatchObject({ kind: 'exit', code: 1 });
      if (p.kind === 'exit') expect(p.stderr).toMatch(/is not supported by keepalived-ts/);
    }
  });

  it('-x / --snmp serves the VRRP and checker MIBs, -A / --snmp-agent-socket names the AgentX socket', () => {
    expect(parseArgs(['-x', '-A', 'tcp:localhost:705'])).toMatchObject({ kind: 'run', args: { snmp: true, snmpSocket: 'tcp:localhost:705' } });
    expect(parseArgs(['--snmp', '--snmp-agent-socket=/run/agentx'])).toMatchObject({ kind: 'run', args: { snmp: true, snmpSocket: '/run/agentx' } });
    const none = parseArgs([]);
    expect(none.kind === 'run' && [none.args.snmp, none.args.snmpSocket]).toEqual([undefined, undefined]);
  });

  it('-s / --namespace names the network namespace to run in', () => {
    for (const argv of [['-s', 'blue'], ['--namespace=blue'], ['--namespace', 'blue']]) {
      expect(parseArgs(argv), argv.join(' ')).toMatchObject({ kind: 'run', args: { namespace: 'blue' } });
    }
  });

  it('-T / --genhash hands the rest to genhash, warning when not first', () => {
    expect(parseArgs(['-T', '-s', '10.0.0.1'])).toEqual({ kind: 'genhash', argv: ['-s', '10.0.0.1'], stderr: '' });
    expect(parseArgs(['-n', '--genhash', '-v'])).toEqual({
      kind: 'genhash', argv: ['-v'], stderr: 'Warning -- `--genhash` not used as first option, previous options ignored\n',
    });
  });
});

describe('the installed command (dist/src/cli.js)', () => {
  const cli = join(process.cwd(), 'dist/src/cli.js');
  const tmp = mkdtempSync(join(tmpdir(), 'kts-cli-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const sh = (...argv: string[]): { rc: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [cli, ...argv], { encoding: 'utf8', timeout: 30_000 });
    return { rc: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('--signum, -v, -h, an unknown option', () => {
    expect(sh('--signum=STATS_CLEAR')).toEqual({ rc: 0, stdout: '63\n', stderr: '' });
    expect(sh('--signum=NOPE')).toEqual({ rc: 1, stdout: '', stderr: 'Unknown sigfunc NOPE\n' });
    expect(sh('-v')).toMatchObject({ rc: 0, stdout: '' });
    expect(sh('-v').stderr).toContain('Keepalived v2.2.7');
    expect(sh('-h').stderr).toMatch(/^Usage: /);
    expect(sh('--frobnicate')).toEqual({ rc: 1, stdout: '', stderr: 'Unknown option --frobnicate\n' });
  });

  it('a missing configuration: exit 6 for the daemon (keepalived: not configured), 1 for -t', () => {
    expect(sh('-n', '-f', join(tmp, 'none.conf')).rc).toBe(6);
    expect(sh('-t', '-f', join(tmp, 'none.conf')).rc).toBe(1);
  });

  it('-t=LOG_FILE appends the diagnostics to that file', () => {
    const conf = join(tmp, 'k.conf');
    writeFileSync(conf, 'vrrp_instance VI_1 {\n  priority 300\n}\n');
    const log = join(tmp, 'check.log');
    const r = sh(`--config-test=${log}`, '-f', conf);
    expect(r.rc).not.toBe(0);
    expect(r.stderr).toBe('');
    expect(readFileSync(log, 'utf8')).toMatch(/priority 300/);
  });

  it('--settings FILE: keepalived-ts\'s settings outside keepalived.conf, in --print-config; a missing one is an error', () => {
    const conf = join(tmp, 'plain.conf');
    writeFileSync(conf, 'global_defs {\n  router_id lb1\n}\n');
    const settings = join(tmp, 'kts-settings.conf');
    writeFileSync(settings, 'control_socket /run/kts-test.sock\nhandover_on_stop\n');
    const r = sh('--print-config', '--settings', settings, '-f', conf);
    expect(r.rc).toBe(0);
    expect(JSON.parse(r.stdout).globalDefs).toMatchObject({ controlSocket: '/run/kts-test.sock', handoverOnStop: true });
    expect(sh('-t', `--settings=${join(tmp, 'nope.conf')}`, '-f', conf).rc).not.toBe(0);
  });

  it('--print-config redacts auth_pass and the SSL password unless --show-secrets', () => {
    const conf = join(tmp, 'secret.conf');
    writeFileSync(conf, [
      'SSL {', '  password kEyPaSs', '}',
      'vrrp_instance VI_1 {', '  interface lo', '  virtual_router_id 51', '  priority 100', '  advert_int 1',
      '  authentication {', '    auth_type PASS', '    auth_pass s3cr3t', '  }', '  virtual_ipaddress {', '    10.0.0.1', '  }', '}', '',
    ].join('\n'));
    const hidden = sh('--print-config', '-f', conf);
    expect(hidden.rc).toBe(0);
    expect(hidden.stdout).not.toMatch(/s3cr3t|kEyPaSs/);
    const cfg = JSON.parse(hidden.stdout) as { vrrpInstances: { authentication: { authPass: string } }[]; ssl: { password: string } };
    expect(cfg.vrrpInstances[0]!.authentication.authPass).toBe('[redacted]');
    expect(cfg.ssl.password).toBe('[redacted]');
    const shown = JSON.parse(sh('--print-config', '--show-secrets', '-f', conf).stdout) as typeof cfg;
    expect(shown.vrrpInstances[0]!.authentication.authPass).toBe('s3cr3t');
    expect(shown.ssl.password).toBe('kEyPaSs');
  });

  it('the version in package.json is the one printed', () => {
    const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version: string };
    expect(pkg.version).toBe(VERSION);
  });
});
