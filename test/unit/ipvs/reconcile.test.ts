// The reconciler as tables: (desired, kernel, previously owned) -> operations, and the
// kernel view kept in step by applyToTable.
import { describe, expect, it } from 'vitest';
import { describeOp, serviceId } from '../../../src/ipvs/keys.js';
import { reconcile } from '../../../src/ipvs/reconcile.js';
import { applyToTable, tableOf } from '../../../src/ipvs/table.js';
import type { IpvsDest, IpvsService, ServiceKey } from '../../../src/ipvs/types.js';
import { parseIp } from '../../../src/util/ip.js';

const key = (s: string): ServiceKey => {
  const m = /^(TCP|UDP|SCTP) (.+):(\d+)$/.exec(s);
  if (m) return { type: 'addr', protocol: m[1] as 'TCP', address: parseIp(m[2]!.replace(/^\[|\]$/g, ''))!, port: Number(m[3]) };
  const f = /^FWM (\d+)( inet6)?$/.exec(s)!;
  return { type: 'fwmark', fwmark: Number(f[1]), family: f[2] ? 'inet6' : 'inet' };
};
const svc = (k: string, over: Partial<IpvsService> = {}): IpvsService => ({ key: key(k), scheduler: 'wlc', flags: 0, timeoutS: 0, netmaskPrefix: 32, ...over });
const d = (a: string, over: Partial<IpvsDest> = {}): IpvsDest => {
  const [addr, port] = a.split(/:(?=\d+$)/);
  return { address: parseIp(addr!)!, port: Number(port), fwd: 'NAT', weight: 1, uThreshold: 0, lThreshold: 0, ...over };
};
const table = (...vs: [IpvsService, IpvsDest[]][]) => tableOf(vs.map(([service, dests]) => ({ service, dests })));
const text = (ops: ReturnType<typeof reconcile>) => ops.map(describeOp);

const A = 'TCP 10.0.0.1:80';
const B = 'UDP 10.0.0.2:53';

