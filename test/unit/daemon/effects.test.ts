// EffectRunner (src/daemon/effects.ts) on fake ports: a takeover step's advert, VIP add and GARP
// reach their ports before any log line is written, and the lines keep keepalived's order
// (state change, then "setting VIPs.", then the GARP line).
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
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

const takeover: Effect[] = [
  { type: 'sendAdvert', instance: 'VI_1', interface: 'eth0', family: 'inet', dst: Uint8Array.of(224, 0, 0, 18), priority: 100, data: new Uint8Array(40) },
  { type: 'addVips', instance: 'VI_1' },
  { type: 'sendGarp', instance: 'VI_1', repeat: 5, reason: 'master' },
  { type: 'stateChange', instance: 'VI_1', from: 'BACKUP', to: 'MASTER', reason: 'master-down' },
] as Effect[];

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('EffectRunner', () => {
  it('puts a takeover on the wire before writing any of its log lines, which keep keepalived order', async () => {
    const { runner, events } = setup({ submitted: true });
    for (const e of takeover) runner.perform(e);
    // in the step's turn: the wire effects, and the state change line performed after them
    expect(events.slice(0, 3)).toEqual(['advert', 'install', 'garp']);
    await tick();
    expect(events).toEqual([
      'advert', 'install', 'garp',
      'log (VI_1) Entering MASTER STATE',
      'log (VI_1) setting VIPs.',
      'log (VI_1) Sending/queueing gratuitous ARPs on eth0',
    ]);
  });

  it('holds the GARP until the address adds are submitted', async () => {
    const { runner, events, release } = setup({ submitted: false });
    for (const e of takeover.slice(0, 3)) runner.perform(e);
    await tick();
    expect(events).not.toContain('garp');
    release();
    await tick();
    expect(events.filter((e) => !e.startsWith('log'))).toEqual(['advert', 'install', 'garp']);
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
