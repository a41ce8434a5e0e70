// LvsSync (src/daemon/lvs-sync.ts) against a fake IPVS client: the sync daemon follows the
// named VRRP instance as keepalived 2.2.7 does (BACKUP at start, stop BACKUP + start MASTER on
// becoming MASTER, stop MASTER + start BACKUP on leaving it, the current one stopped at
// shutdown), the sync id defaults to the VRID, and failures never throw.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { LvsSyncDaemon } from '../../../src/config/model.js';
import { LvsSync, type SyncdClient } from '../../../src/daemon/lvs-sync.js';
import type { IpvsDaemon } from '../../../src/ipvs/types.js';
import type { Effect, VrrpState } from '../../../src/vrrp/types.js';

const log = pino({ level: 'silent' });

function fakeClient(opts: { stale?: IpvsDaemon[]; failStart?: boolean } = {}) {
  const calls: string[] = [];
  const started: IpvsDaemon[] = [];
  const client: SyncdClient & { closed: boolean } = {
    closed: false,
    async getDaemons() { calls.push('get'); return opts.stale ?? []; },
    async startDaemon(d) {
      calls.push(`start ${d.state}`);
      if (opts.failStart) throw Object.assign(new Error('EEXIST'), { code: 'IPVS_REQUEST' });
      started.push(d);
    },
    async stopDaemon(s) { calls.push(`stop ${s}`); },
    close() { this.closed = true; },
  };
  return { client, calls, started };
}

function harness(sync: Partial<LvsSyncDaemon>, o: { state?: VrrpState; open?: () => Promise<SyncdClient>; fake?: ReturnType<typeof fakeClient> } = {}) {
  const fake = o.fake ?? fakeClient();
  const listeners = new Set<(e: Effect) => void>();
  const s = new LvsSync({
    sync: { loc: 0 as never, interface: 'eth1', ...sync },
    vrids: new Map([['VI_1', 51], ['VI_2', 52]]),
    stateOf: () => o.state ?? 'BACKUP',
    onEffect: (l) => { listeners.add(l); return () => listeners.delete(l); },
    open: o.open ?? (async () => fake.client),
    log,
  });
  const emit = (instance: string, from: VrrpState, to: VrrpState) => {
    for (const l of listeners) l({ type: 'stateChange', instance, from, to, reason: 'masterDown', quiet: false } as Effect);
  };
  return { s, fake, emit, listeners };
}

describe('LvsSync', () => {
  it('starts BACKUP at start, MASTER on becoming MASTER, BACKUP on leaving it, stops at shutdown', async () => {
    const { s, fake, emit, listeners } = harness({ instance: 'VI_1' });
    await s.settled();
    expect(fake.calls).toEqual(['get', 'start BACKUP']);
    expect(fake.started[0]).toEqual({ state: 'BACKUP', mcastIfn: 'eth1', syncId: 51 });
    emit('VI_1', 'BACKUP', 'MASTER');
    await s.settled();
    expect(fake.calls.slice(2)).toEqual(['stop BACKUP', 'start MASTER']);
    emit('VI_1', 'MASTER', 'FAULT');
    await s.settled();
    expect(fake.calls.slice(4)).toEqual(['stop MASTER', 'start BACKUP']);
    emit('VI_1', 'FAULT', 'BACKUP'); // nothing: was not MASTER
    emit('VI_2', 'BACKUP', 'MASTER'); // another instance
    await s.settled();
    expect(fake.calls).toHaveLength(6);
    await s.stop();
    expect(fake.calls.slice(6)).toEqual(['stop BACKUP']);
    expect(fake.client.closed).toBe(true);
    expect(listeners.size).toBe(0);
    expect(s.running.size).toBe(0);
  });

  it('starts MASTER directly when the instance is already MASTER, and stops MASTER at shutdown', async () => {
    const { s, fake } = harness({ instance: 'VI_2', syncId: 7, port: 8849, ttl: 2, maxLen: 1400 }, { state: 'MASTER' });
    await s.stop();
    expect(fake.calls).toEqual(['get', 'start MASTER', 'stop MASTER']);
    expect(fake.started[0]).toEqual({ state: 'MASTER', mcastIfn: 'eth1', syncId: 7, mcastPort: 8849, mcastTtl: 2, syncMaxLen: 1400 });
  });

  it('ignores transitions after stop began (MASTER -> STOP at shutdown starts nothing)', async () => {
    const { s, fake, emit } = harness({ instance: 'VI_1' }, { state: 'MASTER' });
    const stopping = s.stop();
    emit('VI_1', 'MASTER', 'BACKUP');
    await stopping;
    expect(fake.calls).toEqual(['get', 'start MASTER', 'stop MASTER']);
  });

  it('without an instance runs MASTER and BACKUP together with sync id 0', async () => {
    const { s, fake, emit } = harness({});
    emit('VI_1', 'BACKUP', 'MASTER');
    await s.settled();
    expect(fake.calls).toEqual(['get', 'start MASTER', 'start BACKUP']);
    expect(fake.started.map((d) => d.syncId)).toEqual([0, 0]);
    await s.stop();
    expect(fake.calls.slice(3).sort()).toEqual(['stop BACKUP', 'stop MASTER']);
  });

  it('stops sync daemons left running before starting its own', async () => {
    const fake = fakeClient({ stale: [{ state: 'MASTER', mcastIfn: 'eth1', syncId: 51 }] });
    const { s } = harness({ instance: 'VI_1' }, { fake });
    await s.settled();
    expect(fake.calls).toEqual(['get', 'stop MASTER', 'start BACKUP']);
  });

  it('an unknown instance or no IPVS: logged, nothing done, never throws', async () => {
    const opened: string[] = [];
    const a = harness({ instance: 'NOPE' }, { open: async () => { opened.push('x'); throw new Error('x'); } });
    await a.s.stop();
    expect(opened).toEqual([]);
    expect(a.listeners.size).toBe(0);
    const b = harness({ instance: 'VI_1' }, { open: async () => { throw Object.assign(new Error('no IPVS'), { code: 'IPVS_UNAVAILABLE' }); } });
    b.emit('VI_1', 'BACKUP', 'MASTER');
    await b.s.stop();
    expect(b.s.running.size).toBe(0);
  });

  it('a refused start is logged and the next transition still runs', async () => {
    const fake = fakeClient({ failStart: true });
    const { s, emit } = harness({ instance: 'VI_1' }, { fake });
    emit('VI_1', 'BACKUP', 'MASTER');
    await s.settled();
    expect(fake.calls).toEqual(['get', 'start BACKUP', 'start MASTER']);
    expect(s.running.size).toBe(0);
    await s.stop();
    expect(fake.calls).toHaveLength(3);
  });
});
