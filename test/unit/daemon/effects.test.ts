// EffectRunner (src/daemon/effects.ts) on fake ports: a takeover step's advert, VIP add and GARP
// reach their ports before any log line is written, and the lines keep keepalived's order
// (state change, then "setting VIPs.", then the GARP line).
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { AddressEntry } from '../../../src/config/model.js';
import type { AddressManager } from '../../../src/daemon/addresses.js';
import { EffectRunner } from '../../../src/daemon/effects.js';
import type { MappedInstance } from '../../../src/daemon/engine-config.js';
import type { GarpSender } from '../../../src/daemon/garp.js';
import { parsePrefix } from '../../../src/util/ip.js';
import type { Effect } from '../../../src/vrrp/types.js';

const vip: AddressEntry = {
  loc: 0 as never, address: parsePrefix('10.0.0.100/32')!, noDad: true, noPrefixRoute: false, home: false, noTrack: false, useVmac: false,
};

function setup(opts: { submitted: boolean }) {
  const events: string[] = [];
  const log = pino({ level: 'info' }, new Writable({
    write(chunk: Buffer, _enc, done) {
      events.push(`log ${JSON.parse(chunk.toString()).msg as string}`);
      done();
    },
  }));
  let release: () => void = () => undefined;
  const addresses = {
    install: async () => { events.push('install'); },
    remove: async () => { events.push('remove'); },
    allSubmitted: () => opts.submitted,
    submitted: () => new Promise<void>((r) => { release = r; }),
    prepare: () => events.push('prepare addresses'),
  } as unknown as AddressManager;
  const garp = {
    burst: () => events.push('garp'), single: () => events.push('garp1'), prepare: () => events.push('prepare garp'),
  } as unknown as GarpSender;
  const instance = {
    config: { sourceAddress: { bytes: Uint8Array.of(10, 0, 0, 1) } },
    baseInterface: 'eth0',
    addresses: [vip],
    model: { virtualRoutes: [], virtualRules: [] },
  } as unknown as MappedInstance;
  const runner = new EffectRunner(
    new Map([['VI_1', instance]]),
    { send: () => events.push('advert') },
    addresses,
    garp,
    { notify: () => events.push('notify') },
    log,
    () => 0,
    () => undefined,
  );
  return { runner, events, release: () => release() };
}

// the engine's order (VrrpInstance.becomeMaster): VIPs and GARPs, then the advert
const takeover: Effect[] = [
  { type: 'addVips', instance: 'VI_1' },
  { type: 'sendGarp', instance: 'VI_1', repeat: 5, reason: 'master' },
  { type: 'sendAdvert', instance: 'VI_1', interface: 'eth0', family: 'inet', dst: Uint8Array.of(224, 0, 0, 18), priority: 100, data: new Uint8Array(40), afterGarp: true },
  { type: 'stateChange', instance: 'VI_1', from: 'BACKUP', to: 'MASTER', reason: 'master-down' },
] as Effect[];

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('EffectRunner', () => {
  it('puts a takeover on the wire before writing any of its log lines, which keep keepalived order', async () => {
    const { runner, events } = setup({ submitted: true });
    for (const e of takeover) runner.perform(e);
    // in the step's turn: the wire effects, and the state change line performed after them
    expect(events.slice(0, 3)).toEqual(['install', 'garp', 'advert']);
    await tick();
    expect(events).toEqual([
      'install', 'garp', 'advert',
      'log (VI_1) Entering MASTER STATE',
      'log (VI_1) setting VIPs.',
      'log (VI_1) Sending/queueing gratuitous ARPs on eth0',
    ]);
  });

  it('holds the GARP until the address adds are submitted, and the takeover\'s advert after it', async () => {
    const { runner, events, release } = setup({ submitted: false });
    for (const e of takeover.slice(0, 3)) runner.perform(e);
    await tick();
    expect(events).not.toContain('garp');
    expect(events).not.toContain('advert');
    // a master's later advert does not wait
    runner.perform({ ...takeover[2], afterGarp: undefined } as Effect);
    expect(events.filter((e) => !e.startsWith('log'))).toEqual(['install', 'advert']);
    release();
    await tick();
    expect(events.filter((e) => !e.startsWith('log'))).toEqual(['install', 'advert', 'garp', 'advert']);
  });

  it('a backup builds its takeover (VIP requests, GARP frames) when it enters BACKUP', () => {
    const { runner, events } = setup({ submitted: true });
    runner.perform({ type: 'stateChange', instance: 'VI_1', from: 'INIT', to: 'BACKUP', reason: 'init' } as Effect);
    expect(events).toEqual(['prepare addresses', 'prepare garp', 'log (VI_1) Entering BACKUP STATE']);
  });

  it('starts the removal of VIPs before its log line', async () => {
    const { runner, events } = setup({ submitted: true });
    runner.perform({ type: 'removeVips', instance: 'VI_1' } as Effect);
    expect(events).toEqual(['remove']);
    await tick();
    expect(events).toEqual(['remove', 'log (VI_1) removing VIPs.']);
  });
});

