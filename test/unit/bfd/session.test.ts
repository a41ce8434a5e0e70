// One BFD session against a scripted remote: start, the RFC 5880 §6.8.6 reception rules,
// timers, Poll/Final, passive, AdminDown and reload, as keepalived 2.2.7 runs them.
import { describe, expect, it } from 'vitest';
import type { BfdSession } from '../../../src/bfd/session.js';
import { makeSession, ofType, remote, sends } from './harness.js';

const MINE = 0x101; // the first discriminator makeSession hands out

/** Down -> Init (remote Down) -> Up (remote Up), at t=0; the remote runs at 10 ms. */
function upSession(s: BfdSession = makeSession()): BfdSession {
  s.handle(0, { type: 'start' });
  s.handle(0, { type: 'packet', packet: remote() });
  s.handle(0, { type: 'packet', packet: remote({ state: 'Up', yourDiscriminator: MINE, desiredMinTxIntervalUs: 10_000 }) });
  expect(s.vars.sessionState).toBe('Up');
  return s;
}

describe('start (keepalived bfd_register_workers)', () => {
  it('reports Down and sends one Down packet at once, then every 0.75-1 s', () => {
    const s = makeSession();
    const step = s.handle(0, { type: 'start' });
    expect(ofType(step, 'report')).toEqual([{ type: 'report', state: 'Down' }]);
    expect(sends(step)).toEqual([{
      diag: 0, state: 'Down', poll: false, final: false, controlPlaneIndependent: false, demand: false,
      detectMult: 5, myDiscriminator: MINE, yourDiscriminator: 0,
      desiredMinTxIntervalUs: 1_000_000, requiredMinRxIntervalUs: 10_000, requiredMinEchoRxIntervalUs: 0,
    }]);
    expect(step.deadline).toBeGreaterThanOrEqual(750);
    expect(step.deadline).toBeLessThanOrEqual(1000);
    expect(sends(s.handle(step.deadline!, { type: 'timer' }))).toHaveLength(1);
  });

  it('passive: reports, sends nothing and arms no timer', () => {
    const s = makeSession({ passive: true });
    const step = s.handle(0, { type: 'start' });
    expect(step.effects).toEqual([{ type: 'report', state: 'Down' }]);
    expect(step.deadline).toBeUndefined();
    expect(s.handle(5000, { type: 'timer' }).effects).toEqual([]);
  });

  it('ignores packets before start', () => {
    const s = makeSession();
    expect(s.handle(0, { type: 'packet', packet: remote() }).effects).toEqual([]);
    expect(s.vars.sessionState).toBe('Down');
  });
});

