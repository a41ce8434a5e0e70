/**
 * A differential fuzzer of `-t` (issue 16, item 4): configurations generated from keepalived
 * 2.2.7's vocabulary and mutated from the fixtures, judged by the real keepalived and by
 * keepalived-ts; a case where their exit statuses differ is minimised (lines removed while the
 * two statuses stay the same) and reported with its seed.
 *
 * keepalived runs `-t` in a network namespace of the run's own (lo, eth0 192.168.50.1/24 and
 * fe80::1, eth1 10.0.1.1/24, eth2: the `-t` oracle's layout); keepalived-ts loads the same
 * text in this process, with the machine's users and files but that namespace's interfaces,
 * which is what its `-t` does in the namespace, a hundred times faster than starting node.
 * Needs root and keepalived on PATH. `configFuzz` removes the namespace and its files.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { hostMachine } from '../io/host-machine.js';
import type { MachineView } from '../config/validate.js';
import { prng } from '../util/prng.js';


type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Values a keyword may be given: well-formed ones first, then the awkward and the wrong. */
const VALUES = [
  '1', '2', '3', '5', '10', '50', '100', '150', '254', '255', '256', '0', '-1', '0.5', '1.5', '0.01', '0.123', '40.96', '65536', '4294967296', 'abc',
  'true', 'false', 'yes', 'no', 'on', 'off', 'maybe',
  '192.168.50.10', '192.168.50.10/24', '10.0.1.5', '224.0.0.18', '224.0.0.19', 'ff02::12', 'fe80::10', '2001:db8::1/64', '300.1.1.1', '192.168.50.10/33',
  'eth0', 'eth1', 'lo', 'nosuch0', 'VI_1', 'VI_2', 'chk', 'G1', 'root', 'nobody', 'nosuchuser9',
  '/bin/true', '"/bin/true arg"', '/nonexistent/script', 'PASS', 'AH', 'MASTER', 'BACKUP', 'NAT', 'DR', 'TUN', 'rr', 'wlc', 'foo', 'TCP', 'UDP',
  '', '{', '}', '"unterminated', '${X}', '$X', '~SEQ(I,1,2)',
];

/** Keywords by the block they belong to (those that take a value or stand alone). */
const GLOBAL = ['router_id', 'vrrp_strict', 'vrrp_version', 'vrrp_garp_master_delay', 'vrrp_garp_master_repeat', 'vrrp_garp_lower_prio_repeat',
  'vrrp_garp_interval', 'vrrp_gna_interval', 'vrrp_skip_check_adv_addr', 'vrrp_mcast_group4', 'vrrp_mcast_group6', 'vrrp_min_garp',
  'vrrp_higher_prio_send_advert', 'vrrp_lower_prio_no_advert', 'vrrp_check_unicast_src', 'vrrp_startup_delay', 'vrrp_down_timer_adverts',
  'enable_script_security', 'script_user', 'smtp_server', 'smtp_connect_timeout', 'notification_email_from', 'smtp_alert', 'smtp_alert_vrrp',
  'dynamic_interfaces', 'default_interface', 'lvs_flush', 'lvs_timeouts', 'vrrp_rt_priority', 'checker_rt_priority', 'vrrp_priority',
  'checker_priority', 'umask', 'vrrp_notify_priority_changes', 'child_wait_time', 'vrrp_iptables', 'max_auto_priority'];
const INSTANCE = ['state', 'interface', 'virtual_router_id', 'priority', 'advert_int', 'version', 'nopreempt', 'preempt', 'preempt_delay',
  'garp_master_delay', 'garp_master_repeat', 'garp_lower_prio_delay', 'garp_lower_prio_repeat', 'lower_prio_no_advert', 'higher_prio_send_advert',
  'accept', 'no_accept', 'strict_mode', 'dont_track_primary', 'unicast_src_ip', 'mcast_src_ip', 'mcast_dst_ip', 'unicast_ttl',
  'unicast_fault_no_peer', 'check_unicast_src', 'use_vmac', 'vmac_xmit_base', 'native_ipv6', 'down_timer_adverts', 'smtp_alert',
  'notify_master', 'notify_backup', 'notify', 'track_src_ip', 'promote_secondaries', 'skip_check_adv_addr', 'debug', 'notify_priority_changes'];
