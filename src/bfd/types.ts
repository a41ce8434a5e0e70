/**
 * Inputs, effects and configuration of the sans-I/O BFD session (session.ts). Times are
 * milliseconds from any monotonic origin; intervals are microseconds, as on the wire.
 */
import type { BfdDiag, BfdState, ControlPacket } from './packet.js';

/** One `bfd_instance`, already validated and completed by the configuration layer. */
export interface BfdSessionConfig {
  /** keepalived's instance name (`bfd_instance NAME`), the key VRRP and checkers track. */
  readonly name: string;
  /** `min_tx`: bfd.DesiredMinTxInterval while Up. */
  readonly desiredMinTxIntervalUs: number;
  /** `min_rx`: bfd.RequiredMinRxInterval. */
  readonly requiredMinRxIntervalUs: number;
  /** `idle_tx`: bfd.DesiredMinTxInterval while not Up. */
  readonly idleTxIntervalUs: number;
  /** `multiplier`: bfd.DetectMult. */
  readonly detectMult: number;
  /** `passive`: send nothing until the remote has been heard (RFC 5880 §6.1 Passive role). */
  readonly passive: boolean;
  /** `ttl` / `hoplimit` the socket sends with (default: packet.ts `defaultTtl`). */
  readonly ttl: number;
  /** `max_hops` (-1 or 255: no TTL check). */
  readonly maxHops: number;
}

/** What the session needs from outside that is not time: randomness, kept injectable. */
export interface BfdSessionDeps {
  /** Uniform in [0, 1): the transmit jitter. */
  readonly random: () => number;
  /**
   * A nonzero discriminator unique among this process's sessions. Called at creation and
   * whenever the session falls from Up (keepalived picks a new one then).
   */
  readonly newDiscriminator: () => number;
}

/** The timer values a reload may change (keepalived compares min_rx and min_tx). */
export type BfdTimerConfig = Pick<BfdSessionConfig, 'desiredMinTxIntervalUs' | 'requiredMinRxIntervalUs' | 'idleTxIntervalUs' | 'detectMult'>;

export type BfdInput =
  /** The process is ready: report the state and, unless passive, start transmitting. */
  | { readonly type: 'start' }
  /** Run every timer due at `now`. */
  | { readonly type: 'timer' }
  /**
   * The driver is awake for something else (another session's timer or packet): run every
   * timer due at `now`, and make a periodic transmission whose jitter window is open
   * (`txWindowOpensMs`) now rather than at its own time, so that sessions share wake-ups.
   */
  | { readonly type: 'awake' }
  /**
   * A control packet that decoded cleanly and was demultiplexed to this session; `now` is
   * its receive time. `ttl`: the received TTL / Hop Limit, undefined when unknown.
   */
  | { readonly type: 'packet'; readonly packet: ControlPacket; readonly ttl?: number }
  /** RFC 5880 §6.8.16 administrative control: `enabled` false holds the session AdminDown. */
  | { readonly type: 'admin'; readonly enabled: boolean; readonly diag?: BfdDiag }
  /** New timer parameters on reload; a change of min_rx or min_tx starts a Poll Sequence. */
  | { readonly type: 'configure'; readonly timers: BfdTimerConfig };

/** Why the session ignored a packet that the codec accepted (counted per reason). */
export type SessionDropReason = 'your-discriminator' | 'ttl' | 'admin-down';

export type BfdEffect =
  /** Transmit this packet to the neighbour now (encode with packet.ts `encodeControl`). */
  | { readonly type: 'send'; readonly packet: ControlPacket }
  /**
   * Every state change. `diag` is the new bfd.LocalDiag; `remoteDiag` the last one received.
   * `silentForMs`: on a Detection Time expiry, how long since the last packet.
   */
  | {
    readonly type: 'stateChange'; readonly from: BfdState; readonly to: BfdState;
    readonly diag: BfdDiag; readonly remoteDiag: BfdDiag; readonly silentForMs?: number;
  }
  /**
   * The event keepalived's BFD process sends to VRRP (track_bfd) and checkers (BFD_CHECK):
   * 'Up', or 'Down' for every other state.
   */
  | { readonly type: 'report'; readonly state: 'Up' | 'Down' }
  /** The local Detection Time changed (keepalived logs it at info level). */
  | { readonly type: 'detectionTime'; readonly detectionTimeMs: number; readonly previousMs: number }
  /** A packet ignored after decoding. */
  | { readonly type: 'drop'; readonly reason: SessionDropReason };

export interface BfdStep {
  readonly effects: BfdEffect[];
  /** When to call `handle(deadline, { type: 'timer' })`; undefined = no timer pending. */
  readonly deadline: number | undefined;
}

/** The RFC 5880 §6.8.1 state variables and the derived timers, for dumps and tests. */
export interface BfdSessionVars {
  readonly sessionState: BfdState;
  readonly remoteSessionState: BfdState;
  readonly localDiscr: number;
  readonly remoteDiscr: number;
  readonly localDiag: BfdDiag;
  readonly remoteDiag: BfdDiag;
  readonly desiredMinTxIntervalUs: number;
  readonly requiredMinRxIntervalUs: number;
  readonly remoteMinRxIntervalUs: number;
  readonly remoteDesiredMinTxIntervalUs: number;
  readonly remoteDemandMode: boolean;
  readonly detectMult: number;
  readonly remoteDetectMult: number;
  /** A Poll Sequence is in progress (P set in what we send). */
  readonly poll: boolean;
  /** The next packet answers a Poll (F set). */
  readonly final: boolean;
  /** The interval we transmit at, before jitter. */
  readonly txIntervalUs: number;
  /** The remote's agreed interval, which our Detection Time is built on. */
  readonly remoteTxIntervalUs: number;
  readonly detectionTimeUs: number;
  readonly lastRxMs: number | undefined;
}
