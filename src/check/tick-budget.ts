/**
 * How many probes one checker tick starts. The engine's own limit (PROBES_PER_TICK) is a count;
 * what a tick holds the driver's loop for is that count times what starting one probe costs
 * (its step in the engine, its socket and its connect). On the bench host that is 16-31 us
 * once warm, and 256 starts are 4-8 ms. In the one-CPU guest of the benches it was 0.4-1 ms: a
 * tick of 256 held the checker's loop 100-270 ms, back to back while the checker was behind,
 * and a SIGHUP waited 0.3-0.6 s for the loop to come round (bench/RESULTS.md, footprint,
 * eighth session).
 *
 * The budget keeps a tick's starts within TICK_BUDGET_MS at the cost measured lately, between
 * MIN_PROBES_PER_TICK and PROBES_PER_TICK; the probes left are still due and start on the next
 * ticks, after the loop's I/O and signals. It measures nothing itself: the driver says what
 * each tick cost (sans-I/O, like the engine).
 */
import { PROBES_PER_TICK } from './engine.js';

/** What a tick's probe starts may take, at the cost per start measured lately. */
export const TICK_BUDGET_MS = 20;
/** Fewer than this a tick never starts when it has them due (a machine that slow still checks). */
export const MIN_PROBES_PER_TICK = 16;
/** A tick that started fewer says little about the cost of one (the step's own cost dominates). */
const MIN_SAMPLE = 8;
/** Weight of the newest tick in the cost (an exponential average over the last ticks). */
const GAIN = 0.25;

export class TickBudget {
  /** the measured cost of starting one probe (ms); undefined until a tick large enough */
  private perProbeMs: number | undefined;

  /** The most probes the next tick starts. */
  get maxProbes(): number {
    const per = this.perProbeMs;
    if (per === undefined || per <= 0) return PROBES_PER_TICK;
    return Math.max(MIN_PROBES_PER_TICK, Math.min(PROBES_PER_TICK, Math.floor(TICK_BUDGET_MS / per)));
  }

  /** A tick started `probes` probes and took `ms` (the engine's step and the starts). */
  record(probes: number, ms: number): void {
    if (probes < MIN_SAMPLE || !(ms >= 0)) return;
    const per = ms / probes;
    this.perProbeMs = this.perProbeMs === undefined ? per : this.perProbeMs + (per - this.perProbeMs) * GAIN;
  }

  /** The cost of one start as measured (ms; undefined before a tick large enough). */
  get perProbeStartMs(): number | undefined {
    return this.perProbeMs;
  }
}
