/**
 * The BFD sessions of the `bfd_instance` blocks, run in the VRRP process: the sans-I/O
 * sessions of src/bfd/ driven by timers, their packets moved by a transport (UDP port 3784,
 * src/io/bfd-socket.ts), and each Up / Down passed on to the VRRP engine (track_bfd).
 *
 * Why in the VRRP process rather than a process of its own as keepalived has: the only user
 * of a session's state in this process is the VRRP engine, one function call away; a session
 * at keepalived's fastest defaults (10 ms) costs a timer and a 24-byte datagram per 10 ms,
 * which the VRRP process's loop carries beside adverts at 1 s (bench/RESULTS.md "bfd").
 *
 * Log lines are keepalived's (bfd_scheduler.c): "(NAME) Entering Up state", "(NAME) Entering
 * Down state (Local diagnostic - ..., Remote diagnostic - ...)", "(NAME) Expired after N ms".
 * A packet that no session takes, or that fails to decode, is counted by reason, never fatal.
 *
 * One timer for all sessions, and every wake-up shared: on this VM a wake-up of the process
 * costs more than everything done in it (bench/RESULTS.md "bfd"), so whenever the runner is
 * awake (a datagram, or the timer of the earliest session) it also sends every periodic
 * packet whose jitter window is open (the session's `awake` input), instead of waking again
 * for each session at the random point within its window.
 */
import type { Logger } from 'pino';
import { randomInt } from 'node:crypto';
import type { BfdInstance } from '../config/model.js';
import { decodeControl, DIAG_NAMES, encodeControl } from '../bfd/packet.js';
import { BfdSession } from '../bfd/session.js';
import type { BfdStep, BfdTimerConfig } from '../bfd/types.js';
import { formatIp } from '../util/ip.js';
import { BfdSockets } from '../io/bfd-socket.js';

/** Moves a session's packets: one sending socket per session, one listener per family. */
export interface BfdTransport {
  /** the session's sending socket (source port from 49152-65535, this TTL) */
  open(name: string, family: 'inet' | 'inet6', source: string | undefined, ttl: number): void;
  send(name: string, data: Uint8Array, neighbor: string): void;
  /** forget the session's socket */
  release(name: string): void;
  close(): void;
}

/** A received datagram on port 3784, with what its ancillary data said. */
export interface BfdDatagram {
  readonly data: Uint8Array;
  readonly src: string;
  readonly dst: string;
  readonly ttl: number | undefined;
}

interface Running {
  cfg: BfdInstance;
  readonly session: BfdSession;
  /** the neighbour and source as text, formatted once (every packet compares or sends to them) */
  readonly neighbor: string;
  readonly source: string | undefined;
  /** the session's next deadline (any timer of it), undefined for none */
  deadline?: number | undefined;
}

const timersOf = (b: BfdInstance): BfdTimerConfig => ({
  desiredMinTxIntervalUs: b.minTxUs, requiredMinRxIntervalUs: b.minRxUs, idleTxIntervalUs: b.idleTxUs, detectMult: b.multiplier,
});

/** Same session across a reload: same neighbour, source and TTL handling. */
const sameEndpoints = (r: Running, b: BfdInstance): boolean =>
  r.neighbor === formatIp(b.neighborIp) && r.source === (b.sourceIp ? formatIp(b.sourceIp) : undefined)
  && r.cfg.ttl === b.ttl && r.cfg.maxHops === b.maxHops && r.cfg.passive === b.passive;

export class BfdRunner {
  private readonly sessions = new Map<string, Running>();
  /** the demultiplexer's indexes: sessions by local discriminator, and by neighbour address */
  private readonly byDiscr = new Map<number, Running>();
  private readonly byNeighbor = new Map<string, Running[]>();
  /** received datagrams dropped, by reason (decode reasons, 'no-session', the session's own) */
  readonly dropped = new Map<string, number>();
  private stopped = false;
  /** the one timer, and the deadline it is armed for */
  private timer: NodeJS.Timeout | undefined;
  private armedAt: number | undefined;

