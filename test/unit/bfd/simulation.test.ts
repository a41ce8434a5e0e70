// Two BFD sessions exchanging encoded packets over a 1 ms link on a fake clock (1 ms timer
// ticks): bring-up, interval negotiation, a Poll/Final sequence, failure detection, passive
// and AdminDown, end to end through the codec.
import { describe, expect, it } from 'vitest';
import { Link, makeSession } from './harness.js';
import { prng } from '../../../src/util/prng.js';
import type { BfdSessionConfig } from '../../../src/bfd/types.js';

function link(a: Partial<BfdSessionConfig> = {}, b: Partial<BfdSessionConfig> = {}, seed = 1): Link {
  return new Link(
    makeSession({ name: 'A', ...a }, { base: 0x1000, random: prng(seed) }),
    makeSession({ name: 'B', ...b }, { base: 0x2000, random: prng(seed + 100) }),
  );
}

const within = (gaps: number[], lo: number, hi: number, tick = 1): void => {
  expect(gaps.length).toBeGreaterThan(5);
  for (const g of gaps) {
    expect(g).toBeGreaterThanOrEqual(lo - tick);
    expect(g).toBeLessThanOrEqual(hi + tick);
  }
};

describe('bring-up', () => {
  it('both active: each goes Down -> Init -> Up and reports Up once', () => {
    const l = link();
    l.start();
    l.run(5000);
    expect(l.transitions('a')).toEqual(['Down->Init', 'Init->Up']);
    expect(l.transitions('b')).toEqual(['Down->Init', 'Init->Up']);
    expect(l.reports('a')).toEqual(['Down', 'Up']);
    expect(l.reports('b')).toEqual(['Down', 'Up']);
    expect(l.a.vars.remoteDiscr).toBe(l.b.vars.localDiscr);
    expect(l.b.vars.remoteDiscr).toBe(l.a.vars.localDiscr);
  });

  it('sends at the 1 s idle rate until Up, then at min_tx after the Poll Sequence', () => {
    const l = link();
    l.start();
    l.run(5000);
    const upAt = l.log.find((e) => e.node === 'a' && e.effect.type === 'stateChange' && e.effect.to === 'Up')!.atMs;
    const slow = l.sent('a', 0, upAt - 0.001);
    expect(slow.length).toBeGreaterThanOrEqual(2);
    expect(slow.every((s) => s.packet.desiredMinTxIntervalUs === 1_000_000)).toBe(true);
    for (const g of l.gaps('a', 0, upAt - 0.001)) expect(g >= 749 && g <= 1001).toBe(true);
    expect(l.a.vars).toMatchObject({ txIntervalUs: 10_000, detectionTimeUs: 50_000, poll: false });
    within(l.gaps('a', 4000), 7.5, 10);
    within(l.gaps('b', 4000), 7.5, 10);
    // the switch to the fast rate went through a Poll and its Final; the side that answers
    // first carries its own new parameters on the Final and polls no more
    const polls = [...l.sent('a'), ...l.sent('b')].filter((s) => s.packet.poll);
    const finals = [...l.sent('a'), ...l.sent('b')].filter((s) => s.packet.final);
    expect(polls.length).toBeGreaterThanOrEqual(1);
    expect(finals.length).toBeGreaterThanOrEqual(1);
    expect(finals[0]!.atMs).toBe(polls[0]!.atMs + l.delayMs);
  });

  it('passive B sends nothing before it hears A, then goes Down -> Init -> Up; A goes Down -> Up', () => {
    const l = link({}, { passive: true });
    l.start();
    l.run(5000);
    const firstFromA = l.sent('a')[0]!.atMs;
    expect(l.sent('b')[0]!.atMs).toBeGreaterThan(firstFromA + l.delayMs);
    expect(l.transitions('b')).toEqual(['Down->Init', 'Init->Up']);
    expect(l.transitions('a')).toEqual(['Down->Up']);
    expect(l.reports('a')).toEqual(['Down', 'Up']);
    expect(l.reports('b')).toEqual(['Down', 'Up']);
  });

  it('two passive sessions never speak', () => {
    const l = link({ passive: true }, { passive: true });
    l.start();
    l.run(10_000);
    expect(l.sent('a')).toEqual([]);
    expect(l.sent('b')).toEqual([]);
    expect(l.a.vars.sessionState).toBe('Down');
  });
});

describe('negotiation', () => {
  const slowB = { desiredMinTxIntervalUs: 20_000, requiredMinRxIntervalUs: 50_000, detectMult: 3 };

  it('each side sends at max(own min_tx, peer min_rx) and detects at peer mult x peer interval', () => {
    const l = link({}, slowB);
    l.start();
    l.run(5000);
    expect(l.a.vars).toMatchObject({ sessionState: 'Up', txIntervalUs: 50_000, detectionTimeUs: 3 * 20_000 });
    expect(l.b.vars).toMatchObject({ sessionState: 'Up', txIntervalUs: 20_000, detectionTimeUs: 5 * 50_000 });
    within(l.gaps('a', 4000), 37.5, 50);
    within(l.gaps('b', 4000), 15, 20); // B's detect mult is 3: 75-100%
  });

  it('a min_tx change on B runs Poll -> Final, then both sides use the new interval', () => {
    const l = link({}, slowB);
    l.start();
    l.run(5000);
    l.input('b', { type: 'configure', timers: { ...slowB, idleTxIntervalUs: 1_000_000, desiredMinTxIntervalUs: 40_000 } });
    l.run(5500);
    const polls = l.sent('b', 5000).filter((s) => s.packet.poll);
    expect(polls.length).toBeGreaterThanOrEqual(1);
    expect(polls[0]!.packet.desiredMinTxIntervalUs).toBe(40_000);
    const finals = l.sent('a', 5000).filter((s) => s.packet.final);
    expect(finals.length).toBe(1);
    // A answered as soon as the Poll arrived, outside its periodic timer
    expect(finals[0]!.atMs).toBe(polls[0]!.atMs + l.delayMs);
    // B polls until the Final arrives, then stops
    const finalArrives = finals[0]!.atMs + l.delayMs;
    expect(polls.every((p) => p.atMs < finalArrives)).toBe(true);
    expect(l.sent('b', finalArrives + 0.001).every((s) => !s.packet.poll)).toBe(true);
    expect(l.a.vars).toMatchObject({ remoteTxIntervalUs: 40_000, detectionTimeUs: 3 * 40_000 });
    expect(l.b.vars).toMatchObject({ txIntervalUs: 40_000, poll: false });
    within(l.gaps('b', finalArrives + 1), 30, 40);
    expect(l.transitions('a')).toEqual(['Down->Init', 'Init->Up']);
  });
});

