/**
 * A throw-away network lab in network namespaces: one "switch" namespace holding a bridge,
 * and hosts whose eth0 is a veth into that bridge. Every name carries a unique prefix and
 * `destroy()` removes every namespace (and with them every veth and process's network), so
 * nothing is left behind even when a test fails. Used by the netns / interop tests, the
 * failover benchmark and `keepalived-ts lab`. Needs root.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface HostSpec {
  readonly name: string;
  /** addresses for eth0, with prefix (e.g. 10.9.0.11/24, fd00::11/64) */
  readonly addresses: readonly string[];
  /** MAC for eth0 (default: kernel random) */
  readonly mac?: string;
}

export interface Host {
  readonly name: string;
  readonly ns: string;
  /** the veth end on the bridge (pulling it down takes the host's carrier away) */
  readonly port: string;
  mac: string;
}

export interface ExecResult {
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function sh(cmd: string, args: readonly string[], timeoutMs = 20_000): ExecResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  return { rc: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function must(cmd: string, args: readonly string[]): string {
  const r = sh(cmd, args);
  if (r.rc !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.rc}): ${r.stderr.trim()}`);
  return r.stdout;
}

export class NetLab {
  readonly prefix: string;
  readonly sw: string;
  readonly hosts = new Map<string, Host>();
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;

  constructor(tag = 'kts') {
    this.prefix = `${tag}${randomBytes(3).toString('hex')}`;
    this.sw = `${this.prefix}-sw`;
    must('ip', ['netns', 'add', this.sw]);
    must('ip', ['-n', this.sw, 'link', 'add', 'br0', 'type', 'bridge', 'forward_delay', '0']);
    // multicast snooping would hold back VRRP / NA multicast until a querier is seen
    must('ip', ['-n', this.sw, 'link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    must('ip', ['-n', this.sw, 'link', 'set', 'br0', 'up']);
  }

  addHost(spec: HostSpec): Host {
    const ns = `${this.prefix}-${spec.name}`;
    const port = `p${this.hosts.size}`;
    must('ip', ['netns', 'add', ns]);
    must('ip', ['link', 'add', 'eth0', 'netns', ns, ...(spec.mac ? ['address', spec.mac] : []),
      'type', 'veth', 'peer', 'name', port, 'netns', this.sw]);
    must('ip', ['-n', this.sw, 'link', 'set', port, 'master', 'br0', 'up']);
    must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // no DAD delay on the lab's addresses
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.eth0.accept_dad=0']);
    for (const a of spec.addresses) {
      must('ip', ['-n', ns, 'addr', 'add', a, 'dev', 'eth0', ...(a.includes(':') ? ['nodad'] : [])]);
    }
    must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    const mac = JSON.parse(must('ip', ['-n', ns, '-j', 'link', 'show', 'eth0']))[0].address as string;
    const host: Host = { name: spec.name, ns, port, mac };
    this.hosts.set(spec.name, host);
    return host;
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  /** Run a command in a host's namespace and wait for it. */
  exec(host: string, cmd: string, args: readonly string[], timeoutMs?: number): ExecResult {
    return sh('ip', ['netns', 'exec', this.host(host).ns, cmd, ...args], timeoutMs);
  }

  /** Start a long-running command in a host's namespace; killed by destroy(). */
  spawn(host: string, cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess {
    return this.spawnIn(this.host(host).ns, cmd, args, env);
  }

  /** Start a long-running command in the switch namespace (e.g. tcpdump on br0). */
  spawnSwitch(cmd: string, args: readonly string[]): ChildProcess {
    return this.spawnIn(this.sw, cmd, args);
  }

  private spawnIn(ns: string, cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Take a host's carrier away (or give it back) by setting its bridge port down / up. */
  setCarrier(host: string, up: boolean): void {
    must('ip', ['-n', this.sw, 'link', 'set', this.host(host).port, up ? 'up' : 'down']);
  }

  /** The client's neighbour entry for `ip` (lladdr), if any. */
  neighbour(host: string, ip: string): string | undefined {
    const out = this.exec(host, 'ip', ['-j', 'neigh', 'show', ip]).stdout;
    try {
      const list = JSON.parse(out || '[]') as { lladdr?: string }[];
      return list[0]?.lladdr;
    } catch {
      return undefined;
    }
  }

  /** Addresses on a host's interface (`ip -j addr`), as "addr/prefix". */
  addresses(host: string, dev = 'eth0'): string[] {
    const out = this.exec(host, 'ip', ['-j', 'addr', 'show', 'dev', dev]).stdout;
    const list = JSON.parse(out || '[]') as { addr_info?: { local: string; prefixlen: number }[] }[];
    return (list[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  }

  /** Whether `ip` (any prefix) is on a host's interface. */
  hasAddress(host: string, ip: string, dev = 'eth0'): boolean {
    return this.addresses(host, dev).some((a) => a.startsWith(`${ip}/`));
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const waits: Promise<void>[] = [];
    for (const c of this.children) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      waits.push(new Promise((resolve) => {
        const t = setTimeout(resolve, 3000);
        c.once('exit', () => { clearTimeout(t); resolve(); });
      }));
      try { c.kill('SIGKILL'); } catch { /* gone */ }
    }
    await Promise.all(waits);
    // processes started with `ip netns exec` whose parent died: kill whatever is left
    for (const h of [...this.hosts.values()].map((x) => x.ns).concat(this.sw)) {
      const pids = sh('ip', ['netns', 'pids', h]).stdout.split(/\s+/).filter(Boolean);
      for (const p of pids) {
        try { process.kill(Number(p), 'SIGKILL'); } catch { /* gone */ }
      }
      sh('ip', ['netns', 'del', h]);
    }
  }
}

/** Every lab namespace left on the machine by a crashed run of this prefix tag. */
export function leftoverNamespaces(tag: string): string[] {
  return sh('ip', ['netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(tag));
}