  constructor(
    private readonly transport: BfdTransport,
    private readonly log: Logger,
    /** a session went Up or Down (keepalived's event to the VRRP process) */
    private readonly report: (name: string, up: boolean) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Start the sessions of a configuration, or move to a reloaded one (a session kept keeps its state). */
  set(instances: readonly BfdInstance[]): void {
    const wanted = new Map(instances.map((b) => [b.name, b]));
    for (const [name, r] of this.sessions) {
      const next = wanted.get(name);
      if (next && sameEndpoints(r, next)) continue;
      this.remove(name);
    }
    for (const b of instances) {
      const kept = this.sessions.get(b.name);
      if (kept) {
        kept.cfg = b;
        this.apply(b.name, kept.session.handle(this.now(), { type: 'configure', timers: timersOf(b) }));
        continue;
      }
      const neighbor = formatIp(b.neighborIp);
      const source = b.sourceIp ? formatIp(b.sourceIp) : undefined;
      // the session asks for its discriminator as it is made (and again when it falls from Up)
      let r: Running | undefined;
      const session = new BfdSession({
        name: b.name, desiredMinTxIntervalUs: b.minTxUs, requiredMinRxIntervalUs: b.minRxUs, idleTxIntervalUs: b.idleTxUs,
        detectMult: b.multiplier, passive: b.passive, ttl: b.ttl, maxHops: b.maxHops,
      }, { random: Math.random, newDiscriminator: () => this.newDiscriminator(() => r) });
      r = { cfg: b, session, neighbor, source };
      this.byDiscr.set(session.localDiscriminator, r);
      this.byNeighbor.set(neighbor, [...(this.byNeighbor.get(neighbor) ?? []), r]);
      this.transport.open(b.name, b.neighborIp.family, source, b.ttl);
      this.sessions.set(b.name, r);
      this.apply(b.name, session.handle(this.now(), { type: 'start' }));
    }
    this.arm();
  }

  /** A datagram on port 3784: to the session it names (Your Discriminator), else by addresses. */
  receive(d: BfdDatagram): void {
    if (this.stopped) return;
    const decoded = decodeControl(d.data);
    if (!decoded.ok) return this.drop(decoded.error.reason);
    const p = decoded.value;
    const target = p.yourDiscriminator !== 0 ? this.byDiscr.get(p.yourDiscriminator) : this.byAddress(d.src, d.dst);
    if (!target) return this.drop('no-session');
    // RFC 5880 §6.8.6: a packet naming a session must come from its neighbour too
    if (target.neighbor !== d.src) return this.drop('wrong-source');
    const now = this.now();
    this.apply(target.cfg.name, target.session.handle(now, { type: 'packet', packet: p, ...(d.ttl !== undefined ? { ttl: d.ttl } : {}) }));
    this.sweep(now);
  }

  /** The session of a neighbour (and of the local address, for one with a source_ip). */
  private byAddress(src: string, dst: string): Running | undefined {
    const list = this.byNeighbor.get(src) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const r = list[i]!;
      if (r.source === undefined || r.source === dst) return r;
    }
    return undefined;
  }

  /** Whether session `name` is Up (false for one that is not running). */
  isUp(name: string): boolean {
    return this.sessions.get(name)?.session.vars.sessionState === 'Up';
  }

