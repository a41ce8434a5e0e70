// VrrpDriver (src/daemon/driver.ts) with a fake clock: effects performed in order, the timer
// re-armed at the engine's deadline, an input arriving from inside an effect queued (the
// engine is never re-entered), and a failing effect not stopping the others.
import { describe, expect, it } from 'vitest';
import { VrrpDriver } from '../../../src/daemon/driver.js';
import type { Clock } from '../../../src/io/clock.js';
import type { VrrpEngine } from '../../../src/vrrp/engine.js';
import type { Effect, Input, Step } from '../../../src/vrrp/types.js';

class FakeClock implements Clock {
  t = 0;
  armed: number | undefined;
  fire: (() => void) | undefined;
  now(): number { return this.t; }
  arm(at: number | undefined, fire: () => void): void { this.armed = at; this.fire = fire; }
}

const prio = (n: number): Effect => ({ type: 'priorityChange', instance: 'VI_1', from: n, to: n + 1 });

function fakeEngine(script: (input: Input, depth: number) => Step) {
  let depth = 0;
  const seen: string[] = [];
  const engine = {
    handle(_now: number, input: Input): Step {
      if (depth > 0) throw new Error('re-entered');
      depth++;
      try {
        seen.push(input.type);
        return script(input, depth);
      } finally {
        depth--;
      }
    },
  };
  return { engine: engine as unknown as VrrpEngine, seen };
}

describe('VrrpDriver', () => {
  it('performs effects in order and re-arms at the deadline; the timer feeds a tick', () => {
    const clock = new FakeClock();
    const { engine, seen } = fakeEngine((i) => (i.type === 'start' ? { effects: [prio(1), prio(2)], deadline: 100 } : { effects: [], deadline: 200 }));
    const done: number[] = [];
    const d = new VrrpDriver(engine, clock, (e) => done.push((e as { from: number }).from), () => undefined);
    d.input({ type: 'start' });
    expect(done).toEqual([1, 2]);
    expect(clock.armed).toBe(100);
    clock.t = 100;
    clock.fire!();
    expect(seen).toEqual(['start', 'tick']);
    expect(clock.armed).toBe(200);
  });

  it('queues an input that arrives while effects are performed', () => {
    const clock = new FakeClock();
    const { engine, seen } = fakeEngine((i) => ({ effects: i.type === 'start' ? [prio(1)] : [], deadline: undefined }));
    const d: VrrpDriver = new VrrpDriver(engine, clock, () => d.input({ type: 'interface', name: 'eth0', up: false }), () => undefined);
    d.input({ type: 'start' });
    expect(seen).toEqual(['start', 'interface']);
  });

  it('a failing effect is reported and the following ones still run', () => {
    const clock = new FakeClock();
    const { engine } = fakeEngine(() => ({ effects: [prio(1), prio(2), prio(3)], deadline: 50 }));
    const done: number[] = [];
    const errors: string[] = [];
    const d = new VrrpDriver(engine, clock, (e) => {
      const n = (e as { from: number }).from;
      if (n === 2) throw new Error('boom');
      done.push(n);
    }, (err) => errors.push((err as Error).message));
    d.input({ type: 'start' });
    expect(done).toEqual([1, 3]);
    expect(errors).toEqual(['boom']);
    expect(clock.armed).toBe(50);
  });

  it('performs what goes on the wire first (adverts, addresses, GARPs), then the rest, each in order', () => {
    const clock = new FakeClock();
    const effects: Effect[] = [
      { type: 'stateChange', instance: 'VI_1', from: 'BACKUP', to: 'MASTER', reason: 'masterDown' } as Effect,
      prio(1),
      { type: 'sendAdvert', instance: 'VI_1' } as Effect,
      { type: 'removeVips', instance: 'VI_2' },
      { type: 'addVips', instance: 'VI_1' },
      { type: 'sendGarp', instance: 'VI_1', repeat: 5, reason: 'master' } as Effect,
      { type: 'notify', scope: 'INSTANCE', name: 'VI_1' } as Effect,
    ];
    const { engine } = fakeEngine(() => ({ effects, deadline: undefined }));
    const done: string[] = [];
    const d = new VrrpDriver(engine, clock, (e) => done.push(e.type === 'priorityChange' ? 'prio' : e.type), () => undefined);
    d.input({ type: 'start' });
    expect(done).toEqual(['sendAdvert', 'removeVips', 'addVips', 'sendGarp', 'stateChange', 'prio', 'notify']);
  });
});
