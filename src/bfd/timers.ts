/**
 * The BFD timer rules in one place: keepalived 2.2.7's defaults and limits (include/bfd.h,
 * bfd_data.c `alloc_bfd`), the negotiated intervals (RFC 5880 §6.8.2, §6.8.3; bfd.c
 * `bfd_update_local_tx_intv`, `bfd_update_remote_tx_intv`, `bfd_idle_local_tx_intv`), the
 * Detection Time (§6.8.4) and the transmit jitter (§6.8.7). Intervals are integer
 * microseconds, the wire's unit; clock times are milliseconds, rounded to the microsecond.
 */

/** keepalived's `bfd_instance` defaults. */
export const BFD_DEFAULTS = {
  /** `min_rx 10` (ms) */
  requiredMinRxIntervalUs: 10_000,
  /** `min_tx 10` (ms) */
  desiredMinTxIntervalUs: 10_000,
  /** `idle_tx 1000` (ms): DesiredMinTxInterval while the session is not Up (RFC: at least 1 s). */
  idleTxIntervalUs: 1_000_000,
  /** `multiplier 5` */
  detectMult: 5,
  /** `max_hops 0`: the received TTL must equal `ttl` (see packet.ts `ttlAcceptable`). */
  maxHops: 0,
} as const;

/** keepalived's accepted ranges (bfd_parser.c); intervals in microseconds. */
export const BFD_LIMITS = {
  minRxIntervalUs: { min: 1_000, max: Math.floor(0xffffffff / 1000) * 1000 },
  minTxIntervalUs: { min: 1_000, max: Math.floor(0xffffffff / 1000) * 1000 },
  idleTxIntervalUs: { min: 1_000_000, max: Math.floor(0xffffffff / 1000) * 1000 },
  detectMult: { min: 1, max: 255 },
  ttl: { min: 1, max: 255 },
  maxHops: { min: -1, max: 255 },
} as const;

/** now + us, in ms rounded to the microsecond, so sums of timer values stay exact. */
export function addUs(nowMs: number, us: number): number {
  return Math.round(nowMs * 1000 + us) / 1000;
}

/**
 * The interval this system transmits at (RFC 5880 §6.8.2/§6.8.7): the larger of what it
 * desires and what the remote requires. keepalived uses `idle_tx` instead of `min_tx` unless
 * both ends are ready for fast transmission (see the session).
 */
export function transmitIntervalUs(desiredMinTxIntervalUs: number, remoteMinRxIntervalUs: number): number {
  return Math.max(desiredMinTxIntervalUs, remoteMinRxIntervalUs);
}

/** The interval the remote transmits at (§6.8.4's "agreed transmit interval of the remote"). */
export function remoteTransmitIntervalUs(requiredMinRxIntervalUs: number, remoteDesiredMinTxIntervalUs: number): number {
  return Math.max(requiredMinRxIntervalUs, remoteDesiredMinTxIntervalUs);
}

/** Asynchronous-mode Detection Time (§6.8.4): the remote's Detect Mult x its agreed interval. */
export function detectionTimeUs(remoteDetectMult: number, remoteTxIntervalUs: number): number {
  return remoteDetectMult * remoteTxIntervalUs;
}

/**
 * One jittered transmit interval (§6.8.7): reduced by a random 0-25%, or by 10-25% when the
 * local Detect Mult is 1 (so the interval is 75-100%, or 75-90%, of `txIntervalUs`). `random`
 * returns a number in [0, 1). Integer microseconds, like keepalived's `rand_intv`.
 */
/** The shortest interval `jitteredIntervalUs` can return: 75% of `txIntervalUs`. */
export function leastJitteredIntervalUs(txIntervalUs: number): number {
  return txIntervalUs - Math.floor(txIntervalUs / 4);
}

export function jitteredIntervalUs(txIntervalUs: number, detectMult: number, random: () => number): number {
  const least = detectMult === 1 ? Math.floor(txIntervalUs / 10) : 0;
  const most = Math.floor(txIntervalUs / 4);
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return txIntervalUs - (least + Math.floor(r * (most - least + 1)));
}
