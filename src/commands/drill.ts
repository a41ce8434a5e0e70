/**
 * `keepalived-ts drill`: a failover drill against a running pair, from a client's point of view.
 * Run on a host on the VIP's network (not on a director: there the VIP is local). It probes the
 * VIP every 10 ms (ICMP echo, or a TCP connect), listens to the VRRP adverts of the VRID and
 * watches for gratuitous ARPs (tcpdump), then runs the trigger command (for example
 * `ssh lb1 keepalived-ts handover VI_1`, or `ssh lb1 systemctl stop keepalived`), waits for the
 * new master, and, with --restore, runs the restore command and measures the way back. It
 * prints a report (drill-report.ts) and writes it as JSON with --json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { closePingSockets } from '../io/probes.js';
import { pingProbe } from '../io/probe-ping.js';
import { Vrrp4Socket } from '../io/vrrp-socket4.js';
import { formatIp, parseIp } from '../util/ip.js';
import { formatDrill, phaseReport, type AdvertSample, type PhaseReport, type ProbeSample } from './drill-report.js';

const USAGE = [
  'Usage: keepalived-ts drill --vip ADDR --vrid N --interface IF --trigger CMD [--restore CMD]',
  '                           [--probe icmp|tcp:PORT] [--interval-ms 10] [--timeout S] [--settle S] [--json FILE]',
  '  Run it on a client host on the VIP\'s network. CMD runs with sh -c.',
].join('\n');

interface DrillArgs {
  vip: string;
  vrid: number;
  ifname: string;
  trigger: string;
  restore?: string;
  probe: { kind: 'icmp' } | { kind: 'tcp'; port: number };
  intervalMs: number;
  timeoutMs: number;
  settleMs: number;
  json?: string;
}

function parse(argv: string[]): DrillArgs | string {
  const a: Partial<DrillArgs> = { probe: { kind: 'icmp' }, intervalMs: 10, timeoutMs: 15_000, settleMs: 2000 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[i + 1];
    const take = (): string => {
      i++;
      if (v === undefined) throw new Error(`${k} needs a value`);
      return v;
    };
    try {
      switch (k) {
        case '--vip': a.vip = take(); break;
        case '--vrid': a.vrid = Number(take()); break;
        case '--interface': a.ifname = take(); break;
        case '--trigger': a.trigger = take(); break;
        case '--restore': a.restore = take(); break;
        case '--interval-ms': a.intervalMs = Number(take()); break;
        case '--timeout': a.timeoutMs = Number(take()) * 1000; break;
        case '--settle': a.settleMs = Number(take()) * 1000; break;
        case '--json': a.json = take(); break;
        case '--probe': {
          const p = take();
          const m = /^tcp:(\d+)$/.exec(p);
          if (p === 'icmp') a.probe = { kind: 'icmp' };
          else if (m && Number(m[1]) > 0 && Number(m[1]) < 65536) a.probe = { kind: 'tcp', port: Number(m[1]) };
          else return `--probe must be icmp or tcp:PORT, not ${p}`;
          break;
        }
        case '-h': case '--help': return '';
        default: return `unknown option ${k}`;
      }
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (!a.vip || parseIp(a.vip)?.family !== 'inet') return '--vip must be an IPv4 address';
  if (!Number.isInteger(a.vrid) || a.vrid! < 1 || a.vrid! > 255) return '--vrid must be 1..255';
  if (!a.ifname) return '--interface is needed';
  if (!a.trigger) return '--trigger is needed';
  if (!(a.intervalMs! >= 1) || !(a.timeoutMs! > 0) || !(a.settleMs! >= 0)) return 'invalid interval, timeout or settle time';
  return a as DrillArgs;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const now = (): number => performance.now();

class Watchers {
  readonly probes: ProbeSample[] = [];
  readonly adverts: AdvertSample[] = [];
  readonly garps: number[] = [];
  garpWatch = false;
  private timer: NodeJS.Timeout | undefined;
  private inflight = new Set<Promise<void>>();
  private sock: Vrrp4Socket | undefined;
  private tcpdump: ChildProcess | undefined;

  constructor(private readonly a: DrillArgs) {}

  start(): void {
    const a = this.a;
    const ifindex = Number(readFileSync(`/sys/class/net/${a.ifname}/ifindex`, 'utf8'));
    this.sock = new Vrrp4Socket({
      ifname: a.ifname, ifindex, groups: [parseIp('224.0.0.18')!.bytes],
      onPacket: (d) => {
        const ihl = (d[0]! & 0x0f) * 4;
        if (d[9] !== 112 || d.length < ihl + 8 || d[ihl + 1] !== a.vrid) return;
        this.adverts.push({ at: now(), src: formatIp(d.subarray(12, 16)), priority: d[ihl + 2]! });
      },
    });
    const td = spawn('tcpdump', ['-l', '-n', '-i', a.ifname, 'arp'], { stdio: ['ignore', 'pipe', 'ignore'] });
    td.on('error', () => { this.garpWatch = false; });
    this.garpWatch = true;
    let buf = '';
    const vip = a.vip.replace(/\./g, '\\.');
    // tcpdump -n: "Request who-has VIP (Broadcast) tell VIP" (the target MAC only when set)
    const gratuitous = new RegExp(`who-has ${vip} (\\([^)]*\\) )?tell ${vip}\\b|Reply ${vip} is-at`);
    td.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (gratuitous.test(line)) this.garps.push(now());
      }
    });
    this.tcpdump = td;
    this.timer = setInterval(() => this.probe(), a.intervalMs);
  }

  private probe(): void {
    const sentAt = now();
    const a = this.a;
    const p = (a.probe.kind === 'icmp'
      ? pingProbe({ family: 'inet', host: a.vip, port: 0, timeoutMs: 1000 }).then((r) => r.ok)
      : tcpProbe(a.vip, a.probe.port, 1000)
    ).then((ok) => { this.probes.push({ sentAt, ok }); });
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** The master heard last (priority > 0). */
  master(): string | undefined {
    for (let i = this.adverts.length - 1; i >= 0; i--) if (this.adverts[i]!.priority > 0) return this.adverts[i]!.src;
    return undefined;
  }

  /** The last `n` probes all answered. */
  steady(n: number): boolean {
    const done = [...this.probes].sort((x, y) => x.sentAt - y.sentAt).slice(-n);
    return done.length === n && done.every((s) => s.ok);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.inflight]);
    this.sock?.close();
    this.tcpdump?.kill('SIGTERM');
    closePingSockets();
  }
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean): void => { s.destroy(); resolve(ok); };
    s.once('connect', () => done(true));
    s.once('timeout', () => done(false));
    s.once('error', () => done(false));
  });
}

