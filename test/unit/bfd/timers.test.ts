// BFD timer formulas: negotiated intervals (RFC 5880 §6.8.2/§6.8.3), Detection Time (§6.8.4),
// transmit jitter (§6.8.7) and keepalived's defaults.
import { describe, expect, it } from 'vitest';
import {
  addUs, BFD_DEFAULTS, detectionTimeUs, jitteredIntervalUs, remoteTransmitIntervalUs, transmitIntervalUs,
} from '../../../src/bfd/timers.js';
import { prng } from '../../../src/util/prng.js';

describe('keepalived defaults', () => {
  it('min_rx 10 ms, min_tx 10 ms, idle_tx 1 s, multiplier 5, max_hops 0', () => {
    expect(BFD_DEFAULTS).toEqual({
      requiredMinRxIntervalUs: 10_000, desiredMinTxIntervalUs: 10_000, idleTxIntervalUs: 1_000_000, detectMult: 5, maxHops: 0,
    });
  });
});

describe('negotiation', () => {
  it('transmit at the larger of our desire and the remote requirement', () => {
    expect(transmitIntervalUs(10_000, 50_000)).toBe(50_000);
    expect(transmitIntervalUs(30_000, 20_000)).toBe(30_000);
  });

  it('the remote transmits at the larger of our requirement and its desire', () => {
    expect(remoteTransmitIntervalUs(10_000, 20_000)).toBe(20_000);
    expect(remoteTransmitIntervalUs(50_000, 20_000)).toBe(50_000);
  });

  it('Detection Time is the remote multiplier times the remote interval', () => {
    expect(detectionTimeUs(3, 20_000)).toBe(60_000);
    expect(detectionTimeUs(BFD_DEFAULTS.detectMult, BFD_DEFAULTS.requiredMinRxIntervalUs)).toBe(50_000);
  });

  it('adds microseconds to a millisecond clock without drift', () => {
    let t = 0.1;
    for (let i = 0; i < 1000; i++) t = addUs(t, 7_777);
    expect(t).toBe(7777.1);
  });
});

describe('jitter (§6.8.7)', () => {
  it('random 0 keeps the full interval; random near 1 takes 25% off', () => {
    expect(jitteredIntervalUs(1_000_000, 5, () => 0)).toBe(1_000_000);
    expect(jitteredIntervalUs(1_000_000, 5, () => 0.999999999)).toBe(750_000);
  });

  it('Detect Mult 1: at most 90% of the interval', () => {
    expect(jitteredIntervalUs(1_000_000, 1, () => 0)).toBe(900_000);
    expect(jitteredIntervalUs(1_000_000, 1, () => 0.999999999)).toBe(750_000);
  });

  it.each([[5, 0.75, 1], [1, 0.75, 0.9]])('mult %s stays within [%s, %s] and spreads', (mult, lo, hi) => {
    const random = prng(7);
    const us: number[] = [];
    for (let i = 0; i < 5000; i++) us.push(jitteredIntervalUs(10_000, mult, random));
    const seen = us.map((u) => u / 10_000);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(lo);
    expect(Math.max(...seen)).toBeLessThanOrEqual(hi);
    // spread over the whole window, not stuck at one end
    expect(Math.min(...seen)).toBeLessThan(lo + 0.01);
    expect(Math.max(...seen)).toBeGreaterThan(hi - 0.01);
    expect(us.every((u) => Number.isInteger(u))).toBe(true);
  });
});