describe('reception (RFC 5880 §6.8.6)', () => {
  it('drops a Your Discriminator that is not ours', () => {
    const s = makeSession();
    s.handle(0, { type: 'start' });
    const step = s.handle(1, { type: 'packet', packet: remote({ yourDiscriminator: MINE + 1 }) });
    expect(step.effects).toEqual([{ type: 'drop', reason: 'your-discriminator' }]);
    expect(s.vars.remoteDiscr).toBe(0);
  });

  it('drops a TTL below ttl - max_hops (single hop: 255)', () => {
    const s = makeSession();
    s.handle(0, { type: 'start' });
    expect(s.handle(1, { type: 'packet', packet: remote(), ttl: 254 }).effects).toEqual([{ type: 'drop', reason: 'ttl' }]);
    const hop = makeSession({ maxHops: 1 });
    hop.handle(0, { type: 'start' });
    hop.handle(1, { type: 'packet', packet: remote(), ttl: 254 });
    expect(hop.vars.sessionState).toBe('Init');
  });

  it('Down + remote Down -> Init; the remote variables and Detection Time are taken', () => {
    const s = makeSession();
    s.handle(0, { type: 'start' });
    const step = s.handle(10, { type: 'packet', packet: remote({ detectMult: 3, requiredMinRxIntervalUs: 20_000 }) });
    expect(ofType(step, 'stateChange')).toEqual([{ type: 'stateChange', from: 'Down', to: 'Init', diag: 0, remoteDiag: 0 }]);
    // 3 x max(our min_rx 10 ms, remote Desired Min TX 1 s)
    expect(ofType(step, 'detectionTime')).toEqual([{ type: 'detectionTime', detectionTimeMs: 3000, previousMs: 0 }]);
    expect(ofType(step, 'report')).toEqual([]);
    expect(s.vars).toMatchObject({ remoteDiscr: 0xabc, remoteSessionState: 'Down', remoteMinRxIntervalUs: 20_000, remoteDetectMult: 3 });
  });

  it.each([['Up'], ['AdminDown']] as const)('Down + remote %s stays Down', (state) => {
    const s = makeSession();
    s.handle(0, { type: 'start' });
    const step = s.handle(1, { type: 'packet', packet: remote({ state, yourDiscriminator: MINE }) });
    expect(ofType(step, 'stateChange')).toEqual([]);
    expect(s.vars.sessionState).toBe('Down');
  });

  it('Down + remote Init -> Up, reported, and a Poll to leave the idle rate', () => {
    const s = makeSession();
    s.handle(0, { type: 'start' });
    const step = s.handle(1, { type: 'packet', packet: remote({ state: 'Init', yourDiscriminator: MINE }) });
    expect(ofType(step, 'stateChange').map((e) => e.to)).toEqual(['Up']);
    expect(ofType(step, 'report')).toEqual([{ type: 'report', state: 'Up' }]);
    expect(s.vars.poll).toBe(true);
    const next = sends(s.handle(step.deadline!, { type: 'timer' }));
    expect(next[0]).toMatchObject({ state: 'Up', poll: true, desiredMinTxIntervalUs: 10_000, yourDiscriminator: 0xabc });
  });

  it('Init + remote Down stays Init; Init + remote Init or Up -> Up', () => {
    for (const state of ['Init', 'Up'] as const) {
      const s = makeSession();
      s.handle(0, { type: 'start' });
      s.handle(0, { type: 'packet', packet: remote() });
      expect(ofType(s.handle(1, { type: 'packet', packet: remote() }), 'stateChange')).toEqual([]);
      s.handle(2, { type: 'packet', packet: remote({ state, yourDiscriminator: MINE }) });
      expect(s.vars.sessionState).toBe('Up');
    }
  });

  it('Up + remote Init stays Up', () => {
    const s = upSession();
    s.handle(1, { type: 'packet', packet: remote({ state: 'Init', yourDiscriminator: MINE }) });
    expect(s.vars.sessionState).toBe('Up');
  });

  it('Up + remote Down -> Down (diag 3), reported, with a new discriminator', () => {
    const s = upSession();
    const step = s.handle(1, { type: 'packet', packet: remote({ state: 'Down', diag: 1, yourDiscriminator: MINE }) });
    expect(ofType(step, 'stateChange')).toEqual([{ type: 'stateChange', from: 'Up', to: 'Down', diag: 3, remoteDiag: 1 }]);
    expect(ofType(step, 'report')).toEqual([{ type: 'report', state: 'Down' }]);
    expect(s.vars.localDiscr).toBe(MINE + 1);
  });

  it('Up + remote AdminDown -> Down (diag 3) without a Down report (RFC 5882 §3.2)', () => {
    const s = upSession();
    const step = s.handle(1, { type: 'packet', packet: remote({ state: 'AdminDown', diag: 7, yourDiscriminator: MINE }) });
    expect(ofType(step, 'stateChange').map((e) => [e.to, e.diag])).toEqual([['Down', 3]]);
    expect(ofType(step, 'report')).toEqual([]);
  });

  it('answers a Poll at once with Final (our own pending Poll rides on it)', () => {
    const s = upSession();
    expect(s.vars.poll).toBe(true);
    const step = s.handle(3, { type: 'packet', packet: remote({ state: 'Up', poll: true, yourDiscriminator: MINE, desiredMinTxIntervalUs: 10_000 }) });
    expect(sends(step)).toEqual([expect.objectContaining({ final: true, poll: false, state: 'Up' })]);
    expect(s.vars).toMatchObject({ poll: false, final: false });
  });

  it('Init + remote Up goes straight to the fast rate (the remote is Up)', () => {
    expect(upSession().vars.txIntervalUs).toBe(10_000);
  });

  it('a Final ends our Poll Sequence and applies the fast rate', () => {
    const s = makeSession();
    s.handle(0, { type: 'start' });
    s.handle(0, { type: 'packet', packet: remote({ state: 'Init', yourDiscriminator: MINE }) });
    expect(s.vars).toMatchObject({ sessionState: 'Up', poll: true, txIntervalUs: 1_000_000 }); // the remote was not Up yet
    s.handle(4, { type: 'packet', packet: remote({ state: 'Up', yourDiscriminator: MINE, desiredMinTxIntervalUs: 10_000 }) });
    expect(s.vars.txIntervalUs).toBe(1_000_000); // no P or F: nothing recomputed while Up
    s.handle(5, { type: 'packet', packet: remote({ state: 'Up', final: true, yourDiscriminator: MINE, desiredMinTxIntervalUs: 10_000 }) });
    expect(s.vars).toMatchObject({ poll: false, txIntervalUs: 10_000 });
    const step = s.handle(5, { type: 'timer' });
    expect(step.deadline).toBeLessThanOrEqual(5 + 10); // rescheduled for the shorter interval
  });

  it('while Up, parameters change only with P or F (§6.8.3)', () => {
    const s = upSession();
    const before = s.vars.detectionTimeUs;
    s.handle(1, { type: 'packet', packet: remote({ state: 'Up', yourDiscriminator: MINE, desiredMinTxIntervalUs: 40_000 }) });
    expect(s.vars.detectionTimeUs).toBe(before);
    s.handle(2, { type: 'packet', packet: remote({ state: 'Up', poll: true, yourDiscriminator: MINE, desiredMinTxIntervalUs: 40_000 }) });
    expect(s.vars.detectionTimeUs).toBe(5 * 40_000);
  });

  it('drops everything while AdminDown', () => {
    const s = makeSession();
    s.handle(0, { type: 'start' });
    s.handle(0, { type: 'admin', enabled: false });
    expect(s.handle(1, { type: 'packet', packet: remote() }).effects).toEqual([{ type: 'drop', reason: 'admin-down' }]);
    expect(s.vars.sessionState).toBe('AdminDown');
  });

  it('remote Demand with both Up stops periodic transmission', () => {
    const s = upSession();
    s.handle(1, { type: 'packet', packet: remote({ state: 'Up', final: true, demand: true, yourDiscriminator: MINE, desiredMinTxIntervalUs: 10_000 }) });
    let t = 1;
    for (let i = 0; i < 5; i++) {
      s.handle(t, { type: 'packet', packet: remote({ state: 'Up', demand: true, yourDiscriminator: MINE, desiredMinTxIntervalUs: 10_000 }) });
      const step = s.handle(t + 9, { type: 'timer' });
      expect(sends(step)).toEqual([]);
      expect(step.deadline).toBe(t + 50); // only the detection timer
      t += 10;
    }
  });

  it('a remote Required Min RX of 0 stops periodic transmission', () => {
    const s = makeSession();
    s.handle(0, { type: 'start' });
    const step = s.handle(1, { type: 'packet', packet: remote({ requiredMinRxIntervalUs: 0 }) });
    expect(sends(step)).toEqual([]);
    for (let t = 2; t < 3000; t += 100) expect(sends(s.handle(t, { type: 'timer' }))).toEqual([]);
  });
});

