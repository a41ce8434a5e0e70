// keepalived's interface_up: the static addresses and routes of an interface that comes up are
// added again (src/daemon/static-reinstate.ts); the netns test test/netns/route-options.test.ts
// sees both daemons do it.
import { describe, expect, it } from 'vitest';
import type { AddressEntry, RouteEntry, RuleEntry } from '../../../src/config/model.js';
import { flagsUp, staticOnInterface } from '../../../src/daemon/static-reinstate.js';

const addr = (dev: string | undefined, noTrack = false) => ({ dev, noTrack } as unknown as AddressEntry);
const route = (dev: string | undefined, noTrack = false) => ({ dev, noTrack, words: [] } as unknown as RouteEntry);

describe('static entries of an interface that comes up', () => {
  const a = [addr('tg0'), addr('tg0', true), addr('eth0'), addr(undefined)];
  const r = [route('tg0'), route('tg0', true), route('eth0'), route(undefined)];
  const set = { owner: 'static', addresses: a, routes: r, rules: [{ iif: 'tg0' } as unknown as RuleEntry] };

  it('are its addresses and routes out of it, not no_track ones; never the rules', () => {
    expect(staticOnInterface(set, 'tg0')).toEqual({ owner: 'static', addresses: [a[0]], routes: [r[0]], rules: [] });
    expect(staticOnInterface(set, 'eth1')).toBeUndefined();
  });

  it('count from the moment it is up and running (keepalived FLAGS_UP)', () => {
    expect([flagsUp({ up: true, running: true }), flagsUp({ up: true, running: false }), flagsUp({ up: false, running: true }), flagsUp(undefined)])
      .toEqual([true, false, false, false]);
  });
});
