// Which VIPs a director announces (src/announce/plan.ts): every virtual server of the address
// with quorum, the named instance MASTER, not stopping; and the table changes that follow.
import { describe, expect, it } from 'vitest';
import { decide, routeChanges, type AnnounceFacts } from '../../../src/announce/plan.js';
import type { AnnounceVip } from '../../../src/config/model.js';
import { parseIp } from '../../../src/util/ip.js';

const loc = { file: 's.conf', line: 1, col: 1 };
const vip = (a: string, instance?: string): AnnounceVip => ({ address: parseIp(a)!, loc, ...(instance ? { instance } : {}) });
const facts = (q: Record<string, [string, boolean][]>, states: Record<string, string> = {}, stopping = false, held: string[] = []): AnnounceFacts => ({
  quorums: (a) => (q[a] ?? []).map(([name, up]) => ({ name, up })),
  instanceState: (n) => states[n],
  held: (a) => held.includes(a),
  stopping,
});

describe('decide', () => {
  it.each([
    ['quorum on every virtual server of the address', { '10.0.0.1': [['[10.0.0.1]:tcp:80', true], ['[10.0.0.1]:tcp:443', true]] }, {}, false, true, 'quorum on [10.0.0.1]:tcp:80, [10.0.0.1]:tcp:443'],
    ['one of them without quorum', { '10.0.0.1': [['[10.0.0.1]:tcp:80', true], ['[10.0.0.1]:tcp:443', false]] }, {}, false, false, 'no quorum on [10.0.0.1]:tcp:443'],
    ['no virtual server runs', {}, {}, false, false, 'no virtual server with this address runs'],
    ['stopping', { '10.0.0.1': [['[10.0.0.1]:tcp:80', true]] }, {}, true, false, 'stopping'],
  ] as const)('%s', (_what, q, states, stopping, announce, why) => {
    const [d] = decide([vip('10.0.0.1')], facts(q as never, states, stopping));
    expect(d).toEqual({ prefix: '10.0.0.1/32', family: 'inet', announce, why });
  });

  it('with an instance: only while it is MASTER', () => {
    const q = { '10.0.0.1': [['[10.0.0.1]:tcp:80', true]] } as Record<string, [string, boolean][]>;
    expect(decide([vip('10.0.0.1', 'VI_1')], facts(q, {}))[0]).toMatchObject({ announce: false, why: 'instance VI_1 is not known yet' });
    expect(decide([vip('10.0.0.1', 'VI_1')], facts(q, { VI_1: 'BACKUP' }))[0]).toMatchObject({ announce: false, why: 'instance VI_1 is BACKUP' });
    expect(decide([vip('10.0.0.1', 'VI_1')], facts(q, { VI_1: 'MASTER' }))[0]).toMatchObject({ announce: true, why: 'quorum on [10.0.0.1]:tcp:80, VI_1 MASTER' });
  });

  it('a VIP handed over stays withdrawn whatever its quorum', () => {
    const q = { '10.0.0.1': [['x', true]] } as Record<string, [string, boolean][]>;
    expect(decide([vip('10.0.0.1')], facts(q, {}, false, ['10.0.0.1']))[0]).toMatchObject({ announce: false, why: 'handed over, until keepalived-ts handover --cancel' });
  });

  it('IPv6 VIPs are /128', () => {
    expect(decide([vip('2001:db8::10')], facts({ '2001:db8::10': [['x', true]] }))[0]).toMatchObject({ prefix: '2001:db8::10/128', family: 'inet6', announce: true });
  });
});

describe('routeChanges', () => {
  it('adds what is wanted and missing, removes what is ours and not wanted', () => {
    expect(routeChanges(new Set(['10.0.0.1/32', '10.0.0.2/32']), new Set(['10.0.0.2/32', '10.0.0.9/32'])))
      .toEqual({ add: ['10.0.0.1/32'], remove: ['10.0.0.9/32'] });
  });
});