describe('timers', () => {
  it('Up: expires one Detection Time after the last packet (diag 1), clears RemoteDiscr, reports Down', () => {
    const s = upSession();
    s.handle(100, { type: 'packet', packet: remote({ state: 'Up', final: true, detectMult: 3, yourDiscriminator: MINE, desiredMinTxIntervalUs: 20_000 }) });
    expect(s.vars.detectionTimeUs).toBe(60_000);
    let t = 100;
    while (t < 160) {
      const d = s.handle(t, { type: 'timer' }).deadline!;
      expect(s.vars.sessionState).toBe('Up');
      t = d;
    }
    expect(t).toBe(160);
    const fall = s.handle(t, { type: 'timer' });
    expect(ofType(fall, 'stateChange')).toEqual([{ type: 'stateChange', from: 'Up', to: 'Down', diag: 1, remoteDiag: 0, silentForMs: 60 }]);
    expect(ofType(fall, 'report')).toEqual([{ type: 'report', state: 'Down' }]);
    expect(s.vars.remoteDiscr).toBe(0);
  });

  it('Init is not kept alive by packets (keepalived): it falls one Detection Time after entering it', () => {
    const s = makeSession();
    s.handle(0, { type: 'start' });
    s.handle(0, { type: 'packet', packet: remote() }); // Init; Detection Time 5 x 1 s
    for (let t = 500; t < 5000; t += 500) {
      const step = s.handle(t, { type: 'packet', packet: remote() });
      expect(s.vars.sessionState).toBe('Init');
      expect(step.deadline).toBeLessThanOrEqual(5000);
    }
    const fall = s.handle(5000, { type: 'timer' });
    expect(ofType(fall, 'stateChange')).toEqual([{ type: 'stateChange', from: 'Init', to: 'Down', diag: 1, remoteDiag: 0, silentForMs: 500 }]);
    expect(ofType(fall, 'report')).toEqual([]); // it was never Up
  });

  it('one Detection Time after falling Down, the remote variables are reset', () => {
    const s = upSession();
    s.handle(10, { type: 'packet', packet: remote({ state: 'Down', yourDiscriminator: MINE }) });
    expect(s.vars.remoteDiscr).toBe(0xabc);
    s.handle(10 + s.vars.detectionTimeUs / 1000 - 1, { type: 'timer' });
    expect(s.vars.remoteDiscr).toBe(0xabc);
    s.handle(10 + s.vars.detectionTimeUs / 1000, { type: 'timer' });
    expect(s.vars).toMatchObject({ remoteDiscr: 0, remoteSessionState: 'Down', poll: false, txIntervalUs: 1_000_000 });
  });
});