const SCRIPT = ['script', 'interval', 'timeout', 'weight', 'rise', 'fall', 'user', 'init_fail'];
const VS = ['delay_loop', 'lb_algo', 'lb_kind', 'persistence_timeout', 'persistence_granularity', 'protocol', 'ha_suspend', 'quorum', 'hysteresis',
  'sorry_server', 'sorry_server_inhibit', 'alpha', 'omega', 'inhibit_on_failure', 'virtualhost', 'retry', 'delay_before_retry', 'warmup', 'ops', 'smtp_alert'];
const RS = ['weight', 'inhibit_on_failure', 'notify_up', 'notify_down', 'uthreshold', 'lthreshold', 'alpha', 'retry', 'delay_loop', 'smtp_alert', 'lvs_method'];
const CHECK = ['connect_timeout', 'connect_port', 'connect_ip', 'bindto', 'retry', 'delay_before_retry', 'warmup', 'delay_loop', 'nb_get_retry', 'fwmark'];

function lines(r: Rand, words: readonly string[], n: number, indent: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = pick(r, words);
    const v = r() < 0.15 ? '' : pick(r, VALUES);
    out.push(`${indent}${k}${v ? ` ${v}` : ''}`);
  }
  return out;
}

/** A configuration from the vocabulary: mostly well-shaped blocks with random keywords and values. */
export function generate(r: Rand): string {
  const out: string[] = [];
  if (r() < 0.6) out.push('global_defs {', ...lines(r, GLOBAL, 1 + Math.floor(r() * 5), '    '), '}');
  if (r() < 0.3) out.push('vrrp_script chk {', ...lines(r, SCRIPT, 1 + Math.floor(r() * 4), '    '), '}');
  const instances = r() < 0.8 ? 1 + Math.floor(r() * 2) : 0;
  for (let i = 1; i <= instances; i++) {
    out.push(`vrrp_instance VI_${i} {`, '    interface eth0', `    virtual_router_id ${50 + i}`, ...lines(r, INSTANCE, Math.floor(r() * 5), '    '));
    if (r() < 0.85) out.push('    virtual_ipaddress {', `        192.168.50.${10 + i}/24`, ...(r() < 0.2 ? [`        ${pick(r, VALUES)}`] : []), '    }');
    if (r() < 0.2) out.push('    track_interface {', `        ${pick(r, ['eth0', 'eth1', 'lo', 'eth2'])}${r() < 0.5 ? ` weight ${pick(r, ['10', '-20', '300', 'x'])}` : ''}${r() < 0.3 ? ' reverse' : ''}`, '    }');
    if (r() < 0.2) out.push('    track_script {', '        chk', '    }');
    if (r() < 0.15) out.push('    authentication {', `        auth_type ${pick(r, ['PASS', 'AH', 'X'])}`, ...(r() < 0.8 ? ['        auth_pass 1111'] : []), '    }');
    if (r() < 0.15) out.push('    unicast_peer {', `        ${pick(r, ['192.168.50.2', 'fe80::2', '10.0.1.2', 'bogus'])}`, '    }');
    out.push('}');
  }
  if (instances === 2 && r() < 0.3) out.push('vrrp_sync_group G1 {', '    group {', '        VI_1', '        VI_2', '    }', '}');
  if (r() < 0.35) {
    const head = pick(r, ['192.168.50.100 80', '192.168.50.100 0', 'fwmark 5', '2001:db8::100 80', '192.168.50.100']);
    out.push(`virtual_server ${head} {`, ...lines(r, VS, Math.floor(r() * 5), '    '));
    const rss = Math.floor(r() * 3);
    for (let i = 0; i < rss; i++) {
      out.push(`    real_server 192.168.50.${20 + i}${r() < 0.7 ? ` ${pick(r, ['80', '8080', '0'])}` : ''} {`, ...lines(r, RS, Math.floor(r() * 3), '        '));
      if (r() < 0.6) {
        const ck = pick(r, ['TCP_CHECK', 'HTTP_GET', 'MISC_CHECK', 'PING_CHECK', 'SSL_GET']);
        out.push(`        ${ck} {`, ...lines(r, CHECK, Math.floor(r() * 3), '            '));
        if (ck === 'HTTP_GET' || ck === 'SSL_GET') out.push('            url {', `                path ${pick(r, ['/', '/index.html', ''])}`, `                status_code ${pick(r, ['200', '200-299', '99', 'x'])}`, '            }');
        if (ck === 'MISC_CHECK') out.push(`            misc_path ${pick(r, ['/bin/true', '"/bin/true 1"', '/nonexistent'])}`);
        out.push('        }');
      }
      out.push('    }');
    }
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

/** A fixture or sample, changed in one to three places. */
export function mutate(r: Rand, text: string): string {
  const ls = text.split('\n');
  const n = 1 + Math.floor(r() * 3);
  for (let k = 0; k < n && ls.length > 0; k++) {
    const i = Math.floor(r() * ls.length);
    const words = ls[i]!.trim().split(/\s+/);
    const indent = /^\s*/.exec(ls[i]!)![0];
    switch (Math.floor(r() * 8)) {
      case 0: ls.splice(i, 1); break;
      case 1: ls.splice(i, 0, ls[i]!); break;
      case 2: if (words.length > 1) ls[i] = `${indent}${words[0]} ${pick(r, VALUES)}`; break;
      case 3: ls[i] = `${indent}${pick(r, [...GLOBAL, ...INSTANCE, ...VS, ...RS])} ${pick(r, VALUES)}`; break;
      case 4: ls.splice(i, 0, `${indent}${pick(r, ['{', '}', '! comment', '# comment'])}`); break;
      case 5: ls.splice(i, 0, `${indent}include ${pick(r, ['/nonexistent/x.conf', '/etc/keepalived/*.none', '/dev/null'])}`); break;
      case 6: ls.splice(0, 0, `$X=${pick(r, VALUES)}`); ls[i + 1] = ls[i + 1]!.replace(/\b(\d+)\b/, '$X'); break;
      default: ls[i] = `${pick(r, ['@main ', '@other ', '@^main '])}${ls[i]!.trim()}`; break;
    }
  }
  return ls.join('\n');
}

export interface FuzzCase {
  readonly index: number;
  readonly kind: 'generated' | 'mutated';
  readonly source?: string;
  readonly text: string;
}

export interface FuzzFinding {
  readonly seed: number;
  readonly index: number;
  readonly kind: FuzzCase['kind'];
  readonly source?: string;
  readonly keepalived: number;
  readonly ours: number;
  /** the smallest text found that still gives these two statuses */
  readonly minimal: string;
}

export interface FuzzResult {
  readonly seed: number;
  readonly cases: number;
  readonly agreed: number;
  readonly findings: readonly FuzzFinding[];
}

/** The cases of a seed: half generated from the vocabulary, half mutations of `corpus`. */
export function cases(seed: number, count: number, corpus: readonly { name: string; text: string }[]): FuzzCase[] {
  const r = prng(seed);
  const out: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    if (corpus.length > 0 && r() < 0.5) {
      const src = pick(r, corpus);
      out.push({ index: i, kind: 'mutated', source: src.name, text: mutate(r, src.text) });
    } else out.push({ index: i, kind: 'generated', text: generate(r) });
  }
  return out;
}

/** The `-t` oracle layout, in a namespace of its own. */
class OracleNs {
  readonly name = `ktsfz${randomBytes(3).toString('hex')}`;

  constructor() {
    const run = (...a: string[]): void => {
      const res = spawnSync('ip', a, { encoding: 'utf8' });
      if (res.status !== 0) throw new Error(`ip ${a.join(' ')}: ${res.stderr.trim()}`);
    };
    run('netns', 'add', this.name);
    run('-n', this.name, 'link', 'set', 'lo', 'up');
    for (const i of ['eth0', 'eth1', 'eth2']) {
      if (spawnSync('ip', ['-n', this.name, 'link', 'add', i, 'type', 'dummy']).status !== 0) run('-n', this.name, 'link', 'add', i, 'type', 'bridge');
      run('-n', this.name, 'link', 'set', i, 'up');
    }
    run('-n', this.name, 'addr', 'add', '192.168.50.1/24', 'dev', 'eth0');
    run('-n', this.name, '-6', 'addr', 'add', 'fe80::1/64', 'dev', 'eth0', 'nodad');
    run('-n', this.name, 'addr', 'add', '10.0.1.1/24', 'dev', 'eth1');
  }

  /** The namespace's links as sysfs shows them inside it: ARPHRD type and IFF_MULTICAST (a dummy link has none). */
  linkKinds(): Map<string, { hwType: number; multicast: boolean }> {
    const r = spawnSync('ip', ['netns', 'exec', this.name, 'sh', '-c', 'for i in /sys/class/net/*; do echo "${i##*/} $(cat $i/type) $(cat $i/flags)"; done'], { encoding: 'utf8' });
    const out = new Map<string, { hwType: number; multicast: boolean }>();
    for (const line of (r.stdout ?? '').split('\n')) {
      const [name, type, flags] = line.trim().split(' ');
      if (name && type && flags) out.set(name, { hwType: Number(type), multicast: (Number(flags) & 0x1000) !== 0 });
    }
    return out;
  }

  /** keepalived's `-t` status; KEEPALIVED_CRASHED (a signal) or KEEPALIVED_TIMED_OUT (still reading after 10 s) */
  keepalived(file: string): number {
    const r = spawnSync('ip', ['netns', 'exec', this.name, 'keepalived', '-t', '-f', file], { encoding: 'utf8', timeout: 10_000, killSignal: 'SIGKILL' });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') return KEEPALIVED_TIMED_OUT;
    return r.status ?? KEEPALIVED_CRASHED;
  }

  close(): void {
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}

/** keepalived-ts's `-t` status for a file, seeing the oracle namespace's interfaces. */
function ours(file: string, machine: MachineView): number {
  try {
    return loadConfig(file, { machine }).diagnostics.configTestExitCode();
  } catch {
    return -2; // a crash is always a finding
  }
}

/** keepalived died of a signal (it has SIGSEGVs on some input) */
export const KEEPALIVED_CRASHED = -1;
/** keepalived was still reading after its time budget (a ~SEQ of 2^32 lines expands for hours) */
export const KEEPALIVED_TIMED_OUT = -3;

/** Runs the cases, minimising each disagreement. */
export function configFuzz(seed: number, count: number, corpus: readonly { name: string; text: string }[] = []): FuzzResult {
  const ns = new OracleNs();
  const dir = mkdtempSync(join(tmpdir(), 'kts-fuzz-'));
  const host = hostMachine();
  const ifaces = new Set(['lo', 'eth0', 'eth1', 'eth2']);
  const kinds = ns.linkKinds();
  const machine: MachineView = { ...host, interfaceExists: (n) => ifaces.has(n), isLoopback: (n) => n === 'lo', linkKind: (n) => kinds.get(n) };
  const findings: FuzzFinding[] = [];
  let agreed = 0;
  try {
    const file = join(dir, 'keepalived.conf');
    const judge = (text: string): [number, number] => {
      writeFileSync(file, text);
      return [ns.keepalived(file), ours(file, machine)];
    };
    for (const c of cases(seed, count, corpus)) {
      const [k, o] = judge(c.text);
      if (k === o) {
        agreed++;
        continue;
      }
      // minimise: drop lines one at a time while the two statuses stay the same (not a case
      // keepalived takes its whole time budget for: each try would cost as much again)
      let ls = c.text.split('\n');
      for (let i = k === KEEPALIVED_TIMED_OUT ? -1 : ls.length - 1; i >= 0; i--) {
        const without = [...ls.slice(0, i), ...ls.slice(i + 1)];
        const [k2, o2] = judge(without.join('\n'));
        if (k2 === k && o2 === o) ls = without;
      }
      findings.push({ seed, index: c.index, kind: c.kind, ...(c.source ? { source: c.source } : {}), keepalived: k, ours: o, minimal: ls.join('\n') });
    }
  } finally {
    ns.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { seed, cases: count, agreed, findings };
}

export interface FileVerdict {
  readonly file: string;
  readonly keepalived: number;
  readonly ours: number;
}

/**
 * Both `-t` statuses of each file, as the fuzzer judges its cases (no minimising): for a set of
 * configurations read as they are, such as a held-out set of public ones (bench/config-heldout.mjs).
 */
export function judgeFiles(files: readonly string[]): FileVerdict[] {
  const ns = new OracleNs();
  const host = hostMachine();
  const ifaces = new Set(['lo', 'eth0', 'eth1', 'eth2']);
  const kinds = ns.linkKinds();
  const machine: MachineView = { ...host, interfaceExists: (n) => ifaces.has(n), isLoopback: (n) => n === 'lo', linkKind: (n) => kinds.get(n) };
  try {
    return files.map((file) => ({ file, keepalived: ns.keepalived(file), ours: ours(file, machine) }));
  } finally {
    ns.close();
  }
}

/** The repository's fixtures and keepalived's installed samples, as mutation sources. */
export function fuzzCorpus(fixtureDirs: readonly string[], extra: readonly string[] = []): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const d of fixtureDirs) {
    for (const f of readdirSync(d).filter((n) => n.endsWith('.conf')).sort()) out.push({ name: join(d, f), text: readFileSync(join(d, f), 'utf8') });
  }
  for (const f of extra) {
    try {
      out.push({ name: f, text: readFileSync(f, 'utf8') });
    } catch {
      // a sample that is not installed is skipped
    }
  }
  return out;
}