describe('EffectRunner: lines of received packets', () => {
  function flood() {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'debug' }, new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }));
    const rxErrors: Record<string, number> = { ttl: 0, checksum: 0 };
    const instance = { config: { interface: 'eth0', sourceAddress: { bytes: Uint8Array.of(10, 0, 0, 1) } }, baseInterface: 'eth0', addresses: [], model: { virtualRoutes: [], virtualRules: [] } } as unknown as MappedInstance;
    const runner = new EffectRunner(new Map([['VI_1', instance]]), { send: () => undefined }, {} as AddressManager, {} as GarpSender,
      { notify: () => undefined }, log, () => Date.now(), () => ({ rxErrors }) as never);
    return { runner, lines, rxErrors };
  }

  it('a 30 s flood of bad packets: one line per reason a second, counts exact, keepalived\'s words kept', () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const { runner, lines, rxErrors } = flood();
      let sent = 0;
      // 2 packets a millisecond for 30 s: TTL and checksum failures, and lower-priority adverts
      for (let ms = 0; ms < 30_000; ms++) {
        for (const reason of ['ttl', 'checksum'] as const) {
          rxErrors[reason]!++;
          runner.perform({ type: 'rxDrop', instance: 'VI_1', reason, message: reason === 'ttl' ? 'invalid TTL/HL' : 'Invalid VRRPv2 checksum' } as Effect);
          sent++;
        }
        runner.perform({ type: 'event', instance: 'VI_1', event: 'rx-lower-prio-discard', from: Uint8Array.of(10, 0, 0, 66), priority: 50 } as Effect);
        vi.advanceTimersByTime(1);
      }
      vi.advanceTimersByTime(2000); // the last summary lines
      const drops = lines.filter((l) => l.reason !== undefined);
      const discards = lines.filter((l) => l.event === 'rx-lower-prio-discard');
      // 30 s at one line per second per reason, plus the first line of each
      expect(drops.length).toBeLessThanOrEqual(2 * 31);
      expect(discards.length).toBeLessThanOrEqual(31);
      expect(drops.reduce((n, l) => n + (l.packets as number), 0)).toBe(sent);
      expect(discards.reduce((n, l) => n + (l.packets as number), 0)).toBe(30_000);
      expect(drops[0]).toMatchObject({ level: 40, inst: 'VI_1', ifname: 'eth0', reason: 'ttl', packets: 1, total: 1, msg: '(VI_1) invalid TTL/HL' });
      expect(drops.find((l) => l.reason === 'checksum')?.msg).toBe('(VI_1) Invalid VRRPv2 checksum');
      expect(drops.at(-1)).toMatchObject({ total: 30_000 });
      expect(discards[0]?.msg).toBe('(VI_1) received lower priority (50) advert from 10.0.0.66 - discarding');
    } finally {
      vi.useRealTimers();
    }
  });

  it('a single bad packet is written at once; other events are not limited', () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const { runner, lines } = flood();
      runner.perform({ type: 'rxDrop', instance: 'VI_1', reason: 'ttl', message: 'invalid TTL/HL' } as Effect);
      expect(lines).toHaveLength(1);
      for (let i = 0; i < 3; i++) runner.perform({ type: 'event', instance: 'VI_1', event: 'preempt-delay-start' } as Effect);
      expect(lines.filter((l) => l.event === 'preempt-delay-start')).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