function run(cmd: string): Promise<number | null> {
  return new Promise((resolve) => {
    const c = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'inherit', 'inherit'] });
    c.on('exit', (code) => resolve(code));
    c.on('error', () => resolve(null));
  });
}

/** One phase: run `cmd`, wait for a master other than `from` and a steady client, then settle. */
async function phase(w: Watchers, a: DrillArgs, cmd: string, want: (m: string | undefined) => boolean): Promise<{ triggerAt: number; endAt: number; ok: boolean; rc: number | null }> {
  const triggerAt = now();
  const rc = await run(cmd);
  const deadline = triggerAt + a.timeoutMs;
  let ok = false;
  while (now() < deadline) {
    if (want(w.master()) && w.steady(Math.max(5, Math.ceil(200 / a.intervalMs)))) {
      ok = true;
      break;
    }
    await sleep(20);
  }
  await sleep(a.settleMs);
  return { triggerAt, endAt: now(), ok, rc };
}

export async function drillCommand(argv: string[]): Promise<number> {
  const a = parse(argv);
  if (typeof a === 'string') {
    if (a) process.stderr.write(`keepalived-ts drill: ${a}\n`);
    process.stderr.write(`${USAGE}\n`);
    return a ? 1 : 0;
  }
  const w = new Watchers(a);
  try {
    w.start();
  } catch (e) {
    process.stderr.write(`keepalived-ts drill: ${(e as Error).message}\n`);
    await w.stop();
    return 1;
  }
  const phases: { name: string; triggerAt: number; endAt: number; ok: boolean }[] = [];
  let failed = false;
  try {
    // a baseline: one master, the client steady
    const t0 = now();
    while (now() - t0 < a.timeoutMs && !(w.master() && w.steady(20))) await sleep(50);
    const original = w.master();
    if (!original || !w.steady(20)) {
      process.stderr.write(`keepalived-ts drill: no steady master for VRID ${a.vrid} with the VIP answering before the trigger\n`);
      return 1;
    }
    const p1 = await phase(w, a, a.trigger, (m) => m !== undefined && m !== original);
    phases.push({ name: 'failover', ...p1 });
    failed ||= !p1.ok;
    if (a.restore) {
      const p2 = await phase(w, a, a.restore, (m) => m === original);
      phases.push({ name: 'restore', ...p2 });
      failed ||= !p2.ok;
    }
  } finally {
    await w.stop();
  }
  const reports: PhaseReport[] = phases.map((p) => phaseReport({
    name: p.name, triggerAt: p.triggerAt, endAt: p.endAt, probes: w.probes, adverts: w.adverts, garps: w.garps, intervalMs: a.intervalMs,
  }));
  process.stdout.write(`${formatDrill(a.vip, reports)}\n`);
  if (!w.garpWatch) process.stdout.write('  (tcpdump not available: GARPs not watched)\n');
  if (a.json) {
    writeFileSync(a.json, `${JSON.stringify({
      vip: a.vip, vrid: a.vrid, interface: a.ifname, probe: a.probe, intervalMs: a.intervalMs, at: new Date().toISOString(),
      phases: reports.map((r, i) => ({ ...r, completed: phases[i]!.ok })),
    }, null, 2)}\n`, { mode: 0o644 });
  }
  return failed || reports.some((r) => r.splitBrain) ? 1 : 0;
}
