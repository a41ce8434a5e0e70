/**
 * The effective-configuration oracle (issue 16, item 4): run real keepalived 2.2.7 and
 * keepalived-ts on the same configuration, each alone in a fresh network namespace holding the
 * same links (names, MACs, addresses), take each one's VRRP-side data dump (SIGUSR1,
 * /tmp/keepalived.data, with `-P`), drop what is momentary (NORMALISE below, nothing else) and
 * return the lines that differ. Each daemon gets a private /tmp (keepalived 2.2.7 always writes
 * /tmp/keepalived.data) and a private /run (our control socket) through a mount namespace.
 * Every name carries a unique prefix; `compareDumps` removes every namespace it made. Needs
 * root, `unshare` and keepalived on PATH; keepalived-ts runs from dist/.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ktsCli, ktsNodeFlags, type Implementation } from './director.js';
import { sh } from './netlab.js';
import { LineWatch, sleep, waitUntil } from './watch.js';

/** One link of the daemon's namespace: a veth whose peer is in a namespace of its own. */
export interface OracleLink {
  readonly name: string;
  /** fixed, so both namespaces have the same MACs and IPv6 link-local addresses */
  readonly mac: string;
  readonly addresses: readonly string[];
}

/**
 * The links every config under test finds: the Debian samples name eth0..eth3 and eth0.1 and
 * address 192.168.200.0/24; the repository's fixtures use 192.168.50.1 on eth0 (unicast_src_ip)
 * and 10.0.1.1/24 on eth1, as the `-t` oracle's namespace does. eth0.1 is a veth of that name
 * (the configs only need an interface called so; not every kernel here has 8021q). Every link
 * has an IPv4 address: an instance needs one to send from (keepalived-ts refuses to start
 * without it, where keepalived runs the instance without a source address).
 */
export const ORACLE_LINKS: readonly OracleLink[] = [
  { name: 'eth0', mac: '02:00:5e:10:00:01', addresses: ['192.168.200.2/24', '192.168.50.1/24'] },
  { name: 'eth1', mac: '02:00:5e:10:00:02', addresses: ['10.0.1.1/24'] },
  { name: 'eth2', mac: '02:00:5e:10:00:03', addresses: ['10.0.2.1/24'] },
  { name: 'eth3', mac: '02:00:5e:10:00:04', addresses: ['10.0.3.1/24'] },
  { name: 'eth0.1', mac: '02:00:5e:10:00:05', addresses: ['192.168.201.2/24'] },
];

export interface OracleConfig {
  /** a configuration file, read in place (its includes resolve as they would in production); not under /tmp */
  readonly file?: string;
  /** or the configuration text, written to a private file */
  readonly text?: string;
  /** -i: the config id (@id conditionals) */
  readonly configId?: string;
}

export interface OracleOptions {
  readonly links?: readonly OracleLink[];
  /** time from the first "Entering ... STATE" line (or start, without one) to the dump */
  readonly settleMs?: number;
  /** how long to wait for the daemon's first state */
  readonly startTimeoutMs?: number;
  /** namespace name prefix */
  readonly tag?: string;
}

export interface DumpCapture {
  readonly impl: Implementation;
  /** keepalived.data as written; undefined when the daemon wrote none */
  readonly data?: string;
  /** the daemon's console log */
  readonly log: readonly string[];
}

export interface DumpComparison {
  readonly keepalived: DumpCapture;
  readonly kts: DumpCapture;
  /** unified-diff lines of the normalised dumps: `- ` keepalived only, `+ ` keepalived-ts only */
  readonly diff: readonly string[];
}

/**
 * What changes from moment to moment or from namespace to namespace, and nothing more. Each
 * rule rewrites (or with `drop`, removes) the lines it matches in both dumps.
 */
export interface NormaliseRule {
  readonly why: string;
  readonly match: RegExp;
  readonly replace?: string;
  readonly drop?: true;
}

