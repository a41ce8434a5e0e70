/**
 * The VRRP timer formulas (RFC 3768 §6.1, RFC 5798 §6.1) computed the way keepalived 2.2.7
 * does (include/vrrp.h VRRP_TIMER_SKEW / VRRP_MS_DOWN_TIMER): integer microseconds,
 * truncated, returned as milliseconds. Every time value in the engine is a millisecond
 * number rounded to the microsecond, so sums stay exact and comparable.
 */
import type { VrrpVersion } from './packet.js';

/** a + b in ms, rounded to the microsecond (keepalived's timer resolution). */
export function addMs(a: number, b: number): number {
  return Math.round((a + b) * 1000) / 1000;
}

/**
 * Skew_Time for a given 256 - priority factor.
 * v2: (256 - Priority) / 256 seconds, independent of the advert interval.
 * v3: ((256 - Priority) x Master_Adver_Interval) / 256, in whole centiseconds of interval.
 */
function skewForFactor(version: VrrpVersion, factor: number, masterAdverIntervalMs: number): number {
  if (version === 3) {
    const cs = Math.floor(masterAdverIntervalMs / 10);
    // keepalived: factor * cs * 625 / 16 microseconds (10000 / 256 = 625 / 16)
    return Math.floor((factor * cs * 625) / 16) / 1000;
  }
  return Math.floor((factor * 1_000_000) / 256) / 1000;
}

export function skewTimeMs(version: VrrpVersion, priority: number, masterAdverIntervalMs: number): number {
  return skewForFactor(version, 256 - priority, masterAdverIntervalMs);
}

/** The smallest skew (factor 1), used for sync-group members held back at start. */
export function minSkewTimeMs(version: VrrpVersion, masterAdverIntervalMs: number): number {
  return skewForFactor(version, 1, masterAdverIntervalMs);
}

/** Master_Down_Interval = down_timer_adverts x Master_Adver_Interval + Skew_Time. */
export function masterDownIntervalMs(
  version: VrrpVersion, downTimerAdverts: number, masterAdverIntervalMs: number, priority: number,
): number {
  return addMs(downTimerAdverts * masterAdverIntervalMs, skewTimeMs(version, priority, masterAdverIntervalMs));
}