describe('administrative control (§6.8.16)', () => {
  it('disable: AdminDown (diag 7), Down reported, AdminDown sent for one Detection Time, then silence', () => {
    const s = upSession();
    const step = s.handle(10, { type: 'admin', enabled: false });
    expect(ofType(step, 'stateChange')).toEqual([{ type: 'stateChange', from: 'Up', to: 'AdminDown', diag: 7, remoteDiag: 0 }]);
    expect(ofType(step, 'report')).toEqual([{ type: 'report', state: 'Down' }]);
    expect(sends(step)).toEqual([expect.objectContaining({ state: 'AdminDown', diag: 7, desiredMinTxIntervalUs: 1_000_000 })]);
    const times: number[] = [10];
    let d = step.deadline;
    while (d !== undefined && d < 60_000) {
      const st = s.handle(d, { type: 'timer' });
      if (sends(st).length > 0) times.push(d);
      d = st.deadline;
    }
    expect(d).toBeUndefined();
    expect(times.at(-1)!).toBeLessThan(10 + 5 * 1000); // multiplier 5 x idle 1 s
    expect(times.length).toBeGreaterThanOrEqual(5);
  });

  it('enable: Down, and transmission resumes (not for a passive session without a remote)', () => {
    const s = makeSession();
    s.handle(0, { type: 'start' });
    s.handle(0, { type: 'admin', enabled: false });
    const step = s.handle(20_000, { type: 'admin', enabled: true });
    expect(ofType(step, 'stateChange').map((e) => `${e.from}->${e.to}`)).toEqual(['AdminDown->Down']);
    expect(step.deadline).toBeGreaterThanOrEqual(20_750);
    const p = makeSession({ passive: true });
    p.handle(0, { type: 'start' });
    p.handle(0, { type: 'admin', enabled: false });
    expect(p.handle(1, { type: 'admin', enabled: true }).deadline).toBeUndefined();
  });
});

describe('reload (keepalived bfd_complete_init)', () => {
  const timers = { desiredMinTxIntervalUs: 10_000, requiredMinRxIntervalUs: 10_000, idleTxIntervalUs: 1_000_000, detectMult: 5 };

  it('a new min_tx or min_rx starts a Poll Sequence; the multiplier alone does not', () => {
    const s = upSession();
    s.handle(1, { type: 'packet', packet: remote({ state: 'Up', final: true, yourDiscriminator: MINE, desiredMinTxIntervalUs: 10_000 }) });
    s.handle(2, { type: 'configure', timers: { ...timers, detectMult: 3 } });
    expect(s.vars.poll).toBe(false);
    let step = s.handle(20, { type: 'timer' });
    expect(sends(step)[0]).toMatchObject({ poll: false, detectMult: 3 });
    s.handle(21, { type: 'configure', timers: { ...timers, desiredMinTxIntervalUs: 30_000 } });
    step = s.handle(step.deadline!, { type: 'timer' });
    expect(sends(step)[0]).toMatchObject({ poll: true, desiredMinTxIntervalUs: 30_000 });
    // the actual interval changes only when the Final comes back (§6.8.3)
    expect(s.vars.txIntervalUs).toBe(10_000);
  });
});

describe('shared wake-ups (the awake input)', () => {
  it('opens the transmit window at 75% of the interval: awake before it sends nothing, within it sends once', () => {
    const s = makeSession({}, { random: () => 0 }); // the jittered point is at 100%
    const step = s.handle(0, { type: 'start' });
    expect(step.deadline).toBe(1000);
    expect(s.txWindowOpensMs).toBe(750);
    expect(sends(s.handle(749, { type: 'awake' }))).toEqual([]);
    const early = s.handle(760, { type: 'awake' });
    expect(sends(early)).toHaveLength(1);
    // the next window counts from this packet; the timer of the old point is gone
    expect(s.txWindowOpensMs).toBe(1510);
    expect(early.deadline).toBe(1760);
    expect(sends(s.handle(1000, { type: 'timer' }))).toEqual([]);
    expect(sends(s.handle(1000, { type: 'awake' }))).toEqual([]);
  });

  it('awake also runs the timers that are due (detection), and none that are not', () => {
    const s = upSession();
    const expiry = s.vars.detectionTimeUs / 1000;
    expect(ofType(s.handle(expiry - 1, { type: 'awake' }), 'stateChange')).toEqual([]);
    expect(ofType(s.handle(expiry, { type: 'awake' }), 'stateChange').map((e) => e.to)).toEqual(['Down']);
  });

  it('no window while nothing is scheduled (passive before a packet)', () => {
    const s = makeSession({ passive: true });
    s.handle(0, { type: 'start' });
    expect(s.txWindowOpensMs).toBeUndefined();
    expect(s.handle(5000, { type: 'awake' }).effects).toEqual([]);
  });
});
