// ConnSlots (src/control/conn-slots.ts): which connections a sweep evicts on a control listener
// over its limits, per client and per listener, which ones are protected, when a newcomer is
// refused; on a fake clock with fake byte counts.
import { describe, expect, it } from 'vitest';
import { ConnSlots } from '../../../src/control/conn-slots.js';

function table(maxConnections: number, perClient = Infinity, graceMs = 20, hardMaxConnections = 10_000) {
  const bytes = new Map<string, number>();
  const slots = new ConnSlots<string>({ maxConnections, hardMaxConnections, perClient, graceMs }, (c) => bytes.get(c) ?? 0);
  return { slots, bytes };
}

describe('ConnSlots', () => {
  it('within the limits nobody is evicted', () => {
    const { slots } = table(3);
    for (const c of ['a', 'b', 'c']) expect(slots.admit(c, 'x', 0)).toEqual({ admitted: true, evict: [] });
    expect(slots.overLimit).toBe(false);
    expect(slots.sweep(1000)).toEqual([]);
  });

  it('over the limit: idle connections go first, then the oldest slow or silent ones', () => {
    const { slots, bytes } = table(3);
    slots.admit('silent', 'x', 0);
    slots.admit('slow', 'x', 10);
    bytes.set('slow', 40); // part of a request head
    slots.admit('kept-alive', 'x', 20);
    slots.phase('kept-alive', 'body', 21);
    slots.phase('kept-alive', 'busy', 21);
    slots.phase('kept-alive', 'idle', 22);
    for (const c of ['n1', 'n2', 'n3']) expect(slots.admit(c, 'x', 100)).toEqual({ admitted: true, evict: [] });
    expect(slots.overLimit).toBe(true);
    // the newcomers are in their grace: the three older ones go, idle first
    expect(slots.sweep(110)).toEqual(['kept-alive', 'silent', 'slow']);
    expect(slots.size).toBe(3);
    expect(slots.overLimit).toBe(false);
  });

  it('never evicts a connection being answered, nor a silent one in its grace period', () => {
    const { slots, bytes } = table(1, Infinity, 20);
    slots.admit('busy', 'x', 0);
    slots.phase('busy', 'body', 1);
    slots.phase('busy', 'busy', 1);
    slots.admit('fresh', 'x', 5);
    expect(slots.sweep(10)).toEqual([]);
    expect(slots.overLimit).toBe(true);
    // once its grace is over, the silent one goes; the busy one stays
    expect(slots.sweep(25)).toEqual(['fresh']);
    // one that sent part of its head is not protected by grace
    slots.admit('partial', 'x', 30);
    bytes.set('partial', 3);
    expect(slots.sweep(31)).toEqual(['partial']);
  });

  it('a connection sending its body can be evicted', () => {
    const { slots } = table(1, Infinity, 1000);
    slots.admit('upload', 'x', 0);
    slots.phase('upload', 'body', 1);
    slots.admit('n1', 'x', 3);
    expect(slots.sweep(4)).toEqual(['upload']);
  });

  it('a burst of 1,000 silent connections: a request that arrives in it is answered, the burst is swept', () => {
    const { slots, bytes } = table(128, Infinity, 100, 2048);
    let t = 0;
    for (let i = 0; i < 500; i++) expect(slots.admit(`s${i}`, 'local', (t += 0.01)).admitted).toBe(true);
    expect(slots.admit('status', 'local', t).admitted).toBe(true);
    for (let i = 500; i < 1000; i++) expect(slots.admit(`s${i}`, 'local', (t += 0.01)).admitted).toBe(true);
    // read at last: the request is being answered
    bytes.set('status', 90);
    slots.phase('status', 'body', t + 50);
    slots.phase('status', 'busy', t + 50);
    const evicted = slots.sweep(t + 150);
    expect(evicted).not.toContain('status');
    expect(evicted).toHaveLength(1001 - 128);
    expect(evicted[0]).toBe('s0'); // oldest first
    expect(slots.size).toBe(128);
    expect(slots.overLimit).toBe(false);
  });

  it('at hardMaxConnections a newcomer takes the first slot in eviction order, or is refused when all are protected', () => {
    const { slots } = table(1, Infinity, 1000, 2);
    slots.admit('a', 'x', 0);
    slots.admit('b', 'x', 1);
    expect(slots.admit('c', 'x', 2)).toEqual({ admitted: false, evict: [] });
    expect(slots.size).toBe(2);
    expect(slots.admit('d', 'x', 1500)).toEqual({ admitted: true, evict: ['a'] });
    expect(slots.size).toBe(2);
  });

  it('per client: a client over its share loses its own oldest connections, never another client\'s', () => {
    const { slots } = table(10, 2, 50);
    slots.admit('b1', '10.0.0.2', 0);
    for (let i = 0; i < 5; i++) slots.admit(`a${i}`, '10.0.0.1', i + 1);
    expect(slots.overLimit).toBe(true);
    expect(slots.sweep(100)).toEqual(['a0', 'a1', 'a2']);
    expect(slots.overLimit).toBe(false);
  });

  it('per client: when all of its own are busy, the client stays over its share until they are answered', () => {
    const { slots } = table(10, 1, 0);
    slots.admit('a1', '10.0.0.1', 0);
    slots.phase('a1', 'busy', 0);
    slots.admit('a2', '10.0.0.1', 1);
    slots.phase('a2', 'busy', 1);
    expect(slots.sweep(5)).toEqual([]);
    expect(slots.overLimit).toBe(true);
    slots.phase('a1', 'idle', 6);
    expect(slots.sweep(7)).toEqual(['a1']);
  });

  it('a closed connection frees its slot and its client\'s share', () => {
    const { slots } = table(1, 1, 0);
    slots.admit('a', 'x', 0);
    slots.admit('b', 'x', 1);
    expect(slots.overLimit).toBe(true);
    slots.remove('a');
    expect(slots.overLimit).toBe(false);
    expect(slots.size).toBe(1);
  });
});
