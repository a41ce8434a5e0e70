/**
 * Whether the routing daemon that advertises the announce table runs (issue 21): the announcer
 * does not need it to (its routes wait in the kernel table, and a daemon that starts or restarts
 * reads them), but an operator needs to hear that the routers lose the announcements when it
 * stops, and the announcer checks its table again when it comes back.
 *
 * A daemon is a process whose name (/proc/PID/comm) is one of the watched names and that runs
 * in this process's network namespace (its /proc/PID/ns/net is ours): on a host of several
 * namespaces, the bgpd of another namespace advertises another table. The process found is
 * looked at again by its pid; /proc is scanned only while none is known.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

/** The routing daemons looked for when `announce_daemon` is not given: FRR, BIRD 2, GoBGP. */
export const DEFAULT_ROUTING_DAEMONS: readonly string[] = ['bgpd', 'bird', 'gobgpd'];

export interface RoutingDaemonSeen {
  readonly name: string;
  readonly pid: number;
}

/** The watch's findings: `was` is undefined at the first look. */
export type RoutingDaemonChange = (now: RoutingDaemonSeen | undefined, was: RoutingDaemonSeen | undefined, first: boolean) => void;

/** What the announcer uses of a watch (tests give it a fake). */
export interface RoutingDaemonWatcher {
  setNames(names: readonly string[]): void;
  current(): RoutingDaemonSeen | undefined;
  watched(): readonly string[];
  start(): void;
  stop(): void;
}

/** How often the watch looks (ms). */
export const ROUTING_DAEMON_POLL_MS = 2000;

export class RoutingDaemonWatch implements RoutingDaemonWatcher {
  private seen: RoutingDaemonSeen | undefined;
  private looked = false;
  private timer: NodeJS.Timeout | undefined;
  private looking = false;
  private ownNet: string | undefined;

  constructor(
    private names: readonly string[],
    private readonly onChange: RoutingDaemonChange,
    private readonly procDir = '/proc',
  ) {}

  /** The names watched (a reload may change them; the daemon found is kept if still named). */
  setNames(names: readonly string[]): void {
    this.names = names;
  }

  /** What was found at the last look (undefined before the first). */
  current(): RoutingDaemonSeen | undefined {
    return this.seen;
  }

  watched(): readonly string[] {
    return this.names;
  }

  start(intervalMs = ROUTING_DAEMON_POLL_MS): void {
    if (this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look; reports a change (and the first look) to onChange. */
  async tick(): Promise<void> {
    if (this.looking) return;
    this.looking = true;
    try {
      const now = await this.look();
      const was = this.seen;
      const first = !this.looked;
      this.looked = true;
      this.seen = now;
      if (first || now?.pid !== was?.pid) this.onChange(now, was, first);
    } finally {
      this.looking = false;
    }
  }

  private async look(): Promise<RoutingDaemonSeen | undefined> {
    this.ownNet ??= await readlink(`${this.procDir}/self/ns/net`).catch(() => '');
    if (this.seen && (await this.matches(this.seen.pid)) === this.seen.name) return this.seen;
    let pids: string[];
    try {
      pids = await readdir(this.procDir);
    } catch {
      return undefined;
    }
    for (const p of pids) {
      if (!/^\d+$/.test(p)) continue;
      const name = await this.matches(Number(p));
      if (name !== undefined) return { name, pid: Number(p) };
    }
    return undefined;
  }

  /** The watched name process PID runs under, if it runs in our network namespace. */
  private async matches(pid: number): Promise<string | undefined> {
    const comm = (await readFile(`${this.procDir}/${pid}/comm`, 'utf8').catch(() => '')).trim();
    if (!this.names.includes(comm)) return undefined;
    const net = await readlink(`${this.procDir}/${pid}/ns/net`).catch(() => undefined);
    return net !== undefined && net === this.ownNet ? comm : undefined;
  }
}
