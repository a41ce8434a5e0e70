// Helpers for the BFD session tests: a configured session, packets from a fake remote, and a
// two-node link on a fake clock whose packets go through the codec.
import { decodeControl, encodeControl, type ControlPacket } from '../../../src/bfd/packet.js';
import { BfdSession } from '../../../src/bfd/session.js';
import { BFD_DEFAULTS } from '../../../src/bfd/timers.js';
import type { BfdEffect, BfdInput, BfdSessionConfig, BfdStep } from '../../../src/bfd/types.js';
import { prng } from '../../../src/util/prng.js';

export function config(extra: Partial<BfdSessionConfig> = {}): BfdSessionConfig {
  return { name: 'B1', ...BFD_DEFAULTS, passive: false, ttl: 255, ...extra };
}

/** Discriminators base+1, base+2, ... so tests can tell them apart. */
export function makeSession(extra: Partial<BfdSessionConfig> = {}, opts: { base?: number; random?: () => number } = {}): BfdSession {
  let n = opts.base ?? 0x100;
  return new BfdSession(config(extra), { random: opts.random ?? prng(1), newDiscriminator: () => ++n });
}

/** A packet as a remote running keepalived's defaults would send it. */
export function remote(extra: Partial<ControlPacket> = {}): ControlPacket {
  return {
    diag: 0, state: 'Down', poll: false, final: false, controlPlaneIndependent: false, demand: false,
    detectMult: 5, myDiscriminator: 0xabc, yourDiscriminator: 0,
    desiredMinTxIntervalUs: 1_000_000, requiredMinRxIntervalUs: 10_000, requiredMinEchoRxIntervalUs: 0, ...extra,
  };
}

export const sends = (s: BfdStep): ControlPacket[] =>
  s.effects.flatMap((e) => (e.type === 'send' ? [e.packet] : []));
export const ofType = <T extends BfdEffect['type']>(s: BfdStep, type: T): Extract<BfdEffect, { type: T }>[] =>
  s.effects.filter((e): e is Extract<BfdEffect, { type: T }> => e.type === type);

export interface Logged {
  readonly atMs: number;
  readonly node: 'a' | 'b';
  readonly effect: BfdEffect;
}

/**
 * Two sessions joined by a link with a one-way delay. Timers fire at the first tick (of
 * `tickMs`) at or after their deadline, like a real timer with that granularity.
 */
export class Link {
  nowMs = 0;
  readonly log: Logged[] = [];
  /** a node whose packets are lost */
  readonly silent = { a: false, b: false };
  private readonly inFlight: { atMs: number; to: 'a' | 'b'; data: Uint8Array }[] = [];
  private readonly deadline: { a: number | undefined; b: number | undefined } = { a: undefined, b: undefined };

  constructor(readonly a: BfdSession, readonly b: BfdSession, readonly delayMs = 1, readonly tickMs = 1) {}

  input(node: 'a' | 'b', input: BfdInput): void {
    const step = this[node].handle(this.nowMs, input);
    this.deadline[node] = step.deadline;
    for (const effect of step.effects) {
      this.log.push({ atMs: this.nowMs, node, effect });
      if (effect.type === 'send' && !this.silent[node]) {
        this.inFlight.push({ atMs: this.nowMs + this.delayMs, to: node === 'a' ? 'b' : 'a', data: encodeControl(effect.packet) });
      }
    }
  }

  private fireAt(d: number | undefined): number {
    return d === undefined ? Infinity : Math.ceil(d / this.tickMs - 1e-9) * this.tickMs;
  }

  /** Runs every event up to and including `untilMs`. */
  run(untilMs: number): void {
    for (let guard = 0; ; guard++) {
      if (guard > 1_000_000) throw new Error('simulation does not settle');
      const next = Math.min(this.fireAt(this.deadline.a), this.fireAt(this.deadline.b), ...this.inFlight.map((p) => p.atMs));
      if (next > untilMs) break;
      this.nowMs = Math.max(this.nowMs, next);
      const due = this.inFlight.filter((p) => p.atMs <= this.nowMs);
      this.inFlight.splice(0, this.inFlight.length, ...this.inFlight.filter((p) => p.atMs > this.nowMs));
      for (const p of due) {
        const r = decodeControl(p.data);
        if (!r.ok) throw new Error(`undecodable packet: ${r.error.reason}`);
        this.input(p.to, { type: 'packet', packet: r.value, ttl: 255 });
      }
      for (const node of ['a', 'b'] as const) {
        if (this.fireAt(this.deadline[node]) <= this.nowMs) this.input(node, { type: 'timer' });
      }
    }
    this.nowMs = untilMs;
  }

  start(): void {
    this.input('a', { type: 'start' });
    this.input('b', { type: 'start' });
  }

  /** 'from->to' for each state change of a node */
  transitions(node: 'a' | 'b'): string[] {
    return this.log.flatMap((l) => (l.node === node && l.effect.type === 'stateChange' ? [`${l.effect.from}->${l.effect.to}`] : []));
  }

  reports(node: 'a' | 'b'): string[] {
    return this.log.flatMap((l) => (l.node === node && l.effect.type === 'report' ? [l.effect.state] : []));
  }

  /** packets a node sent in [fromMs, toMs] */
  sent(node: 'a' | 'b', fromMs = 0, toMs = Infinity): { atMs: number; packet: ControlPacket }[] {
    return this.log.flatMap((l) => (l.node === node && l.effect.type === 'send' && l.atMs >= fromMs && l.atMs <= toMs ? [{ atMs: l.atMs, packet: l.effect.packet }] : []));
  }

  /** gaps between a node's periodic packets (Final answers left out) in [fromMs, toMs] */
  gaps(node: 'a' | 'b', fromMs: number, toMs = Infinity): number[] {
    const times = this.sent(node, fromMs, toMs).filter((s) => !s.packet.final).map((s) => s.atMs);
    return times.slice(1).map((t, i) => t - times[i]!);
  }
}