describe('reconcile', () => {
  it.each([
    {
      name: 'from empty: services then their dests',
      desired: table([svc(A), [d('10.0.1.1:80'), d('10.0.1.2:80')]], [svc('FWM 7'), [d('10.0.2.1:0', { fwd: 'DR' })]]),
      kernel: table(),
      ops: ['NEW_SERVICE TCP 10.0.0.1:80', 'NEW_DEST TCP 10.0.0.1:80 -> 10.0.1.1:80', 'NEW_DEST TCP 10.0.0.1:80 -> 10.0.1.2:80', 'NEW_SERVICE FWM 7', 'NEW_DEST FWM 7 -> 10.0.2.1:0'],
    },
    {
      name: 'nothing to do',
      desired: table([svc(A), [d('10.0.1.1:80')]]),
      kernel: table([svc(A, { flags: 0x2 }), [d('10.0.1.1:80')]]), // HASHED is the kernel's own
      ops: [],
    },
    {
      name: 'reweight, threshold, forwarding method and tunnel changes are SET_DEST',
      desired: table([svc(A), [d('10.0.1.1:80', { weight: 5 }), d('10.0.1.2:80', { uThreshold: 9 }), d('10.0.1.3:80', { fwd: 'DR' }), d('10.0.1.4:80', { fwd: 'TUN', tunType: 'gre' })]]),
      kernel: table([svc(A), [d('10.0.1.1:80'), d('10.0.1.2:80'), d('10.0.1.3:80'), d('10.0.1.4:80', { fwd: 'TUN', tunType: 'ipip' })]]),
      ops: ['SET_DEST TCP 10.0.0.1:80 -> 10.0.1.1:80', 'SET_DEST TCP 10.0.0.1:80 -> 10.0.1.2:80', 'SET_DEST TCP 10.0.0.1:80 -> 10.0.1.3:80', 'SET_DEST TCP 10.0.0.1:80 -> 10.0.1.4:80'],
    },
    {
      name: 'tunnel fields of non-TUN dests are not compared',
      desired: table([svc(A), [d('10.0.1.1:80')]]),
      kernel: table([svc(A), [d('10.0.1.1:80', { tunType: 'gue', tunPort: 5 })]]),
      ops: [],
    },
    {
      name: 'scheduler, flags, persistence changes are SET_SERVICE, never delete + add',
      desired: table([svc(A, { scheduler: 'sh', flags: 0x18 }), []], [svc(B, { flags: 1, timeoutS: 60, netmaskPrefix: 24, persistenceEngine: 'sip' }), []]),
      kernel: table([svc(A), []], [svc(B, { flags: 1, timeoutS: 60, netmaskPrefix: 24 }), []]),
      ops: ['SET_SERVICE TCP 10.0.0.1:80', 'SET_SERVICE UDP 10.0.0.2:53'],
    },
    {
      name: 'removed, changed and added dests: DEL, SET, NEW; a port change is a different dest',
      desired: table([svc(A), [d('10.0.1.1:8080'), d('10.0.1.2:80', { weight: 0 }), d('10.0.1.3:80')]]),
      kernel: table([svc(A), [d('10.0.1.1:80'), d('10.0.1.2:80'), d('10.0.1.9:80')]]),
      ops: ['DEL_DEST TCP 10.0.0.1:80 -> 10.0.1.1:80', 'DEL_DEST TCP 10.0.0.1:80 -> 10.0.1.9:80', 'SET_DEST TCP 10.0.0.1:80 -> 10.0.1.2:80', 'NEW_DEST TCP 10.0.0.1:80 -> 10.0.1.1:8080', 'NEW_DEST TCP 10.0.0.1:80 -> 10.0.1.3:80'],
    },
    {
      name: 'foreign services are never touched, even at the same address in another protocol',
      desired: table([svc(A), [d('10.0.1.1:80')]]),
      kernel: table([svc(A), [d('10.0.1.1:80')]], [svc('UDP 10.0.0.1:80'), [d('10.0.9.9:80')]], [svc('FWM 1'), []]),
      ops: [],
    },
    {
      name: 'a previously owned service no longer desired is deleted first; one already gone is not',
      desired: table([svc(A), [d('10.0.1.1:80')]]),
      kernel: table([svc(A), []], [svc(B), [d('10.0.1.5:53')]], [svc('FWM 1'), []]),
      owned: [serviceId(key(B)), serviceId(key('FWM 9'))],
      ops: ['DEL_SERVICE UDP 10.0.0.2:53', 'NEW_DEST TCP 10.0.0.1:80 -> 10.0.1.1:80'],
    },
    {
      name: 'a desired service already in the kernel (by hand, earlier run) is taken over',
      desired: table([svc(A, { scheduler: 'rr' }), [d('10.0.1.1:80')]]),
      kernel: table([svc(A), [d('10.0.7.7:80'), d('10.0.1.1:80', { weight: 3 })]]),
      ops: ['SET_SERVICE TCP 10.0.0.1:80', 'DEL_DEST TCP 10.0.0.1:80 -> 10.0.7.7:80', 'SET_DEST TCP 10.0.0.1:80 -> 10.0.1.1:80'],
    },
    {
      name: 'IPv6 service with an IPv4 tunnelled dest (mixed families)',
      desired: table([svc('TCP [2001:db8::1]:443', { netmaskPrefix: 128 }), [d('2001:db8::2:443', { fwd: 'DR' }), d('10.0.0.5:443', { fwd: 'TUN' })]]),
      kernel: table([svc('TCP [2001:db8::1]:443', { netmaskPrefix: 128 }), [d('2001:db8::2:443', { fwd: 'DR' })]]),
      ops: ['NEW_DEST TCP [2001:db8::1]:443 -> 10.0.0.5:443'],
    },
  ])('$name', ({ desired, kernel, owned, ops }) => {
    expect(text(reconcile(desired, kernel, { previouslyOwned: owned ?? [] }))).toEqual(ops);
  });

  it('reconciling the kernel view after applying the ops yields nothing (also when some failed)', () => {
    const desired = table([svc(A, { scheduler: 'rr' }), [d('10.0.1.1:80', { weight: 2 }), d('10.0.1.3:80')]], [svc(B), [d('10.0.1.5:53')]]);
    const kernelTable = () => table([svc(A), [d('10.0.1.1:80'), d('10.0.1.2:80')]], [svc('FWM 3'), []]);
    const ops = reconcile(desired, kernelTable(), { previouslyOwned: [serviceId(key('FWM 3'))] });
    const after = applyToTable(kernelTable(), ops);
    expect(reconcile(desired, after)).toEqual([]);
    expect([...after.keys()].sort()).toEqual([serviceId(key(A)), serviceId(key(B))].sort());
    // an op that failed stays to do
    const failedAt = ops.findIndex((o) => o.type === 'NEW_DEST');
    const partial = applyToTable(kernelTable(), ops, new Set([failedAt]));
    expect(reconcile(desired, partial).map(describeOp)).toEqual([describeOp(ops[failedAt]!)]);
  });
});

