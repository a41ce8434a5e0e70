/**
 * The driver loop around the sans-I/O VRRP engine: every input goes through `input()`, which
 * calls `engine.handle(now, input)`, performs the effects (those on the wire first, see
 * ON_THE_WIRE) and re-arms the one timer at the engine's next deadline. Inputs that arrive
 * while effects are being performed (an effect whose port answers synchronously) are queued
 * and handled right after, in order, so the engine is never re-entered.
 */
import type { VrrpEngine } from '../vrrp/engine.js';
import type { Clock } from '../io/clock.js';
import type { Effect, Input } from '../vrrp/types.js';

/** `stepAtMs`: when the engine handled the input the effect comes from (the wire goes first, so it is not when the effect is performed). */
export type EffectSink = (effect: Effect, stepAtMs: number) => void;

/**
 * The effects a peer or a client is waiting for: adverts, addresses and gratuitous ARPs. A
 * step performs them before its other effects (state-change logs, notify scripts, listeners),
 * keeping their relative order, so the bookkeeping of a takeover does not delay the new
 * master's first advert and GARP. The engine's order is otherwise kept.
 */
const ON_THE_WIRE: ReadonlySet<Effect['type']> = new Set(['sendAdvert', 'addVips', 'removeVips', 'sendGarp', 'sendGarpSource']);

export class VrrpDriver {
  private busy = false;
  private readonly queue: Input[] = [];
  private armedAt: number | undefined;

  constructor(
    private readonly engine: VrrpEngine,
    private readonly clock: Clock,
    private readonly perform: EffectSink,
    private readonly onError: (e: unknown, effect: Effect) => void,
  ) {}

  input(input: Input): void {
    this.queue.push(input);
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length > 0) this.run(this.queue.shift()!);
    } finally {
      this.busy = false;
    }
  }

  private run(input: Input): void {
    const now = this.clock.now();
    const step = this.engine.handle(now, input);
    // what is on the wire first (see ON_THE_WIRE), then the rest, each in the engine's order
    for (const wire of [true, false]) {
      for (const effect of step.effects) {
        if (ON_THE_WIRE.has(effect.type) !== wire) continue;
        try {
          this.perform(effect, now);
        } catch (e) {
          // A failing port never stops the engine: the next effects and the timer still run.
          this.onError(e, effect);
        }
      }
    }
    if (step.deadline !== this.armedAt) {
      this.armedAt = step.deadline;
      this.clock.arm(step.deadline, () => this.fire());
    }
  }

  private fire(): void {
    this.armedAt = undefined;
    this.input({ type: 'tick' });
  }
}