export const NORMALISE: readonly NormaliseRule[] = [
  { why: 'times', match: /^( {3}(?:Last transition|Read timeout) = ).*$/, replace: '$1<time>' },
  { why: 'times', match: /^( (?:GARP|GNA) next time ).*$/, replace: '$1<time>' },
  { why: 'current state', match: /^( {3}State = )(?:INIT|BACKUP|MASTER|FAULT)$/, replace: '$1<state>' },
  { why: 'master seen', match: /^ {3}Master (?:router|priority|advert int|advert interval) = /, drop: true },
  { why: 'addresses installed now or not', match: /^( {5}\S.* scope \S+.*?) set$/, replace: '$1' },
  { why: 'routes installed now or not', match: /^( {5}(?:add|append|prepend) .*?) \[(?:dev \S+|installed ifindex \d+)\]$/, replace: '$1' },
  { why: 'fds', match: /^( {3}fd_in )\d+, fd_out \d+$/, replace: '$1<fd>, fd_out <fd>' },
  { why: 'fds', match: /^ fd_in \d+ fd_out = \d+$/, replace: ' fd_in <fd> fd_out = <fd>' },
  {
    why: 'counters that move (tracker results, faults)',
    match: /^( {3}(?:Number of interface and track script faults|Number of track scripts init|Result|Current processes) = )\d+$/,
    replace: '$1<n>',
  },
  { why: 'script state', match: /^( {3}(?:Status|Init state|State) = )(?:GOOD|BAD|INIT|INIT\/FAILED|INIT\/RELOAD|unknown|idle|running|requested termination|forcing termination)$/, replace: '$1<script>' },
  { why: 'tracked processes running now', match: /^( {3}(?:Have quorum = |(?:Fork|Terminate) delay timer ))\S+(?: running)?$/, replace: '$1<state>' },
  { why: 'sync group state', match: /^( VRRP Sync Group = \S+, )\w+$/, replace: '$1<state>' },
  { why: 'counters that move (tracker results, faults)', match: /^( {3}Num member fault )\d+, num member init \d+$/, replace: '$1<n>, num member init <n>' },
  { why: 'interface indexes', match: /^( {3}index = )\d+/, replace: '$1<ifindex>' },
  { why: 'interface indexes', match: /^( {3}Multicast address \S+, ifindex )\d+$/, replace: '$1<ifindex>' },
  { why: 'interface state seen', match: /^ {3}(?:Seen up|Delayed state change running) = /, drop: true },
  // keepalived prints an interface's rp_filter once a link notification has come after its
  // start (core/keepalived_netlink.c parse_af_spec), which depends on what the links did
  { why: 'link events seen', match: /^ {3}rp_filter \d+$/, drop: true },
];

/** The normalised lines of a dump (by default the VRRP side's rules). */
export function normaliseDump(text: string, rules: readonly NormaliseRule[] = NORMALISE): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let l = line;
    let dropped = false;
    for (const r of rules) {
      if (!r.match.test(l)) continue;
      if (r.drop) { dropped = true; break; }
      l = l.replace(r.match, r.replace ?? '');
    }
    if (!dropped) out.push(l);
  }
  return out;
}