  /** Session states for the status API and the data dump. */
  states(): { name: string; state: string; localDiscr: number; remoteDiscr: number; detectionTimeUs: number }[] {
    return [...this.sessions.values()].map((r) => {
      const v = r.session.vars;
      return { name: r.cfg.name, state: v.sessionState, localDiscr: v.localDiscr, remoteDiscr: v.remoteDiscr, detectionTimeUs: v.detectionTimeUs };
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const name of [...this.sessions.keys()]) this.remove(name);
    this.transport.close();
  }

  private remove(name: string): void {
    const r = this.sessions.get(name);
    if (!r) return;
    this.sessions.delete(name);
    this.byDiscr.delete(r.session.localDiscriminator);
    const same = (this.byNeighbor.get(r.neighbor) ?? []).filter((x) => x !== r);
    if (same.length) this.byNeighbor.set(r.neighbor, same);
    else this.byNeighbor.delete(r.neighbor);
    this.transport.release(name);
  }

  private apply(name: string, step: BfdStep): void {
    const r = this.sessions.get(name);
    if (!r || this.stopped) return;
    for (const e of step.effects) {
      switch (e.type) {
        case 'send':
          this.transport.send(name, encodeControl(e.packet), r.neighbor);
          break;
        case 'stateChange':
          if (e.to === 'Up') this.log.info({ bfd: name, from: e.from, to: e.to }, `(${name}) Entering Up state`);
          else if (e.from === 'Up' || e.to === 'AdminDown') {
            if (e.silentForMs !== undefined) this.log.warn({ bfd: name, silentForMs: e.silentForMs }, `(${name}) Expired after ${Math.round(e.silentForMs)} ms`);
            this.log.warn({ bfd: name, from: e.from, to: e.to, diag: e.diag, remoteDiag: e.remoteDiag },
              `(${name}) Entering ${e.to} state (Local diagnostic - ${DIAG_NAMES[e.diag]}, Remote diagnostic - ${DIAG_NAMES[e.remoteDiag]})`);
          } else this.log.debug({ bfd: name, from: e.from, to: e.to }, `(${name}) Entering ${e.to} state`);
          break;
        case 'report':
          this.report(name, e.state === 'Up');
          break;
        case 'detectionTime':
          this.log.info({ bfd: name, detectionTimeMs: e.detectionTimeMs, previousMs: e.previousMs },
            `(${name}) Detection time is ${Math.round(e.detectionTimeMs * 1000)} us (was ${Math.round(e.previousMs * 1000)} us)`);
          break;
        case 'drop':
          this.drop(e.reason);
          break;
      }
    }
    r.deadline = step.deadline;
  }

  /**
   * The runner is awake at `now`: every session whose deadline has come runs its timers, and
   * every other one whose transmit window is open sends now; then the timer is armed for the
   * earliest deadline left.
   */
  private sweep(now: number): void {
    for (const r of this.sessions.values()) {
      if (r.deadline !== undefined && r.deadline <= now) this.apply(r.cfg.name, r.session.handle(now, { type: 'timer' }));
      const opens = r.session.txWindowOpensMs;
      if (opens !== undefined && opens <= now) this.apply(r.cfg.name, r.session.handle(now, { type: 'awake' }));
    }
    this.arm();
  }

  /** (Re)arm the one timer for the earliest deadline of all sessions, if that moved. */
  private arm(): void {
    let next: number | undefined;
    for (const r of this.sessions.values()) if (r.deadline !== undefined && (next === undefined || r.deadline < next)) next = r.deadline;
    if (next === this.armedAt || this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = next;
    if (next === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.armedAt = undefined;
      this.sweep(this.now());
    }, Math.max(0, next - this.now()));
  }

  private drop(reason: string): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  /**
   * A nonzero discriminator no session of this process uses, indexed for the session that
   * asks (`owner`: undefined while the session is being made; it is indexed then).
   */
  private newDiscriminator(owner: () => Running | undefined): number {
    for (;;) {
      const d = randomInt(1, 0xffffffff);
      if (this.byDiscr.has(d)) continue;
      const r = owner();
      if (r) {
        this.byDiscr.delete(r.session.localDiscriminator);
        this.byDiscr.set(d, r);
      }
      return d;
    }
  }
}

/** What the runner needs of src/io/bfd-socket.ts's BfdSockets. */
export interface BfdSocketsPort {
  listen(family: 4 | 6): { ok: boolean };
  openSession(key: string, o: { family: 4 | 6; source?: string; ttl?: number }): Promise<{ ok: boolean }>;
  send(key: string, bytes: Uint8Array, peer: string): { ok: boolean };
  closeSession(key: string): void;
  close(): void;
}

/**
 * The runner's transport on the UDP sockets: the listener of a family opens with its first
 * session; a session's packets before its socket is bound are dropped (the session sends
 * again at its next interval) and counted.
 */
export function socketTransport(sockets: BfdSocketsPort, log: Logger): BfdTransport & { readonly unsent: () => number } {
  const listening = new Set<4 | 6>();
  const ready = new Set<string>();
  let unsent = 0;
  return {
    open: (name, family, source, ttl) => {
      const fam = family === 'inet' ? 4 : 6;
      if (!listening.has(fam)) {
        listening.add(fam);
        if (!sockets.listen(fam).ok) log.error({ family: fam }, `Unable to open listening socket (IPv${fam}, port 3784)`);
      }
      void sockets.openSession(name, { family: fam, ...(source ? { source } : {}), ttl }).then((r) => {
        if (r.ok) ready.add(name);
        else log.error({ bfd: name }, `(${name}) Unable to open output socket`);
      });
    },
    send: (name, data, neighbor) => {
      if (!ready.has(name) || !sockets.send(name, data, neighbor).ok) unsent++;
    },
    release: (name) => {
      ready.delete(name);
      sockets.closeSession(name);
    },
    close: () => sockets.close(),
    unsent: () => unsent,
  };
}

/**
 * A runner on UDP sockets (src/io/bfd-socket.ts), for the process that runs the sessions: the
 * VRRP process, or with `-C` the checker process (keepalived's `-C` keeps its BFD process).
 */
export function bfdOnSockets(log: Logger, report: (name: string, up: boolean) => void): BfdRunner {
  let runner: BfdRunner | undefined;
  const sockets = new BfdSockets({
    onPacket: (data, info) => runner?.receive({ data, src: info.src, dst: info.dst, ttl: info.ttl > 0 ? info.ttl : undefined }),
    log,
  });
  runner = new BfdRunner(socketTransport(sockets, log), log, report);
  return runner;
}