describe('failure detection', () => {
  it.each([
    ['defaults (5 x 10 ms)', {}, {}, 50],
    ['B mult 3, min_tx 20 ms', {}, { detectMult: 3, desiredMinTxIntervalUs: 20_000 }, 60],
    ['A min_rx 100 ms', { requiredMinRxIntervalUs: 100_000 }, {}, 500],
  ] as const)('%s: A falls Down within the Detection Time (+ one tick) of B going silent', (_n, a, b, detectionMs) => {
    const l = link(a, b);
    l.start();
    l.run(5000);
    expect(l.a.vars.detectionTimeUs).toBe(detectionMs * 1000);
    l.silent.b = true;
    const lastRx = l.a.vars.lastRxMs!;
    l.run(5000 + 2 * detectionMs);
    const fall = l.log.find((e) => e.node === 'a' && e.effect.type === 'stateChange' && e.effect.to === 'Down')!;
    expect(fall.effect).toMatchObject({ from: 'Up', diag: 1 });
    expect(fall.atMs - lastRx).toBeGreaterThanOrEqual(detectionMs);
    expect(fall.atMs - lastRx).toBeLessThanOrEqual(detectionMs + l.tickMs);
    expect(l.reports('a')).toEqual(['Down', 'Up', 'Down']);
    // A tells B, which is still listening: B falls with 'neighbour signalled down'
    const bFall = l.log.find((e) => e.node === 'b' && e.effect.type === 'stateChange' && e.effect.to === 'Down')!;
    expect(bFall.effect).toMatchObject({ diag: 3 });
  });

  it('after the failure, A sends at the idle rate with a new discriminator and comes back Up when B returns', () => {
    const l = link();
    l.start();
    l.run(5000);
    const oldDiscr = l.a.vars.localDiscr;
    l.silent.b = true;
    l.run(12_000);
    expect(l.a.vars.localDiscr).not.toBe(oldDiscr);
    within(l.gaps('a', 5200, 12_000), 750, 1000);
    expect(l.sent('a', 5200).every((s) => s.packet.desiredMinTxIntervalUs === 1_000_000 && s.packet.state === 'Down')).toBe(true);
    l.silent.b = false;
    l.run(16_000);
    expect(l.a.vars.sessionState).toBe('Up');
    expect(l.b.vars.sessionState).toBe('Up');
    expect(l.reports('a').at(-1)).toBe('Up');
  });

  it('a passive session stops sending when its peer goes silent', () => {
    const l = link({}, { passive: true });
    l.start();
    l.run(5000);
    l.silent.a = true;
    l.run(6000);
    const bFellAt = l.log.find((e) => e.node === 'b' && e.effect.type === 'stateChange' && e.effect.to === 'Down')!.atMs;
    expect(l.sent('b', bFellAt + 0.001)).toEqual([]);
    expect(l.b.vars.remoteDiscr).toBe(0);
  });
});

describe('AdminDown', () => {
  it('A disabled: B falls Down (diag 3) without reporting; A goes quiet; re-enabled, both come back Up', () => {
    const l = link();
    l.start();
    l.run(5000);
    l.input('a', { type: 'admin', enabled: false });
    l.run(15_000);
    expect(l.transitions('a').at(-1)).toBe('Up->AdminDown');
    expect(l.reports('a')).toEqual(['Down', 'Up', 'Down']);
    const bFall = l.log.find((e) => e.node === 'b' && e.effect.type === 'stateChange' && e.effect.to === 'Down')!;
    expect(bFall.effect).toMatchObject({ from: 'Up', diag: 3, remoteDiag: 7 });
    expect(l.reports('b')).toEqual(['Down', 'Up']); // RFC 5882: not a path failure
    const adminSends = l.sent('a', 5000);
    expect(adminSends.every((s) => s.packet.state === 'AdminDown')).toBe(true);
    expect(adminSends.at(-1)!.atMs).toBeLessThan(5000 + 5 * 1000);
    expect(l.log.some((e) => e.node === 'a' && e.effect.type === 'drop' && e.effect.reason === 'admin-down')).toBe(true);
    l.input('a', { type: 'admin', enabled: true });
    l.run(20_000);
    expect(l.a.vars.sessionState).toBe('Up');
    expect(l.b.vars.sessionState).toBe('Up');
    expect(l.reports('a').at(-1)).toBe('Up');
  });
});