describe('reconcile only some services', () => {
  it('looks only at the named services, deletions included', () => {
    const desired = table([svc(A), [d('10.0.1.1:80', { weight: 4 })]], [svc(B), [d('10.0.1.5:53')]]);
    const kernel = table([svc(A), [d('10.0.1.1:80')]], [svc(B), []], [svc('FWM 3'), []]);
    const owned = [serviceId(key('FWM 3'))];
    expect(text(reconcile(desired, kernel, { previouslyOwned: owned, only: [serviceId(key(B))] }))).toEqual(['NEW_DEST UDP 10.0.0.2:53 -> 10.0.1.5:53']);
    expect(text(reconcile(desired, kernel, { previouslyOwned: owned, only: [serviceId(key(A)), serviceId(key('FWM 3'))] }))).toEqual(['DEL_SERVICE FWM 3', 'SET_DEST TCP 10.0.0.1:80 -> 10.0.1.1:80']);
    expect(reconcile(desired, kernel, { only: [] })).toEqual([]);
  });
});

describe('hashing schedulers: destinations added in one canonical order', () => {
  const MH = svc(A, { scheduler: 'mh' });
  const ids = (t: ReturnType<typeof table>) => [...t.get(serviceId(key(A)))!.dests.keys()];

  it('two directors whose checks passed in different orders end with the same order', () => {
    // director 1 saw .3 then .1 pass, director 2 saw .1 then .3; both then see .2 pass
    const d1 = table([MH, []]);
    const d2 = table([MH, []]);
    for (const [kt, seq] of [[d1, ['10.0.1.3:80', '10.0.1.1:80', '10.0.1.2:80']], [d2, ['10.0.1.1:80', '10.0.1.3:80', '10.0.1.2:80']]] as const) {
      const live: IpvsDest[] = [];
      for (const s of seq) {
        live.push(d(s));
        applyToTable(kt, reconcile(table([MH, live]), kt));
      }
    }
    expect(ids(d1)).toEqual(ids(d2));
    expect(ids(d1)).toEqual([...ids(d1)].sort());
  });

  it('a destination that belongs before ones already there: those are deleted and added back behind it', () => {
    const kernel = table([MH, [d('10.0.1.1:80'), d('10.0.1.3:80')]]);
    const desired = table([MH, [d('10.0.1.1:80'), d('10.0.1.2:80'), d('10.0.1.3:80', { weight: 2 })]]);
    expect(text(reconcile(desired, kernel))).toEqual([
      'DEL_DEST TCP 10.0.0.1:80 -> 10.0.1.3:80', 'NEW_DEST TCP 10.0.0.1:80 -> 10.0.1.2:80', 'NEW_DEST TCP 10.0.0.1:80 -> 10.0.1.3:80',
    ]);
    // one added at the end moves nothing, and other schedulers keep the order they have
    expect(text(reconcile(table([MH, [d('10.0.1.1:80'), d('10.0.1.3:80'), d('10.0.1.4:80')]]), kernel))).toEqual(['NEW_DEST TCP 10.0.0.1:80 -> 10.0.1.4:80']);
    expect(text(reconcile(table([svc(A), [d('10.0.1.1:80'), d('10.0.1.2:80'), d('10.0.1.3:80')]]), table([svc(A), [d('10.0.1.3:80'), d('10.0.1.1:80')]])))).toEqual(['NEW_DEST TCP 10.0.0.1:80 -> 10.0.1.2:80']);
  });
});