/** Lines of `a` not matched by one of `b` (multisets): what a diff shows that a list does not have. */
export function minusLines(a: readonly string[], b: readonly string[]): string[] {
  const left = [...b];
  return a.filter((l) => {
    const i = left.indexOf(l);
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

/** A line diff (longest common subsequence): `- ` only in `a`, `+ ` only in `b`, in order. */
export function diffLines(a: readonly string[], b: readonly string[]): string[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: common length of a[i..] and b[j..]
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { i++; j++; }
    else if (j >= m || (i < n && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  return out;
}

/** The EUI-64 link-local address the kernel would give a MAC (fe80::, U/L bit flipped, ff:fe inserted). */
export function linkLocal(mac: string): string {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  const w = [((b[0]! ^ 2) << 8) | b[1]!, (b[2]! << 8) | 0xff, 0xfe00 | b[3]!, (b[4]! << 8) | b[5]!];
  return `fe80::${w.map((x) => x.toString(16)).join(':')}`;
}

function must(cmd: string, args: readonly string[]): void {
  const r = sh(cmd, args);
  if (r.rc !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.rc}): ${r.stderr.trim()}`);
}

/** A daemon's namespace with the oracle's links, their veth peers in a namespace of their own. */
class OracleNamespace {
  readonly peers: string;

  constructor(readonly name: string, links: readonly OracleLink[]) {
    this.peers = `${name}p`;
    must('ip', ['netns', 'add', name]);
    try {
      must('ip', ['netns', 'add', this.peers]);
      must('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
      links.forEach((l, i) => {
        must('ip', ['link', 'add', l.name, 'netns', name, 'address', l.mac, 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', this.peers]);
        must('ip', ['-n', this.peers, 'link', 'set', `p${i}`, 'up']);
        // the kernel's own link-local would be tentative for a while: the same address, made by
        // hand without DAD, is usable (and the same in both namespaces) at once
        must('ip', ['-n', name, 'link', 'set', l.name, 'addrgenmode', 'none']);
        for (const a of [...l.addresses, `${linkLocal(l.mac)}/64`]) must('ip', ['-n', name, 'addr', 'add', a, 'dev', l.name, ...(a.includes(':') ? ['nodad'] : [])]);
        must('ip', ['-n', name, 'link', 'set', l.name, 'up']);
      });
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  /**
   * Wait until no address is tentative (the IPv6 link-locals, for a moment after the link
   * comes up even without DAD) and every link is up, so that both daemons start on the same,
   * quiet interfaces.
   */
  async settle(timeoutMs = 5000): Promise<void> {
    await waitUntil(`the links of ${this.name} to settle`, () => {
      const addrs = sh('ip', ['-n', this.name, '-o', 'addr', 'show']).stdout;
      const links = sh('ip', ['-n', this.name, '-o', 'link', 'show']).stdout;
      return !/tentative/.test(addrs) && !/state (?:DOWN|LOWERLAYERDOWN)/.test(links);
    }, timeoutMs);
  }

  destroy(): void {
    for (const ns of [this.name, this.peers]) {
      for (const p of sh('ip', ['netns', 'pids', ns]).stdout.split(/\s+/).filter(Boolean)) {
        try { process.kill(Number(p), 'SIGKILL'); } catch { /* gone */ }
      }
      sh('ip', ['netns', 'del', ns]);
    }
  }
}

/** argv of one daemon in the foreground, VRRP side only, logging to the console. */
function daemonArgv(impl: Implementation, conf: string, configId: string | undefined): string[] {
  const id = configId !== undefined ? ['-i', configId] : [];
  // inside the daemon's mount namespace /tmp is its private directory
  return impl === 'kts'
    ? [process.execPath, ...ktsNodeFlags(), ktsCli(), '-n', '-l', '-D', '-P', '-f', conf, '-p', '/tmp/k.pid', '-r', '/tmp/v.pid', ...id]
    : ['keepalived', '-n', '-l', '-D', '-P', '-f', conf, '-p', '/tmp/k.pid', '-r', '/tmp/v.pid', '-c', '/tmp/c.pid', ...id];
}

/** Private /run and /tmp (from `dir`), then exec the daemon. */
const PRIVATE_MOUNTS = 'd=$1; shift; mount --bind "$d/run" /run && mount --bind "$d/tmp" /tmp && exec "$@"';

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['TMPDIR'];
  delete env['NOTIFY_SOCKET'];
  return env;
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Start one daemon in namespace `ns`, wait for it to settle, signal USR1, read its dump, kill it. */
export async function captureDump(impl: Implementation, ns: string, cfg: OracleConfig, opts: OracleOptions = {}): Promise<DumpCapture> {
  const dir = mkdtempSync(join(tmpdir(), `${ns}-`));
  for (const d of ['tmp', 'run']) mkdirSync(join(dir, d), { mode: 0o755 });
  // a config given as text is the daemon's /tmp/keepalived.conf (the host's /tmp is out of sight)
  let conf = '/tmp/keepalived.conf';
  if (cfg.file !== undefined) conf = resolve(cfg.file);
  else writeFileSync(join(dir, 'tmp', 'keepalived.conf'), cfg.text ?? '');
  const child = spawn('ip', ['netns', 'exec', ns, 'unshare', '-m', '--propagation', 'private', 'sh', '-c', PRIVATE_MOUNTS, 'sh', dir,
    ...daemonArgv(impl, conf, cfg.configId)], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
  const watch = new LineWatch(child);
  const pidFile = join(dir, 'tmp', 'k.pid');
  const dataFile = join(dir, 'tmp', 'keepalived.data');
  try {
    const start = performance.now();
    const limit = opts.startTimeoutMs ?? 8000;
    const left = (): number => Math.max(0, limit - (performance.now() - start));
    await waitUntil(`${impl} to write its pid file`, () => readPid(pidFile) !== undefined || watch.exited, left(), () => watch.tail(20));
    // the first state an instance enters (a daemon that exits instead has nothing to dump)
    const entering = /Entering \w+ STATE/;
    await waitUntil(`${impl} to enter a state`, () => watch.find(entering) !== undefined || watch.exited, left()).catch(() => undefined);
    const entered = watch.find(entering);
    await sleep((entered ? entered.at + (opts.settleMs ?? 1000) : performance.now()) - performance.now());
    const pid = readPid(pidFile);
    let data: string | undefined;
    if (pid !== undefined && !watch.exited) {
      process.kill(pid, 'SIGUSR1');
      await waitUntil(`${impl} to write keepalived.data`, () => existsSync(dataFile), 5000, () => watch.tail(20)).catch(() => undefined);
      // keepalived's VRRP child writes the file after the parent passes the signal on
      await sleep(300);
      data = existsSync(dataFile) ? readFileSync(dataFile, 'utf8') : undefined;
    }
    // how a daemon stops is not what is compared: the namespace's end kills what is left
    return { impl, ...(data !== undefined ? { data } : {}), log: watch.lines.map((l) => l.text) };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run both daemons on `cfg`, side by side, each in a namespace of its own; diff their normalised dumps. */
export async function compareDumps(cfg: OracleConfig, opts: OracleOptions = {}): Promise<DumpComparison> {
  const links = opts.links ?? ORACLE_LINKS;
  const prefix = `${opts.tag ?? 'ktsdo'}${randomBytes(3).toString('hex')}`;
  const made: OracleNamespace[] = [];
  try {
    for (const side of ['k', 't']) made.push(new OracleNamespace(`${prefix}${side}`, links));
    await Promise.all(made.map((n) => n.settle()));
    const [keepalived, kts] = await Promise.all([
      captureDump('keepalived', made[0]!.name, cfg, opts),
      captureDump('kts', made[1]!.name, cfg, opts),
    ]);
    const diff = diffLines(normaliseDump(keepalived.data ?? ''), normaliseDump(kts.data ?? ''));
    return { keepalived, kts, diff };
  } finally {
    for (const n of made) n.destroy();
  }
}
